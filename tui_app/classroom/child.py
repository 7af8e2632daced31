"""One trainee's demo, as the classroom server starts it for a browser tab.

`python -m tui_app.classroom.child DEMO_FOLDER` runs the demo app on Textual's web driver
(textual-serve sets TEXTUAL_DRIVER) in that folder: a fresh demo database, the classroom's
shared clock added to its own, the file picker confined to the demo's own folders, and the
exercise ticking off the steps. The server gave it HOME, XDG folders and TMPDIR inside the
demo folder, so nothing it writes lands anywhere else.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tui_app.classroom.room import DemoFolder, Trainee

#: The variables the server sets for a demo's process.
ENV_DEMO = "TUI_APP_CLASSROOM_DEMO"
ENV_CLOCK = "TUI_APP_CLASSROOM_CLOCK"


def samples_dir() -> Path:
    """The demo's sample files (data/samples next to the package in a checkout)."""
    return Path(__file__).resolve().parents[2] / "data" / "samples"


def picker_roots(demo: DemoFolder) -> tuple[Path, ...]:
    """The only folders a trainee's file picker offers: the sample files and the demo's home."""
    return tuple(p for p in (samples_dir(), demo.home) if p.is_dir())


def main(argv: list[str] | None = None) -> int:
    """Run one trainee's demo until the browser tab closes."""
    import atexit

    from tui_app.commands.app import make_demo_context
    from tui_app.config import load_settings
    from tui_app.crashlog import crash_line, setup_logging
    from tui_app.services import demodir
    from tui_app.services.democlock import ClassroomClock
    from tui_app.store import fsmode
    from tui_app.ui.app import build_app

    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else os.environ[ENV_DEMO])
    demo = DemoFolder(folder)
    fsmode.apply()
    setup_logging()
    settings = load_settings(None)
    claimed = demodir.claim(demo.data, keep=False)
    atexit.register(claimed.release)
    ctx = make_demo_context(settings=settings, demo_dir=claimed)
    from tui_app.core.clock import SystemClock

    assert isinstance(ctx.clock, SystemClock)  # a demo's clock: the system's, moved by an offset
    ctx.clock = ClassroomClock(
        offset=ctx.clock.offset, shared_file=Path(os.environ.get(ENV_CLOCK, os.devnull))
    )
    from tui_app.classroom.exercise import take_baseline

    ctx.classroom = Trainee(
        demo=demo,
        clock_file=Path(os.environ.get(ENV_CLOCK, os.devnull)),
        baseline=take_baseline(ctx),
        picker_roots=picker_roots(demo),
    )
    ctx.notice = (
        "Undervisning: det här är din egen demo. Den och allt du gör i den tas bort när du "
        "stänger fliken. F6 visar övningen."
    )
    app = build_app(ctx)
    app.run()
    if app.crash is not None:
        print(crash_line(app.crash), file=sys.stderr)
        return 70
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
