"""Capture of an md RAID1 made of whole disks and partitioned itself (recorded in the rescue VM).

``mdadm --create /dev/md127 --level=1 --raid-devices=2 /dev/vda /dev/vdb``, a GPT on the array
(bios_grub, ext4 /boot, an LVM PV with root and swap), with metadata 1.0 (superblock at the end:
the array's GPT shows through the members) and 1.2 (at the start: the members show no table).
The layout must be what the ReaR importer makes of the same machine
(``tests/data/rear/07-whole-disk-raid-partitioned.conf``): no table on the members, the members
are the disks, the one table is on the array. See tests/data/probes/README.md for how the
recordings were made.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

import pytest

from rescue_tui.layout.capture.build import build_layout
from rescue_tui.layout.capture.probes import ProbeSet
from rescue_tui.layout.codec import dump_layout, parse_layout
from rescue_tui.layout.model import (
    Boot,
    Disk,
    Filesystem,
    Layout,
    LvmLv,
    LvmPv,
    LvmVg,
    MdArray,
    Mount,
    Partition,
    PartitionTable,
    Swap,
)
from rescue_tui.layout.rear_import import import_rear
from rescue_tui.layout.validate import validate_layout
from tests.conftest import DATA

PROBES = DATA / "probes"
RECORDINGS = ("1.0", "1.2", "1.0-member-partitions")
MiB = 1024**2
NO_GRUB = "no grub.cfg under /boot: boot loader assumed to be grub2"  # the rescue system has none
BIOS_BOOT, LINUX_DATA, LINUX_LVM = (
    "21686148-6449-6e6f-744e-656564454649",
    "0fc63daf-8483-4772-8e79-3d69d8477de4",
    "e6d6d379-f507-44c2-a23c-238f2a3df928",
)


@functools.cache
def recorded(name: str) -> ProbeSet:
    return ProbeSet.from_json((PROBES / f"md-whole-disk-partitioned-{name}.json").read_text())


@functools.cache
def captured(name: str) -> Layout:
    return build_layout(recorded(name))


def the(layout: Layout, cls: type[Any]) -> Any:
    [item] = layout.of_type(cls)
    return item


def without_lvm_uuids(layout: Layout) -> list[Any]:
    """The items, less the VG and LV UUIDs that vgcreate and lvcreate draw anew in every recording."""
    return [dataclasses.replace(i, uuid=None) if isinstance(i, LvmVg | LvmLv) else i for i in layout.items]


# --- the recordings as they are -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RECORDINGS)
def test_the_captured_layout_validates_and_survives_the_codec(name: str) -> None:
    assert [str(p) for p in validate_layout(captured(name))] == []
    assert parse_layout(dump_layout(captured(name)), where=name) == captured(name)


@pytest.mark.parametrize("name", RECORDINGS)
def test_the_member_disks_carry_no_partition_table_the_array_carries_the_one_gpt(name: str) -> None:
    layout = captured(name)
    assert [(d.id, d.path, d.size, d.serial) for d in layout.of_type(Disk)] == [
        ("vda", "/dev/vda", 1024 * MiB, "disk1"),
        ("vdb", "/dev/vdb", 1024 * MiB, "disk2"),
    ]
    assert layout.of_type(PartitionTable) == [
        PartitionTable(id="md127-gpt", device="md127", label="gpt", disk_guid="3e7a1c52-9d4b-4f6e-8a21-5b0c7d9e1f30")
    ]
    assert {p.table for p in layout.of_type(Partition)} == {"md127-gpt"}


@pytest.mark.parametrize(
    ("name", "metadata", "array_bytes"),
    [
        ("1.0", "1.0", 1048512 * 1024),  # the disk less the superblock's 64 KiB at its end
        ("1.2", "1.2", 1046528 * 1024),  # less the 1 MiB data offset and the end's alignment
        ("1.0-member-partitions", "1.0", 1048512 * 1024),
    ],
)
def test_the_array_has_the_whole_disks_as_members_with_its_identity(name: str, metadata: str, array_bytes: int) -> None:
    assert the(captured(name), MdArray) == MdArray(
        id="md127",
        name="md127",
        level="raid1",
        members=("vda", "vdb"),
        metadata=metadata,
        uuid="5a6b7c8d:11223344:55667788:99aabbcc",
        array_name="vmtest:root",
        bitmap="none",
        size=array_bytes,
        path="/dev/md127",
    )


@pytest.mark.parametrize(("name", "lvm_sectors"), [("1.0", 1566720), ("1.2", 1562624)])
def test_the_array_partitions_keep_sectors_types_names_partuuids_and_flags(name: str, lvm_sectors: int) -> None:
    def part(number: int, start: int, size: int, gpt_type: str, label: str, flags: tuple[Any, ...]) -> Partition:
        return Partition(
            id=f"md127p{number}",
            table="md127-gpt",
            number=number,
            start=start,
            size=size,
            gpt_type=gpt_type,
            name=label,
            partuuid=f"7d1e2f30-000{number}-4a5b-8c6d-00000000000{number}",
            flags=flags,
            path=f"/dev/md127p{number}",
        )

    assert captured(name).of_type(Partition) == [
        part(1, 2048, 2048, BIOS_BOOT, "bios", ("bios_grub",)),
        part(2, 4096, 256 * MiB // 512, LINUX_DATA, "boot", ()),
        part(3, 528384, lvm_sectors, LINUX_LVM, "lvm", ("lvm",)),  # to the end of the array
    ]


@pytest.mark.parametrize(("name", "pv_bytes"), [("1.0", 802160640), ("1.2", 800063488)])
def test_the_pv_on_the_third_array_partition_holds_vg0_with_root_and_swap(name: str, pv_bytes: int) -> None:
    layout = captured(name)
    assert layout.of_type(LvmPv) == [
        LvmPv(id="pv-md127p3", device="md127p3", uuid="Kx9aQz-1a2B-3c4D-5e6F-7g8H-9i0J-KlMnOp", size=pv_bytes)
    ]
    vg = the(layout, LvmVg)
    assert (vg.id, vg.name, vg.pvs, vg.pe_size) == ("vg-vg0", "vg0", ("pv-md127p3",), 4 * MiB)
    lvs = [(lv.id, lv.vg, lv.size, lv.segment_type, lv.path) for lv in layout.of_type(LvmLv)]
    assert lvs == [
        ("lv-vg0-root", "vg-vg0", 512 * MiB, "linear", "/dev/vg0/root"),
        ("lv-vg0-swap", "vg-vg0", 64 * MiB, "linear", "/dev/vg0/swap"),
    ]


@pytest.mark.parametrize("name", RECORDINGS)
def test_filesystems_swap_and_mounts_keep_their_uuids_and_labels(name: str) -> None:
    layout = captured(name)
    assert [(f.id, f.device, f.fstype, f.uuid, f.label, f.block_size) for f in layout.of_type(Filesystem)] == [
        ("fs-lv-vg0-root", "lv-vg0-root", "ext4", "6e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b", "root", 4096),
        ("fs-md127p2", "md127p2", "ext4", "7f2e3d4c-5b6a-4798-8b1c-2d3e4f5a6b7c", "boot", 1024),
    ]
    assert layout.of_type(Swap) == [
        Swap(id="swap-lv-vg0-swap", device="lv-vg0-swap", uuid="8a3f4e5d-6c7b-48a9-9c2d-3e4f5a6b7c8d", label="swap0")
    ]
    assert [(m.path, m.source, m.options, m.passno) for m in layout.of_type(Mount)] == [
        ("/", "fs-lv-vg0-root", "errors=remount-ro", 1),
        ("/boot", "fs-md127p2", "defaults", 2),  # fstab says UUID=, which the members' vda2/vdb2 may show too
    ]


@pytest.mark.parametrize("name", RECORDINGS)
def test_both_members_are_boot_disks_and_nothing_else_is_noted(name: str) -> None:
    layout = captured(name)
    assert layout.boot == Boot(firmware="bios", disks=("vda", "vdb"))
    assert layout.origin is not None and layout.origin.notes == (NO_GRUB,)


@pytest.mark.parametrize("name", RECORDINGS)
def test_the_capture_has_the_structure_the_rear_importer_gives_the_same_machine(name: str) -> None:
    rear = import_rear((DATA / "rear" / "07-whole-disk-raid-partitioned.conf").read_text(), where="07")
    assert structure(captured(name)) == structure(rear)


def structure(layout: Layout) -> dict[str, Any]:
    """What the layout says, less names, places, sizes, flags and ids.

    ReaR's machine had metadata 1.0 on sda and sdb of 10 GiB, and legacy_boot set on /boot."""
    by_id = layout.by_id()
    array = the(layout, MdArray)

    def path(item_id: str) -> str | None:
        return getattr(by_id[item_id], "path", None)

    return {
        "array": (array.level, array.uuid, array.path),
        "members": [type(by_id[m]).__name__ for m in array.members],
        "tables": [(type(by_id[t.device]).__name__, path(t.device), t.label) for t in layout.of_type(PartitionTable)],
        "partitions": [(p.path, p.number, p.gpt_type and p.gpt_type.lower()) for p in layout.of_type(Partition)],
        "pvs": [(path(pv.device), pv.uuid) for pv in layout.of_type(LvmPv)],
        "lvs": sorted((lv.name, lv.segment_type, lv.path) for lv in layout.of_type(LvmLv)),
        "filesystems": sorted((f.fstype, f.uuid, f.label, path(f.device)) for f in layout.of_type(Filesystem)),
        "swaps": [(s.uuid, path(s.device)) for s in layout.of_type(Swap)],
        "mounts": sorted((m.path, path(str(getattr(by_id[m.source], "device", "")))) for m in layout.of_type(Mount)),
        "boot disks": len(layout.boot.disks) if layout.boot else None,
    }


# --- the same machine, read otherwise ----------------------------------------------------------------------------


def test_partition_nodes_on_the_members_change_nothing() -> None:
    """``partx -a /dev/vda`` (or a partprobe) while the array runs: the kernel shows the array's partitions
    again on each member (vda1-3, vdb1-3, with the same filesystem and PV UUIDs); they are not captured."""
    nodes = recorded("1.0-member-partitions").lsblk["blockdevices"]
    assert [c["name"] for n in nodes if n["name"] == "vda" for c in n["children"]] == ["md127", "vda1", "vda2", "vda3"]
    assert without_lvm_uuids(captured("1.0-member-partitions")) == without_lvm_uuids(captured("1.0"))


def test_fstab_uuids_name_the_arrays_partition_whatever_order_lsblk_lists_the_members_partitions_in() -> None:
    """lsblk sorts children by name: vda1 after md127, but hda1 or dasda1 would come first."""
    data = json.loads(recorded("1.0-member-partitions").to_json())
    for disk in data["lsblk"]["blockdevices"]:
        disk.get("children", []).reverse()
    layout = build_layout(ProbeSet(**data))
    assert [(m.path, m.source) for m in layout.of_type(Mount)] == [("/", "fs-lv-vg0-root"), ("/boot", "fs-md127p2")]
    assert without_lvm_uuids(layout) == without_lvm_uuids(captured("1.0-member-partitions"))


def seen_through(probes: ProbeSet) -> ProbeSet:
    """The 1.0 recording as an older libblkid (or a udev database read before the array was made) has it:
    the members report the array's GPT, and sfdisk reads it on them as it did in the guest (the array's
    table with the member's node names, after two warnings on stderr)."""
    data = json.loads(probes.to_json())
    array_table = json.dumps(data["sfdisk"]["/dev/md127"])
    for member in ("/dev/vda", "/dev/vdb"):
        data["blkid"][member] += "PTUUID=3e7a1c52-9d4b-4f6e-8a21-5b0c7d9e1f30\nPTTYPE=gpt\n"
        data["sfdisk"][member] = json.loads(array_table.replace("/dev/md127", member))
    return ProbeSet(**data)


def test_a_gpt_read_through_a_whole_disk_member_is_left_to_the_array_with_a_note() -> None:
    layout = build_layout(seen_through(recorded("1.0")))
    assert layout.items == captured("1.0").items
    assert layout.origin is not None and layout.origin.notes == (
        "/dev/vda is a whole-disk member of /dev/md127: its gpt table is the array's",
        "/dev/vdb is a whole-disk member of /dev/md127: its gpt table is the array's",
        NO_GRUB,
    )
    assert [str(p) for p in validate_layout(layout)] == []


def test_a_table_on_an_md_member_whose_array_is_not_assembled_is_not_taken_for_the_disks_own() -> None:
    data = json.loads(seen_through(recorded("1.0")).to_json())
    data["lsblk"]["blockdevices"] = [
        {k: v for k, v in n.items() if k != "children"} for n in data["lsblk"]["blockdevices"]
    ]  # the array stopped: the members have no children
    layout = build_layout(ProbeSet(**data))
    assert [i.type for i in layout.items] == ["disk", "disk"]
    assert layout.origin is not None
    assert (
        "/dev/vda is an md member but no array on it is assembled: its gpt table is not its own; "
        "nothing on it captured (assemble the array, then capture again)"
    ) in layout.origin.notes
