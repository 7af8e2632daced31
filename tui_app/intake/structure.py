"""What the structure walks report, and the refusal they raise."""

from __future__ import annotations

from dataclasses import dataclass

from tui_app.core.limits import MAX_PIXELS_PER_FRAME, MAX_TOTAL_PIXELS
from tui_app.intake import reasons


class Refused(Exception):
    """The file is refused; `reason` is the Swedish text for the patient."""

    def __init__(self, reason: str, mime: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.mime = mime


#: An animation (GIF, APNG) may have at most this many frames: 100 s at 10 frames a second.
#: Pillow decodes every frame to check it (a GIF of 99 999 one-pixel frames took 16 s), so
#: the count is checked in the structure walk, before any decoding.
MAX_ANIMATION_FRAMES = 1000


@dataclass(frozen=True)
class Structure:
    """An image's size and frame count as its own headers declare them."""

    width: int
    height: int
    frames: int = 1


def damaged() -> Refused:
    """The refusal for a file that does not parse or decode."""
    return Refused(reasons.DAMAGED)


def check_pixels(width: int, height: int, frames: int = 1) -> None:
    """Refuse a decompression bomb: too many pixels per frame or in all frames together."""
    if width <= 0 or height <= 0:
        raise damaged()
    if width * height > MAX_PIXELS_PER_FRAME:
        raise Refused(reasons.TOO_MANY_PIXELS.format(w=_num(width), h=_num(height)))
    if width * height * frames > MAX_TOTAL_PIXELS:
        raise Refused(
            reasons.TOO_MANY_FRAMES.format(frames=_num(frames), w=_num(width), h=_num(height))
        )


def check_frames(frames: int) -> None:
    """Refuse an animation with more than MAX_ANIMATION_FRAMES frames (before decoding it)."""
    if frames > MAX_ANIMATION_FRAMES:
        raise Refused(
            reasons.TOO_MANY_ANIMATION_FRAMES.format(
                frames=f"fler än {_num(MAX_ANIMATION_FRAMES)}", limit=_num(MAX_ANIMATION_FRAMES)
            )
        )


def _num(n: int) -> str:
    """A number the Swedish way, with thin spaces between thousands."""
    return f"{n:,}".replace(",", "\u00a0")
