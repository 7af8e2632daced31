"""The demo's folders: each run its own, only a demo's folder is ever deleted, Picsara, E-arkiv
and Downloads work with no config file, every command can read the demo (issue 9 item 8,
issue 10 item 2, issue 11 items 7-9)."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import sqlite3
import stat
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

#: Seconds a step may take on a loaded machine before the test gives up (not a timing assert).
DEADLINE = float(os.environ.get("PTY_TEST_DEADLINE", "120"))
_STARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture(autouse=True)
def _no_app_left_running():  # type: ignore[no-untyped-def]
    """A failed test must not leave a demo running (it would spin on a closed terminal)."""
    yield
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


class PtyRun:
    """`tui-app ARGS` on a pseudo-terminal of 80x24, as a trainer runs it."""

    def __init__(self, args: list[str], env: dict[str, str], umask: int = 0o022) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        full = {
            **os.environ,
            "TERM": "xterm-256color",
            "NO_COLOR": "1",
            "TUI_APP_GRAPHICS": "text",
            **env,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui_app", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            env=full,
            start_new_session=True,
            umask=umask,
        )
        _STARTED.append(self.proc)
        os.close(slave)
        self.master = master
        self.out = b""

    def _read(self, timeout: float) -> str:
        """Read what is there within timeout: "data", "idle" (nothing came) or "eof"."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return "idle"
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            return "eof"
        self.out += chunk
        return "data" if chunk else "eof"

    def wait_for(self, text: str) -> None:
        """Read what the app draws until `text` appears (or the process ends: a failure)."""
        end = time.monotonic() + DEADLINE
        while text.encode() not in self.out:
            got = self._read(0.5)
            if (got == "eof" and self.proc.poll() is not None) or time.monotonic() > end:
                raise AssertionError(f"{text!r} never shown; got: {self.text()[-1500:]}")

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self) -> int:
        """Wait for the process to end, reading its output meanwhile; its exit status."""
        end = time.monotonic() + DEADLINE
        while self.proc.poll() is None and time.monotonic() < end:
            self._read(0.5)
        while self._read(0) == "data":
            pass
        os.close(self.master)
        return self.proc.wait(timeout=10)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        os.close(self.master)

    def text(self) -> str:
        return self.out.decode("utf-8", "replace")


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """A fresh HOME (no Downloads) and a config whose data_dir is under the test's folder."""
    h = tmp_path / "home"
    h.mkdir()
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return {
        "HOME": str(h),
        "TUI_APP_CONFIG": str(cfg),
        "XDG_CONFIG_HOME": str(h / ".config"),
        "XDG_DATA_HOME": str(h / ".local/share"),
    }


def start_demo(env: dict[str, str], *args: str) -> PtyRun:
    app = PtyRun(["demo", *args], env)
    app.wait_for("Daniel Andersson")  # the sign-in picker has its people
    return app


def quit_demo(app: PtyRun) -> None:
    app.send(b"q")
    assert app.finish() == 0, app.text()[-1500:]


def runs(base: Path) -> list[Path]:
    return sorted(p for p in base.glob("run-*"))


def staff_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM staff").fetchone()[0])


def test_two_demo_runs_never_clobber_each_other(tmp_path: Path, home: dict[str, str]) -> None:
    base = tmp_path / "data" / "demo"
    first = start_demo(home)
    [mine] = runs(base)
    stored = sorted((mine / "files").rglob("*.*"))
    assert stored and staff_count(mine / "demo.sqlite") == 5
    second = start_demo(home)
    theirs = [p for p in runs(base) if p != mine]
    assert len(theirs) == 1
    assert sorted((mine / "files").rglob("*.*")) == stored  # the first run's files are all there
    assert staff_count(mine / "demo.sqlite") == 5
    quit_demo(second)
    assert runs(base) == [mine]  # the second removed its own folder, and only that
    assert sorted((mine / "files").rglob("*.*")) == stored
    quit_demo(first)
    assert runs(base) == []


def test_demo_data_dir_never_touches_a_production_data_dir(
    tmp_path: Path, home: dict[str, str]
) -> None:
    prod = tmp_path / "prod"
    (prod / "files" / "ab").mkdir(parents=True)
    (prod / "staging" / "x").mkdir(parents=True)
    (prod / "files" / "ab" / "patientbild.jpg").write_bytes(b"\xff\xd8 patient")
    (prod / "tui_app.sqlite").write_bytes(b"SQLite format 3\x00")
    before = sorted(str(p.relative_to(prod)) for p in prod.rglob("*"))
    app = PtyRun(["demo", "--data-dir", str(prod)], home)
    assert app.finish() == 1
    assert "innehåller annat än en demo" in app.text() and "Traceback" not in app.text()
    assert sorted(str(p.relative_to(prod)) for p in prod.rglob("*")) == before
    assert (prod / "files" / "ab" / "patientbild.jpg").read_bytes() == b"\xff\xd8 patient"


def test_a_demo_folder_in_use_is_not_emptied_by_a_second_run(
    tmp_path: Path, home: dict[str, str]
) -> None:
    shared = tmp_path / "klassen"
    first = start_demo(home, "--data-dir", str(shared))
    stored = sorted((shared / "files").rglob("*.*"))
    second = PtyRun(["demo", "--data-dir", str(shared)], home)
    assert second.finish() == 1 and "används av en annan körning" in second.text()
    assert sorted((shared / "files").rglob("*.*")) == stored
    joined = start_demo(home, "--data-dir", str(shared), "--keep")  # --keep joins the class
    quit_demo(joined)
    assert sorted((shared / "files").rglob("*.*")) == stored
    quit_demo(first)
    assert not shared.exists()  # made by the first run, removed by it at exit


def test_a_killed_demo_leaves_a_folder_the_next_run_removes(
    tmp_path: Path, home: dict[str, str]
) -> None:
    base = tmp_path / "data" / "demo"
    killed = start_demo(home)
    [left] = runs(base)
    killed.kill()  # no clean-up ran: the folder is still there, its lock gone with the process
    assert left.is_dir()
    foreign = base / "run-not-a-demo"
    foreign.mkdir()
    (foreign / "egen.txt").write_text("inte demons")
    nxt = start_demo(home)
    assert not left.exists() and (foreign / "egen.txt").is_file()  # unmarked: never deleted
    quit_demo(nxt)
    assert (foreign / "egen.txt").is_file()


def test_demo_keep_keeps_database_and_demo_folders(tmp_path: Path, home: dict[str, str]) -> None:
    kept = tmp_path / "data" / "demo" / "kept"
    app = start_demo(home, "--keep")
    app.wait_for("Demons mapp")  # the sign-in picker says where the folders are
    quit_demo(app)
    assert (kept / "demo.sqlite").is_file()
    assert (kept / "picsara-import").is_dir() and (kept / "e-arkiv-utskrifter").is_dir()
    app = start_demo(home, "--keep")  # the class's cases are still there
    quit_demo(app)
    assert (kept / "demo.sqlite").is_file() and staff_count(kept / "demo.sqlite") == 5


def test_only_a_marked_folder_is_cleared_and_foreign_files_in_it_stay(tmp_path: Path) -> None:
    from tui_app.core.errors import UserError
    from tui_app.services import demodir

    d = demodir.claim(tmp_path / "demo", keep=False)
    (d.path / "demo.sqlite").write_bytes(b"old demo")
    (d.path / "anteckning.txt").write_text("tränarens")
    d.release()
    assert not d.path.exists()  # this run created it: all of it goes
    folder = tmp_path / "egen"
    folder.mkdir()
    d = demodir.claim(folder, keep=False)  # empty: marked and used
    (folder / "demo.sqlite").write_bytes(b"old demo")
    (folder / "anteckning.txt").write_text("tränarens")
    d.release()
    assert sorted(p.name for p in folder.iterdir()) == ["anteckning.txt"]
    with pytest.raises(UserError, match="innehåller annat än en demo"):
        demodir.claim(folder, keep=True)  # no marker any more, and not empty
    (folder / demodir.MARKER).symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UserError, match="innehåller annat än en demo"):
        demodir.claim(folder, keep=False)  # a link is not a marker


def _demo_ctx(tmp_path: Path):  # type: ignore[no-untyped-def]
    from tui_app.cli import make_demo_context

    return make_demo_context(tmp_path / "data" / "demo" / "kept", fresh=False)


def _file(ctx, mime: str) -> int:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from tui_app.store.models import Attachment, Case, Unit

    with Session(ctx.engine) as s:
        stmt = (
            select(Attachment.id)
            .join(Case, Case.id == Attachment.case_id)
            .join(Unit, Unit.id == Case.unit_id)
            .where(Attachment.mime == mime, Unit.code == "REUM-SKO")
        )
        return int(s.exec(stmt).first())  # type: ignore[arg-type]


def test_r18_demo_creates_a_missing_downloads_folder_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_app.services.handling import decide, download
    from tui_app.services.identity import staff_by_login

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    ctx = _demo_ctx(tmp_path)
    dan = staff_by_login(ctx, "danan12")
    jpg = _file(ctx, "image/jpeg")
    decide(ctx, dan, jpg, True)
    path = download(ctx, dan, jpg)
    assert path.parent == home / "Downloads"
    assert stat.S_IMODE((home / "Downloads").stat().st_mode) == 0o700
    ctx.engine.dispose()


def test_r18_only_the_users_own_downloads_is_created(tmp_path: Path) -> None:
    from tui_app.adapters.downloads import ensure_own_download_dir

    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home)}
    assert not ensure_own_download_dir(tmp_path / "elsewhere", home, env)
    assert not (tmp_path / "elsewhere").exists()
    (home / ".config").mkdir()
    (home / ".config" / "user-dirs.dirs").write_text('XDG_DOWNLOAD_DIR="$HOME/Hämtade filer"\n')
    assert not ensure_own_download_dir(home / "Downloads", home, env)
    assert ensure_own_download_dir(home / "Hämtade filer", home, env)
    assert stat.S_IMODE((home / "Hämtade filer").stat().st_mode) == 0o700


def test_r19_r20_demo_picsara_and_earkiv_work_without_a_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_app.services.handling import decide, download, print_earkiv, to_picsara
    from tui_app.services.identity import staff_by_login

    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("TUI_APP_CONFIG", str(tmp_path / "ingen.toml"))
    ctx = _demo_ctx(tmp_path)
    kept = tmp_path / "data" / "demo" / "kept"
    assert ctx.config.picsara_import_dir == kept / "picsara-import"
    assert ctx.config.earkiv_folder == kept / "e-arkiv-utskrifter"
    assert ctx.config.earkiv_printer is None
    dan = staff_by_login(ctx, "danan12")
    jpg, pdf = _file(ctx, "image/jpeg"), _file(ctx, "application/pdf")
    for f in (jpg, pdf):
        decide(ctx, dan, f, True)
        download(ctx, dan, f)
    assert to_picsara(ctx, dan, jpg, "höger", "handled")
    print_earkiv(ctx, dan, pdf)
    assert list((kept / "picsara-import").glob("*.dcm"))
    assert list((kept / "e-arkiv-utskrifter").glob("*.pdf"))
    ctx.engine.dispose()


def test_leftovers_and_audit_take_demo_like_the_app(tmp_path: Path, home: dict[str, str]) -> None:
    env = {**os.environ, **home}
    script = (
        "import os; from pathlib import Path\n"
        "from tui_app.cli import make_demo_context\n"
        "from tui_app.services.handling import decide, download\n"
        "from tui_app.services.identity import staff_by_login\n"
        "from tests.test_demo_dirs import _file\n"
        f"ctx = make_demo_context(Path({str(tmp_path / 'data' / 'demo' / 'kept')!r}), fresh=False)\n"
        "dan = staff_by_login(ctx, 'danan12')\n"
        "f = _file(ctx, 'image/jpeg'); decide(ctx, dan, f, True); print(download(ctx, dan, f))\n"
    )
    made = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert made.returncode == 0, made.stderr
    copy = Path(made.stdout.strip())
    assert copy.parent == Path(home["HOME"]) / "Downloads"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui_app", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            stdin=subprocess.DEVNULL,
        )

    out = cli("leftovers")  # the deployment's (empty) database knows no patient file
    assert out.returncode == 0 and "Inga kopior" in out.stdout
    out = cli("leftovers", "--demo")
    assert out.returncode == 1 and copy.name in out.stdout, out.stdout + out.stderr
    out = cli("leftovers", "--demo", "--data-dir", str(tmp_path / "data" / "demo" / "kept"))
    assert out.returncode == 1 and copy.name in out.stdout
    out = cli("audit", "verify", "--demo")
    assert out.returncode == 0 and "obruten" in out.stdout, out.stderr
    out = cli("sweep", "--demo")
    assert out.returncode == 0, out.stderr
    out = cli("leftovers", "--demo", "--data-dir", str(tmp_path))
    assert out.returncode == 1 and "ingen demos mapp" in out.stderr
