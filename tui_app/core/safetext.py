"""Untrusted text made safe to show: file names and other strings from patients or files.

The patient's file name is display-only. Anything a terminal could act on or that could hide
what the name really says is made visible instead of being removed, so staff see that something
odd is there:

- C0/C1 control characters and DEL (ESC starts terminal escape sequences) become ``\\x1b``-style
  escapes; bytes smuggled in by ``os.fsdecode`` (lone surrogates U+DC80..U+DCFF) show as the byte,
  e.g. ``\\xff``.
- Invisible format characters (Unicode category Cf: bidi overrides and isolates U+202A..U+202E,
  U+2066..U+2069, marks U+200E/U+200F/U+061C, zero-width U+200B..U+200D, U+2060, BOM U+FEFF,
  soft hyphen ...), line/paragraph separators and other surrogates become ``<U+202E>``-style
  escapes. So "photo\\u202egpj.exe" is shown as ``photo<U+202E>gpj.exe``.
- Path components are stripped (both ``/`` and ``\\`` count as separators), so a backslash never
  appears in the result and ``\\x..`` always means an escape. A literal ``<U+....>`` typed by the
  sender looks the same as an escape; that is accepted (display only).
- Long names are shortened in the middle with "…", keeping the extension; an escape is never cut.

`safe_display_name` returns PLAIN text: put it in ``rich.text.Text(name)``. Where the name must be
embedded in Rich/Textual markup, use `safe_markup_name`, which also escapes markup.

The same rule covers every other untrusted text the UI shows (issue 9.9: Rich and Textual pass
ESC through to the terminal): `visible_text` for one-line text such as a path or a config
value, `visible_lines` for text whose line breaks are meant (a patient's message), and
`visible_chars` where each character must stay one character (an input box, whose cursor
counts characters): there a control shows as its Unicode control picture (ESC as ␛) and an
invisible or undecodable one as U+FFFD.
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"
NO_NAME = "(namnlös fil)"
_MAX_EXT = 10  # longer "extensions" are just part of the name
_SEPARATOR_CATEGORIES = {"Zl", "Zp"}


def _escape_char(ch: str) -> str:
    """One character as shown: itself, or a visible escape when it is a control or invisible."""
    cp = ord(ch)
    if cp < 0x20 or 0x7F <= cp <= 0x9F:
        return f"\\x{cp:02x}"
    if 0xDC80 <= cp <= 0xDCFF:  # a raw byte from os.fsdecode(surrogateescape)
        return f"\\x{cp - 0xDC00:02x}"
    cat = unicodedata.category(ch)
    if cat in ("Cf", "Cs", "Co", "Cn") or cat in _SEPARATOR_CATEGORIES:
        return f"<U+{cp:04X}>"
    return ch


def _tokens(text: str) -> list[str]:
    """The text as display tokens: one per original character, escaped where needed."""
    return [_escape_char(ch) for ch in text]


def visible_text(text: str, max_len: int | None = None) -> str:
    """Untrusted text (e.g. a refusal reason from the sandbox) with controls and invisibles escaped."""
    tokens = _tokens(unicodedata.normalize("NFC", text))
    out = "".join(tokens)
    if max_len is not None and len(out) > max_len:
        return _shorten(tokens, [], max_len)
    return out


def visible_lines(text: str, max_len: int | None = None) -> str:
    """Untrusted multi-line text (a message body): each line as `visible_text`, line breaks
    kept (CR LF and CR count as one), tabs as spaces; at most max_len characters in all."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ").split("\n")
    out = "\n".join(visible_text(line) for line in lines)
    if max_len is not None and len(out) > max_len:
        out = out[: max(max_len - len(ELLIPSIS), 0)].rstrip("\\") + ELLIPSIS
    return out


def _picture(ch: str) -> str:
    """One character as one visible character (see `visible_chars`)."""
    cp = ord(ch)
    if cp < 0x20:
        return chr(0x2400 + cp)  # the control pictures: ␛ for ESC, ␇ for BEL
    if cp == 0x7F:
        return "\u2421"  # ␡
    if 0x80 <= cp <= 0x9F or 0xD800 <= cp <= 0xDFFF:
        return "\ufffd"
    cat = unicodedata.category(ch)
    if cat in ("Cf", "Co", "Cn") or cat in _SEPARATOR_CATEGORIES:
        return "\ufffd"
    return ch


def visible_chars(text: str) -> str:
    """Untrusted text with every control or invisible character replaced by ONE visible one,
    so positions stay the same (for an input box that edits the real value)."""
    return "".join(_picture(ch) for ch in text)


def _split_ext(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Split tokens into stem and extension (".jpg"), the extension only when short and plain."""
    for i in range(len(tokens) - 1, 0, -1):
        if tokens[i] == ".":
            ext = tokens[i:]
            if len(ext) <= _MAX_EXT and all(len(t) == 1 for t in ext):
                return tokens[:i], ext
            break
    return tokens, []


def _shorten(stem: list[str], ext: list[str], max_len: int) -> str:
    """Cut tokens from the middle of the stem until stem + "…" + ext fits in max_len characters."""
    budget = max_len - len(ELLIPSIS) - sum(len(t) for t in ext)
    if budget < 2:  # no room to keep the extension: shorten the whole thing instead
        stem, ext = stem + ext, []
        budget = max(max_len - len(ELLIPSIS), 2)
    head_budget = (budget + 1) // 2
    head: list[str] = []
    used = 0
    for t in stem:
        if used + len(t) > head_budget:
            break
        head.append(t)
        used += len(t)
    tail: list[str] = []
    tail_budget = budget - used
    for t in reversed(stem[len(head) :]):
        if sum(len(x) for x in tail) + len(t) > tail_budget:
            break
        tail.insert(0, t)
    return "".join(head) + ELLIPSIS + "".join(tail) + "".join(ext)


def safe_display_name(name: str, max_len: int = 60) -> str:
    """A patient's file name as plain, visible, single-line text of at most max_len characters."""
    name = unicodedata.normalize("NFC", name)
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    base = parts[-1] if parts else ""
    if not base.strip():
        return NO_NAME
    tokens = _tokens(base)
    if sum(len(t) for t in tokens) <= max_len:
        return "".join(tokens)
    stem, ext = _split_ext(tokens)
    return _shorten(stem, ext, max_len)


def safe_markup_name(name: str, max_len: int = 60) -> str:
    """Like `safe_display_name`, but also escaped for use inside Rich/Textual markup."""
    from rich.markup import escape

    return escape(safe_display_name(name, max_len))
