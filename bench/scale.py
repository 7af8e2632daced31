"""The issue-14 table: each inbox question through the project's own service functions, next to
the same page asked with raw sqlite3 and the best index (the floor), median and p95.

    python bench/scale.py --db PATH [--rounds 30] [--login bench_nurse] [--seed 14]
    python bench/scale.py --cases N [--rounds 30]      (generates with bench/gen.py first)

--db is never written: it is copied into --work (default /tmp/scale-<name>) and opened
there, which brings the copy's schema to this branch's HEAD as the app would (--in-place
measures the file itself). The floor database (bench/scale_floor.py) is built next to the copy once. With the paged
API (services.api.inbox_page) every page is 50 rows; without it (main before issue 14) the app
is asked through cases.inbox (its 300 rows, as the issue's "before" measured) and the table
says so, while the floor is always the 50-row page the goals are measured against. The search
terms come from the database itself: a seeded random case of the staff member's units, its
patient, and the oldest such patient for the '+' form. Rounds alternate app and floor.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scale_floor import Floor, build  # noqa: E402

from tui_app.core.limits import INBOX_LIMIT  # noqa: E402
from tui_app.core.routine import CaseState  # noqa: E402
from tui_app.services import api, cases  # noqa: E402
from tui_app.services.context import Context, open_context  # noqa: E402
from tui_app.services.identity import staff_by_login  # noqa: E402
from tui_app.store import quick  # noqa: E402
from tui_app.store.db import sqlite_url  # noqa: E402

PAGE = 50
Question = tuple[str, Callable[[], object] | None, Callable[[], object]]


def stored(at: datetime) -> str:
    """A time as the database stores it (naive UTC text)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def working_copy(db: Path, work: Path, in_place: bool) -> Path:
    """The database to measure: a copy in work (reused while it is the same size and newer
    than db), or db itself with --in-place. Opening it migrates it, so the shared file is
    never opened itself (root may write to a read-only file)."""
    if in_place:
        return db
    work.mkdir(parents=True, exist_ok=True)
    copy = work / db.name
    if not copy.exists() or copy.stat().st_mtime <= db.stat().st_mtime:
        print(f"copying {db} to {copy} ...", flush=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(db, f"{copy}.part")
        Path(f"{copy}.part").replace(copy)
    return copy


def terms(path: Path, units: list[int], seed: int) -> dict[str, object]:
    """A real case and patient of these units, chosen by the seed."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    marks = ",".join(str(u) for u in units)
    (n,) = db.execute(f"SELECT count(*) FROM cases WHERE unit_id IN ({marks})").fetchone()
    rng = random.Random(seed)
    case_id, pnr, first, last = db.execute(
        f"SELECT c.id, p.pnr, p.first_name, p.last_name FROM cases c JOIN patient p"
        f" ON p.id = c.patient_id WHERE c.unit_id IN ({marks}) ORDER BY c.id LIMIT 1 OFFSET ?",
        (rng.randrange(n),),
    ).fetchone()
    old = db.execute(
        f"SELECT p.pnr FROM patient p WHERE p.pnr < ? AND EXISTS (SELECT 1 FROM cases c"
        f" WHERE c.patient_id = p.id AND c.unit_id IN ({marks})) ORDER BY p.pnr LIMIT 1",
        (f"{datetime.now(UTC).year - 100}",),
    ).fetchone()
    (total,) = db.execute("SELECT count(*) FROM cases").fetchone()
    db.close()
    return {"case": case_id, "pnr": pnr, "first": first, "last": last,
            "old": old[0] if old else None, "mine": n, "total": total}  # fmt: skip


def pnr_forms(pnr: str, old: str | None) -> list[tuple[str, str]]:
    out = [
        ("12 digits", pnr),
        ("10 digits", pnr[2:]),
        ("with '-'", f"{pnr[2:8]}-{pnr[8:]}"),
        ("YYYYMMDD-NNNN", f"{pnr[:8]}-{pnr[8:]}"),
    ]
    if old:
        out.insert(3, ("with '+' (100+ years)", f"{old[2:8]}+{old[8:]}"))
    return out


class App:
    """The service calls: the paged API when this branch has it, else cases.inbox."""

    def __init__(self, ctx: Context, login: str, path: Path) -> None:
        self.ctx, self.actor, self.path, self.login = ctx, staff_by_login(ctx, login), path, login
        self.paged = hasattr(api, "inbox_page")
        self.limit = PAGE if self.paged else INBOX_LIMIT

    def page(self, state: CaseState | None = None, query: str = "", **where: object) -> object:
        if not self.paged:
            return cases.inbox(self.ctx, self.actor, state, query)
        w = api.InboxWhere(**where)  # type: ignore[attr-defined]
        return api.inbox_page(self.ctx, self.actor, state, query, w, PAGE)  # type: ignore[attr-defined]

    def rows(self, result: object) -> list[object]:
        return list(getattr(result, "rows", []))

    def start(self) -> object:
        return quick.read_start(self.path, self.login, self.limit)


def questions(app: App, floor: Floor, t: dict[str, object]) -> list[Question]:
    now = stored(datetime.now(UTC))
    qs: list[Question] = [("inbox, first page", app.page, lambda: floor.page(now))]
    for state in CaseState:
        qs.append(
            (
                f"status {state.value}",
                lambda s=state: app.page(s),
                lambda s=state: floor.page(now, s.value),
            )
        )
    pnr, last = str(t["pnr"]), str(t["last"])
    qs.append(
        (
            "search case number",
            lambda: app.page(query=str(t["case"])),
            lambda: floor.case_number(int(str(t["case"]))),
        )
    )
    for label, form in pnr_forms(pnr, t["old"] and str(t["old"])):
        digits = str(t["old"]) if "+" in form else pnr
        qs.append(
            (f"search pnr {label}", lambda f=form: app.page(query=f), lambda d=digits: floor.pnr(d))
        )
    full = f"{t['first']} {last}"
    qs.append(("search full name", lambda: app.page(query=full), lambda: floor.name(full)))
    rev = f"{last} {t['first']}"  # as staff often type it; the floor's word match is any order
    qs.append(("search name, surname first", lambda: app.page(query=rev), lambda: floor.name(rev)))
    qs.append(("search surname", lambda: app.page(query=last), lambda: floor.name(last)))
    qs.append(
        (
            "search surname Andersson",
            lambda: app.page(query="Andersson"),
            lambda: floor.name("Andersson"),
        )
    )
    qs.append(
        (
            "search birth date (8 digits)",
            lambda: app.page(query=pnr[:8]),
            lambda: floor.born(pnr[:8]),
        )
    )
    counts = getattr(api, "inbox_counts", None)
    qs.append(
        (
            "counts per status",
            (lambda: counts(app.ctx, app.actor)) if counts else None,
            lambda: floor.counts(now),
        )
    )
    qs.append(("plain-SQL start-up read", app.start, lambda: floor.page(now)))
    # The same read against a floor that opens its file too, as the start-up read must.
    qs.append(("  floor opening the file too", app.start, lambda: floor.cold_page(now)))
    return qs + paging(app, floor, now, int(str(t["case"])))  # fmt: skip


def paging(app: App, floor: Floor, now: str, case_id: int) -> list[Question]:
    """Keyset questions: page 100 by `after`, the oldest page, and `around` a case number."""
    if not app.paged:
        return [(name, None, fl) for name, fl in (
            ("page 100 (after)", lambda: None), ("last page", lambda: floor.page(now, None, "1", "ASC")),
            ("around a case number", lambda: None))]  # fmt: skip
    key = None
    for _ in range(99):
        rows = app.rows(app.page(**({"after": key} if key else {})))
        if not rows:
            break
        key = rows[-1].key  # type: ignore[attr-defined]
    k = (stored(key.sent_at), key.case_id) if key else ("9999", 0)  # type: ignore[union-attr]
    bound = "(sent_at, id) < (:s, :i)"
    found = app.rows(app.page(around=case_id))
    mid = next((r for r in found if r.case_id == case_id), None)  # type: ignore[attr-defined]
    c = (stored(mid.sent_at), case_id) if mid else ("9999", 0)  # type: ignore[union-attr]
    return [
        ("page 100 (after)", lambda: app.page(after=key), lambda: floor.page(now, None, bound, "DESC", {"s": k[0], "i": k[1]})),
        ("last page", lambda: app.page(last=True), lambda: floor.page(now, None, "1", "ASC")),
        ("around a case number", lambda: app.page(around=case_id), lambda: floor.around(now, c)),
    ]  # fmt: skip


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def measure(qs: list[Question], app: App, rounds: int) -> None:
    print(f"{'question':<32}{'rows':>9}{'app med':>10}{'app p95':>10}"
          f"{'floor med':>11}{'floor p95':>11}{'ratio':>8}{'p95 ×':>8}")  # fmt: skip
    for name, app_fn, floor_fn in qs:
        a: list[float] = []
        f: list[float] = []
        n_app = n_floor = 0
        for r in range(rounds + 2):  # two warm-up rounds, not counted
            order = [(app_fn, a), (floor_fn, f)] if r % 2 else [(floor_fn, f), (app_fn, a)]
            for fn, out in order:
                if fn is None:
                    continue
                ms, result = timed(fn)
                if r >= 2:
                    out.append(ms)
                if fn is app_fn:
                    n_app = _n(result)
                else:
                    n_floor = _n(result)
        fm, fp = statistics.median(f), _p95(f)
        if a:
            am, ap = statistics.median(a), _p95(a)
            print(f"{name:<32}{n_app:>4}/{n_floor:<4}{am:>10.2f}{ap:>10.2f}{fm:>11.3f}{fp:>11.3f}"
                  f"{am / fm:>8.1f}{ap / fp:>8.1f}", flush=True)  # fmt: skip
        else:
            print(f"{name:<32}{'—':>4}/{n_floor:<4}{'—':>10}{'—':>10}{fm:>11.3f}{fp:>11.3f}"
                  f"{'—':>8}{'—':>8}   (not in this API)", flush=True)  # fmt: skip


def _n(result: object) -> int:
    """How many rows a result holds (a list, a page, a start-up read; 0 for counts)."""
    if isinstance(result, list):
        return len(result)
    for attr in ("rows", "cases"):
        if isinstance(getattr(result, attr, None), list):
            return len(getattr(result, attr))
    return 0


def _p95(xs: list[float]) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path)
    ap.add_argument("--cases", type=int)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--login", default="bench_nurse")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--work", type=Path, help="where the copy and the floor go")
    ap.add_argument("--in-place", action="store_true", help="measure --db itself (migrates it)")
    a = ap.parse_args(argv)
    if (a.db is None) == (a.cases is None):
        ap.error("give exactly one of --db and --cases")
    if a.db is None:
        a.db = Path(tempfile.mkdtemp(prefix="scale-")) / f"gen{a.cases}.db"
        subprocess.run([sys.executable, str(Path(__file__).with_name("gen.py")), "--cases",
                        str(a.cases), "--out", str(a.db), "--seed", str(a.seed)], check=True)  # fmt: skip
    work = a.work or Path(tempfile.gettempdir()) / f"scale-{a.db.stem}"
    path = working_copy(a.db, work, a.in_place)
    ctx = open_context(sqlite_url(path), path.parent / f"{path.stem}.data")
    app = App(ctx, a.login, path)
    floor_path = work / f"{path.stem}.floor.db"
    work.mkdir(parents=True, exist_ok=True)
    took = build(path, floor_path)
    units = [u.id for u in app.actor.units]
    t = terms(path, units, a.seed)
    head = subprocess.run(["git", "-C", str(Path(__file__).parent), "log", "-1", "--format=%h %s"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    print(f"database {a.db} ({t['total']:,} cases; {t['mine']:,} in {a.login}'s units {units})")
    print(f"code     {head}")
    print("api      " + ("services.api.inbox_page, 50-row pages" if app.paged else
          f"cases.inbox ({INBOX_LIMIT} rows: no paged API on this branch)"))  # fmt: skip
    print(f"floor    {floor_path}" + (f" (built in {took:.0f} s)" if took else " (cached)"))
    print(f"terms    case {t['case']}, pnr {t['pnr']}, {t['first']} {t['last']}, old {t['old']}")
    print(f"rounds   {a.rounds} (ms; ratio = app / floor; rows = app/floor)\n")
    measure(questions(app, Floor(floor_path, units, PAGE), t), app, a.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
