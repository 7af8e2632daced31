"""Staff over SSH, end to end, with the shipped deploy/ files (issue 16; R05, R18, R21, R24).

A real sshd on 127.0.0.1 (a free high port, a temporary host key, the shipped snippet), the app
installed by deploy/install.sh from a freshly built wheel into a venv on Debian's own Python
(one every user can run), a service account, two nurses and one OS user who is not staff, each
with a key; `ssh -tt` runs inside tmux. Every name has a random part and is removed afterwards.

Needs root, sshd, sudo, visudo and tmux: skipped with the reason outside CI, a failure in CI
(`.ci/run` installs openssh-server and sudo).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

IN_CI = os.environ.get("CI") == "true"
PYTHON = "/usr/bin/python3"  # Debian's: a venv on a Python under /root cannot run for staff
WHEELHOUSE = Path(os.environ.get("TUI_APP_TEST_WHEELHOUSE", "/var/cache/tui_app-tests/wheels"))
WAIT = 120.0  # generous: the machine may be loaded


def _missing() -> str | None:
    if os.getuid() != 0:
        return "needs root (creates OS users, a sudoers rule and a service account)"
    for tool in ("sshd", "ssh", "ssh-keygen", "sudo", "visudo", "tmux", "useradd", "runuser"):
        if not (shutil.which(tool) or os.access(f"/usr/sbin/{tool}", os.X_OK)):
            return f"{tool} is not installed (apt-get install openssh-server sudo tmux)"
    if not os.access(PYTHON, os.X_OK):
        return f"{PYTHON} is missing (apt-get install python3 python3-venv)"
    return None


_why = _missing()
pytestmark = pytest.mark.skipif(_why is not None and not IN_CI, reason=str(_why))


def sh(*args: str, check: bool = True, **kw: object) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(list(args), capture_output=True, text=True, timeout=600, check=False, **kw)  # type: ignore[call-overload]
    if check and out.returncode != 0:
        raise AssertionError(f"{args}: {out.returncode}\n{out.stdout}\n{out.stderr}")
    return out  # type: ignore[no-any-return]


def wait_for(what: str, cond: Callable[[], object], timeout: float = WAIT) -> object:
    """Poll a condition until it holds (never a fixed sleep as synchronisation)."""
    end = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def pids_of(uid: int) -> list[int]:
    """Processes running as this uid (real uid), zombies left out."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith("Z"):
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            out.append(int(entry))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Site:
    root: Path
    tag: str
    port: int
    service: str
    group: str
    nurse: str  # Daniel Andersson: REUM-SKO and HUD-SKO
    nurse2: str  # Maria Svensson: HUD-SKO only
    outsider: str  # an OS user in the staff group but not staff in the app
    prefix: Path
    config: Path
    data: Path
    home: Path  # the service account's
    keys: Path
    sudoers: Path
    sessions: list[str]

    def uid(self, user: str) -> int:
        return pwd.getpwnam(user).pw_uid

    def ssh(self, user: str, *opts: str) -> list[str]:
        return [
            "ssh",
            "-i",
            str(self.keys / user),
            "-p",
            str(self.port),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "LogLevel=ERROR",
            *opts,
            f"{user}@127.0.0.1",
        ]

    def tmux(self, user: str, *opts: str) -> str:
        """`ssh -tt` for the user in a new tmux session at 100x30; its name."""
        name = f"deploy-ssh-{self.tag}-{len(self.sessions)}"
        self.sessions.append(name)
        cmd = shlex.join(self.ssh(user, "-tt", *opts))
        sh("tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "30", cmd)
        sh("tmux", "set-option", "-t", name, "remain-on-exit", "on")
        return name

    def screen(self, name: str) -> str:
        """The pane's text, wrapped lines joined, with what scrolled off (a refusal printed
        just before the connection closed may sit above the visible rows)."""
        return sh("tmux", "capture-pane", "-p", "-J", "-S", "-100", "-t", name, check=False).stdout

    def wait_screen(self, name: str, *texts: str) -> str:
        def seen() -> str | None:
            s = self.screen(name)
            return s if all(t in s for t in texts) else None

        try:
            return str(wait_for(f"{texts} on the screen", seen))
        except AssertionError:
            log = (self.root / "sshd.log").read_text(errors="replace")[-2000:]
            raise AssertionError(
                f"{texts} never shown; the screen:\n{self.screen(name)}\nsshd:\n{log}"
            ) from None

    def pane_dead(self, name: str) -> bool:
        out = sh("tmux", "display-message", "-p", "-t", name, "#{pane_dead}", check=False)
        return out.stdout.strip() == "1"

    def no_app_left(self, *users: str) -> None:
        for user in (*users, self.service):
            uid = self.uid(user)
            wait_for(f"no process of {user} left", lambda uid=uid: not pids_of(uid))


def _wheelhouse(wheel: Path) -> None:
    """The app's dependencies as wheels, fetched once and kept (install.sh installs offline)."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    sh(sys.executable, "-m", "pip", "download", "-q", "-d", str(WHEELHOUSE), str(wheel))


def _build_wheel(root: Path) -> Path:
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "tui_app", src / "tui_app", ignore=shutil.ignore_patterns("__pycache__"))
    sh(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(root / "dist"), str(src))
    return next((root / "dist").glob("tui_app-*.whl"))


def _seed(site: Site) -> None:
    """Units, the nurses, patients and cases with received files, stored by the service account
    the way the app stores them; and one line in the app's log, so the log exists."""
    seed = site.root / "seed"
    shutil.copytree(ROOT / "data" / "samples", seed / "samples")
    data = json.loads((ROOT / "data" / "demo.json").read_text(encoding="utf-8"))
    rename = {"danan12": site.nurse, "marsv3": site.nurse2}
    for person in data["staff"]:
        if person["login"] == "marsv3":
            person["units"] = ["HUD-SKO"]
        person["login"] = rename.get(person["login"], person["login"])
    for case in data["cases"]:
        case["sender"] = rename.get(case["sender"], case["sender"])
    (seed / "staff.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (seed / "seed.py").write_text(
        "import logging, sys\n"
        "from pathlib import Path\n"
        "from tui_app.bootstrap import read_settings\n"
        "from tui_app.commands.where import prepare_data_dir\n"
        "from tui_app.crashlog import setup_logging\n"
        "from tui_app.services.context import open_context\n"
        "from tui_app.services.seed import load_file\n"
        "setup_logging()\n"
        "s = read_settings(Path(sys.argv[1]))\n"
        "prepare_data_dir(s)\n"
        "ctx = open_context(s.url, s.data_dir)\n"
        "print(load_file(ctx, Path(sys.argv[2]), with_cases=True))\n"
        "logging.getLogger('tui_app.test').warning('seeded for the deployment test')\n",
        encoding="utf-8",
    )
    sh("chmod", "-R", "a+rX", str(seed))
    sh(
        "sudo",
        "-u",
        site.service,
        "--",
        str(site.prefix / "bin" / "python"),
        str(seed / "seed.py"),
        str(site.config),
        str(seed / "staff.json"),
        cwd="/",
    )


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    if _why is not None:
        pytest.fail(f"CI must run the SSH test (.ci/run installs what it needs), but: {_why}")
    started = time.monotonic()
    tag = secrets.token_hex(3)
    root = Path(tempfile.mkdtemp(prefix="tui-deploy-", dir="/tmp"))
    root.chmod(0o755)  # staff must reach the venv and the wrapper below it
    s = Site(
        root=root,
        tag=tag,
        port=free_port(),
        service=f"tuis{tag}",
        group=f"tuig{tag}",
        nurse=f"tuia{tag}",
        nurse2=f"tuib{tag}",
        outsider=f"tuix{tag}",
        prefix=root / "opt",
        config=root / "etc" / "config.toml",
        data=root / "var" / "data",
        home=root / "var",
        keys=root / "keys",
        sudoers=Path(f"/etc/sudoers.d/tui_app_test_{tag}"),
        sessions=[],
    )
    sshd: subprocess.Popen[bytes] | None = None
    users = [s.nurse, s.nurse2, s.outsider]
    try:
        wheel = _build_wheel(root)
        _wheelhouse(wheel)
        env = {
            **os.environ,
            "PREFIX": str(s.prefix),
            "SERVICE": s.service,
            "STAFF_GROUP": s.group,
            "OPS_GROUP": f"tuio{tag}",
            "HOME_DIR": str(s.home),
            "DATA": str(s.data),
            "CONFIG": str(s.config),
            "PYTHON": PYTHON,
            "WHEEL": str(wheel),
            "WHEELHOUSE": str(WHEELHOUSE),
            "SUDOERS_FILE": str(s.sudoers),
            "SSHD_SNIPPET": str(root / "etc" / "sshd_tui_app.conf"),
            "SYSTEMD_DIR": str(root / "etc" / "systemd"),
            "LOGROTATE_DIR": str(root / "etc" / "logrotate.d"),
            "RSYSLOG_DIR": str(root / "etc" / "rsyslog.d"),
            "ENABLE_TIMERS": "0",
        }
        sh("sh", str(ROOT / "deploy" / "install.sh"), env=env, cwd="/")
        # Picsara's import folder, the service account's (it writes there, staff never do).
        picsara = root / "picsara"
        sh("install", "-d", "-m", "0700", "-o", s.service, "-g", s.service, str(picsara))
        with open(s.config, "a", encoding="utf-8") as fh:  # stays root's, 0640
            fh.write(f'picsara_import_dir = "{picsara}"\n')
        s.keys.mkdir(mode=0o700)
        for user in users:
            # Homes 0700 as README asks (Debian's default is 0755); a password nobody can use.
            sh("useradd", "-m", "-K", "HOME_MODE=0700", "-s", "/bin/sh", "-G", s.group, user)
            sh("usermod", "-p", "*", user)
            sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(s.keys / user))
            home = Path(pwd.getpwnam(user).pw_dir)
            ssh_dir = home / ".ssh"
            ssh_dir.mkdir(mode=0o700)
            shutil.copy(s.keys / f"{user}.pub", ssh_dir / "authorized_keys")
            # What a nurse may set for herself: sshd must ignore it (PermitUserEnvironment no).
            (ssh_dir / "environment").write_text(f"LOGNAME={s.nurse2}\nUSER={s.nurse2}\n")
            for p in (ssh_dir, ssh_dir / "authorized_keys", ssh_dir / "environment"):
                os.chown(p, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
        _seed(s)
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "host_key"))
        config = root / "sshd_config"
        config.write_text(
            f"Port {s.port}\nListenAddress 127.0.0.1\nHostKey {root / 'host_key'}\n"
            f"PidFile {root / 'sshd.pid'}\nAuthorizedKeysFile .ssh/authorized_keys\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
            # The login names a client sends are let in here on purpose: they must change nothing.
            "AcceptEnv LOGNAME USER\n"
            f"Include {root / 'etc' / 'sshd_tui_app.conf'}\n",
            encoding="utf-8",
        )
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        sshd_bin = shutil.which("sshd") or "/usr/sbin/sshd"
        sh(sshd_bin, "-t", "-f", str(config))
        log = open(root / "sshd.log", "wb")  # noqa: SIM115 - closed with the server
        sshd = subprocess.Popen([sshd_bin, "-D", "-e", "-f", str(config)], stderr=log)

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", s.port), timeout=1).close()
                return True
            except OSError:
                return False

        wait_for("sshd to listen", listening)
        print(f"\n[deploy-ssh] set-up took {time.monotonic() - started:.1f} s", file=sys.stderr)
        yield s
    finally:
        for name in s.sessions:
            sh("tmux", "kill-session", "-t", name, check=False)
        if sshd is not None:
            sshd.terminate()
            sshd.wait(timeout=60)
        for user in [*users, s.service]:
            try:
                uid = pwd.getpwnam(user).pw_uid
            except KeyError:
                continue
            for pid in pids_of(uid):  # only processes of the users this test made
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            sh("userdel", "-r", user, check=False)
        for group in (s.group, f"tuio{tag}", s.service):
            sh("groupdel", group, check=False)
        s.sudoers.unlink(missing_ok=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def _own_sessions(site: Site) -> Iterator[None]:
    """Each test ends its own connections: one that failed half-way must not leave its app
    running into the next test (which counts the processes left)."""
    before = len(site.sessions)
    yield
    for name in site.sessions[before:]:
        sh("tmux", "kill-session", "-t", name, check=False)


def test_r24_a_nurse_sees_her_own_inbox_signed_in_as_herself(site: Site) -> None:
    # LOGNAME/USER sent by the client (SetEnv, accepted by this sshd) and ~/.ssh/environment
    # both name the second nurse: neither may change who signs in.
    name = site.tmux(site.nurse, "-o", f"SetEnv=LOGNAME={site.nurse2} USER={site.nurse2}")
    screen = site.wait_screen(name, f"Daniel Andersson ({site.nurse})", "Johan Ström")
    assert "Elin Lund" in screen and "Marco Rossi" in screen  # REUM-SKO too: both her units
    assert site.nurse2 not in screen and "Maria Svensson" not in screen
    sh("tmux", "send-keys", "-t", name, "q")
    wait_for("the connection to close", lambda: site.pane_dead(name))
    site.no_app_left(site.nurse)


def test_r05_the_second_nurse_sees_only_her_units(site: Site) -> None:
    name = site.tmux(site.nurse2)
    screen = site.wait_screen(name, f"Maria Svensson ({site.nurse2})", "Johan Ström")
    for other in ("Elin Lund", "Marco Rossi", "Anna Berg", "REUM-SKO"):
        assert other not in screen  # cases of Reumatologi, not her unit
    sh("tmux", "send-keys", "-t", name, "q")
    wait_for("the connection to close", lambda: site.pane_dead(name))
    site.no_app_left(site.nurse2)


def test_r05_an_os_user_who_is_not_staff_is_refused_in_swedish(site: Site) -> None:
    name = site.tmux(site.outsider)
    wait_for("the connection to close", lambda: site.pane_dead(name))
    screen = site.screen(name)
    assert f"Inloggningen ”{site.outsider}” är inte registrerad som personal" in screen
    site.no_app_left(site.outsider)


def test_ssh_without_a_terminal_is_refused_at_once_and_leaves_nothing(site: Site) -> None:
    for opts in (["-T"], []):
        cmd = site.ssh(site.nurse, *opts) + (
            ["sqlite3", str(site.data / "tui_app.sqlite")] if not opts else []
        )
        out = sh(*cmd, check=False, stdin=subprocess.DEVNULL)
        assert out.returncode == 1, out
        assert "Appen behöver en terminal" in out.stderr
        assert "CREATE TABLE" not in out.stdout  # the command asked for never ran
    site.no_app_left(site.nurse)


def test_r24_staff_cannot_read_or_write_the_database_log_or_received_files(site: Site) -> None:
    db = site.data / "tui_app.sqlite"
    log = site.home / ".local" / "state" / "tui_app" / "log" / "tui_app.log"
    received = sorted(p for p in (site.data / "files").rglob("*") if p.is_file())
    assert db.is_file() and log.is_file() and received
    for user in (site.nurse, site.nurse2, site.outsider):
        for target in (db, log, received[0]):
            for cmd in (
                ["cat", str(target)],
                ["cp", str(target), f"/tmp/{user}-copy"],
                ["sh", "-c", f"echo x >> '{target}'"],
            ):
                out = sh("runuser", "-u", user, "--", *cmd, check=False, cwd="/")
                assert out.returncode != 0, (user, cmd, out.stdout)
        out = sh("runuser", "-u", user, "--", "sqlite3", str(db), ".dump", check=False, cwd="/")
        assert out.returncode != 0 and "CREATE TABLE" not in out.stdout
        assert not Path(f"/tmp/{user}-copy").exists()
    with sqlite3.connect(db) as con:  # it is all there for the app (checked as root)
        assert con.execute("select count(*) from staff").fetchone()[0] >= 2


def _walk_modes(top: Path, owner: int) -> dict[str, str]:
    """Everything under top that is not owner-only (0700/0600) or not the owner's."""
    bad = {}
    for p in [top, *top.rglob("*")]:
        try:
            st = os.lstat(p)
        except FileNotFoundError:  # gone meanwhile (SQLite removes -wal/-shm when the last
            continue  # connection closes): nothing left to be readable
        want = 0o700 if stat.S_ISDIR(st.st_mode) else 0o600
        if stat.S_IMODE(st.st_mode) != want or st.st_uid != owner:
            bad[str(p)] = f"{stat.S_IMODE(st.st_mode):04o} uid {st.st_uid}"
    return bad


def test_r18_a_download_lands_in_her_own_downloads_hers_and_0600(site: Site) -> None:
    name = site.tmux(site.nurse)
    site.wait_screen(name, "Johan Ström")
    # The inbox lists Elin Lund, Marco Rossi, Johan Ström: the third case has one picture.
    sh("tmux", "send-keys", "-t", name, "Down", "Down", "Enter")
    site.wait_screen(name, "utslag.png", "Ladda ner")
    sh("tmux", "send-keys", "-t", name, "l")
    screen = site.wait_screen(name, "Nedladdad till")
    downloads = Path(pwd.getpwnam(site.nurse).pw_dir) / "Downloads"
    [copy] = list(downloads.glob("1177-*.png"))
    assert str(copy) in screen.replace("\n", "").replace(" ", "") or copy.name in screen.replace(
        "\n", ""
    )
    st = os.lstat(copy)
    assert st.st_uid == site.uid(site.nurse) and stat.S_IMODE(st.st_mode) == 0o600
    assert stat.S_IMODE(os.lstat(downloads).st_mode) == 0o700
    assert not list(downloads.glob(".*.part"))
    # Clean-up (R21) goes through her helper too, and proves nothing is left.
    sh("tmux", "send-keys", "-t", name, "r")
    site.wait_screen(name, "Ingen kopia finns kvar")
    assert not copy.exists()
    # Picsara (R19) reads her copy through her helper too, then the copy is cleaned up.
    sh("tmux", "send-keys", "-t", name, "j")
    site.wait_screen(name, "Journalförs: utslag.png")
    sh("tmux", "send-keys", "-t", name, "l")
    # Said once the case shows the copy (not merely once the file exists): s acts on it then.
    site.wait_screen(name, "Nedladdad till")
    assert list(downloads.glob("1177-*.png"))
    sh("tmux", "send-keys", "-t", name, "s")
    site.wait_screen(name, "Spara i Picsara", "Sida:")
    sh("tmux", "send-keys", "-t", name, "Enter")
    site.wait_screen(name, "Spara i Picsara", "Kroppsdel")
    sh("tmux", "send-keys", "-t", name, "Enter")
    wait_for(
        "the DICOM file in Picsara's folder", lambda: list((site.root / "picsara").glob("*.dcm"))
    )
    site.wait_screen(name, "j = Ja · n = Nej")  # "Klart: … sparad i Picsara. Radera … nu?"
    sh("tmux", "send-keys", "-t", name, "j")  # yes: clean up now (R21)
    wait_for("the copy to be cleaned up", lambda: not list(downloads.glob("1177-*")))
    sh("tmux", "send-keys", "-t", name, "Escape")
    site.wait_screen(name, "Filter")
    sh("tmux", "send-keys", "-t", name, "q")
    wait_for("the connection to close", lambda: site.pane_dead(name))
    site.no_app_left(site.nurse)
    # After the whole routine (received files, thumbnails, sign-ins, a download, the log):
    # everything the app made belongs to the service account alone.
    assert _walk_modes(site.home, site.uid(site.service)) == {}


def test_killing_the_connection_ends_the_app_and_leaves_no_process(site: Site) -> None:
    name = site.tmux(site.nurse)
    site.wait_screen(name, "Johan Ström")
    assert pids_of(site.uid(site.service))  # the app runs, as the service account
    pane_pid = int(sh("tmux", "display-message", "-p", "-t", name, "#{pane_pid}").stdout)
    os.kill(pane_pid, signal.SIGKILL)  # the ssh client: the connection drops without a word
    site.no_app_left(site.nurse)


def test_the_timer_jobs_run_as_the_service_account_and_keep_everything_private(
    site: Site,
) -> None:
    """What systemd would start: each unit's ExecStart, as its User=, with a bare environment."""
    ran = {}
    for unit in sorted((site.root / "etc" / "systemd").glob("*.service")):
        text = unit.read_text(encoding="utf-8")
        fields = dict(
            line.split("=", 1) for line in text.splitlines() if "=" in line and line[0] != "#"
        )
        assert fields["User"] == site.service
        state = []  # StateDirectory= : systemd makes it, the unit's own, and names it
        if "StateDirectory" in fields:
            folder = site.home / fields["StateDirectory"]
            sh("install", "-d", "-m", "0700", "-o", site.service, "-g", site.service, str(folder))
            state = [f"STATE_DIRECTORY={folder}"]
        # systemd turns $$ into $ and %% into % before it runs the line.
        command = fields["ExecStart"].replace("$$", "$").replace("%%", "%")
        out = sh(
            "runuser",
            "-u",
            fields["User"],
            "--",
            "env",
            "-i",
            f"HOME={site.home}",
            "PATH=/usr/bin:/bin",
            *state,
            *shlex.split(command),
            check=False,
            cwd="/",
        )
        assert out.returncode == 0, (unit.name, out.stdout, out.stderr)
        ran[unit.name] = out.stdout
    assert "Loggkedjan är obruten" in ran["tui-app-audit-verify.service"]
    assert "Avslutade automatiskt" in ran["tui-app-sweep.service"]
    assert "tui-app-backup.service" in ran  # a nightly copy, made as the service account
    # The audit key and its checkpoints are the service account's alone too.
    assert _walk_modes(site.home, site.uid(site.service)) == {}
