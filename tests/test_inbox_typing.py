"""Search as you type: a newer key cancels the previous key's query (its token), and nothing of
a cancelled call — neither its rows nor its error — reaches the screen. Driven by Pilot, with
calls that block until the test releases them (no sleep)."""

from __future__ import annotations

import threading
from typing import Any

from tests.test_seam import WAIT, Host, finish, finish_one
from tui_app.ui.base import Policy, StatusLine


class Token:
    """A cancel token as api.Cancel is one (cancel / cancelled)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class Stop(Exception):
    """What a cancelled query raises (api.Cancelled)."""


def query(value: Any, gate: threading.Event, token: Token, started: threading.Event) -> Any:
    """A query that waits for its gate, and stops (raising) when its token is cancelled."""

    def call() -> Any:
        started.set()
        assert gate.wait(WAIT), "the test never opened the gate"
        if token.cancelled:
            raise Stop
        return value

    return call


async def test_a_newer_call_cancels_the_older_token_and_nothing_of_it_is_delivered() -> None:
    app = Host()
    async with app.run_test() as pilot:
        s = app.probe
        got: list[Any] = []
        errors: list[Any] = []
        gate, started = threading.Event(), [threading.Event(), threading.Event()]
        first, second = Token(), Token()
        s.run(
            query("a", gate, first, started[0]),
            on_done=got.append,
            on_error=errors.append,
            policy=Policy.LATEST,
            key="list",
            cancel=first,
        )
        await finish_one(pilot, started[0].is_set)
        assert not first.cancelled
        s.run(
            query("ab", gate, second, started[1]),
            on_done=got.append,
            on_error=errors.append,
            policy=Policy.LATEST,
            key="list",
            cancel=second,
        )
        assert first.cancelled and not second.cancelled  # the query itself is told to stop
        gate.set()
        await finish(pilot, s)
        assert got == ["ab"] and errors == []


async def test_a_cancelled_newest_call_shows_no_error_on_the_status_line() -> None:
    app = Host()
    async with app.run_test() as pilot:
        s = app.probe
        got: list[Any] = []
        gate, started, token = threading.Event(), threading.Event(), Token()
        s.run(
            query("a", gate, token, started), on_done=got.append, policy=Policy.LATEST, cancel=token
        )
        await finish_one(pilot, started.is_set)
        s.cancel_runs()  # the screen is left
        gate.set()
        await finish(pilot, s)
        assert got == [] and str(s.query_one(StatusLine).render()) == ""
        # The key is idle again: the next call runs and delivers.
        again = threading.Event()
        again.set()
        s.run(
            query("b", again, Token(), threading.Event()), on_done=got.append, policy=Policy.LATEST
        )
        await finish_one(pilot, lambda: got == ["b"])


async def test_a_call_that_ends_before_the_next_key_keeps_its_token_uncancelled() -> None:
    app = Host()
    async with app.run_test() as pilot:
        s = app.probe
        got: list[Any] = []
        gate, token = threading.Event(), Token()
        gate.set()
        s.run(
            query("a", gate, token, threading.Event()),
            on_done=got.append,
            policy=Policy.LATEST,
            key="k",
            cancel=token,
        )
        await finish(pilot, s)
        s.run(
            query("b", gate, Token(), threading.Event()),
            on_done=got.append,
            policy=Policy.LATEST,
            key="k",
        )
        await finish(pilot, s)
        assert got == ["a", "b"] and not token.cancelled


# ---------------------------------------------------------------- the inbox screen, typing


def fake_inbox_app(ctx: Any, monkeypatch: Any, n: int = 2_000) -> tuple[Any, Any, threading.Event]:
    from tests.test_inbox_paging_ui import FakeInbox, fake_counts, make_rows
    from tests.conftest import staff
    from tui_app.services import api
    from tui_app.ui.app import build_app

    monkeypatch.setattr(api, "inbox_counts", fake_counts(n))
    gate = threading.Event()
    gate.set()
    source = FakeInbox(ctx, make_rows(n), gate=gate)
    ctx.inbox = source
    return build_app(ctx, staff(ctx, "danan12")), source, gate


def shown(app: Any) -> list[str]:
    return [r.patient_name for r in app.screen.rows]


async def test_typing_cancels_the_previous_keys_query_and_shows_only_the_last_keys_rows(
    ctx: Any, monkeypatch: Any
) -> None:
    from tests.test_ui_flow import settle

    app, source, gate = fake_inbox_app(ctx, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"nummer1")
        await settle(pilot)
        gate.clear()  # from now on every read waits for the test
        calls = len(source.calls)
        await pilot.press("2")  # "nummer12": its read starts and waits
        await finish_one(pilot, lambda: len(source.calls) == calls + 1)
        first = source.calls[-1]
        assert first[0] == "nummer12" and first[2] is not None and not first[2].cancelled
        await pilot.press("3")  # "nummer123"
        await finish_one(pilot, lambda: len(source.calls) == calls + 2)
        second = source.calls[-1]
        assert second[0] == "nummer123" and second[2] is not None
        assert first[2].cancelled and not second[2].cancelled  # the older query is told to stop
        gate.set()
        await settle(pilot)
        assert shown(app) and all("Nummer123" in name for name in shown(app))
        assert str(app.screen.query_one(StatusLine).render()) == ""  # no Cancelled shown


async def test_a_filter_change_and_leaving_the_screen_cancel_the_read_under_way(
    ctx: Any, monkeypatch: Any
) -> None:
    from tests.test_ui_flow import settle
    from tui_app.core.rules import CaseState

    app, source, gate = fake_inbox_app(ctx, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        gate.clear()
        calls = len(source.calls)
        await pilot.press("f")  # Väntar på svar
        await finish_one(pilot, lambda: len(source.calls) == calls + 1)
        await pilot.press("f")  # Besvarat
        await finish_one(pilot, lambda: len(source.calls) == calls + 2)
        assert source.calls[-2][2].cancelled  # type: ignore[union-attr]
        await pilot.press("f1")  # the help: the inbox is left, its read stops
        assert source.calls[-1][2].cancelled  # type: ignore[union-attr]
        gate.set()
        await settle(pilot)
        await pilot.press("escape")  # back: the read is made again
        await settle(pilot)
        assert type(app.screen).__name__ == "InboxScreen"
        assert app.screen.rows and all(r.state is CaseState.ANSWERED for r in app.screen.rows)
        assert str(app.screen.query_one(StatusLine).render()) == ""
