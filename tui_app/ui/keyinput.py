"""Reading the keyboard: a lone Esc reaches the app after the escape delay, not after 100 ms more.

A terminal sends Esc as the one byte ESC, which is also how every escape sequence (an arrow
key, F-keys) begins. Textual's parser therefore waits `ESCDELAY` for more bytes before it
reports Esc. Its input thread, however, only looks at that deadline when `select` returns,
and `select` waits 100 ms when no byte comes: a lone Esc (back from a case, close a dialog)
came ~100 ms after the key in every terminal without the kitty keyboard protocol, which is
every tmux. Here the thread wakes at the parser's deadline instead.

The delay itself: Textual's default is 100 ms. A terminal writes a whole sequence at once and
SSH carries it in one packet, so the bytes of one key arrive together; tmux 3.5 and later
wait 10 ms, Neovim 50. `tui-app` uses 25 ms unless $ESCDELAY is set (for a link that does
split them): `termcaps.prefer_prompt_keys_and_paint`, called before Textual is imported.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

from textual import constants
from textual.events import Key
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

IDLE_WAIT_S = 0.1  # how long the thread sleeps in select when no Esc is pending (as Textual)
_ESC = "\x1b"
_PASTE_START, _PASTE_END = "\x1b[200~", "\x1b[201~"
# What may follow ESC inside one key's sequence: CSI, SS3, another ESC (alt+arrow) and the
# bytes of a terminal's own replies (DCS, OSC, ST, APC; never typed).
_SEQUENCE_NEXT = frozenset("[O\x1bP]\\_")


def lone_escapes(data: str, state: tuple[bool, str]) -> tuple[list[str | None], tuple[bool, str]]:
    """`data` cut where an Esc key is followed, in the same read, by a typed character and
    more (Esc then g9…, sent together by tmux or carried in one SSH packet): the pieces to
    feed the parser, with None where a lone Esc is. Textual's parser waits for ESC + 'g' to
    become a sequence; more bytes behind it make it give up and reissue them as '^', 'g',
    '9'… (the '^' was typed into the search field and the Esc lost: `Escape g931573` put
    "g931573" in the search instead of going to case 931573).

    Not cut: ESC and one character alone in its read (that is how a terminal sends Alt and
    a key, alt+q, which the parser reports as such), the pairs the parser knows (Option+→
    as ESC f is ctrl+right, Option+3 is '£'), escape sequences, and a bracketed paste.
    `state` carries, from one read to the next, whether a paste is open and the end of the
    last read when it may be the start of a paste marker cut in two."""
    in_paste, carry = state
    text, off = carry + data, len(carry)
    pieces: list[str | None] = []
    start, i = off, 0
    while True:
        i = text.find(_ESC, i)
        if i < 0:
            break
        if text.startswith(_PASTE_START, i):
            in_paste, i = True, i + len(_PASTE_START)
            continue
        if text.startswith(_PASTE_END, i):
            in_paste, i = False, i + len(_PASTE_END)
            continue
        more = len(text) > i + 2  # more behind the pair in the same read: not an Alt key
        if (
            more
            and i >= off
            and not in_paste
            and text[i + 1].isprintable()
            and text[i + 1] not in _SEQUENCE_NEXT
            and text[i : i + 2] not in ANSI_SEQUENCES_KEYS
        ):
            first = i  # Esc Esc g…: each of them an Esc
            while first > start and text[first - 1] == _ESC:
                first -= 1
            if first > start:
                pieces.append(text[start:first])
            pieces.extend([None] * (i + 1 - first))
            start = i + 1
        i += 1
    if start < len(text):
        pieces.append(text[start:])
    tail = text[-(len(_PASTE_START) - 1) :]  # too short to hold a whole marker
    cut = tail[tail.rfind(_ESC) :] if _ESC in tail else ""
    if not (_PASTE_START.startswith(cut) or _PASTE_END.startswith(cut)):
        cut = ""
    return pieces, (in_paste, cut)


def esc_deadline_after(data: str, pending: float | None, now: float) -> float | None:
    """When the parser may next report a lone Esc (or give up on a sequence), after `data`
    was fed to it: it restarts its wait on every byte of a sequence it has begun, so any
    data while an Esc is pending moves the deadline on, not only data with an ESC in it."""
    if _ESC in data or pending is not None:
        return now + constants.ESCAPE_DELAY
    return None


def next_wait(now: float, esc_deadline: float | None) -> float:
    """How long select may sleep: until just past the parser's Esc deadline, else idle."""
    if esc_deadline is None:
        return IDLE_WAIT_S
    return min(IDLE_WAIT_S, max(0.0, esc_deadline - now) + 0.001)


class PromptEscDriver(LinuxDriver):
    """Textual's Linux driver, whose input thread wakes when a pending Esc is due."""

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events (Textual 8.2's loop, with `next_wait`)."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        feed, tick = parser.feed, parser.tick
        decode = getincrementaldecoder("utf-8")().decode
        esc_deadline: float | None = None
        escapes: tuple[bool, str] = (False, "")

        def process(events: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            nonlocal esc_deadline, escapes
            for index, (_key, mask) in enumerate(events):
                if mask & selectors.EVENT_READ:
                    last = index == len(events) - 1
                    data = decode(os.read(fileno, 1024 * 4), final=final and last)
                    if not data:
                        break  # stdin is piped and ended
                    pieces, escapes = lone_escapes(data, escapes)
                    for piece in pieces:
                        if piece is None:
                            self.process_message(Key("escape", _ESC))
                            continue
                        for event in feed(piece):
                            self.process_message(event)
                    esc_deadline = esc_deadline_after(data, esc_deadline, get_time())
            for event in tick():
                self.process_message(event)
            if esc_deadline is not None and get_time() >= esc_deadline:
                esc_deadline = None  # the parser's own deadline (set earlier) has passed too

        try:
            while not self.exit_event.is_set():
                process(selector.select(next_wait(get_time(), esc_deadline)))
            selector.unregister(self.fileno)
            process(selector.select(IDLE_WAIT_S), final=True)
        finally:
            selector.close()
            try:
                for _event in feed(""):
                    pass
            except (EOFError, ParseError):
                pass
