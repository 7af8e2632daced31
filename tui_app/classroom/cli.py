"""`tui-app classroom`: check that only demo data is served, print the addresses, serve."""

from __future__ import annotations

import argparse
import ipaddress
import secrets
import sys
from pathlib import Path
from typing import Any

from tui_app.core.errors import UserError

#: Simultaneous demos by default: what one 2-core machine holds with room to spare
#: (bench/classroom.py measures it; see README "Undervisning").
DEFAULT_CAP = 30


def add_parser(sub: Any) -> None:
    """The `classroom` verb and its flags (called by tui_app.cli)."""
    c = sub.add_parser("classroom", help="undervisning: servera demon till webbläsare, en per elev")
    c.add_argument("--port", type=int, default=8000, help="porten (standard 8000)")
    c.add_argument(
        "--host",
        default="127.0.0.1",
        help="adressen att lyssna på (standard 127.0.0.1: bara den här datorn)",
    )
    c.add_argument(
        "--max-demos",
        type=int,
        default=None,
        metavar="N",
        help=f"högst så många demor samtidigt (standard {DEFAULT_CAP})",
    )
    c.add_argument(
        "--data-dir",
        type=Path,
        metavar="MAPP",
        help="lektionens mapp (ny eller tom; standard: classroom i användarens datamapp)",
    )


def refuse_production(settings: Any, config_file: Path | None) -> None:
    """UserError when the settings in force are a deployment's: the classroom serves demo
    data only, and never next to a real database, Picsara import folder or printer."""
    named = [
        name
        for name in ("database_url", "picsara_import_dir", "earkiv_printer")
        if getattr(settings, name, None)
    ]
    if named:
        where = f" i {config_file}" if config_file is not None else ""
        raise UserError(
            f"Undervisningsläget startar bara med demodata, men inställningarna{where} pekar ut "
            f"en riktig driftmiljö ({', '.join(named)}). Starta lektionen på en dator eller "
            "ett konto utan produktionens inställningar (eller med TUI_APP_CONFIG=/dev/null)."
        )
    production_db = settings.data_dir / "tui_app.sqlite"
    if production_db.exists():
        raise UserError(
            f"Undervisningsläget startar bara med demodata, men datamappen {settings.data_dir} "
            "har en riktig databas (tui_app.sqlite). Starta lektionen på ett konto utan "
            "produktionsdata, eller ange en egen lektionsmapp med --data-dir och "
            "TUI_APP_CONFIG=/dev/null."
        )


def host_warning(host: str) -> str | None:
    """The Swedish warning when trainees on a network can reach the server; None on loopback."""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        if host == "localhost":
            return None
    return (
        f"Varning: servern lyssnar på {host}, så alla som når den här datorn över nätverket kan "
        "öppna sidan och få en egen demo. Demon har bara påhittade patienter, men använd det "
        "bara på ett nätverk du litar på, och stäng av servern (Ctrl-C) efter lektionen."
    )


def run_classroom(args: argparse.Namespace, settings: Any, config_file: Path | None) -> int:
    """Start the class: check, print the trainees' and the trainer's addresses, serve."""
    try:
        from tui_app.classroom.server import ClassroomServer, serve
    except ImportError as exc:  # the `classroom` extra is not installed
        raise UserError(
            "Undervisningsläget behöver textual-serve: installera med "
            "pip install 'tui_app[classroom]'."
        ) from exc
    from tui_app.classroom.room import open_room

    refuse_production(settings, config_file)  # first: nothing else matters then
    root = (
        Path(args.data_dir).expanduser().absolute()
        if args.data_dir
        else settings.data_dir / "classroom"
    )
    room = open_room(root)
    cap = args.max_demos if args.max_demos is not None else DEFAULT_CAP
    if cap < 1:
        raise UserError("--max-demos måste vara minst 1.")
    if not 0 < args.port < 65536:
        raise UserError(f"Porten {args.port} finns inte: välj en mellan 1 och 65535.")
    token = secrets.token_urlsafe(12)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    base = f"http://{shown}:{args.port}"
    warning = host_warning(args.host)
    if warning:
        print(warning, file=sys.stderr)
    print(f"Lektionen är igång. Eleverna öppnar: {base}/")
    print(f"Lärarsidan (håll adressen för dig själv): {base}/trainer/{token}")
    print(f"Högst {cap} demor samtidigt. Lektionens mapp: {root}. Avsluta med Ctrl-C.")
    sys.stdout.flush()
    server = ClassroomServer(room, host=args.host, port=args.port, cap=cap, token=token)
    try:
        serve(server)
    except OSError as exc:
        raise UserError(
            f"Servern kunde inte starta på {args.host}:{args.port} ({exc.strerror or exc}). "
            "Välj en annan port med --port."
        ) from exc
    finally:
        room.clear_demos()
    return 0
