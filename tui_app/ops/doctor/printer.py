"""The doctor's E-arkiv printer check (a CUPS queue, or the E-arkiv folder)."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import TYPE_CHECKING

from tui_app.ops.doctor.report import Check, _show

if TYPE_CHECKING:
    from tui_app.config import Settings


def check_printer(settings: Settings) -> Check:
    """The E-arkiv printer queue answers `lpstat` and takes jobs (or the E-arkiv folder is there)."""
    title = "Skrivare för E-arkiv"
    name = (settings.earkiv_printer or "").strip()
    if not name:
        return _check_folder(title, settings)
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


def _check_folder(title: str, settings: Settings) -> Check:
    """No printer queue is set: the E-arkiv folder must be there and writable instead."""
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
