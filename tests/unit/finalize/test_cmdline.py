"""Kernel command lines and resume settings: /etc/default/grub, BLS entries, /etc/kernel/cmdline, Debian's RESUME."""

from __future__ import annotations

from rescue_tui.finalize.cmdline import (
    rewrite_arguments,
    rewrite_bls_entry,
    rewrite_default_grub,
    rewrite_kernel_cmdline,
    rewrite_resume_conf,
)
from tests.unit.finalize.conftest import bios_single, debian_raid, kestrel_luks, nova_uefi

SWAP = "1eaf3d51-88f7-49a6-8be2-52aec37f7bad"
LUKS = "4f4d7d80-e093-49e8-8c2e-2da2d6cb5d34"

DEBIAN_GRUB = """\
# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="console=ttyS0,115200n8 resume=/dev/sda2"
"""

RHEL_BLS = """\
title Red Hat Enterprise Linux (5.14.0-362.8.1.el9_3.x86_64) 9.3 (Plow)
version 5.14.0-362.8.1.el9_3.x86_64
linux /vmlinuz-5.14.0-362.8.1.el9_3.x86_64
initrd /initramfs-5.14.0-362.8.1.el9_3.x86_64.img $tuned_initrd
options root=/dev/mapper/nova--vg-root ro crashkernel=1G-4G:192M resume=/dev/mapper/nova--vg-swap_1 rd.lvm.lv=nova-vg/root rd.lvm.lv=nova-vg/swap_1 rhgb quiet $tuned_params
grub_users $grub_users
grub_arg --unrestricted
grub_class rhel
"""  # noqa: E501


def test_debians_resume_node_becomes_the_swap_uuid_inside_the_quotes() -> None:
    result = rewrite_default_grub(DEBIAN_GRUB, bios_single())
    assert result.after == DEBIAN_GRUB.replace("resume=/dev/sda2", f"resume=UUID={SWAP}")
    [change] = result.changes
    assert change.line == 7 and change.why == f"resume=/dev/sda2: /dev/sda2 is /dev/vda2 now; named UUID={SWAP}"


def test_single_quotes_export_and_a_trailing_comment_are_kept() -> None:
    text = "export GRUB_CMDLINE_LINUX='root=/dev/sda1 ro'  # set by hand\n"
    result = rewrite_default_grub(text, bios_single())
    assert (
        result.after == "export GRUB_CMDLINE_LINUX='root=UUID=6cd0e696-c356-4204-8543-2337cde344ad ro'  # set by hand\n"
    )


def test_rhel_bls_options_by_lvm_name_are_kept_and_checked() -> None:
    result = rewrite_bls_entry(RHEL_BLS, nova_uefi(), path="/boot/loader/entries/x.conf")
    assert result.after == RHEL_BLS and result.changes == () and result.notes == ()


def test_an_lv_the_layout_does_not_have_is_a_warning() -> None:
    result = rewrite_bls_entry("options root=/dev/mapper/nova--vg-root rd.lvm.lv=nova-vg/usr\n", nova_uefi(), path="/e")
    [note] = result.notes
    assert (note.level, note.message) == ("warning", "rd.lvm.lv=nova-vg/usr: no such logical volume in the layout")


def test_luks_and_md_uuids_for_the_initramfs_are_checked_not_changed() -> None:
    value = f"rd.luks.uuid=luks-{LUKS} rd.luks.name={LUKS}=cryptroot rd.luks.uuid=00000000-0000-4000-8000-000000000000"
    new, whys, notes = rewrite_arguments(value, kestrel_luks())
    assert new == value and whys == []
    assert notes == [
        ("warning", "rd.luks.uuid=00000000-0000-4000-8000-000000000000: no LUKS container of the layout has this UUID")
    ]
    new, whys, notes = rewrite_arguments(
        "rd.md.uuid=38d0842c:bac87d6f:b13495c3:60f3416c rd.md.uuid=1:2:3:4", debian_raid()
    )
    assert notes == [("warning", "rd.md.uuid=1:2:3:4: no md array of the layout has this UUID")]


def test_arch_cryptdevice_gets_the_luks_uuid_and_keeps_its_name() -> None:
    new, whys, _ = rewrite_arguments(
        "cryptdevice=/dev/nvme0n1p3:cryptroot:allow-discards root=/dev/kestrel/root", kestrel_luks()
    )
    assert new == f"cryptdevice=UUID={LUKS}:cryptroot:allow-discards root=/dev/kestrel/root"
    assert len(whys) == 1


def test_an_unknown_root_is_a_warning_and_other_arguments_are_left_alone() -> None:
    new, whys, notes = rewrite_arguments("root=/dev/sdq1 init=/sbin/init quiet  splash", bios_single())
    assert new == "root=/dev/sdq1 init=/sbin/init quiet  splash" and whys == []
    assert notes == [("warning", "root=/dev/sdq1: not a device of the recovered layout; boot may wait for it")]


def test_kernel_cmdline_file_is_one_command_line() -> None:
    result = rewrite_kernel_cmdline("root=/dev/sda1 ro quiet\n", bios_single())
    assert result.after == "root=UUID=6cd0e696-c356-4204-8543-2337cde344ad ro quiet\n"


def test_debians_resume_setting_names_the_swap_by_uuid() -> None:
    result = rewrite_resume_conf("RESUME=/dev/sda2\n", bios_single())
    assert result.after == f"RESUME=UUID={SWAP}\n"
    for kept in ("RESUME=none\n", f"RESUME=UUID={SWAP}\n", "# RESUME=/dev/sda2\n"):
        assert rewrite_resume_conf(kept, bios_single()).after == kept


def test_an_unknown_resume_device_is_a_warning() -> None:
    result = rewrite_resume_conf("RESUME=UUID=0000\n", bios_single())
    assert result.notes[0].message == "RESUME=UUID=0000: not a device of the recovered layout; boot may wait for it"
