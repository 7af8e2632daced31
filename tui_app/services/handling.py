"""Staff handle each file (R13–R22): decide, download one at a time, Picsara or E-arkiv, clean up."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from tui_app.core.clock import as_utc
from tui_app.core.errors import InvalidInput, NotFound, RuleViolation, UserError
from tui_app.core import routine
from tui_app.core.routine import Action, Decision, Laterality, Person, Target
from tui_app.core.rules import HANDLED_EARLY
from tui_app.services import audit
from tui_app.services.cases import load_case_for_staff
from tui_app.services.context import Context
from tui_app.services.files import stored_path
from tui_app.services.guard import refusals_logged
from tui_app.services.actor import Actor
from tui_app.store.db import session_scope
from tui_app.store.models import Attachment, Case, Download, Patient, Staff, Unit

if TYPE_CHECKING:
    from tui_app.services.ports import Handover


JOURNAL = Decision.JOURNAL  # kept for callers; the routine's words live in core/routine.py
NOT_JOURNAL = Decision.NOT_JOURNAL
REFRESH = f"Uppdatera ärendet ({Action.REFRESH_CASE.hint})"


@dataclass(frozen=True)
class FileContext:
    """A file with its case, unit and patient, loaded for one action."""

    file: Attachment
    case: Case
    unit: Unit
    patient: Patient


def load_file(s: Session, actor: Actor, file_id: int) -> FileContext:
    """The file if its case belongs to one of the actor's units (R05), else NotFound."""
    a = s.get(Attachment, file_id)
    if a is None:
        raise NotFound("Filen finns inte längre. Den kan ha gallrats; uppdatera ärendet.")
    case, unit, p = load_case_for_staff(s, actor, a.case_id)
    return FileContext(a, case, unit, p)


def _about(fc: FileContext) -> dict[str, object]:
    return {"unit_code": fc.unit.code, "patient_pnr": fc.patient.pnr, "case_id": fc.case.id}


def _refuse(s: Session, ctx: Context, actor: Actor, fc: FileContext, action: Action) -> None:
    """Refuse what the routine forbids now (core/routine.py), with the file's patient attached
    for the access log; what it only advises against (a key the screen hides) is allowed."""
    from tui_app.services.files import file_facts

    f = fc.file
    mine = len(live_copies(s, f.id or 0, actor.login))
    who = Person(
        shared_account=actor.shared_account or _require_staff_flag(s, actor, "shared_account"),
        picsara_permission=_require_staff_flag(s, actor, "picsara_permission"),
    )
    case = routine.CaseFacts(
        routine.case_state(
            deadline=fc.case.deadline_at,
            now=ctx.now(),
            patient_messages=fc.case.patient_messages,
            handled=fc.case.handled_at is not None,
        )
    )
    b = routine.blocker(action, case, file_facts(f, mine), who)
    if b is None or b.advice:
        return
    if b.code == "pending":
        _refuse_if_pending(s, fc, "vänta tills den är bekräftad")  # who and since when
    raise b.error().concerning(**_about(fc))


def _log(s: Session, ctx: Context, actor: Actor, fc: FileContext, action: str, detail: str) -> None:
    audit.append(
        s,
        at=ctx.now(),
        actor=actor.audit_name,
        action=action,
        unit_code=fc.unit.code,
        patient_pnr=fc.patient.pnr,
        case_id=fc.case.id,
        detail=f"fil {fc.file.id}: {detail}" if detail else f"fil {fc.file.id}",
    )


def _bump(s: Session, fc: FileContext, **values: object) -> None:
    """Write values only if nobody changed the file since it was read (two staff at once)."""
    result = s.execute(
        update(Attachment)
        .where(col(Attachment.id) == fc.file.id, col(Attachment.version) == fc.file.version)
        .values(version=fc.file.version + 1, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise UserError(f"Någon annan ändrade filen samtidigt. {REFRESH} och försök igen.")


def _refuse_shared_account(
    ctx: Context,
    actor: Actor,
    action: str,
    doing: str,
    *,
    file_id: int | None = None,
    case_id: int | None = None,
) -> None:
    """A GK account reads: it records nothing a person must answer for, and touches no one's
    copies (R16); the refusal is logged with the patient it concerned (R24)."""
    with refusals_logged(ctx, actor, action), session_scope(ctx.engine) as s:
        if not (actor.shared_account or _require_staff_flag(s, actor, "shared_account")):
            return
        if file_id is not None:
            about = _about(load_file(s, actor, file_id))
        else:
            case, unit, p = load_case_for_staff(s, actor, case_id or 0)
            about = {"unit_code": unit.code, "patient_pnr": p.pnr, "case_id": case.id}
        raise RuleViolation(
            "R16",
            f"Du är inloggad med ett GK-konto (gemensamt konto), som bara får läsa. Att "
            f"{doing} måste kunna spåras till en person: logga in med ditt eget VGR-ID.",
        ).concerning(**about)


def decide(
    ctx: Context,
    actor: Actor,
    file_id: int,
    journal: bool,
    reason: str = "",
    *,
    expected_version: int | None = None,
) -> None:
    """Record the staff member's decision: journaled or not (R13, R22); never automatic.

    `expected_version` is the file's version as the staff member's screen showed it: when a
    colleague decided (or changed the file) since, nothing is written and the message says
    who decided what. The check is a compare-and-set UPDATE, so it holds across processes and
    on PostgreSQL too, not only inside one transaction.
    """
    _refuse_shared_account(ctx, actor, "beslut", "besluta om journalföring", file_id=file_id)
    with refusals_logged(ctx, actor, "beslut"):
        with session_scope(ctx.engine) as s:
            fc = load_file(s, actor, file_id)
            _refuse(s, ctx, actor, fc, Action.FILE_JOURNAL if journal else Action.FILE_NOT_JOURNAL)
            reason = reason.strip()
            if not journal and not reason:
                raise InvalidInput(
                    "Skriv en kort anledning till att filen inte journalförs."
                ).concerning(**_about(fc))
            if len(reason) > 300:
                raise InvalidInput("Anledningen får vara högst 300 tecken.").concerning(
                    **_about(fc)
                )
            _refuse_if_sent(s, fc, "beslutet kan inte ändras nu")
            seen = fc.file.version if expected_version is None else expected_version
            if fc.file.version != seen:
                raise _decided_first(s, fc)
        decision = JOURNAL if journal else NOT_JOURNAL
        with session_scope(ctx.engine) as s:
            done = s.execute(
                update(Attachment)
                .where(
                    col(Attachment.id) == file_id,
                    col(Attachment.version) == seen,
                    col(Attachment.pending_action).is_(None),
                    col(Attachment.picsara_at).is_(None),
                    col(Attachment.printed_at).is_(None),
                )
                .values(
                    version=seen + 1,
                    decision=decision,
                    decision_reason=reason,
                    decided_by=actor.login,
                    decided_at=ctx.now(),
                )
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                fresh = load_file(s, actor, file_id)
                _refuse_if_sent(s, fresh, "beslutet kan inte ändras nu")
                raise _decided_first(s, fresh)
            _log(s, ctx, actor, fc, "beslut", decision + (f" ({reason})" if reason else ""))


def _who(s: Session, login: str | None) -> str:
    """A colleague as staff know them: their name, else their login."""
    if not login:
        return "en kollega"
    st = s.exec(select(Staff).where(Staff.login == login)).first()
    return f"{st.first_name} {st.last_name}" if st else login


def _decided_first(s: Session, fc: FileContext) -> UserError:
    """The refusal for a decision made from a stale screen: who decided first, and what."""
    from tui_app.core.clock import local

    f = fc.file
    if f.decision is None:
        msg = (
            "Filen har ändrats sedan du öppnade ärendet. Ditt beslut sparades inte. "
            f"{REFRESH} och försök igen."
        )
    else:
        when = f" kl. {local(f.decided_at):%H:%M}" if f.decided_at else ""
        why = f" ({f.decision_reason})" if f.decision_reason else ""
        msg = (
            f"{_who(s, f.decided_by)} hann före: filen är redan beslutad som ”{f.decision}”"
            f"{why}{when}. Ditt beslut sparades inte. {REFRESH} och ändra beslutet bara om "
            "det behövs."
        )
    return UserError(msg).concerning(**_about(fc))


def _refuse_if_sent(s: Session, fc: FileContext, what: str) -> None:
    """Refuse while the file is on its way to Picsara or E-arkiv, or once it got there."""
    _refuse_if_pending(s, fc, what)
    if fc.file.picsara_at or fc.file.printed_at:
        raise UserError(
            "Filen har redan sparats i Picsara eller skrivits ut; beslutet kan inte ändras här."
        ).concerning(**_about(fc))


def _refuse_if_pending(s: Session, fc: FileContext, what: str) -> None:
    """Refuse while a send of the file awaits confirmation (its own, a colleague's or a crash's)."""
    from tui_app.core.clock import local

    f = fc.file
    if f.pending_action:
        since = f" sedan kl. {local(f.pending_at):%H:%M}" if f.pending_at else ""
        where = (
            "sparas i Picsara" if f.pending_action == Target.PICSARA else "skrivs ut för E-arkiv"
        )
        raise UserError(
            f"Filen {where} av {_who(s, f.pending_by)}{since} och väntar på "
            f"bekräftelse; {what}. {REFRESH} om en stund."
        ).concerning(**_about(fc))


def download(ctx: Context, actor: Actor, file_id: int) -> Path:
    """Copy one file to the actor's Downloads folder (R16, R17, R18); returns where it landed.

    The copy is tracked before it exists: its row (path, checksum, pending) commits first, the
    copy is written under a hidden temp name and then given the recorded name, and only then is
    the row marked complete. A crash at any point leaves a row that clean-up, `leftovers` and
    `resolve_pending` can find (R21), never an untracked copy.
    """
    from tui_app.adapters.downloads import copy_name
    from tui_app.adapters.errors import AdapterError
    from tui_app.core.killpoint import killpoint
    from tui_app.services.pending import process_owner

    with refusals_logged(ctx, actor, "ladda ner"):
        with session_scope(ctx.engine) as s:
            fc = load_file(s, actor, file_id)
            about = _about(fc)
            _refuse(s, ctx, actor, fc, Action.FILE_DOWNLOAD)
            src = stored_path(ctx, fc.file.storage_key)
            if not src.is_file():
                raise UserError("Filen saknas i lagringen. Kontakta IT-support.").concerning(
                    **about
                )
            dest_dir = ctx.downloads.folder()
            suffix = fc.file.storage_key.rsplit(".", 1)[-1]
            stem = f"arende{fc.case.id}-fil{file_id}"
            target = dest_dir / copy_name(stem, suffix)
            owner = process_owner()
            row = Download(
                attachment_id=file_id,
                case_id=fc.case.id,
                staff_login=actor.login,
                path=str(target),
                sha256=fc.file.sha256_stored,
                downloaded_at=ctx.now(),
                pending_owner=owner,
            )
            s.add(row)
        killpoint("download.intent")
        try:
            saved = ctx.downloads.save(
                src,
                stem_hint=stem,
                suffix=suffix,
                expected_sha256=fc.file.sha256_stored,
                name=target.name,
            )
        except BaseException as exc:
            with session_scope(ctx.engine) as s:  # nothing was made: the intent goes again
                s.execute(delete(Download).where(col(Download.id) == row.id))
            if isinstance(exc, AdapterError):
                raise UserError(exc.message).concerning(**about) from exc
            raise
        with session_scope(ctx.engine) as s:
            s.execute(update(Download).where(col(Download.id) == row.id).values(pending_owner=None))
            _log(s, ctx, actor, fc, "ladda ner", str(saved.path))
        killpoint("download.done")
    return saved.path


def live_copies(s: Session, file_id: int, login: str | None = None) -> list[Download]:
    """Downloaded copies of a file not yet cleaned up (optionally by one staff member)."""
    stmt = select(Download).where(
        Download.attachment_id == file_id, col(Download.cleaned_at).is_(None)
    )
    if login:
        stmt = stmt.where(Download.staff_login == login)
    return list(s.exec(stmt).all())


def _my_copy(s: Session, actor: Actor, fc: FileContext) -> Path:
    """The actor's downloaded copy, still intact: Picsara and printing use that copy (R19, R20)."""
    from tui_app.adapters._fs import digest_regular_file

    for d in live_copies(s, fc.file.id or 0, actor.login):
        p = Path(d.path)
        digest = digest_regular_file(p)
        if digest is not None and digest.sha256 == d.sha256:
            return p
    raise UserError(routine.NO_COPY_TEXT).concerning(**_about(fc))


def _require_staff_flag(s: Session, actor: Actor, flag: str) -> bool:
    """A permission as it stands in the database now, not as it was at sign-in."""
    st = s.get(Staff, actor.staff_id) if actor.staff_id is not None else None
    return bool(st is not None and getattr(st, flag))


def case_study_uid(case: Case) -> str:
    """One Picsara study (undersökning) per case: a stable DICOM UID derived from the case (2.25.x)."""
    import uuid

    name = f"tui_app:case:{case.id}:{case.sent_at.isoformat()}"
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_OID, name).int}"


def to_picsara(
    ctx: Context,
    actor: Actor,
    file_id: int,
    laterality: Laterality | str | None,
    body_site: str | None,
) -> list[Path]:
    """Import a journaled image into the case's Picsara study for the patient (R14, R15, R19)."""
    from tui_app.adapters.dicom import person_name
    from tui_app.adapters.errors import AdapterError
    from tui_app.adapters.picsara import PicsaraImage, PicsaraStudy
    from tui_app.services.claims import FolderHandover, send_claimed

    site = (body_site or "").strip()[:64] or None
    with refusals_logged(ctx, actor, "picsara"):
        with session_scope(ctx.engine) as s:
            fc = load_file(s, actor, file_id)
            about = _about(fc)
            _refuse(s, ctx, actor, fc, Action.FILE_PICSARA)
            picsara = ctx.picsara
            if picsara is None:
                raise RuleViolation(
                    "R15",
                    "Picsara är inte konfigurerat på den här servern "
                    "(picsara_import_dir). Kontakta IT-support.",
                ).concerning(**about)
            side: Laterality | None = None
            if laterality:
                side = routine.parse_laterality(laterality)
                if side is None or side.value != laterality:
                    raise InvalidInput(
                        f"Sidoangivelsen ska vara en av: {', '.join(Laterality)}."
                    ).concerning(**about)
            copy = _my_copy(s, actor, fc)
        p = fc.patient
        study = PicsaraStudy(
            patient_pnr12=p.pnr,
            patient_name=person_name(p.last_name, p.first_name),
            unit_name=fc.unit.name,
            case_number=str(fc.case.id),
            study_uid=case_study_uid(fc.case),
            accession=str(fc.case.id),
        )
        image = PicsaraImage(
            path=copy,
            laterality=side.value if side else None,
            body_site=site,
            sha256=fc.file.sha256_stored,
        )
        try:
            parcel = picsara.prepare(study, [image])
        except AdapterError as exc:
            raise UserError(exc.message).concerning(**about) from exc
        return send_claimed(  # type: ignore[return-value]
            ctx,
            actor,
            fc,
            "picsara",
            FolderHandover(parcel),
            claim={"laterality": side.value if side else None, "body_site": site},
            release={"laterality": None, "body_site": None},
            detail=f"{side.value if side else 'ingen sida'}; {site or ''}".strip("; "),
        )


@dataclass(frozen=True)
class Archived:
    """What a send to Picsara or E-arkiv did, for which file (what the screen then says)."""

    file_id: int
    name: str  # safe to show
    target: Target
    where: str = ""  # E-arkiv: the folder or the printer's answer
    pages: int = 0  # E-arkiv: pages printed, the cover sheet included
    paths: tuple[Path, ...] = ()  # Picsara: the DICOM files handed over

    @property
    def summary(self) -> str:
        """Where it went, in words."""
        if self.target is Target.PICSARA:
            return "Picsara"
        return f"{self.where} ({self.pages} sidor med försättsbladet)"


def send_to_picsara(
    ctx: Context,
    actor: Actor,
    file_id: int,
    laterality: Laterality | str | None,
    body_site: str | None,
) -> Archived:
    """`to_picsara`, saying what was sent (for a screen)."""
    from tui_app.core.safetext import safe_display_name

    paths = to_picsara(ctx, actor, file_id, laterality, body_site)
    with session_scope(ctx.engine) as s:
        a = s.get(Attachment, file_id)
        name = safe_display_name(a.original_name) if a else f"fil {file_id}"
    return Archived(file_id, name, Target.PICSARA, paths=tuple(paths))


def print_earkiv(ctx: Context, actor: Actor, file_id: int) -> Archived:
    """Print a journaled document with a cover sheet for scanning into E-arkiv (R14, R20)."""
    from tui_app.adapters.earkiv import PrintJob, render_print_pdf
    from tui_app.adapters.errors import AdapterError
    from tui_app.core.clock import local
    from tui_app.services.claims import FolderHandover, LpHandover, send_claimed
    from tui_app.services.ports import EArkivQueue

    with refusals_logged(ctx, actor, "e-arkiv"):
        with session_scope(ctx.engine) as s:
            fc = load_file(s, actor, file_id)
            about = _about(fc)
            _refuse(s, ctx, actor, fc, Action.FILE_EARKIV)
            copy = _my_copy(s, actor, fc)
        p = fc.patient
        job = PrintJob(
            pnr12=p.pnr,
            patient_name=f"{p.first_name} {p.last_name}",
            unit_name=fc.unit.name,
            case_number=str(fc.case.id),
            document_type="Inskickat dokument från patient via 1177",
            date=local(ctx.now()).date(),
            source_pdf=copy,
            sha256=fc.file.sha256_stored,
        )
        handover: Handover
        try:
            earkiv = ctx.earkiv
            if earkiv is None:
                raise AdapterError(
                    "Utskrift till E-arkiv är inte inställd. Ange earkiv_printer (en skrivare) "
                    "eller earkiv_folder (en mapp) i inställningarna."
                )
            if isinstance(earkiv, EArkivQueue):
                render_print_pdf(job)  # refuse a broken PDF before anything is claimed
                handover, where, pages = LpHandover(earkiv, job), "", 0
            else:
                parcel, pages = earkiv.prepare(job)
                handover, where = FolderHandover(parcel), f"mappen {parcel.folder.path}"
        except AdapterError as exc:
            raise UserError(exc.message).concerning(**about) from exc
        result = send_claimed(
            ctx, actor, fc, "e-arkiv", handover, claim={}, release={}, detail="E-arkiv"
        )
        if isinstance(handover, LpHandover):
            where, pages = result.destination_sv, result.pages  # type: ignore[attr-defined]
        from tui_app.core.safetext import safe_display_name

        name = safe_display_name(fc.file.original_name)
        return Archived(file_id, name, Target.EARKIV, where=where, pages=pages)


def mark_scanned(ctx: Context, actor: Actor, file_id: int) -> None:
    """The printed document has been scanned into E-arkiv (R20)."""
    _refuse_shared_account(ctx, actor, "skannad", "markera dokument som skannade", file_id=file_id)
    with refusals_logged(ctx, actor, "skannad"), session_scope(ctx.engine) as s:
        fc = load_file(s, actor, file_id)
        _refuse(s, ctx, actor, fc, Action.FILE_SCANNED)
        _bump(s, fc, scanned_at=ctx.now(), scanned_by=actor.login)
        _log(s, ctx, actor, fc, "skannad", "markerad som skannad i E-arkiv")


@dataclass(frozen=True)
class CleanupReport:
    """What clean-up did, where each copy actually was, and whether any copy is left."""

    deleted: list[str]  # the actor's tracked copies now closed (deleted, or found already gone)
    trashed: list[str]  # copies deleted from the trash
    remaining: list[str]  # copies still found in the actor's Downloads (or unreadable there)
    notes: list[str]
    where: list[str] = field(default_factory=list)  # one line per copy: where it was, what was done
    colleagues: int = 0  # other staff's downloads of the file not yet cleaned (not listed)

    @property
    def clean(self) -> bool:
        """True when no copy of the file is left in Downloads or the trash."""
        return not self.remaining and not self.colleagues


def cleanup(ctx: Context, actor: Actor, file_id: int) -> CleanupReport:
    """Delete the actor's downloaded copies and any copy in the trash, then verify (R21).

    Each copy is reported where it really was: still in Downloads, already moved to the trash
    by hand, or gone. Other staff members' copies are counted, never listed: their paths are
    theirs. A GK account downloads nothing and is refused (R16).
    """
    from tui_app.adapters.served import serving
    from tui_app.adapters.errors import AdapterError
    from tui_app.adapters.leftovers import scan_report

    _refuse_shared_account(ctx, actor, "rensa", "rensa kopior", file_id=file_id)
    with refusals_logged(ctx, actor, "rensa"), session_scope(ctx.engine) as s:
        fc = load_file(s, actor, file_id)
        copies = live_copies(s, file_id, actor.login)
        others = [d for d in live_copies(s, file_id) if d.staff_login != actor.login]
        deleted: list[str] = []
        trashed: list[str] = []
        notes: list[str] = []
        where: list[str] = []
        sums = {fc.file.sha256_stored} | {d.sha256 for d in copies}
        dl_dir = ctx.downloads.folder()
        in_trash = ctx.trash.find(sums, [dl_dir])
        claimed: dict[Path, int] = {}  # a trashed item -> its line in `where`
        for d in copies:
            name = Path(d.path).name
            try:
                r = ctx.downloads.remove(Path(d.path), d.sha256)
            except AdapterError as exc:
                notes.append(exc.message)
                continue
            if r.status not in ("deleted", "already_gone"):
                notes.append(r.message_sv)
                continue
            deleted.append(d.path)
            d.cleaned_at, d.cleaned_by = ctx.now(), actor.login
            if r.status == "deleted":
                d.clean_note = "raderad"
                where.append(f"{name}: låg i Hämtade filer – raderad")
            else:
                moved = next(
                    (
                        i
                        for i in in_trash
                        if i.path not in claimed
                        and (i.original_path == d.path or i.sha256 == d.sha256)
                    ),
                    None,
                )
                if moved is not None:
                    claimed[moved.path] = len(where)
                    d.clean_note = "flyttad till papperskorgen"
                    where.append(f"{name}: låg redan i papperskorgen")
                else:
                    d.clean_note = "fanns inte längre"
                    where.append(f"{name}: fanns inte längre (redan raderad)")
            s.add(d)
        for item in in_trash:
            try:
                result = ctx.trash.purge(item)
            except AdapterError as exc:
                notes.append(exc.message)
                continue
            if result.status == "deleted":
                trashed.append(str(item.path))
                if item.path in claimed:
                    where[claimed[item.path]] += " – raderad där"
                else:
                    where.append(f"{item.path.name}: en kopia i papperskorgen – raderad")
            else:
                notes.append(result.message_sv)
        # "Nothing found" proves nothing if some file could not be read: those count as left.
        # A served person's Downloads is theirs to read (their helper scans it; see deploy/).
        report = scan_report([dl_dir] if serving() or dl_dir.is_dir() else [], sums)
        theirs = {d.path for d in others}
        found = [str(x.path) for x in report.found]
        remaining = [p for p in found if p not in theirs] + [str(p) for p in report.unreadable]
        for p in remaining:
            where.append(f"{Path(p).name}: finns kvar i {Path(p).parent}")
        _log(
            s,
            ctx,
            actor,
            fc,
            "rensa",
            f"{len(deleted)} kopior, {len(trashed)} i papperskorgen, kvar {len(remaining)}"
            + (f", {len(others)} hos kollegor" if others else ""),
        )
        return CleanupReport(deleted, trashed, remaining, notes, where, len(others))


def missing_for_handled(s: Session, case_id: int) -> list[str]:
    """What still stands between the case and 'handled', in words (empty when nothing)."""
    from tui_app.services.files import file_facts

    files = s.exec(select(Attachment).where(Attachment.case_id == case_id)).all()
    return routine.missing_for_handled(file_facts(f, len(live_copies(s, f.id or 0))) for f in files)


def mark_handled(ctx: Context, actor: Actor, case_id: int) -> None:
    """Close the case as handled when every file is decided, archived and cleaned up.

    Handling also ends the patient's reply window at that moment, if it was still open: a reply
    arriving after staff are done would lie unseen under "Klart". The deadline becomes the
    handled time, so staff and patient both see the true date it closed (closed_reason says why).
    """
    _refuse_shared_account(ctx, actor, "hanterat", "markera ärenden som hanterade", case_id=case_id)
    with refusals_logged(ctx, actor, "hanterat"), session_scope(ctx.engine) as s:
        case, unit, p = load_case_for_staff(s, actor, case_id)
        about = {"unit_code": unit.code, "patient_pnr": p.pnr, "case_id": case_id}
        if case.handled_at:
            raise UserError("Ärendet är redan markerat som hanterat.").concerning(**about)
        if case.patient_messages == 0:
            raise UserError(
                "Patienten har inte svarat; ett ärende utan svar avslutas automatiskt "
                "efter 2 dagar och behöver inte markeras."
            ).concerning(**about)
        missing = missing_for_handled(s, case_id)
        if missing:
            raise UserError(
                "Ärendet kan inte markeras som hanterat än: " + "; ".join(missing) + "."
            ).concerning(**about)
        now = ctx.now()
        case.handled_at, case.handled_by = now, actor.login
        detail = ""
        if as_utc(now) < as_utc(case.deadline_at):
            case.deadline_at = now
            case.closed_at, case.closed_reason = now, HANDLED_EARLY
            detail = "tar inte emot fler svar"
        s.add(case)
        audit.append(
            s,
            at=now,
            actor=actor.audit_name,
            action="hanterat",
            unit_code=unit.code,
            patient_pnr=p.pnr,
            case_id=case_id,
            detail=detail,
        )


def reopen(ctx: Context, actor: Actor, case_id: int) -> None:
    """Take a handled case up again on purpose (logged), e.g. to download a file once more.

    The patient's reply window stays closed: what the patient was told remains true.
    """
    _refuse_shared_account(ctx, actor, "återöppna", "återöppna ärenden", case_id=case_id)
    with refusals_logged(ctx, actor, "återöppna"), session_scope(ctx.engine) as s:
        case, unit, p = load_case_for_staff(s, actor, case_id)
        if not case.handled_at:
            raise UserError("Ärendet är inte markerat som hanterat.").concerning(
                unit_code=unit.code, patient_pnr=p.pnr, case_id=case_id
            )
        case.handled_at, case.handled_by = None, None
        s.add(case)
        audit.append(
            s,
            at=ctx.now(),
            actor=actor.audit_name,
            action="återöppna",
            unit_code=unit.code,
            patient_pnr=p.pnr,
            case_id=case_id,
        )


@dataclass(frozen=True)
class Preview:
    """What a preview shows: the thumbnail made at intake and the file's facts."""

    file_id: int
    name: str
    mime: str
    thumb: Path | None
    facts: str


def preview(ctx: Context, actor: Actor, file_id: int) -> Preview:
    """Look at a file (its thumbnail); the access is logged (R24)."""
    from tui_app.core.safetext import safe_display_name

    with refusals_logged(ctx, actor, "förhandsvisa"), session_scope(ctx.engine) as s:
        fc = load_file(s, actor, file_id)
        f = fc.file
        from tui_app.core.fmt import fmt_size

        facts = f"{f.mime.split('/')[-1].upper()}, {fmt_size(f.size)}"
        if f.width and f.height:
            facts += f", {f.width}×{f.height} px"
        if f.pages:
            facts += f", {f.pages} sid{'or' if f.pages != 1 else 'a'}"
        _log(s, ctx, actor, fc, "förhandsvisa", "")
        thumb = stored_path(ctx, f.thumb_key) if f.thumb_key else None
        return Preview(
            file_id,
            safe_display_name(f.original_name),
            f.mime,
            thumb if thumb and thumb.is_file() else None,
            facts,
        )
