"""Drift detection: what ``rescue-tui layout check`` reports between a saved and a fresh capture."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from rescue_tui.layout.capture.build import build_layout
from rescue_tui.layout.capture.probes import ProbeSet
from rescue_tui.layout.compare import compare_layouts, match_items
from rescue_tui.layout.model import Boot, BtrfsSubvolume, Disk, Item, Layout, Machine, Partition
from tests.conftest import DATA

GiB = 1024**3


@functools.cache
def server() -> Layout:
    """Two disks, RAID1, LUKS, LVM with a thin pool, UEFI (handcrafted probes)."""
    text = (DATA / "probes" / "raid1-luks-lvm.json").read_text()
    return build_layout(ProbeSet.from_json(text), captured_at="2024-11-23T03:14:07+01:00")


def change(layout: Layout, item_id: str, **fields: Any) -> Layout:
    items = tuple(dataclasses.replace(i, **fields) if i.id == item_id else i for i in layout.items)
    return dataclasses.replace(layout, items=items)


def without(layout: Layout, *ids: str) -> Layout:
    return dataclasses.replace(layout, items=tuple(i for i in layout.items if i.id not in ids))


def renamed(layout: Layout, old: str, new: str) -> Layout:
    """The layout with one id renamed everywhere, as a capture after a kernel renaming would have it."""

    def fix(value: Any) -> Any:
        if isinstance(value, tuple):
            return tuple(fix(v) for v in value)
        return new if value == old else value

    def rename(item: Item) -> Item:
        fields = {f.name: fix(getattr(item, f.name)) for f in dataclasses.fields(item) if "refs" in f.metadata}
        return dataclasses.replace(item, id=fix(item.id), **fields)

    boot = layout.boot and dataclasses.replace(layout.boot, disks=fix(layout.boot.disks), esps=fix(layout.boot.esps))
    return dataclasses.replace(layout, boot=boot, items=tuple(rename(i) for i in layout.items))


def test_a_layout_compared_with_itself_has_no_differences() -> None:
    assert compare_layouts(server(), server()) == []


def test_capture_time_space_in_use_and_subvolume_ids_are_not_differences() -> None:
    later = dataclasses.replace(
        server(), machine=Machine(hostname="srv01", captured_at="2025-01-01T00:00:00+00:00", captured_by="rescue-tui 9")
    )
    later = change(later, "fs-lv-vg0-root", used=9 * GiB)
    assert compare_layouts(server(), later) == []


def test_a_disk_that_comes_back_under_another_kernel_name_is_the_same_disk() -> None:
    swapped = renamed(renamed(renamed(server(), "sda", "tmp"), "sdb", "sda"), "tmp", "sdb")
    swapped = change(change(swapped, "sda", name="sda", path="/dev/sda"), "sdb", name="sdb", path="/dev/sdb")
    matches = match_items(server(), swapped)
    assert matches["sda"] == "sdb"  # the serial decides, not the name
    assert compare_layouts(server(), swapped) == []


def test_an_array_reassembled_as_md127_is_the_same_array() -> None:
    after = change(renamed(server(), "md0", "md127"), "md127", name="md127", path="/dev/md127")
    assert compare_layouts(server(), after) == []


def test_a_new_label_is_reported_with_old_and_new_value() -> None:
    after = change(server(), "fs-md0", label="BOOT")
    assert compare_layouts(server(), after) == ["changed filesystem fs-md0: label 'boot' -> 'BOOT'"]


def test_a_grown_lv_is_reported_in_readable_sizes() -> None:
    after = change(server(), "lv-vg0-root", size=50 * GiB)
    assert compare_layouts(server(), after) == [
        "changed LVM LV vg0/root: size 40.0 GiB (42949672960 bytes) -> 50.0 GiB (53687091200 bytes)"
    ]


def test_a_resized_partition_is_reported_in_sectors_and_bytes() -> None:
    after = change(server(), "sdb3", size=900000000)
    assert compare_layouts(server(), after) == [
        "changed partition sdb3: size 933505024 sectors (445.1 GiB) -> 900000000 sectors (429.2 GiB)"
    ]


def test_a_recreated_filesystem_is_matched_by_its_device_and_reports_the_new_uuid() -> None:
    after = change(server(), "fs-lv-vg0-home", uuid="0f0f0f0f-1111-4222-8333-444444444444", fstype="xfs")
    assert compare_layouts(server(), after) == [
        "changed filesystem fs-lv-vg0-home: fstype 'ext4' -> 'xfs'",
        "changed filesystem fs-lv-vg0-home: uuid 'b2f3c4d5-e6f7-4081-92a3-b4c5d6e7f809' -> "
        "'0f0f0f0f-1111-4222-8333-444444444444'",
    ]


def test_uuid_case_is_not_a_difference() -> None:
    after = change(server(), "md1", uuid="8D05EB84:2DE831D1:0F4E3A11:7C3C0A52")
    assert compare_layouts(server(), after) == []


def test_a_removed_and_an_added_disk_are_named_with_size_and_serial() -> None:
    extra = Disk(id="sdd", name="sdd", size=4000 * 1000**3, serial="ZL2ABC01", path="/dev/sdd")
    after = dataclasses.replace(server(), items=(*server().items, extra))
    assert compare_layouts(server(), after) == ["added disk sdd (3.6 TiB, serial ZL2ABC01)"]
    assert compare_layouts(after, server()) == ["removed disk sdd (3.6 TiB, serial ZL2ABC01)"]


def test_a_lost_mount_and_its_filesystem_are_both_reported() -> None:
    after = without(server(), "fs-lv-vg0-srv", "mount-fs-lv-vg0-srv")
    assert compare_layouts(server(), after) == [
        "removed filesystem fs-lv-vg0-srv (xfs, on lv-vg0-srv, UUID c3a4d5e6-f708-4192-a3b4-c5d6e7f8091a)",
        "removed mount /srv (of fs-lv-vg0-srv)",
    ]


def test_changed_mount_options_are_reported() -> None:
    after = change(server(), "mount-fs-lv-vg0-home", options="defaults,noatime")
    assert compare_layouts(server(), after) == ["changed mount /home: options 'defaults' -> 'defaults,noatime'"]


def test_a_replaced_raid_member_shows_in_the_member_list() -> None:
    sdb2 = server().by_id()["sdb2"]
    assert isinstance(sdb2, Partition)
    spare_part = dataclasses.replace(sdb2, id="sdb4", number=4, partuuid=None)
    after = dataclasses.replace(server(), items=(*server().items, spare_part))
    after = change(after, "md0", members=("sda2", "sdb4"))
    assert compare_layouts(server(), after) == [
        "changed md array md0: members [sda2, sdb2] -> [sda2, sdb4]",
        "added partition sdb4 (#4, 1.0 GiB)",
    ]


def test_a_filesystem_moved_to_another_device_reports_its_new_device() -> None:
    after = change(server(), "fs-sdb1", device="sda1")
    after = without(after, "fs-sda1", "mount-fs-sda1")
    assert compare_layouts(server(), after) == [
        "removed filesystem fs-sda1 (vfat, on sda1, UUID 7A3B-1C2D)",
        "changed filesystem fs-sdb1: device 'sdb1' -> 'sda1'",
        "removed mount /boot/efi (of fs-sda1)",
    ]


def test_boot_and_machine_changes_come_first() -> None:
    after = dataclasses.replace(
        server(),
        machine=dataclasses.replace(server().machine, hostname="srv02"),
        boot=Boot(firmware="bios", disks=("sda",), esps=("sda1", "sdb1")),
    )
    assert compare_layouts(server(), after) == [
        "changed machine: hostname 'srv01' -> 'srv02'",
        "changed boot: firmware 'uefi' -> 'bios'",
        "changed boot: disks [sda, sdb] -> [sda]",
    ]


def test_a_new_subvolume_is_reported_as_added() -> None:
    before = change(server(), "fs-lv-vg0-home", fstype="btrfs")
    sub = BtrfsSubvolume(id="subvol-home-@snap", filesystem="fs-lv-vg0-home", path="@snap", subvol_id=300)
    after = dataclasses.replace(before, items=(*before.items, sub))
    assert compare_layouts(before, after) == ["added btrfs subvolume subvol-home-@snap (@snap, in fs-lv-vg0-home)"]
