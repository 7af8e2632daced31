"""`tui-app classroom`: serve one fresh demo per browser tab (tui_app/classroom)."""

from __future__ import annotations

import argparse

from tui_app.config import Settings


def classroom(args: argparse.Namespace, settings: Settings) -> int:
    """Check that this is no production set-up, print the addresses, serve the class."""
    from tui_app.classroom.cli import run_classroom
    from tui_app.config import config_path

    return run_classroom(args, settings, args.config or config_path())
