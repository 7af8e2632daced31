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
