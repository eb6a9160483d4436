"""``rescue-tui plan`` on an example: the plan on stdout and nothing else on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def plan(*args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rescue_tui", *(["--debug"] if debug else []), "plan", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_blivet_chatter_stays_off_the_operators_screen() -> None:
    # blivet sets its loggers to DEBUG when imported and logs every sysfs read it makes
    result = plan(
        "--layout", "layouts/examples/raid1-lvm.json", "--targets", "layouts/examples/targets/demo-rescue-vm.json"
    )
    assert result.returncode == 0, result.stderr
    assert "create raid1 array" in result.stdout
    assert result.stderr == ""


def test_with_debug_the_library_logs_are_shown() -> None:
    result = plan(
        "--layout", "layouts/examples/raid1-lvm.json", "--targets", "layouts/examples/targets/demo-rescue-vm.json",
        debug=True,
    )  # fmt: skip
    assert result.returncode == 0
    assert "DEBUG blivet:" in result.stderr


def test_a_partitioned_md_array_is_read_back_after_creation_then_partitioned(tmp_path: Path) -> None:
    # ReaR's whole-disk RAID1: blivet partitions only arrays that exist, so the plan reads it back first
    layout = tmp_path / "layout.json"
    imported = subprocess.run(
        [sys.executable, "-m", "rescue_tui", "layout", "import-rear",
         str(ROOT / "tests/data/rear/07-whole-disk-raid-partitioned.conf"), "-o", str(layout)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    targets = tmp_path / "targets.json"
    targets.write_text(json.dumps({"disks": [{"name": "vdb", "size": 10 << 30}, {"name": "vdc", "size": 10 << 30}]}))
    result = plan("--layout", str(layout), "--targets", str(targets), "--format", "json")
    assert result.returncode == 0, result.stderr
    steps = json.loads(result.stdout)["steps"]
    kinds = [s["kind"] for s in steps]
    rescan = kinds.index("rescan")
    assert kinds[:rescan] == ["wipe-disk", "wipe-disk", "create-md", "set-identity", "set-identity"]
    assert steps[rescan]["arrays"] == ["/dev/md/md127"]
    assert [s["kind"] for s in steps[rescan + 1 : rescan + 3]] == ["create-disklabel", "create-partition"]
    parts = [s for s in steps if s["kind"] == "create-partition"]
    assert [(p["disk"], p["device"], p["start"], p["end"]) for p in parts] == [
        ("/dev/md/md127", "/dev/md127p1", 2048, 4095),
        ("/dev/md/md127", "/dev/md127p2", 4096, 2101247),
        ("/dev/md/md127", "/dev/md127p3", 2101248, 20967423),
    ]  # the original geometry: ReaR's part lines in sectors
