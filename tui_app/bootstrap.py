"""The composition root: settings are read and validated once here, and every Context is built
here, with the outside systems (services.ports) chosen from those settings.

Every way the program starts goes through it: the app (`run`: `quick_context` for the start-up
read, else `deployment_context`), the demo (`demo_context`) and the other commands
(`command_context`). Nothing else reads the settings file or builds an adapter; a use case
only asks `ctx.picsara`, `ctx.earkiv`, `ctx.downloads`, `ctx.trash`.

To swap an outside system, change `outside_systems` (or hand a Context other ports, as the
tests do with fakes): anything with the methods of the Protocol in services/ports.py will do.
Importing this module is cheap (no SQLAlchemy, pydantic or image code): the start-up path
uses it before the inbox is painted.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.config import Settings, load_settings

if TYPE_CHECKING:
    from tui_app.core.clock import Clock
    from tui_app.services.context import Context
    from tui_app.services.demodir import DemoDir
    from tui_app.services.ports import EArkivPort, PicsaraPort


def read_settings(path: Path | None = None) -> Settings:
    """The settings in force (the file given, else the one config.config_path finds), every
    field validated: a wrong one is a UserError naming the file, the key and what is wrong.
    What they decide for the whole process (file modes, whom sudo vouches for) is applied."""
    from tui_app.services.actor import trust_sudo_for
    from tui_app.store import fsmode

    from tui_app.store.migrations import set_auto_migrate

    settings = load_settings(path)
    fsmode.apply(settings.group_access)
    trust_sudo_for(settings.service_account)
    set_auto_migrate(settings.auto_migrate)
    return settings


def with_data_dir(settings: Settings, data_dir: Path | None) -> Settings:
    """The settings with another data folder (--data-dir), made absolute."""
    if data_dir is None:
        return settings
    return replace(settings, data_dir=Path(data_dir).expanduser().absolute())


def demo_settings(settings: Settings, folder: Path) -> Settings:
    """A demo's settings: its own database, Picsara and E-arkiv folders inside its folder, never
    a configured Picsara folder or printer (demo images must not reach a real one)."""
    from tui_app.services import demodir
    from tui_app.store.db import sqlite_url

    return replace(
        settings,
        data_dir=folder,
        database_url=sqlite_url(folder / demodir.DEMO_DB),
        picsara_import_dir=folder / demodir.PICSARA,
        earkiv_folder=folder / demodir.EARKIV,
        earkiv_printer=None,
    )


def outside_systems(settings: Settings) -> tuple[PicsaraPort | None, EArkivPort | None]:
    """Picsara and E-arkiv as the settings choose them (None: not configured). The one place a
    hospital changes to use another Picsara or E-arkiv."""
    picsara: PicsaraPort | None = None
    if settings.picsara_import_dir is not None:
        from tui_app.adapters.picsara import FolderPicsara

        picsara = FolderPicsara(settings.picsara_import_dir)
    earkiv: EArkivPort | None = None
    if settings.earkiv_printer:  # a printer wins over a folder (validated by config)
        from tui_app.adapters.earkiv import LpPrinter

        earkiv = LpPrinter(settings.earkiv_printer.strip())
    elif settings.earkiv_folder is not None:
        from tui_app.adapters.earkiv import FolderPrinter

        earkiv = FolderPrinter(settings.earkiv_folder)
    return picsara, earkiv


def _wire(ctx: Context, settings: Settings) -> Context:
    """The settings and the outside systems on a context (the adapters are built on first use)."""
    ctx.config = settings
    ctx.ports_later(lambda: outside_systems(settings))
    return ctx


def deployment_context(settings: Settings, *, clock: Clock | None = None) -> Context:
    """The deployment's context: the database opened (created or upgraded) now."""
    from tui_app.services.context import open_context

    return _wire(open_context(settings.url, settings.data_dir, clock=clock), settings)


def quick_context(settings: Settings, clock: Clock) -> Context:
    """A context whose engine is loaded later (Context.load_later), for the start-up read."""
    from tui_app.services.context import Context

    return _wire(Context(None, clock, settings.data_dir), settings)


def existing_demo_context(settings: Settings, folder: Path) -> Context:
    """The context of a demo's folder made earlier (`--demo` on a command)."""
    from tui_app.services.context import open_context

    settings = demo_settings(settings, folder)
    return _wire(open_context(settings.url, folder, demo=True), settings)


def demo_context(settings: Settings, demo_dir: DemoDir) -> Context:
    """A demo's context in its own folder (services.demodir), its folders made, the demo
    material loaded into a new database."""
    from tui_app.services import demodir
    from tui_app.services.context import open_context
    from tui_app.store import fsmode

    folder = demo_dir.path
    for sub in (demo_dir.picsara, demo_dir.earkiv, folder / "files", folder / "staging"):
        fsmode.make_dir(sub)
    existed = demo_dir.database.exists()
    settings = demo_settings(settings, folder)
    ctx = _wire(open_context(settings.url, folder, demo=True), settings)
    ctx.demo_dir = demo_dir
    ctx.notice = (
        f"Demons mapp: {folder} – Picsara-import: {demodir.PICSARA}/, E-arkiv: "
        f"{demodir.EARKIV}/. "
        + (
            "Sparas (--keep)."
            if demo_dir.keep
            else "Tas bort när demon avslutas (--keep sparar den)."
        )
    )
    if not existed:
        from tui_app.services.anchor import forget
        from tui_app.services.seed import load_file

        forget(ctx)  # a new demo log on purpose: the old one's checkpoints no longer apply
        load_file(ctx, demo_data_file(), with_cases=True)
    return ctx


def demo_data_file() -> Path:
    """The demo material shipped in data/ (next to the package in a checkout)."""
    return Path(__file__).resolve().parent.parent / "data" / "demo.json"


__all__ = [
    "demo_context",
    "demo_data_file",
    "demo_settings",
    "deployment_context",
    "existing_demo_context",
    "outside_systems",
    "quick_context",
    "read_settings",
    "with_data_dir",
]
