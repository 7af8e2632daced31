"""Which data a command works on, and the data folder's own checks (creation, permissions)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.core.errors import UserError

if TYPE_CHECKING:
    from tui_app.config import Settings
    from tui_app.services.context import Context


def command_context(args: argparse.Namespace, settings: Settings) -> Context:
    """The context of a command other than the app: the deployment's data, another data
    folder (--data-dir) or the demo's (--demo), as the app itself would use them."""
    from tui_app import bootstrap

    if getattr(args, "demo", False):
        from tui_app.services import demodir

        folder = (
            Path(args.data_dir).expanduser().absolute()
            if args.data_dir
            else demodir.current_demo(settings.data_dir / "demo")
        )
        if not demodir.is_demo_dir(folder) or not (folder / demodir.DEMO_DB).is_file():
            raise UserError(
                f"{safe(folder)} är ingen demos mapp. Ange mappen som tui-app demo "
                "--data-dir använde, eller utelämna --data-dir."
            )
        return bootstrap.existing_demo_context(settings, folder)
    settings = bootstrap.with_data_dir(settings, getattr(args, "data_dir", None))
    prepare_data_dir(settings)
    return bootstrap.deployment_context(settings)


def prepare_data_dir(settings: Settings) -> None:
    """Create the data folder (owner-only, or for the group) or say clearly why it cannot be."""
    from tui_app.store import fsmode

    folder = settings.data_dir
    if folder.exists() and not folder.is_dir():
        raise UserError(
            f"Datamappen {safe(folder)} (data_dir) är en fil, inte en mapp. Ändra data_dir "
            "i inställningarna eller flytta filen."
        )
    try:
        for sub in (folder, folder / "files", folder / "staging"):  # exact modes from the start
            fsmode.make_dir(sub)
    except OSError as exc:
        raise UserError(
            f"Datamappen {safe(folder)} (data_dir) kunde inte skapas: "
            f"{exc.strerror or exc}. Ändra data_dir eller be IT om hjälp."
        ) from exc


def permission_warning(settings: Settings) -> str | None:
    """One Swedish line when the data folder, the database or the files folders let others
    in more than they should; None when all is as it should be."""
    from tui_app.store import fsmode
    from tui_app.store.quick import sqlite_path

    data = settings.data_dir
    paths = [data, data / "files", data / "staging"]
    db = sqlite_path(settings.url)
    if db is not None:
        paths += [db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-writers")]
    loose = fsmode.looser(paths)
    if not loose:
        return None
    modes = fsmode.current()
    shown = ", ".join(f"{safe(p)} ({bits:04o})" for p, bits in loose[:3])
    more = f" och {len(loose) - 3} till" if len(loose) > 3 else ""
    return (
        f"Varning: andra användare kan komma åt patientdata: {shown}{more}. Rätta med chmod "
        f"{modes.dir:o} (mappar) och {modes.file:o} (filer), eller be IT om hjälp."
    )


def safe(value: object) -> str:
    """A path or value for a message on the terminal, with no escapes that could act there."""
    from tui_app.core.safetext import visible_text

    return visible_text(str(value), max_len=200)
