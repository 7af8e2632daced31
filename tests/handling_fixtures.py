"""Fixtures for staff handling: a configured context and a case whose patient sent an image and a PDF."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ELIN, ROOT, patient, send
from tui_app.services.context import Context
from tui_app.services.conversation import patient_reply
from tui_app.services.files import stage_files

SAMPLES = ROOT / "data" / "samples"


@dataclass
class Places:
    """The folders of one test: Downloads, the trash, Picsara's import folder, E-arkiv's folder."""

    downloads: Path
    trash: Path
    picsara: Path
    earkiv: Path


def case_with_files(ctx: Context, pnr: str = ELIN) -> tuple[int, int, int]:
    """A case where the patient sent handled.jpg and remiss-brev.pdf; (case, image id, pdf id)."""
    number = send(ctx, pnr=pnr)
    staged = stage_files(ctx, [SAMPLES / "handled.jpg", SAMPLES / "remiss-brev.pdf"])
    patient_reply(ctx, patient(ctx, pnr), number, "Här är filerna.", staged)
    from sqlmodel import Session, col, select

    from tui_app.store.models import Attachment

    with Session(ctx.engine) as s:
        ids = s.exec(
            select(Attachment.id).where(Attachment.case_id == number).order_by(col(Attachment.id))
        ).all()
    return number, ids[0], ids[1]  # type: ignore[return-value]
