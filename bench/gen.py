"""Build a large, realistic database through the project's schema, reproducibly.

    python bench/gen.py --cases N --out PATH [--seed 14] [--files K]
    python bench/gen.py --cases N --url postgresql+psycopg://... [--seed 14]

The schema is made by the project's own migrations (store.db.upgrade, as `tui-app migrate`);
the rows are then bulk-loaded with plain sqlite3 executemany (or psycopg COPY) in big
transactions, with the secondary indexes dropped during the load and created again from their
own stored definitions. Cases are spread over the last 729 days up to the real now, over 20
units; `bench_nurse` is a member of the two units holding about 11.2% of them. The access log
is a valid hash chain (services.audit's own hash over the stored values, in seq order) with
audit_head at its end, so `tui-app audit verify` passes. With --files K the newest K
attachments get real small files in <out>.data/files/ under their storage keys (their sizes and
checksums updated to match); otherwise no file has a body. See bench/README.md.
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
import uuid
from bisect import bisect
from hashlib import sha256
from itertools import accumulate
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen_cases import H, CaseMaker, Event, Rows, Unit, now_us, ts  # noqa: E402
from gen_names import people  # noqa: E402
from gen_sinks import PgSink, Sink, SqliteSink, write_files  # noqa: E402

from tui_app.services.audit import GENESIS  # noqa: E402
from tui_app.services.auditverify import at_text as _at_text  # noqa: E402

SPAN_DAYS = 729  # inside the two-year retention (R23): a fresh database has nothing to remove
UNIT_NAMES = (
    ("HUD-SU", "Hudmottagningen, Sahlgrenska"), ("REUM-SU", "Reumatologmottagningen, Sahlgrenska"),
    ("ORT-MOL", "Ortopedmottagningen, Mölndal"), ("BARN-OST", "Barnmottagningen, Östra"),
    ("KIR-SKA", "Kirurgmottagningen, Skaraborg"), ("HUD-SKO", "Hudmottagningen, Skövde"),
    ("ORT-LID", "Ortopedmottagningen, Lidköping"), ("BARN-FAL", "Barnmottagningen, Falköping"),
    ("SAR-SU", "Sårmottagningen, Sahlgrenska"), ("PLAST-SU", "Plastikkirurgi, Sahlgrenska"),
    ("ONK-SU", "Onkologmottagningen, Sahlgrenska"), ("GYN-KUN", "Gynekologmottagningen, Kungälv"),
    ("ORT-UDD", "Ortopedmottagningen, Uddevalla"), ("HUD-BOR", "Hudmottagningen, Borås"),
    ("KIR-ALI", "Kirurgmottagningen, Alingsås"), ("ONH-SU", "Öron-näsa-hals, Sahlgrenska"),
    ("OGON-MOL", "Ögonmottagningen, Mölndal"), ("URO-SKA", "Urologmottagningen, Skaraborg"),
    ("BARN-TRO", "Barnmottagningen, Trollhättan"), ("REUM-ALI", "Reumatologi, Alingsås"),
)  # fmt: skip
NURSE_SHARE = 0.056  # each of bench_nurse's two units: 112k of 1M together, as the issue measured


def unit_weights() -> list[float]:
    others = [1 / (i + 3) for i in range(len(UNIT_NAMES) - 2)]
    scale = (1 - 2 * NURSE_SHARE) / sum(others)
    return [NURSE_SHARE, NURSE_SHARE, *(w * scale for w in others)]


def sent_times(rng: random.Random, n: int, now: int) -> list[int]:
    """n send times over the last SPAN_DAYS, mostly on weekdays' office hours, oldest first."""
    span = SPAN_DAYS * 24 * H
    out: list[int] = []
    while len(out) < n:
        t = now - rng.randrange(span)
        day, hour = (t // (24 * H) + 3) % 7, (t // H) % 24  # day 0 = Monday (1970-01-01: Thu)
        if day >= 5 and rng.random() > 0.15:
            continue
        if not 6 <= hour < 16 and rng.random() > 0.05:
            continue
        out.append(t)
    return sorted(out)


def staff_rows(rng: random.Random) -> tuple[list[tuple[object, ...]], list[tuple[int, int]]]:
    """bench_nurse (units 1-2), bench_admin, the GK account bench_gk and bench_n01..n50."""
    staff: list[tuple[object, ...]] = [
        (1, "bench_nurse", "Karin", "Lindqvist", False, True, False, True),
        (2, "bench_admin", "Anders", "Holm", False, False, True, True),
        (3, "bench_gk", "GK", "Hudmottagningen", True, False, False, True),
    ]
    members = [(1, 1), (1, 2), (2, 1), (3, 1), (3, 2)]
    firsts = ("Eva", "Lars", "Maria", "Johan", "Sara", "Erik", "Anna", "Per", "Lena", "Nils")
    lasts = ("Berg", "Ek", "Lund", "Sjöberg", "Nyström", "Wallin", "Falk", "Dahl", "Holm", "Ali")
    for i in range(1, 51):
        sid = 3 + i
        staff.append(
            (sid, f"bench_n{i:02d}", firsts[i % 10], lasts[i // 5 % 10], False, True, False, True)
        )
        units = {(i - 1) % len(UNIT_NAMES) + 1}
        while len(units) < rng.choice((1, 2, 2, 3)):
            units.add(rng.randrange(len(UNIT_NAMES)) + 1)
        members += [(sid, u) for u in sorted(units)]
    return staff, members


def patient_pools(
    rng: random.Random, n_patients: int, weights: list[float]
) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Each patient's one or two units (their care relations), as a pool of patients per unit."""
    cum = list(accumulate(weights))
    pools: list[list[int]] = [[] for _ in weights]
    for pid in range(1, n_patients + 1):
        first = bisect(cum, rng.random() * cum[-1])
        pools[first].append(pid)
        if rng.random() < 0.3:
            second = bisect(cum, rng.random() * cum[-1])
            if second != first:
                pools[second].append(pid)
    for i, pool in enumerate(pools):
        if not pool:
            pool.append(rng.randrange(n_patients) + 1)
    relations = sorted((u + 1, pid) for u, pool in enumerate(pools) for pid in pool)
    return pools, relations


def fast_hash(
    prev: str, seq: int, at: str, actor: str, unit: str | None, pnr: str | None,
    cid: int | None, action: str, outcome: str, detail: str,
) -> str:  # fmt: skip
    """services.audit._hash(prev, seq, at, actor, unit, pnr, cid, action, outcome, detail) for
    the access log's field types, without json.dumps making an encoder per call: the JSON text
    is the same (json's own string encoder, ints as repr, None as null, "," between)."""
    e = encode_basestring
    payload = (
        f"[{seq},{e(at)},{e(actor)},{'null' if unit is None else e(unit)},"
        f"{'null' if pnr is None else e(pnr)},{'null' if cid is None else cid},"
        f"{e(action)},{e(outcome)},{e(detail)},{e(prev)}]"
    )
    return sha256(payload.encode()).hexdigest()


class Chain:
    """The access log, hashed in seq order as services.audit.append would have."""

    def __init__(self, sink: Sink) -> None:
        self.sink, self.seq, self.prev = sink, 0, GENESIS
        self.batch: list[tuple[object, ...]] = []

    def add(self, e: Event) -> None:
        at, actor, unit, pnr, cid, action, outcome, detail = e
        self.seq += 1
        stored = ts(at)
        # What _at_text(stored) gives (aware ISO), without parsing the text back: the same
        # string whenever there are microseconds; the rare whole second goes through it.
        at_text = stored.replace(" ", "T") + "+00:00" if at % 1_000_000 else _at_text(stored)
        h = fast_hash(self.prev, self.seq, at_text, actor, unit, pnr, cid, action, outcome, detail)
        self.batch.append(
            (
                self.seq,
                self.seq,
                stored,
                actor,
                unit,
                pnr,
                cid,
                action,
                outcome,
                detail,
                self.prev,
                h,
            )
        )
        self.prev = h
        if len(self.batch) >= 50_000:
            self.flush()

    def flush(self) -> None:
        self.sink.rows("audit_entry", self.batch)
        self.batch = []


def load(sink: Sink, n_cases: int, seed: int, now: int) -> dict[str, int]:
    """Every row, in an order the foreign keys accept; returns the counts."""
    rng = random.Random(seed)
    weights = unit_weights()
    n_patients = max(100, round(n_cases * 0.3))
    staff, members = staff_rows(rng)
    sink.rows("unit", [(i + 1, c, n, True, True) for i, (c, n) in enumerate(UNIT_NAMES)])
    sink.rows("staff", staff)
    sink.rows("membership", members)
    persons = people(rng, n_patients)
    names = [f"{f} {last}".casefold() for _, f, last in persons]  # as services.seed writes it
    sink.rows("patient", [(i + 1, p, f, last, names[i], rng.random() < 0.98)
                          for i, (p, f, last) in enumerate(persons)])  # fmt: skip
    pools, relations = patient_pools(rng, n_patients, weights)
    sink.rows("care_relation", relations)
    logins = {sid: (str(login), str(first)) for sid, login, first, *_ in staff}
    units = [Unit(i + 1, c, []) for i, (c, _) in enumerate(UNIT_NAMES)]
    for sid, uid in members:
        if sid not in (2, 3):  # neither the administrator nor the GK account sends
            units[uid - 1].staff.append((sid, *logins[sid]))
    chain = Chain(sink)
    chain.add((now - SPAN_DAYS * 24 * H - H, "bench_admin", None, None, None, "läs in personal",
               "ok", f"units: {len(units)}, staff: {len(staff)}, patients: {n_patients}, cases: 0"))  # fmt: skip
    counts = _load_cases(sink, chain, rng, n_cases, now, units, pools, persons, names, weights)
    sink.rows("setting", [("store_id", uuid.UUID(int=rng.getrandbits(128)).hex)])
    sink.head(chain.seq, chain.prev)
    return {"units": len(units), "staff": len(staff), "patients": n_patients,
            "care_relations": len(relations), "audit_entries": chain.seq, **counts}  # fmt: skip


def _load_cases(
    sink: Sink, chain: Chain, rng: random.Random, n: int, now: int, units: list[Unit],
    pools: list[list[int]], persons: list[tuple[str, str, str]], names: list[str],
    weights: list[float],
) -> dict[str, int]:  # fmt: skip
    cum = list(accumulate(weights))
    rows = Rows()
    pending: list[tuple[int, int, Event]] = []  # (at, order, event): a heap in time order
    fresh: list[Event] = []
    maker = CaseMaker(rng, now, rows, fresh)
    order = 0
    for cid, sent in enumerate(sent_times(rng, n, now), start=1):
        while pending and pending[0][0] < sent:  # nothing made later can come before `sent`
            chain.add(heapq.heappop(pending)[2])
        u = bisect(cum, rng.random() * cum[-1])
        pool = pools[u]
        pid = pool[int(len(pool) * rng.random() ** 1.6)]
        pnr, first, _ = persons[pid - 1]
        maker.case(cid, sent, units[u], pid, pnr, first, names[pid - 1])
        for e in fresh:
            order += 1
            heapq.heappush(pending, (e[0], order, e))
        fresh.clear()
        if len(rows.cases) >= 20_000:
            _write(sink, rows)
    _write(sink, rows)
    while pending:
        chain.add(heapq.heappop(pending)[2])
    chain.flush()
    ids = maker.ids
    return {"cases": n, "messages": ids.message, "attachments": ids.attachment,
            "downloads": ids.download}  # fmt: skip


def _write(sink: Sink, rows: Rows) -> None:
    for table in ("cases", "message", "attachment", "download"):
        sink.rows(table, getattr(rows, table))
        getattr(rows, table).clear()
    sink.commit()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, required=True)
    ap.add_argument("--out", type=Path, help="the SQLite file to create (must not exist)")
    ap.add_argument("--url", help="a PostgreSQL URL (an empty database) instead of --out")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--files", type=int, default=0, help="real files for the newest K attachments")
    a = ap.parse_args(argv)
    if (a.out is None) == (a.url is None):
        ap.error("give exactly one of --out and --url")
    if a.out is not None and a.out.exists():
        ap.error(f"{a.out} exists already: choose a new path")
    started = time.monotonic()
    now = now_us()
    sink: Sink = SqliteSink(a.out) if a.out is not None else PgSink(a.url)
    counts = load(sink, a.cases, a.seed, now)
    sink.finish()
    if a.out is not None:
        counts["files_written"] = write_files(a.out, a.files)
    took = time.monotonic() - started
    for k, v in counts.items():
        print(f"{k:>16}: {v:,}")
    print(f"{'now':>16}: {ts(now)} UTC (seed {a.seed})")
    print(f"{'took':>16}: {took:.1f} s")
    if a.out is not None:
        print(f"{'size':>16}: {a.out.stat().st_size / 2**20:,.0f} MiB ({a.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
