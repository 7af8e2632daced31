"""The operators' database verbs: `tui-app migrate` and `tui-app check-db` (services/dbops.py)."""

from __future__ import annotations

import argparse

from tui_app.bootstrap import with_data_dir
from tui_app.config import Settings


def migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Upgrade the schema explicitly (before any context is opened: opening one may upgrade)."""
    from tui_app.commands.where import prepare_data_dir
    from tui_app.services import dbops

    settings = with_data_dir(settings, args.data_dir)
    prepare_data_dir(settings)
    print(dbops.migrate(settings))
    return dbops.OK


def check_db(args: argparse.Namespace, settings: Settings) -> int:
    """Connectivity, schema head and file-store health; 0 all well, 1 to do, 2 unreachable."""
    from tui_app.services import dbops

    health = dbops.check_db(with_data_dir(settings, args.data_dir))
    print(*health.lines, sep="\n")
    return health.status
