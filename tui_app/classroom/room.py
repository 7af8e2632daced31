"""The classroom's folder: one marked root, one folder per trainee's demo, the shared clock.

Layout (every folder 0700):

    ROOT/.tui_app-classroom      marker: only a folder carrying it is ever cleared
    ROOT/classroom.toml          the (empty) settings file every demo reads instead of the user's
    ROOT/clock-offset            seconds the trainer moved every demo's clock ("+1 dag")
    ROOT/demo-XXXX/              one trainee's demo, removed when the browser tab closes
        home/                    HOME and XDG folders: Downloads, Trash, logs, audit key
        data/                    the demo's own folder (services.demodir): database, Picsara, E-arkiv
        tmp/                     TMPDIR
        meta.json                the trainee's label (written by the server)
        progress.json            the exercise's ticks (written by the demo itself)
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tui_app.classroom.exercise import Baseline
from tui_app.core.errors import UserError

MARKER = ".tui_app-classroom"
MAGIC = b"tui_app classroom folder: made by `tui-app classroom`, which may clear it\n"
CLOCK = "clock-offset"
SETTINGS = "classroom.toml"
DEMO_PREFIX = "demo-"
META = "meta.json"
PROGRESS = "progress.json"


@dataclass(frozen=True)
class DemoFolder:
    """One trainee's demo folder and the places inside it."""

    path: Path

    @property
    def id(self) -> str:
        """The demo's id (the folder name without its prefix)."""
        return self.path.name[len(DEMO_PREFIX) :]

    @property
    def home(self) -> Path:
        """HOME of the demo's process: Downloads, Trash and the app's own state live here."""
        return self.path / "home"

    @property
    def data(self) -> Path:
        """The demo's data folder (claimed by services.demodir)."""
        return self.path / "data"

    @property
    def tmp(self) -> Path:
        """TMPDIR of the demo's process."""
        return self.path / "tmp"

    @property
    def progress_file(self) -> Path:
        """Where the demo writes its exercise ticks (JSON)."""
        return self.path / PROGRESS

    @property
    def meta_file(self) -> Path:
        """Where the server writes the trainee's label (JSON)."""
        return self.path / META


@dataclass(frozen=True)
class Trainee:
    """A demo's classroom seat, as its app knows it (ctx.classroom)."""

    demo: DemoFolder
    clock_file: Path
    baseline: Baseline
    picker_roots: tuple[Path, ...]


@dataclass(frozen=True)
class Room:
    """The classroom root folder."""

    root: Path

    @property
    def clock_file(self) -> Path:
        """The shared clock offset every demo adds to its own."""
        return self.root / CLOCK

    @property
    def settings_file(self) -> Path:
        """The empty settings file the demos read (never the user's or /etc's)."""
        return self.root / SETTINGS

    def new_demo(self, label: str) -> DemoFolder:
        """A fresh folder for one trainee's demo, with its home, data and tmp folders."""
        path = Path(tempfile.mkdtemp(prefix=DEMO_PREFIX, dir=self.root))  # mode 0700
        demo = DemoFolder(path)
        for sub in (demo.home, demo.tmp):
            sub.mkdir(mode=0o700)
        _write_json(demo.meta_file, {"label": label})
        return demo

    def demos(self) -> list[DemoFolder]:
        """The demo folders there are now, oldest first."""
        try:
            entries = [p for p in self.root.iterdir() if p.name.startswith(DEMO_PREFIX)]
        except OSError:
            return []
        found = []
        for p in entries:
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                found.append((st.st_mtime, p.name, DemoFolder(p)))
        return [d for _, _, d in sorted(found)]

    def demo(self, demo_id: str) -> DemoFolder | None:
        """The demo with this id, or None (ids are folder names: nothing else is accepted)."""
        if not demo_id or not all(c.isalnum() or c == "_" for c in demo_id):
            return None
        path = self.root / f"{DEMO_PREFIX}{demo_id}"
        try:
            return DemoFolder(path) if stat.S_ISDIR(os.lstat(path).st_mode) else None
        except OSError:
            return None

    def remove_demo(self, demo: DemoFolder) -> None:
        """Remove one trainee's demo folder and everything in it."""
        if demo.path.parent == self.root and demo.path.name.startswith(DEMO_PREFIX):
            shutil.rmtree(demo.path, ignore_errors=True)

    def clear_demos(self) -> int:
        """Remove the demo folders a stopped server left behind; how many."""
        demos = self.demos()
        for d in demos:
            self.remove_demo(d)
        return len(demos)


def open_room(root: Path) -> Room:
    """The classroom folder at root: a new or empty folder is marked, a classroom's is reused
    (its leftover demos removed); anything else, such as a production data folder, is refused
    and left untouched."""
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        root.mkdir(mode=0o700, parents=True)
        st = os.lstat(root)
    if not stat.S_ISDIR(st.st_mode):
        raise UserError(f"{_show(root)} är ingen mapp. Välj en ny eller tom mapp med --data-dir.")
    room = Room(root)
    if not is_room(root):
        try:
            others = sorted(p.name for p in root.iterdir())
        except OSError as exc:
            raise UserError(f"Mappen {_show(root)} kunde inte läsas ({exc.strerror}).") from exc
        if others:
            raise UserError(
                f"Mappen {_show(root)} innehåller annat än en lektion (t.ex. {_show(others[0])}). "
                "Undervisningsläget använder bara demodata i en egen mapp och ändrade inget. "
                "Välj en ny eller tom mapp med --data-dir."
            )
        os.chmod(root, 0o700)
        (root / MARKER).write_bytes(MAGIC)
    room.clear_demos()
    room.settings_file.write_text(
        "# Undervisningsläget: demons inställningar (inga), aldrig produktionens.\n",
        encoding="utf-8",
    )
    return room


def is_room(path: Path) -> bool:
    """True when the folder carries the classroom's marker (a regular file, not a link)."""
    marker = path / MARKER
    try:
        if not stat.S_ISREG(os.lstat(marker).st_mode):
            return False
        return marker.read_bytes()[: len(MAGIC)] == MAGIC
    except OSError:
        return False


def read_json(path: Path) -> dict[str, object]:
    """A small JSON file written by _write_json, or {} when missing or half-written."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def write_json(path: Path, value: dict[str, object]) -> None:
    """Write a small JSON file atomically (readers never see half of it)."""
    _write_json(path, value)


def _write_json(path: Path, value: dict[str, object]) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    temp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, path)


def _show(path: object) -> str:
    from tui_app.core.safetext import visible_text

    return visible_text(str(path), max_len=200)
