"""The command line: the app, `demo`, `sweep`, `check`, `load`, `leftovers`, `audit`; one app factory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui_app.core.errors import UserError


class _SwedishHelp(argparse.HelpFormatter):
    """argparse's help with Swedish headings (the UI speaks Swedish, the CLI too)."""

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
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
    _where(
        sub.add_parser(
            "sweep", help="avsluta utgångna ärenden och gallra ärenden äldre än 2 år (cron)"
        )
    )
    c = sub.add_parser("check", help="kontrollera filer som en patient vill skicka")
    c.add_argument("--json", action="store_true")
    c.add_argument("--output", metavar="MAPP", help="skriv den rensade kopian som skulle sparas")
    c.add_argument("files", nargs="*")
    ld = sub.add_parser("load", help="läs in enheter, personal och patienter från en JSON-fil")
    ld.add_argument("file", type=Path)
    _where(ld)
    lo = sub.add_parser("leftovers", help="sök kvarglömda kopior av patientfiler (R21)")
    _where(lo)
    lo.add_argument("--delete", action="store_true", help="radera dem")
    lo.add_argument("--dir", type=Path, action="append", help="mapp att söka i (flera går)")
    au = sub.add_parser("audit", help="åtkomstloggen (R24)")
    ausub = au.add_subparsers(dest="audit_command", required=True)
    _where(ausub.add_parser("verify", help="kontrollera att loggkedjan är obruten"))
    ex = ausub.add_parser("export", help="loggutdrag för en patient (PDL 8 kap.)")
    ex.add_argument("--patient", required=True)
    ex.add_argument("--output", type=Path)
    _where(ex)
    from tui_app.classroom.cli import add_parser as add_classroom

    add_classroom(sub)
    for parser in [p, *sub.choices.values(), *ausub.choices.values()]:
        _swedish(parser)
    return p


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

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("formatter_class", _SwedishHelp)
        super().__init__(*args, **kwargs)


def demo_data_file() -> Path:
    """The demo material shipped in data/ (next to the package in a checkout)."""
    return Path(__file__).resolve().parent.parent / "data" / "demo.json"


def make_demo_context(
    data_dir: Path | None = None,
    *,
    fresh: bool = True,  # type: ignore[no-untyped-def]
    settings=None,
    demo_dir=None,
):
    """A demo database with the demo material loaded, in a folder of the demo's own (see
    services.demodir): `data_dir` (new, empty, or an earlier demo's: emptied unless not
    `fresh`), or the DemoDir given. Picsara and E-arkiv get working folders inside it."""
    from dataclasses import replace

    from tui_app.config import Settings
    from tui_app.services import demodir
    from tui_app.services.context import open_context
    from tui_app.services.seed import load_file
    from tui_app.store.db import sqlite_url

    if demo_dir is None:
        assert data_dir is not None
        demo_dir = demodir.claim(data_dir, keep=not fresh)
    from tui_app.store import fsmode

    for folder in (
        demo_dir.picsara,
        demo_dir.earkiv,
        demo_dir.path / "files",
        demo_dir.path / "staging",
    ):
        fsmode.make_dir(folder)
    existed = demo_dir.database.exists()
    ctx = open_context(sqlite_url(demo_dir.database), demo_dir.path, demo=True)
    # The demo's own Picsara and E-arkiv, always: demo images never reach a real import
    # folder or printer, whatever the settings file says.
    ctx.settings["config"] = replace(
        settings or Settings(),
        data_dir=demo_dir.path,
        database_url=sqlite_url(demo_dir.database),
        picsara_import_dir=demo_dir.picsara,
        earkiv_folder=demo_dir.earkiv,
        earkiv_printer=None,
    )
    ctx.settings["demo_dir"] = demo_dir
    ctx.settings["notice"] = (
        f"Demons mapp: {demo_dir.path} – Picsara-import: {demodir.PICSARA}/, E-arkiv: "
        f"{demodir.EARKIV}/. "
        + (
            "Sparas (--keep)."
            if demo_dir.keep
            else "Tas bort när demon avslutas (--keep sparar den)."
        )
    )
    if not existed:
        from tui_app.services.anchor import forget

        forget(ctx)  # a new demo log on purpose: the old one's checkpoints no longer apply
        load_file(ctx, demo_data_file(), with_cases=True)
    return ctx


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


def _require_terminal() -> None:
    """The app draws on a terminal and reads keys from it: without one (`</dev/null`, `ssh`
    without -t under a ForceCommand) Textual would spin on end-of-input, so refuse instead.
    Textual draws on stderr, so that one is checked too."""
    if not all(
        stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout, sys.stderr)
    ):
        raise UserError(
            "Appen behöver en terminal för tangentbord och skärm, men startades "
            "utan. Starta den i ett terminalfönster, eller över SSH med ssh -t."
        )


def _dispatch(cmd: str, args: argparse.Namespace) -> int:
    from tui_app.config import load_settings

    settings = load_settings(args.config)
    _apply_settings(settings)
    if cmd in ("run", "demo"):
        from tui_app.ui.termcaps import Probe

        # Ask the terminal about pictures now; the reply arrives while the rest is imported.
        probe = Probe(settings.graphics).start()
        try:
            return _run_app(cmd, args, settings, probe)
        finally:
            # If the app never started (unknown login, Ctrl-C, an error), wait for the reply and
            # drop it, so it does not reach the shell as typed text; after a run, only restores.
            probe.finish(timeout=1.0, discard=True)
    if cmd == "classroom":
        from tui_app.classroom.cli import run_classroom
        from tui_app.config import config_path

        return run_classroom(args, settings, args.config or config_path())
    ctx = _command_context(args, settings)
    if cmd == "sweep":
        from tui_app.services.files import collect_garbage
        from tui_app.services.sweep import close_expired, remove_expired

        from tui_app.services.storeid import StoreMismatch, check_store

        try:
            check_store(ctx)  # before anything: a sweep on the wrong database deletes nothing
        except StoreMismatch as exc:
            print(f"tui-app: {exc.message} Inget raderades.", file=sys.stderr)
            return 1
        r = close_expired(ctx)
        print(f"Avslutade automatiskt: {r.closed_auto}; avslutade efter svar: {r.closed_answered}")
        g = remove_expired(ctx)
        print(f"Gallrade ärenden (äldre än 2 år): {g.removed_cases}; filer: {g.removed_files}")
        for line in g.still_downloaded:
            print(f"  Nedladdad kopia fanns kvar: {line}")
        gc_report = collect_garbage(ctx)
        print(f"Städade rester efter avbrutna uppladdningar: {gc_report.removed}")
        if gc_report.unknown:
            print(
                f"  {gc_report.unknown} lagrade filer som databasen inte känner till lämnades "
                "kvar (raderas aldrig automatiskt)."
            )
        from tui_app.services.pending import resolve_pending  # sends a crash left half-way

        settled = resolve_pending(ctx)
        print(f"Avbrutna överföringar som följdes upp: {len(settled)}", *settled, sep="\n  ")
        return 0
    if cmd == "leftovers":
        from tui_app.services.leftovers import run_leftovers

        return run_leftovers(ctx, dirs=args.dir, delete=args.delete)
    if cmd == "audit":
        from tui_app.services.auditlog import run_audit_cli

        return run_audit_cli(ctx, args)
    if cmd == "load":
        from tui_app.services.seed import load_file, require_loader

        require_loader(ctx)
        counts = load_file(ctx, args.file)
        print(", ".join(f"{k}: {v}" for k, v in counts.items()))
        return 0
    raise AssertionError(cmd)  # argparse only lets known commands through


def _apply_settings(settings) -> None:  # type: ignore[no-untyped-def]
    """What the settings decide for the whole process: file modes and whom sudo vouches for."""
    from tui_app.services.actor import trust_sudo_for
    from tui_app.store import fsmode

    fsmode.apply(settings.group_access)
    trust_sudo_for(settings.service_account)


def _command_context(args: argparse.Namespace, settings):  # type: ignore[no-untyped-def]
    """The context of a command other than the app: the deployment's data, another data
    folder (--data-dir) or the demo's (--demo), as the app itself would use them."""
    from dataclasses import replace

    from tui_app.services.context import open_context

    if getattr(args, "demo", False):
        from tui_app.services import demodir
        from tui_app.store.db import sqlite_url

        folder = (
            Path(args.data_dir).expanduser().absolute()
            if args.data_dir
            else demodir.current_demo(settings.data_dir / "demo")
        )
        if not demodir.is_demo_dir(folder) or not (folder / demodir.DEMO_DB).is_file():
            raise UserError(
                f"{_safe(folder)} är ingen demos mapp. Ange mappen som tui-app demo "
                "--data-dir använde, eller utelämna --data-dir."
            )
        settings = replace(
            settings,
            data_dir=folder,
            database_url=sqlite_url(folder / demodir.DEMO_DB),
            picsara_import_dir=folder / demodir.PICSARA,
            earkiv_folder=folder / demodir.EARKIV,
            earkiv_printer=None,
        )
        ctx = open_context(settings.url, folder, demo=True)
    else:
        settings = _with_data_dir(args, settings)
        prepare_data_dir(settings)
        ctx = open_context(settings.url, settings.data_dir)
    ctx.settings["config"] = settings
    return ctx


def _with_data_dir(args: argparse.Namespace, settings):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    data_dir = getattr(args, "data_dir", None)
    if data_dir is None:
        return settings
    return replace(settings, data_dir=Path(data_dir).expanduser().absolute())


def prepare_data_dir(settings) -> None:  # type: ignore[no-untyped-def]
    """Create the data folder (owner-only, or for the group) or say clearly why it cannot be."""
    from tui_app.store import fsmode

    folder = settings.data_dir
    if folder.exists() and not folder.is_dir():
        raise UserError(
            f"Datamappen {_safe(folder)} (data_dir) är en fil, inte en mapp. Ändra data_dir "
            "i inställningarna eller flytta filen."
        )
    try:
        for sub in (folder, folder / "files", folder / "staging"):  # exact modes from the start
            fsmode.make_dir(sub)
    except OSError as exc:
        raise UserError(
            f"Datamappen {_safe(folder)} (data_dir) kunde inte skapas: "
            f"{exc.strerror or exc}. Ändra data_dir eller be IT om hjälp."
        ) from exc


def permission_warning(settings) -> str | None:  # type: ignore[no-untyped-def]
    """One Swedish line when the data folder, the database or the files folders let others
    in more than they should; None when all is as it should be."""
    from tui_app.store import fsmode
    from tui_app.store.quick import sqlite_path

    data = settings.data_dir
    paths = [data, data / "files", data / "staging"]
    db = sqlite_path(settings.url)
    if db is not None:
        paths += [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    loose = fsmode.looser(paths)
    if not loose:
        return None
    modes = fsmode.current()
    shown = ", ".join(f"{_safe(p)} ({bits:04o})" for p, bits in loose[:3])
    more = f" och {len(loose) - 3} till" if len(loose) > 3 else ""
    return (
        f"Varning: andra användare kan komma åt patientdata: {shown}{more}. Rätta med chmod "
        f"{modes.dir:o} (mappar) och {modes.file:o} (filer), eller be IT om hjälp."
    )


def _safe(value: object) -> str:
    """A path or value for a message on the terminal, with no escapes that could act there."""
    from tui_app.core.safetext import visible_text

    return visible_text(str(value), max_len=200)


def _run_app(cmd: str, args: argparse.Namespace, settings, probe) -> int:  # type: ignore[no-untyped-def]
    """The app itself: demo (fresh demo database, sign-in picker) or run (the OS login).

    Without a terminal the demo is refused before it replaces any demo database; `run` says
    first whether the login is known at all (that message is useful without a terminal too).
    """
    from tui_app.crashlog import EXIT_CRASH, crash_line
    from tui_app.ui import termcaps

    if cmd == "demo":
        _require_terminal()
    app = start_app(cmd, args, settings)
    _require_terminal()
    termcaps.use(probe.finish())
    app.run()
    if app.crash is not None:  # the terminal is restored by now: the one line for IT support
        print(crash_line(app.crash), file=sys.stderr)
        return EXIT_CRASH
    return app.return_code or 0


def start_app(cmd: str, args: argparse.Namespace, settings):  # type: ignore[no-untyped-def]
    """The app, ready to run. Staff (`run`) normally get their inbox read with plain SQL
    (services.quickstart) and the data layer loads in a thread after it is painted: loading
    SQLAlchemy, pydantic and SQLModel takes longer than starting the whole UI."""
    from tui_app.core.clock import SystemClock
    from tui_app.services.actor import os_login
    from tui_app.services.context import Context, open_context
    from tui_app.services.pending import resolve_in_background
    from tui_app.ui.app import build_app

    if cmd == "demo":
        import atexit

        from tui_app.services import demodir

        base = settings.data_dir / "demo"
        if args.data_dir is not None:
            claimed = demodir.claim(Path(args.data_dir).expanduser().absolute(), keep=args.keep)
        elif args.keep:
            claimed = demodir.claim(base / demodir.KEPT, keep=True)
        else:
            claimed = demodir.new_run(base)
        atexit.register(claimed.release)  # also after an error; a killed run is swept later
        ctx = make_demo_context(settings=settings, demo_dir=claimed)
        if args.keep:
            resolve_in_background(ctx)  # settle sends a crash left in the kept demo
        return build_app(ctx)
    settings = _with_data_dir(args, settings)
    prepare_data_dir(settings)
    warning = permission_warning(settings)
    if warning:
        print(f"tui-app: {warning}", file=sys.stderr)
    login = os_login()
    clock = SystemClock()
    from tui_app.services.quickstart import quick_start

    quick = quick_start(settings.url, login, clock.now())
    if quick is not None:
        ctx = Context(None, clock, settings.data_dir, settings={"config": settings})
        resolve_in_background(ctx)  # waits for the data layer, then settles crashed sends
        return build_app(ctx, quick.actor, first_inbox=quick.inbox, load_url=settings.url)
    # The ordinary way: it creates or upgrades the database, and refuses an unknown login.
    ctx = open_context(settings.url, settings.data_dir, clock=clock)
    ctx.settings["config"] = settings
    resolve_in_background(ctx)
    from tui_app.services.identity import staff_by_login

    return build_app(ctx, staff_by_login(ctx, login))


if __name__ == "__main__":
    sys.exit(main())
