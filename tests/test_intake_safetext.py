"""The patient's file name is display-only: controls, escapes, bidi and markup made harmless and visible."""

from __future__ import annotations

import pytest
from rich.text import Text

from tui_app.core.safetext import (
    ELLIPSIS,
    NO_NAME,
    safe_display_name,
    safe_markup_name,
    visible_text,
)


@pytest.mark.parametrize(
    "raw,shown",
    [
        ("photo.jpg", "photo.jpg"),
        ("\x1b[31mred\x1b[0m.png", "\\x1b[31mred\\x1b[0m.png"),
        ("\x1b]0;pwned\x07.png", "\\x1b]0;pwned\\x07.png"),
        ("photo\u202egpj.exe", "photo<U+202E>gpj.exe"),
        ("a\u2066b\u2069\u200e\u200f.pdf", "a<U+2066>b<U+2069><U+200E><U+200F>.pdf"),
        ("zero\u200bwidth\ufeff.png", "zero<U+200B>width<U+FEFF>.png"),
        ("line\nbreak\r.png", "line\\x0abreak\\x0d.png"),
        ("c1\x9bcontrol.png", "c1\\x9bcontrol.png"),
        ("tab\there.png", "tab\\x09here.png"),
        ("sep\u2028x.png", "sep<U+2028>x.png"),
        ("bytes\udcff.png", "bytes\\xff.png"),  # os.fsdecode of an undecodable byte
        ("[bold]varning[red].png", "[bold]varning[red].png"),
        ("[bold]x[/bold].png", "bold].png"),  # "/" cannot be in a file name: it is a path
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\anna\\Bilder\\bild.jpg", "bild.jpg"),
        ("/tmp/", "tmp"),
        ("", NO_NAME),
        ("..", NO_NAME),
        ("   ", NO_NAME),
        ("Åsa Öberg – utslag.jpg", "Åsa Öberg – utslag.jpg"),
        ("A\u030asa.jpg", "Åsa.jpg"),  # macOS decomposed form shown composed
    ],
)
def test_r09_safe_display_name(raw: str, shown: str) -> None:
    assert safe_display_name(raw) == shown


def test_r09_safe_display_name_never_contains_controls_or_invisibles() -> None:
    import unicodedata

    nasty = "".join(chr(c) for c in range(0x250)) + "\u202a\u202b\u202c\u202d\u202e\u2066"
    out = safe_display_name(nasty, max_len=10_000)
    assert all(unicodedata.category(ch)[0] != "C" for ch in out)


def test_r09_long_names_are_shortened_in_the_middle_keeping_the_extension() -> None:
    name = "a" * 150 + "MIDDLE" + "z" * 144 + ".jpeg"
    out = safe_display_name(name)
    assert len(name) == 305 and len(out) == 60
    assert out.startswith("aaaa") and out.endswith("zzz.jpeg") and ELLIPSIS in out
    assert "MIDDLE" not in out


def test_r09_shortening_never_cuts_an_escape_in_half() -> None:
    name = "\x1b" * 100 + ".png"
    out = safe_display_name(name, max_len=30)
    assert len(out) <= 30 and out.endswith(".png")
    assert out.replace("\\x1b", "").replace(ELLIPSIS, "").replace(".png", "") == ""


def test_r09_markup_in_names_is_never_interpreted() -> None:
    name = "[bold red]varning[blink][link=https:x].png"
    plain = safe_display_name(name)
    assert plain == name and Text(plain).plain == name  # callers put the plain name in a Text
    markup = safe_markup_name(name)
    assert Text.from_markup(markup).plain == name  # or the escaped name in markup
    assert not Text.from_markup(markup).spans


def test_r09_visible_text_keeps_slashes_but_escapes_controls() -> None:
    assert visible_text("a/b\x1b[2J") == "a/b\\x1b[2J"
    assert len(visible_text("x" * 500, max_len=100)) == 100
