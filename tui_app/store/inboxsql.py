"""The inbox query's one definition: plain SQL with `:name` parameters, per dialect.

Both the service (through SQLAlchemy `text()`) and the start-up read (store.quick, through
Python's sqlite3) run what `page_sql` builds, so they give the same rows in the same order.

Shape, chosen so that the cost follows the page and never the size of the database:
- one index-ordered branch **per unit** of the actor (`unit_id = :u0 ... ORDER BY sent_at DESC,
  id DESC LIMIT :n`), the branches merged under an outer ORDER BY / LIMIT (a `unit_id IN (...)`
  cannot stop early: it reads and sorts the whole partition);
- the status filters as literal terms that match the partial indexes' WHERE clauses (SQLite uses
  a partial index only when the query repeats its terms literally, never as bound parameters);
  "open" is also the range `sent_at > now - REPLY_WINDOW`: the deadline of a case not handled is
  at most sent_at + REPLY_WINDOW (it is only ever moved earlier), and the exact test stays;
- keyset paging (never OFFSET): `sent_at <= :k_at AND (sent_at < :k_at OR id < :k_id)`, the
  first term an index range, the second the ties;
- a search as a patient filter: a small set of matching patients drives from the patient
  (`patient_id` index), a large one filters the ordered case scan (see services.inbox).
Datetimes are bound as the database stores them (`bind_time`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal

from tui_app.core.limits import REPLY_WINDOW
from tui_app.core.rules import CaseState

Dialect = Literal["sqlite", "postgresql"]
Direction = Literal["older", "newer"]  # older: newest first (DESC); newer: oldest first (ASC)
Params = dict[str, Any]

#: The columns of a page's row, in this order (services.inbox and store.quick read them so).
ROW_COLUMNS = (
    "b.id, b.sent_at, b.deadline_at, b.patient_messages, b.handled_at, b.file_count, "
    "p.pnr, p.first_name, p.last_name, u.name, u.code"
)
_CASE_COLUMNS = (
    "c.id, c.unit_id, c.patient_id, c.sent_at, c.deadline_at, c.patient_messages, "
    "c.handled_at, c.file_count"
)

#: The terms of each stored stage, literally as the partial indexes' WHERE (models.Case).
NOT_HANDLED_WAITING = "c.handled_at IS NULL AND c.patient_messages = 0"
NOT_HANDLED_ANSWERED = "c.handled_at IS NULL AND c.patient_messages > 0"
HANDLED = "c.handled_at IS NOT NULL"
_OPEN = "c.sent_at > :open_from AND c.deadline_at > :now"
_SHUT = "c.deadline_at <= :now"

STATE_SQL: dict[CaseState, str] = {
    CaseState.WAITING: f"{NOT_HANDLED_WAITING} AND {_OPEN}",
    CaseState.ANSWERED: f"{NOT_HANDLED_ANSWERED} AND {_OPEN}",
    CaseState.CLOSED_AUTO: f"{NOT_HANDLED_WAITING} AND {_SHUT}",
    CaseState.CLOSED: f"{NOT_HANDLED_ANSWERED} AND {_SHUT}",
    CaseState.HANDLED: HANDLED,
}


def bind_time(value: datetime | str | int | float | bytes, dialect: Dialect) -> object:
    """A datetime as the database compares it: SQLite keeps UTC text
    'YYYY-MM-DD HH:MM:SS.ffffff' (store.types, SQLAlchemy's format); PostgreSQL an aware value.
    Anything else is a value as stored (a row's own key, even a garbled one), bound as it is."""
    if not isinstance(value, datetime):
        return value
    if dialect == "sqlite":
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class PatientFilter:
    """A search that names patients: `where` is the exact test on `p` (patient), `ids` a
    subquery giving the matching patients' ids through an index (None: no index serves it,
    e.g. a name of one or two characters: only the ordered case scan can answer)."""

    where: str
    params: Mapping[str, Any] = field(default_factory=dict)  # read-only once made
    ids: str | None = None
    # The same test on the case row alone (cases.patient_name, in ix_cases_unit_sent_name),
    # for the ordered case scan: no patient row is read per case. None: only `where` can.
    on_case: str | None = None
    # At most one patient can match (an exact identity number, the unique index): on SQLite
    # `ids` stands in the page's own SQL, which that patient drives, and no probe reads it
    # first (services.inbox says why PostgreSQL probes it).
    unique: bool = False

    def __post_init__(self) -> None:
        # A search is parsed once and then shared by every page of it (inboxsearch's
        # cache): its parameters cannot be changed by one page's SQL.
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


@dataclass(frozen=True)
class Search:
    """A search: a case number, or patients, or both (a short number is either)."""

    case_id: int | None = None
    patients: PatientFilter | None = None
    nothing: bool = False  # a search no case can match


@dataclass(frozen=True)
class Bound:
    """The keyset bound of a page: rows strictly older / newer than a key, or from it on."""

    at: datetime | str | int | float | bytes  # not a datetime: the value as stored
    case_id: int
    inclusive: bool = False


@dataclass(frozen=True)
class PageQuery:
    """Everything a page's SQL depends on."""

    units: tuple[int, ...]
    now: datetime
    state: CaseState | None = None
    search: Search = Search()
    bound: Bound | None = None
    direction: Direction = "older"
    limit: int = 50
    # The search's patients when they are few (see services.inbox): they drive the page.
    patient_ids: tuple[int, ...] | None = None
    only_case: int | None = None  # just this case, if it is in the result (a page `around` it)


def _keyset(bound: Bound | None, direction: Direction) -> str:
    if bound is None:
        return ""
    if direction == "older":
        tie = "<=" if bound.inclusive else "<"
        return f" AND c.sent_at <= :k_at AND (c.sent_at < :k_at OR c.id {tie} :k_id)"
    tie = ">=" if bound.inclusive else ">"
    return f" AND c.sent_at >= :k_at AND (c.sent_at > :k_at OR c.id {tie} :k_id)"


def _common(q: PageQuery, dialect: Dialect) -> tuple[str, Params]:
    """The terms every branch shares (status, keyset), with their parameters."""
    params: Params = {"n": q.limit}
    terms = ""
    if q.state is not None:
        terms += f" AND {STATE_SQL[q.state]}"
        params["now"] = bind_time(q.now, dialect)
        if q.state in (CaseState.WAITING, CaseState.ANSWERED):
            params["open_from"] = bind_time(q.now - REPLY_WINDOW, dialect)
    terms += _keyset(q.bound, q.direction)
    if q.only_case is not None:
        terms += " AND c.id = :only"
        params["only"] = q.only_case
    if q.bound is not None:
        params["k_at"] = bind_time(q.bound.at, dialect)
        params["k_id"] = q.bound.case_id
    return terms, params


def _order(direction: Direction, alias: str) -> str:
    way = "DESC" if direction == "older" else "ASC"
    return f"ORDER BY {alias}.sent_at {way}, {alias}.id {way}"


def _patient_terms(pf: PatientFilter) -> str:
    """A case-scan's patient filter (many patients match: the page fills after a few
    hundred cases a unit, each tested in the index when the case carries the value, else
    through the patient's primary key)."""
    if pf.on_case is not None:
        return f" AND {pf.on_case}"
    return f" AND EXISTS (SELECT 1 FROM patient p WHERE p.id = c.patient_id AND {pf.where})"


def _by_patients(pf: PatientFilter, marks: str, units: str, terms: str, order: str, j: str) -> str:
    """The branch a search's few patients drive: their cases in the actor's units through
    ix_cases_patient_unit. A name is tested on the case's copy in that index, and the index
    alone picks the page's ids (no row read for a case that does not make the page)."""
    if pf.on_case is None:
        return (
            f"SELECT * FROM (SELECT {_CASE_COLUMNS} FROM patient p {j} cases c "
            f"ON c.patient_id = p.id WHERE p.id IN ({marks}) AND {pf.where} "
            f"AND c.unit_id IN ({units}){terms} {order} LIMIT :n) AS d"
        )
    picked = (
        f"SELECT c.id FROM cases c WHERE c.patient_id IN ({marks}) AND {pf.on_case} "
        f"AND c.unit_id IN ({units}){terms} {order} LIMIT :n"
    )
    cols = _CASE_COLUMNS.replace("c.", "w.")
    return f"SELECT {cols} FROM ({picked}) AS k {j} cases w ON w.id = k.id"


def _branches(q: PageQuery, dialect: Dialect, terms: str, params: Params) -> list[str]:
    """The inner queries, each index-ordered and LIMITed, whose union holds the page."""
    fixed = "CROSS JOIN" if dialect == "sqlite" else "JOIN"  # SQLite: keep this join order
    order = _order(q.direction, "c")
    out: list[str] = []
    units = ", ".join(f":u{i}" for i in range(len(q.units)))
    s = q.search
    if s.case_id is not None:  # the primary key: one row at most
        params["case_id"] = s.case_id
        out.append(
            f"SELECT {_CASE_COLUMNS} FROM cases c WHERE c.id = :case_id "
            f"AND c.unit_id IN ({units}){terms}"
        )
    pf = s.patients
    if pf is not None:
        params.update(pf.params)
        if q.patient_ids is not None:
            if q.patient_ids:  # none: only the case number can match
                marks, ids = ids_list("pid", list(q.patient_ids))
                params.update(ids)
                out.append(_by_patients(pf, marks, units, terms, order, fixed))
        elif pf.unique and pf.ids is not None:  # the one patient, by its subquery
            out.append(_by_patients(pf, pf.ids, units, terms, order, fixed))
        else:  # the ordered case scan of each unit, the patients as a filter
            for i in range(len(q.units)):
                out.append(
                    f"SELECT * FROM (SELECT {_CASE_COLUMNS} FROM cases c "
                    f"WHERE c.unit_id = :u{i}{terms}{_patient_terms(pf)} {order} LIMIT :n) AS b{i}"
                )
    elif s.case_id is None:
        for i in range(len(q.units)):
            out.append(
                f"SELECT * FROM (SELECT {_CASE_COLUMNS} FROM cases c "
                f"WHERE c.unit_id = :u{i}{terms} {order} LIMIT :n) AS b{i}"
            )
    return out


def page_sql(q: PageQuery, dialect: Dialect) -> tuple[str, Params] | None:
    """The SQL of one page (`limit` rows at most, in the direction's order), or None when no
    row can match (no units, or a search that names nothing)."""
    if not q.units or q.search.nothing:
        return None
    terms, params = _common(q, dialect)
    params.update({f"u{i}": u for i, u in enumerate(q.units)})
    branches = _branches(q, dialect, terms, params)
    if not branches:
        return None
    # UNION, not UNION ALL, when a case can come twice (its number and its patient both match).
    glue = " UNION ALL " if len(branches) == 1 or q.search.case_id is None else " UNION "
    fixed = "CROSS JOIN" if dialect == "sqlite" else "JOIN"
    sql = (
        f"SELECT {ROW_COLUMNS} FROM ({glue.join(branches)}) AS b "
        f"{fixed} patient p ON p.id = b.patient_id {fixed} unit u ON u.id = b.unit_id "
        f"{_order(q.direction, 'b')} LIMIT :n"
    )
    return sql, params


def probe_sql(pf: PatientFilter, bound: int) -> tuple[str, Params] | None:
    """The matching patients' ids, `bound` at most (None: no index can find them)."""
    if pf.ids is None:
        return None
    return f"{pf.ids} LIMIT :probe", {**pf.params, "probe": bound}


def ids_list(prefix: str, ids: list[int]) -> tuple[str, Params]:
    """`:i0, :i1, ...` and their parameters, for an IN list."""
    return ", ".join(f":{prefix}{i}" for i in range(len(ids))), {
        f"{prefix}{i}": v for i, v in enumerate(ids)
    }


def file_counts_sql(ids: list[int]) -> tuple[str, Params]:
    """Per case: files without a decision (kind 0) and downloaded copies not yet cleaned up
    (kind 1), in one statement (one round trip less than two): rows (kind, case_id, n)."""
    marks, params = ids_list("f", ids)
    return (
        "SELECT 0, case_id, count(*) FROM attachment "
        f"WHERE case_id IN ({marks}) AND decision IS NULL GROUP BY case_id UNION ALL "
        "SELECT 1, case_id, count(*) FROM download "
        f"WHERE case_id IN ({marks}) AND cleaned_at IS NULL GROUP BY case_id",
        params,
    )


def file_counts_of(rows: Iterable[Sequence[Any]]) -> tuple[dict[int, int], dict[int, int]]:
    """file_counts_sql's rows as (undecided files, downloaded copies) per case."""
    undecided: dict[int, int] = {}
    copies: dict[int, int] = {}
    for kind, case_id, n in rows:
        (copies if kind else undecided)[case_id] = n
    return undecided, copies


def units_sql() -> str:
    """Whether the staff member is active, and their current units (R05), one row per unit
    (a NULL unit: none)."""
    return (
        "SELECT s.active, m.unit_id FROM staff s LEFT JOIN membership m ON m.staff_id = s.id "
        "WHERE s.id = :staff ORDER BY m.unit_id"
    )


def counts_sql(units: tuple[int, ...], now: datetime, dialect: Dialect) -> tuple[str, Params]:
    """The actor's cases per stored stage (the counters of case_count, kept by triggers) and,
    of stages 0 and 1, the open ones: a range of REPLY_WINDOW's traffic on the partial
    indexes (`sent_at > :open_from`), so no count reads more than the last two days."""
    marks = ", ".join(f":u{i}" for i in range(len(units)))
    stage = (
        f"(SELECT coalesce(sum(n), 0) FROM case_count WHERE unit_id IN ({marks}) AND stage = {{}})"
    )
    open_ = f"(SELECT count(*) FROM cases c WHERE c.unit_id IN ({marks}) AND {{}} AND {_OPEN})"
    parts = (
        stage.format(0),
        open_.format(NOT_HANDLED_WAITING),
        stage.format(1),
        open_.format(NOT_HANDLED_ANSWERED),
        stage.format(2),
    )
    params: Params = {f"u{i}": u for i, u in enumerate(units)}
    params["now"] = bind_time(now, dialect)
    params["open_from"] = bind_time(now - REPLY_WINDOW, dialect)
    return "SELECT " + ", ".join(parts), params
