"""The inbox's rows from what the inbox SQL (store.inboxsql) read: for the service's query and
the start-up read alike. Light: no data layer (the start-up path imports it)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tui_app.services.views import InboxRow, broken_inbox_row, inbox_row

log = logging.getLogger(__name__)

#: What reading a garbled stored value raises (SQLite keeps whatever text was written).
UNREADABLE = (ValueError, TypeError, OverflowError, AttributeError)


def as_time(value: object) -> datetime | None:
    """A stored datetime as aware UTC: SQLite gives its text, PostgreSQL a datetime. A value
    that is neither raises (one of UNREADABLE)."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite, the common case first
        try:  # naive UTC text, as SQLite keeps it: parsed aware at once (no replace)
            parsed = datetime.fromisoformat(value + "+00:00")
        except ValueError:  # it has an offset (or is garbled: raises here)
            parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is UTC:
            return parsed
    elif isinstance(value, datetime):
        parsed = value
    else:
        raise TypeError(f"not a stored time: {value!r}")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def one_row(now: datetime, raw: Sequence[Any], undecided: int, copies: int) -> InboxRow:
    """One row of store.inboxsql.ROW_COLUMNS as the inbox shows it; a broken row if a stored
    value cannot be used (listed, marked, never hiding the others)."""
    case_id, sent, deadline, messages, handled, files, pnr, first, last, unit, code = raw
    try:
        sent_at, deadline_at = as_time(sent), as_time(deadline)
        assert sent_at is not None and deadline_at is not None  # NOT NULL columns
        return inbox_row(
            now,
            case_id=case_id,
            sent_at=sent_at,
            deadline_at=deadline_at,
            patient_messages=int(messages),
            handled=as_time(handled) is not None,
            file_count=int(files),
            pnr=pnr,
            first_name=first,
            last_name=last,
            unit_name=unit,
            unit_code=code,
            undecided=undecided,
            copies=copies,
        )
    except (*UNREADABLE, AssertionError):
        log.warning("inbox: case %s has a stored value that cannot be used", case_id, exc_info=True)
        try:
            readable = as_time(sent)
        except UNREADABLE:
            readable = None
        return broken_inbox_row(
            case_id=case_id,
            pnr=str(pnr),
            first_name=str(first),
            last_name=str(last),
            unit_name=str(unit),
            unit_code=str(code),
            file_count=files if isinstance(files, int) else 0,
            sent_at=readable,
            stored_sent_at=None if readable is not None else sent,
        )


def rows_of(
    now: datetime, raw: Sequence[Sequence[Any]], undecided: dict[int, int], copies: dict[int, int]
) -> list[InboxRow]:
    """Every row read, in the order read."""
    return [one_row(now, r, undecided.get(r[0], 0), copies.get(r[0], 0)) for r in raw]
