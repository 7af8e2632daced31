"""Errors the user sees: each carries a plain-Swedish message and, where one applies, a rule id."""

from __future__ import annotations


class UserError(Exception):
    """An action was refused or failed; `message` is Swedish and says what to do."""

    def __init__(self, message: str, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.about: dict[str, object] = {}

    def concerning(self, **about: object) -> "UserError":
        """Attach what the refusal concerns (unit_code, patient_pnr, case_id) for the access log."""
        self.about.update({k: v for k, v in about.items() if v is not None})
        return self

    def __str__(self) -> str:
        return f"{self.message} ({self.rule})" if self.rule else self.message


class RuleViolation(UserError):
    """A rule of the routine (SPEC.md Rxx) forbids the action."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message, rule)


class NotFound(UserError):
    """The thing asked for does not exist, or is not visible to this user (R05)."""


class InvalidInput(UserError):
    """The user typed something the app cannot accept."""
