"""Every inbox, search and count statement is served by an index (issue 14).

The statements are the ones the service really runs (recorded from services.inbox.run) for
every status × search form × page, over a few thousand generated cases after ANALYZE. On
SQLite none may `SCAN` cases, patient or the audit log, every per-unit branch walks an index
in the inbox order (no sort inside it: it stops after a page), and each status uses its
partial index. On PostgreSQL the trigram index exists and, with sequential scans disabled, no
plan still has to scan cases or patient in full.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta
from typing import Any

import pytest

from tests import pg
from tests.conftest import ELIN, staff
from tui_app.core.rules import CaseState
from tui_app.services import inbox as inbox_query
from tui_app.services.context import Context
from tui_app.services.views import InboxKey, InboxWhere
from tui_app.store.inboxsql import STATE_SQL

SEARCHES = ["", "persson", "an", "anders persson", "persson anders", "1975", "19750312", ELIN, "000125-2386",
            "0125-23", "12", "zzzq"]  # fmt: skip
FORBIDDEN = re.compile(r"^SCAN (cases|patient|audit_entry|c|p|q)\b")
INDEX_OF = {
    CaseState.WAITING: "ix_cases_waiting",
    CaseState.CLOSED_AUTO: "ix_cases_waiting",
    CaseState.ANSWERED: "ix_cases_answered",
    CaseState.CLOSED: "ix_cases_answered",
    CaseState.HANDLED: "ix_cases_handled",
}
FIRST = ["Anders", "Anna", "Per", "Eva", "Lars", "Karin", "Nils", "Maja"]
LAST = ["Persson", "Andersson", "Lind", "Berg", "Holm", "Ek", "Nyström", "Ali"]


def generate(ctx: Context, patients: int = 1500, cases: int = 4000) -> None:
    """Patients and cases over danan12's units and others, every stage, then ANALYZE."""
    from sqlalchemy import text

    rnd = random.Random(14)
    now = ctx.now()
    with ctx.engine.begin() as c:
        units = [u for (u,) in c.execute(text("SELECT id FROM unit"))]
        (creator,) = c.execute(text("SELECT id FROM staff LIMIT 1")).one()
        (base,) = c.execute(text("SELECT coalesce(max(id), 0) FROM patient")).one()
        c.execute(
            text(
                "INSERT INTO patient (pnr, first_name, last_name, search_name, activated_1177) "
                "VALUES (:pnr, :f, :l, :s, true)"
            ),
            [
                {
                    "pnr": f"19{50 + i % 50:02d}{1 + i % 12:02d}{1 + i % 28:02d}{i:04d}",
                    "f": (f := rnd.choice(FIRST)),
                    "l": (ln := rnd.choice(LAST)),
                    "s": f"{f} {ln}".casefold(),
                }  # fmt: skip
                for i in range(patients)
            ],
        )
        rows = []
        for _ in range(cases):
            sent = now - timedelta(minutes=rnd.randrange(0, 400 * 24 * 60))
            handled = rnd.random() < 0.6
            rows.append(
                {
                    "u": rnd.choice(units),
                    "p": base + 1 + rnd.randrange(patients),
                    "by": creator,
                    "s": sent,
                    "d": sent + timedelta(hours=48),
                    "h": sent + timedelta(hours=3) if handled else None,
                    "m": 1 if handled else rnd.choice([0, 1, 2]),
                }
            )
        c.execute(
            text(
                "INSERT INTO cases (unit_id, patient_id, created_by, sent_at, deadline_at, "
                "handled_at, patient_messages, file_count) "
                "VALUES (:u, :p, :by, :s, :d, :h, :m, 0)"
            ),
            rows,
        )
        c.execute(text("ANALYZE"))


def recorded(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every statement the service runs for every status × search × page, and the counts."""
    seen: list[tuple[str, dict[str, Any]]] = []
    real = inbox_query.run

    def spy(conn: Any, statement: str, params: dict[str, Any]) -> list[Any]:
        seen.append((statement, dict(params)))
        return real(conn, statement, params)

    monkeypatch.setattr(inbox_query, "run", spy)
    dan = staff(ctx, "danan12")
    for state in (None, *CaseState):
        for q in SEARCHES:
            for bound in (None, 1):  # the patients drive, or filter the ordered case scan
                if bound is not None:
                    monkeypatch.setattr(inbox_query, "PROBE", 1)  # a match is "many"
                    monkeypatch.setattr(inbox_query, "probe_bound", lambda n, p: 1)
                first = inbox_query.page(ctx, dan, state, q, limit=20)
                key = first.rows[-1].key if first.rows else InboxKey(ctx.now(), 1)
                for where in (
                    InboxWhere(after=key),
                    InboxWhere(start=key),
                    InboxWhere(before=key),
                    InboxWhere(last=True),
                    InboxWhere(around=first.rows[0].case_id if first.rows else 1),
                ):
                    inbox_query.page(ctx, dan, state, q, where, limit=20)
                monkeypatch.undo() if bound is not None else None
                monkeypatch.setattr(inbox_query, "run", spy)
    inbox_query.counts(ctx, dan)
    return seen


def _plan(c: Any, statement: str, params: dict[str, Any]) -> list[tuple[int, int, str]]:
    return [(r[0], r[1], r[3]) for r in c.execute("EXPLAIN QUERY PLAN " + statement, params)]


@pytest.mark.skipif(pg.enabled(), reason="SQLite's planner; PostgreSQL's is checked below")
def test_no_inbox_search_or_count_statement_scans_a_big_table(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(ctx)
    statements = recorded(ctx, monkeypatch)
    assert len(statements) > 500
    with ctx.engine.connect() as conn:
        c = conn.connection.dbapi_connection
        assert c is not None
        for statement, params in statements:
            plan = _plan(c, statement, params)
            details = {i: d for i, _, d in plan}
            for i, parent, d in plan:
                assert not FORBIDDEN.match(d), (d, statement)
                if d == "USE TEMP B-TREE FOR ORDER BY":  # a sort: never inside a unit's branch
                    assert not re.match(r"CO-ROUTINE b\d+", details.get(parent, "")), statement
            for state, index in INDEX_OF.items():
                if f" AND {STATE_SQL[state]}" in statement and "count(*)" not in statement:
                    assert any(index in d or "INTEGER PRIMARY KEY" in d for d in details.values())


@pytest.mark.skipif(not pg.enabled(), reason="PostgreSQL's planner")
def test_on_postgresql_the_trigram_index_exists_and_serves_every_statement(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import text

    from tui_app.services.inbox import _pyformat

    with ctx.engine.connect() as conn:
        (indexdef,) = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_patient_search_name'")
        ).one()
    assert "gin" in indexdef and "gin_trgm_ops" in indexdef
    generate(ctx)
    statements = recorded(ctx, monkeypatch)
    with ctx.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cur:
            cur.execute("SET enable_seqscan = off")
            for statement, params in statements:
                cur.execute("EXPLAIN " + _pyformat(statement), params)
                plan = "\n".join(r[0] for r in cur.fetchall())
                assert not re.search(r"Seq Scan on (cases|patient)\b", plan), (plan, statement)
