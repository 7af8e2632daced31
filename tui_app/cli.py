"""The command line: the app, `demo`, `sweep`, `check`, `load`, `leftovers`, `audit`; one app factory."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tui_app.core.errors import UserError


class _SwedishHelp(argparse.HelpFormatter):
    """argparse's help with Swedish headings (the UI speaks Swedish, the CLI too)."""

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[Any],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "användning: " if prefix is None else prefix)


def _swedish(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p._positionals.title = "argument"
    p._optionals.title = "flaggor"
    for action in p._actions:
        if isinstance(action, argparse._HelpAction):
            action.help = "visa den här hjälpen och avsluta"
    return p


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tui-app",
        description="Skicka in filer via 1177 e-tjänster",
        formatter_class=_SwedishHelp,
    )
    p.add_argument("--config", type=Path, help="inställningsfil (TOML)")
    sub = p.add_subparsers(dest="command", title="kommandon", parser_class=_SubParser)
    r = sub.add_parser("run", help="starta appen som den inloggade personalen (standard)")
    _where(r, demo=False)
    d = sub.add_parser("demo", help="starta demoläget med en ny demodatabas")
    d.add_argument(
        "--data-dir",
        type=Path,
        metavar="MAPP",
        help="demons mapp (ny eller tom; annars en tidigare demos mapp)",
    )
    d.add_argument(
        "--keep",
        action="store_true",
        help="behåll demon (databas, Picsara- och E-arkivmappar) till nästa gång",
    )
    _where(sub.add_parser("migrate", help="uppgradera databasens schema (driften)"), demo=False)
    _where(sub.add_parser("check-db", help="kontrollera databas, schema och fillager"), demo=False)
    c = sub.add_parser("check", help="kontrollera filer som en patient vill skicka")
    c.add_argument("--json", action="store_true")
    c.add_argument("--output", metavar="MAPP", help="skriv den rensade kopian som skulle sparas")
    c.add_argument("files", nargs="*")
    ld = sub.add_parser("load", help="läs in enheter, personal och patienter från en JSON-fil")
    ld.add_argument("file", type=Path)
    _where(ld)
    ausub = _records_parsers(sub)
    from tui_app.classroom.cli import add_parser as add_classroom
    from tui_app.ops.cli import add_parsers  # doctor, backup, restore

    add_parsers(sub)
    add_classroom(sub)
    for parser in [p, *sub.choices.values(), *ausub.choices.values()]:
        _swedish(parser)
    return p


def _records_parsers(sub: Any) -> Any:
    """The verbs on the stored records: sweep, leftovers, audit; returns audit's subparsers."""
    sw = sub.add_parser(
        "sweep", help="avsluta utgångna ärenden och gallra ärenden äldre än 2 år (cron)"
    )
    _where(sw)
    sw.add_argument(
        "--full",
        action="store_true",
        help="gå också igenom alla lagrade filer och räkna okända (långsamt)",
    )
    lo = sub.add_parser("leftovers", help="sök kvarglömda kopior av patientfiler (R21)")
    _where(lo)
    lo.add_argument("--delete", action="store_true", help="radera dem")
    lo.add_argument("--dir", type=Path, action="append", help="mapp att söka i (flera går)")
    au = sub.add_parser("audit", help="åtkomstloggen (R24)")
    ausub = au.add_subparsers(dest="audit_command", required=True)
    ve = ausub.add_parser("verify", help="kontrollera att loggkedjan är obruten")
    _where(ve)
    ve.add_argument(
        "--full",
        action="store_true",
        help="räkna om hela kedjan från post 1 och kontrollera databasfilen (långsamt)",
    )
    ex = ausub.add_parser("export", help="loggutdrag för en patient (PDL 8 kap.)")
    ex.add_argument("--patient", required=True)
    ex.add_argument("--output", type=Path)
    _where(ex)
    return ausub


def _where(p: argparse.ArgumentParser, *, demo: bool = True) -> None:
    """The same choice of data every command has: the deployment's, another folder, the demo's."""
    p.add_argument(
        "--data-dir",
        type=Path,
        metavar="MAPP",
        help="datamapp i stället för den i inställningarna (med --demo: demons mapp)",
    )
    if demo:
        p.add_argument(
            "--demo",
            action="store_true",
            help="använd demons databas (den demo som körs, annars den sparade)",
        )


class _SubParser(argparse.ArgumentParser):
    """Subcommands get the Swedish help formatter too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _SwedishHelp)
        super().__init__(*args, **kwargs)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tui-app` command.

    A refusal (UserError) is one Swedish line and status 1. Anything unexpected is a crash
    (crashlog): the traceback goes to the private log file, the user gets one Swedish line
    with the time and an error id for IT support, and the status is EXIT_CRASH (70).
    """
    from tui_app.crashlog import report_crash, setup_logging
    from tui_app.store import fsmode

    fsmode.apply()  # before anything is created: owner-only, whatever the umask
    setup_logging()  # once, first: every log call from here on goes to the private log file
    args = _parser().parse_args(argv)
    cmd = args.command or "run"
    try:
        if cmd == "check":
            from tui_app.intake import run_check_cli

            return run_check_cli(
                (["--json"] if args.json else [])
                + (["--output", args.output] if args.output else [])
                + ["--", *args.files]
            )
        if cmd in OPS_VERBS:  # they read the settings themselves: doctor reports bad ones
            from tui_app.ops.cli import run as run_ops

            return run_ops(cmd, args)
        return _dispatch(cmd, args)
    except UserError as exc:
        print(f"tui-app: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except KeyError as exc:
        if cmd == "load" and _looked_up_in_load_file(exc):
            print(
                f"tui-app: {args.file}: {exc} finns inte (en enhetskod, inloggning eller ett "
                "fält som fattas i filen). Rätta filen och försök igen.",
                file=sys.stderr,
            )
            return 1
        return report_crash(exc)
    except Exception as exc:
        import sqlite3

        sa_exc = sys.modules.get("sqlalchemy.exc")  # loaded if the database was used at all
        known: tuple[type[BaseException], ...] = (sqlite3.Error, OSError) + (
            (sa_exc.SQLAlchemyError,) if sa_exc is not None else ()
        )
        if isinstance(exc, known):  # an outage with a cause to name (disk, lock, permission)
            import logging

            from tui_app.services.errors import explain

            logging.getLogger("tui_app.cli").warning("%s failed", cmd, exc_info=exc)
            print(f"tui-app: {explain(exc)}", file=sys.stderr)
            return 1
        return report_crash(exc)


def _looked_up_in_load_file(exc: KeyError) -> bool:
    """Whether the KeyError came from looking up a code or field of a load file (raised in
    services.seed itself), not from somewhere below it: only that one is the file's fault."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and Path(tb.tb_frame.f_code.co_filename).match("*/services/seed.py")


#: The verbs: name -> "module:function" under tui_app.commands, each `(args, settings) -> int`.
#: Adding a verb: its subparser in `_parser` and one line here.
#: Operators' verbs (tui_app/ops/cli.py): they read the settings themselves.
OPS_VERBS = ("doctor", "backup", "restore")

VERBS: dict[str, str] = {
    "run": "app:run",
    "demo": "app:run",
    "sweep": "records:sweep",
    "load": "records:load",
    "leftovers": "records:leftovers",
    "audit": "records:audit",
    "migrate": "dbops:migrate",
    "check-db": "dbops:check_db",
    "classroom": "classroom:classroom",
}


def _dispatch(cmd: str, args: argparse.Namespace) -> int:
    """Read and validate the settings once (tui_app.bootstrap), then run the verb."""
    import importlib

    from tui_app.bootstrap import read_settings

    settings = read_settings(args.config)
    module, function = VERBS[cmd].split(":")
    verb = getattr(importlib.import_module(f"tui_app.commands.{module}"), function)
    return int(verb(args, settings))


# Where tests and the start-up benchmark look for the app factory and the demo's context;
# imported on first use, so `import tui_app.cli` stays as cheap as the parser.
_MOVED = {
    "demo_data_file": "tui_app.bootstrap",
    "make_demo_context": "tui_app.commands.app",
    "start_app": "tui_app.commands.app",
    "permission_warning": "tui_app.commands.where",
    "prepare_data_dir": "tui_app.commands.where",
}


def __getattr__(name: str) -> object:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["VERBS", "main", *_MOVED]

if __name__ == "__main__":
    sys.exit(main())
