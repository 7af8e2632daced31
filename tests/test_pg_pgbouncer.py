"""The app's engine behind pgbouncer in transaction mode (a common hospital setup).

psycopg 3 prepares a statement on a connection once it has run it a few times; behind a
transaction-mode pooler the next transaction may get another server connection, where that
statement does not exist (`prepared statement "_pg3_0" does not exist`). The engine turns
automatic preparing off for PostgreSQL URLs (store.db.make_engine)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pg

pytestmark = pytest.mark.skipif(not pg.enabled(), reason="needs the PostgreSQL run")

PORT = 6432


def _pgbouncer() -> str:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").is_file() else None
    )
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pgbouncer is missing (.ci/run installs it)")
        pytest.skip("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    return found


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture
def bouncer(ctx) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A pgbouncer in transaction mode in front of the test's database; yields its URL."""
    from sqlalchemy.engine import make_url

    exe = _pgbouncer()
    db_url = make_url(str(ctx.engine.url.render_as_string(hide_password=False)))
    pg_host = db_url.query["host"]
    root = Path(tempfile.mkdtemp(prefix="tui_app-pgbouncer-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    (root / "users.txt").write_text('"postgres" ""\n')
    (root / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={pg_host}\n"
        "[pgbouncer]\n"
        "listen_addr =\n"
        f"listen_port = {PORT}\n"
        f"unix_socket_dir = {root}\n"
        "auth_type = trust\n"
        f"auth_file = {root}/users.txt\n"
        "pool_mode = transaction\n"
        # Fewer server connections than threads, so transactions change connections.
        "default_pool_size = 2\n"
        "max_client_conn = 100\n"
        f"logfile = {root}/log\n"
        f"pidfile = {root}/pid\n"
    )
    for f in root.iterdir():
        if os.geteuid() == 0:
            shutil.chown(f, "postgres")
    proc = subprocess.Popen(_as_server_user([exe, str(root / "pgbouncer.ini")]))
    try:
        sock = root / f".s.PGSQL.{PORT}"
        for _ in range(600):  # wait for the socket (up to a minute on a loaded machine)
            if sock.exists() or proc.poll() is not None:
                break
            threading.Event().wait(0.1)
        assert sock.exists(), (root / "log").read_text() if (root / "log").exists() else ""
        yield db_url.set(query={"host": str(root), "port": str(PORT)}).render_as_string(
            hide_password=False
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


def test_engine_is_safe_behind_pgbouncer_in_transaction_mode(bouncer: str) -> None:
    from sqlmodel import select

    from tui_app.store.db import make_engine, read_scope, session_scope
    from tui_app.store.models import Staff, Unit

    engine = make_engine(bouncer)
    errors: list[BaseException] = []
    done = [0]
    lock = threading.Lock()

    def work(n: int) -> None:
        for i in range(200):
            try:
                if i % 2:
                    with read_scope(engine) as s:
                        s.exec(select(Staff).where(Staff.login == "danan12")).one()
                else:
                    with session_scope(engine) as s:
                        s.exec(select(Unit).where(Unit.code == "REUM-SKO")).one()
                with lock:
                    done[0] += 1
            except BaseException as exc:  # every failure counts
                with lock:
                    errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert errors == [], f"{len(errors)} errors, first: {errors[0]!r}"
    assert done[0] == 800
