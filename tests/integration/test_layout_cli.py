"""The layout commands end to end: capture, check (drift for cron), import-rear, as the operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT
from tests.integration.conftest import Loops, sh

MiB = 1024 * 1024


def cli(*args: str, user: int | None = None) -> subprocess.CompletedProcess[str]:
    prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] if user is not None else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "rescue_tui", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


@pytest.mark.root
def test_capture_then_check_reports_drift_with_exit_1(loops: Loops, tmp_path: Path) -> None:
    disk = loops.disk("a", 64 * MiB)
    sh("mkfs.ext4", "-q", "-L", "before", "-U", str(uuid.uuid4()), disk)
    loops.settle()
    saved = tmp_path / "layout.json"
    captured = cli("layout", "capture", "--device", disk, "-o", str(saved))
    assert captured.returncode == 0, captured.stderr
    assert cli("layout", "validate", str(saved)).returncode == 0
    same = cli("layout", "check", str(saved), "--device", disk)
    assert (same.returncode, same.stdout.strip()) == (0, f"{saved}: storage matches the saved layout")
    sh("e2label", disk, "after")
    loops.settle()
    drift = cli("layout", "check", str(saved), "--device", disk)
    assert drift.returncode == 1
    assert "storage drifted from the saved layout (1 difference)" in drift.stdout
    assert "before" in drift.stdout and "after" in drift.stdout


def test_capture_refuses_without_root_in_one_line() -> None:
    result = cli("layout", "capture") if os.geteuid() != 0 else cli("layout", "capture", user=65534)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "rescue-tui: layout capture needs root (it reads partition tables, LUKS headers and LVM metadata)"
    )


def test_import_rear_writes_a_valid_layout_keeping_original_names(tmp_path: Path) -> None:
    out = tmp_path / "imported.json"
    result = cli("layout", "import-rear", str(DATA / "rear" / "03-modern-gpt-raid-luks-lvm.conf"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert cli("layout", "validate", str(out)).returncode == 0
    paths = {item.get("path") for item in json.loads(out.read_text())["items"]}
    assert "/dev/md127p1" in paths


def test_import_rear_takes_the_network_of_a_rear_rescue_system(tmp_path: Path) -> None:
    out = tmp_path / "imported.json"
    rescue = DATA / "rear" / "rescue-root-debian12"
    conf = DATA / "rear" / "03-modern-gpt-raid-luks-lvm.conf"
    result = cli("layout", "import-rear", str(conf), "--rescue-root", str(rescue), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert cli("layout", "validate", str(out)).returncode == 0
    network = json.loads(out.read_text())["network"]
    assert network["interfaces"][0]["mac"] == "02:fc:00:00:00:01"
    assert [r["gateway"] for r in network["routes"]] == ["192.0.2.1", "fd00::1"]
    refused = cli("layout", "import-rear", str(conf), "--rescue-root", str(tmp_path), "-o", str(tmp_path / "x.json"))
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1, refused.stderr
    assert not (tmp_path / "x.json").exists()


def test_import_rear_names_the_line_of_a_malformed_file(tmp_path: Path) -> None:
    bad = DATA / "rear" / "bad" / "size-not-a-number.conf"
    result = cli("layout", "import-rear", str(bad), "-o", str(tmp_path / "x.json"))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"rescue-tui: {bad}:")
    assert not (tmp_path / "x.json").exists()
