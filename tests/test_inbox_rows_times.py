"""services.inboxrows.as_time: every stored form of a time reads as the same aware UTC moment
(its fast path for SQLite's naive text must not change what any other form means)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tui_app.services.inboxrows import UNREADABLE, as_time


@pytest.mark.parametrize(
    ("stored", "moment"),
    [
        ("2026-12-02 12:24:04.112361", datetime(2026, 12, 2, 12, 24, 4, 112361, tzinfo=UTC)),
        ("2026-12-02 12:24:04", datetime(2026, 12, 2, 12, 24, 4, tzinfo=UTC)),
        ("2026-12-02T12:24:04+01:00", datetime(2026, 12, 2, 11, 24, 4, tzinfo=UTC)),
        ("2026-12-02T12:24:04Z", datetime(2026, 12, 2, 12, 24, 4, tzinfo=UTC)),
        ("2026-12-02", datetime(2026, 12, 2, tzinfo=UTC)),
        (datetime(2026, 12, 2, 12, 0), datetime(2026, 12, 2, 12, 0, tzinfo=UTC)),
        (
            datetime(2026, 12, 2, 13, 0, tzinfo=timezone(timedelta(hours=1))),
            datetime(2026, 12, 2, 12, 0, tzinfo=UTC),
        ),
    ],
)
def test_each_stored_form_is_the_same_utc_moment(stored: object, moment: datetime) -> None:
    got = as_time(stored)
    assert got == moment and got is not None and got.utcoffset() == timedelta(0)


@pytest.mark.parametrize("garbled", ["garbled", "2026-13-45 99:00", "", 12345, b"2026"])
def test_a_garbled_value_raises_one_of_the_unreadable_errors(garbled: object) -> None:
    with pytest.raises(UNREADABLE):
        as_time(garbled)


def test_none_stays_none() -> None:
    assert as_time(None) is None
