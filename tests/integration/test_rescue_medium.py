"""The boot medium is never a target, even once it is no longer mounted (the ``toram`` boot entry).

GRUB records the medium's volume UUID on the kernel command line (``rescue.medium=``); the live
inventory marks the disk carrying that volume, or any rescue-tui ISO, as the rescue medium.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from rescue_tui.inventory.live import live_inventory
from rescue_tui.udev import udevd_running
from tests.integration.conftest import Loops, sh

pytestmark = pytest.mark.root


@pytest.fixture
def medium(loops: Loops) -> tuple[str, str]:
    """An unmounted loop disk holding a FAT volume: (kernel name, volume UUID)."""
    if not udevd_running():
        pytest.skip("needs systemd-udevd (make test starts it)")
    device = loops.disk("stick", 32 * 1024 * 1024)
    sh("mkfs.vfat", "-i", "5EC0BEEF", "-n", "STICK", device)
    loops.settle()
    return Path(device).name, "5EC0-BEEF"


def test_the_volume_grub_booted_from_is_the_rescue_medium_unmounted(medium: tuple[str, str]) -> None:
    name, uuid = medium
    disks = {d.name: d for d in live_inventory(cmdline=f"boot=live toram rescue.medium={uuid} quiet").disks}
    assert disks[name].rescue_medium and disks[name].refusal() == "holds the running rescue system"
    others = {d.name: d for d in live_inventory(cmdline="boot=live toram quiet").disks}
    assert not others[name].rescue_medium  # without the record it is an ordinary (blank-looking) disk


def test_any_rescue_tui_iso_is_the_rescue_medium(loops: Loops, tmp_path: Path) -> None:
    if not udevd_running() or shutil.which("xorriso") is None:
        pytest.skip("needs systemd-udevd and xorriso (iso/build installs it)")
    tree = tmp_path / "tree"
    (tree / "live").mkdir(parents=True)
    (tree / "live" / "README").write_text("not a real image\n")
    iso = tmp_path / "stick.iso"
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-V", "RESCUE_TUI", "-o", str(iso), str(tree)], check=True)
    device = loops.attach(iso)
    loops.settle()
    disks = {d.name: d for d in live_inventory(cmdline="boot=live toram").disks}
    assert disks[Path(device).name].rescue_medium
