"""Building one DICOM VL Photographic Image (JPEG Baseline, encapsulated) for Picsara's import folder (R19).

Choices worth knowing:
- Character set ISO_IR 192 (UTF-8): Swedish names and any other script survive.
- PatientID is the 12-digit personal identity number; PatientBirthDate comes from it (day - 60 for
  a samordningsnummer); PatientSex is left empty (Type 2) rather than guessed.
- Photometric Interpretation YBR_FULL_422: the value DICOM uses for JPEG Baseline YCbCr whatever
  the chroma subsampling (DICOM CP 1653).
- Body site: BodyPartExamined is a coded string (A-Z, 0-9, space, _; at most 16) and
  AnatomicRegionSequence needs codes, so free Swedish text fits neither. The text goes to
  ImageComments ("Kroppsdel: ...") and into SeriesDescription together with the laterality.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tui_app.adapters.errors import AdapterError
from tui_app.adapters.jpeg import JpegFrame
from tui_app.core.routine import Laterality

if TYPE_CHECKING:
    from pydicom.dataset import Dataset, FileMetaDataset

VL_PHOTOGRAPHIC_IMAGE = "1.2.840.10008.5.1.4.1.1.77.1.4"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
MODALITY = "XC"  # external-camera photography

#: Staff labels (R19) → DICOM ImageLaterality; the words and codes live in core/routine.
LATERALITY = {side.value: side.dicom for side in Laterality}


@dataclass(frozen=True)
class DicomIds:
    """The UIDs and numbers that place one image in its study and series."""

    study_uid: str
    series_uid: str
    sop_instance_uid: str
    series_number: int
    instance_number: int


@dataclass(frozen=True)
class DicomLabels:
    """Who and what the image is about, already in the app's words."""

    patient_pnr12: str
    patient_name: str  # DICOM PN, "Family^Given"
    unit_name: str
    case_number: str
    accession: str
    study_description: str
    laterality: str | None  # one of LATERALITY's keys
    body_site: str | None


def person_name(family: str, given: str) -> str:
    """A DICOM person name "Family^Given", with the separators ^ = \\ removed from the parts."""

    def part(text: str) -> str:
        return _clean(re.sub(r"[\^=\\]", " ", text), 64)

    return f"{part(family)}^{part(given)}"


def laterality_code(label: str | None) -> str | None:
    """The DICOM ImageLaterality code for a staff label, or AdapterError for an unknown label."""
    if label is None or not label.strip():
        return None
    code = LATERALITY.get(label.strip().lower())
    if code is None:
        choices = ", ".join(f"”{k}”" for k in LATERALITY)
        raise AdapterError(f"Märkningen ”{label}” känns inte igen. Välj en av {choices}.")
    return code


def birth_date(pnr12: str) -> str:
    """YYYYMMDD from a 12-digit personal identity number (coordination numbers: day minus 60)."""
    day = int(pnr12[6:8])
    return f"{pnr12[:6]}{day - 60 if day > 60 else day:02d}"


def _check_labels(labels: DicomLabels) -> None:
    """Refuse what Picsara cannot take: a number not of 12 digits, an id over 16 characters."""
    if not re.fullmatch(r"\d{12}", labels.patient_pnr12):
        raise AdapterError(f"Personnumret {labels.patient_pnr12} har inte 12 siffror.")
    for what, value in (("Ärendenumret", labels.case_number), ("Remissnumret", labels.accession)):
        if len(value) > 16:
            raise AdapterError(f"{what} {value} är för långt för Picsara (högst 16 tecken).")


def _file_meta(ids: DicomIds) -> FileMetaDataset:
    """The Part 10 file meta group: VL Photographic Image in JPEG Baseline, made by tui_app."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID

    from tui_app import __version__

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(VL_PHOTOGRAPHIC_IMAGE)
    meta.MediaStorageSOPInstanceUID = UID(ids.sop_instance_uid)
    meta.TransferSyntaxUID = UID(JPEG_BASELINE)
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "TUI_APP_" + __version__.replace(".", "")[:7]
    return meta


def _set_image(ds: Dataset, frame: JpegFrame, labels: DicomLabels, date: str, time: str) -> None:
    """The image module: type, side (R19), body site, compression, and the one JPEG frame."""
    from pydicom.encaps import encapsulate

    ds.ContentDate, ds.ContentTime = date, time
    ds.PatientOrientation = ""
    ds.ImageType = ["DERIVED" if frame.reencoded else "ORIGINAL", "PRIMARY"]
    if frame.reencoded:
        ds.DerivationDescription = f"Converted from {frame.source_format} to JPEG Baseline"
    code = laterality_code(labels.laterality)
    if code is not None:
        ds.ImageLaterality = code
    if labels.body_site and labels.body_site.strip():
        ds.ImageComments = _clean(f"Kroppsdel: {labels.body_site}", 10240)
    ds.AcquisitionContextSequence = []
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    # Pixels: one JPEG Baseline frame, encapsulated
    ds.Rows, ds.Columns = frame.rows, frame.columns
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.PixelRepresentation = 0
    ds.PixelData = encapsulate([frame.data])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True


def build_dicom(frame: JpegFrame, labels: DicomLabels, ids: DicomIds, when: datetime) -> bytes:
    """One complete DICOM Part 10 file (preamble, file meta, dataset) as bytes."""
    from pydicom.dataset import Dataset
    from pydicom.uid import UID

    from tui_app import __version__

    _check_labels(labels)
    ds = Dataset()
    ds.file_meta = _file_meta(ids)
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = UID(VL_PHOTOGRAPHIC_IMAGE)
    ds.SOPInstanceUID = UID(ids.sop_instance_uid)
    # Patient
    ds.PatientName = labels.patient_name
    ds.PatientID = labels.patient_pnr12
    ds.PatientBirthDate = birth_date(labels.patient_pnr12)
    ds.PatientSex = ""
    # Study
    date, time = when.strftime("%Y%m%d"), when.strftime("%H%M%S")
    ds.StudyInstanceUID = UID(ids.study_uid)
    ds.StudyDate, ds.StudyTime = date, time
    ds.StudyID = labels.case_number
    ds.AccessionNumber = labels.accession
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = _clean(labels.study_description, 64)
    # Series and equipment
    ds.Modality = MODALITY
    ds.SeriesInstanceUID = UID(ids.series_uid)
    ds.SeriesNumber = ids.series_number
    ds.SeriesDescription = _clean(_series_text(labels), 64)
    ds.InstitutionalDepartmentName = _clean(labels.unit_name, 64)
    ds.Manufacturer = ""
    ds.SoftwareVersions = f"tui_app {__version__}"
    # Image
    ds.InstanceNumber = ids.instance_number
    _set_image(ds, frame, labels, date, time)

    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def _series_text(labels: DicomLabels) -> str:
    parts = [p.strip() for p in (labels.body_site, labels.laterality) if p and p.strip()]
    return ", ".join(parts) or "Bild från patient"


def _clean(text: str, limit: int) -> str:
    """Text fit for a DICOM string: no control characters or backslash (the value separator)."""
    flat = re.sub(r"[\x00-\x1f\x7f]+", " ", text).replace("\\", "/")
    return flat.strip()[:limit]
