"""The clock: aware UTC times, Swedish display, and a demo clock a trainer can move forward."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SWEDISH_TZ = ZoneInfo("Europe/Stockholm")


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


@dataclass
class SystemClock:
    """The real clock, plus an offset that only demo mode ever sets."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        """Current time in UTC, moved by the demo offset."""
        return datetime.now(UTC) + self.offset


@dataclass
class FixedClock:
    """A clock that stands still unless told to move (tests)."""

    at: datetime

    def now(self) -> datetime:
        """The fixed time."""
        return self.at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self.at += delta


def as_utc(value: datetime) -> datetime:
    """Return value as aware UTC; naive values (as SQLite returns them) are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local(value: datetime) -> datetime:
    """Convert an aware or naive-UTC datetime to Swedish time."""
    return as_utc(value).astimezone(SWEDISH_TZ)


def fmt_date(value: datetime) -> str:
    """YYYY-MM-DD in Swedish time."""
    return local(value).strftime("%Y-%m-%d")


def fmt_datetime(value: datetime) -> str:
    """YYYY-MM-DD HH:MM in Swedish time."""
    return local(value).strftime("%Y-%m-%d %H:%M")


def fmt_remaining(delta: timedelta) -> str:
    """A short Swedish countdown such as '1 d 5 h', '3 h 20 min' or 'utgånget'."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "utgånget"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{max(minutes, 1)} min"


def parse_offset(text: str) -> timedelta:
    """Parse a demo clock step such as '+1 dag', '+2 dagar', '+3 timmar' or '+30 min'."""
    from tui_app.core.errors import InvalidInput

    parts = text.strip().lstrip("+").split()
    units = {
        "dag": 86400,
        "dagar": 86400,
        "d": 86400,
        "timme": 3600,
        "timmar": 3600,
        "h": 3600,
        "tim": 3600,
        "min": 60,
        "minut": 60,
        "minuter": 60,
    }
    if len(parts) == 2 and parts[0].isdigit() and parts[1].lower() in units:
        return timedelta(seconds=int(parts[0]) * units[parts[1].lower()])
    raise InvalidInput(
        f"”{text}” förstås inte. Skriv till exempel +1 dag, +3 timmar eller +30 min."
    )
