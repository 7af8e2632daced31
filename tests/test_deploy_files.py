"""The shipped deployment files (deploy/) are valid for the tools that read them: sudoers for
visudo, the units for systemd-analyze, the sshd snippet for sshd -t, the scripts for sh -n; and
the ForceCommand wrapper refuses at once without a terminal (issue 16)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
IN_CI = os.environ.get("CI") == "true"


def need(tool: str) -> str:
    """The tool's path; a skip with the reason outside CI, a failure in CI (.ci/run installs it)."""
    path = shutil.which(tool) or next(
        (p for p in (f"/usr/sbin/{tool}", f"/sbin/{tool}") if os.access(p, os.X_OK)), None
    )
    if path is None:
        if IN_CI:
            pytest.fail(f"{tool} is missing in CI: .ci/run should have installed it")
        pytest.skip(f"{tool} is not installed (apt-get install openssh-server sudo systemd)")
    return path


def render(template: Path, **values: str) -> str:
    """A deploy/ template with its @NAME@ placeholders filled in, as install.sh does."""
    text = template.read_text(encoding="utf-8")
    defaults = {
        "PREFIX": "/opt/tui_app",
        "SERVICE": "tui_app",
        "STAFF_GROUP": "tui-staff",
        "OPS_GROUP": "tui-ops",
        "DATA": "/var/lib/tui_app/data",
        "STATE": "/var/lib/tui_app/.local/state/tui_app",
        "CONFIG": "/etc/tui_app/config.toml",
        "ALIAS": "TUI_APP",
    }
    for key, value in {**defaults, **values}.items():
        text = text.replace(f"@{key}@", value)
    assert "@" not in text.replace("@@", "").replace("@dbhost", ""), template
    return text


def test_sudoers_rule_passes_visudo_and_allows_one_command(tmp_path: Path) -> None:
    visudo = need("visudo")
    rule = tmp_path / "tui_app"
    rule.write_text(render(DEPLOY / "sudoers.d" / "tui_app"), encoding="utf-8")
    rule.chmod(0o440)
    out = subprocess.run([visudo, "-cf", str(rule)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    grants = [
        line
        for line in rule.read_text().splitlines()
        if "NOPASSWD" in line and not line.lstrip().startswith("#")
    ]
    assert grants == [
        "%tui-staff ALL=(tui_app) NOPASSWD: TUI_APP_RUN",
        "tui_app ALL=(%tui-staff) NOPASSWD: TUI_APP_HOME",
    ]
    text = rule.read_text()
    assert (
        "Cmnd_Alias TUI_APP_RUN = /opt/tui_app/bin/tui-app --config /etc/tui_app/config.toml run"
        in text
    )
    assert "env_reset" in text and "SETENV" not in text


def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = need("systemd-analyze")
    prefix = tmp_path / "opt"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "tui-app").write_text("#!/bin/sh\n")
    (prefix / "bin" / "tui-app").chmod(0o755)
    units = []
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        out = tmp_path / unit.name
        out.write_text(render(unit, PREFIX=str(prefix)), encoding="utf-8")
        units.append(str(out))
    assert {Path(u).name for u in units} == {
        "tui-app-sweep.service",
        "tui-app-sweep.timer",
        "tui-app-audit-verify.service",
        "tui-app-audit-verify.timer",
        "tui-app-backup.service",
        "tui-app-backup.timer",
    }
    done = subprocess.run(
        [analyze, "verify", *units], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stdout + done.stderr
    sweep = (tmp_path / "tui-app-sweep.timer").read_text()
    assert "OnCalendar=*:0/5" in sweep
    for service in ("tui-app-sweep.service", "tui-app-audit-verify.service"):
        text = (tmp_path / service).read_text()
        assert "User=tui_app" in text and "UMask=0077" in text


def privsep_dir() -> None:
    """sshd refuses to start without its privilege separation folder (systemd makes it)."""
    if os.getuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)


def test_sshd_snippet_passes_sshd_t_and_forbids_forwarding(tmp_path: Path) -> None:
    sshd = need("sshd")
    privsep_dir()
    key = tmp_path / "host_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=60
    )
    snippet = tmp_path / "tui_app.conf"
    snippet.write_text(render(DEPLOY / "sshd_config.d" / "tui_app.conf"), encoding="utf-8")
    config = tmp_path / "sshd_config"
    config.write_text(f"HostKey {key}\nInclude {snippet}\n", encoding="utf-8")
    out = subprocess.run(
        [sshd, "-t", "-f", str(config)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    # What sshd makes of it for a staff member (-T with a connection spec applies Match).
    shown = subprocess.run(
        [sshd, "-T", "-f", str(config), "-C", "user=root,host=h,addr=127.0.0.1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert "permituserenvironment no" in shown.stdout
    text = snippet.read_text()
    for line in (
        "Match Group tui-staff",
        "ForceCommand /opt/tui_app/libexec/tui-app-login",
        "PermitTTY yes",
        "AllowTcpForwarding no",
        "AllowAgentForwarding no",
        "X11Forwarding no",
        "AllowStreamLocalForwarding no",
        "PermitTunnel no",
        "DisableForwarding yes",
    ):
        assert line in text


def test_scripts_are_valid_shell_and_the_wrapper_refuses_without_a_terminal(
    tmp_path: Path,
) -> None:
    for script in (DEPLOY / "install.sh", DEPLOY / "tui-app-login"):
        assert subprocess.run(["sh", "-n", str(script)], timeout=60).returncode == 0, script
    wrapper = tmp_path / "tui-app-login"
    # A sudo that would show it was reached: it must not be.
    fake = tmp_path / "bin"
    fake.mkdir()
    wrapper.write_text(
        render(DEPLOY / "tui-app-login").replace("PATH=/usr/sbin:", f"PATH={fake}:/usr/sbin:")
    )
    (fake / "sudo").write_text(f"#!/bin/sh\ntouch {tmp_path}/reached\n")
    (fake / "sudo").chmod(0o755)
    out = subprocess.run(
        ["sh", str(wrapper)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "Appen behöver en terminal" in out.stderr
    assert not (tmp_path / "reached").exists()


def test_config_template_is_valid_settings(tmp_path: Path) -> None:
    from tui_app.config import load_settings

    cfg = tmp_path / "config.toml"
    cfg.write_text(render(DEPLOY / "config.toml"), encoding="utf-8")
    if os.getuid() != 0:
        pytest.skip("service_account counts only in a root-owned file: needs root")
    settings = load_settings(cfg)
    assert settings.service_account == "tui_app"
    assert settings.data_dir == Path("/var/lib/tui_app/data")
