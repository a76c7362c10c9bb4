"""ops/: the systemd units start `yousu` subcommands that exist, and the env template lists every setting."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, yousu_executable
from yousu.settings import Settings

UNITS = sorted((REPO / "ops" / "systemd").glob("yousu-*"))
SERVICES = [u for u in UNITS if u.suffix == ".service"]
INSTALLED = "/opt/yousu/.venv/bin/yousu"


def unit(path: Path) -> configparser.ConfigParser:
    """A unit file parsed as INI (systemd's syntax is a superset we do not need here)."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign] — systemd keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def test_the_expected_units_exist() -> None:
    assert {u.name for u in UNITS} == {
        "yousu-serve.service",
        "yousu-project.service",
        "yousu-sweep.service",
        "yousu-anchor.service",
        "yousu-anchor.timer",
    }


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_exec_start_is_an_existing_yousu_subcommand(path: Path) -> None:
    service = unit(path)["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == INSTALLED
    assert service["EnvironmentFile"] == "/etc/yousu/yousu.env"
    done = subprocess.run(
        [str(yousu_executable()), *argv[1:], "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr  # typer rejects unknown commands and options


def test_anchor_timer_runs_the_anchor_daily() -> None:
    timer = unit(REPO / "ops" / "systemd" / "yousu-anchor.timer")["Timer"]
    assert timer["Unit"] == "yousu-anchor.service"
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d", timer["OnCalendar"])  # once a day
    assert shlex.split(unit(REPO / "ops" / "systemd" / "yousu-anchor.service")["Service"]["ExecStart"])[1:] == [
        "audit",
        "anchor",
    ]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    # the units name /opt/yousu; verify copies that point at this checkout (systemd checks the binary exists)
    for path in UNITS:
        text = path.read_text(encoding="utf-8").replace(INSTALLED, str(yousu_executable()))
        (tmp_path / path.name).write_text(text.replace("/opt/yousu", str(REPO)), encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_env_template_lists_every_setting() -> None:
    text = (REPO / "ops" / "yousu.env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?(YOUSU_[A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert listed == {f"YOUSU_{name.upper()}" for name in Settings.model_fields}
