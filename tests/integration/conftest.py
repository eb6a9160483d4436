"""Loop devices for root-only tests: sparse files in tmp_path, always detached again.

Tests here run real tools against loop devices and never touch a real disk.
Whatever a test attaches or mounts through ``Loops`` is unmounted and
detached in the fixture's teardown, even when the test fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from rescue_tui.apply.mounts import umount_tree
from rescue_tui.udev import settle, udevd_running
from tests.integration.loophost import DISK_SIZE as LOOPHOST_DISK_SIZE

MiB = 1024 * 1024


def sh(*argv: str, stdin: str | None = None) -> str:
    """Run a command that must succeed; its stderr is in the failure message."""
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


class Loops:
    """Attaches sparse image files as loop devices and remembers them for teardown."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.devices: list[str] = []
        self.mounts: list[Path] = []

    def image(self, name: str, size: int) -> Path:
        """A sparse file of ``size`` bytes (nothing attached yet)."""
        path = self.folder / f"{name}.img"
        with path.open("wb") as handle:
            handle.truncate(size)
        return path

    def attach(self, image: Path) -> str:
        """Attach an image file; the loop device node is returned."""
        device = sh("losetup", "--find", "--show", str(image)).strip()
        self.devices.append(device)
        return device

    def disk(self, name: str, size: int) -> str:
        """A blank loop device of ``size`` bytes."""
        return self.attach(self.image(name, size))

    def mount(self, device: str, *options: str) -> Path:
        where = self.folder / f"mnt-{Path(device).name}"
        where.mkdir(exist_ok=True)
        sh("mount", *(("-o", ",".join(options)) if options else ()), device, str(where))
        self.mounts.append(where)
        return where

    def umount(self, where: Path) -> None:
        sh("umount", str(where))
        self.mounts.remove(where)

    def settle(self) -> None:
        """Let udev re-read the devices (blivet and lsblk read its database)."""
        if udevd_running() and self.devices:
            sh("udevadm", "trigger", *self.devices)
            settle(60)

    def cleanup(self) -> None:
        """Unmount and detach everything; report every failure, after trying all."""
        failures: list[str] = []
        for where in reversed(self.mounts):
            if subprocess.run(["umount", str(where)], capture_output=True, check=False).returncode:
                failures.append(f"umount {where}")
        for device in reversed(self.devices):
            targets = subprocess.run(
                ["findmnt", "-rn", "-o", "TARGET", "-S", device], capture_output=True, text=True, check=False
            ).stdout.split()
            for target in targets:  # mounted behind our back (a failed test mid-way)
                subprocess.run(["umount", target], capture_output=True, check=False)
            if subprocess.run(["losetup", "-d", device], capture_output=True, check=False).returncode:
                failures.append(f"losetup -d {device}")
        self.mounts.clear()
        self.devices.clear()
        if failures:
            raise AssertionError("teardown failed: " + ", ".join(failures))


@pytest.fixture
def loops(tmp_path: Path) -> Iterator[Loops]:
    """Loop devices over sparse files in tmp_path; skips unless root with losetup."""
    if os.geteuid() != 0:
        pytest.skip("needs root (loop devices, mount)")
    if shutil.which("losetup") is None:
        pytest.skip("needs losetup")
    attached = Loops(tmp_path)
    try:
        yield attached
    finally:
        attached.cleanup()


@pytest.fixture
def loop_disk(tmp_path: Path) -> Iterator[str]:
    """The loop host's blank disk (``loophost.DISK_SIZE``); a tree mounted at tmp_path/target is taken down."""
    if os.geteuid() != 0 or shutil.which("losetup") is None:
        pytest.skip("needs root and losetup")
    loops = Loops(tmp_path)
    try:
        device = loops.disk("target", LOOPHOST_DISK_SIZE)
        loops.settle()
        yield device
    finally:
        if (tmp_path / "target").is_dir():
            umount_tree(str(tmp_path / "target"))
        loops.cleanup()
