"""The outside systems the use cases talk to, as Protocols: what a use case may ask of them.

The implementations live in tui_app.adapters (an import folder for Picsara, a CUPS printer or a
folder for E-arkiv, the user's Downloads folder and the desktop trash); tui_app.bootstrap picks
them from the settings and puts them on the Context (`ctx.picsara`, `ctx.earkiv`,
`ctx.downloads`, `ctx.trash`). A hospital with another Picsara or E-arkiv writes a class with
these methods and hands it to the bootstrap; tests hand the Context fakes.

Sends to Picsara and E-arkiv happen under a claim, in recorded steps (services.claims,
services.pending): a Picsara or an E-arkiv folder therefore only *prepares* a `Parcel` (the
files and their names, nothing written yet), and a print queue submits a job held until it is
resumed. Nothing here is imported at run time beyond typing: importing this module is free.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from tui_app.adapters.downloads import RemoveResult, SavedCopy
    from tui_app.adapters.earkiv import PrintJob, PrintResult
    from tui_app.adapters.handover import Parcel
    from tui_app.adapters.picsara import PicsaraImage, PicsaraStudy
    from tui_app.adapters.trash import TrashedItem


class PicsaraPort(Protocol):
    """Picsara, the medical photo system (R15, R19)."""

    def prepare(self, study: PicsaraStudy, images: list[PicsaraImage]) -> Parcel:
        """Convert and check the images for the study; the files to hand over, not yet written.
        Raises AdapterError (a Swedish message) when an image or the destination is unusable."""
        ...


class EArkivFolder(Protocol):
    """E-arkiv through a folder a print station or the scanning team reads (R20)."""

    def prepare(self, job: PrintJob) -> tuple[Parcel, int]:
        """The job's PDF (cover sheet first) as a parcel not yet written, and its page count."""
        ...


@runtime_checkable
class EArkivQueue(Protocol):
    """E-arkiv through a print queue: a job submitted on hold, its id recorded, then resumed."""

    printer_name: str

    def submit(self, job: PrintJob, *, hold: bool = False) -> PrintResult:
        """Queue the job (held when `hold`); raises AdapterError when the printer refuses."""
        ...

    def resume(self, job_id: str) -> None:
        """Let a held job print."""
        ...

    def finished(self, job_id: str) -> bool:
        """Whether the queue lists the job as printed."""
        ...


#: E-arkiv is reached one of the two ways; the use case asks which (isinstance EArkivQueue).
EArkivPort = EArkivFolder | EArkivQueue


class DownloadsPort(Protocol):
    """Hämtade filer: where staff's own downloaded copies go (R18, R21)."""

    def folder(self) -> Path:
        """The folder in force now (the configured one, else the user's own Downloads)."""
        ...

    def save(
        self, src: Path, *, stem_hint: str, suffix: str, expected_sha256: str, name: str
    ) -> SavedCopy:
        """Copy a stored file into the folder under `name`, all or nothing."""
        ...

    def remove(self, path: Path, expected_sha256: str) -> RemoveResult:
        """Delete a copy, only if it still holds what was downloaded."""
        ...


class TrashPort(Protocol):
    """The desktop trash a deleted copy may sit in (R21)."""

    def find(self, sha256s: set[str], near: list[Path]) -> list[TrashedItem]:
        """Trashed files with one of these sums, in the home trash and the trashes of the
        disks that hold the folders in `near`."""
        ...

    def purge(self, item: TrashedItem) -> RemoveResult:
        """Delete a trashed file (only if unchanged) and its .trashinfo."""
        ...


class Handover(Protocol):
    """One send under a claim, in the steps services.claims records (FolderHandover,
    LpHandover): `ref` is what is recorded, `stage` makes it ready, `publish` hands it over."""

    ref: dict[str, object]

    def stage(self) -> dict[str, object]: ...

    def publish(self) -> object: ...

    def undo(self) -> None: ...


__all__ = [
    "DownloadsPort",
    "EArkivFolder",
    "EArkivPort",
    "EArkivQueue",
    "Handover",
    "PicsaraPort",
    "TrashPort",
]
