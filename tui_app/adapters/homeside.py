"""The staff member's side of Hämtade filer when the app runs as a service account (R18, R21).

Deployed for staff over SSH, the app runs as the service account (sudo -u tui_app), which owns
the patient data and nobody else can read it. A downloaded copy must still land in the
person's *own* Downloads, owned by them, mode 0600 — a folder the service account can neither
enter nor give away a file in (chown needs root). So the app hands each copy to this helper,
started as the person through the one sudo rule deploy/sudoers.d allows the service account
(`sudo -n -u <person> -- tui-app-home ...`). The helper writes with the same all-or-nothing
steps as the app (downloads.save_copy: hidden temp, fsync, hard link) and answers one JSON line.

Verbs (argv): `where` (the person's Downloads), `save DIR NAME SHA256` (bytes on stdin; DIR
must be that Downloads), `remove PATH SHA256` (a copy in it, only while it holds those bytes),
`scan` (checksums as JSON on stdin: leftovers in that Downloads and the person's trash),
`digest PATH` and `read PATH LIMIT` (a copy in it, for Picsara and E-arkiv: raw bytes out).
Everything is decided from the person's passwd entry, never from the environment.
"""

from __future__ import annotations

import json
import os
import pwd
import sys
from pathlib import Path

from tui_app.adapters.errors import AdapterError


def own_downloads() -> Path:
    """This user's Downloads (XDG download folder under their passwd home)."""
    from tui_app.adapters.downloads import default_download_dir

    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    return default_download_dir(home, env={})


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.abspath(path)).parent == Path(os.path.abspath(folder))


def run(argv: list[str]) -> dict[str, object]:
    """One verb; the answer as a dict (AdapterError for a refusal with a Swedish message)."""
    from tui_app.adapters import downloads

    mine = own_downloads()
    verb, args = (argv[0], argv[1:]) if argv else ("", [])
    if verb == "where" and not args:
        return {"dir": str(mine)}
    if verb == "save" and len(args) == 3:
        folder, name, sha256 = Path(args[0]), args[1], args[2]
        if os.path.abspath(folder) != os.path.abspath(mine) or "/" in name:
            raise AdapterError(f"Kopior sparas bara i dina egna Hämtade filer ({mine}).")
        saved = downloads.save_local(
            Path(name),
            folder,
            stem_hint="fil",
            suffix=name.rsplit(".", 1)[-1],
            expected_sha256=sha256 if sha256 != "-" else None,
            name=name,
            stream=sys.stdin.buffer,
        )
        return {"path": str(saved.path), "sha256": saved.sha256, "size": saved.size}
    if verb == "remove" and len(args) == 2:
        path = Path(args[0])
        if not _inside(path, mine):
            raise AdapterError(f"Bara kopior i dina egna Hämtade filer ({mine}) raderas här.")
        r = downloads.remove_local(path, args[1])
        return {"path": str(r.path), "status": str(r.status), "message_sv": r.message_sv}
    if verb == "scan" and not args:
        from tui_app.adapters.leftovers import report_json, scan_report

        ask = json.loads(sys.stdin.buffer.read(16 * 1024 * 1024))
        sizes = None if ask.get("sizes") is None else {int(n) for n in ask["sizes"]}
        report = scan_report([mine] if mine.is_dir() else [], set(ask["sha256s"]), sizes=sizes)
        return report_json(report)
    if verb == "digest" and len(args) == 1:
        from tui_app.adapters._fs import local_digest

        path = Path(args[0])
        if not _inside(path, mine):
            raise AdapterError(f"Bara kopior i dina egna Hämtade filer ({mine}) läses här.")
        try:
            d = local_digest(path)
        except (FileNotFoundError, NotADirectoryError):
            return {"missing": True}
        if d is None:
            return {"sha256": None}
        return {"sha256": d.sha256, "size": d.size, "dev": d.dev, "ino": d.ino}
    raise AdapterError("tui-app-home: okänt kommando (where, save, remove, scan, digest, read).")


def _read(path: Path, limit: int) -> int:
    """`read PATH LIMIT`: the copy's bytes (at most LIMIT) raw on stdout, status 0; else one
    JSON line ({"missing": true} or {"error": ...}) and status 1."""
    mine = own_downloads()
    if not _inside(path, mine):
        print(json.dumps({"error": f"Bara kopior i dina egna Hämtade filer ({mine}) läses här."}))
        return 1
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        print(json.dumps({"missing": True}))
        return 1
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit)
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0


def main() -> int:
    """Entry point `tui-app-home`: one verb, one JSON line on stdout, status 0 or 1."""
    os.umask(0o077)
    argv = sys.argv[1:]
    try:
        if len(argv) == 3 and argv[0] == "read" and argv[2].isdigit():
            return _read(Path(argv[1]), int(argv[2]))
        answer = run(argv)
    except AdapterError as exc:
        print(json.dumps({"error": exc.message}, ensure_ascii=False))
        return 1
    except OSError as exc:
        print(json.dumps({"error": f"Hämtade filer: {exc.strerror or exc}"}, ensure_ascii=False))
        return 1
    print(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
