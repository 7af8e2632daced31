"""The administrator's log search per filter, for bench/ops.py (run with the code under test on
PYTHONPATH): `python bench/ops_search.py DB WORK RUNS`.

Each filter (and the combinations) is searched RUNS times through `auditlog.search` as the
bench's administrator (the page the screen shows, and the log entry the review writes), next to
the same page read with raw sqlite3 (the floor). Median and p95 are printed.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

COLS = "seq, at, actor, unit_code, patient_pnr, case_id, action, outcome, detail"


def _ms(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
    return f"median {statistics.median(xs) * 1000:8.2f} ms  p95 {p95 * 1000:8.2f} ms"


def main() -> None:
    db, work, runs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    from tui_app.services import auditlog
    from tui_app.services.context import close_context, open_context
    from tui_app.services.identity import staff_by_login

    raw = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    top = raw.execute("SELECT MAX(seq) FROM audit_entry").fetchone()[0]
    who, pnr, unit = raw.execute(
        "SELECT actor, patient_pnr, unit_code FROM audit_entry WHERE seq <= ? AND actor LIKE "
        "'bench%' AND patient_pnr IS NOT NULL AND unit_code IS NOT NULL ORDER BY seq DESC "
        "LIMIT 1",
        (top // 2,),
    ).fetchone()
    now = datetime.now(UTC)
    since, until = now - timedelta(days=30), now - timedelta(days=365)
    t_since, t_until = (f"{t:%Y-%m-%d %H:%M:%S.%f}" for t in (since, until))
    cases: list[tuple[str, dict[str, object], str, tuple[object, ...]]] = [
        ("no filter", {}, "1", ()),
        ("staff", {"staff": who}, "actor = ?", (who,)),
        ("patient", {"patient": pnr}, "patient_pnr = ?", (pnr,)),
        ("unit (exact)", {"unit": unit}, "unit_code = ?", (unit,)),
        ("unit (prefix)", {"unit": unit[:3]}, "unit_code LIKE ?", (unit[:3] + "%",)),
        ("since 30 days", {"since": since}, "at >= ?", (t_since,)),
        ("until a year ago", {"until": until}, "at < ?", (t_until,)),
        ("staff + since", {"staff": who, "since": since}, "actor = ? AND at >= ?", (who, t_since)),
        (
            "staff + patient",
            {"staff": who, "patient": pnr},
            "actor = ? AND patient_pnr = ?",
            (who, pnr),
        ),
        (
            "patient + unit",
            {"patient": pnr, "unit": unit},
            "patient_pnr = ? AND unit_code = ?",
            (pnr, unit),
        ),
        (
            "unit + until",
            {"unit": unit, "until": until},
            "unit_code = ? AND at < ?",
            (unit, t_until),
        ),
        (
            "all",
            {
                "staff": who,
                "patient": pnr,
                "unit": unit,
                "since": now - timedelta(days=3650),
                "until": now,
            },
            "actor = ? AND patient_pnr = ? AND unit_code = ?",
            (who, pnr, unit),
        ),
    ]
    ctx = open_context(f"sqlite:///{db}", work / "data")
    admin = staff_by_login(ctx, "bench_admin")
    print(f"log search over {top:,} entries (staff {who}, patient {pnr}, unit {unit}):")
    try:
        for name, kw, where, params in cases:
            ours, floor = [], []
            n = 0
            for _ in range(runs):
                t = time.perf_counter()
                n = len(auditlog.search(ctx, admin, **kw))  # type: ignore[arg-type]
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                raw.execute(
                    f"SELECT {COLS} FROM audit_entry WHERE {where} ORDER BY seq DESC LIMIT 500",
                    params,
                ).fetchall()
                floor.append(time.perf_counter() - t)
            ratio = statistics.median(ours) / max(statistics.median(floor), 1e-6)
            print(f"  {name:17} {n:4} rows  {_ms(ours)}   floor {_ms(floor)}  {ratio:6.1f}×")
    finally:
        close_context(ctx)


if __name__ == "__main__":
    main()
