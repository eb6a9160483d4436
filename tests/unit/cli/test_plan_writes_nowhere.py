"""``rescue-tui plan`` is documented as writing nothing: a crafted inventory must not make it write anywhere.

The planning stand-ins are sparse files named like the target disks; a disk name that climbs out
of their private folder (``../../victim``) once truncated and zeroed the file it named.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rescue_tui.errors import BadInputError
from rescue_tui.inventory.model import TargetDisk
from rescue_tui.inventory.simulated import read_inventory
from rescue_tui.plan.disk_files import disk_files
from tests.conftest import ROOT

GIB = 1 << 30


def _plan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rescue_tui", "plan", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious data\n" * 100)
    return victim


@pytest.mark.parametrize(
    "name",
    ["../../../../../../{victim}", "..", ".", "a/b", "/{victim}", "", "sdb\n", "-rf", "x" * 65],
)
def test_a_disk_name_that_is_not_a_device_name_is_refused_and_nothing_is_written(tmp_path: Path, name: str) -> None:
    victim = _victim(tmp_path)
    before = victim.read_bytes()
    name = name.format(victim=str(victim).lstrip("/"))
    disks = [
        {"name": name, "size": 4 * 1024 * GIB},
        {"name": "vdc", "size": 4 * 1024 * GIB},
    ]
    targets = tmp_path / "targets.json"
    targets.write_text(json.dumps({"disks": disks}))
    result = _plan("--layout", "layouts/examples/raid1-lvm.json", "--targets", str(targets))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "$.disks[0].name" in lines[0] and "Traceback" not in result.stderr, result.stderr
    assert victim.read_bytes() == before


def test_a_device_path_outside_dev_is_refused(tmp_path: Path) -> None:
    targets = tmp_path / "targets.json"
    targets.write_text(json.dumps({"disks": [{"name": "sdb", "path": "/dev/../etc/passwd", "size": GIB}]}))
    with pytest.raises(BadInputError, match=r"\$\.disks\[0\]\.path"):
        read_inventory(targets)


def test_the_stand_ins_never_replace_an_existing_file(tmp_path: Path) -> None:
    # Defence in depth below the reader: a TargetDisk built in code with a hostile name.
    victim = _victim(tmp_path)
    before = victim.read_bytes()
    hostile = TargetDisk(name=f"../../../../../../{victim}", path="/dev/sdb", size=GIB)
    with pytest.raises(BadInputError, match="not a device name"), disk_files([hostile]):
        pass
    assert victim.read_bytes() == before
