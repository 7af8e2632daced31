"""`tui-app check [--json] FILE...`: exit codes 0/1/2, one line per file, JSON keys (R09, R10)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from tests import intake_fixtures as fx
from tui_app.intake import run_check_cli


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_check_cli(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_r09_cli_exit_0_when_all_accepted(tmp_path: Path) -> None:
    a = fx.write(tmp_path, "a.png", fx.png(800, 600))
    b = fx.write(tmp_path, "b.pdf", fx.pdf(pages=3))
    code, out, _ = _run([str(a), str(b)])
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("OK  a.png  image/png ") and lines[0].endswith("800×600")
    assert lines[1].startswith("OK  b.pdf  application/pdf ") and lines[1].endswith("3 sidor")


def test_r09_cli_exit_1_when_any_refused_with_swedish_reason(tmp_path: Path) -> None:
    ok = fx.write(tmp_path, "ok.gif", fx.gif())
    bad = fx.write(tmp_path, "bad.jpg", fx.pil_bytes("WEBP"))
    code, out, _ = _run([str(ok), str(bad)])
    assert code == 1
    assert out.splitlines()[1] == (
        "NEJ bad.jpg  Filen är i formatet WebP, som inte kan skickas. "
        "Spara bilden som JPEG och försök igen."
    )


def test_r09_cli_missing_file_is_a_refusal_not_a_usage_error(tmp_path: Path) -> None:
    code, out, _ = _run([str(tmp_path / "nope.png")])
    assert code == 1 and "Filen finns inte." in out


def test_r09_cli_exit_2_on_usage_errors() -> None:
    assert _run([])[0] == 2
    assert _run(["--json"])[0] == 2
    code, _, err = _run(["--bogus", "x.png"])
    assert code == 2 and "okänt val" in err


def test_r09_cli_json_has_one_object_per_file(tmp_path: Path) -> None:
    ok = fx.write(tmp_path, "ok.jpg", fx.jpeg())
    bad = fx.write(tmp_path, "zip.png", fx.zip_bytes())
    code, out, _ = _run(["--json", str(ok), str(bad)])
    assert code == 1
    first, second = (json.loads(line) for line in out.splitlines())
    assert {"file", "accepted", "type", "reason"} <= set(first)
    assert first["accepted"] is True and first["type"] == "image/jpeg" and first["reason"] is None
    assert second["accepted"] is False and "ZIP" in second["reason"]
    assert second["file"] == str(bad)


def test_r09_cli_shows_hostile_names_safely(tmp_path: Path) -> None:
    bad = fx.write(tmp_path, "photo\u202egpj.exe", fx.ELF)
    evil = fx.write(tmp_path, "\x1b[31mred.png", fx.png())
    code, out, _ = _run([str(bad), str(evil)])
    assert code == 1
    assert "\u202e" not in out and "\x1b" not in out
    assert "photo<U+202E>gpj.exe" in out and "\\x1b[31mred.png" in out


def test_r09_cli_double_dash_ends_options(tmp_path: Path) -> None:
    f = fx.write(tmp_path, "-odd.png", fx.png())
    code, out, _ = _run(["--", str(f)])
    assert code == 0 and "-odd.png" in out


def test_r09_tui_app_check_command_end_to_end(tmp_path: Path) -> None:
    f = fx.write(tmp_path, "a.png", fx.png())
    out = subprocess.run(
        [sys.executable, "-m", "tui_app", "check", "--json", str(f)],
        capture_output=True,
        text=True,
        cwd=fx.ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["accepted"] is True


def test_r09_cli_output_writes_exactly_the_cleaned_copies(tmp_path: Path) -> None:
    import hashlib

    from tui_app.intake import prepare

    src = tmp_path / "src"
    src.mkdir()
    pdf = fx.write(src, "brev.pdf", fx.HOSTILE_PDFS["zip-with-exe-in-stream.pdf"][0])
    jpg = fx.write(src, "foto.jpg", fx.jpeg(exif=fx.exif_gps_orientation()))
    bad = fx.write(src, "bild.jpg", fx.pil_bytes("WEBP"))
    out_dir = tmp_path / "rensat"
    code, out, err = _run(["--json", "--output", str(out_dir), str(pdf), str(jpg), str(bad)])
    assert code == 1, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["accepted"] for r in rows] == [True, True, False]
    assert rows[0]["output"] == str(out_dir / "brev.pdf")
    assert rows[1]["output"] == str(out_dir / "foto.jpg")
    assert rows[2]["output"] is None
    assert sorted(p.name for p in out_dir.iterdir()) == ["brev.pdf", "foto.jpg"]  # nothing else
    # The same bytes the reply path would store (flattening and re-encoding are deterministic).
    for name, source in (("brev.pdf", pdf), ("foto.jpg", jpg)):
        stored = prepare(source, tmp_path / "work")
        written = (out_dir / name).read_bytes()
        assert hashlib.sha256(written).hexdigest() == stored.stored_sha256
    assert fx.pixels_only_problems((out_dir / "brev.pdf").read_bytes()) == []
    assert fx.zip_with_exe() not in (out_dir / "brev.pdf").read_bytes()


def test_r09_cli_output_never_overwrites(tmp_path: Path) -> None:
    a = fx.write(tmp_path, "a.png", fx.png())
    code, out, _ = _run(["--output", str(tmp_path), str(a)])
    assert code == 0
    assert out.rstrip().endswith(f"→ {tmp_path / 'a-2.png'}")
    assert a.read_bytes() == fx.png()  # the source is untouched


def test_r09_cli_output_needs_a_folder(tmp_path: Path) -> None:
    code, _, err = _run(["--output"])
    assert code == 2 and "--output" in err


def test_r09_cli_output_through_the_tui_app_command(tmp_path: Path) -> None:
    from tui_app.cli import main

    a = fx.write(tmp_path, "x.gif", fx.gif())
    assert main(["check", "--output", str(tmp_path / "o"), str(a)]) == 0
    assert (tmp_path / "o" / "x.gif").is_file()
