"""The doctor's checks of system libraries and programs: libmagic, fonts, Tesseract."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tui_app.ops.doctor.report import Check, _show


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
