"""`tui-app doctor`: is this installation ready for staff? One check per line, in Swedish.

An operator runs it after installing (as the service account, the way the app itself runs) and
again whenever something seems wrong. Each check says what it found and, when it is not as it
should be, what to do. Nothing is changed: the checks only read (a probe file in the Downloads
folder is created and removed at once).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.core.errors import UserError
from tui_app.ops.doctor.database import check_database
from tui_app.ops.doctor.files import check_data_dir, check_downloads
from tui_app.ops.doctor.printer import check_printer
from tui_app.ops.doctor.report import SYMBOL, Check, Status, _show
from tui_app.ops.doctor.system import check_fonts, check_libmagic, check_tesseract

if TYPE_CHECKING:
    from tui_app.config import Settings

__all__ = [
    "SYMBOL",
    "Check",
    "Status",
    "check_data_dir",
    "check_database",
    "check_downloads",
    "check_fonts",
    "check_libmagic",
    "check_printer",
    "check_tesseract",
    "failed",
    "run_checks",
]


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
