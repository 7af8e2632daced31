"""The routine's rules as pure functions over plain values (SPEC.md R01–R08, R12)."""

from __future__ import annotations

from datetime import datetime

from tui_app.core.clock import as_utc, fmt_datetime
from tui_app.core.errors import InvalidInput, RuleViolation
from tui_app.core.limits import MAX_MESSAGE_CHARS, REPLY_WINDOW
from tui_app.core.pnr import is_ascii_digits
from tui_app.core.routine import CaseState as CaseState  # its home is core/routine/
from tui_app.core.routine import case_state as case_state
from tui_app.core.template import LIMITS_SENTENCE


def check_eligibility(
    *,
    unit_name: str,
    unit_activated: bool,
    template_installed: bool,
    patient_activated: bool,
    care_relation: bool,
) -> None:
    """Raise RuleViolation naming the first of R01–R04 that forbids sending, else return.

    R04 is checked before R03: a unit without a care relationship must not learn whether the
    patient is activated on 1177.
    """
    if not unit_activated:
        raise RuleViolation(
            "R01",
            f"Enheten {unit_name} är inte aktiverad för 1177 e-tjänster. "
            "Be administrationsgruppen 1177 e-tjänster att aktivera enheten.",
        )
    if not template_installed:
        raise RuleViolation(
            "R02",
            f"Mallen ”Bifoga bild/fil till vården” är inte upplagd på {unit_name}. "
            "Be administrationsgruppen 1177 e-tjänster att lägga upp mallen.",
        )
    if not care_relation:
        raise RuleViolation(
            "R04",
            f"{unit_name} har ingen vårdrelation med patienten. Meddelande får bara skickas "
            "till patienter som enheten har en vårdrelation med.",
        )
    if not patient_activated:
        raise RuleViolation(
            "R03",
            "Patienten är inte aktiverad på 1177 e-tjänster och kan inte ta emot meddelandet. "
            "Be patienten logga in på 1177 och aktivera e-tjänsterna, eller välj ett annat sätt.",
        )


def check_staff_message(text: str) -> str:
    """Validate a staff message before sending (R06); return it with outer whitespace removed."""
    body = text.strip()
    if not body:
        raise InvalidInput("Meddelandet är tomt. Skriv en text innan du skickar.")
    if len(body) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            f"Meddelandet är {len(body)} tecken långt; högst {MAX_MESSAGE_CHARS} tecken får "
            "skickas. Korta texten och försök igen."
        )
    if LIMITS_SENTENCE not in body:
        raise RuleViolation(
            "R06",
            f"Meningen ”{LIMITS_SENTENCE}” får inte tas bort ur mallens text. "
            "Lägg tillbaka den och försök igen.",
        )
    return body


def check_patient_text(text: str, *, has_files: bool) -> str:
    """Validate the text of a patient's reply; it may be empty only when files are attached."""
    body = text.strip()
    if not body and not has_files:
        raise InvalidInput(
            "Svaret är tomt. Skriv ett meddelande eller bifoga filer innan du skickar."
        )
    if len(body) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            f"Svaret är {len(body)} tecken långt; högst {MAX_MESSAGE_CHARS} tecken får skickas. "
            "Korta texten och försök igen."
        )
    return body


def deadline_for(sent_at: datetime) -> datetime:
    """R07: the moment the case stops accepting the patient's messages."""
    return as_utc(sent_at) + REPLY_WINDOW


def check_reply_open(deadline: datetime, now: datetime, closed_reason: str | None = None) -> None:
    """R07: refuse a patient message at or after the deadline (moved to the handled time when
    staff marked the case handled before its 48 hours had passed: closed_reason HANDLED_EARLY)."""
    if as_utc(now) >= as_utc(deadline):
        why = (
            "av mottagningen när ärendet var färdigbehandlat"
            if closed_reason == HANDLED_EARLY
            else "2 dagar efter att meddelandet skickades"
        )
        raise RuleViolation(
            "R07",
            f"Ärendet avslutades {fmt_datetime(deadline)}, {why}, och tar inte emot fler svar. "
            "Kontakta mottagningen om du behöver skicka något mer.",
        )


#: Case.closed_reason of a case staff marked handled before its deadline: replies stopped then.
HANDLED_EARLY = "hanterat"


def parse_case_number(text: str) -> int:
    """A case number typed by staff, or InvalidInput."""
    t = text.strip().lstrip("#Ää").strip("- ")
    if not is_ascii_digits(t) or len(t) > 12:
        raise InvalidInput(
            f"”{text.strip()[:20]}” är inte ett ärendenummer. Skriv bara siffrorna 0–9."
        )
    return int(t)
