"""Papperskorgen and leftover copies: found by checksum wherever they are, and deleted (R21)."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

import pytest

from tui_app.adapters import _fs, leftovers, trash
from tui_app.adapters.downloads import RemoveStatus, save_copy
from tui_app.adapters.leftovers import delete, scan, scan_report
from tui_app.adapters.trash import find_in_trash, purge, trash_dir

PATIENT = b"\xff\xd8patient photo bytes\xff\xd9"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_in_trash(trash: Path, name: str, data: bytes, original: str) -> Path:
    """Trash a file the way a file manager does: info first, then the file."""
    (trash / "files").mkdir(parents=True, exist_ok=True)
    (trash / "info").mkdir(parents=True, exist_ok=True)
    (trash / "info" / f"{name}.trashinfo").write_text(
        f"[Trash Info]\nPath={original}\nDeletionDate=2026-06-04T09:50:00\n", encoding="utf-8"
    )
    p = trash / "files" / name
    p.write_bytes(data)
    return p


def test_r21_trash_dir_follows_xdg_data_home(tmp_path: Path) -> None:
    assert trash_dir({"XDG_DATA_HOME": str(tmp_path / "d")}) == tmp_path / "d" / "Trash"
    assert trash_dir({"HOME": str(tmp_path)}) == tmp_path / ".local" / "share" / "Trash"
    assert trash_dir({"XDG_DATA_HOME": "rel"}, home=tmp_path) == tmp_path / ".local/share/Trash"


def test_r21_trash_copy_found_and_purged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    t = trash_dir()
    copy = put_in_trash(
        t,
        "1177-arm-0a1b2c3d.jpg",
        PATIENT,
        "/home/danan12/H%C3%A4mtade%20filer/1177-arm-0a1b2c3d.jpg",
    )
    other = put_in_trash(t, "semester.jpg", b"not a patient file", "/home/danan12/semester.jpg")

    items = find_in_trash({sha(PATIENT)}, t)

    assert [i.path for i in items] == [copy]
    assert items[0].original_path == "/home/danan12/Hämtade filer/1177-arm-0a1b2c3d.jpg"
    assert items[0].info_path == t / "info" / "1177-arm-0a1b2c3d.jpg.trashinfo"
    result = purge(items[0])
    assert result.status is RemoveStatus.DELETED
    assert not copy.exists() and not items[0].info_path.exists()
    assert other.exists() and (t / "info" / "semester.jpg.trashinfo").exists()


def test_r21_trash_skips_symlinks_and_folders(tmp_path: Path) -> None:
    t = tmp_path / "Trash"
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(PATIENT)
    (t / "files" / "a-folder").mkdir(parents=True)
    (t / "files" / "a-folder" / "inside.jpg").write_bytes(PATIENT)
    (t / "files" / "link.jpg").symlink_to(outside)
    (t / "files" / "dirlink").symlink_to(tmp_path)
    assert find_in_trash({sha(PATIENT)}, t) == []
    assert find_in_trash({sha(PATIENT)}, tmp_path / "no-trash-here") == []


def test_r21_purge_keeps_a_trashed_file_that_changed(tmp_path: Path) -> None:
    t = tmp_path / "Trash"
    p = put_in_trash(t, "x.jpg", PATIENT, "/x.jpg")
    [item] = find_in_trash({sha(PATIENT)}, t)
    p.write_bytes(b"something else now")
    assert purge(item).status is RemoveStatus.CHANGED
    assert p.exists() and item.info_path.exists()


def test_r21_volume_trashes_per_spec(tmp_path: Path) -> None:
    uid = os.getuid()
    top = tmp_path
    (top / f".Trash-{uid}").mkdir()
    assert trash._volume_trashes(top) == [top / f".Trash-{uid}"]
    (top / ".Trash" / str(uid)).mkdir(parents=True)
    assert trash._volume_trashes(top) == [top / f".Trash-{uid}"]  # .Trash without sticky bit
    os.chmod(top / ".Trash", 0o1777)
    assert trash._volume_trashes(top) == [top / ".Trash" / str(uid), top / f".Trash-{uid}"]


def make_downloads(tmp_path: Path) -> tuple[Path, Path]:
    dl = tmp_path / "Hämtade filer"
    (dl / "sub" / "deeper").mkdir(parents=True)
    src = tmp_path / "store.jpg"
    src.write_bytes(PATIENT)
    return dl, src


def test_r21_scan_finds_copies_in_downloads_and_trash(tmp_path: Path) -> None:
    dl, src = make_downloads(tmp_path)
    t = tmp_path / "Trash"
    top = save_copy(src, dl, stem_hint="arm", suffix="jpg").path
    renamed = dl / "sub" / "renamed by user.jpg"
    renamed.write_bytes(PATIENT)
    (dl / "sub" / "deeper" / "too-deep.jpg").write_bytes(PATIENT)  # beyond one level: by design
    (dl / "link.jpg").symlink_to(top)  # not followed, not reported twice
    (dl / "unrelated.pdf").write_bytes(b"%PDF-1.4 other")
    trashed = put_in_trash(t, "1177-arm.jpg", PATIENT, "/x")

    found = scan([dl], {sha(PATIENT)}, trash=[t])

    by_path = {f.path: f for f in found}
    assert set(by_path) == {top, renamed, trashed}
    assert by_path[top].where == "Hämtade filer" and by_path[renamed].where == "Hämtade filer"
    assert by_path[trashed].where == "Papperskorgen"
    assert by_path[trashed].info_path == t / "info" / "1177-arm.jpg.trashinfo"


def test_r21_scan_size_prefilter_skips_hashing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dl, src = make_downloads(tmp_path)
    copy = save_copy(src, dl, stem_hint="arm", suffix="jpg").path
    (dl / "big.iso").write_bytes(b"\0" * 4096)
    hashed: list[Path] = []
    real = _fs.digest_regular_file

    def spy(path: Path) -> _fs.Digest | None:
        hashed.append(Path(path))
        return real(path)

    monkeypatch.setattr(_fs, "digest_regular_file", spy)
    found = scan([dl], {sha(PATIENT)}, sizes={len(PATIENT)}, trash=[])
    assert [f.path for f in found] == [copy]
    assert hashed == [copy]
    assert scan([dl], {sha(PATIENT)}, sizes={1}, trash=[]) == []


def test_r21_unreadable_file_is_reported_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As root nothing is unreadable by mode, so make one file fail to open.
    dl, src = make_downloads(tmp_path)
    copy = save_copy(src, dl, stem_hint="arm", suffix="jpg").path
    locked = dl / "locked.jpg"
    locked.write_bytes(b"?")
    real = _fs.digest_regular_file

    def deny(path: Path) -> _fs.Digest | None:
        if Path(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(path)

    monkeypatch.setattr(_fs, "digest_regular_file", deny)
    report = scan_report([dl, tmp_path / "missing"], {sha(PATIENT)}, trash=[tmp_path / "none"])
    assert [f.path for f in report.found] == [copy]
    assert report.unreadable == [locked] and not report.proven_clean


def test_r21_interrupted_download_temp_is_a_leftover(tmp_path: Path) -> None:
    dl, _ = make_downloads(tmp_path)
    part = dl / ".1177-arm-0a1b2c3d.jpg.9f8e7d6c.part"
    part.write_bytes(PATIENT[:5])  # half a patient file: no checksum would match
    [found] = scan([dl], {sha(PATIENT)}, trash=[])
    assert found.path == part and found.partial
    assert delete([found])[0].status is RemoveStatus.DELETED and not part.exists()


def test_r21_delete_cleans_everything_and_scan_proves_it(tmp_path: Path) -> None:
    dl, src = make_downloads(tmp_path)
    t = tmp_path / "Trash"
    save_copy(src, dl, stem_hint="arm", suffix="jpg")
    put_in_trash(t, "1177-arm.jpg", PATIENT, "/x")
    changed = dl / "sub" / "edited.jpg"
    changed.write_bytes(PATIENT)
    found = scan([dl], {sha(PATIENT)}, trash=[t])
    changed.write_bytes(b"user edited it after the scan")

    results = delete(found)

    statuses = sorted(r.status.value for r in results)
    assert statuses == ["changed", "deleted", "deleted"]
    assert changed.exists()  # never deleted without saying so
    assert os.listdir(t / "files") == [] and os.listdir(t / "info") == []
    changed.unlink()
    assert scan_report([dl], {sha(PATIENT)}, trash=[t]).proven_clean
    assert [r.status for r in delete(found)].count(RemoveStatus.ALREADY_GONE) == 3


def test_r21_delete_reports_a_failure_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dl, src = make_downloads(tmp_path)
    a = save_copy(src, dl, stem_hint="a", suffix="jpg").path
    b = save_copy(src, dl, stem_hint="b", suffix="jpg").path
    found = sorted(scan([dl], {sha(PATIENT)}, trash=[]), key=lambda f: f.path.name)
    real_unlink = os.unlink

    def busy(path: object, *args: object, **kw: object) -> None:
        if Path(str(path)) == a:
            raise PermissionError(errno.EACCES, "Permission denied")
        real_unlink(path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", busy)
    results = delete(found)
    assert [r.status for r in results] == [RemoveStatus.FAILED, RemoveStatus.DELETED]
    assert "kunde inte raderas" in results[0].message_sv
    assert a.exists() and not b.exists()


def test_r21_default_trash_comes_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    dl, _ = make_downloads(tmp_path)
    p = put_in_trash(tmp_path / "data" / "Trash", "a.jpg", PATIENT, "/a.jpg")
    assert [f.path for f in leftovers.scan([dl], {sha(PATIENT)})] == [p]
    assert stat.S_ISREG(p.lstat().st_mode)
