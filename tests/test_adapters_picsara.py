"""Picsara's import folder: one DICOM VL Photographic Image per image, labels inside (R14, R15, R19)."""

from __future__ import annotations

import errno
import hashlib
import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from tui_app.adapters import jpeg
from tui_app.adapters.dicom import birth_date
from tui_app.adapters.errors import AdapterError
from tui_app.adapters.picsara import (
    FolderPicsara,
    PicsaraImage,
    PicsaraStudy,
    make_picsara_adapter,
    new_uid,
    person_name,
)
from tui_app.core.clock import FixedClock

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

PNR = "199002222397"
CLOCK = FixedClock(datetime(2026, 6, 4, 7, 48, tzinfo=UTC))  # 09:48 in Sweden


def study(**kw: object) -> PicsaraStudy:
    base: dict[str, object] = {
        "patient_pnr12": PNR,
        "patient_name": person_name("Andersson", "Anna Åsa"),
        "unit_name": "Reumatologi - testenhet för 1177, Skövde",
        "case_number": "123",
    }
    base.update(kw)
    return PicsaraStudy(**base)  # type: ignore[arg-type]


def image(path: Path, laterality: str | None = None, body_site: str | None = None) -> PicsaraImage:
    return PicsaraImage(path, laterality, body_site, hashlib.sha256(path.read_bytes()).hexdigest())


def save(img: Image.Image, path: Path, **kw: Any) -> Path:
    img.save(path, **kw)
    return path


def hot(tmp_path: Path) -> Path:
    d = tmp_path / "picsara-import"
    d.mkdir()
    return d


def frame_of(ds: Dataset) -> bytes:
    from pydicom.encaps import generate_frames

    return next(generate_frames(ds.PixelData, number_of_frames=1))


def read(path: Path) -> Dataset:
    import pydicom

    return pydicom.dcmread(path)


def test_r19_dicom_laterality_and_patient_id(tmp_path: Path) -> None:
    png = save(Image.new("RGB", (64, 48), (200, 30, 30)), tmp_path / "a.png")
    jpg = save(Image.new("RGB", (40, 30), (20, 90, 200)), tmp_path / "b.jpg", quality=90)
    gif = save(Image.new("P", (16, 12), 3), tmp_path / "c.gif")
    png2 = save(Image.new("L", (8, 8), 128), tmp_path / "d.png")
    images = [
        image(png, "höger", "Underarm"),
        image(jpg, "vänster"),
        image(gif, "bilateralt"),
        image(png2, "ej parad", "Rygg"),
    ]

    paths = FolderPicsara(hot(tmp_path), clock=CLOCK).import_images(study(), images)

    assert len(paths) == 4 and all(p.suffix == ".dcm" for p in paths)
    sets = [read(p) for p in paths]
    for ds, img, size in zip(sets, images, [(64, 48), (40, 30), (16, 12), (8, 8)], strict=True):
        assert ds.file_meta.MediaStorageSOPClassUID == "1.2.840.10008.5.1.4.1.1.77.1.4"
        assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.77.1.4" and ds.Modality == "XC"
        assert ds.PatientID == PNR and str(ds.PatientName) == "Andersson^Anna Åsa"
        assert ds.PatientName.family_name == "Andersson" and ds.PatientBirthDate == "19900222"
        assert ds.AccessionNumber == "123" and ds.StudyID == "123"
        assert ds.InstitutionalDepartmentName == "Reumatologi - testenhet för 1177, Skövde"
        assert ds.StudyDescription and ds.StudyDate == "20260604" and ds.StudyTime == "094800"
        assert (ds.Columns, ds.Rows) == size
        assert ds.SamplesPerPixel == 3 and ds.PhotometricInterpretation == "YBR_FULL_422"
        assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation) == (8, 8, 7, 0)
        decoded = Image.open(io.BytesIO(frame_of(ds)))  # pydicom's frame, Pillow's decoder
        assert decoded.format == "JPEG" and decoded.size == size
        assert paths[sets.index(ds)].name == f"{ds.SOPInstanceUID}.dcm"
    assert [ds.ImageLaterality for ds in sets] == ["R", "L", "B", "U"]
    assert sets[0].ImageComments == "Kroppsdel: Underarm"
    assert sets[0].SeriesDescription == "Underarm, höger"
    assert "ImageComments" not in sets[1]
    assert len({ds.StudyInstanceUID for ds in sets}) == 1
    assert len({ds.SeriesInstanceUID for ds in sets}) == 1
    assert len({ds.SOPInstanceUID for ds in sets}) == 4
    assert [ds.InstanceNumber for ds in sets] == [1, 2, 3, 4]


def test_r19_pixel_data_decodes_with_pydicom_and_pillow(tmp_path: Path) -> None:
    png = save(Image.new("RGB", (30, 20), (0, 200, 0)), tmp_path / "g.png")
    [path] = FolderPicsara(hot(tmp_path)).import_images(study(), [image(png)])
    ds = read(path)
    pixels = Image.open(io.BytesIO(frame_of(ds))).convert("RGB")
    r, g, b = pixels.getpixel((15, 10))  # type: ignore[misc]
    assert g > 180 and r < 30 and b < 30


def test_r19_baseline_jpeg_kept_byte_for_byte_without_metadata(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "SecretApp"  # Software
    src = save(
        Image.new("RGB", (32, 24), (10, 200, 10)),
        tmp_path / "p.jpg",
        quality=85,
        exif=exif.tobytes(),
    )
    data = src.read_bytes()
    src.write_bytes(data + b"PK\x03\x04 an appended zip")  # trailing bytes after EOI
    [path] = FolderPicsara(hot(tmp_path)).import_images(study(), [image(src)])
    ds = read(path)
    frame = frame_of(ds).rstrip(b"\0")
    sos = data.index(b"\xff\xda")
    assert frame.endswith(data[sos:])  # the image data itself is untouched, ending at EOI
    assert b"PhoneMaker" not in frame and b"Exif" not in frame
    assert list(ds.ImageType) == ["ORIGINAL", "PRIMARY"]


def test_r19_progressive_jpeg_is_reencoded_as_baseline(tmp_path: Path) -> None:
    src = save(Image.new("RGB", (40, 40), (90, 90, 9)), tmp_path / "p.jpg", progressive=True)
    [path] = FolderPicsara(hot(tmp_path)).import_images(study(), [image(src)])
    ds = read(path)
    header = jpeg.read_header(frame_of(ds))
    assert header.sof_marker == jpeg.SOF0 and header.precision == 8
    assert list(ds.ImageType) == ["DERIVED", "PRIMARY"] and "JPEG" in ds.DerivationDescription


def test_r19_exif_rotation_is_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    src = save(Image.new("RGB", (60, 20)), tmp_path / "r.jpg", exif=exif.tobytes())
    [path] = FolderPicsara(hot(tmp_path)).import_images(study(), [image(src)])
    ds = read(path)
    assert (ds.Columns, ds.Rows) == (20, 60)


def test_r19_transparent_png_and_animated_gif(tmp_path: Path) -> None:
    png = save(Image.new("RGBA", (10, 10), (0, 0, 0, 0)), tmp_path / "t.png")
    frames = [Image.new("P", (12, 10), i) for i in (1, 2)]
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100)
    paths = FolderPicsara(hot(tmp_path)).import_images(study(), [image(png), image(gif)])
    white = Image.open(io.BytesIO(frame_of(read(paths[0])))).convert("RGB").getpixel((5, 5))
    assert min(white) > 240  # type: ignore[arg-type]
    assert (read(paths[1]).Columns, read(paths[1]).Rows) == (12, 10)


def test_r14_pdf_never_goes_to_picsara(tmp_path: Path) -> None:
    fake = tmp_path / "document.jpg"
    fake.write_bytes(b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    folder = hot(tmp_path)
    with pytest.raises(AdapterError, match="PDF sparas aldrig i Picsara.*E-arkiv"):
        FolderPicsara(folder).import_images(study(), [image(fake)])
    assert os.listdir(folder) == []


@pytest.mark.parametrize("content", [b"RIFF\x10\x00\x00\x00WEBPVP8 ", b"\xff\xd8\xff\xe0garbage"])
def test_r19_non_image_or_broken_image_is_refused(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(content)
    with pytest.raises(AdapterError, match="Picsara"):
        FolderPicsara(hot(tmp_path)).import_images(study(), [image(bad)])


def test_r19_one_bad_image_means_nothing_is_imported(tmp_path: Path) -> None:
    good = save(Image.new("RGB", (8, 8)), tmp_path / "ok.png")
    broken = tmp_path / "broken.png"
    broken.write_bytes(good.read_bytes()[:30])
    folder = hot(tmp_path)
    with pytest.raises(AdapterError, match="broken.png"):
        FolderPicsara(folder).import_images(study(), [image(good), image(broken)])
    assert os.listdir(folder) == []


def test_r19_changed_or_missing_download_is_not_imported(tmp_path: Path) -> None:
    src = save(Image.new("RGB", (8, 8)), tmp_path / "x.png")
    img = image(src)
    src.write_bytes(src.read_bytes() + b"tampered")
    folder = hot(tmp_path)
    with pytest.raises(AdapterError, match="har ändrats sedan den hämtades"):
        FolderPicsara(folder).import_images(study(), [img])
    src.unlink()
    with pytest.raises(AdapterError, match="finns inte längre"):
        FolderPicsara(folder).import_images(study(), [img])
    assert os.listdir(folder) == []


def test_r19_unknown_label_is_refused(tmp_path: Path) -> None:
    src = save(Image.new("RGB", (8, 8)), tmp_path / "x.png")
    with pytest.raises(AdapterError, match="känns inte igen.*höger"):
        FolderPicsara(hot(tmp_path)).import_images(study(), [image(src, "mitten")])


def test_r15_vanished_import_folder(tmp_path: Path) -> None:
    src = save(Image.new("RGB", (8, 8)), tmp_path / "x.png")
    folder = hot(tmp_path)
    adapter = FolderPicsara(folder)
    folder.rmdir()  # e.g. the network share was unmounted
    with pytest.raises(AdapterError) as err:
        adapter.import_images(study(), [image(src)])
    assert "finns inte" in err.value.message_sv and "picsara_import_dir" in err.value.message_sv
    with pytest.raises(AdapterError, match="minst en bild"):
        adapter.import_images(study(), [])


def test_r15_picsara_must_be_configured(tmp_path: Path) -> None:
    assert isinstance(make_picsara_adapter(tmp_path), FolderPicsara)
    with pytest.raises(AdapterError, match="Picsara är inte inställt.*picsara_import_dir"):
        make_picsara_adapter(None)


def test_r19_disk_full_in_import_folder_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    imgs = [image(save(Image.new("RGB", (8, 8)), tmp_path / f"{i}.png")) for i in range(3)]
    folder = hot(tmp_path)
    real_write = os.write
    calls = [0]

    def full(fd: int, data: bytes) -> int:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder)):
            calls[0] += 1
            if calls[0] == 2:  # the second file
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(AdapterError, match="Disken är full"):
        FolderPicsara(folder).import_images(study(), imgs)
    assert calls[0] == 2 and os.listdir(folder) == []


def test_r19_temp_files_are_invisible_to_the_importer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = hot(tmp_path)
    seen: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        seen.extend(os.listdir(folder))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    imgs = [image(save(Image.new("RGB", (8, 8)), tmp_path / f"{i}.png")) for i in range(2)]
    paths = FolderPicsara(folder, file_mode=0o600).import_images(study(), imgs)
    temps = {n for n in seen if not n.endswith(".dcm")}
    assert temps and all(n.startswith(".") and n.endswith(".part") for n in temps)
    assert sorted(os.listdir(folder)) == sorted(p.name for p in paths)
    assert all(os.stat(p).st_mode & 0o777 == 0o600 for p in paths)


def test_r19_a_later_import_joins_the_same_study(tmp_path: Path) -> None:
    src = save(Image.new("RGB", (8, 8)), tmp_path / "x.png")
    uid = new_uid()
    adapter = FolderPicsara(hot(tmp_path))
    [a] = adapter.import_images(study(study_uid=uid, accession="REM-9"), [image(src)])
    [b] = adapter.import_images(study(study_uid=uid), [image(src)])
    da, db = read(a), read(b)
    assert da.StudyInstanceUID == db.StudyInstanceUID == uid
    assert da.SeriesInstanceUID != db.SeriesInstanceUID
    assert da.AccessionNumber == "REM-9" and db.AccessionNumber == "123"


def test_r19_names_and_numbers(tmp_path: Path) -> None:
    assert person_name("Af^Ström", "Lo=Bo\\x") == "Af Ström^Lo Bo x"
    assert birth_date("196109732393") == "19610913"  # samordningsnummer: day + 60
    src = save(Image.new("RGB", (8, 8)), tmp_path / "x.png")
    with pytest.raises(AdapterError, match="12 siffror"):
        FolderPicsara(hot(tmp_path)).import_images(study(patient_pnr12="9002222397"), [image(src)])
