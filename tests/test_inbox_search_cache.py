"""A search is parsed once and shared by every page and refresh of it (store.inboxsearch):
parsing an identity number (Luhn, century, date) cost more than some of the pages it asks."""

from __future__ import annotations

from datetime import date

import pytest

from tui_app.store import inboxsearch


def test_the_same_text_is_parsed_once_and_its_parameters_cannot_be_changed() -> None:
    first = inboxsearch.search_for("19121212-1212", "sqlite")
    assert inboxsearch.search_for("19121212-1212", "sqlite") is first  # main parsed it again
    assert first.patients is not None
    with pytest.raises(TypeError):  # one page's SQL cannot change what the next one binds
        first.patients.params["pnr"] = "191212121213"  # type: ignore[index]
    assert first.patients.params["pnr"] == "191212121212"
    assert inboxsearch.search_for("19121212-1212", "postgresql") is not first


def test_a_ten_digit_number_is_read_with_the_century_of_the_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """'250101-4563' is a child born 2025 today; read in 2024 it was someone born 1925: the
    century depends on the day, and so the cache is kept per day."""
    now = inboxsearch.search_for("250101-4563", "sqlite")
    assert now.patients is not None and now.patients.params["pnr"] == "202501014563"

    class Earlier(date):
        @classmethod
        def today(cls) -> date:
            return date(2024, 6, 1)

    monkeypatch.setattr(inboxsearch, "date", Earlier)
    then = inboxsearch.search_for("250101-4563", "sqlite")
    assert then.patients is not None and then.patients.params["pnr"] == "192501014563"
