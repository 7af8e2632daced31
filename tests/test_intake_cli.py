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
    assert out.splitlines()[1] == ("NEJ bad.jpg  Filen är i formatet WebP, som inte kan skickas. "
                                   "Spara bilden som JPEG och försök igen.")


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
    out = subprocess.run([sys.executable, "-m", "tui_app", "check", "--json", str(f)],
                         capture_output=True, text=True, cwd=fx.ROOT, check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["accepted"] is True
