"""What the inbox's search field asks, as SQL terms that each use one index (store.inboxsql).

The forms, as the inbox has always read them:
- a number of at most 9 digits: a case number (the primary key), or the start of a personal
  identity number (a range on the unique `pnr` index; an 8-digit birth date is one);
- a personal identity number in any written form: that number exactly (the unique index); one
  that does not validate: the numbers starting with its digits;
- other digits without letters (e.g. "0125-2386"): identity numbers containing them;
- anything else: the casefolded name "first last" containing the text, or for 2 to 4 words
  one of their rotations (a surname typed first: name_orders). SQLite finds the
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


def _grams(text: str) -> list[str]:
    """Trigrams of `text` at every third place, and its last one."""
    grams = [text[i : i + TRIGRAM] for i in range(0, len(text) - TRIGRAM + 1, TRIGRAM)]
    grams.append(text[-TRIGRAM:])
    return grams


def _all_of(column: str, grams: list[str]) -> str:
    quoted = " AND ".join(f'"{g.replace(chr(34), chr(34) * 2)}"' for g in dict.fromkeys(grams))
    return f"{column} : ({quoted})"


def _fts_any_order(column: str, text: str) -> str:
    """An FTS5 trigram query for the rows containing `text`, looser than the phrase: its
    trigrams at every third place (and the last one), in any order. Every row containing the
    text contains them, so the match is a superset (the exact test runs after), and it reads
    a third of the phrase's doclists and checks no positions: a full name's match, ~30 %
    faster at 1M."""
    if len(text) <= TRIGRAM:
        return _fts(column, text)
    return _all_of(column, _grams(text))


def _fts_words(column: str, orders: list[str]) -> str:
    """The FTS5 query for a name in any of these orders of its words: the trigrams of each
    word of 3 or more characters (every order contains them all, so one query serves them
    all; over 25 random names at 1M as fast as the phrase's own, 0.58 against 0.57 ms), or
    where no word is that long ("li wu"), each order's own query."""
    grams = [g for w in orders[0].split() if len(w) >= TRIGRAM for g in _grams(w)]
    if grams:
        return _all_of(column, grams)
    return " OR ".join(_fts_any_order(column, o) for o in orders)


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


ROTATED = 4  # a name of 2 to this many words is also found with its words rotated


def name_orders(folded: str) -> list[str]:
    """The name as typed, and for 2 to ROTATED words each rotation of its words: staff
    often type the surname first ("pereira hans" is Hans Pereira, "lundgren hanna maria" is
    Hanna Maria Lundgren). Whole rotations only, so "per persson" still finds Per Persson
    and not Anna Persson, whose name merely contains both words. The words are always
    joined by one space (as search_name has them), however many there are."""
    words = folded.split()
    if not words:
        return [folded]
    if len(words) == 1 or len(words) > ROTATED:
        return [" ".join(words)]
    return [" ".join(words[i:] + words[:i]) for i in range(len(words))]


def _any(terms: list[str]) -> str:
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def name_contains(text: str, dialect: Dialect) -> PatientFilter:
    """Patients whose casefolded "first last" contains the (casefolded) text, or one of its
    words' rotations (name_orders)."""
    orders = name_orders(text.casefold())
    names = [f"like{i}" if i else "like" for i in range(len(orders))]
    params: dict[str, object] = {n: _like(o) for n, o in zip(names, orders, strict=True)}
    where = _any([f"p.search_name LIKE :{n} ESCAPE '\\'" for n in names])
    # The case's copy of the name: instr is an exact substring test (both sides casefolded),
    # cheaper than LIKE's per-character matching on SQLite.
    if dialect == "sqlite":
        folded = [f"folded{i}" if i else "folded" for i in range(len(orders))]
        params.update(zip(folded, orders, strict=True))
        on_case = _any([f"instr(c.patient_name, :{f}) > 0" for f in folded])
    else:
        on_case = _any([f"c.patient_name LIKE :{n} ESCAPE '\\'" for n in names])
    if len(orders[0]) < TRIGRAM:
        return PatientFilter(where=where, params=params, on_case=on_case)
    if dialect == "sqlite":
        params["fts"] = (
            _fts_any_order("search_name", orders[0])
            if len(orders) == 1
            else _fts_words("search_name", orders)
        )
        ids = "SELECT rowid FROM patient_fts WHERE patient_fts MATCH :fts"
    else:  # as on SQLite, one index scan for every order: each long enough word in the name
        words = [w for w in orders[0].split() if len(w) >= TRIGRAM] if len(orders) > 1 else []
        params.update({f"word{i}": _like(w) for i, w in enumerate(words)})
        test = [f"q.search_name LIKE :word{i} ESCAPE '\\'" for i in range(len(words))]
        ids = "SELECT q.id FROM patient q WHERE " + (
            " AND ".join(test) if test else where.replace("p.search_name", "q.search_name")
        )
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
