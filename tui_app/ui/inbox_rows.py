"""How one inbox row and one window read look: the table's cells, the keyset bound of a read,
the counts in the filter label. Pure display helpers of screens/inbox.py."""

from __future__ import annotations

from rich.text import Text

from tui_app.core.rules import CaseState
from tui_app.core.safetext import visible_text
from tui_app.services.api import InboxRow, InboxWhere, copies_left
from tui_app.ui.inbox_window import Fetch, Go
from tui_app.ui.keys import render
from tui_app.ui.widgets import state_text


def where_of(fetch: Fetch[InboxRow]) -> InboxWhere:
    """The keyset bound of the page a fetch asks for."""
    key = fetch.anchor.key if fetch.anchor is not None else None
    if fetch.go is Go.AFTER:
        return InboxWhere(after=key)
    if fetch.go is Go.BEFORE:
        return InboxWhere(before=key)
    if fetch.go is Go.START:
        return InboxWhere(start=key)
    if fetch.go is Go.LAST:
        return InboxWhere(last=True)
    if fetch.go is Go.AROUND:
        return InboxWhere(around=fetch.case_id)
    return InboxWhere()


def counted(n: int) -> str:
    """112074 -> '112 074' (Swedish digit groups)."""
    return f"{n:,}".replace(",", " ")


def cells(screen: object, r: InboxRow, several_units: bool) -> tuple[Text, ...]:
    """The cells of one two-line inbox row (the first one gets the ▶ marker)."""
    status = Text("⚠ Trasig rad") if r.broken else state_text(r.state)
    if r.state in (CaseState.WAITING, CaseState.ANSWERED):
        status.append(f"\nkvar {r.remaining}")
    return (
        Text(
            f"{r.case_id}\n{r.unit_code}" if several_units else str(r.case_id),
            no_wrap=True,
            overflow="ellipsis",
        ),
        Text(
            f"{r.patient_pnr_display}\n{visible_text(r.patient_name)}",
            no_wrap=True,
            overflow="ellipsis",
        ),
        status,
        Text(str(r.file_count) if r.file_count else "–"),
        Text(
            render(screen, r.todo)  # its key hint follows the keymap
            + (f"\n⚠ {copies_left(r.leftovers)}" if r.leftovers else "")
        ),
    )
