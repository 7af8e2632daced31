"""Picsara, the medical photo system: the adapter interface and its default, an import folder (R14, R15, R19).

`FolderPicsara` does not talk to Picsara and does not pretend to. It writes one DICOM file per image
(VL Photographic Image, JPEG Baseline; see dicom.py) into the "hot" folder that Picsara's DICOM
importer watches; the importer files the images under the patient (PatientID = 12-digit personal
identity number) in one study, one series per call.

- Labels (laterality → ImageLaterality, body site → ImageComments/SeriesDescription) travel inside
  each DICOM file. No sidecar labels.json is written: an importer that watches `*.dcm` has no use
  for it, and a stray file in a hot folder is one more thing to clean up.
- Files are named `<SOPInstanceUID>.dcm`: no patient data in file names.
- All or nothing per call, as far as a folder allows: every image is converted and checked first,
  then all are written as hidden temp files (`.<name>.dcm.<hex>.part`, which the importer ignores),
  then all are renamed; only a failure between two renames (rare) leaves the first ones imported.
  `prepare` returns those steps as a `handover.Parcel`, so the services layer can record each one
  and tell after a crash whether the image reached the folder.
- Each image's SHA-256 is checked against the one the app recorded at download (R21 tracking), so
  a copy that was changed after download is never imported.
- Pass `study_uid` (make one with `new_uid`) and store it, so later imports join the same study;
  without it each call makes a new study. UIDs use pydicom's root unless `uid_prefix` is given
  (a hospital should use its own registered root).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tui_app.adapters._fs import Folder, check_folder, read_downloaded
from tui_app.adapters.dicom import DicomIds, DicomLabels, build_dicom, laterality_code, person_name
from tui_app.adapters.errors import AdapterError
from tui_app.adapters.handover import Parcel, discard_all, publish_all, stage_all
from tui_app.adapters.jpeg import prepare_jpeg
from tui_app.core.clock import SWEDISH_TZ, Clock, SystemClock

__all__ = [
    "FolderPicsara",
    "PicsaraAdapter",
    "PicsaraImage",
    "PicsaraStudy",
    "make_picsara_adapter",
    "new_uid",
    "person_name",
]

DEFAULT_STUDY_DESCRIPTION = "Bilder inskickade av patienten via 1177"


@dataclass(frozen=True)
class PicsaraStudy:
    """The Picsara case (undersökning) the images go into."""

    patient_pnr12: str
    patient_name: str  # DICOM "Family^Given"; build it with person_name(family, given)
    unit_name: str
    case_number: str
    study_uid: str | None = None
    accession: str | None = None  # AccessionNumber; defaults to the case number
    study_description: str = DEFAULT_STUDY_DESCRIPTION


@dataclass(frozen=True)
class PicsaraImage:
    """One downloaded image file and the labels staff gave it."""

    path: Path  # a JPEG, PNG or GIF on disk
    laterality: str | None  # "höger", "vänster", "bilateralt", "ej parad" or None
    body_site: str | None
    sha256: str  # what the file held when it was downloaded


class PicsaraAdapter(Protocol):
    """Something that puts a patient's images into Picsara."""

    def import_images(self, study: PicsaraStudy, images: list[PicsaraImage]) -> list[Path]:
        """Import the images into the study; return where each one was written."""
        ...


def new_uid(prefix: str | None = None) -> str:
    """A fresh DICOM UID (for a study the caller wants to reuse later)."""
    from pydicom.uid import generate_uid

    return str(generate_uid(prefix=prefix) if prefix else generate_uid())


class FolderPicsara:
    """Picsara via its DICOM import ("hot") folder: one .dcm file per image."""

    def __init__(
        self,
        import_dir: Path,
        *,
        clock: Clock | None = None,
        uid_prefix: str | None = None,
        file_mode: int = 0o640,
    ) -> None:
        self.folder = Folder(import_dir, "för import till Picsara", "picsara_import_dir")
        self.clock: Clock = clock or SystemClock()
        self.uid_prefix = uid_prefix
        # Group-readable by default: the importer usually runs as a service account in the
        # folder's group. Set 0o600 where it runs as the same user.
        self.file_mode = file_mode

    def import_images(self, study: PicsaraStudy, images: list[PicsaraImage]) -> list[Path]:
        """Write one DICOM file per image into the import folder, all of them or none."""
        staged = stage_all(self.prepare(study, images))
        try:
            return publish_all(staged)
        except BaseException:
            discard_all(staged)
            raise

    def prepare(self, study: PicsaraStudy, images: list[PicsaraImage]) -> Parcel:
        """Convert and check every image and name its file; nothing is written yet.

        The services layer records the parcel's names before staging and publishing it
        (handover.py), so a crash halfway can be told apart from a finished import.
        """
        if not images:
            raise AdapterError("Välj minst en bild att spara i Picsara.")
        check_folder(self.folder)  # fail fast, before converting anything
        for image in images:
            laterality_code(image.laterality)  # an unknown label stops the batch up front
        when = self.clock.now().astimezone(SWEDISH_TZ)
        study_uid = study.study_uid or new_uid(self.uid_prefix)
        series_uid = new_uid(self.uid_prefix)
        files: list[tuple[str, bytes]] = []
        for number, image in enumerate(images, start=1):
            frame = prepare_jpeg(_read_verified(image), image.path.name)
            sop_uid = new_uid(self.uid_prefix)
            ids = DicomIds(study_uid, series_uid, sop_uid, series_number=1, instance_number=number)
            files.append((f"{sop_uid}.dcm", build_dicom(frame, _labels(study, image), ids, when)))
        return Parcel(self.folder, tuple(files), self.file_mode)


def make_picsara_adapter(import_dir: Path | None) -> PicsaraAdapter:
    """The import-folder adapter; AdapterError when no folder is configured (R15)."""
    if import_dir is None:
        raise AdapterError(
            "Picsara är inte inställt: ange picsara_import_dir (Picsaras importmapp) i "
            "inställningarna, eller be IT om hjälp."
        )
    return FolderPicsara(import_dir)


def _labels(study: PicsaraStudy, image: PicsaraImage) -> DicomLabels:
    return DicomLabels(
        patient_pnr12=study.patient_pnr12,
        patient_name=study.patient_name,
        unit_name=study.unit_name,
        case_number=study.case_number,
        accession=study.accession or study.case_number,
        study_description=study.study_description,
        laterality=image.laterality,
        body_site=image.body_site,
    )


def _read_verified(image: PicsaraImage) -> bytes:
    """The image file's bytes, if it still holds exactly what was downloaded."""
    return read_downloaded(
        image.path, image.sha256, noun="Bilden", it="den", not_done="sparades inte i Picsara"
    )
