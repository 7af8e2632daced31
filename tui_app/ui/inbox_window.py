"""The inbox's window over its whole result: which page to read next, and where the cursor goes.

The inbox may hold 100,000 cases; the screen keeps at most KEEP rows (three pages) in its
table and reads more by keyset (`InboxWhere` after/before/start/last/around, never OFFSET) as
the cursor reaches an edge. This module decides, without I/O and without Textual, what to read
(a `Fetch`) and how a page read for it changes the window (`Window.apply`), so it is tested
alone (tests/test_inbox_window.py); the screen turns a Fetch into `api.inbox_page(...)`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

PAGE = 50  # rows read at a time at most (a screen shows 8 two-line rows at 80x24)
KEEP = 3 * PAGE  # rows the window keeps at most: memory does not grow with the result
MIN_PAGE = 20


def page_for(visible: int) -> int:
    """Rows to read at a time for a table showing `visible` rows: three screenfuls, 20 to 50
    (each row read is a row painted: a page far beyond the screen costs keys their speed)."""
    return PAGE if visible <= 0 else max(MIN_PAGE, min(PAGE, 3 * visible))


class HasCase(Protocol):
    @property
    def case_id(self) -> int: ...


R = TypeVar("R", bound=HasCase)
R_co = TypeVar("R_co", bound=HasCase, covariant=True)


class Go(enum.Enum):
    """Which page of the result a fetch reads (the InboxWhere it becomes)."""

    FIRST = "first"  # the newest page
    AFTER = "after"  # the rows just older than the anchor (exclusive)
    BEFORE = "before"  # the rows just newer than the anchor (exclusive)
    START = "start"  # the rows from the anchor on (inclusive): re-read the window
    LAST = "last"  # the oldest page
    AROUND = "around"  # the page holding case_id, that case about in the middle


class Aim(enum.Enum):
    """Where the cursor goes once the page is in."""

    KEEP = "keep"  # on the same case (on the same row number if that case is gone)
    TOP = "top"
    BOTTOM = "bottom"
    FOUND = "found"  # on the case asked for (Go.AROUND)
    STEP = "step"  # `step` rows from the case it was on


@dataclass(frozen=True)
class Fetch(Generic[R]):
    """One read the window asks for."""

    go: Go
    limit: int
    aim: Aim
    anchor: R | None = None  # the row whose key bounds AFTER / BEFORE / START
    case_id: int | None = None  # AROUND
    step: int = 0  # Aim.STEP


class PageOf(Protocol[R_co]):
    """What a read gave: the fields of api.InboxPage the window needs."""

    @property
    def rows(self) -> Sequence[R_co]: ...
    @property
    def newer(self) -> bool: ...
    @property
    def older(self) -> bool: ...
    @property
    def found(self) -> int | None: ...


@dataclass(frozen=True)
class Page(Generic[R]):
    """A page built by hand (tests, the start-up page): an api.InboxPage's shape."""

    rows: Sequence[R]
    newer: bool
    older: bool
    found: int | None = None


class Window(Generic[R]):
    """The rows shown, whether more exist above (`newer`) and below (`older`), the cursor.

    The screen tells it where the cursor is (`moved`), asks what to read for a key
    (`down`, `page_down`, `end`, …; None = nothing to read, move within the rows), starts
    that read, and hands the page to `apply`, which returns whether the window changed.
    At most one read is pending; a scroll key while one is pending asks for nothing.
    """

    def __init__(self, page: int = PAGE, keep: int | None = None) -> None:
        self.page, self.keep = page, 3 * page if keep is None else keep
        self.rows: list[R] = []
        self.newer = False
        self.older = False
        self.cursor = 0
        self.pending: Fetch[R] | None = None
        self._redo: Fetch[R] | None = None  # a read cut off by leaving the screen
        self._refresh_asked = False  # a refresh came while a read was pending

    def resize(self, page: int) -> None:
        """Read `page` rows at a time from now on, keeping three pages (the terminal was
        resized); the rows held now are trimmed by the next read."""
        self.page, self.keep = page, 3 * page

    # ------------------------------------------------------------------ what to read

    def first(self, aim: Aim = Aim.TOP) -> Fetch[R]:
        """The newest page (a new search or filter, Home): always read."""
        self._redo = None
        return self._ask(Fetch(Go.FIRST, self.page, aim))

    def refresh(self) -> Fetch[R] | None:
        """Re-read the window as it stands (timer, change notice, back from a case).

        At the top it re-reads the newest rows (new cases show); further down it re-reads
        from its first row on, so the rows under the cursor stay. A read cut off by leaving
        the screen is made again instead; while another read is pending, nothing (it brings
        fresh rows itself; if it fails, `failed` gives the refresh back)."""
        if self._redo is not None:
            redo, self._redo = self._redo, None
            return self._ask(redo)
        if self.pending is not None:
            self._refresh_asked = True
            return None
        limit = min(max(len(self.rows), self.page), self.keep)
        if self.newer and self.rows:
            return self._ask(Fetch(Go.START, limit, Aim.KEEP, anchor=self.rows[0]))
        return self._ask(Fetch(Go.FIRST, limit, Aim.KEEP))

    def down(self) -> Fetch[R] | None:
        """Down on the last row: the next older page, if there is one."""
        return self.page_down(1)

    def up(self) -> Fetch[R] | None:
        """Up on the first row: the next newer page, if there is one."""
        return self.page_up(1)

    def page_down(self, rows: int) -> Fetch[R] | None:
        """Move `rows` down; reads the next older page when that passes the last row."""
        if self.cursor + rows < len(self.rows) or not self.older or not self.rows:
            self.moved(min(self.cursor + rows, len(self.rows) - 1))
            return None
        if self.pending is not None:
            return None
        return self._ask(Fetch(Go.AFTER, self.page, Aim.STEP, anchor=self.rows[-1], step=rows))

    def page_up(self, rows: int) -> Fetch[R] | None:
        """Move `rows` up; reads the next newer page when that passes the first row."""
        if self.cursor - rows >= 0 or not self.newer or not self.rows:
            self.moved(max(self.cursor - rows, 0))
            return None
        if self.pending is not None:
            return None
        return self._ask(Fetch(Go.BEFORE, self.page, Aim.STEP, anchor=self.rows[0], step=-rows))

    def home(self) -> Fetch[R] | None:
        """The newest case of the whole result."""
        if not self.newer:
            self.moved(0)
            return None
        return self.first()

    def end(self) -> Fetch[R] | None:
        """The oldest case of the whole result."""
        if not self.older:
            self.moved(len(self.rows) - 1)
            return None
        return self._ask(Fetch(Go.LAST, self.page, Aim.BOTTOM))

    def around(self, case_id: int) -> Fetch[R]:
        """The page holding this case, the cursor on it (if it is in the result)."""
        return self._ask(self._around(case_id))

    def around_later(self, case_id: int) -> None:
        """`around`, read on the next refresh instead of now (the screen is being left for
        the case: its rows are read once the case screen is shown, not while it is built)."""
        self.pending, self._redo = None, self._around(case_id)

    def _around(self, case_id: int) -> Fetch[R]:
        return Fetch(Go.AROUND, self.page, Aim.FOUND, case_id=case_id)

    def _ask(self, fetch: Fetch[R]) -> Fetch[R]:
        self.pending, self._refresh_asked = fetch, False
        return fetch

    # ------------------------------------------------------------------ what was read

    def moved(self, cursor: int) -> None:
        """The cursor is on this row now (the table moved it)."""
        self.cursor = max(0, min(cursor, len(self.rows) - 1))

    @property
    def on(self) -> R | None:
        """The row under the cursor."""
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def interrupt(self) -> None:
        """The pending read was cancelled (the screen was left): make it again on refresh."""
        if self.pending is not None:
            self._redo = self.pending
        self.pending = None

    def failed(self, fetch: Fetch[R]) -> Fetch[R] | None:
        """The read could not be made: nothing pending any more. A refresh asked for while
        it was pending (u, pressed once the database is back) is the read to make now: it
        was not made, since the pending read was to bring fresh rows."""
        if self.pending is not fetch:
            return None
        self.pending = None
        if not self._refresh_asked:
            return None
        return self.refresh()

    def apply(self, fetch: Fetch[R], page: PageOf[R]) -> bool:
        """Take in the page read for `fetch`; False (and the window as it was) when the page
        no longer fits it (a newer read was asked for since, its anchor is no longer at the
        edge, the case was not found) or a re-read found the rows as they were."""
        if fetch is not self.pending and fetch is not self._redo:
            return False
        if fetch is self.pending:
            self.pending, self._refresh_asked = None, False  # its rows are the fresh ones
        if fetch is self._redo:
            self._redo = None
        was = self.on
        if fetch.go is Go.AFTER:
            return self._after(fetch, page, was)
        if fetch.go is Go.BEFORE:
            return self._before(fetch, page, was)
        if fetch.go is Go.AROUND and page.found is None:
            return False
        old_cursor = self.cursor
        if (
            fetch.aim is Aim.KEEP
            and self.rows
            and (list(page.rows), page.newer, page.older)
            == (
                self.rows,
                self.newer,
                self.older,
            )
        ):
            return False  # a refresh that found nothing new: nothing to repaint
        self.rows, self.newer, self.older = list(page.rows), page.newer, page.older
        self.cursor = self._aim(fetch, page, was, old_cursor)
        return True

    def _aim(self, fetch: Fetch[R], page: PageOf[R], was: R | None, old: int) -> int:
        last = max(len(self.rows) - 1, 0)
        if fetch.aim is Aim.TOP:
            return 0
        if fetch.aim is Aim.BOTTOM:
            return last
        if fetch.aim is Aim.FOUND and page.found is not None:
            return min(page.found, last)
        if was is not None:
            at = self._index(was.case_id)
            if at is not None:
                return at
        return min(old, last)

    def _index(self, case_id: int) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r.case_id == case_id), None)

    def _after(self, fetch: Fetch[R], page: PageOf[R], was: R | None) -> bool:
        if not self.rows or fetch.anchor is None or self.rows[-1].case_id != fetch.anchor.case_id:
            return False
        rows = self.rows + list(page.rows)
        at = len(self.rows) - 1 if was is None else self.cursor
        drop = max(len(rows) - self.keep, 0)
        self.rows, self.older = rows[drop:], page.older
        self.newer = self.newer or drop > 0
        self.cursor = max(0, min(at - drop + fetch.step, len(self.rows) - 1))
        return True

    def _before(self, fetch: Fetch[R], page: PageOf[R], was: R | None) -> bool:
        if not self.rows or fetch.anchor is None or self.rows[0].case_id != fetch.anchor.case_id:
            return False
        added = list(page.rows)
        rows = added + self.rows
        at = (0 if was is None else self.cursor) + len(added)
        drop = max(len(rows) - self.keep, 0)
        self.rows = rows[: len(rows) - drop]
        self.newer, self.older = page.newer, self.older or drop > 0
        self.cursor = max(0, min(at + fetch.step, len(self.rows) - 1))
        return True

    def follow_up(self, fetch: Fetch[R], page: PageOf[R]) -> Fetch[R] | None:
        """A re-read from the first row found nothing there any more (those cases left the
        filter) while newer ones exist: read the oldest page instead."""
        if fetch.go is Go.START and not page.rows and page.newer:
            return self._ask(Fetch(Go.LAST, self.page, Aim.BOTTOM))
        return None
