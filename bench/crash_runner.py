"""One step of the handling routine in its own process, for crash tests and bench/killloop.py.

Uses only the public use cases that main has too, so the same script measures the code before
and after a fix (run it with PYTHONPATH pointing at the checkout to measure):

    crash_runner.py setup DIR OP        # a case, a file decided (and downloaded): prints its id
    crash_runner.py run DIR OP FILE_ID  # the step itself: "picsara", "earkiv", "lp", "download"
    crash_runner.py resolve DIR         # what the next start or sweep does (if the code has it)

DIR holds the database, the data folder, Downloads, Picsara's import folder, the E-arkiv
folder and (for "lp") a fake `lp` with its spool folder; see `places`.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHEN = datetime(2026, 6, 4, 7, 48, tzinfo=UTC)
ELIN = "200001252386"
PRINTER = "skanning-1"

FAKE_LP = '''#!{python}
"""A stand-in for CUPS lp: jobs held with -H hold, released with -i ID -H resume."""
import os, shutil, sys
spool = {spool!r}
args = sys.argv[1:]
if "-i" in args:
    job = args[args.index("-i") + 1]
    held = os.path.join(spool, job + ".held")
    if not os.path.exists(held):
        sys.exit("lp: Job " + job + " is not held.")
    os.rename(held, os.path.join(spool, job + ".printed"))
    sys.exit(0)
n = len(os.listdir(spool)) + 1
job = "{printer}-%d" % n
state = ".held" if "-H" in args and args[args.index("-H") + 1] == "hold" else ".printed"
shutil.copy(args[-1], os.path.join(spool, job + ".tmp"))
os.rename(os.path.join(spool, job + ".tmp"), os.path.join(spool, job + state))
print("request id is " + job + " (1 file(s))")
'''


FAKE_LPSTAT = '''#!{python}
"""A stand-in for CUPS lpstat -W completed -o PRINTER: the jobs that printed."""
import os
for name in sorted(os.listdir({spool!r})):
    if name.endswith(".printed"):
        print(name[: -len(".printed")] + " danan12 1024 Tue 01 Dec 2026 12:00:00")
'''


def places(base: Path) -> dict[str, Path]:
    """The folders of one crash run under base."""
    return {
        "db": base / "t.sqlite",
        "data": base / "data",
        "downloads": base / "home" / "Hämtade filer",
        "picsara": base / "picsara",
        "earkiv": base / "earkiv",
        "bin": base / "bin",
        "spool": base / "spool",
        "home": base / "home",
    }


def context(base: Path, op: str):  # type: ignore[no-untyped-def]
    """A context on base's database, configured for op, at a fixed time."""
    from tui_app.bootstrap import outside_systems
    from tui_app.config import Settings
    from tui_app.core.clock import FixedClock
    from tui_app.services.context import open_context
    from tui_app.store.db import sqlite_url

    p = places(base)
    os.environ["HOME"] = str(p["home"])
    os.environ["XDG_DATA_HOME"] = str(p["home"] / ".local/share")
    if op == "lp":
        os.environ["PATH"] = f"{p['bin']}{os.pathsep}{os.environ.get('PATH', '')}"
    settings = Settings(
        data_dir=p["data"],
        download_dir=p["downloads"],
        picsara_import_dir=p["picsara"],
        earkiv_folder=None if op == "lp" else p["earkiv"],
        earkiv_printer=PRINTER if op == "lp" else None,
    )
    ctx = open_context(sqlite_url(p["db"]), p["data"], clock=FixedClock(WHEN), config=settings)
    ctx.picsara, ctx.earkiv = outside_systems(settings)  # as the bootstrap chooses them
    return ctx


def setup(base: Path, op: str) -> int:
    """Make the folders, a case with an image and a PDF, and get the file ready for op."""
    from tui_app.services import handling
    from tui_app.services.cases import draft_message, send_case
    from tui_app.services.conversation import patient_reply
    from tui_app.services.files import stage_files
    from tui_app.services.identity import patient_actor, staff_by_login
    from tui_app.services.seed import load_file

    p = places(base)
    for key in ("downloads", "picsara", "earkiv", "bin", "spool"):
        p[key].mkdir(parents=True, exist_ok=True)
    lp = p["bin"] / "lp"
    lp.write_text(FAKE_LP.format(python=sys.executable, spool=str(p["spool"]), printer=PRINTER))
    lp.chmod(0o755)
    lpstat = p["bin"] / "lpstat"
    lpstat.write_text(FAKE_LPSTAT.format(python=sys.executable, spool=str(p["spool"])))
    lpstat.chmod(0o755)
    ctx = context(base, op)
    load_file(ctx, ROOT / "data" / "demo.json", with_cases=False)
    dan = staff_by_login(ctx, "danan12")
    unit = next(u.id for u in dan.units if u.code == "REUM-SKO")
    from sqlmodel import Session, col, select

    from tui_app.store.models import Attachment, Patient

    d = draft_message(ctx, dan, unit, ELIN)
    number = send_case(ctx, dan, d.unit_id, d.patient.id, d.text)
    samples = ROOT / "data" / "samples"
    staged = stage_files(ctx, [samples / "handled.jpg", samples / "remiss-brev.pdf"])
    with Session(ctx.engine) as s:
        pid = s.exec(select(Patient.id).where(Patient.pnr == ELIN)).one()
    patient_reply(ctx, patient_actor(ctx, pid), number, "Här är filerna.", staged)
    with Session(ctx.engine) as s:
        img, pdf = s.exec(
            select(Attachment.id).where(Attachment.case_id == number).order_by(col(Attachment.id))
        ).all()
    file_id = img if op in ("picsara", "download") else pdf
    assert file_id is not None
    if op != "download":
        handling.decide(ctx, dan, file_id, True)
        handling.download(ctx, dan, file_id)
    return file_id


def run(base: Path, op: str, file_id: int) -> None:
    """The step that gets killed."""
    from tui_app.services import handling
    from tui_app.services.identity import staff_by_login

    ctx = context(base, op)
    dan = staff_by_login(ctx, "danan12")
    if op == "picsara":  # warm up what the step imports lazily, so the kill window is the step
        import pydicom  # noqa: F401
    if op in ("earkiv", "lp"):
        import pikepdf  # noqa: F401
    print("go", flush=True)  # killloop.py times its random kill from here
    if op == "picsara":
        handling.to_picsara(ctx, dan, file_id, "vänster", "handled")
    elif op in ("earkiv", "lp"):
        handling.print_earkiv(ctx, dan, file_id)
    elif op == "download":
        handling.download(ctx, dan, file_id)
    else:
        raise SystemExit(f"unknown op {op}")


def resolve(base: Path, op: str) -> list[str]:
    """What the next start or sweep does; nothing on code without services/pending.py."""
    ctx = context(base, op)
    try:
        from tui_app.services.pending import resolve_pending
    except ImportError:
        return []
    return resolve_pending(ctx)


def inspect(base: Path, op: str, file_id: int) -> dict[str, object]:
    """What the database, the folders and the access log hold about the file (plain SQL, so it
    reads the schema before and after the fix alike)."""
    import sqlite3

    p = places(base)
    con = sqlite3.connect(p["db"])
    try:
        cols = {r[1] for r in con.execute("PRAGMA table_info(attachment)")}
        pend = "pending_action" if "pending_action" in cols else "NULL"
        picsara_at, printed_at, pending = con.execute(
            f"SELECT picsara_at, printed_at, {pend} FROM attachment WHERE id = ?", (file_id,)
        ).fetchone()
        dcols = {r[1] for r in con.execute("PRAGMA table_info(download)")}
        dpend = "pending_owner" if "pending_owner" in dcols else "NULL"
        downloads = con.execute(
            f"SELECT path, cleaned_at, {dpend} FROM download WHERE attachment_id = ?", (file_id,)
        ).fetchall()
        log = con.execute(
            "SELECT action, outcome FROM audit_entry WHERE detail = ? OR detail LIKE ?",
            (f"fil {file_id}", f"fil {file_id}:%"),
        ).fetchall()
    finally:
        con.close()

    def files(folder: Path) -> tuple[list[str], list[str]]:
        names = sorted(os.listdir(folder)) if folder.is_dir() else []
        return [n for n in names if not n.startswith(".")], [n for n in names if n.startswith(".")]

    folder = {
        "picsara": p["picsara"],
        "earkiv": p["earkiv"],
        "lp": p["spool"],
        "download": p["downloads"],
    }[op]
    visible, hidden = files(folder)
    dl_visible, dl_hidden = files(p["downloads"])
    done = {"picsara": picsara_at, "earkiv": printed_at, "lp": printed_at, "download": None}[
        op
    ] is not None
    return {
        "done": done,
        "pending": pending,
        "sent": [n for n in visible if not n.endswith(".held")],
        "held": [n for n in visible if n.endswith(".held")],
        "temps": hidden,
        "logged_ok": sum(
            1
            for a, o in log
            if a == {"picsara": "picsara", "download": "ladda ner"}.get(op, "skriv ut")
            and o == "ok"
        ),
        "downloads": downloads,
        "copies": dl_visible,
        "download_temps": dl_hidden,
        "home": str(p["downloads"]),
    }


def problems(info: dict[str, object], op: str, *, settled: bool) -> list[str]:
    """What is wrong: work recorded as done that was not done, a send or copy the app lost
    track of, a log entry missing; after settling (the next start or sweep) also anything
    still pending and temp files left behind."""
    bad = []
    sent, done = info["sent"], info["done"]
    if op == "download":
        tracked = {Path(str(d[0])).name for d in info["downloads"]}  # type: ignore[attr-defined]
        live = {Path(str(d[0])).name for d in info["downloads"] if d[1] is None}  # type: ignore[attr-defined]
        untracked = [c for c in info["copies"] if c not in tracked]  # type: ignore[attr-defined]
        if untracked:
            bad.append(f"untracked copy in Downloads: {untracked}")
        if settled:
            if info["download_temps"]:
                bad.append(f"temp copy left in Downloads: {info['download_temps']}")
            if any(d[2] for d in info["downloads"]):  # type: ignore[attr-defined]
                bad.append("download still pending")
            phantom = [n for n in live if n not in info["copies"]]  # type: ignore[operator]
            if phantom:
                bad.append(f"copy recorded but missing: {phantom}")
            if live and info["logged_ok"] == 0:
                bad.append("copy made without a log entry")
        return bad
    if done and not sent:
        bad.append("recorded as done, nothing sent")
    if done and info["logged_ok"] == 0:
        bad.append("recorded as done without a log entry")
    if len(sent) > 1:  # type: ignore[arg-type]
        bad.append(f"sent twice: {sent}")
    if settled:
        if sent and not done:
            bad.append("sent but not recorded (a resend would duplicate it)")
        if info["pending"]:
            bad.append("still pending after settling")
        if info["temps"]:
            bad.append(f"temp files left: {info['temps']}")
    return bad


def main(argv: list[str]) -> int:
    """Command line: see the module docstring."""
    cmd, base, op = argv[0], Path(argv[1]), argv[2]
    if cmd == "setup":
        print(setup(base, op))
    elif cmd == "run":
        run(base, op, int(argv[3]))
        print("ok")
    elif cmd == "resolve":
        for line in resolve(base, op):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
