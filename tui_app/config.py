"""Typed settings, read from a TOML file at the XDG config location (or /etc, or $TUI_APP_CONFIG)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from tui_app.core.errors import UserError

SYSTEM_CONFIG = Path("/etc/tui_app/config.toml")


def _user_config() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tui_app" / "config.toml"


def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("tui_app", appauthor=False))


@dataclass
class Settings:
    """Everything a deployment may set; each field documents itself."""

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


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; an unreadable or wrong file is a clear Swedish error."""
    path = path or config_path()
    settings = Settings()
    if path is None:
        return settings
    import tomllib  # only when there is a file to read (not on a plain start)

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"Inställningsfilen {path} kunde inte läsas: {exc}") from exc
    known = {f.name for f in fields(Settings)}
    for key, value in raw.items():
        if key not in known:
            raise UserError(f"Okänd inställning ”{key}” i {path}. Tillåtna: {', '.join(sorted(known))}.")
        if key == "graphics" and value not in ("auto", "sixel", "kitty", "text"):
            raise UserError(f"Inställningen graphics i {path} måste vara auto, sixel, kitty eller "
                            f"text, inte ”{value}”.")
        if key.endswith("_dir") or key == "earkiv_folder":
            value = Path(os.path.expanduser(str(value)))
        setattr(settings, key, value)
    return settings
