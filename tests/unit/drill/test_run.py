"""How a drill reads the rescue console: where each phase ends, and why a recovery stopped."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from rescue_tui.drill.media import TargetDisk, guest_serial
from rescue_tui.drill.run import BOOT_FAILED, PHASE_ENDS, STOPPED, _stop_reason, expected_layout
from rescue_tui.drill.run import CONSOLE as BOOT_OPTIONS
from rescue_tui.drill.serial import wait_for
from rescue_tui.errors import GuestError
from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.identity import identity_differences
from rescue_tui.layout.model import Disk
from tests.conftest import ROOT

CONSOLE = """\
rescue-tui: unattended recovery (layout=/mnt/backup/layout.json backend=tar:/mnt/backup/h.tar.zst unattended=yes)
backup disk: /dev/disk/by-id/virtio-drill-backup mounted read-only at /mnt/backup
mapping: sda -> vda (same serial/WWN)
recovering vm-raid onto /dev/vda, /dev/vdb: do not power off
== apply: applying the plan of vm-raid (saved as /run/rescue-tui/plan.json)
== mount: mounting the new filesystems under /mnt/target
== restore: restoring tar:/mnt/backup/h.tar.zst into /mnt/target
        restored 100 bytes, 3 entries in 0.1 s; verified (checksum manifest): 2 files hashed, 1 differences
Unattended recovery FAILED after it started writing:
  restore: verify found 1 difference: /etc/hostname missing
  to go on: Enter on any console, then t takes the recovery over
"""


def test_the_phases_end_in_the_order_the_recovery_prints_them() -> None:
    ends = [CONSOLE.find(line) for _phase, line in PHASE_ENDS[:3]]  # this one stopped in the restore
    assert all(at >= 0 for at in ends) and ends == sorted(ends)


def test_a_stopped_recovery_is_reported_with_what_the_console_said() -> None:
    try:
        wait_for(lambda: CONSOLE, ("Unattended recovery done:",), timeout=5, fail=STOPPED)
    except GuestError as exc:
        reason = _stop_reason(exc)
    else:
        raise AssertionError("a FAILED console did not stop the wait")
    assert reason.startswith("Unattended recovery FAILED after it started writing:")
    assert "verify found 1 difference: /etc/hostname missing" in reason


def test_a_timeout_is_reported_by_its_first_line() -> None:
    assert _stop_reason(GuestError("ttyS0: no ('x',) within 5 s; what it shows:\nboot")) == (
        "ttyS0: no ('x',) within 5 s; what it shows:"
    )


LIVE_BOOT_GAVE_UP = """\
  BOOT FAILED!
  This Live System image failed to boot.
  live-boot will now start a shell. The error message was:
    Unable to find a medium containing a live file system
BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) built-in shell (ash)
(initramfs) \
"""


def test_a_rescue_image_that_does_not_boot_ends_the_wait_at_once_with_live_boots_reason() -> None:
    try:
        wait_for(lambda: LIVE_BOOT_GAVE_UP, (PHASE_ENDS[0][1],), timeout=3600, fail=(*STOPPED, *BOOT_FAILED))
    except GuestError as exc:
        reason = _stop_reason(exc)
    else:
        raise AssertionError("a console at the initramfs shell did not stop the wait")
    assert reason == (
        "the rescue image did not boot: ttyS0: it shows 'BOOT FAILED' "
        "(Unable to find a medium containing a live file system)"
    )


def test_a_drill_boots_the_rescue_kernel_with_the_options_of_the_images_own_grub_entry() -> None:
    """The drill boots the kernel directly; it must boot it as an operator's grub does (the one
    difference: the medium's UUID, which grub finds at boot)."""
    grub = (ROOT / "iso" / "grub" / "grub.cfg").read_text()
    values = dict(re.findall(r'^set (\w+)="(.*)"$', grub, re.M))
    default = re.search(r'menuentry "rescue-tui" \{\n\s*linux /live/vmlinuz (.*)\n', grub)
    assert default is not None
    options = default.group(1)
    for _ in range(len(values)):  # $medium_uuid stays: grub's probe sets it at boot
        options = re.sub(r"\$(\w+)", lambda m: values.get(m.group(1), m.group(0)), options)
    assert sorted(o for o in options.split() if not o.startswith("rescue.medium=")) == sorted(BOOT_OPTIONS.split())


def test_onto_disks_of_other_sizes_the_drill_expects_the_resized_geometry_and_every_identity_field() -> None:
    layout = read_layout(ROOT / "layouts/examples/raid1-lvm.json")
    same = [TargetDisk(source=d.id, serial=guest_serial(d), size=d.size, path=Path(f"/{d.id}"))
            for d in layout.of_type(Disk)]  # fmt: skip
    assert expected_layout(layout, same) == (layout, same)
    bigger = [dataclasses.replace(d, size=3 << 40) for d in same]
    expected, mapped = expected_layout(layout, bigger)
    assert mapped == bigger  # by serial: each layout disk onto the disk made for it
    differences = identity_differences(layout, expected, {})
    # Only the RAID members grow, into the bigger disks; the BIOS boot partitions, every UUID, label and
    # PARTUUID stay what the layout says (the expected identity is the layout's, resized).
    assert [line.split(":")[0] for line in differences] == ["partition sda#2", "partition sdb#2"], differences
    for line in differences:
        want, got = line.split(": want ")[1].split(", got ")
        assert want.split(", ")[2:] == got.split(", ")[2:] and int(got.split(", ")[1]) > int(want.split(", ")[1])


def test_without_serials_the_drill_expects_the_disks_where_the_recoverys_own_mapping_puts_them() -> None:
    layout = read_layout(ROOT / "layouts/examples/raid1-lvm.json")
    layout = dataclasses.replace(layout, items=tuple(
        dataclasses.replace(i, serial=None, wwn=None) if isinstance(i, Disk) else i for i in layout.items))  # fmt: skip
    made = [TargetDisk(source=d.id, serial=guest_serial(d), size=d.size, path=Path(f"/{d.id}"))
            for d in layout.of_type(Disk)]  # fmt: skip
    made[0] = dataclasses.replace(made[0], size=2 * made[0].size)  # --disk sda=... twice its size
    expected, mapped = expected_layout(layout, made)
    # No serial to go by: layout sda takes vdb (made for sdb: the same size), sdb the bigger vda (the smallest
    # that fits); the disks stay in the order they were made, so the guest's names do not change.
    assert [(d.path.name, d.source) for d in mapped] == [("sda", "sdb"), ("sdb", "sda")]
    differences = identity_differences(layout, expected, {})
    assert [line.split(":")[0] for line in differences] == ["partition sdb#2"], differences  # sdb grew
