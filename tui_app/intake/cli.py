"""`tui-app check [--json] FILE...`: check files as the patient would send them.

Output: one line per file, in order. Human: ``OK  name  image/png 1.2 MB 800×600`` or
``NEJ name  <reason>``. With --json: one JSON object per line with the keys file, name,
accepted, type (MIME when accepted, else the detected MIME or null), reason (Swedish when
refused, else null), size, width, height, pages, frames, sha256.
Exit status: 0 when every file is accepted, 1 when any is refused (a path that does not exist is
a refusal, "Filen finns inte."), 2 on a usage error (no files, unknown option). More than five
files are all checked (the R08 limit belongs to a reply, not to this tool).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from tui_app.core.safetext import safe_display_name

USAGE = "användning: tui-app check [--json] FIL..."


def run_check_cli(argv: list[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run the check command; return the exit status."""
    as_json = False
    files: list[str] = []
    only_files = False
    for arg in argv:
        if only_files or arg == "-" or not arg.startswith("-"):
            files.append(arg)
        elif arg == "--":
            only_files = True
        elif arg == "--json":
            as_json = True
        elif arg in ("-h", "--help"):
            print(USAGE, file=out)
            return 0
        else:
            print(f"tui-app check: okänt val {safe_display_name(arg)!s}\n{USAGE}", file=err)
            return 2
    if not files:
        print(f"tui-app check: ange minst en fil\n{USAGE}", file=err)
        return 2
    from tui_app.intake import check_paths

    verdicts = check_paths([Path(f) for f in files])
    for name, v in zip(files, verdicts):
        shown = safe_display_name(name)
        if as_json:
            print(json.dumps({"file": _json_safe(name), "name": shown, "accepted": v.accepted,
                              "type": v.mime, "reason": v.reason, "size": v.size,
                              "width": v.width, "height": v.height, "pages": v.pages,
                              "frames": v.frames, "sha256": v.sha256}, ensure_ascii=False), file=out)
        elif v.accepted:
            print(f"OK  {shown}  {_summary(v.mime, v.size, v.width, v.height, v.pages, v.frames)}",
                  file=out)
        else:
            print(f"NEJ {shown}  {v.reason}", file=out)
    return 0 if all(v.accepted for v in verdicts) else 1


def _json_safe(name: str) -> str:
    """The path as given, with bytes that are not UTF-8 written as \\udcXX escapes."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _summary(mime: str | None, size: int, width: int | None, height: int | None,
             pages: int | None, frames: int | None) -> str:
    """The facts of an accepted file on one line."""
    parts = [mime or "", f"{size / 1024:.1f} kB" if size < 1024 * 1024
             else f"{size / (1024 * 1024):.1f} MB"]
    if width and height:
        parts.append(f"{width}×{height}")
    if frames and frames > 1:
        parts.append(f"{frames} bildrutor")
    if pages:
        parts.append(f"{pages} sid{'a' if pages == 1 else 'or'}")
    return " ".join(parts)
