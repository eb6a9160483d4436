"""Wiping and teardown on real (loop) devices: old signatures gone, nothing outside the target touched."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from rescue_tui.apply import disks
from tests.integration.conftest import Loops, sh

MiB = 1024 * 1024
pytestmark = pytest.mark.root


def digest(device: str) -> str:
    return hashlib.sha256(Path(device).read_bytes()).hexdigest()


def signatures(device: str) -> str:
    return subprocess.run(["wipefs", "--no-act", "--noheadings", device], capture_output=True, text=True).stdout


def test_wipe_removes_filesystem_and_table_signatures_and_zeroes_the_planned_regions(loops: Loops) -> None:
    target = loops.disk("t", 64 * MiB)
    sh("mkfs.ext4", "-q", target)
    assert "ext4" in signatures(target)
    with open(target, "r+b") as handle:  # data where a new partition will end: must be zeroed
        handle.seek(40 * MiB - 4096)
        handle.write(b"\xff" * 4096)
    disks.wipe(target, [(1 * MiB, 39 * MiB)])
    assert signatures(target) == ""
    with open(target, "rb") as handle:
        handle.seek(40 * MiB - 4096)
        assert handle.read(4096) == b"\0" * 4096


def test_wipe_writes_only_to_its_target(loops: Loops) -> None:
    target, other = loops.disk("t", 32 * MiB), loops.disk("o", 32 * MiB)
    sh("mkfs.ext4", "-q", other)
    before = digest(other)
    disks.wipe(target, [])
    assert digest(other) == before


def test_teardown_unmounts_what_sits_on_a_target(loops: Loops) -> None:
    target = loops.disk("t", 64 * MiB)
    sh("mkfs.ext4", "-q", target)
    where = loops.mount(target)
    done = disks.teardown([target])
    loops.mounts.remove(where)
    assert done == [f"unmounted {where} ({target})"]
    assert str(where) not in Path("/proc/self/mounts").read_text()


def _holding(program: Path, device: str) -> subprocess.Popen[bytes]:
    """``program`` (a copy of bash) holds ``device`` open for up to 20 s; returns once it does."""
    script = f"exec 3<{device}; echo ready; read -t 20 x"
    child = subprocess.Popen([str(program), "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    return child


def test_teardown_kills_a_stray_user_of_a_target_but_leaves_udevs_probe_running(loops: Loops, tmp_path: Path) -> None:
    target = loops.disk("t", 32 * MiB)
    bash = Path(sh("sh", "-c", "command -v bash").strip())
    worker, stray = tmp_path / "(udev-worker)", tmp_path / "stray"
    for copy in (worker, stray):
        copy.write_bytes(bash.read_bytes())
        copy.chmod(0o755)
    probe, leftover = _holding(worker, target), _holding(stray, target)
    try:
        done = disks.stop_users([target])
        assert done == [f"stopped process {leftover.pid} still using {target}"]
        assert leftover.wait(10) == -9
        assert probe.poll() is None, "udev's probe was killed"
    finally:
        for child in (probe, leftover):
            child.kill()
            child.wait()
