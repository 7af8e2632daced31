"""Received files: listing them per message, and storing a reply's files (file intake)."""

from __future__ import annotations

from sqlmodel import Session

from tui_app.services.views import FileView


def file_views(s: Session, case_id: int) -> dict[int, list[FileView]]:
    """The files of a case grouped by message id (none until file intake lands)."""
    return {}
