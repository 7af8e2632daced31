"""Previews as terminal graphics (issue 3): the Sixel and kitty encoders, the terminal probe, the
preview window choosing them, and the fallback to characters when the terminal cannot draw."""

from __future__ import annotations

import base64
import io
import os
import pty
import re
import termios
import threading
import time

import pytest
from PIL import Image

from tests.conftest import staff
from tests.handling_fixtures import case_with_files
from tests.test_ui_flow import settle
from tui_app.core.errors import UserError
from tui_app.services.context import Context
from tui_app.ui import graphics, termcaps
from tui_app.ui.app import build_app


def decode_sixel(seq: str) -> tuple[int, int, dict[tuple[int, int], tuple[int, int, int]]]:
    """An independent reader of the Sixel subset we write: (width, height, {(x, y): rgb%})."""
    assert seq.startswith("\x1bP") and seq.endswith("\x1b\\")
    body = seq[seq.index("q") + 1 : -2]
    raster = re.match(r'"1;1;(\d+);(\d+)', body)
    assert raster, "raster attributes give the size"
    w, h = int(raster.group(1)), int(raster.group(2))
    body = body[raster.end() :]
    palette: dict[int, tuple[int, int, int]] = {}
    pixels: dict[tuple[int, int], tuple[int, int, int]] = {}
    colour, x, band, i = 0, 0, 0, 0
    while i < len(body):
        c = body[i]
        if c == "#":
            m = re.match(r"#(\d+)(?:;2;(\d+);(\d+);(\d+))?", body[i:])
            assert m
            colour = int(m.group(1))
            if m.group(2) is not None:
                palette[colour] = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
            i += m.end()
            continue
        if c == "$":
            x = 0
        elif c == "-":
            x, band = 0, band + 1
        elif c == "!":
            m = re.match(r"!(\d+)(.)", body[i:])
            assert m
            for _ in range(int(m.group(1))):
                _put(pixels, palette[colour], x, band, ord(m.group(2)) - 63)
                x += 1
            i += m.end()
            continue
        else:
            assert 63 <= ord(c) <= 126, f"not a sixel character: {c!r}"
            _put(pixels, palette[colour], x, band, ord(c) - 63)
            x += 1
        i += 1
    return w, h, pixels


def _put(pixels, rgb, x, band, bits) -> None:  # type: ignore[no-untyped-def]
    for dy in range(6):
        if bits & (1 << dy):
            assert (x, band * 6 + dy) not in pixels, "a pixel is drawn twice"
            pixels[(x, band * 6 + dy)] = rgb


def test_sixel_draws_every_pixel_once_in_its_colour() -> None:
    im = Image.new("RGB", (23, 13), (255, 255, 255))  # not a multiple of 6 rows: a short last band
    for x in range(23):
        for y in range(13):
            if (x // 4 + y // 3) % 2:
                im.putpixel((x, y), (200, 0, 0))
    im.putpixel((22, 12), (0, 0, 255))
    w, h, pixels = decode_sixel(graphics.sixel(im))
    assert (w, h) == (23, 13)
    assert len(pixels) == 23 * 13, "every pixel set, none outside the image"
    for (x, y), rgb in pixels.items():
        want = [v * 100 / 255 for v in im.getpixel((x, y))]
        assert all(abs(got - w) < 1 for got, w in zip(rgb, want)), (x, y, rgb, want)


def test_sixel_of_a_photo_is_compact_and_bounded_in_colours() -> None:
    im = Image.effect_mandelbrot((400, 300), (-2, -1.2, 1, 1.2), 60).convert("RGB")
    seq = graphics.sixel(im)
    w, h, pixels = decode_sixel(seq)
    assert (w, h) == (400, 300) and len(pixels) == 400 * 300
    assert len(set(pixels.values())) <= graphics.SIXEL_COLOURS
    assert len(seq) < 400 * 300, "run-length encoding keeps it under a byte a pixel"


def test_transparent_parts_are_drawn_over_black_not_left_open() -> None:
    im = Image.new("RGBA", (6, 6), (0, 0, 0, 0))
    _, _, pixels = decode_sixel(graphics.sixel(im))
    assert set(pixels.values()) == {(0, 0, 0)} and len(pixels) == 36


def test_sixel_does_not_move_below_its_last_band() -> None:
    seq = graphics.sixel(Image.new("RGB", (4, 12), (9, 9, 9)))  # exactly two bands
    assert seq.count("-") == 1 and not seq.endswith("-\x1b\\")


def test_kitty_sends_png_in_chunks_without_asking_for_a_reply() -> None:
    im = Image.effect_noise((300, 200), 80).convert("RGB")  # noise: several 4096-byte chunks
    seq = graphics.kitty_transmit(im, 4242)
    codes = re.findall(r"\x1b_G([^;]*);([^\x1b]*)\x1b\\", seq)
    assert len(codes) > 2 and seq == "".join(f"\x1b_G{k};{p}\x1b\\" for k, p in codes)
    first = dict(kv.split("=") for kv in codes[0][0].split(","))
    assert first == {"a": "t", "f": "100", "i": "4242", "q": "2", "m": "1"}, "sent, not shown"
    assert [k for k, _ in codes[1:-1]] == ["q=2,m=1"] * (len(codes) - 2)
    assert codes[-1][0] == "q=2,m=0"
    assert all(len(p) <= graphics.KITTY_CHUNK for _, p in codes)
    png = Image.open(io.BytesIO(base64.b64decode("".join(p for _, p in codes))))
    assert png.format == "PNG" and png.size == (300, 200)
    place = dict(kv.split("=") for kv in graphics.kitty_place(4242)[3:-2].split(","))
    assert place == {"a": "p", "i": "4242", "p": "1", "C": "1", "q": "2"}, "own size: no c=/r="
    assert graphics.kitty_delete(4242) == "\x1b_Ga=d,d=I,i=4242,q=2\x1b\\"


@pytest.mark.parametrize(
    "reply, want",
    [
        (b"\x1b[?63;1;2;4;6;9;15;22c", (True, False, None, True)),  # xterm -ti vt340
        (b"\x1b_Gi=4711;OK\x1b\\\x1b[6;20;10t\x1b[?62;c", (False, True, (10, 20), True)),  # kitty
        (b"\x1b[?1;2c", (False, False, None, True)),  # tmux 3.3: no sixel
        (b"\x1b_Gi=4711;ENOTSUPPORTED\x1b\\", (False, False, None, False)),  # still waiting for DA1
    ],
)
def test_the_terminal_reply_is_read_for_sixel_kitty_and_cell_size(reply: bytes, want) -> None:  # type: ignore[no-untyped-def]
    assert termcaps.parse(reply) == want


def test_kitty_is_preferred_and_a_setting_overrides_the_terminal() -> None:
    assert termcaps.choose("auto", True, True) == "kitty"
    assert termcaps.choose("auto", True, False) == "sixel"
    assert termcaps.choose("auto", False, False) == "text"
    assert termcaps.choose("text", True, True) == "text"
    assert termcaps.choose("sixel", False, False) == "sixel"


class FakeTerminal:
    """The far end of a pty: answers the probe like a terminal would, after a delay."""

    def __init__(self, answer: bytes | None, delay: float = 0.05) -> None:
        self.master, self.slave = pty.openpty()
        self.heard = b""
        self.answer, self.delay = answer, delay
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while b"\x1b[c" not in self.heard:
            try:
                self.heard += os.read(self.master, 1024)
            except OSError:  # closed: the probe never asked
                return
        time.sleep(self.delay)
        if self.answer is not None:
            os.write(self.master, self.answer)

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


def test_probe_asks_a_sixel_terminal_and_restores_the_keyboard_mode(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TUI_APP_GRAPHICS", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    term = FakeTerminal(b"\x1b[6;18;9t\x1b[?63;1;2;4;6c", delay=0.2)
    try:
        before = termios.tcgetattr(term.slave)
        probe = termcaps.Probe("auto", term.slave, term.slave).start()
        assert not termios.tcgetattr(term.slave)[3] & termios.ECHO, "the reply is not echoed"
        t0 = time.monotonic()
        found = probe.finish(timeout=120)
        # Stopping at the reply takes a fraction of a second; waiting out the timeout, two
        # minutes: half of that tells them apart on any load.
        assert time.monotonic() - t0 < 60, (
            "reading stops at the device attributes, not at the timeout"
        )
        assert found.protocol == "sixel" and found.cell == (9, 18)
        assert termios.tcgetattr(term.slave) == before
        assert term.heard.endswith(b"\x1b[c"), "device attributes are asked last"
    finally:
        term.close()


def test_probe_inside_tmux_does_not_send_the_kitty_query(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TUI_APP_GRAPHICS", raising=False)
    monkeypatch.setenv("TERM", "tmux-256color")
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    term = FakeTerminal(b"\x1b[?1;2c")  # what tmux 3.3 answers
    try:
        found = termcaps.Probe("auto", term.slave, term.slave).start().finish(timeout=5)
        assert found.protocol == "text"
        assert b"\x1b_G" not in term.heard, "tmux would take it for the window title"
    finally:
        term.close()


def test_without_a_cell_size_a_sixel_terminal_gets_characters(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TUI_APP_GRAPHICS", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    term = FakeTerminal(b"\x1b[?63;4c")  # sixel, but no answer to CSI 16 t, no pixels in ioctl
    try:
        assert termcaps.Probe("auto", term.slave, term.slave).start().finish(5).protocol == "text"
    finally:
        term.close()


def test_an_app_that_never_starts_leaves_no_reply_for_the_shell(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import select
    import sys

    from tui_app import cli

    monkeypatch.delenv("TUI_APP_GRAPHICS", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("USER", "okand-login")
    monkeypatch.setenv("LOGNAME", "okand-login")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    term = FakeTerminal(b"\x1b[6;18;9t\x1b[?63;4c", delay=0.3)  # the reply comes late
    tty_in, tty_out = os.fdopen(os.dup(term.slave), "r"), os.fdopen(os.dup(term.slave), "w")
    try:
        before = termios.tcgetattr(term.slave)
        monkeypatch.setattr(sys, "stdin", tty_in)
        monkeypatch.setattr(sys, "stdout", tty_out)
        assert cli.main(["--config", str(cfg), "run"]) == 1  # an unknown login is refused
        monkeypatch.undo()
        time.sleep(0.1)
        assert termios.tcgetattr(term.slave) == before, "echo and line mode are back"
        pending, _, _ = select.select([term.slave], [], [], 0)
        assert not pending, "the terminal's reply was not left for the shell to read"
    finally:
        tty_in.close()
        tty_out.close()
        term.close()


def test_probe_gives_up_on_a_silent_terminal_and_draws_characters(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TUI_APP_GRAPHICS", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    term = FakeTerminal(None)
    try:
        before = termios.tcgetattr(term.slave)
        found = termcaps.Probe("auto", term.slave, term.slave).start().finish(timeout=0.3)
        assert found.protocol == "text"
        assert termios.tcgetattr(term.slave) == before
    finally:
        term.close()


def test_a_setting_or_the_environment_skips_the_question(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    term = FakeTerminal(b"\x1b[?63;4c")
    try:
        monkeypatch.setenv("TUI_APP_GRAPHICS", "text")
        assert termcaps.Probe("auto", term.slave, term.slave).start().finish().protocol == "text"
        monkeypatch.delenv("TUI_APP_GRAPHICS")
        assert termcaps.Probe("kitty", term.slave, term.slave).start().finish().protocol == "kitty"
        time.sleep(0.2)  # give the terminal's reader the chance to hear anything sent
        assert term.heard == b"", "nothing was sent to the terminal"
    finally:
        term.close()


def test_a_wrong_graphics_setting_is_refused_in_swedish(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tui_app.config import load_settings

    cfg = tmp_path / "config.toml"
    cfg.write_text('graphics = "iterm"\n', encoding="utf-8")
    with pytest.raises(UserError, match="auto, sixel, kitty eller text"):
        load_settings(cfg)


@pytest.fixture
def terminal_graphics():  # type: ignore[no-untyped-def]
    """Pretend the terminal answered; put back the character mode after the test."""
    yield termcaps.use
    termcaps.use(termcaps.Graphics())


def app_with_files(ctx: Context):  # type: ignore[no-untyped-def]
    """The app for a nurse whose inbox starts with a case holding an image and a PDF."""
    case_with_files(ctx)
    return build_app(ctx, staff(ctx, "danan12"))


async def show_preview(pilot) -> None:  # type: ignore[no-untyped-def]
    """Open the first case, preview its first file, and wait until the picture may be drawn."""
    from tui_app.ui.preview import SETTLE

    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("p")
    await settle(pilot)
    await pilot.pause(SETTLE + 0.5)


async def test_preview_draws_sixel_over_its_cells_when_the_terminal_can(
    ctx: Context, terminal_graphics
) -> None:
    from tui_app.ui.preview import TerminalPicture

    terminal_graphics(termcaps.Graphics("sixel", (10, 20), "terminalen"))
    app = app_with_files(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_preview(pilot)
        pic = app.screen.query_one(TerminalPicture)
        assert pic.pic.protocol == "sixel" and 1 <= pic.pic.cols <= 80 and 1 <= pic.pic.rows <= 21
        w, h, _ = decode_sixel(pic.pic.data)
        assert w <= pic.pic.cols * 10 and h <= pic.pic.rows * 20, "the picture stays in its cells"
        region = pic.content_region
        lines = pic.render_lines(pic.content_region.reset_offset)
        assert len(lines) == region.height and all(s.cell_length == region.width for s in lines)
        drawn = "".join(seg.text for seg in lines[-1])
        assert drawn.count("\x1bP") == 1 and f"\x1b[{region.y + 1};{region.x + 1}H\x1bP" in drawn
        assert drawn.endswith(f"\x1b[{region.bottom};{region.right + 1}H"), "cursor put back"
        assert all("\x1b" not in seg.text for line in lines[:-1] for seg in line)


async def test_a_picture_is_fitted_above_the_last_row_and_never_drawn_there(
    ctx: Context, terminal_graphics
) -> None:
    from tui_app.ui.preview import TerminalPicture

    terminal_graphics(termcaps.Graphics("sixel", (10, 20), "terminalen"))
    app = app_with_files(ctx)
    async with app.run_test(size=(80, 20)) as pilot:  # a Sixel on the last row scrolls xterm
        await show_preview(pilot)
        pic = app.screen.query_one(TerminalPicture)
        assert pic.content_region.bottom < 20  # the full-screen preview fits it above the footer
        lines = pic.render_lines(pic.content_region.reset_offset)
        assert "\x1bP" in "".join(seg.text for line in lines for seg in line)
        pic.styles.offset = (0, 20 - pic.content_region.bottom)  # were it pushed onto the last row
        await pilot.pause()
        lines = pic.render_lines(pic.content_region.reset_offset)
        assert "\x1bP" not in "".join(seg.text for line in lines for seg in line)


async def test_kitty_preview_is_sent_once_placed_and_deleted_when_closed(
    ctx: Context, terminal_graphics
) -> None:
    from tui_app.ui.preview import TerminalPicture

    terminal_graphics(termcaps.Graphics("kitty", (10, 20), "terminalen"))
    app = app_with_files(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        written: list[str] = []
        app._driver.write = written.append  # type: ignore[union-attr, method-assign]
        await show_preview(pilot)
        pic = app.screen.query_one(TerminalPicture)
        image_id = pic.pic.image_id
        out = "".join(written)
        assert out.count(f"a=t,f=100,i={image_id},") == 1, "the image data goes once"
        lines = pic.render_lines(pic.content_region.reset_offset)
        assert graphics.kitty_place(image_id) in "".join(seg.text for seg in lines[-1])
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "CaseScreen"
        assert graphics.kitty_delete(image_id) in "".join(written)


async def test_without_terminal_graphics_the_preview_is_characters(ctx: Context) -> None:
    from tui_app.ui.preview import TerminalPicture

    assert termcaps.current().protocol == "text"
    app = app_with_files(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_preview(pilot)
        assert not app.screen.query(TerminalPicture)
        assert "▀" in str(app.screen.query_one("#image Static").render())


def test_sixel_terminal_end_to_end_gets_the_picture_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """tui-app demo in a pseudo-terminal that answers like xterm -ti vt340: sign in, open the
    case with files, press p; the picture goes over the wire once, and q leaves cleanly."""
    import fcntl
    import select
    import struct
    import sys

    pid, fd = pty.fork()
    if pid == 0:  # the child: the real command line, as staff would start it
        os.environ["TERM"] = "xterm-256color"
        os.environ.pop("TUI_APP_GRAPHICS", None)
        os.environ.pop("NO_COLOR", None)
        os.execv(
            sys.executable,
            [
                sys.executable,
                "-c",
                "import sys; from tui_app.cli import main; sys.exit(main())",
                "demo",
                "--data-dir",
                str(tmp_path / "demo"),
            ],
        )
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 800, 480))  # 10 × 20 px cells
    out = b""
    answered = False

    def pump(until: bytes | None, seconds: float) -> None:
        nonlocal out, answered
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (until and until in out):
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    return
            if not answered and b"\x1b[c" in out:
                answered = True
                os.write(fd, b"\x1b[?63;1;2;4;6c")  # VT340 with Sixel

    try:
        pump("välj vem du är".encode(), 60)
        assert answered, "the terminal was asked"
        for key, until in [(b"\r", b"Nytt"), (b"\x1b[B", None), (b"\r", b"handled.jpg")]:
            pump(None, 1.0)  # let the screen settle: keys before it is ready may go elsewhere
            os.write(fd, key)
            pump(until, 15 if until else 0.5)
            assert until is None or until in out, f"no {until!r} on the screen"
        start = len(out)
        os.write(fd, b"p")
        pump(b"\x1bP", 15)
        pump(None, 1.5)
        # Once here; a slow machine may let one background refresh through after SETTLE (without
        # it, opening the window sent the picture six times).
        assert 1 <= out[start:].count(b"\x1bP") <= 2
        for key in (b"\x1b", b"\x1b"):  # close the preview, back to the inbox, quit
            os.write(fd, key)
            pump(None, 1.0)
        os.write(fd, b"q")
        done, status = 0, 0
        end = time.monotonic() + 30  # a loaded machine takes a while to tear Python down
        while not done and time.monotonic() < end:
            pump(None, 0.2)
            done, status = os.waitpid(pid, os.WNOHANG)
        assert done == pid and os.waitstatus_to_exitcode(status) == 0
    finally:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)
