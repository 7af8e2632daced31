"""For operators and deployment scripts: `tui-app migrate` (the explicit schema upgrade) and
`tui-app check-db` (can the database be reached, is its schema current, is the file store
healthy), each with an exit status a script can test.

check-db exits 0 when all is well, 1 when something needs doing (schema not current, a
stored file missing, the files folder not writable) and 2 when the database cannot be
reached at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tui_app.config import Settings

OK, PROBLEM, UNREACHABLE = 0, 1, 2


def migrate(settings: Settings) -> str:
    """Bring the database's schema to this version's newest revision; says what was done."""
    from tui_app.store.db import current_revision, make_engine, upgrade
    from tui_app.store.migrations import HEAD_REVISION

    engine = make_engine(settings.url)
    try:
        before = current_revision(engine)
        if not upgrade(engine, explicit=True):
            return f"Databasen har redan den senaste schemaversionen ({HEAD_REVISION})."
        was = "en tom databas" if before is None else f"version {before}"
        return f"Databasen uppgraderad från {was} till version {HEAD_REVISION}."
    finally:
        engine.dispose()


@dataclass
class Health:
    """What check-db found: one line per check, and the exit status."""

    lines: list[str] = field(default_factory=list)
    status: int = OK

    def ok(self, text: str) -> None:
        self.lines.append(f"OK   {text}")

    def problem(self, text: str, status: int = PROBLEM) -> None:
        self.lines.append(f"FEL  {text}")
        self.status = max(self.status, status)


def check_db(settings: Settings) -> Health:
    """Connectivity, schema revision and file store of the deployment's database."""
    from sqlalchemy import text

    from tui_app.core.safetext import visible_text
    from tui_app.services.errors import explain
    from tui_app.store.db import _known_revision, current_revision, make_engine
    from tui_app.store.migrations import HEAD_REVISION

    h = Health()
    engine = make_engine(settings.url)
    try:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            h.problem(f"Databasen kan inte nås: {explain(exc)}", UNREACHABLE)
            return h
        h.ok(f"Databasen svarar ({engine.dialect.name}).")
        at = current_revision(engine)
        if at == HEAD_REVISION:
            h.ok(f"Schemat är aktuellt (version {HEAD_REVISION}).")
        elif at is None:
            h.problem("Databasen har inget schema än (tom databas): kör tui-app migrate.")
        elif _known_revision(at):
            h.problem(
                f"Schemat är version {visible_text(at, max_len=40)}, appen behöver version {HEAD_REVISION}: "
                "kör tui-app migrate."
            )
        else:
            h.problem(
                f"Schemat är version {visible_text(at, max_len=40)}, som den här versionen av tui_app inte känner "
                "till (troligen nyare): uppdatera tui_app."
            )
        if at != HEAD_REVISION:
            return h
        _check_files(settings, engine, h)
    finally:
        engine.dispose()
    return h


def _check_files(settings: Settings, engine: Engine, h: Health) -> None:
    from sqlmodel import Session, select

    from tui_app.store.filestore import DATABASE, open_store, resolve_kind
    from tui_app.store.models import Attachment

    kind = resolve_kind(settings.file_store, settings.url)
    store = open_store(settings.file_store, settings.url, engine, settings.data_dir)
    where = (
        "databasen (tabellen file_chunk)" if kind == DATABASE else str(settings.data_dir / "files")
    )
    if kind != DATABASE:
        folder = settings.data_dir / "files"
        probe = folder / f".check-db-{uuid.uuid4().hex}"
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            h.problem(f"Filmappen {folder} går inte att skriva i: {exc.strerror or exc}.")
            return
    missing = total = 0
    with Session(engine) as s:
        rows = s.exec(select(Attachment.storage_key, Attachment.thumb_key)).all()
    for key, thumb in rows:
        for k in (key, thumb):
            if k:
                total += 1
                missing += not store.exists(k)
    if missing:
        h.problem(f"{missing} av {total} lagrade filer saknas i {where}.")
    else:
        h.ok(f"Fillagret ({where}) har alla {total} filer som databasen känner till.")


__all__ = ["Health", "check_db", "migrate"]
