"""Two app servers on one database: two processes with data directories of their own (nothing
shared on disk), the files in the database (file_store = "database", the default with
PostgreSQL). A case sent on one is answered, with files, through the other; the first one's
inbox shows the reply, and it previews and downloads the files.

On the PostgreSQL run both use the test's PostgreSQL database; on the SQLite run they share
one SQLite file, which is the same code path for the files."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ELIN, ROOT
from tests.handling_fixtures import SAMPLES

_SERVER = """
import json, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from tui_app.config import Settings
from tui_app.services.context import close_context, open_context

args = json.loads(sys.argv[1])
data = Path(args["data_dir"])
ctx = open_context(args["url"], data)
ctx.config = Settings(
    data_dir=data, database_url=args["url"], download_dir=Path(args["downloads"]),
    file_store=args["store"],
)
from tui_app.adapters.downloads import UserDownloads

ctx.downloads = UserDownloads(Path(args["downloads"]))
out = {{}}
if args["do"] == "send":
    from tui_app.services.cases import draft_message, send_case
    from tui_app.services.identity import staff_by_login

    dan = staff_by_login(ctx, "danan12")
    unit = next(u.id for u in dan.units if u.code == "REUM-SKO")
    d = draft_message(ctx, dan, unit, args["pnr"])
    out["case"] = send_case(ctx, dan, d.unit_id, d.patient.id, d.text)
elif args["do"] == "reply":
    from sqlmodel import Session, select

    from tui_app.services.conversation import patient_reply
    from tui_app.services.files import stage_files
    from tui_app.services.identity import patient_actor
    from tui_app.store.models import Patient

    with Session(ctx.engine) as s:
        pid = s.exec(select(Patient.id).where(Patient.pnr == args["pnr"])).one()
    staged = stage_files(ctx, [Path(p) for p in args["files"]])
    patient_reply(ctx, patient_actor(ctx, pid), args["case"], "Här är bilderna.", staged)
    out["replied"] = True
elif args["do"] == "handle":
    from tui_app.services import handling
    from tui_app.services.cases import inbox, open_case
    from tui_app.services.identity import staff_by_login
    from tui_app.services.preview import preview_source

    dan = staff_by_login(ctx, "danan12")
    row = next(r for r in inbox(ctx, dan) if r.case_id == args["case"])
    out["inbox"] = {{"files": row.file_count, "todo": row.todo, "state": str(row.state)}}
    view = open_case(ctx, dan, args["case"])
    ids = [f.id for m in view.messages for f in m.files]
    out["previews"] = []
    out["downloads"] = []
    for fid in ids:
        src = preview_source(ctx, dan, fid)
        out["previews"].append([str(src.path), src.path.is_file()])
        handling.decide(ctx, dan, fid, True)
        out["downloads"].append(str(handling.download(ctx, dan, fid)))
close_context(ctx)
print(json.dumps(out))
"""


def _server(tmp_path: Path, name: str, url: str, store: str, **args: object) -> dict:  # type: ignore[type-arg]
    """Run one step on app server `name` (its own process and data directory)."""
    home = tmp_path / name / "home"
    data = tmp_path / name / "data"
    downloads = home / "Hämtade filer"
    for d in (data, downloads):
        d.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_STATE_HOME": str(home / ".local/state"),
    }
    env.pop("TUI_APP_KILLPOINT", None)
    payload = {
        "url": url,
        "store": store,
        "data_dir": str(data),
        "downloads": str(downloads),
        **args,
    }
    proc = subprocess.run(
        [sys.executable, "-c", _SERVER.format(root=str(ROOT)), json.dumps(payload)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_r18_a_case_sent_on_one_server_is_answered_through_another_and_handled_on_the_first(
    ctx, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from tui_app.store.models import Attachment

    url = ctx.engine.url.render_as_string(hide_password=False)
    # PostgreSQL: the default ("auto") is the database store; SQLite has to ask for it.
    store = "database" if url.startswith("sqlite") else "auto"
    files = [str(SAMPLES / "handled.jpg"), str(SAMPLES / "remiss-brev.pdf")]
    case = _server(tmp_path, "a", url, store, do="send", pnr=ELIN)["case"]
    assert _server(tmp_path, "b", url, store, do="reply", pnr=ELIN, case=case, files=files)[
        "replied"
    ]
    seen = _server(tmp_path, "a", url, store, do="handle", case=case)
    assert seen["inbox"]["files"] == 2
    assert all(ok for _, ok in seen["previews"]) and len(seen["previews"]) == 2
    # Server b never wrote into a's data directory, and neither holds the files in files/.
    assert not any((tmp_path / "a" / "data" / "files").glob("*/*"))
    assert not any((tmp_path / "b" / "data" / "files").glob("*/*"))
    assert all(Path(p).is_relative_to(tmp_path / "a") for p, _ in seen["previews"])
    with Session(ctx.engine) as s:
        stored = {a.sha256_stored for a in s.exec(select(Attachment)).all()}
    got = {hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in seen["downloads"]}
    assert got == stored
    assert all(Path(p).is_relative_to(tmp_path / "a" / "home") for p in seen["downloads"])
