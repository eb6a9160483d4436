"""The built image, looked at from the host: size, hybrid boot, network-boot files, settings, embedding."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from rescue_tui.drill.machine import Image
from tests.conftest import DATA, ROOT

pytestmark = pytest.mark.vm

MAX_ISO_BYTES = 350 * 1000 * 1000


def squashfs_file(squashfs: Path, path: str) -> str:
    result = subprocess.run(["unsquashfs", "-cat", str(squashfs), path], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_iso_is_at_most_350_mb(rescue_image: Image) -> None:
    assert rescue_image.iso.stat().st_size <= MAX_ISO_BYTES


def test_the_iso_boots_on_bios_and_uefi_and_from_a_usb_stick(rescue_image: Image) -> None:
    report = subprocess.run(
        ["xorriso", "-indev", str(rescue_image.iso), "-report_el_torito", "plain", "-report_system_area", "plain"],
        capture_output=True,
        text=True,
    ).stdout
    assert "El Torito boot img :   1  BIOS" in report
    assert "El Torito boot img :   2  UEFI" in report
    assert "MBR partition table" in report or "MBR partition" in report  # dd to a USB stick works
    assert rescue_image.iso.read_bytes()[510:512] == b"\x55\xaa"


def test_kernel_initrd_and_squashfs_are_beside_the_iso_for_network_boot(rescue_image: Image) -> None:
    for name in ("vmlinuz", "initrd.img", "filesystem.squashfs"):
        assert (rescue_image.dir / name).stat().st_size > 1_000_000


def test_the_image_assembles_and_activates_nothing_on_its_own(rescue_image: Image) -> None:
    squashfs = rescue_image.dir / "filesystem.squashfs"
    assert "AUTO -all" in squashfs_file(squashfs, "etc/mdadm/mdadm.conf")
    lvm = squashfs_file(squashfs, "etc/lvm/lvm.conf")
    assert "\tevent_activation = 0" in lvm
    assert "\tauto_activation_volume_list = []" in lvm
    listing = subprocess.run(["unsquashfs", "-lls", str(squashfs), "etc/udev/rules.d", "etc/crypttab"],
                             capture_output=True, text=True).stdout  # fmt: skip
    assert "64-md-raid-assembly.rules -> /dev/null" in listing
    assert "etc/crypttab" not in listing


MEDIUM_MODULES = (
    "sr_mod", "isofs", "udf", "usb-storage", "uas", "xhci-pci", "ahci", "nvme", "virtio_blk",
    "virtio_scsi", "mpt3sas", "megaraid_sas", "sd_mod", "vfat", "ext4", "squashfs", "overlay",
)  # fmt: skip
"""What finds the medium the rescue system boots from: a CD, a USB stick, a disk, virtual media."""


def test_the_initramfs_finds_every_kind_of_medium_and_carries_nothing_else(rescue_image: Image) -> None:
    """The initramfs only mounts the medium (iso/rootfs/etc/initramfs-tools/hooks/zz-rescue-medium-only):
    a smaller one boots seconds faster under emulation; it must still find every medium."""
    listing = subprocess.run(["lsinitramfs", str(rescue_image.initrd)], capture_output=True, text=True, check=True)
    modules = {Path(line).name.split(".ko")[0] for line in listing.stdout.splitlines() if ".ko" in line}
    assert not [m for m in MEDIUM_MODULES if m not in modules]
    assert not [line for line in listing.stdout.splitlines() if "/kernel/drivers/net/" in line]
    assert not {"xfs", "btrfs", "nfs"} & modules
    loaded = subprocess.run(
        ["sh", "-c", f"zstdcat {rescue_image.initrd} | cpio -i --quiet --to-stdout conf/modules"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert "virtio_rng" in loaded
    assert not {"raid1", "raid456", "raid10"} & set(loaded)


def test_an_embedded_layout_and_ssh_keys_land_at_fixed_paths_without_rebuilding_the_base(
    rescue_image: Image, tmp_path: Path
) -> None:
    layout = DATA / "layouts" / "good" / "minimal-uefi.json"
    keys = DATA / "ssh" / "operator.pub"
    # A path relative to where the operator stands, as in `make iso LAYOUT=layouts/...`.
    result = subprocess.run(
        [
            str(ROOT / "iso" / "build"),
            "--json",
            "--layout",
            str(layout.relative_to(ROOT)),
            "--ssh-keys",
            str(keys.relative_to(ROOT)),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    info = json.loads(result.stdout)
    assert info["rootfs_cached"] is True
    assert info["iso"] == str(tmp_path / "out" / "rescue-tui.iso")
    embedded = squashfs_file(tmp_path / "out" / "filesystem.squashfs", "rescue/etc/layout.json")
    assert embedded == layout.read_text()
    squashfs = tmp_path / "out" / "filesystem.squashfs"
    assert squashfs_file(squashfs, "rescue/etc/ssh/authorized_keys") == keys.read_text()
    listing = subprocess.run(["unsquashfs", "-lls", str(tmp_path / "out" / "filesystem.squashfs"), "etc/rescue-tui"],
                             capture_output=True, text=True).stdout  # fmt: skip
    assert "etc/rescue-tui -> /rescue/etc" in listing


def test_ssh_keys_with_options_are_refused_and_nothing_is_built(tmp_path: Path) -> None:
    keys = tmp_path / "authorized_keys"
    keys.write_text('command="/bin/sh" ' + (DATA / "ssh" / "operator.pub").read_text())
    result = subprocess.run(
        [str(ROOT / "iso" / "build"), "--ssh-keys", str(keys)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 2
    assert f"{keys}:1: 'command=\"/bin/sh\"' is not a key type" in result.stderr
    assert f"keys file {keys} is not valid: not embedded" in result.stderr
    assert result.stdout == ""


def test_an_invalid_layout_is_refused_and_nothing_is_built(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format_version": 1, "items": 3}')
    result = subprocess.run(
        [str(ROOT / "iso" / "build"), "--layout", str(bad)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 2
    assert "is not valid: not embedded" in result.stderr
    assert result.stdout == ""
