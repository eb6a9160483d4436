"""The chroot's bind mounts: made in order, undone in reverse, always; what was there is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescue_tui.finalize.chroot import chroot_mounts, host_argv, mount_points
from rescue_tui.finalize.errors import FinalizeError
from rescue_tui.finalize.model import Command, Note


class Mounts:
    def __init__(self, already: set[str] | None = None, fail: str | None = None) -> None:
        self.table = set(already or ())
        self.fail = fail
        self.ran: list[str] = []

    def __call__(self, command: Command) -> str:
        argv = command.argv
        self.ran.append(" ".join(argv))
        if self.fail and self.fail in " ".join(argv):
            raise FinalizeError(f"{' '.join(argv)}: failed")
        if argv[0] == "mount":
            self.table.add(argv[-1])
        elif argv[0] == "umount":
            self.table.discard(argv[-1])
        return ""


def test_dev_proc_sys_run_are_bound_and_unbound_in_reverse(tmp_path: Path) -> None:
    mounts = Mounts()
    notes: list[Note] = []
    with chroot_mounts(tmp_path, mounts, efivars=False, notes=notes, mounted=lambda: mounts.table) as done:
        assert done == [str(tmp_path / d) for d in ("dev", "proc", "sys", "run")]
    assert mounts.ran == [
        f"mount --bind /dev {tmp_path}/dev",
        f"mount --bind /proc {tmp_path}/proc",
        f"mount --bind /sys {tmp_path}/sys",
        f"mount --bind /run {tmp_path}/run",
        f"umount {tmp_path}/run",
        f"umount {tmp_path}/sys",
        f"umount {tmp_path}/proc",
        f"umount {tmp_path}/dev",
    ]
    assert mounts.table == set() and notes == []


def test_efivarfs_is_mounted_when_the_sysfs_has_the_directory(tmp_path: Path) -> None:
    (tmp_path / "sys/firmware/efi/efivars").mkdir(parents=True)
    mounts = Mounts()
    with chroot_mounts(tmp_path, mounts, efivars=True, notes=[], mounted=lambda: mounts.table):
        pass
    assert f"mount -t efivarfs efivarfs {tmp_path}/sys/firmware/efi/efivars" in mounts.ran
    assert mounts.ran[5] == f"umount {tmp_path}/sys/firmware/efi/efivars"


def test_everything_is_unmounted_when_the_work_inside_fails(tmp_path: Path) -> None:
    mounts = Mounts()
    with (
        pytest.raises(FinalizeError, match="grub"),
        chroot_mounts(tmp_path, mounts, efivars=False, notes=[], mounted=lambda: mounts.table),
    ):
        raise FinalizeError("grub-install failed")
    assert mounts.table == set()


def test_a_failed_mount_unmounts_what_was_mounted_before_it(tmp_path: Path) -> None:
    mounts = Mounts(fail="/sys")
    with (
        pytest.raises(FinalizeError),
        chroot_mounts(tmp_path, mounts, efivars=False, notes=[], mounted=lambda: mounts.table),
    ):
        pass
    assert mounts.ran[-2:] == [f"umount {tmp_path}/proc", f"umount {tmp_path}/dev"] and mounts.table == set()


def test_what_was_mounted_already_is_used_and_left_mounted(tmp_path: Path) -> None:
    mounts = Mounts(already={str(tmp_path / "dev"), str(tmp_path / "proc")})
    with chroot_mounts(tmp_path, mounts, efivars=False, notes=[], mounted=lambda: mounts.table):
        pass
    assert mounts.table == {str(tmp_path / "dev"), str(tmp_path / "proc")}
    assert len(mounts.ran) == 4


def test_a_busy_mount_is_detached_lazily_with_a_warning(tmp_path: Path) -> None:
    mounts = Mounts(fail=f"umount {tmp_path}/run")
    notes: list[Note] = []
    with chroot_mounts(tmp_path, mounts, efivars=False, notes=notes, mounted=lambda: mounts.table):
        pass
    assert f"umount --lazy {tmp_path}/run" in mounts.ran
    assert [n.level for n in notes] == ["warning"]


def test_a_mount_point_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dev").symlink_to("/")
    mounts = Mounts()
    with (
        pytest.raises(FinalizeError, match="symbolic link"),
        chroot_mounts(tmp_path, mounts, efivars=False, notes=[], mounted=lambda: mounts.table),
    ):
        pass
    assert mounts.ran == []


def test_chroot_commands_run_with_a_clean_environment() -> None:
    command = Command(argv=("update-initramfs", "-u", "-k", "all"), where="chroot", why="x")
    assert host_argv(command, Path("/mnt/target")) == [
        "chroot",
        "/mnt/target",
        "/usr/bin/env",
        "-i",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL=C",
        "HOME=/root",
        "TERM=dumb",
        "DEBIAN_FRONTEND=noninteractive",
        "update-initramfs",
        "-u",
        "-k",
        "all",
    ]
    assert host_argv(Command(argv=("efibootmgr",), where="host", why="x"), Path("/t")) == ["efibootmgr"]


def test_mountinfo_mount_points_are_decoded() -> None:
    text = (
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "40 22 0:5 / /mnt/tar\\040get/dev rw shared:2 - devtmpfs udev rw\n"
    )
    assert mount_points(text) == {"/", "/mnt/tar get/dev"}
