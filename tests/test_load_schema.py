"""`tui-app load` checks the whole file against a schema first: every error with its JSON path,
in Swedish, and nothing stored when anything is wrong (R05: who may do what comes from here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import DEMO
from tui_app.core.errors import InvalidInput
from tui_app.services.context import Context
from tui_app.services.seed import load_file

TABLES = ("unit", "staff", "membership", "patient", "care_relation", "cases", "audit_entry")


def snapshot(ctx: Context) -> dict[str, list[tuple[object, ...]]]:
    with ctx.engine.connect() as c:
        return {
            t: [tuple(r) for r in c.execute(text(f"SELECT * FROM {t} ORDER BY 1"))] for t in TABLES
        }


def write(tmp_path: Path, data: object, name: str = "staff.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def refused(ctx: Context, path: Path) -> list[str]:
    """The error lines of a refused load, after checking that nothing changed."""
    before = snapshot(ctx)
    with pytest.raises(InvalidInput) as e:
        load_file(ctx, path)
    assert snapshot(ctx) == before
    head, *lines = e.value.message.splitlines()
    assert "inget har lästs in" in head
    return [line.strip() for line in lines]


def person(**extra: object) -> dict[str, object]:
    return {
        "login": "nypers1",
        "first_name": "Ny",
        "last_name": "Person",
        "units": ["REUM-SKO"],
        **extra,
    }


@pytest.mark.parametrize(
    "data,path,words",
    [
        ({"staff": [person(is_admin="false")]}, "$.staff[0].is_admin", "true eller false"),
        ({"staff": [person(shared_account="no")]}, "$.staff[0].shared_account", "true eller false"),
        (
            {"staff": [person(picsara_permission=1)]},
            "$.staff[0].picsara_permission",
            "true eller false",
        ),
        (
            {"units": [{"code": "X", "name": "X", "activated_1177": "false"}]},
            "$.units[0].activated_1177",
            "true eller false",
        ),
        (
            {
                "patients": [
                    {
                        "pnr": "199002222397",
                        "first_name": "A",
                        "last_name": "B",
                        "activated_1177": "false",
                    }
                ]
            },
            "$.patients[0].activated_1177",
            "true eller false",
        ),
        ([{"login": "x"}], "$", "ska vara ett objekt"),
        ({"units": "REUM-SKO"}, "$.units", "ska vara en lista"),
        (
            {"patients": [{"pnr": 199002222397, "first_name": "A", "last_name": "B"}]},
            "$.patients[0].pnr",
            "ska vara en text",
        ),
        (
            {"patients": [{"pnr": "١٩٩٠٠٢٢٢٢٣٩٧", "first_name": "A", "last_name": "B"}]},
            "$.patients[0].pnr",
            "0–9",
        ),
        (
            {"patients": [{"pnr": "19900222-2398", "first_name": "A", "last_name": "B"}]},
            "$.patients[0].pnr",
            "kontrollsiffran",
        ),
        ({"staff": [person(is_admn=True)]}, "$.staff[0].is_admn", "okänt fält"),
        ({"staff": [{"login": "x", "first_name": "X"}]}, "$.staff[0].last_name", "saknas"),
        ({"staff": [person(login="")]}, "$.staff[0].login", "får inte vara tom"),
        ({"staff": [person(units=["FINNS-EJ"])]}, "$.staff[0].units[0]", "finns inte"),
        ({"staff": [person(), person()]}, "$.staff[1].login", "finns redan i $.staff[0]"),
        ({"units": [[[[[["x"]]]]]]}, "$.units[0]", "ska vara ett objekt"),
    ],
)
def test_r05_bad_load_file_is_refused_with_its_path_and_nothing_changes(
    ctx: Context, tmp_path: Path, data: object, path: str, words: str
) -> None:
    lines = refused(ctx, write(tmp_path, data))
    assert any(line.startswith(path + ":") and words in line for line in lines), lines


def test_r05_every_error_is_reported_at_once(ctx: Context, tmp_path: Path) -> None:
    data = {
        "units": [{"code": "NY", "name": "Ny enhet"}],  # valid, and still not stored
        "staff": [
            person(is_admin="false"),
            person(login="b", shared_account="no"),
            person(login="c", units=["SAKNAS"]),
        ],
        "patients": [{"pnr": 199002222397, "first_name": "A", "last_name": "B"}],
    }
    lines = refused(ctx, write(tmp_path, data))
    paths = [line.split(":")[0] for line in lines]
    assert paths == [
        "$.staff[0].is_admin",
        "$.staff[1].shared_account",
        "$.staff[2].units[0]",
        "$.patients[0].pnr",
    ]
    # Fix the shape, and what is left is still found.
    data["staff"] = [person(), person(login="c", units=["SAKNAS"])]
    data["patients"] = []
    assert [line.split(":")[0] for line in refused(ctx, write(tmp_path, data))] == [
        "$.staff[1].units[0]"
    ]


def test_r05_deep_nesting_is_refused_in_swedish(ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"units": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8")
    before = snapshot(ctx)
    with pytest.raises(InvalidInput) as e:
        load_file(ctx, path)
    assert "nästlad" in e.value.message
    assert snapshot(ctx) == before


@pytest.mark.parametrize(
    "raw,words",
    [
        (b'{"units": [}', "inte giltig JSON: rad 1"),
        ('{"units": []}'.encode("utf-16"), "UTF-8"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
    ],
)
def test_unreadable_file_is_refused_in_swedish(
    ctx: Context, tmp_path: Path, raw: bytes, words: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    with pytest.raises(InvalidInput) as e:
        load_file(ctx, path)
    assert words in e.value.message


def test_demo_file_with_comments_still_loads(ctx: Context) -> None:
    before = snapshot(ctx)
    counts = load_file(ctx, DEMO)  # again: an update that changes nothing but the log
    assert counts == {"units": 4, "staff": 5, "patients": 5, "cases": 0}
    after = snapshot(ctx)
    assert {t: v for t, v in after.items() if t != "audit_entry"} == {
        t: v for t, v in before.items() if t != "audit_entry"
    }


def test_valid_booleans_are_stored_as_written(ctx: Context, tmp_path: Path) -> None:
    from tests.conftest import staff

    load_file(ctx, write(tmp_path, {"staff": [person(is_admin=False, shared_account=True)]}))
    a = staff(ctx, "nypers1")
    assert not a.is_admin and a.shared_account and [u.code for u in a.units] == ["REUM-SKO"]


def test_cli_load_lists_every_error_and_exits_1(tmp_path: Path) -> None:
    from tests.test_cli import run

    bad = write(
        tmp_path,
        {"staff": [person(is_admin="false"), person(login="b", units="X")]},
        name="bad.json",
    )
    out = run(["load", str(bad)], tmp_path)
    assert out.returncode == 1
    assert "$.staff[0].is_admin" in out.stderr and "$.staff[1].units" in out.stderr
    assert "Traceback" not in out.stderr
    assert run(["audit", "verify"], tmp_path).returncode == 0  # the database exists, untouched
