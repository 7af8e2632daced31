"""One case's rows for bench/gen.py: the case, its messages, files, downloads and log entries.

Times are integer microseconds since the epoch (UTC). A case follows the routine: the staff
message, 0-3 patient replies inside the 48-hour window (deadline = sent + REPLY_WINDOW, as
core.rules.deadline_for), files on replies, decisions and archiving (Picsara for images,
E-arkiv print and scan for documents) before "handled", downloaded copies cleaned before it,
and the sweep's closing when the deadline passed first (closed_reason as services.sweep and
services.handling.closing write it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tui_app.core.limits import REPLY_WINDOW
from tui_app.core.routine import Decision, Laterality
from tui_app.core.rules import HANDLED_EARLY
from tui_app.core.template import DEFAULT_TEXT

S = 1_000_000
MIN = 60 * S
H = 3600 * S
WINDOW = int(REPLY_WINDOW.total_seconds()) * S
_EPOCH = datetime(1970, 1, 1)  # naive: the text SQLAlchemy stores for a UTC column

REPLIES = (
    "Här kommer bilden.",
    "Hej! Bifogar bilder som vi pratade om.",
    "Hej, här är fotot på utslaget från i morse.",
    "Skickar remissen och provsvaren.",
    "Det ser bättre ut nu, se bild.",
    "",
    "Hej! Jag glömde en bild, här är den.",
    "Tack för hjälpen. Här är intyget.",
)
SITES = ("höger underarm", "vänster knä", "rygg", "ansikte", "höger fot", "buk", "", "hand")
REASONS = ("dubblett", "fel fil", "oskarp bild", "inte relevant för vården")


_HOURS: dict[int, str] = {}  # hour number -> "YYYY-MM-DD HH:": made once per hour


def ts(us: int) -> str:
    """The stored text of a time, as SQLAlchemy writes a UTC DateTime on SQLite: the same text
    as `(_EPOCH + timedelta(microseconds=us)).isoformat(" ", "microseconds")`, with the date and
    hour cached and the rest formatted directly (this was the generator's hottest function)."""
    hour, rest = divmod(us, H)
    head = _HOURS.get(hour)
    if head is None:
        head = _HOURS[hour] = (_EPOCH + timedelta(hours=hour)).isoformat(" ")[:14]
    sec, micro = divmod(rest, S)
    return f"{head}{sec // 60:02d}:{sec % 60:02d}.{micro:06d}"


def now_us() -> int:
    return int((datetime.now(UTC).replace(tzinfo=None) - _EPOCH) / timedelta(microseconds=1))


@dataclass
class Rows:
    """Rows waiting to be written, per table, and log events not yet in seq order."""

    cases: list[tuple[object, ...]] = field(default_factory=list)
    message: list[tuple[object, ...]] = field(default_factory=list)
    attachment: list[tuple[object, ...]] = field(default_factory=list)
    download: list[tuple[object, ...]] = field(default_factory=list)


@dataclass
class Unit:
    id: int
    code: str
    staff: list[tuple[int, str, str]]  # (id, login, first name) of personal accounts


@dataclass
class Ids:
    message: int = 0
    attachment: int = 0
    download: int = 0


Event = tuple[int, str, str | None, str | None, int | None, str, str, str]


class CaseMaker:
    """Makes the rows of one case at a time; ids run on from case to case."""

    def __init__(self, rng: random.Random, now: int, rows: Rows, events: list[Event]) -> None:
        self.rng, self.now, self.rows, self.events = rng, now, rows, events
        self.ids = Ids()
        self.sides = [side.value for side in Laterality]

    def _log(
        self, at: int, actor: str, u: Unit, pnr: str, cid: int, what: str, detail: str = ""
    ) -> None:
        self.events.append((at, actor, u.code, pnr, cid, what, "ok", detail))

    def _replies(self, sent: int) -> list[int]:
        r = self.rng.random()
        if r < 0.15:
            return []
        k = 1 if r < 0.75 else 2 if r < 0.94 else 3
        times = sorted(sent + self.rng.randrange(20 * MIN, 44 * H) for _ in range(k))
        return [t for t in times if t < self.now]

    def case(
        self, cid: int, sent: int, u: Unit, patient_id: int, pnr: str, first: str, name: str
    ) -> None:
        """One case's rows; `name` is its patient's search_name (cases.patient_name)."""
        rng = self.rng
        sender = rng.choice(u.staff)
        deadline = sent + WINDOW
        replies = self._replies(sent)
        self.ids.message += 1
        self.rows.message.append(
            (self.ids.message, cid, False, sender[0], sender[2],
             f"{DEFAULT_TEXT}\n{sender[2]}", ts(sent))
        )  # fmt: skip
        self._log(sent, sender[1], u, pnr, cid, "skicka meddelande", "Bifoga bild/fil till vården")
        read = None
        if replies:
            read = replies[0] - rng.randrange(MIN, 30 * MIN)
        elif rng.random() < 0.6 and sent + 20 * H < self.now:
            read = sent + rng.randrange(10 * MIN, 20 * H)
        handled = None
        if replies:
            h = replies[-1] + rng.randrange(30 * MIN, 60 * H)
            if h < self.now and rng.random() < (0.8 if deadline <= self.now else 0.35):
                handled = h
        files = self._messages(cid, u, pnr, first, replies, handled)
        self._close(
            cid, sent, deadline, u, patient_id, pnr, sender[0], read, replies, handled, files, name
        )

    def _messages(
        self, cid: int, u: Unit, pnr: str, first: str, replies: list[int], handled: int | None
    ) -> int:
        """The patient's replies with their files; returns how many files came."""
        rng, files = self.rng, 0
        for i, t in enumerate(replies):
            self.ids.message += 1
            mid = self.ids.message
            self.rows.message.append((mid, cid, True, None, first, rng.choice(REPLIES), ts(t)))
            r = rng.random()
            n = (
                (0 if r < 0.15 else 1 if r < 0.8 else 2 if r < 0.95 else 3)
                if i == 0
                else int(r < 0.3)
            )
            self._log(t, f"patient:{pnr}", u, pnr, cid, "patientsvar", f"{n} filer")
            for _ in range(n):
                self._file(cid, mid, t, u, pnr, handled)
            files += n
        if replies and (handled or rng.random() < 0.5):
            t = (
                (handled - rng.randrange(MIN, 30 * MIN))
                if handled
                else replies[-1] + rng.randrange(MIN, 20 * H)
            )
            if replies[-1] < t < self.now:
                self._log(t, rng.choice(u.staff)[1], u, pnr, cid, "öppna ärende")
        return files

    def _kind(self) -> tuple[str, str, str]:
        """(mime, extension, original name) of a file a patient sends."""
        r, rng = self.rng.random(), self.rng
        if r < 0.7:
            return "image/jpeg", "jpg", f"IMG_{rng.randrange(10000):04d}.jpg"
        if r < 0.8:
            return "image/png", "png", "Skärmbild.png"
        return "application/pdf", "pdf", rng.choice(("remiss.pdf", "intyg.pdf", "provsvar.pdf"))

    def _file(self, cid: int, mid: int, at: int, u: Unit, pnr: str, handled: int | None) -> None:
        rng = self.rng
        self.ids.attachment += 1
        aid = self.ids.attachment
        mime, ext, name = self._kind()
        image = ext != "pdf"
        size = rng.randrange(60_000, 900_000)
        sha = f"{rng.getrandbits(256):064x}"
        key = f"{rng.getrandbits(8):02x}/{rng.getrandbits(128):032x}.{ext}"
        thumb = f"{rng.getrandbits(8):02x}/{rng.getrandbits(128):032x}.thumb.png"
        end = handled or min(self.now, at + 72 * H)
        done = handled is not None or rng.random() < 0.4
        by = rng.choice(u.staff)[1]
        t = at + (end - at) * 3 // 10 if done else None
        journal = rng.random() < 0.85
        decision = (Decision.JOURNAL if journal else Decision.NOT_JOURNAL).value if done else None
        reason = "" if journal or not done else rng.choice(REASONS)
        arch = t is not None and journal and (handled is not None or rng.random() < 0.5)
        ta = at + (end - at) * 6 // 10 if arch else None
        tscan = at + (end - at) * 8 // 10
        side, site = rng.choice(self.sides), rng.choice(SITES)
        pics = (ts(ta), by, side, site) if ta and image else (None,) * 4
        prints = (ts(ta), by, ts(tscan), by) if ta and not image else (None,) * 4
        self.rows.attachment.append(
            (aid, cid, mid, name, mime, size, size + rng.randrange(1000, 2_000_000),
             2048 if image else None, 1536 if image else None, None if image else rng.randrange(1, 5),
             f"{rng.getrandbits(256):064x}", sha, key, thumb, ts(at), 0, decision, reason,
             by if done else None, ts(t) if t else None, *pics, *prints, None, None, None, None, None)
        )  # fmt: skip
        log = self._log
        if t is not None:
            log(
                t,
                by,
                u,
                pnr,
                cid,
                "beslut",
                f"fil {aid}: {decision}" + (f" ({reason})" * bool(reason)),
            )
            if journal and rng.random() < 0.25:
                live = handled is None and rng.random() < 0.05
                self._download(aid, cid, at, end, by, u, pnr, sha, size, live)
        if ta is not None and image:
            log(ta, by, u, pnr, cid, "picsara", f"fil {aid}: {side}; {site}".strip("; "))
        elif ta is not None:
            log(ta, by, u, pnr, cid, "skriv ut", f"fil {aid}")
            log(tscan, by, u, pnr, cid, "skannad", f"fil {aid}: markerad som skannad i E-arkiv")

    def _download(
        self, aid: int, cid: int, at: int, end: int, by: str, u: Unit, pnr: str, sha: str,
        size: int, live: bool,
    ) -> None:  # fmt: skip
        self.ids.download += 1
        t = at + (end - at) * 5 // 10
        path = f"/home/{by}/Hämtade filer/ärende-{cid}-fil-{aid}.jpg"
        cleaned = None if live else at + (end - at) * 7 // 10
        self.rows.download.append(
            (self.ids.download, aid, cid, by, path, sha, size, ts(t),
             ts(cleaned) if cleaned else None, by if cleaned else None, "", None)
        )  # fmt: skip
        self._log(t, by, u, pnr, cid, "ladda ner", f"fil {aid}: {path}")

    def _close(
        self, cid: int, sent: int, deadline: int, u: Unit, patient_id: int, pnr: str,
        created_by: int, read: int | None, replies: list[int], handled: int | None, files: int,
        name: str,
    ) -> None:  # fmt: skip
        rng = self.rng
        closed = reason = handler = None
        if handled is not None:
            handler = rng.choice(u.staff)[1]
        if handled is not None and handled < deadline:
            deadline, closed, reason = handled, handled, HANDLED_EARLY
            self._log(handled, handler or "", u, pnr, cid, "hanterat", "tar inte emot fler svar")
        else:
            if deadline <= self.now:
                closed, reason = deadline, "deadline" if replies else "auto"
                limit = min(5 * MIN, (handled or self.now) - deadline)
                self._log(
                    deadline + rng.randrange(max(1, limit)), "system", u, pnr, cid, "avsluta ärende",
                    "avslutat (svarstiden slut)" if replies else "avslutat automatiskt (inget svar)",
                )  # fmt: skip
            if handled is not None:
                self._log(handled, handler or "", u, pnr, cid, "hanterat", "")
        self.rows.cases.append(
            (cid, u.id, patient_id, created_by, ts(sent), ts(deadline), ts(read) if read else None,
             ts(closed) if closed else None, reason, ts(handled) if handled else None, handler,
             len(replies), files, name)
        )  # fmt: skip
