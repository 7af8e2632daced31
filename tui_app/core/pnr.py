"""Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tui_app.core.errors import InvalidInput

# [0-9], not \d: \d also matches Arabic-Indic, full-width and other digits, and the same person
# typed in another script would become a second patient.
_PATTERN = re.compile(r"^([0-9]{2})?([0-9]{2})([0-9]{2})([0-9]{2})([-+]?)([0-9]{3})([0-9])$")


def is_ascii_digits(text: str) -> bool:
    """True when text is one or more of the digits 0-9 and nothing else.

    str.isdigit() is not enough: it accepts '²', '١' and '９', which int() then refuses or
    reads as another number."""
    return bool(text) and text.isascii() and text.isdigit()


def _other_digits(text: str) -> bool:
    return any(ch.isdigit() and not ch.isascii() for ch in text)


@dataclass(frozen=True, order=True)
class Pnr:
    """A validated personal identity number, stored as 12 digits."""

    digits: str

    @property
    def display(self) -> str:
        """The number as YYYYMMDD-NNNN."""
        return f"{self.digits[:8]}-{self.digits[8:]}"

    @property
    def is_coordination_number(self) -> bool:
        """True for a samordningsnummer (day of birth + 60)."""
        return int(self.digits[6:8]) > 60

    def __str__(self) -> str:
        return self.display


def luhn_ok(ten_digits: str) -> bool:
    """Check the Luhn check digit over the 10-digit form."""
    total = 0
    for i, ch in enumerate(ten_digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


NO_SUCH_DATE = "datumet finns inte"
FUTURE_DATE = "datumet ligger i framtiden"
BAD_CHECK_DIGIT = "kontrollsiffran stämmer inte"
_ADVICE = {
    NO_SUCH_DATE: " Kontrollera siffrorna.",
    FUTURE_DATE: "",
    BAD_CHECK_DIGIT: " Kontrollera att du skrivit rätt.",
}


def parse_pnr(text: str, today: date | None = None) -> Pnr:
    """Parse and validate a personal identity number in any usual form, or raise InvalidInput."""
    raw = text.strip().replace(" ", "")
    m = _PATTERN.match(raw)
    if not m and _other_digits(raw):
        raise InvalidInput(
            f"”{text.strip()[:40]}” innehåller siffror som inte är vanliga siffror 0–9 "
            "(t.ex. arabiska eller breda siffror). Skriv personnumret med 0–9, "
            "till exempel 19900222-2397."
        )
    if not m:
        raise InvalidInput(
            f"”{text.strip()[:40]}” är inte ett personnummer. "
            "Skriv det som ÅÅÅÅMMDD-NNNN, till exempel 19900222-2397."
        )
    pnr, problem = _validated(m, today or date.today())
    if pnr is None:
        raise InvalidInput(f"{raw} är inte ett giltigt personnummer: {problem}.{_ADVICE[problem]}")
    return pnr


def _validated(m: re.Match[str], today: date) -> tuple[Pnr | None, str]:
    """The number the pattern's match stands for, or None and what is wrong with it."""
    century, yy, mm, dd, sep, serial, check = m.groups()
    if century is None:
        # Ten digits: the century follows from the separator, as Skatteverket defines it.
        year = 2000 + int(yy)
        if year > today.year:
            year -= 100
        if sep == "+":
            year -= 100
    else:
        year = int(century + yy)
    day = int(dd)
    if day > 60:
        day -= 60
    try:
        born = date(year, int(mm), day)
    except ValueError:
        return None, NO_SUCH_DATE
    if born > today:
        return None, FUTURE_DATE
    if not luhn_ok(f"{yy}{mm}{dd}{serial}{check}"):
        return None, BAD_CHECK_DIGIT
    return Pnr(f"{year:04d}{mm}{dd}{serial}{check}"), ""


def why_not_pnr(text: str, today: date | None = None) -> str | None:
    """For a text written like a personal identity number that is not a valid one, what is
    wrong with it (NO_SUCH_DATE, FUTURE_DATE or BAD_CHECK_DIGIT); otherwise None. The
    inbox's search says so under an empty list: a mistyped digit finds nobody."""
    raw = text.strip().replace(" ", "")
    m = _PATTERN.match(raw)
    if not m:
        return None
    today = today or date.today()
    pnr, problem = _validated(m, today)
    if pnr is not None or (problem == NO_SUCH_DATE and _typing_twelve(raw, today)):
        return None  # a date that cannot be, in a number still being typed: no hint yet
    return problem


def _typing_twelve(raw: str, today: date) -> bool:
    """Ten digits that begin like a 12-digit number (YYYYMMDD of a real past date, century
    18-20): when their 10-digit reading has no such date, most likely that number half
    typed, "1975031212…". (A wrong check digit keeps its hint: "2001051234" is a child's
    10-digit number as often as half of a 12-digit one.)"""
    if len(raw) != 10 or not raw.isdigit() or raw[:2] not in ("18", "19", "20"):
        return False
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8])) <= today
    except ValueError:
        return False


def looks_like_pnr(text: str) -> bool:
    """True when the text has the shape of a personal identity number (for search)."""
    return bool(_PATTERN.match(text.strip().replace(" ", "")))
