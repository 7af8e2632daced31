"""The template "Bifoga bild/fil till vården" and the patient's view of it (SPEC.md R06)."""

from __future__ import annotations

TEMPLATE_NAME = "Bifoga bild/fil till vården"

DEFAULT_TEXT = (
    "Hej!\n"
    "Här kan du skicka in bilder eller filer som vi har kommit överens om att vi ska titta på. "
    "Du kan svara på detta meddelande med upp till 5 filer. Dina filer kommer att journalföras "
    "om bedömning görs att de är av vikt för din vård eller hälsa.\n"
    "\n"
    "Vänliga hälsningar"
)

#: R06: staff may edit the text, but this sentence about the limits may not be removed.
LIMITS_SENTENCE = "Du kan svara på detta meddelande med upp till 5 filer."

INTRO = (
    "Du kan skriva en ny fråga eller svara på frågor i det här ärendet inom 2 dagar, "
    "därefter avslutas ärendet."
)
REPLY_HELP = (
    "För att skicka in dina filer klickar du på knappen Bifoga filer nedan.\n"
    "Du kan bifoga max 5 filer i formatet PDF, GIF, JPEG och PNG. "
    "Varje bifogad fil får vara max 20 MB."
)
DEADLINE_WARNING = "Du måste besvara denna fråga inom 2 dagar annars avslutas ärendet automatiskt."
BUTTON_ATTACH = "BIFOGA FILER"
BUTTON_SEND = "SKICKA"


#: R06: the patient's page verbatim as SPEC.md ("What the patient sees") gives it, placeholders
#: in braces. render_patient_view builds the page from the pieces above; a test proves it equals
#: this block filled in, and this block equals SPEC.md wherever the specification is at hand.
PATIENT_VIEW = (
    "Bifoga bild/fil till vården\n"
    "\n"
    "→ Till startsidan för {unit name}\n"
    "\n"
    "Du kan skriva en ny fråga eller svara på frågor i det här ärendet inom 2 dagar, "
    "därefter avslutas ärendet.\n"
    "\n"
    "Fråga\n"
    "\n"
    "{message text}\n"
    "\n"
    "{sender's first name}\n"
    "{date YYYY-MM-DD}\n"
    "Meddelandet skickades: {YYYY-MM-DD HH:MM}\n"
    "\n"
    "Svara\n"
    "\n"
    "För att skicka in dina filer klickar du på knappen Bifoga filer nedan.\n"
    "Du kan bifoga max 5 filer i formatet PDF, GIF, JPEG och PNG. "
    "Varje bifogad fil får vara max 20 MB.\n"
    "\n"
    "[BIFOGA FILER]\n"
    "\n"
    "Du måste besvara denna fråga inom 2 dagar annars avslutas ärendet automatiskt.\n"
    "\n"
    "[SKICKA]\n"
)


def patient_header(unit_name: str) -> list[str]:
    """The lines above the question, as 1177 shows them."""
    return [TEMPLATE_NAME, "", f"→ Till startsidan för {unit_name}", "", INTRO]


def question_block(body: str, first_name: str, sent_date: str, sent_at: str) -> list[str]:
    """The question with signature, date and send time, as 1177 shows it."""
    return ["Fråga", "", body, "", first_name, sent_date, f"Meddelandet skickades: {sent_at}"]


def reply_block() -> list[str]:
    """The reply form's texts, in 1177's order."""
    return [
        "Svara",
        "",
        REPLY_HELP,
        "",
        f"[{BUTTON_ATTACH}]",
        "",
        DEADLINE_WARNING,
        "",
        f"[{BUTTON_SEND}]",
    ]


def render_patient_view(
    unit_name: str, body: str, first_name: str, sent_date: str, sent_at: str
) -> str:
    """The whole page as plain text, exactly as SPEC.md shows it."""
    lines = patient_header(unit_name) + [""]
    lines += question_block(body, first_name, sent_date, sent_at) + [""]
    lines += reply_block()
    return "\n".join(lines)
