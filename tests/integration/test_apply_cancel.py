"""Cancel between apply steps on a real (loop) disk, then resume: the journal carries it across.

A whole-disk filesystem (no partition table) is what this host's kernel can
apply: it has loop devices but no partition scanning, md or device-mapper.
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest

from rescue_tui.apply.executor import ApplyOptions, execute, prepare
from rescue_tui.apply.mounts import umount_tree
from rescue_tui.errors import ApplyCancelledError
from rescue_tui.events import Event, StepFinished
from rescue_tui.inventory.live import live_inventory
from rescue_tui.plan.build import PlanRequest, make_plan
from tests.integration.conftest import Loops, sh

MiB = 1024 * 1024
UUID = "6a0c1e2f-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
pytestmark = pytest.mark.root


def whole_disk_layout(path: Path, size: int) -> Path:
    path.write_text(json.dumps({
        "format_version": 1,
        "machine": {"hostname": "loophost"},
        "items": [
            {"id": "disk-vdb", "type": "disk", "name": "vdb", "size": size, "path": "/dev/vdb"},
            {"id": "fs-root", "type": "filesystem", "device": "disk-vdb", "fstype": "ext4", "uuid": UUID},
            {"id": "mnt-root", "type": "mount", "source": "fs-root", "path": "/"},
        ],
    }))  # fmt: skip
    return path


def test_a_cancel_after_the_wipe_stops_before_mkfs_and_resume_finishes_the_apply(loops: Loops, tmp_path: Path) -> None:
    device = loops.disk("target", 72 * MiB)
    loops.settle()
    target = tmp_path / "target"
    request = PlanRequest(
        layout_path=whole_disk_layout(tmp_path / "layout.json", 72 * MiB),
        inventory=live_inventory(),
        overrides={"vdb": Path(device).name},
        target_root=str(target),
    )
    plan = make_plan(request)
    assert [s.kind for s in plan.steps] == ["wipe-disk", "mkfs", "mount"]
    options = ApplyOptions(target_root=str(target), journal_dir=tmp_path / "journal")
    cancel = threading.Event()

    def cancel_after_the_first_step(event: Event) -> None:
        if isinstance(event, StepFinished):
            cancel.set()

    with pytest.raises(ApplyCancelledError, match="before s002"):
        execute(prepare(plan, options), cancel_after_the_first_step, cancel=cancel)
    probe = subprocess.run(["blkid", "-p", "-o", "export", device], capture_output=True, text=True, check=False)
    assert probe.returncode == 2 and probe.stdout == ""  # wiped, and no filesystem made

    options.resume = True
    try:
        journal = execute(prepare(plan, options))
        assert f"UUID={UUID}" in sh("blkid", "-p", "-o", "export", device)
        assert journal.phase_done("apply")
        assert [e["event"] for e in journal.entries].count("cancelled") == 1
    finally:
        if target.is_dir():
            umount_tree(str(target))
