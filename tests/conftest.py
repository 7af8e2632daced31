"""Shared fixtures: a fresh SQLite database per test with the demo people loaded, and a fixed clock."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui_app.core.clock import FixedClock
from tui_app.services.context import Context, close_context, open_context
from tui_app.services.identity import Actor, patient_actor, staff_by_login
from tui_app.services.seed import load_file
from tui_app.store.db import sqlite_url

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo.json"
SHARED = ROOT.parent / "shared"

# Demo people (data/demo.json)
ANNA = "199002222397"  # activated, relations with all units
ELIN = "200001252386"
MARCO = "196109732393"  # samordningsnummer
SARA = "198505152382"  # not activated on 1177
JOHAN = "197803082374"  # no care relation with Reumatologi


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The access log's key and checkpoints (XDG state dir) never land in the real home."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture(autouse=True)
def _no_periodic_refresh(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Pilot test never meets the inbox's 30-second refresh timer: on a loaded machine a long
    test would otherwise see a refresh arrive at a moment of the timer's choosing."""
    if inspect.iscoroutinefunction(getattr(request, "function", None)):
        monkeypatch.setattr("tui_app.ui.screens.inbox.REFRESH_SECONDS", 24 * 3600, raising=False)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 6, 4, 7, 48, tzinfo=UTC))  # 09:48 Swedish summer time


@pytest.fixture
def ctx(tmp_path: Path, clock: FixedClock, request: pytest.FixtureRequest) -> Context:
    from tests import pg

    if pg.enabled():
        # PostgreSQL: a fresh database per test, copied from a migrated, loaded template.
        url = pg.fresh_database(request)
        c = open_context(url, tmp_path / "data", clock=clock)
        yield c
        close_context(c)
        pg.drop_database(url)
        return
    c = open_context(sqlite_url(tmp_path / "t.sqlite"), tmp_path / "data", clock=clock)
    load_file(c, DEMO, with_cases=False)
    yield c
    close_context(c)


def staff(ctx: Context, login: str) -> Actor:
    return staff_by_login(ctx, login)


def unit_id(actor: Actor, code: str) -> int:
    return next(u.id for u in actor.units if u.code == code)


def patient(ctx: Context, pnr: str) -> Actor:
    from sqlmodel import Session, select

    from tui_app.store.models import Patient

    with Session(ctx.engine) as s:
        patient_id = s.exec(select(Patient.id).where(Patient.pnr == pnr)).one()
    return patient_actor(ctx, patient_id)


def send(ctx: Context, login: str = "danan12", pnr: str = ELIN, code: str = "REUM-SKO") -> int:
    from tui_app.services.cases import draft_message, send_case

    a = staff(ctx, login)
    d = draft_message(ctx, a, unit_id(a, code), pnr)
    return send_case(ctx, a, d.unit_id, d.patient.id, d.text)


@pytest.fixture
def places(ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Downloads, trash, Picsara and E-arkiv folders of one test, on ctx as its ports."""
    from tests.handling_fixtures import Places
    from tui_app.adapters.downloads import UserDownloads
    from tui_app.adapters.earkiv import FolderPrinter
    from tui_app.adapters.picsara import FolderPicsara

    home = tmp_path / "home"
    p = Places(
        home / "Hämtade filer",
        home / ".local/share/Trash",
        tmp_path / "picsara",
        tmp_path / "earkiv",
    )
    for d in (p.downloads, p.picsara, p.earkiv):
        d.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    ctx.downloads = UserDownloads(p.downloads)
    ctx.picsara = FolderPicsara(p.picsara)
    ctx.earkiv = FolderPrinter(p.earkiv)
    return p
