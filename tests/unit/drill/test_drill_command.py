"""``rescue-tui drill`` refuses bad input in one line, exit 2, before it makes anything.

A drill writes only its report directory (disk images, logs, the report); on
bad input it must not even make that. These run the real command line in a
subprocess: no VM is started, because every check comes before the first one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

RAID = ROOT / "layouts/examples/raid1-lvm.json"
LUKS = ROOT / "layouts/examples/luks-lvm-thin.json"


def drill(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rescue_tui", "drill", *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    backups = tmp_path / "backups"
    backups.mkdir()
    path = backups / "host.tar"
    path.write_bytes(b"\0" * 10240)
    return path


CASES = {
    "a network backend": (
        lambda a: ["--layout", str(RAID), "--backend", "tar+https://backup.example/host.tar.zst"],
        "rescue-tui: tar+https://backup.example/host.tar.zst: a drill hands the VM a backup on this host",
    ),
    "a backup that is not there": (
        lambda a: ["--layout", str(RAID), "--backend", f"tar:{a.parent}/gone.tar"],
        "does not exist",
    ),
    "a backend spec that is not one": (
        lambda a: ["--layout", str(RAID), "--backend", "floppy:/a"],
        "rescue-tui: backend spec",
    ),
    "a LUKS layout without its passphrase": (
        lambda a: ["--layout", str(LUKS), "--backend", f"tar:{a}"],
        "the layout has LUKS containers: give --passphrase-file",
    ),
    "a disk size without its disk": (
        lambda a: ["--layout", str(RAID), "--backend", f"tar:{a}", "--disk", "4T"],
        "--disk 4T: expected NAME=SIZE, such as vda=4G",
    ),
    "a disk the layout does not have": (
        lambda a: ["--layout", str(RAID), "--backend", f"tar:{a}", "--disk", "vdz=4T"],
        "--disk vdz=4T: the layout has no disk vdz (it has sda, sdb)",
    ),
    "a disk size that is not one": (
        lambda a: ["--layout", str(RAID), "--backend", f"tar:{a}", "--disk", "sda=4X"],
        "--disk sda=4X: '4X' is not a size",
    ),
    "a disk size in part of a sector": (
        lambda a: ["--layout", str(RAID), "--backend", f"tar:{a}", "--disk", "sda=2000000000001"],
        "not a whole number of 512-byte sectors",
    ),
    "a disk too small for what it holds": (
        lambda a: ["--layout", str(RAID), "--backend", f"tar:{a}", "--disk", "/dev/sdb=500G"],
        "--disk /dev/sdb=500G: too small: sdb's contents need at least 1.0 TiB after shrinking",
    ),
    "a disk sized twice": (
        lambda a: ["--layout", str(RAID), "--backend", f"tar:{a}", "--disk", "sda=3T", "--disk", "sda=4T"],
        "--disk sda=4T: sda is given twice",
    ),
    "an empty ready command": (
        lambda a: ["--layout", str(RAID), "--backend", f"tar:{a}", "--ready-command", "  "],
        "--ready-command: empty",
    ),
    "too little memory": (
        lambda a: ["--layout", str(RAID), "--backend", f"tar:{a}", "--memory", "64"],
        "--memory 64: the rescue image needs at least",
    ),
    "a password file that is not there": (
        lambda a: ["--layout", str(RAID), "--backend", f"tar:{a}", "--password-file", "/nonexistent/pw"],
        "--password-file /nonexistent/pw: no such file",
    ),
    "an ISO that is not there": (
        lambda a: ["--layout", str(RAID), "--backend", f"tar:{a}", "--iso", "/nonexistent.iso"],
        "--iso /nonexistent.iso: no such file",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2_and_nothing_is_made(case: str, tmp_path: Path, archive: Path) -> None:
    args, said = CASES[case]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = drill(tmp_path, *args(archive))
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("rescue-tui: hint:")]
    assert len(lines) == 1 and said in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no report directory, no disk image


def test_a_backup_name_that_cannot_go_on_a_kernel_command_line_is_refused(tmp_path: Path) -> None:
    odd = tmp_path / "my backup.tar"
    odd.write_bytes(b"\0" * 10240)
    result = drill(tmp_path, "--layout", str(RAID), "--backend", f"tar:{odd}")
    assert result.returncode == 2 and "kernel command line" in result.stderr, result.stderr


def test_an_earlier_report_is_never_overwritten(tmp_path: Path, archive: Path) -> None:
    report = tmp_path / "report"
    report.mkdir()
    (report / "drill.json").write_text("{}")
    result = drill(tmp_path, "--layout", str(RAID), "--backend", f"tar:{archive}", "--report", str(report))
    assert result.returncode == 2 and "not empty" in result.stderr, result.stderr
    assert (report / "drill.json").read_text() == "{}"


def test_a_backup_named_like_the_drills_own_files_is_refused(tmp_path: Path) -> None:
    clash = tmp_path / "layout.json"
    clash.write_bytes(b"\0" * 10240)
    result = drill(tmp_path, "--layout", str(RAID), "--backend", f"tar:{clash}")
    assert result.returncode == 2 and "the drill's own files use this name" in result.stderr, result.stderr
