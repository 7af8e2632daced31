"""The paged inbox (issue 14) against a brute-force model of the same cases.

For every status filter × search form × page (first, after, start, before, last, around) ×
limit, at several clock positions, `inbox_page` gives exactly the model's rows: the actor's
current units only (R05: a membership removed counts at once), newest first by (sent_at,
case_id) with ties, a deactivated account refused, a garbled stored value a broken row.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from tests import pg
from tests.conftest import ANNA, ELIN, staff
from tui_app.core.errors import InvalidInput, RuleViolation
from tui_app.core.pnr import is_ascii_digits, looks_like_pnr, parse_pnr
from tui_app.core.routine import case_state
from tui_app.core.rules import CaseState
from tui_app.services.actor import Actor
from tui_app.services.context import Context
from tui_app.services import inbox as inbox_query
from tui_app.services.inbox import counts, page
from tui_app.services.views import InboxKey, InboxWhere
from tui_app.store.models import Case, Membership, Patient, Staff, Unit

NAMES = [
    ("Per", "Persson"),
    ("Anna", "Persson"),
    ("Åsa", "Öberg"),
    ("Karl", "Svensson-Ek"),
    ("Li", "Wu"),
    ("Märta", "100%_Ek"),
    ("Sean", "O'Brien"),
    ("Ulla", "Straße"),
    ("Anna Maria Lisa", "af Ek Berg"),  # six words: searched as typed, never rotated
]
QUERIES = [
    "",
    "persson",
    "PER",
    "per persson",
    "persson per",  # surname first
    "persson  PER ",
    "ek 100%_",
    "straße ulla",
    " maria  lisa af  ek berg",  # five words, spaced as typed: still one space in the name
    "lisa af ek berg anna",  # a rotation of five: not tried (ROTATED is 4)
    "öberg",
    "wu",
    "l",
    "100%_",
    "o'brien",
    "strasse",
    "ta 100%_e",
    "zzz",
    'on" "p',
    "1990",
    "19900222",
    "19900222-2397",
    "900222-2397",
    "9002222397",
    "20000125",
    "0125-23",
    "12",
    "5",
]


def add_patients(ctx: Context) -> list[str]:
    """A few more patients, their numbers sharing prefixes (search by the start of one)."""
    pnrs = []
    with Session(ctx.engine) as s:
        for i, (first, last) in enumerate(NAMES):
            pnr = f"19900{i % 3}2{i:02d}{1000 + i:04d}"[:12]
            s.add(
                Patient(
                    pnr=pnr,
                    first_name=first,
                    last_name=last,
                    search_name=f"{first} {last}".casefold(),
                    activated_1177=True,
                )
            )
            pnrs.append(pnr)
        s.commit()
    return pnrs


def add_cases(ctx: Context, units: list[int], pnrs: list[str], n: int, seed: int = 14) -> None:
    """n cases over these units, sent in the last five days, with ties in sent_at, every
    stage, and some handled early then reopened (deadline earlier than sent_at + 48 h)."""
    rnd = random.Random(seed)
    now = ctx.now()
    with Session(ctx.engine) as s:
        pids = [s.exec(select(Patient.id).where(Patient.pnr == p)).one() for p in pnrs]
        creator = s.exec(select(Staff.id).where(Staff.login == "karjo7")).one()
        for i in range(n):
            sent = now - timedelta(minutes=rnd.choice(range(0, 5 * 24 * 60, 97)))
            handled = rnd.random() < 0.3
            early = rnd.random() < 0.15
            deadline = sent + timedelta(hours=48)
            if early:  # handled early, maybe reopened since: the window closed at handling
                deadline = sent + timedelta(hours=rnd.choice([1, 20]))
            assert creator is not None
            s.add(
                Case(
                    unit_id=rnd.choice(units),
                    patient_id=rnd.choice(pids),
                    created_by=creator,
                    sent_at=sent,
                    deadline_at=deadline,
                    patient_messages=rnd.choice([0, 0, 1, 2]) if not handled else 1,
                    handled_at=deadline if handled else None,
                )
            )
        s.commit()


def matches(q: str, case_id: int, pnr: str, search_name: str) -> bool:
    """The search forms, as the model reads them."""
    q = q.strip()
    if not q:
        return True
    digits = "".join(ch for ch in q if is_ascii_digits(ch))
    if is_ascii_digits(q) and len(q) <= 9:
        return case_id == int(q) or pnr.startswith(q)
    if looks_like_pnr(q):
        try:
            return pnr == parse_pnr(q).digits
        except InvalidInput:
            return bool(digits) and pnr.startswith(digits)
    if digits and not any(ch.isalpha() for ch in q):
        return digits in pnr
    words = q.casefold().split()
    if 2 <= len(words) <= 4:  # also with the words rotated: a surname typed first
        return any(" ".join(words[i:] + words[:i]) in search_name for i in range(len(words)))
    return " ".join(words) in search_name if words else q.casefold() in search_name


def model(
    ctx: Context, actor: Actor, state: CaseState | None, q: str
) -> list[tuple[datetime, int, CaseState]]:
    """Every case the actor may see, as (sent_at, id, state), newest first."""
    now = ctx.now()
    with Session(ctx.engine) as s:
        units = set(s.exec(select(Membership.unit_id).where(Membership.staff_id == actor.staff_id)))
        found = []
        for c, p in s.exec(select(Case, Patient).where(Case.patient_id == Patient.id)).all():
            assert c.id is not None
            st = case_state(
                deadline=c.deadline_at,
                now=now,
                patient_messages=c.patient_messages,
                handled=c.handled_at is not None,
            )
            if (
                c.unit_id in units
                and state in (None, st)
                and matches(q, c.id, p.pnr, p.search_name)
            ):
                found.append((c.sent_at, c.id, st))
    return sorted(found, reverse=True)


def ids(rows: object) -> list[int]:
    return [r.case_id for r in rows]  # type: ignore[attr-defined]


def check_paging(ctx: Context, actor: Actor, state: CaseState | None, q: str, limit: int) -> None:
    want = model(ctx, actor, state, q)
    want_ids = [w[1] for w in want]
    first = page(ctx, actor, state, q, limit=limit)
    assert ids(first.rows) == want_ids[:limit], (state, q, limit)
    assert [r.state for r in first.rows] == [w[2] for w in want[:limit]]
    assert (first.newer, first.older) == (False, len(want) > limit)
    # Forward through the whole result by `after`, backward from the last page by `before`.
    seen, p = list(ids(first.rows)), first
    while p.older:
        p = page(ctx, actor, state, q, InboxWhere(after=p.rows[-1].key), limit)
        assert p.newer and p.rows
        seen += ids(p.rows)
    assert seen == want_ids, (state, q, limit)
    p = page(ctx, actor, state, q, InboxWhere(last=True), limit=limit)
    assert ids(p.rows) == want_ids[-limit:] if want else p.rows == []
    assert (p.newer, p.older) == (len(want) > limit, False)
    back = ids(p.rows)
    while p.newer:
        p = page(ctx, actor, state, q, InboxWhere(before=p.rows[0].key), limit)
        assert p.older and p.rows
        back = ids(p.rows) + back
    assert back == want_ids
    for i in {0, len(want) // 2, len(want) - 1} if want else set():
        key = InboxKey(want[i][0], want[i][1])
        p = page(ctx, actor, state, q, InboxWhere(start=key), limit)
        assert ids(p.rows) == want_ids[i : i + limit]
        assert (p.newer, p.older) == (i > 0, i + limit < len(want))
        p = page(ctx, actor, state, q, InboxWhere(around=want[i][1]), limit)
        assert p.found is not None and p.rows[p.found].case_id == want[i][1]
        at = want_ids.index(ids(p.rows)[0])
        assert ids(p.rows) == want_ids[at : at + len(p.rows)]
        assert len(p.rows) == min(limit, len(want))
        assert (p.newer, p.older) == (at > 0, at + len(p.rows) < len(want))
    p = page(ctx, actor, state, q, InboxWhere(around=999_999), limit)  # not in the result
    assert p.found is None and ids(p.rows) == want_ids[:limit]


@pytest.fixture
def world(ctx: Context) -> Actor:
    """danan12's two units and a third whose membership is removed after its cases were sent."""
    pnrs = add_patients(ctx) + [ANNA, ELIN]
    dan = staff(ctx, "danan12")
    with Session(ctx.engine) as s:
        mine = sorted(s.exec(select(Membership.unit_id).where(Membership.staff_id == dan.staff_id)))
        other = s.exec(select(Unit.id).where(Unit.id.not_in(mine))).first()  # type: ignore[union-attr]
        assert other is not None and len(mine) >= 2
    add_cases(ctx, [*mine, other], pnrs, 90)
    return dan


@pytest.mark.parametrize(
    "hours,probe", [(0, None), (30, None), (70, None), (30, 1)], ids=["0h", "30h", "70h", "scan"]
)
def test_r05_every_page_of_every_filter_and_search_is_the_models(
    ctx: Context, world: Actor, hours: int, probe: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """probe 1: every search with patients filters the ordered case scan (a common name);
    else these few patients drive it."""
    if probe is not None:
        monkeypatch.setattr(inbox_query, "PROBE", probe)  # so the count is asked at all
        monkeypatch.setattr(inbox_query, "probe_bound", lambda n, patients: probe)
    ctx.clock.advance(timedelta(hours=hours))  # type: ignore[attr-defined]
    for state in (None, *CaseState):
        for q in QUERIES:
            check_paging(ctx, world, state, q, 7)
    for limit in (1, 3, 200):
        for q in ("", "persson", "1990"):
            check_paging(ctx, world, CaseState.WAITING, q, limit)
            check_paging(ctx, world, None, q, limit)


def test_a_name_typed_surname_first_finds_the_patient_and_no_one_else(
    ctx: Context, world: Actor
) -> None:
    """Staff often type "Persson Per": it found nobody, as the name is kept "first last".
    Whole rotations of the words only: "per persson" is not Anna Persson."""

    def names(q: str) -> set[str]:
        return {r.patient_name for r in page(ctx, world, None, q, limit=200).rows}

    assert names("persson per") == names("per persson") == {"Per Persson"}
    assert names("PERSSON  Per") == {"Per Persson"}
    assert names("öberg åsa") == {"Åsa Öberg"}
    assert names("svensson-ek karl") == {"Karl Svensson-Ek"}
    assert names("persson") == {"Per Persson", "Anna Persson"}
    assert names("persson anna per") == set()


def test_r05_a_removed_membership_and_a_deactivated_account_count_at_once(
    ctx: Context, world: Actor
) -> None:
    with Session(ctx.engine) as s:
        units = sorted(
            s.exec(select(Membership.unit_id).where(Membership.staff_id == world.staff_id))
        )
        s.delete(s.get(Membership, (world.staff_id, units[0])))
        s.commit()
    check_paging(ctx, world, None, "", 10)  # the model reads the memberships as they stand
    assert all(r.unit_code for r in page(ctx, world, limit=200).rows)
    with Session(ctx.engine) as s:
        st = s.get(Staff, world.staff_id)
        assert st is not None
        st.active = False
        s.add(st)
        s.commit()
    with pytest.raises(RuleViolation) as exc:
        page(ctx, world)
    assert exc.value.rule == "R05"
    with pytest.raises(RuleViolation):
        counts(ctx, world)


def test_the_counts_are_the_models(ctx: Context, world: Actor) -> None:
    for hours in (0, 30, 70):
        c = counts(ctx, world)
        for state in CaseState:
            assert c.by_state[state] == len(model(ctx, world, state, "")), (hours, state)
        assert c.all == len(model(ctx, world, None, ""))
        ctx.clock.advance(timedelta(hours=hours))  # type: ignore[attr-defined]


def test_a_limit_is_taken_as_one_to_two_hundred(ctx: Context, world: Actor) -> None:
    assert len(page(ctx, world, limit=0).rows) == 1
    assert len(page(ctx, world, limit=10_000).rows) == min(200, len(model(ctx, world, None, "")))
    with pytest.raises(ValueError):
        page(ctx, world, where=InboxWhere(last=True, around=1))


@pytest.mark.skipif(pg.enabled(), reason="SQLite only: a timestamptz cannot hold garbage")
def test_a_garbled_row_is_broken_in_its_place_and_paging_goes_past_it(
    ctx: Context, world: Actor
) -> None:
    from sqlalchemy import text

    want = [w[1] for w in model(ctx, world, None, "")]
    bad = want[len(want) // 2]
    with ctx.engine.begin() as c:
        c.execute(text("UPDATE cases SET deadline_at = 'snart' WHERE id = :id"), {"id": bad})
    seen, p = [], page(ctx, world, limit=4)
    seen += p.rows
    while p.older:
        p = page(ctx, world, where=InboxWhere(after=p.rows[-1].key), limit=4)
        seen += p.rows
    assert ids(seen) == want
    assert [r.case_id for r in seen if r.broken] == [bad]


def test_the_counters_stay_exact_whatever_writes_the_cases(ctx: Context, world: Actor) -> None:
    """case_count is kept by triggers: handled, reopened, answered, moved, deleted, inserted."""
    from sqlalchemy import text

    rnd = random.Random(5)
    with Session(ctx.engine) as s:
        units = [u for u in s.exec(select(Unit.id)) if u is not None]
        for case in rnd.sample(list(s.exec(select(Case))), 40):
            change = rnd.choice(["handle", "reopen", "answer", "move", "delete"])
            if change == "handle":
                case.handled_at = ctx.now()
            elif change == "reopen":
                case.handled_at = None
            elif change == "answer":
                case.patient_messages += 1
            elif change == "move":
                case.unit_id = rnd.choice(units)
            else:
                s.delete(case)
                continue
            s.add(case)
        s.commit()
    with ctx.engine.begin() as c:  # a plain SQL write, as an operator's script would do
        c.execute(text("UPDATE cases SET patient_messages = 0 WHERE id % 7 = 0"))
    add_cases(ctx, [world.units[0].id], [ANNA], 5, seed=9)
    c = counts(ctx, world)
    for state in CaseState:
        assert c.by_state[state] == len(model(ctx, world, state, "")), state


def test_a_case_carries_its_patients_name_whatever_writes_them(
    ctx: Context, world: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cases.patient_name (the case scan's name test) is kept by triggers: a patient renamed
    (ORM and plain SQL), a case moved to another patient, new cases; the scan finds by it."""
    from sqlalchemy import text

    monkeypatch.setattr(inbox_query, "PROBE", 1)  # one matching patient is "many"
    monkeypatch.setattr(inbox_query, "probe_bound", lambda n, patients: 1)  # always the scan
    with Session(ctx.engine) as s:
        per = s.exec(select(Patient).where(Patient.first_name == "Per")).one()
        per.first_name, per.last_name, per.search_name = "Pär", "Lind", "pär lind"
        s.add(per)
        moved = list(s.exec(select(Case).where(Case.patient_id != per.id)))[:5]
        for case in moved:
            case.patient_id = per.id  # type: ignore[assignment]
            s.add(case)
        mine = {u.id for u in world.units}
        moved_ids = {c.id for c in moved if c.unit_id in mine}
        s.commit()
    with ctx.engine.begin() as c:  # a plain SQL rename, as an operator's script would do
        c.execute(text("UPDATE patient SET search_name = 'li wu-berg' WHERE last_name = 'Wu'"))
    add_cases(ctx, [world.units[0].id], [ANNA], 5, seed=9)
    with ctx.engine.connect() as c:
        stale = c.execute(
            text(
                "SELECT count(*) FROM cases c JOIN patient p ON p.id = c.patient_id "
                "WHERE c.patient_name <> p.search_name"
            )
        ).scalar_one()
    assert stale == 0
    for q in ("pär", "lind", "persson", "wu-berg", "li", "zzz"):
        check_paging(ctx, world, None, q, 5)
        check_paging(ctx, world, CaseState.HANDLED, q, 5)
    assert moved_ids and set(ids(page(ctx, world, query="pär lind", limit=200).rows)) >= moved_ids


@pytest.mark.skipif(pg.enabled(), reason="SQLite only: a timestamptz cannot hold garbage")
@pytest.mark.parametrize("garbage", ["snart", "0000", "2026-13-45 99:00:00"])
def test_a_garbled_sent_at_is_paged_past_in_its_stored_place(
    ctx: Context, world: Actor, garbage: str
) -> None:
    """A row whose sent_at itself cannot be read keeps its stored value as its key: paging
    from it (as the last row of a page, forwards and backwards) neither stops nor repeats."""
    from sqlalchemy import text

    bad = [w[1] for w in model(ctx, world, None, "")][::9][:3]
    with ctx.engine.begin() as c:
        for case_id in bad:
            c.execute(
                text("UPDATE cases SET sent_at = :g WHERE id = :id"), {"g": garbage, "id": case_id}
            )
        units = [u.id for u in world.units]
        want = [
            i
            for (i,) in c.execute(
                text(
                    "SELECT id FROM cases WHERE unit_id IN (:a, :b) ORDER BY sent_at DESC, id DESC"
                ),
                {"a": units[0], "b": units[1]},
            )
        ]
    for limit in (1, 2, 5):
        seen, p = [], page(ctx, world, limit=limit)
        seen += p.rows
        while p.older and len(seen) <= len(want):
            p = page(ctx, world, where=InboxWhere(after=p.rows[-1].key), limit=limit)
            seen += p.rows
        assert ids(seen) == want, limit
        back, p = [], page(ctx, world, where=InboxWhere(last=True), limit=limit)
        back = p.rows + back
        while p.newer and len(back) <= len(want):
            p = page(ctx, world, where=InboxWhere(before=p.rows[0].key), limit=limit)
            back = p.rows + back
        assert ids(back) == want, limit
        for case_id in bad:
            p = page(ctx, world, where=InboxWhere(around=case_id), limit=limit)
            assert p.found is not None and p.rows[p.found].case_id == case_id
            assert p.rows[p.found].broken
            again = page(ctx, world, where=InboxWhere(start=p.rows[p.found].key), limit=limit)
            assert again.rows[0].case_id == case_id
