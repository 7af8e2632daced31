"""`tui-app check [--json] [--output DIR] FILE...`: check files as the patient would send them.

Output: one line per file, in order. Human: ``OK  name  image/png 1.2 MB 800×600`` or
``NEJ name  <reason>``. With --json: one JSON object per line with the keys file, name,
accepted, type (MIME when accepted, else the detected MIME or null), reason (Swedish when
refused, else null), size, width, height, pages, frames, sha256, output.
With --output DIR, each accepted file's cleaned copy, exactly what would be stored and handed
to staff (a re-encoded image, a flattened PDF), is written to DIR under the file's name (with
the stored format's extension; "-2", "-3" ... added rather than overwrite anything); the human
line ends with ``→ path`` and the JSON ``output`` key holds the path (else null).
Exit status: 0 when every file is accepted, 1 when any is refused (a path that does not exist is
a refusal, "Filen finns inte."), 2 on a usage error (no files, unknown option). More than five
files are all checked (the R08 limit belongs to a reply, not to this tool).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from tui_app.core.safetext import safe_display_name, visible_text
from tui_app.intake.verdict import Verdict

USAGE = "användning: tui-app check [--json] [--output MAPP] FIL..."
_EXT = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "application/pdf": ".pdf"}


def run_check_cli(argv: list[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run the check command; return the exit status."""
    as_json = False
    files: list[str] = []
    output: str | None = None
    only_files = False
    args = iter(argv)
    for arg in args:
        if only_files or arg == "-" or not arg.startswith("-"):
            files.append(arg)
        elif arg == "--":
            only_files = True
        elif arg == "--json":
            as_json = True
        elif arg == "--output" or arg.startswith("--output="):
            output = arg.partition("=")[2] if "=" in arg else next(args, "")
            if not output:
                print(f"tui-app check: ange en mapp efter --output\n{USAGE}", file=err)
                return 2
        elif arg in ("-h", "--help"):
            print(USAGE, file=out)
            return 0
        else:
            print(f"tui-app check: okänt val {safe_display_name(arg)!s}\n{USAGE}", file=err)
            return 2
    if not files:
        print(f"tui-app check: ange minst en fil\n{USAGE}", file=err)
        return 2
    if output is None:
        from tui_app.intake import check_paths

        verdicts = check_paths([Path(f) for f in files])
        written: list[Path | None] = [None] * len(files)
    else:
        try:
            verdicts, written = _write_cleaned(files, Path(output))
        except OSError as exc:
            print(
                f"tui-app check: kan inte skriva i {safe_display_name(output)}: "
                f"{exc.strerror or exc}",
                file=err,
            )
            return 2
    for name, v, dest in zip(files, verdicts, written):
        _print_verdict(name, v, dest, as_json, out)
    return 0 if all(v.accepted for v in verdicts) else 1


def _print_verdict(name: str, v: Verdict, dest: Path | None, as_json: bool, out: TextIO) -> None:
    """One file's line: a JSON object, or the human OK / NEJ line."""
    shown = safe_display_name(name)
    if as_json:
        print(
            json.dumps(
                {
                    "file": _json_safe(name),
                    "name": shown,
                    "accepted": v.accepted,
                    "type": v.mime,
                    "reason": v.reason,
                    "size": v.size,
                    "width": v.width,
                    "height": v.height,
                    "pages": v.pages,
                    "frames": v.frames,
                    "sha256": v.sha256,
                    "output": _json_safe(str(dest)) if dest else None,
                },
                ensure_ascii=False,
            ),
            file=out,
        )
    elif v.accepted:
        line = f"OK  {shown}  {_summary(v.mime, v.size, v.width, v.height, v.pages, v.frames)}"
        if dest is not None:
            line += f"  → {visible_text(_json_safe(str(dest)))}"
        print(line, file=out)
    else:
        print(f"NEJ {shown}  {v.reason}", file=out)


def _write_cleaned(files: list[str], folder: Path) -> tuple[list[Verdict], list[Path | None]]:
    """Prepare the files (as for a reply, five per worker) and move each cleaned copy to folder."""
    import os
    import shutil
    import tempfile

    from tui_app.core.limits import MAX_FILES_PER_MESSAGE
    from tui_app.intake import prepare_many

    folder.mkdir(parents=True, exist_ok=True)
    verdicts: list[Verdict] = []
    written: list[Path | None] = []
    work = Path(tempfile.mkdtemp(prefix=".tui-app-check-", dir=folder))
    try:
        for i in range(0, len(files), MAX_FILES_PER_MESSAGE):
            batch = files[i : i + MAX_FILES_PER_MESSAGE]
            for name, r in zip(batch, prepare_many([Path(f) for f in batch], work)):
                verdicts.append(r.verdict)
                dest = None
                if r.verdict.accepted and r.stored_path is not None:
                    dest = _free_name(folder, Path(name), _EXT.get(r.stored_mime or "", ""))
                    os.link(r.stored_path, dest)  # fails rather than overwrite
                written.append(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return verdicts, written


def _free_name(folder: Path, source: Path, ext: str) -> Path:
    """folder/<source's stem><ext>, or with -2, -3 ... when that exists (never overwritten)."""
    import os

    stem = os.fsencode(source.name).decode("utf-8", "replace")
    stem = stem.rsplit(".", 1)[0] if "." in stem.lstrip(".") else stem
    stem = stem.lstrip(".") or "fil"
    n = 1
    while True:
        candidate = folder / f"{stem}{'' if n == 1 else f'-{n}'}{ext}"
        if not os.path.lexists(candidate):
            return candidate
        n += 1


def _json_safe(name: str) -> str:
    """The path as given, with bytes that are not UTF-8 written as \\udcXX escapes."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _summary(
    mime: str | None,
    size: int,
    width: int | None,
    height: int | None,
    pages: int | None,
    frames: int | None,
) -> str:
    """The facts of an accepted file on one line."""
    parts = [
        mime or "",
        f"{size / 1024:.1f} kB" if size < 1024 * 1024 else f"{size / (1024 * 1024):.1f} MB",
    ]
    if width and height:
        parts.append(f"{width}×{height}")
    if frames and frames > 1:
        parts.append(f"{frames} bildrutor")
    if pages:
        parts.append(f"{pages} sid{'a' if pages == 1 else 'or'}")
    return " ".join(parts)
