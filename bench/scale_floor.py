"""The floor for bench/scale.py: each inbox question asked with raw sqlite3 and the best index.

The floor lives in a database of its own, built once from the measured one (cached next to
it in the temp folder): the same tables with the app's own definitions and rows (cases,
patient, unit, membership, attachment, download), plus the indexes a hand-written query would
want: (unit, sent_at, id) in full and per status (partial), (patient, sent_at), and an FTS5
index over search_name. The app's database is never given these indexes, so the app is
measured with exactly its own schema. Every floor query returns the page's rows and columns
(case, times, counters, patient, unit) and the page's per-case file counts, as the inbox does.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

TABLES = ("unit", "membership", "patient", "cases", "attachment", "download")
INDEXES = (
    "CREATE INDEX f_unit_sent ON cases (unit_id, sent_at, id, patient_id)",
    "CREATE INDEX f_waiting ON cases (unit_id, sent_at, id)"
    " WHERE handled_at IS NULL AND patient_messages = 0",
    "CREATE INDEX f_answered ON cases (unit_id, sent_at, id)"
    " WHERE handled_at IS NULL AND patient_messages > 0",
    "CREATE INDEX f_handled ON cases (unit_id, sent_at, id) WHERE handled_at IS NOT NULL",
    "CREATE INDEX f_patient ON cases (patient_id, unit_id, sent_at, id)",
    "CREATE INDEX f_deadline ON cases (unit_id, deadline_at)",
    "CREATE INDEX f_undecided ON attachment (case_id) WHERE decision IS NULL",
    "CREATE INDEX f_copies ON download (case_id) WHERE cleaned_at IS NULL",
)
COLUMNS = (
    "c.id, c.sent_at, c.deadline_at, c.patient_messages, c.handled_at, c.file_count, "
    "p.pnr, p.first_name, p.last_name, u.name, u.code"
)
JOINS = "JOIN patient p ON p.id = c.patient_id JOIN unit u ON u.id = c.unit_id"
#: Which partial index serves a status, and what the clock adds to it.
STATES = {
    "Väntar på svar": ("handled_at IS NULL AND patient_messages = 0", "deadline_at > :now"),
    "Besvarat": ("handled_at IS NULL AND patient_messages > 0", "deadline_at > :now"),
    "Avslutat automatiskt": ("handled_at IS NULL AND patient_messages = 0", "deadline_at <= :now"),
    "Avslutat": ("handled_at IS NULL AND patient_messages > 0", "deadline_at <= :now"),
    "Hanterat": ("handled_at IS NOT NULL", "1"),
}


def build(src: Path, out: Path) -> float:
    """Make the floor database from src (unless out is already newer); returns seconds taken."""
    if out.exists() and out.stat().st_mtime > src.stat().st_mtime:
        return 0.0
    started = time.monotonic()
    tmp = out.with_suffix(".part")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute(f"ATTACH DATABASE '{src.resolve().as_uri()}?mode=ro' AS src")
    db.execute("BEGIN")
    for table in TABLES:
        (sql,) = db.execute(
            "SELECT sql FROM src.sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        db.execute(sql)
        db.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table}")
    db.execute(
        "CREATE VIRTUAL TABLE patient_fts USING fts5(search_name, content='',"
        " tokenize='unicode61 remove_diacritics 0')"
    )
    db.execute("INSERT INTO patient_fts (rowid, search_name) SELECT id, search_name FROM patient")
    for sql in INDEXES:
        db.execute(sql)
    db.execute("COMMIT")
    db.execute("DETACH DATABASE src")
    db.execute("ANALYZE")
    db.close()
    tmp.replace(out)
    return time.monotonic() - started


class Floor:
    """The floor's questions over one staff member's units."""

    def __init__(self, path: Path, units: Sequence[int], limit: int) -> None:
        self.path = path
        self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        self.db.execute("PRAGMA temp_store=MEMORY")
        self.units, self.limit = list(units), limit
        self.patients = self.db.execute("SELECT count(*) FROM patient").fetchone()[0]

    def _counts(self, rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        ids = [r[0] for r in rows if r[5]]
        if ids:
            marks = ",".join("?" * len(ids))
            for table, cond in (
                ("attachment", "decision IS NULL"),
                ("download", "cleaned_at IS NULL"),
            ):
                self.db.execute(
                    f"SELECT case_id, count(*) FROM {table} WHERE case_id IN ({marks}) AND {cond}"
                    " GROUP BY case_id",
                    ids,
                ).fetchall()
        return rows

    def page(
        self, now: str, state: str | None = None, bound: str = "1", order: str = "DESC",
        args: dict[str, object] | None = None,
    ) -> list[tuple[object, ...]]:  # fmt: skip
        """A page of the (filtered) inbox: newest first, or the oldest (order ASC), from a bound."""
        cond, clock = STATES[state] if state else ("1", "1")
        # The open states are a few hundred cases by deadline: read them all, then sort.
        table = "cases INDEXED BY f_deadline" if clock.startswith("deadline_at >") else "cases"
        arm = (
            f"SELECT * FROM (SELECT id, sent_at FROM {table} WHERE unit_id = {{u}} AND {cond} AND"
            f" {clock} AND {bound} ORDER BY sent_at {order}, id {order} LIMIT :n)"
        )
        keys = " UNION ALL ".join(arm.format(u=int(u)) for u in self.units)
        sql = (
            f"SELECT {COLUMNS} FROM ({keys}) k JOIN cases c ON c.id = k.id {JOINS}"
            f" ORDER BY k.sent_at {order}, k.id {order} LIMIT :n"
        )
        rows = self.db.execute(sql, {"now": now, "n": self.limit, **(args or {})}).fetchall()
        if order == "ASC":
            rows.reverse()
        return self._counts(rows)

    def cold_page(self, now: str) -> list[tuple[object, ...]]:
        """The first page on a connection opened for it, as a new process reads at start-up
        (opening the file and reading its schema count, as they do for the app's read)."""
        warm, self.db = (
            self.db,
            sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True),
        )
        try:
            return self.page(now)
        finally:
            self.db.close()
            self.db = warm

    def _search(self, where: str, args: Sequence[object]) -> list[tuple[object, ...]]:
        marks = ",".join(str(int(u)) for u in self.units)
        sql = (
            f"SELECT {COLUMNS} FROM cases c {JOINS} WHERE c.unit_id IN ({marks}) AND {where}"
            " ORDER BY c.sent_at DESC, c.id DESC LIMIT ?"
        )
        return self._counts(self.db.execute(sql, [*args, self.limit]).fetchall())

    def case_number(self, number: int) -> list[tuple[object, ...]]:
        return self._search("c.id = ?", [number])

    def pnr(self, digits: str) -> list[tuple[object, ...]]:
        return self._search("c.patient_id = (SELECT id FROM patient WHERE pnr = ?)", [digits])

    def born(self, yyyymmdd: str) -> list[tuple[object, ...]]:
        upper = str(int(yyyymmdd) + 1)
        where = "c.patient_id IN (SELECT id FROM patient WHERE pnr >= ? AND pnr < ?)"
        return self._search(where, [yyyymmdd, upper])

    def name(self, text: str) -> list[tuple[object, ...]]:
        """FTS5 finds the patients; few of them: their cases by (patient, sent_at); many (a
        common surname): the units' newest cases, kept when their patient is among them (the
        cheaper of the two, as a hand-written search would choose)."""
        match = " AND ".join(f'"{w}"*' for w in text.casefold().split())
        ids = [r[0] for r in self.db.execute(
            "SELECT rowid FROM patient_fts WHERE patient_fts MATCH ?", [match])]  # fmt: skip
        if not ids:
            return []
        # Driving from the patients costs ~ids x cases per patient; scanning the units' newest
        # cases ~limit x patients / ids per unit: the two cross near sqrt(30 x patients).
        if len(ids) ** 2 <= 30 * self.patients:
            where = f"c.patient_id IN ({','.join(str(i) for i in ids)})"
            return self._search(where, [])
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY)")
        self.db.execute("DELETE FROM temp.hits")
        self.db.executemany("INSERT INTO temp.hits VALUES (?)", [(i,) for i in ids])
        self.db.commit()
        return self.page("", None, "+patient_id IN (SELECT id FROM temp.hits)")

    def around(self, now: str, key: tuple[str, int]) -> list[tuple[object, ...]]:
        """The page about a case: half newer than it, the case and the rest older."""
        args = {"s": key[0], "i": key[1]}
        half, self.limit = self.limit, self.limit // 2
        try:
            newer = self.page(now, None, "(sent_at, id) > (:s, :i)", "ASC", args)
            older = self.page(now, None, "(sent_at, id) <= (:s, :i)", "DESC", args)
        finally:
            self.limit = half
        return newer + older

    def counts(self, now: str) -> list[int]:
        """Per status, cheap indexed counts per unit: each partial index counted whole (index
        only), less its open cases found through (unit, deadline) (a few hundred at most)."""
        out = {name: 0 for name in STATES}
        for u in self.units:
            for waiting, closed, cond in (
                ("Väntar på svar", "Avslutat automatiskt", STATES["Väntar på svar"][0]),
                ("Besvarat", "Avslutat", STATES["Besvarat"][0]),
            ):
                q = f"SELECT count(*) FROM cases WHERE unit_id = :u AND {cond}"
                total = self.db.execute(q, {"u": u}).fetchone()[0]
                q += " AND deadline_at > :now"
                open_ = self.db.execute(q, {"u": u, "now": now}).fetchone()[0]
                out[waiting] += open_
                out[closed] += total - open_
            q = f"SELECT count(*) FROM cases WHERE unit_id = :u AND {STATES['Hanterat'][0]}"
            out["Hanterat"] += self.db.execute(q, {"u": u}).fetchone()[0]
        return list(out.values())
