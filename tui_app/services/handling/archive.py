"""Send a journaled file on: an image to Picsara (R19), a document printed for E-arkiv and then
marked scanned (R20)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui_app.core.errors import InvalidInput, RuleViolation, UserError
from tui_app.core import routine
from tui_app.core.routine import Action, Laterality, Target
from tui_app.services.context import Context
from tui_app.services.guard import refusals_logged
from tui_app.services.actor import Actor
from tui_app.store.db import session_scope
from tui_app.store.models import Attachment, Case
from tui_app.services.handling.common import (
    _about,
    _bump,
    _log,
    _my_copy,
    _refuse,
    _refuse_shared_account,
    load_file,
)

if TYPE_CHECKING:
    from tui_app.services.claims import FolderHandover, LpHandover


def case_study_uid(case: Case) -> str:
    """One Picsara study (undersökning) per case: a stable DICOM UID derived from the case (2.25.x)."""
    import uuid

    name = f"tui_app:case:{case.id}:{case.sent_at.isoformat()}"
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_OID, name).int}"


def _side(laterality: Laterality | str | None, about: dict[str, object]) -> Laterality | None:
    """The side chosen in the Picsara dialog: none, or exactly one of the routine's words (R19)."""
    side: Laterality | None = None
    if laterality:
        side = routine.parse_laterality(laterality)
        if side is None or side.value != laterality:
            raise InvalidInput(
                f"Sidoangivelsen ska vara en av: {', '.join(Laterality)}."
            ).concerning(**about)
    return side


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
            side = _side(laterality, about)
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
        return send_claimed(  # type: ignore[return-value]  # the folder handover returns its paths
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
        handover: FolderHandover | LpHandover
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
            where, pages = result.destination_sv, result.pages  # type: ignore[attr-defined]  # an LpHandover's result
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
