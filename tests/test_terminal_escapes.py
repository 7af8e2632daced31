"""Issue 9.9: hostile file names never reach the terminal as control sequences.

The patient's file picker runs on a real pseudo-terminal and every byte it writes is kept,
while files whose names carry terminal controls are shown in the folder view, listed in the
Tab hint and filled into the path box. Each name carries a unique marker right after its
control sequence: the marker must be on screen (so the name was drawn), and never right
after the real control characters (the app's own escape sequences are allowed, the name's
are not). BEL (but for the app's own OSC 22), OSC, C1 controls and U+202E never appear.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.pty_harness import PtyApp, app_env

ESC, BEL = "\x1b", "\x07"
# file name -> (marker, what must never reach the terminal)
HOSTILE = {
    f"a{ESC}[2JCLEARMARK.png": (b"CLEARMARK", b"\x1b[2JCLEARMARK"),
    f"b{ESC}]0;TITLEMARK{BEL}.png": (b"TITLEMARK", b"\x1b]0;TITLEMARK"),
    f"c{ESC}]52;c;UENMSVBNQVJL{BEL}.png": (b"UENMSVBNQVJL", b"\x1b]52;c;UENMSVBNQVJL"),
    f"d{ESC}[?1049lALTSCRMARK.png": (b"ALTSCRMARK", b"\x1b[?1049lALTSCRMARK"),
    "e\u202eRTLOMARK.png": (b"RTLOMARK", "\u202eRTLOMARK".encode()),
    "f\x9bC1MARK.png": (b"C1MARK", "\x9bC1MARK".encode()),
}
RAW_NAME = b"g\x9b\x1b[2JRAWMARK.png"  # not UTF-8: a raw C1 byte, then ESC

SCRIPT = """
import sys
from pathlib import Path
from textual.app import App
from tui_app.ui.filepicker import FilePickerScreen

class PickerOnly(App[None]):
    def on_mount(self) -> None:
        self.push_screen(FilePickerScreen(Path(sys.argv[1])), lambda _: self.exit())

PickerOnly().run()
"""


#: The only OSC the app itself sends: Textual sets the mouse pointer's shape (ended by BEL).
OWN_OSC = re.compile(rb"\x1b\]22;[\w-]*\x07")


def _forbidden(out: bytes) -> list[str]:
    """What of the names' controls reached the terminal."""
    bad = [repr(seq) for _, seq in HOSTILE.values() if seq in out]
    out = OWN_OSC.sub(b"", out)
    bad += [repr(b) for b in (b"\x1b[2JRAWMARK", b"\x07", "\u202e".encode(), b"\x1b]") if b in out]
    c1 = [
        out[i : i + 2] for i in range(len(out) - 1) if out[i] == 0xC2 and 0x80 <= out[i + 1] <= 0x9F
    ]  # U+0080..U+009F in UTF-8
    return bad + [f"C1 {c1[:3]!r}"] * bool(c1)


def _pictures(name: str) -> str:
    """How the path box is expected to draw a name (safetext.visible_chars)."""
    return "".join(
        chr(0x2400 + ord(c))
        if ord(c) < 0x20
        else "\ufffd"
        if 0x80 <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF or c == "\u202e"
        else c
        for c in name
    )


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name in HOSTILE:
        (folder / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    with open(os.fsencode(folder) + b"/" + RAW_NAME, "wb") as f:
        f.write(b"x")
    return folder


def _picker(tmp_path: Path, folder: Path) -> PtyApp:
    """The patient's file picker, opened on `folder`, once it has drawn the folder view."""
    app = PtyApp(["-c", SCRIPT, str(folder)], app_env(tmp_path), module=None)
    for marker, _ in HOSTILE.values():
        app.read_until(marker)
    app.read_until(b"RAWMARK")
    return app


def _close(app: PtyApp) -> bytes:
    app.send(b"\x1b")  # Esc: the picker closes, the app ends
    try:
        assert app.wait() == 0, app.out[-600:]
    finally:
        app.close()
    return app.out


def test_hostile_file_names_in_the_folder_view_and_the_tab_hint(
    tmp_path: Path, hostile: Path
) -> None:
    app = _picker(tmp_path, hostile)
    # Tab with the folder in the path box: the hint lists every name (two spaces between).
    start = len(app.out)
    app.send(b"\t")
    app.read_until(b"CLEARMARK.png  b\\x1b]0;TITLEMARK", start)
    app.read_until(b"C1MARK.png  g\\x9b\\x1b[2JRAWMARK", start)
    # The folder view again, the cursor moving over each name.
    app.send(b"\x1bOS")  # F4: to the folder view
    start = len(app.out)
    app.send(b"\x1b[B" * (len(HOSTILE) + 1))  # Down
    app.read_until(b"RAWMARK", start)
    out = _close(app)
    assert _forbidden(out) == []
    assert b"a\\x1b[2JCLEARMARK" in out and b"e<U+202E>RTLOMARK" in out  # shown, made visible


@pytest.mark.parametrize("name", [*HOSTILE, os.fsdecode(RAW_NAME)])
def test_hostile_file_name_in_the_path_box_after_tab(
    tmp_path: Path, hostile: Path, name: str
) -> None:
    app = _picker(tmp_path, hostile)
    start = len(app.out)
    app.send(name[0].encode() + b"\t")  # Tab fills in the one name that starts so
    shown = _pictures(name)  # ESC as ␛, BEL as ␇, U+202E and C1 as U+FFFD
    assert shown != name
    app.read_until(shown.encode(), start)
    out = _close(app)
    assert _forbidden(out) == []


def _screen_chars(app) -> str:  # type: ignore[no-untyped-def]
    """Every character the screen would write as text (the styles are not text)."""
    update = app.screen._compositor.render_update(full=True)
    return "".join(
        seg.text for line in update.strips for strip in line for seg in strip if not seg.control
    )


async def test_patient_text_and_names_reach_the_screen_made_visible(ctx) -> None:  # type: ignore[no-untyped-def]
    """A patient's message and a name from a load file, shown to staff: controls made visible."""
    from sqlmodel import Session, select

    from tests.conftest import ELIN, patient, send, staff
    from tests.test_ui_flow import settle
    from tui_app.services.conversation import patient_reply
    from tui_app.store.models import Patient
    from tui_app.ui.app import build_app

    with Session(ctx.engine) as s:
        elin = s.exec(select(Patient).where(Patient.pnr == ELIN)).one()
        elin.last_name = f"Lund{ESC}]0;NAMEMARK{BEL}"
        s.add(elin)
        s.commit()
    case_id = send(ctx, pnr=ELIN)
    patient_reply(
        ctx,
        patient(ctx, ELIN),
        case_id,
        f"Hej{ESC}[2JBODYMARK{ESC}]52;c;UENMSVBNQVJL{BEL}\u202eRTLO\nrad två",
    )
    app = build_app(ctx, staff(ctx, "danan12"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        inbox = _screen_chars(app)
        assert "Lund\\x1b" in inbox and ESC not in inbox and BEL not in inbox  # a narrow column
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen"
        shown = _screen_chars(app)
        assert "BODYMARK" in shown and "NAMEMARK" in shown and "rad två" in shown
        for bad in (ESC, BEL, "\u202e", "\x9b"):
            assert bad not in shown, repr(bad)
