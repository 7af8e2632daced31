"""Sends to Picsara and E-arkiv, and downloads, that a crash may have left half-way (R19–R21, R24).

A send is claimed in the database (who, which process, when, and where to look) before the
outside system is touched, and every step is recorded before the next one starts:

    folder (Picsara's import folder, E-arkiv's folder):
        "förbereds"  names decided        -> "skickas"  temps staged -> published -> confirmed
        (one that never arrived is settled "dras tillbaka" -> temps removed -> released)
    lp (E-arkiv via a CUPS printer):
        "förbereds"  PDF built            -> "skickas"  lp running   -> "i kö" held job id
        -> resumed -> confirmed

Only the confirmation sets `picsara_at` / `printed_at`. If the process dies, the claim stays
("väntar på bekräftelse" in the case) and `resolve_pending` settles it at the next start or
sweep: it looks in the folder (or resumes the recorded print job) and either confirms the send
or releases the file so it can be sent again; each outcome is logged (R24). A claim whose
process still runs is left alone until `PENDING_BOUND` has passed; one that cannot be settled
by looking is released then, with a log entry that says to check the outside system.

Downloads work the same way: the Download row (with its path) is recorded before the copy is
made, marked pending until the copy is complete, and settled here if the process died.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from tui_app.core.killpoint import killpoint
from tui_app.services.context import Context

if TYPE_CHECKING:
    from tui_app.store.models import Attachment


PENDING_BOUND = timedelta(minutes=30)

PREPARING, SENDING, QUEUED, WITHDRAWING = "förbereds", "skickas", "i kö", "dras tillbaka"
WHAT = {"picsara": "Picsara", "e-arkiv": "E-arkiv"}
LOG_ACTION = {"picsara": "picsara", "e-arkiv": "skriv ut"}
DONE_FIELDS = {"picsara": ("picsara_at", "picsara_by"), "e-arkiv": ("printed_at", "printed_by")}
RELEASE = {
    "picsara": {"laterality": None, "body_site": None},
    "e-arkiv": {},
}


# --- who holds a claim ---------------------------------------------------------------------


def _start_ticks(pid: int) -> str:
    """The process's start time in clock ticks since boot (tells a reused pid apart), or ""."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return ""
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def process_owner() -> str:
    """This process, as recorded on a claim: host:pid:start."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def owner_alive(owner: str | None) -> bool | None:
    """True if the owning process still runs, False if it is gone, None if it cannot be told
    from here (another host)."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_s, _, start = rest.partition(":")
    if host != socket.gethostname():
        return None
    try:
        pid = int(pid_s)
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's live process
    return start == "" or _start_ticks(pid) == start


def may_settle(owner: str | None, since: datetime | None, now: datetime) -> bool:
    """A claim may be settled by someone else once its process is gone or the bound has passed."""
    if owner_alive(owner) is False:
        return True
    return since is None or now - since >= PENDING_BOUND


# --- what the outside system holds ----------------------------------------------------------


def _look(ref: dict[str, Any]) -> tuple[str, str]:
    """("sent" | "not_sent" | "unknown", what was seen, in Swedish) for a recorded claim."""
    if ref.get("kind") == "folder":
        from tui_app.adapters.handover import look

        folder, names = Path(str(ref.get("folder"))), [str(n) for n in ref.get("names") or []]
        if ref.get("step") == WITHDRAWING:  # settling began and found it not sent
            return "not_sent", f"fanns inte i mappen {folder}"
        seen = look(folder, names, staging_recorded=ref.get("step") == SENDING)
        if seen == "sent":
            return "sent", f"finns i mappen {folder}"
        if seen == "unreadable":
            return "unknown", f"mappen {folder} gick inte att läsa"
        return "not_sent", f"fanns inte i mappen {folder}"
    if ref.get("kind") == "lp":
        printer, job_id = str(ref.get("printer")), ref.get("job_id")
        if ref.get("step") == PREPARING:
            return "not_sent", f"skickades aldrig till skrivaren {printer}"
        if not job_id:  # held (never prints) if lp got as far as queuing it
            return "not_sent", (
                f"inget jobb-id från skrivaren {printer}; ett pausat jobb kan "
                "ligga kvar i kön men skrivs inte ut"
            )
        from tui_app.adapters.earkiv import LpPrinter
        from tui_app.adapters.errors import AdapterError

        lp = LpPrinter(printer)
        try:
            lp.resume(str(job_id))
        except AdapterError as exc:
            # Not held any more: it was released before the crash. Finished means printed.
            if lp.finished(str(job_id)):
                return "sent", f"jobb {job_id} är utskrivet på skrivaren {printer}"
            return "unknown", f"jobb {job_id} på skrivaren {printer}: {exc.message}"
        return "sent", f"jobb {job_id} släpptes till skrivaren {printer}"
    return "unknown", "okänd sorts anspråk"


# --- settling ---------------------------------------------------------------------------------


def resolve_pending(ctx: Context, *, on_settled: Callable[[str], None] | None = None) -> list[str]:
    """Settle every claim a dead (or long-stuck) process left; one Swedish line per outcome."""
    lines = _resolve_sends(ctx) + _resolve_downloads(ctx)
    if on_settled is not None:
        for line in lines:
            on_settled(line)
    return lines


def _pending_with_case(ctx: Context, table: Any, pending: Any) -> list[Any]:
    """Pending rows of `table` (attachments or downloads) with their case, unit and patient.

    Read in a snapshot: this runs at every app start, and must not take the write lock."""
    from sqlmodel import col, select

    from tui_app.store.db import read_scope
    from tui_app.store.models import Case, Patient, Unit

    with read_scope(ctx.engine) as s:
        return list(
            s.exec(
                select(table, Case, Unit, Patient)
                .join(Case, col(Case.id) == col(table.case_id))
                .join(Unit, col(Unit.id) == col(Case.unit_id))
                .join(Patient, col(Patient.id) == col(Case.patient_id))
                .where(pending)
            ).all()
        )


class _Settlement(NamedTuple):
    """How one pending send is settled: the row's new values and what the log and report say."""

    values: dict[str, object]
    log_action: str
    actor: str
    detail: str
    line: str


def _settlement(
    a: Attachment, case_id: int | None, outcome: str, seen: str, now: datetime
) -> _Settlement:
    """Confirmed when the other system has it ("sent"), else released (withdrawn or unknown)."""
    action = a.pending_action or ""
    done_at, done_by = DONE_FIELDS.get(action, ("picsara_at", "picsara_by"))
    base: dict[str, object] = {
        "pending_action": None,
        "pending_by": None,
        "pending_owner": None,
        "pending_at": None,
        "pending_ref": None,
        "version": a.version + 1,
    }
    if outcome == "sent":
        values = {**base, done_at: a.pending_at or now, done_by: a.pending_by}
        log_action, actor = LOG_ACTION.get(action, action), a.pending_by or "system"
        detail = f"fil {a.id}: bekräftad efter avbrott ({seen})"
        line = f"Fil {a.id} (ärende {case_id}) bekräftad i {WHAT.get(action, action)}: {seen}."
    else:
        values = {**base, **RELEASE.get(action, {})}
        log_action, actor = LOG_ACTION.get(action, action) + " avbruten", "system"
        if outcome == "unknown":
            detail = (
                f"fil {a.id}: kunde inte bekräftas inom {PENDING_BOUND} ({seen}); "
                "frisläppt – se efter i det andra systemet innan den skickas igen"
            )
        else:
            detail = f"fil {a.id}: avbröts, inget skickades ({seen}); frisläppt"
        line = (
            f"Fil {a.id} (ärende {case_id}) till {WHAT.get(action, action)}: "
            f"{detail.split(': ', 1)[1]}."
        )
    return _Settlement(values, log_action, actor, detail, line)


def _withdraw_temps(
    ctx: Context, a: Attachment, ref: dict[str, Any], sent: bool, values: dict[str, object]
) -> int | None:
    """Remove the temps a folder send left behind (litter, sent or not); for a send that never
    arrived, first record that it is being withdrawn. The row's version to settle from, or None
    when someone else settled it meanwhile (`values["version"]` follows)."""
    from sqlalchemy import update
    from sqlmodel import col

    from tui_app.adapters.handover import remove_temps
    from tui_app.store.db import changed_rows, session_scope
    from tui_app.store.models import Attachment

    version = a.version
    if not sent:  # first record that it is being withdrawn: a temp that is
        ref["step"] = WITHDRAWING  # gone then no longer reads as "published"
        with session_scope(ctx.engine) as s:
            r = s.execute(
                update(Attachment)
                .where(col(Attachment.id) == a.id, col(Attachment.version) == version)
                .values(version=version + 1, pending_ref=json.dumps(ref))
            )
            if changed_rows(r) != 1:
                return None  # settled by someone else meanwhile
        version += 1
        values["version"] = version + 1
        killpoint("pending.withdrawing")
    remove_temps(Path(str(ref.get("folder"))), [str(n) for n in ref.get("names") or []])
    return version


def _resolve_sends(ctx: Context) -> list[str]:
    from sqlalchemy import update
    from sqlmodel import col

    from tui_app.services import audit
    from tui_app.store.db import changed_rows, session_scope
    from tui_app.store.models import Attachment

    now = ctx.now()
    rows = _pending_with_case(ctx, Attachment, col(Attachment.pending_action).is_not(None))
    lines = []
    for a, case, unit, p in rows:
        if not may_settle(a.pending_owner, a.pending_at, now):
            continue
        try:
            ref = json.loads(a.pending_ref or "{}")
        except ValueError:
            ref = {}
        outcome, seen = _look(ref)
        expired = a.pending_at is None or now - a.pending_at >= PENDING_BOUND
        if outcome == "unknown" and not expired:
            continue
        st = _settlement(a, case.id, outcome, seen, now)
        version: int | None = a.version
        if ref.get("kind") == "folder":  # a temp left behind is litter, sent or not
            version = _withdraw_temps(ctx, a, ref, outcome == "sent", st.values)
            if version is None:
                continue  # settled by someone else meanwhile
        with session_scope(ctx.engine) as s:
            result = s.execute(
                update(Attachment)
                .where(col(Attachment.id) == a.id, col(Attachment.version) == version)
                .values(**st.values)
            )
            if changed_rows(result) != 1:
                continue  # settled by someone else meanwhile
            audit.append(
                s,
                at=now,
                actor=st.actor,
                action=st.log_action,
                unit_code=unit.code,
                patient_pnr=p.pnr,
                case_id=case.id,
                detail=st.detail,
            )
        killpoint("pending.settled")
        lines.append(st.line)
    return lines


def _resolve_downloads(ctx: Context) -> list[str]:
    from sqlalchemy import update
    from sqlmodel import col

    from tui_app.adapters._fs import digest_regular_file
    from tui_app.adapters.handover import remove_temps
    from tui_app.services import audit
    from tui_app.store.db import changed_rows, session_scope
    from tui_app.store.models import Download

    now = ctx.now()
    rows = _pending_with_case(ctx, Download, col(Download.pending_owner).is_not(None))
    lines = []
    for d, case, unit, p in rows:
        if not may_settle(d.pending_owner, d.downloaded_at, now):
            continue
        path = Path(d.path)
        try:
            digest = digest_regular_file(path)
        except FileNotFoundError:
            digest = None
        except OSError:
            continue  # not ours to read (another user's Downloads): their own start settles it
        if digest is not None:
            values: dict[str, object] = {"pending_owner": None}
            actor, action = d.staff_login, "ladda ner"
            detail = f"fil {d.attachment_id}: bekräftad efter avbrott: {path}"
            line = f"Nedladdad kopia av fil {d.attachment_id} finns och följs upp: {path}."
        else:
            values = {
                "pending_owner": None,
                "cleaned_at": now,
                "cleaned_by": "system",
                "clean_note": "hämtningen avbröts; ingen kopia skrevs",
            }
            actor, action = "system", "ladda ner avbruten"
            detail = f"fil {d.attachment_id}: avbröts, ingen kopia i {path.parent}"
            line = f"Nedladdningen av fil {d.attachment_id} avbröts; ingen kopia finns ({path})."
        with session_scope(ctx.engine) as s:
            result = s.execute(
                update(Download)
                .where(col(Download.id) == d.id, col(Download.pending_owner) == d.pending_owner)
                .values(**values)
            )
            if changed_rows(result) != 1:
                continue
            audit.append(
                s,
                at=now,
                actor=actor,
                action=action,
                unit_code=unit.code,
                patient_pnr=p.pnr,
                case_id=case.id,
                detail=detail,
            )
        remove_temps(path.parent, [path.name])
        lines.append(line)
    return lines


def resolve_in_background(ctx: Context) -> None:
    """Settle claims left by a crash in a daemon thread at start-up; failures only logged."""
    import logging
    import threading

    def run() -> None:
        try:
            ctx.engine  # noqa: B018 - wait for the data layer first; never load it from here
            resolve_pending(ctx)
        except Exception:  # never stops the app: the sweep tries again
            logging.getLogger(__name__).exception("resolve_pending at start-up failed")

    threading.Thread(target=run, name="resolve-pending", daemon=True).start()
