"""What the inbox's search field asks, as SQL terms that each use one index (store.inboxsql).

The forms, as the inbox has always read them:
- a number of at most 9 digits: a case number (the primary key), or the start of a personal
  identity number (a range on the unique `pnr` index; an 8-digit birth date is one);
- a personal identity number in any written form: that number exactly (the unique index); one
  that does not validate: the numbers starting with its digits;
- other digits without letters (e.g. "0125-2386"): identity numbers containing them;
- anything else: the casefolded name "first last" containing the text. SQLite finds the
  patients through the FTS5 trigram table `patient_fts`, PostgreSQL through the pg_trgm GIN
  index; both need 3 characters, so a shorter text only filters the ordered case scan.
Every form keeps its exact test on `p` (the patient row), so an index only narrows.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from tui_app.core.errors import InvalidInput
from tui_app.core.pnr import is_ascii_digits, looks_like_pnr, parse_pnr
from tui_app.store.inboxsql import Dialect, PatientFilter, Search

TRIGRAM = 3  # characters a trigram index needs to find anything


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _next_prefix(digits: str) -> str | None:
    """The smallest digit string above every string starting with `digits` (None: there is
    none, e.g. '99'). Only digits, so the range holds under any collation."""
    n = list(digits)
    for i in range(len(n) - 1, -1, -1):
        if n[i] != "9":
            n[i] = chr(ord(n[i]) + 1)
            return "".join(n[: i + 1])
    return None


def pnr_prefix(digits: str) -> PatientFilter:
    """Identity numbers starting with these digits: a range on the unique index."""
    hi = _next_prefix(digits)
    upper = " AND {a}.pnr < :phi" if hi is not None else ""
    params: dict[str, object] = {"plo": digits}
    if hi is not None:
        params["phi"] = hi
    return PatientFilter(
        where="p.pnr >= :plo" + upper.format(a="p"),
        params=params,
        ids="SELECT q.id FROM patient q WHERE q.pnr >= :plo" + upper.format(a="q"),
    )


def pnr_exact(digits: str) -> PatientFilter:
    """One identity number (12 digits), exactly."""
    return PatientFilter(
        where="p.pnr = :pnr",
        params={"pnr": digits},
        ids="SELECT q.id FROM patient q WHERE q.pnr = :pnr",
        unique=True,
    )


def _fts(column: str, text: str) -> str:
    return f'{column} : "{text.replace(chr(34), chr(34) * 2)}"'


def _fts_any_order(column: str, text: str) -> str:
    """An FTS5 trigram query for the rows containing `text`, looser than the phrase: its
    trigrams at every third place (and the last one), in any order. Every row containing the
    text contains them, so the match is a superset (the exact test runs after), and it reads
    a third of the phrase's doclists and checks no positions: a full name's match, ~30 %
    faster at 1M."""
    if len(text) <= TRIGRAM:
        return _fts(column, text)
    grams = [text[i : i + TRIGRAM] for i in range(0, len(text) - TRIGRAM + 1, TRIGRAM)]
    grams.append(text[-TRIGRAM:])
    quoted = " AND ".join(f'"{g.replace(chr(34), chr(34) * 2)}"' for g in dict.fromkeys(grams))
    return f"{column} : ({quoted})"


def pnr_contains(digits: str, dialect: Dialect) -> PatientFilter:
    """Identity numbers containing these digits anywhere."""
    if dialect == "sqlite":
        ids = "SELECT rowid FROM patient_fts WHERE patient_fts MATCH :fts"
        return PatientFilter(
            where="instr(p.pnr, :digits) > 0",
            params={"digits": digits, "fts": _fts("pnr", digits)},
            ids=ids if len(digits) >= TRIGRAM else None,
        )
    # PostgreSQL has no trigram index on pnr: the ordered case scan filters (a rare form:
    # digits with other signs that are not a whole number nor its start).
    return PatientFilter(where="p.pnr LIKE :like ESCAPE '\\'", params={"like": _like(digits)})


def name_contains(text: str, dialect: Dialect) -> PatientFilter:
    """Patients whose casefolded "first last" contains the (casefolded) text."""
    folded = text.casefold()
    where = "p.search_name LIKE :like ESCAPE '\\'"
    params: dict[str, object] = {"like": _like(folded)}
    # The case's copy of the name: instr is an exact substring test (both sides casefolded),
    # cheaper than LIKE's per-character matching on SQLite.
    if dialect == "sqlite":
        on_case = "instr(c.patient_name, :folded) > 0"
        params["folded"] = folded
    else:
        on_case = "c.patient_name LIKE :like ESCAPE '\\'"
    if len(folded) < TRIGRAM:
        return PatientFilter(where=where, params=params, on_case=on_case)
    if dialect == "sqlite":
        params["fts"] = _fts_any_order("search_name", folded)
        ids = "SELECT rowid FROM patient_fts WHERE patient_fts MATCH :fts"
    else:
        ids = "SELECT q.id FROM patient q WHERE q.search_name LIKE :like ESCAPE '\\'"
    return PatientFilter(where=where, params=params, ids=ids, on_case=on_case)


def search_for(query: str, dialect: Dialect) -> Search:
    """The search field's text as one of the forms above ("" or blank: no search). Parsed
    once a day per text: every page of a search, and each refresh, asks again."""
    return _search_for(query, dialect, date.today())  # today: the century of a 10-digit form


@lru_cache(maxsize=256)
def _search_for(query: str, dialect: Dialect, today: date) -> Search:
    q = query.strip()
    if not q:
        return Search()
    # Only 0-9 count as digits (a '²' or '١' is text, never a number: int() would fail on it).
    digits = "".join(ch for ch in q if is_ascii_digits(ch))
    if is_ascii_digits(q) and len(q) <= 9:
        return Search(case_id=int(q), patients=pnr_prefix(q))
    if looks_like_pnr(q):
        try:
            return Search(patients=pnr_exact(parse_pnr(q, today).digits))
        except InvalidInput:
            return Search(patients=pnr_prefix(digits)) if digits else Search(nothing=True)
    if digits and not any(ch.isalpha() for ch in q):
        return Search(patients=pnr_contains(digits, dialect))
    return Search(patients=name_contains(q, dialect))
