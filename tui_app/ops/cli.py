"""The operator's verbs on the command line: they call ops.doctor and ops.backup and print."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO


def add_parsers(
    sub: argparse._SubParsersAction[Any],  # the CLI's own ArgumentParser subclass
) -> list[argparse.ArgumentParser]:
    """`doctor`, `backup DIR` and `restore DIR`; returns the parsers made."""
    doctor = sub.add_parser("doctor", help="kontrollera att installationen är klar för personalen")
    backup = sub.add_parser("backup", help="säkerhetskopiera databas och mottagna filer till MAPP")
    backup.add_argument("dir", type=Path, metavar="MAPP", help="ny mapp för säkerhetskopian")
    restore = sub.add_parser("restore", help="återställ en säkerhetskopia till en tom datamapp")
    restore.add_argument("dir", type=Path, metavar="MAPP", help="säkerhetskopians mapp")
    for p in (doctor, backup, restore):
        p.add_argument(
            "--data-dir",
            type=Path,
            metavar="MAPP",
            help="datamapp i stället för den i inställningarna",
        )
    return [doctor, backup, restore]


def run(cmd: str, args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Run one operator verb; the exit status (0 when all is well)."""
    if cmd == "doctor":
        return _doctor(args, out)
    from tui_app.config import load_settings

    settings = load_settings(args.config)
    if args.data_dir is not None:
        from dataclasses import replace

        settings = replace(settings, data_dir=Path(args.data_dir).expanduser().absolute())
    from tui_app.ops import backup, restore

    if cmd == "backup":
        made = backup.make_backup(settings, Path(args.dir).expanduser().absolute())
        print(
            f"Säkerhetskopia klar i {made.path}: databasen ({made.engine}, schemaversion "
            f"{made.revision}) och {made.files} mottagna filer, {made.bytes} byte. "
            "Kontrollsummorna står i MANIFEST.json.",
            file=out,
        )
        return 0
    done = restore.restore_backup(Path(args.dir).expanduser().absolute(), settings)
    print(
        f"Återställt från {done.path} till {settings.data_dir}: databasen (schemaversion "
        f"{done.revision}) och {done.files} mottagna filer; alla kontrollsummor stämde. "
        "Kör tui-app audit verify och tui-app doctor innan personalen börjar.",
        file=out,
    )
    return 0


def _doctor(args: argparse.Namespace, out: TextIO) -> int:
    from tui_app.ops.doctor import failed, run_checks

    checks = run_checks(args.config, data_dir=args.data_dir)
    for c in checks:
        print(c.line, file=out)
    if failed(checks):
        n = sum(c.status == "fail" for c in checks)
        print(f"{n} kontroll(er) visar ✗: rätta dem och kör tui-app doctor igen.", file=out)
        return 1
    print("Allt klart för personalen.", file=out)
    return 0
