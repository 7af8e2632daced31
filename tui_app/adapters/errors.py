"""The one error type adapters raise: a plain-Swedish message saying what happened and what to do."""

from __future__ import annotations

from tui_app.core.errors import UserError


class AdapterError(UserError):
    """An outside system or folder failed; `message_sv` is shown to the user as it is."""

    def __init__(self, message_sv: str) -> None:
        super().__init__(message_sv)
        self.message_sv = message_sv
