"""The composition root (issue 13 part 3): the settings are read and validated once, the outside
systems are Protocol objects on a typed Context, and a use case talks to whatever the context
holds, so a hospital can swap Picsara or E-arkiv and tests hand in fakes."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, staff
from tests.handling_fixtures import Places, case_with_files
from tui_app.adapters.downloads import RemoveResult, SavedCopy
from tui_app.adapters.earkiv import PrintJob, PrintResult
from tui_app.adapters.handover import Parcel
from tui_app.adapters.picsara import PicsaraImage, PicsaraStudy
from tui_app.config import Settings
from tui_app.core.errors import RuleViolation, UserError
from tui_app.services import handling
from tui_app.services.context import Context


class FakePicsara:
    """A Picsara that is no folder: it keeps what it was given and hands over into `into`."""

    def __init__(self, into: Path) -> None:
        self.into = into
        self.studies: list[tuple[PicsaraStudy, list[PicsaraImage]]] = []

    def prepare(self, study: PicsaraStudy, images: list[PicsaraImage]) -> Parcel:
        from tui_app.adapters._fs import Folder

        self.studies.append((study, images))
        return Parcel(Folder(self.into, "för test", "test"), (("bild.dcm", b"DICM"),), 0o600)


class FakeQueue:
    """A print queue that prints nothing: it remembers the jobs and when each was released."""

    printer_name = "fake-1"

    def __init__(self) -> None:
        self.jobs: list[tuple[PrintJob, bool]] = []
        self.resumed: list[str] = []

    def submit(self, job: PrintJob, *, hold: bool = False) -> PrintResult:
        self.jobs.append((job, hold))
        return PrintResult("skrivaren fake-1", 3, job_id=f"fake-1-{len(self.jobs)}")

    def resume(self, job_id: str) -> None:
        self.resumed.append(job_id)

    def finished(self, job_id: str) -> bool:
        return job_id in self.resumed


def test_r19_a_use_case_sends_to_the_picsara_on_the_context(
    ctx: Context, places: Places, tmp_path: Path
) -> None:
    _, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, img, True)
    handling.download(ctx, dan, img)
    fake = FakePicsara(tmp_path / "annan-picsara")
    fake.into.mkdir()
    ctx.picsara = fake
    handling.to_picsara(ctx, dan, img, "vänster", "handrygg")
    [(study, [image])] = fake.studies
    assert study.patient_pnr12 == "200001252386" and image.laterality == "vänster"
    assert (fake.into / "bild.dcm").read_bytes() == b"DICM"
    assert not list(places.picsara.iterdir())  # the configured folder was never used


def test_r15_no_picsara_on_the_context_is_the_rule_s_refusal(ctx: Context, places: Places) -> None:
    _, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, img, True)
    handling.download(ctx, dan, img)
    ctx.picsara = None
    with pytest.raises(RuleViolation, match="inte konfigurerat") as e:
        handling.to_picsara(ctx, dan, img, "vänster", None)
    assert e.value.rule == "R15"


def test_r20_a_use_case_prints_through_the_queue_on_the_context(
    ctx: Context, places: Places
) -> None:
    _, _, pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, pdf, True)
    handling.download(ctx, dan, pdf)
    queue = FakeQueue()
    ctx.earkiv = queue
    said = handling.print_earkiv(ctx, dan, pdf)
    [(job, held)] = queue.jobs
    assert held and queue.resumed == ["fake-1-1"]  # queued on hold, recorded, then released
    assert job.case_number and "skrivaren fake-1" in said.where and said.pages == 3, said
    assert not list(places.earkiv.iterdir())


def test_r20_no_e_arkiv_on_the_context_is_explained(ctx: Context, places: Places) -> None:
    _, _, pdf = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    handling.decide(ctx, dan, pdf, True)
    handling.download(ctx, dan, pdf)
    ctx.earkiv = None
    with pytest.raises(UserError, match="earkiv_printer .* earkiv_folder"):
        handling.print_earkiv(ctx, dan, pdf)


class FakeDownloads:
    """Hämtade filer somewhere else, counting what it was asked."""

    def __init__(self, folder: Path) -> None:
        self.where = folder
        self.saved: list[str] = []
        self.removed: list[Path] = []

    def folder(self) -> Path:
        return self.where

    def save(
        self, src: Path, *, stem_hint: str, suffix: str, expected_sha256: str, name: str
    ) -> SavedCopy:
        from tui_app.adapters.downloads import save_copy

        self.saved.append(name)
        return save_copy(
            src,
            self.where,
            stem_hint=stem_hint,
            suffix=suffix,
            expected_sha256=expected_sha256,
            name=name,
        )

    def remove(self, path: Path, expected_sha256: str) -> RemoveResult:
        from tui_app.adapters.downloads import remove_copy

        self.removed.append(path)
        return remove_copy(path, expected_sha256)


def test_r18_r21_downloads_and_cleanup_go_through_the_downloads_on_the_context(
    ctx: Context, places: Places, tmp_path: Path
) -> None:
    _, img, _ = case_with_files(ctx)
    dan = staff(ctx, "danan12")
    elsewhere = FakeDownloads(tmp_path / "nedladdat")
    elsewhere.where.mkdir(mode=0o700)
    ctx.downloads = elsewhere
    path = handling.download(ctx, dan, img)
    assert path.parent == elsewhere.where and elsewhere.saved == [path.name]
    report = handling.cleanup(ctx, dan, img)
    assert report.clean and elsewhere.removed == [path] and not path.exists()


def test_the_bootstrap_builds_the_configured_outside_systems(tmp_path: Path) -> None:
    from tui_app.adapters.earkiv import FolderPrinter, LpPrinter
    from tui_app.adapters.picsara import FolderPicsara
    from tui_app.bootstrap import outside_systems

    assert outside_systems(Settings(data_dir=tmp_path)) == (None, None)
    picsara, earkiv = outside_systems(
        Settings(data_dir=tmp_path, picsara_import_dir=tmp_path / "p", earkiv_folder=tmp_path)
    )
    assert isinstance(picsara, FolderPicsara) and picsara.folder.path == tmp_path / "p"
    assert isinstance(earkiv, FolderPrinter)
    _, printer = outside_systems(
        Settings(data_dir=tmp_path, earkiv_printer="skanning-1", earkiv_folder=tmp_path)
    )
    assert isinstance(printer, LpPrinter) and printer.printer_name == "skanning-1"


def test_a_demo_never_gets_the_configured_picsara_or_printer(tmp_path: Path) -> None:
    from tui_app.adapters.earkiv import FolderPrinter
    from tui_app.adapters.picsara import FolderPicsara
    from tui_app.cli import make_demo_context

    configured = Settings(
        data_dir=tmp_path, picsara_import_dir=tmp_path / "riktig", earkiv_printer="riktig-1"
    )
    ctx = make_demo_context(tmp_path / "demo", settings=configured)
    try:
        assert isinstance(ctx.picsara, FolderPicsara) and isinstance(ctx.earkiv, FolderPrinter)
        assert ctx.picsara.folder.path == tmp_path / "demo" / "picsara-import"
        assert ctx.earkiv.folder.path == tmp_path / "demo" / "e-arkiv-utskrifter"
        assert ctx.config.earkiv_printer is None and ctx.notice and ctx.demo_dir is not None
    finally:
        ctx.engine.dispose()


def test_the_context_is_typed_and_its_settings_cannot_be_patched(ctx: Context) -> None:
    assert not hasattr(ctx, "settings")  # no dict of loose values any more
    assert isinstance(ctx.config, Settings)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.config.picsara_import_dir = Path("/tmp")  # type: ignore[misc]  # the point


def test_the_bootstrap_and_the_cli_import_nothing_heavy() -> None:
    code = (
        "import sys, tui_app.cli, tui_app.bootstrap, tui_app.services.context;"
        "print(sorted(m for m in ('pydantic', 'sqlalchemy', 'sqlmodel', 'PIL', 'pydicom',"
        " 'textual', 'tui_app.adapters.picsara') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "TUI_APP_CONFIG": ""},
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_ui_thread_gets_the_interpreter_back_sooner_while_the_data_layer_loads() -> None:
    """While the data layer loads in its thread, the switch interval is 1 ms (the UI thread
    waits less for the interpreter each time it wakes); the default returns after loading."""
    import sys
    import threading

    from tui_app.commands.app import _responsive_while_loading

    loaded = threading.Event()

    class Loading:
        @property
        def engine(self) -> object:
            loaded.wait(60)
            return object()

    default = sys.getswitchinterval()
    try:
        _responsive_while_loading(Loading())  # type: ignore[arg-type]
        assert sys.getswitchinterval() <= 0.001
        loaded.set()
        waiter = next(t for t in threading.enumerate() if t.name == "tui_app-switch-interval")
        waiter.join(60)
        assert sys.getswitchinterval() == default
    finally:
        sys.setswitchinterval(default)
