"""Messages that say what is wrong and give nothing away (R04, R24), and one place that explains
failures (database, disk) in Swedish for the CLI and the UI alike."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.conftest import ANNA, JOHAN, staff, unit_id
from tui_app.core.errors import RuleViolation
from tui_app.services import audit
from tui_app.services.cases import draft_message, inbox
from tui_app.services.context import Context
from tui_app.store.models import AuditEntry, Patient

UNKNOWN = "19121212-1212"  # a valid number nobody registered


def _refusals(ctx: Context) -> list[AuditEntry]:
    with Session(ctx.engine) as s:
        return list(
            s.exec(
                select(AuditEntry)
                .where(AuditEntry.outcome == audit.REFUSED)
                .order_by(AuditEntry.seq)
            ).all()
        )


def test_r04_unknown_number_and_other_units_patient_get_the_same_answer(ctx: Context) -> None:
    dan = staff(ctx, "danan12")
    reum = unit_id(dan, "REUM-SKO")
    answers = []
    for pnr in (UNKNOWN, JOHAN):  # nobody; a registered patient of Hudmottagningen only
        with pytest.raises(RuleViolation) as e:
            draft_message(ctx, dan, reum, pnr)
        answers.append((type(e.value), e.value.rule, e.value.message))
    assert answers[0] == answers[1]
    assert answers[0][1] == "R04"
    assert "19121212" not in answers[0][2] and "ingen patient" not in answers[0][2].lower()


def test_r24_both_refusals_are_logged_with_the_number_asked_for(ctx: Context) -> None:
    dan = staff(ctx, "danan12")
    reum = unit_id(dan, "REUM-SKO")
    for pnr in (UNKNOWN, JOHAN):
        with pytest.raises(RuleViolation):
            draft_message(ctx, dan, reum, pnr)
    logged = _refusals(ctx)[-2:]
    assert [e.patient_pnr for e in logged] == ["191212121212", JOHAN]
    assert [e.detail for e in logged][0] == [e.detail for e in logged][1]
    assert all(
        e.actor == "danan12" and e.unit_code == "REUM-SKO" and e.action == "nytt ärende"
        for e in logged
    )


def test_r04_unit_checks_come_first_for_an_unknown_number_too(ctx: Context) -> None:
    karin = staff(ctx, "karjo7")
    with pytest.raises(RuleViolation) as e:
        draft_message(ctx, karin, unit_id(karin, "BARN-FAL"), UNKNOWN)
    assert e.value.rule == "R01"


def test_pnr_in_other_digits_never_creates_a_second_patient(ctx: Context) -> None:
    from tui_app.core.errors import InvalidInput

    dan = staff(ctx, "danan12")
    with pytest.raises(InvalidInput):
        draft_message(ctx, dan, unit_id(dan, "REUM-SKO"), "١٩٩٠٠٢٢٢٢٣٩٧")
    with Session(ctx.engine) as s:
        assert len(s.exec(select(Patient).where(Patient.first_name == "Anna")).all()) == 1


@pytest.mark.parametrize("query", ["²", "²³", "١٢", "１２", "١٩٩٠٠٢٢٢٢٣٩٧"])
def test_r05_search_with_other_digits_is_text_not_a_crash(ctx: Context, query: str) -> None:
    from tests.conftest import send

    send(ctx, pnr=ANNA)
    # Only 0-9 are digits: these are text, matching no name (and never a case number).
    assert inbox(ctx, staff(ctx, "danan12"), query=query) == []
    assert [r.patient_name for r in inbox(ctx, staff(ctx, "danan12"), query="1²")] == ["Anna Berg"]


@pytest.mark.parametrize("typed", ["²", "١٢", "１２"])
async def test_r05_goto_dialog_refuses_other_digits_and_the_app_keeps_running(
    ctx: Context, typed: str
) -> None:
    from tests.test_ui_flow import settle
    from textual.widgets import Static

    from tui_app.ui.app import build_app
    from tui_app.ui.dialogs import AskDialog

    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g", *typed, "enter")
        await settle(pilot)
        assert isinstance(app.screen, AskDialog)  # still asking; nothing crashed
        error = str(app.screen.query_one("#dialog-error", Static).render())
        assert "inte ett ärendenummer" in error and "siffror" in error
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "InboxScreen"


# --- explain(): one Swedish message per cause, from real failures ------------------------------


def _full_db(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A real SQLITE_FULL: the database may not grow past the pages it has."""
    import sqlite3

    path = tmp_path / "full.sqlite"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE t (x BLOB)")
    return str(path)


def _sa_engine(url: str, **pragmas: int):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, event

    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _set(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        for k, v in pragmas.items():
            dbapi_conn.execute(f"PRAGMA {k}={v}")

    return engine


def _failure(fn) -> BaseException:  # type: ignore[no-untyped-def]
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001 - the failure is what we look at
        return exc
    raise AssertionError("no failure")


def test_disk_full_is_explained_as_disk_full(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from sqlalchemy import text

    from tui_app.services.errors import DISK_FULL, explain

    path = _full_db(tmp_path)

    def raw() -> None:
        with sqlite3.connect(path) as c:
            c.execute("PRAGMA max_page_count=2")
            c.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))

    def orm() -> None:
        with _sa_engine(f"sqlite:///{path}", max_page_count=2).begin() as c:
            c.execute(text("INSERT INTO t VALUES (:x)"), {"x": b"x" * 100_000})

    for fn in (raw, orm):
        exc = _failure(fn)
        assert "full" in str(exc)  # the driver's own words: a real SQLITE_FULL
        assert explain(exc) == DISK_FULL
        assert "låser" not in explain(exc)


def test_read_only_database_is_explained_as_read_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, text

    from tui_app.services.errors import READ_ONLY, explain

    path = _full_db(tmp_path)
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")

    def write() -> None:
        with engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (1)"))

    exc = _failure(write)
    assert "readonly" in str(exc)
    assert explain(exc) == READ_ONLY


def test_busy_database_is_explained_as_busy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from tui_app.services.errors import BUSY, explain

    path = _full_db(tmp_path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a colleague's write in progress
    try:

        def write() -> None:
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()

        exc = _failure(write)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "locked" in str(exc)
    assert explain(exc) == BUSY


def test_not_null_violation_is_explained_as_a_constraint(ctx: Context) -> None:
    from tui_app.services.errors import CONSTRAINT, explain
    from tui_app.store.db import session_scope
    from tui_app.store.models import Unit

    def insert() -> None:
        with session_scope(ctx.engine) as s:
            s.add(Unit(code="X", name=None))  # type: ignore[arg-type]

    exc = _failure(insert)
    # SQLite says "NOT NULL constraint failed", PostgreSQL "violates not-null constraint".
    assert type(exc).__name__ == "IntegrityError" and "not null" in str(exc).lower().replace(
        "-", " "
    )
    assert explain(exc) == CONSTRAINT
    assert "låser" not in explain(exc)


def test_os_errors_are_explained_by_errno() -> None:
    import errno

    from tui_app.services.errors import (
        DISK_FULL,
        NO_PERMISSION,
        NOT_THERE,
        READ_ONLY,
        explain,
    )

    def dev_full() -> None:
        with open("/dev/full", "wb", buffering=0) as f:
            f.write(b"x")

    real = _failure(dev_full)  # a real ENOSPC
    assert isinstance(real, OSError) and real.errno == errno.ENOSPC
    assert explain(real) == DISK_FULL
    assert explain(OSError(errno.EDQUOT, "Disk quota exceeded")) == DISK_FULL
    assert explain(OSError(errno.EROFS, "Read-only file system")) == READ_ONLY
    assert explain(PermissionError(errno.EACCES, "Permission denied")) == NO_PERMISSION
    assert explain(FileNotFoundError(errno.ENOENT, "No such file")) == NOT_THERE
    # Wrapped: the cause decides.
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("store failed") from inner
    except RuntimeError as outer:
        assert explain(outer) == DISK_FULL


def test_unknown_failures_get_the_generic_message_and_refusals_their_own() -> None:
    from tui_app.core.errors import InvalidInput
    from tui_app.services.errors import explain

    assert explain(InvalidInput("Fel siffra.")) == "Fel siffra."
    generic = explain(ZeroDivisionError())
    assert "Något gick fel (ZeroDivisionError)" in generic and "låser" not in generic


def test_full_data_folder_while_staging_says_disk_full(ctx: Context, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A real full file system (a 64 KiB tmpfs as the staging folder; needs root to mount)."""
    import errno
    import subprocess
    from pathlib import Path

    from tests.conftest import ROOT
    from tui_app.services import files
    from tui_app.services.errors import DISK_FULL, explain

    staging = ctx.data_dir / "staging"
    staging.mkdir(parents=True)
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(staging)], capture_output=True
        ).returncode
        == 0
    )
    if not mounted:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        filler = staging / "filler"
        try:
            with filler.open("wb") as f:
                while True:
                    f.write(b"\0" * 4096)
                    f.flush()
        except OSError as full:
            assert full.errno == errno.ENOSPC
        sample = Path(ROOT / "data" / "samples" / "utslag.png")
        exc = _failure(lambda: files.stage_file(ctx, sample))
        assert isinstance(exc, OSError) and exc.errno == errno.ENOSPC, exc
        assert explain(exc) == DISK_FULL
    finally:
        subprocess.run(["umount", str(staging)], check=False)


def test_cli_read_only_database_says_read_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    from tests.conftest import DEMO, ROOT
    from tui_app.services.errors import READ_ONLY

    data = tmp_path / "data"

    def run(extra: str, user: str) -> subprocess.CompletedProcess[str]:
        cfg = tmp_path / "config.toml"
        cfg.write_text(f'data_dir = "{data}"\n{extra}')
        from tests.test_cli import become

        become(tmp_path, user)  # identity is the real uid: the test's login acts as `user`
        env = {**os.environ, "TUI_APP_CONFIG": str(cfg)}
        return subprocess.run(
            [sys.executable, "-m", "tui_app", "load", str(DEMO)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    assert run("", "nobody-here").returncode == 0
    ro = f'database_url = "sqlite:///file:{data / "tui_app.sqlite"}?mode=ro&uri=true"\n'
    out = run(ro, "lenjo54")
    assert out.returncode == 1, out.stderr
    assert READ_ONLY in out.stderr and "låser" not in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.skipif(
    __import__("tests.pg", fromlist=["pg"]).enabled(),
    reason="opens the test's SQLite file read-only; PostgreSQL's read-only "
    "error (a standby, SQLSTATE 25006) is test_postgres_read_only_is_explained",
)
async def test_ui_read_only_database_says_read_only(ctx: Context, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    from tests.test_ui_flow import settle, status
    from tui_app.services.context import Context as Ctx
    from tui_app.services.errors import READ_ONLY
    from tui_app.ui.app import build_app

    path = tmp_path / "t.sqlite"
    ro_engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    ro = Ctx(ro_engine, ctx.clock, ctx.data_dir)
    app = build_app(ro, staff(ctx, "lenjo54"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")  # activate/deactivate the highlighted unit: a write
        await settle(pilot)
        assert READ_ONLY[:40] in status(app)
        assert "låser" not in status(app) and "OperationalError" not in status(app)
    ro.engine.dispose()


@pytest.mark.skipif(
    __import__("tests.pg", fromlist=["pg"]).enabled(),
    reason="SQLite only by design: a PostgreSQL timestamptz column cannot hold "
    "a garbage value, so the case cannot arise there",
)
@pytest.mark.parametrize(
    "column,value",
    [
        ("sent_at", "garbage"),
        ("deadline_at", "2026-13-45 99:99:99"),
        ("handled_at", "x"),
        ("sent_at", 12345),
    ],
)
def test_r05_one_bad_timestamp_never_hides_the_other_cases(
    ctx: Context, column: str, value: object, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import text

    from tests.conftest import ELIN, send

    good_before = send(ctx, pnr=ANNA)
    bad = send(ctx, pnr=ELIN)
    good_after = send(ctx, pnr=ANNA)
    with ctx.engine.begin() as c:
        c.execute(text(f"UPDATE cases SET {column} = :v WHERE id = :id"), {"v": value, "id": bad})
    rows = inbox(ctx, staff(ctx, "danan12"))
    assert {r.case_id for r in rows} == {good_before, bad, good_after}
    broken = [r for r in rows if r.broken]
    assert [r.case_id for r in broken] == [bad]
    assert "⚠" in broken[0].todo and "trasig" in broken[0].todo.lower()
    assert broken[0].patient_name == "Elin Lund"  # the readable parts are still shown
    assert all(not r.broken and r.todo == "Vänta på svar" for r in rows if r.case_id != bad)
    assert any(f"case {bad}" in m for m in caplog.messages)


def test_engine_that_cannot_be_opened_says_why(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tui_app.core.clock import SystemClock
    from tui_app.core.errors import UserError
    from tui_app.services.context import Context as Ctx
    from tui_app.services.errors import CANT_OPEN

    ctx = Ctx(None, SystemClock(), tmp_path)
    ctx.load_later(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.sqlite'}").join()
    with pytest.raises(UserError) as e:
        ctx.engine  # noqa: B018 - using it is what fails
    assert CANT_OPEN in e.value.message and "låser" not in e.value.message


def test_postgres_read_only_is_explained() -> None:
    """A write to a PostgreSQL standby (or a read-only transaction) says read-only, not locked."""
    psycopg = pytest.importorskip("psycopg")
    from sqlalchemy.exc import InternalError

    from tui_app.services.errors import READ_ONLY, explain

    err = psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction")
    wrapped = InternalError("INSERT INTO unit ...", None, err)
    assert explain(wrapped) == READ_ONLY and "låser" not in explain(wrapped)
