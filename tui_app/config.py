"""Typed settings, read from a TOML file at the XDG config location (or /etc, or $TUI_APP_CONFIG)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tui_app.core.errors import UserError
from tui_app.core.names import PRINTER_NAME

SYSTEM_CONFIG = Path("/etc/tui_app/config.toml")


def _user_config() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tui_app" / "config.toml"


def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("tui_app", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Everything a deployment may set; each field documents itself. Read and validated once
    (load_settings, through tui_app.bootstrap) and never changed afterwards: a variant is made
    with dataclasses.replace."""

    data_dir: Path = field(default_factory=_default_data_dir)
    """Where the database (unless database_url is set) and the received files live."""

    database_url: str | None = None
    """SQLAlchemy URL; default is a SQLite file data_dir/tui_app.sqlite. PostgreSQL works too."""

    download_dir: Path | None = None
    """Hämtade filer: where downloads land (R18); default is the XDG download directory."""

    picsara_import_dir: Path | None = None
    """Picsara's import ("hot") folder for DICOM files (R15, R19); unset means no Picsara."""

    earkiv_printer: str | None = None
    """CUPS printer name for E-arkiv print jobs (R20); sent with `lp`."""

    earkiv_folder: Path | None = None
    """Folder for E-arkiv print jobs as PDF when no printer is set (R20)."""

    keys: dict[str, str] = field(default_factory=dict)
    """Key remapping: binding id → key, e.g. {"new_case" = "f2"}."""

    graphics: str = "auto"
    """Previews: "auto" asks the terminal; "sixel", "kitty" or "text" (characters) decide."""

    audit_key_file: Path | None = None
    """The access log's HMAC key (R24; 0600, never in the database); checkpoints lie next to it.
    Default: the app account's state directory, ~/.local/state/tui_app/audit/audit.key."""

    group_access: bool = False
    """True: the app's group may read and write what the app creates (folders 0770, files
    0660); default owner-only (0700/0600)."""

    service_account: str | None = None
    """The account the app runs as through sudo (e.g. "tui_app"); only then is the person the
    uid sudo recorded. Honoured only in a file owned by root that nobody else may write."""

    file_store: str = "auto"
    """Where received files are kept: "directory" (data_dir/files), "database" (a table of
    the database, shared by every app server) or "auto": the database with PostgreSQL."""

    auto_migrate: bool = True
    """False: an app server never upgrades an older schema itself, it refuses to start until
    an operator has run `tui-app migrate` (for deployments with several servers)."""

    @property
    def url(self) -> str:
        """The database URL in force."""
        return self.database_url or f"sqlite:///{self.data_dir / 'tui_app.sqlite'}"


def config_path() -> Path | None:
    """The config file in force: $TUI_APP_CONFIG, else the user's, else the system's, else none."""
    env = os.environ.get("TUI_APP_CONFIG")
    if env:
        return Path(env)
    for p in (_user_config(), SYSTEM_CONFIG):
        if p.is_file():
            return p
    return None


#: The type of every setting, checked by hand (pydantic would cost start-up time).
_PATH, _FILE, _TEXT, _KEYS, _BOOL = "path", "file", "text", "keys", "bool"
_TYPES: dict[str, str] = {
    "data_dir": _PATH,
    "database_url": _TEXT,
    "download_dir": _PATH,
    "picsara_import_dir": _PATH,
    "earkiv_printer": _TEXT,
    "earkiv_folder": _PATH,
    "keys": _KEYS,
    "graphics": _TEXT,
    "group_access": _BOOL,
    "service_account": _TEXT,
    "audit_key_file": _FILE,
    "file_store": _TEXT,
    "auto_migrate": _BOOL,
}
_WHAT = {
    _PATH: 'en sökväg till en mapp inom citattecken, t.ex. "/var/lib/tui_app"',
    _FILE: 'en sökväg till en fil inom citattecken, t.ex. "/var/lib/tui_app/audit.key"',
    _TEXT: "en text inom citattecken",
    _BOOL: "true eller false",
    _KEYS: 'en tabell [keys] med id = "tangent"',
}
_GRAPHICS = ("auto", "sixel", "kitty", "text")


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; an unreadable file or a wrong value is a clear Swedish error naming the
    setting and the file, before anything is created."""
    path = path or config_path()
    if path is None:
        return Settings()
    import tomllib  # only when there is a file to read (not on a plain start)

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(
            f"Inställningsfilen {_show(path)} kunde inte läsas: {exc.strerror or exc}."
        ) from exc
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UserError(
            f"Inställningsfilen {_show(path)} är inte sparad som UTF-8 (fel vid byte "
            f"{exc.start}). Spara den som UTF-8 och försök igen."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(
            f"Inställningsfilen {_show(path)} är inte giltig TOML: {_show(str(exc))}."
        ) from None
    values: dict[str, object] = {}
    for key, value in raw.items():
        kind = _TYPES.get(key)
        if kind is None:
            raise UserError(
                f"Okänd inställning ”{_show(key)}” i {_show(path)}. "
                f"Tillåtna: {', '.join(sorted(_TYPES))}."
            )
        values[key] = _checked(key, kind, value, path)
    if values.get("service_account") is not None:
        _require_root_owned(path)
    return Settings(**values)  # type: ignore[arg-type]  # each value checked against _TYPES


def _checked(key: str, kind: str, value: object, path: Path) -> object:
    """The value of one setting as the app uses it; UserError when it has the wrong type."""

    def wrong(why: str = "") -> UserError:
        return UserError(
            f"Inställningen {key} i {_show(path)} måste vara {why or _WHAT[kind]}, "
            f"inte {_show(repr(value))}. Rätta filen och försök igen."
        )

    if kind == _BOOL:
        if not isinstance(value, bool):
            raise wrong()
        return value
    if kind == _KEYS:
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
        ):
            raise wrong()
        return dict(value)
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise wrong()
    if key == "graphics" and value not in _GRAPHICS:
        raise wrong("auto, sixel, kitty eller text")
    if key == "earkiv_printer" and not PRINTER_NAME.fullmatch(value.strip()):
        raise wrong('ett skrivarnamn utan mellanslag, /, \\, # och citattecken, t.ex. "skanning-1"')
    if key == "file_store" and value not in ("auto", "directory", "database"):
        raise wrong("auto, directory eller database")
    if key == "database_url" and "://" not in value:
        raise wrong('en databas-URL, t.ex. "postgresql+psycopg://tui_app@dbhost/tui_app"')
    if kind not in (_PATH, _FILE):
        return value
    folder = Path(os.path.expanduser(value))
    if not folder.is_absolute():
        raise wrong("en fullständig sökväg (som börjar med / eller ~)")
    if kind == _FILE:
        if folder.is_dir():
            raise UserError(
                f"Inställningen {key} i {_show(path)} pekar på mappen "
                f"{_show(str(folder))}; den ska peka på en fil."
            )
        return folder
    if folder.exists() and not folder.is_dir():
        raise UserError(
            f"Inställningen {key} i {_show(path)} pekar på {_show(str(folder))}, som "
            "inte är en mapp. Ändra den så att den pekar på en mapp."
        )
    return folder


def _require_root_owned(path: Path) -> None:
    """service_account makes the app believe sudo's record of who you are: only root may say so."""
    import stat

    st = path.stat()
    if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UserError(
            f"Inställningen service_account i {_show(path)} gäller bara i en fil som "
            "ägs av root och som ingen annan får skriva i (t.ex. /etc/tui_app/"
            "config.toml). Flytta den dit eller ta bort den."
        )


def _show(text: object) -> str:
    """A value from the file or the file system, safe to print (no terminal escapes)."""
    from tui_app.core.safetext import visible_text

    return visible_text(str(text), max_len=200)
