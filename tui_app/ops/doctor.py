"""`tui-app doctor`: is this installation ready for staff? One check per line, in Swedish.

An operator runs it after installing (as the service account, the way the app itself runs) and
again whenever something seems wrong. Each check says what it found and, when it is not as it
should be, what to do. Nothing is changed: the checks only read (a probe file in the Downloads
folder is created and removed at once).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tui_app.core.errors import UserError
from tui_app.core.safetext import visible_text

if TYPE_CHECKING:
    from tui_app.config import Settings

Status = Literal["ok", "fail", "optional"]
SYMBOL: dict[Status, str] = {"ok": "✓", "fail": "✗", "optional": "–"}


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report: what was checked, the verdict, what was found or to do."""

    title: str
    status: Status
    detail: str

    @property
    def line(self) -> str:
        """The line as printed: symbol, title, what was found (and what to do)."""
        return f"{SYMBOL[self.status]} {self.title}: {self.detail}"


def _show(value: object) -> str:
    return visible_text(str(value), max_len=200)


def run_checks(config: Path | None = None, *, data_dir: Path | None = None) -> list[Check]:
    """Every check, in the order an operator would fix them (`data_dir` instead of the
    configured one when given)."""
    from tui_app.config import config_path, load_settings

    path = config or config_path()
    settings: Settings | None
    try:
        settings = load_settings(path)
    except UserError as exc:
        settings = None
        first = Check("Inställningar", "fail", f"{exc.message} Rätta filen och kör doctor igen.")
    else:
        if data_dir is not None:
            from dataclasses import replace

            settings = replace(settings, data_dir=Path(data_dir).expanduser().absolute())
        first = Check(
            "Inställningar",
            "ok",
            f"{_show(path)} är giltig."
            if path is not None
            else "ingen inställningsfil, standardvärdena gäller (se README: /etc/tui_app/config.toml).",
        )
    checks = [first]
    needs_settings: list[tuple[str, Callable[[Settings], Check]]] = [
        ("Datamapp", check_data_dir),
        ("Databas", check_database),
        ("Skrivare för E-arkiv", check_printer),
        ("Hämtade filer", check_downloads),
    ]
    for title, fn in needs_settings:
        if settings is None:
            checks.append(Check(title, "fail", "inte kontrollerad: rätta inställningarna först."))
        else:
            checks.append(fn(settings))
    checks += [check_libmagic(), check_fonts(), check_tesseract()]
    return checks


def failed(checks: list[Check]) -> bool:
    """True when any required check failed (an optional one missing is not a failure)."""
    return any(c.status == "fail" for c in checks)


# --- the data directory --------------------------------------------------------------------


def check_data_dir(settings: Settings) -> Check:
    """The data folder, its database files and received files: the app's account owns them all
    and nobody else may read them (0700/0600, or 0770/0660 with group_access)."""
    from tui_app.store import fsmode
    from tui_app.store.quick import sqlite_path

    title = "Datamapp"
    modes = fsmode.GROUP if settings.group_access else fsmode.PRIVATE
    data = settings.data_dir
    if not data.exists():
        return Check(
            title,
            "fail",
            f"{_show(data)} finns inte. Skapa den som appens konto: install -d -m "
            f"{modes.dir:o} {_show(data)}, eller ändra data_dir.",
        )
    if not data.is_dir():
        return Check(title, "fail", f"{_show(data)} är en fil, inte en mapp. Ändra data_dir.")
    paths = [data]
    for sub in ("files", "staging"):
        for root, dirs, files in os.walk(data / sub):
            paths += [Path(root, n) for n in (*dirs, *files)]
            paths.append(Path(root))
    db = sqlite_path(settings.url)
    if db is not None:
        paths += [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    me = os.geteuid()
    foreign, loose = [], []
    for p in dict.fromkeys(paths):
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if st.st_uid != me:
            foreign.append(p)
        if stat.S_IMODE(st.st_mode) & modes.umask & 0o777 and not stat.S_ISLNK(st.st_mode):
            loose.append((p, stat.S_IMODE(st.st_mode)))
    problems = []
    service = settings.service_account
    if foreign and service and service != _account():
        problems.append(
            f"{len(foreign)} ägs inte av {_account()}, som kör doctor nu, t.ex. "
            f"{_show(foreign[0])}: kör doctor som tjänstekontot (sudo -u {_show(service)} "
            "tui-app doctor)"
        )
    elif foreign:
        problems.append(
            f"{len(foreign)} ägs inte av kontot som kör appen (uid {me}), t.ex. "
            f"{_show(foreign[0])}: chown -R {_account()} {_show(data)}"
        )
    if loose:
        shown = ", ".join(f"{_show(p)} ({bits:04o})" for p, bits in loose[:3])
        problems.append(
            f"andra kan läsa eller skriva {len(loose)}: {shown}: chmod {modes.dir:o} på mappar "
            f"och {modes.file:o} på filer (chmod -R go-rwx {_show(data)})"
        )
    if problems:
        return Check(title, "fail", f"{_show(data)}: " + "; ".join(problems) + ".")
    return Check(
        title,
        "ok",
        f"{_show(data)} ägs av {_account()}, bara ägaren kommer åt den "
        f"({modes.dir:04o}/{modes.file:04o}).",
    )


def _account() -> str:
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


# --- the database ----------------------------------------------------------------------------


def check_database(settings: Settings) -> Check:
    """The database answers, and its schema is the one this version needs (HEAD_REVISION)."""
    from sqlalchemy import create_engine

    from tui_app.store.db import current_revision
    from tui_app.store.migrations import HEAD_REVISION
    from tui_app.store.quick import sqlite_path

    title = "Databas"
    url = settings.url
    db = sqlite_path(url)
    if db is not None:
        if not db.is_file():
            return Check(
                title,
                "fail",
                f"{_show(db)} finns inte. Läs in enheter och personal med tui-app load FIL "
                "(då skapas den), eller kontrollera data_dir/database_url.",
            )
        url = f"sqlite:///file:{db}?mode=ro&uri=true"  # read only: doctor changes nothing
        where = _show(db)
    else:
        from sqlalchemy.engine import make_url

        where = _show(make_url(url).render_as_string(hide_password=True))
    # SQLite makes -wal/-shm beside a WAL database on first open, with the database file's
    # mode: what doctor itself made is given the app's file mode after (see finally).
    made = [p for p in _sidecars(db) if not os.path.lexists(p)]
    engine = None
    try:
        engine = create_engine(url)  # a missing driver (psycopg) fails here
        with engine.connect():
            pass
        at = current_revision(engine)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the verdict
        from sqlalchemy.exc import NoSuchModuleError

        from tui_app.services.errors import explain

        if isinstance(exc, (ImportError, NoSuchModuleError)):
            return Check(
                title,
                "fail",
                f"{where}: programmet saknar drivrutinen för den databasen ({_show(exc)}). "
                "PostgreSQL behöver tillägget postgres (pip install 'tui_app[postgres]'); "
                "kontrollera annars database_url.",
            )

        return Check(
            title,
            "fail",
            f"{where} går inte att nå: {explain(exc)} Kontrollera database_url och att "
            "databasservern är igång.",
        )
    finally:
        if engine is not None:
            engine.dispose()
        _private_sidecars(made, settings)
    if at is None:
        return Check(
            title, "fail", f"{where} är tom. Läs in enheter och personal med tui-app load FIL."
        )
    if at == HEAD_REVISION:
        return Check(title, "ok", f"{where} svarar, schemaversion {at} (den senaste).")
    if at.isdigit() and HEAD_REVISION.isdigit() and int(at) < int(HEAD_REVISION):
        return Check(
            title,
            "fail",
            f"{where} har schemaversion {at}, den här versionen behöver {HEAD_REVISION}. "
            "Ta en säkerhetskopia (tui-app backup MAPP) och uppgradera sedan schemat med "
            "tui-app migrate.",
        )
    return Check(
        title,
        "fail",
        f"{where} har schemaversion ”{_show(at)}”, som den här versionen inte känner till "
        f"(den senaste den känner till är {HEAD_REVISION}). Uppdatera tui_app eller "
        "kontrollera database_url.",
    )


def _sidecars(db: Path | None) -> list[Path]:
    return [] if db is None else [Path(f"{db}-wal"), Path(f"{db}-shm")]


def _private_sidecars(paths: list[Path], settings: Settings) -> None:
    from tui_app.store import fsmode

    mode = (fsmode.GROUP if settings.group_access else fsmode.PRIVATE).file
    for p in paths:
        try:
            if not os.path.islink(p):
                os.chmod(p, mode)
        except FileNotFoundError:
            pass


# --- the printer -----------------------------------------------------------------------------


def check_printer(settings: Settings) -> Check:
    """The E-arkiv printer queue answers `lpstat` and takes jobs (or the E-arkiv folder is there)."""
    title = "Skrivare för E-arkiv"
    name = (settings.earkiv_printer or "").strip()
    if not name:
        folder = settings.earkiv_folder
        if folder is None:
            return Check(
                title,
                "fail",
                "ingen är inställd. Ange earkiv_printer (en CUPS-kö) eller earkiv_folder "
                "(en mapp) i inställningarna.",
            )
        if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
            return Check(title, "ok", f"ingen skrivare; utskrifterna sparas i {_show(folder)}.")
        return Check(
            title,
            "fail",
            f"mappen {_show(folder)} (earkiv_folder) finns inte eller går inte att skriva i. "
            "Skapa den eller ändra earkiv_folder.",
        )
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        return Check(
            title,
            "fail",
            f"kön {_show(name)} går inte att nå: lpstat finns inte. Installera CUPS "
            "(apt-get install cups-client).",
        )
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        proc = subprocess.run(
            [lpstat, "-p", name, "-a", name],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(title, "fail", f"kön {_show(name)} svarar inte ({_show(exc)}). Kontakta IT.")
    said = (proc.stdout + proc.stderr).strip()
    last = said.splitlines()[-1] if said else f"lpstat avslutades med felkod {proc.returncode}"
    server = os.environ.get("CUPS_SERVER")
    at = f" på {_show(server)}" if server else ""
    if proc.returncode != 0 or not proc.stdout.strip():
        if _scheduler_down(lpstat, env):  # lpstat -p says "invalid destination" then too
            last = "not running"
        return Check(
            title,
            "fail",
            f"kön {_show(name)}{at} går inte att nå: {_lpstat_reason(last)}. Kontrollera "
            "earkiv_printer (lpstat -p visar köerna) och att CUPS är igång.",
        )
    lines = proc.stdout.splitlines()
    if any(line.startswith(f"printer {name} ") and " disabled" in line for line in lines):
        return Check(
            title, "fail", f"kön {_show(name)} är avstängd. Starta den: cupsenable {_show(name)}."
        )
    if any(line.startswith(f"{name} not accepting") for line in lines):
        return Check(
            title,
            "fail",
            f"kön {_show(name)} tar inte emot jobb. Slå på den: cupsaccept {_show(name)}.",
        )
    return Check(title, "ok", f"kön {_show(name)}{at} svarar och tar emot jobb.")


def _scheduler_down(lpstat: str, env: dict[str, str]) -> bool:
    try:
        proc = subprocess.run(
            [lpstat, "-r"],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return True
    return "scheduler is running" not in proc.stdout


def _lpstat_reason(said: str) -> str:
    """lpstat's complaint (read in the C locale) in Swedish where it is a known one."""
    low = said.lower()
    if "invalid destination" in low or "unknown destination" in low:
        return "kön finns inte på skrivarservern"
    if any(w in low for w in ("unable to connect", "connection refused", "not running")):
        return "skrivarservern (CUPS) svarar inte"
    return f"lpstat svarade ”{_show(said.rstrip('.'))}”"


# --- Downloads -------------------------------------------------------------------------------


def check_downloads(settings: Settings) -> Check:
    """The folder downloads land in (R18) exists, or will be made, and can be written."""
    from tui_app.adapters.downloads import default_download_dir

    title = "Hämtade filer"
    own = default_download_dir()
    folder = settings.download_dir or own
    if not folder.exists():
        home = Path(os.environ.get("HOME") or Path.home())
        if folder == own and home.is_dir() and own.is_relative_to(home):
            return Check(title, "ok", f"{_show(folder)} skapas vid första nedladdningen.")
        return Check(
            title,
            "fail",
            f"{_show(folder)} finns inte. Skapa mappen eller ändra download_dir.",
        )
    if not folder.is_dir():
        return Check(
            title,
            "fail",
            f"{_show(folder)} är inte en mapp. Ändra download_dir eller flytta filen.",
        )
    probe = folder / f".tui_app-doctor-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return Check(
            title,
            "fail",
            f"{_show(folder)} går inte att skriva i ({_show(exc.strerror or exc)}). Rätta "
            "rättigheterna eller ändra download_dir.",
        )
    return Check(title, "ok", f"{_show(folder)} går att skriva i.")


# --- system libraries and programs ---------------------------------------------------------


def check_libmagic() -> Check:
    """libmagic, which tells what a received file really is, loads and answers."""
    title = "libmagic"
    try:
        import magic

        mime = magic.from_buffer(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", mime=True)
    except (ImportError, OSError) as exc:
        return Check(
            title,
            "fail",
            f"saknas ({_show(exc)}). Installera den: apt-get install libmagic1 "
            "(Fedora/RHEL: dnf install file-libs).",
        )
    if mime != "application/pdf":
        return Check(
            title, "fail", f"svarar fel (”{_show(mime)}” för en PDF). Installera om libmagic1."
        )
    return Check(title, "ok", "finns och känner igen filtyper.")


def check_fonts() -> Check:
    """DejaVu Sans (regular and bold) for the cover sheet, so every name prints."""
    from tui_app.adapters import coversheet

    for folder in coversheet._FONT_DIRS:
        regular, bold = Path(folder, "DejaVuSans.ttf"), Path(folder, "DejaVuSans-Bold.ttf")
        if regular.is_file() and bold.is_file():
            return Check("Typsnitt för försättsbladet", "ok", f"DejaVu Sans finns i {folder}.")
    return Check(
        "Typsnitt för försättsbladet",
        "fail",
        "DejaVu Sans saknas, så namn med bokstäver utanför Latin-1 skrivs ut som rutor. "
        "Installera: apt-get install fonts-dejavu-core.",
    )


def check_tesseract() -> Check:
    """Tesseract with Swedish (optional): received PDFs get a searchable text layer."""
    from tui_app.intake.ocr import tesseract

    title = "Tesseract (valfritt)"
    program = tesseract()
    if program is None:
        return Check(
            title,
            "optional",
            "saknas: mottagna PDF:er sparas utan sökbart textlager. Vill ni ha det: "
            "apt-get install tesseract-ocr tesseract-ocr-swe.",
        )
    try:
        proc = subprocess.run(
            [program, "--list-langs"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        langs = set((proc.stdout + proc.stderr).split())
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(title, "optional", f"{_show(program)} går inte att köra ({_show(exc)}).")
    if "swe" not in langs:
        return Check(
            title,
            "optional",
            "finns men utan svenska. Installera: apt-get install tesseract-ocr-swe.",
        )
    return Check(title, "ok", "finns, med svenska.")
