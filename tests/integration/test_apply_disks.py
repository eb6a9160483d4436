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
