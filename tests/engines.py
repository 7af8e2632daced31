"""Run the whole suite on both engines: SQLite, then a throwaway PostgreSQL server.

    python tests/engines.py [pytest arguments]

PostgreSQL's server binaries are found with `pg_config --bindir` (or under
/usr/lib/postgresql/*/bin). A cluster is made in a temporary folder, listening only on a unix
socket there, started, used and removed; as root it runs as the `postgres` user (initdb and
pg_ctl refuse root). Where no binaries exist the SQLite run still counts and one line says
PostgreSQL was not tested; under CI=true that is a failure, never a skip.

Each run is parallel (pytest-xdist, `-n auto --dist loadgroup`: one worker per core; tests
marked `xdist_group` run on one worker) unless the arguments choose for themselves (`-n 0`,
`-p no:xdist`, `--dist`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pg_bindir() -> Path | None:
    """Where initdb and pg_ctl live, or None."""
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=30)
        cand = Path(out.stdout.strip())
        if out.returncode == 0 and (cand / "initdb").is_file():
            return cand
    except (OSError, subprocess.SubprocessError):
        pass
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class Server:
    """A private PostgreSQL cluster on a unix socket in a temporary folder."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="tui_app-pg-"))
        self.data = self.root / "data"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        os.chmod(self.root, 0o700)

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the maintenance database."""
        return f"postgresql+psycopg://postgres@/postgres?host={self.root}"

    def start(self) -> None:
        """initdb and start; raises CalledProcessError with the server's log on failure."""

        def run(*a: str) -> None:
            subprocess.run(
                _as_server_user([str(self.bindir / a[0]), *a[1:]]),
                check=True,
                capture_output=True,
                text=True,
                timeout=300,
            )

        run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        opts = (
            f"-k {self.root} -c listen_addresses='' -c fsync=off -c max_connections=300 "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        subprocess.run(
            _as_server_user(
                [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
            ),
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def parallel(args: list[str]) -> list[str]:
    """The arguments with xdist's, unless they already say how to distribute (or xdist is off)."""
    for i, a in enumerate(args):
        if a.split("=")[0] in ("-n", "--numprocesses", "--dist") or a.startswith("-n"):
            return args
        if a == "-pno:xdist" or (a == "-p" and args[i + 1 : i + 2] == ["no:xdist"]):
            return args
    try:
        import xdist  # noqa: F401
    except ImportError:
        return args
    return ["-n", "auto", "--dist", "loadgroup", *args]


def pytest(args: list[str], env: dict[str, str]) -> int:
    return subprocess.call([sys.executable, "-m", "pytest", *parallel(args)], cwd=ROOT, env=env)


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    env.pop("TUI_APP_TEST_PG", None)
    print("=== SQLite ===", flush=True)
    rc_sqlite = pytest(argv, env)
    ci = os.environ.get("CI", "").lower() == "true"
    bindir = pg_bindir()
    if bindir is None:
        print(
            "PostgreSQL testades inte: inga serverprogram (initdb) hittades; "
            "installera postgresql för att köra sviten mot den också.",
            flush=True,
        )
        return rc_sqlite or (1 if ci else 0)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        print(
            "PostgreSQL testades inte: psycopg saknas (pip install -e '.[test,postgres]').",
            flush=True,
        )
        return rc_sqlite or (1 if ci else 0)
    server = Server(bindir)
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        print(f"PostgreSQL kunde inte startas: {exc.stderr or exc.stdout}", flush=True)
        server.stop()
        return rc_sqlite or (1 if ci else 0)
    try:
        print(f"=== PostgreSQL ({bindir}) ===", flush=True)
        rc_pg = pytest(argv, {**env, "TUI_APP_TEST_PG": server.url})
    finally:
        server.stop()
    return rc_sqlite or rc_pg


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
