"""Preflight helpers: mounts under the target, space per filesystem, pseudo filesystems."""

from __future__ import annotations

from pathlib import Path

from rescue_tui.restore.checks import SpaceEstimate, mounts_under, pseudo_mounts_under, read_mounts, target_check
from rescue_tui.restore.model import CheckStatus

MOUNTINFO = """\
22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
23 22 0:5 / /proc rw - proc proc rw
24 22 0:6 / /sys rw - sysfs sysfs rw
30 22 252:2 / /mnt/target rw - ext4 /dev/vdb2 rw
31 30 252:3 / /mnt/target/boot rw - ext4 /dev/vdb1 rw
32 31 252:4 / /mnt/target/boot/efi rw - vfat /dev/vdb0 rw
33 30 252:5 / /mnt/target/home\\040dir rw - xfs /dev/vdb3 rw
34 30 0:40 / /mnt/target/run rw - tmpfs tmpfs rw
"""


def test_mountinfo_is_parsed_with_its_octal_escapes() -> None:
    mounts = read_mounts(MOUNTINFO)
    assert [m.point for m in mounts][-2] == "/mnt/target/home dir"
    assert mounts[1].fstype == "proc"


def test_mounts_under_the_target_come_deepest_first() -> None:
    mounts = read_mounts(MOUNTINFO)
    assert mounts_under(Path("/mnt/target"), mounts) == ["boot/efi", "boot", "home dir", "run", ""]


def test_pseudo_filesystems_under_a_source_are_found() -> None:
    assert pseudo_mounts_under(Path("/"), read_mounts(MOUNTINFO)) == ["mnt/target/run", "proc", "sys"]
    assert pseudo_mounts_under(Path("/mnt/target"), read_mounts(MOUNTINFO)) == ["run"]


def test_each_entry_counts_against_the_deepest_filesystem_it_falls_under(tmp_path: Path) -> None:
    estimate = SpaceEstimate(tmp_path, mount_points=["boot/efi", "boot", ""])
    estimate.add("boot/efi/EFI/debian/grubx64.efi", 5000)
    estimate.add("boot/vmlinuz", 4096)
    estimate.add("bootstrap.txt", 1)
    estimate.add("usr/bin/ls", 0)
    assert estimate.bytes_by_mount == {"boot/efi": 8192, "boot": 4096, "": 4096}
    assert estimate.files_by_mount == {"boot/efi": 1, "boot": 1, "": 2}
    assert estimate.total_bytes == 9097 and estimate.total_files == 4


def test_an_estimate_larger_than_the_free_space_fails_naming_the_filesystem(tmp_path: Path) -> None:
    estimate = SpaceEstimate(tmp_path, mount_points=[""])
    estimate.add("huge.img", 1 << 60)
    result = estimate.check()
    assert result.status is CheckStatus.FAIL
    assert result.detail.startswith(f"{tmp_path} needs 1044.5 PiB but has")  # 2 % margin


def test_a_target_with_data_in_it_is_a_warning_and_lost_found_is_not_data(tmp_path: Path) -> None:
    (tmp_path / "lost+found").mkdir()
    assert target_check(tmp_path).status is CheckStatus.OK
    (tmp_path / "etc").mkdir()
    assert target_check(tmp_path).status is CheckStatus.WARN
    assert target_check(tmp_path / "missing").status is CheckStatus.FAIL
