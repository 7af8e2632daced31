"""R09/R11 on the staging path: odd file names, unreadable files, no empty staging folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests import intake_fixtures as fx
from tests.conftest import ELIN, patient, send
from tui_app.core.errors import UserError
from tui_app.intake import reasons
from tui_app.services import files
from tui_app.services.context import Context
from tui_app.services.conversation import patient_reply
from tui_app.store.models import Attachment


def _named(folder: Path, raw_name: bytes, data: bytes) -> Path:
    """A file whose name is the given bytes (not necessarily UTF-8)."""
    path = os.path.join(os.fsencode(folder), raw_name)
    with open(path, "wb") as f:
        f.write(data)
    return Path(os.fsdecode(path))


@pytest.mark.parametrize(
    "raw_name, shown",
    [
        (b"bad\xff\xfe.jpg", "bad\ufffd\ufffd.jpg"),
        ("été.jpg".encode("latin-1"), "\ufffdt\ufffd.jpg"),
    ],
)
def test_r11_file_name_that_is_not_utf8_is_stored_safely_and_sent(
    ctx: Context, tmp_path: Path, raw_name: bytes, shown: str
) -> None:
    number = send(ctx)
    src = _named(tmp_path, raw_name, fx.jpeg())
    staged = files.stage_file(ctx, src)
    assert staged.accepted, staged.reason
    assert staged.original_name == shown
    assert staged.display_name == shown
    patient_reply(ctx, patient(ctx, ELIN), number, "Här är bilden", [staged])
    with Session(ctx.engine) as s:
        names = s.exec(select(Attachment.original_name)).all()
    assert names == [shown]
    shown.encode("utf-8")  # storable and sendable anywhere


def test_r11_a_failed_send_can_be_retried_with_the_same_files(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = send(ctx)
    staged = files.stage_file(ctx, fx.write(tmp_path, "a.jpg", fx.jpeg()))
    real_add = Session.add

    def failing_add(self: Session, obj: object, *a: object, **kw: object) -> None:
        if isinstance(obj, Attachment):
            raise RuntimeError("database went away")
        real_add(self, obj, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Session, "add", failing_add)
    with pytest.raises(RuntimeError):
        patient_reply(ctx, patient(ctx, ELIN), number, "Hej", [staged])
    monkeypatch.setattr(Session, "add", real_add)
    # The staged file is back where it was: the retry does not say "har ändrats".
    patient_reply(ctx, patient(ctx, ELIN), number, "Hej", [staged])
    with Session(ctx.engine) as s:
        assert len(s.exec(select(Attachment)).all()) == 1


def test_r09_unreadable_file_is_told_about_its_permissions(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = fx.write(tmp_path, "låst.jpg", fx.jpeg())
    src.chmod(0)
    if os.access(src, os.R_OK):  # root reads anything: give the worker's open the same answer
        from tui_app.intake import worker

        def denied(*a: object, **kw: object) -> int:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(worker.os, "open", denied)
        v = worker.read_file(str(src))
        monkeypatch.undo()
        assert not isinstance(v, bytes) and v.reason == reasons.NO_PERMISSION
        return
    staged = files.stage_file(ctx, src)
    assert not staged.accepted and staged.reason == reasons.NO_PERMISSION


def test_r09_permission_reason_says_permissions() -> None:
    assert "behörighet" in reasons.NO_PERMISSION
    assert "öppen eller låst" not in reasons.NO_PERMISSION


def test_r09_refused_files_leave_no_empty_staging_folder(ctx: Context, tmp_path: Path) -> None:
    bad = fx.write(tmp_path, "trasig.png", fx.png()[:-20])
    staged = files.stage_file(ctx, bad)
    assert not staged.accepted
    root = ctx.data_dir / "staging"
    assert not root.exists() or list(root.iterdir()) == []
    missing = files.stage_file(ctx, tmp_path / "finns-inte.jpg")
    assert not missing.accepted
    assert not root.exists() or list(root.iterdir()) == []


def test_r09_removing_the_last_staged_file_leaves_no_folder(ctx: Context, tmp_path: Path) -> None:
    good = files.stage_file(ctx, fx.write(tmp_path, "ok.jpg", fx.jpeg()))
    files.discard_staged(ctx, good)
    root = ctx.data_dir / "staging"
    assert not root.exists() or list(root.iterdir()) == []


def test_r11_user_error_for_changed_file_still_raised(ctx: Context, tmp_path: Path) -> None:
    number = send(ctx)
    staged = files.stage_file(ctx, fx.write(tmp_path, "b.jpg", fx.jpeg()))
    assert staged.stored_path is not None
    staged.stored_path.write_bytes(b"changed")
    with pytest.raises(UserError, match="har ändrats"):
        patient_reply(ctx, patient(ctx, ELIN), number, "Hej", [staged])
