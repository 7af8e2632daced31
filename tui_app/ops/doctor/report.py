"""The doctor's report line: what was checked, the verdict, what was found or to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tui_app.core.safetext import visible_text

Status = Literal["ok", "fail", "optional"]
SYMBOL: dict[Status, str] = {"ok": "✓", "fail": "✗", "optional": "–"}


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report: what was checked, the verdict, what was found or to do."""

    title: str
    status: Status
    detail: str

    @property
    def line(self) -> str:
        """The line as printed: symbol, title, what was found (and what to do)."""
        return f"{SYMBOL[self.status]} {self.title}: {self.detail}"


def _show(value: object) -> str:
    return visible_text(str(value), max_len=200)
