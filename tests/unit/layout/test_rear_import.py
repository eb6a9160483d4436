"""Importing ReaR's disklayout.conf: real samples, crafted files per ReaR era, and broken input."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from rescue_tui.errors import RearImportError
from rescue_tui.layout.codec import dump_layout, parse_layout
from rescue_tui.layout.model import (
    BtrfsSubvolume,
    Disk,
    Filesystem,
    Item,
    Layout,
    Luks,
    LvmLv,
    LvmPv,
    LvmVg,
    MdArray,
    Mount,
    Partition,
    PartitionTable,
    Swap,
)
from rescue_tui.layout.rear_import import import_rear, read_rear
from rescue_tui.layout.validate import validate_layout
from tests.conftest import DATA

REAR = DATA / "rear"
GOOD = sorted(REAR.glob("*.conf"))
BAD = REAR / "bad"

ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649"
LINUX_RAID = "A19D880F-05FC-4D3B-A006-743F0F84911E"
LINUX_DATA = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
GIB = 1024**3

T = TypeVar("T", bound=Item)


def load(name: str, **kwargs: str) -> Layout:
    path = REAR / name
    return import_rear(path.read_text(), where=str(path), **kwargs)


def get(layout: Layout, item_id: str, cls: type[T]) -> T:
    item = layout.by_id()[item_id]
    assert isinstance(item, cls), f"{item_id} is a {type(item).__name__}"
    return item


def imported(*lines: str) -> Layout:
    return import_rear("\n".join(lines) + "\n", where="test.conf")


def failure(*lines: str) -> str:
    with pytest.raises(RearImportError) as caught:
        imported(*lines)
    return caught.value.message


def counts(layout: Layout) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in layout.items:
        out[item.type] = out.get(item.type, 0) + 1
    return out


def mounts(layout: Layout) -> dict[str, tuple[str, str]]:
    return {m.path: (m.source, m.options) for m in layout.of_type(Mount)}


GPT_DISK = "disk /dev/sda 21474836480 gpt"
MSDOS_DISK = "disk /dev/sda 21474836480 msdos"


# --- every good file ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_every_good_file_imports_to_a_valid_layout(path: Path) -> None:
    layout = read_rear(path)
    assert [str(p) for p in validate_layout(layout)] == []
    assert layout.origin is not None
    assert layout.origin.kind == "rear-import"
    assert layout.origin.source == str(path)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_every_good_file_survives_a_round_trip_through_json_unchanged(path: Path) -> None:
    layout = read_rear(path)
    assert parse_layout(dump_layout(layout), where="roundtrip") == layout


def test_the_real_samples_are_kept_with_the_line_that_cites_their_source() -> None:
    for name in ("01-sles12-msdos-prep-lvm.conf", "02-btrfs-xfs-msdos.conf"):
        assert (REAR / name).read_text().startswith("# Source: rear/rear ")


# --- real sample 1: SLES 12 on POWER, msdos + PReP + LVM, ReaR <= 2.3 ------------------------------


def test_the_sles12_sample_keeps_its_disk_and_partitions_in_exact_sectors() -> None:
    layout = load("01-sles12-msdos-prep-lvm.conf")
    assert get(layout, "disk-sda", Disk).size == 53687091200
    assert get(layout, "pt-sda", PartitionTable).label == "msdos"
    prep = get(layout, "sda1", Partition)
    assert (prep.number, prep.start, prep.size, prep.kind) == (1, 2048, 14336, "primary")
    assert (prep.flags, prep.mbr_type, prep.gpt_type, prep.name) == (("boot", "prep"), "41", None, None)
    lvm = get(layout, "sda2", Partition)
    assert (lvm.start, lvm.size, lvm.flags, lvm.mbr_type) == (16384, 104841216, ("lvm",), "8e")


def test_the_sles12_sample_reads_its_lvmdev_size_as_sectors_and_says_so() -> None:
    layout = load("01-sles12-msdos-prep-lvm.conf")
    assert get(layout, "pv-sda2", LvmPv).size == 104841216 * 512
    assert layout.origin is not None
    notes = layout.origin.notes
    assert any(n.startswith("line 9: PV /dev/sda2: size 104841216 read as 512-byte sectors") for n in notes)


def test_the_sles12_sample_turns_old_extent_lvmvol_lines_into_byte_sizes() -> None:
    layout = load("01-sles12-msdos-prep-lvm.conf")
    vg = get(layout, "vg-system", LvmVg)
    assert (vg.name, vg.pvs, vg.pe_size) == ("system", ("pv-sda2",), 4 * 1024 * 1024)
    root, swap = get(layout, "lv-system-root", LvmLv), get(layout, "lv-system-swap", LvmLv)
    assert (root.vg, root.size, root.segment_type, root.path) == ("vg-system", 40 * GIB, "linear", "/dev/system/root")
    assert (swap.size, swap.segment_type) == (2 * GIB, "linear")


def test_a_prep_partition_makes_the_machine_ppc64le_without_bios_or_uefi_boot_facts() -> None:
    layout = load("01-sles12-msdos-prep-lvm.conf")
    assert layout.machine.architecture == "ppc64le"
    assert layout.machine.hostname == "unknown"
    assert layout.boot is None


# --- real sample 2: btrfs root on a snapper snapshot, cut off after the first fs line -------------


def test_the_btrfs_sample_mounts_root_from_its_snapshot_subvolume_without_subvolid() -> None:
    layout = load("02-btrfs-xfs-msdos.conf")
    fs = get(layout, "fs-root", Filesystem)
    assert (fs.device, fs.fstype, fs.uuid, fs.label) == ("sda3", "btrfs", "c70e4540-4861-4802-aa49-17d04cbe9af3", None)
    sub = get(layout, "subvol-root-@-snapshots-1-snapshot", BtrfsSubvolume)
    assert (sub.filesystem, sub.path) == ("fs-root", "@/.snapshots/1/snapshot")
    assert mounts(layout) == {"/": ("subvol-root-@-snapshots-1-snapshot", "rw,relatime,space_cache")}


def test_the_btrfs_sample_keeps_all_four_partitions_though_later_fs_lines_were_cut_off() -> None:
    layout = load("02-btrfs-xfs-msdos.conf")
    parts = {p.id: (p.start, p.size) for p in layout.of_type(Partition)}
    assert parts == {
        "sda1": (2048, 14336),
        "sda2": (16384, 4208640),
        "sda3": (4225024, 83892224),
        "sda4": (88117248, 268398592),
    }
    assert layout.machine.captured_at == "2023-05-19T16:20:33"


# --- crafted: a modern (post-2.9) file --------------------------------------------------------------


def test_the_modern_file_keeps_every_component() -> None:
    layout = load("03-modern-gpt-raid-luks-lvm.conf")
    assert counts(layout) == {
        "disk": 2,
        "partition_table": 3,
        "partition": 8,
        "md_array": 1,
        "lvm_pv": 1,
        "lvm_vg": 1,
        "lvm_lv": 5,
        "filesystem": 5,
        "mount": 6,
        "btrfs_subvolume": 2,
        "swap": 1,
        "luks": 1,
    }


def test_gpt_partitions_get_decoded_names_types_from_flags_and_their_partuuid() -> None:
    layout = load("03-modern-gpt-raid-luks-lvm.conf")
    bios, esp, raid = (get(layout, i, Partition) for i in ("sda1", "sda2", "sda3"))
    assert (bios.start, bios.size, bios.name, bios.flags, bios.gpt_type) == (
        2048,
        2048,
        "BIOS boot partition",
        ("bios_grub",),
        BIOS_BOOT,
    )
    assert (esp.start, esp.size, esp.name, esp.flags, esp.gpt_type) == (
        4096,
        1048576,
        "EFI System Partition",
        ("esp",),
        ESP,
    )
    assert esp.partuuid == "3f6c1a52-93d4-4b0e-8a8e-1c2f9b7d6e02"
    assert (raid.start, raid.size, raid.name, raid.gpt_type, raid.kind, raid.mbr_type) == (
        1052672,
        40888320,
        "Linux RAID",
        LINUX_RAID,
        "primary",
        None,
    )
    assert get(layout, "sdb3", Partition).name is None  # rear-noname


def test_a_raid1_over_partitions_keeps_members_identity_and_its_size_from_raiddisk() -> None:
    layout = load("03-modern-gpt-raid-luks-lvm.conf")
    md = get(layout, "md127", MdArray)
    assert (md.name, md.level, md.members, md.spares, md.metadata) == ("md127", "raid1", ("sda3", "sdb3"), (), "1.2")
    assert (md.uuid, md.array_name, md.size, md.path) == (
        "8d05eb84:2de831d1:0f4e3a11:7c3c0a52",
        "rescue:root",
        20800602112,
        "/dev/md127",
    )


def test_a_partitioned_md_array_gets_its_own_table_and_keeps_the_md127p_names() -> None:
    layout = load("03-modern-gpt-raid-luks-lvm.conf")
    table = get(layout, "pt-md127", PartitionTable)
    assert (table.device, table.label) == ("md127", "gpt")
    boot, crypt = get(layout, "md127p1", Partition), get(layout, "md127p2", Partition)
    assert (boot.table, boot.number, boot.start, boot.size, boot.name, boot.path) == (
        "pt-md127",
        1,
        2048,
        2097152,
        "boot",
        "/dev/md127p1",
    )
    assert (crypt.number, crypt.start, crypt.size, crypt.name, crypt.path, crypt.gpt_type) == (
        2,
        2099200,
        38524928,
        None,
        "/dev/md127p2",
        LINUX_DATA,
    )


def test_a_luks2_crypt_line_written_after_the_lvm_on_it_becomes_the_pv_device() -> None:
    layout = load("03-modern-gpt-raid-luks-lvm.conf")
    luks = get(layout, "luks-cryptsys", Luks)
    assert (luks.device, luks.name, luks.version, luks.path) == ("md127p2", "cryptsys", 2, "/dev/mapper/cryptsys")
    assert (luks.cipher, luks.key_size, luks.hash, luks.pbkdf) == ("aes-xts-plain64", 512, "sha256", "argon2id")
    assert luks.uuid == "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"
    pv = get(layout, "pv-cryptsys", LvmPv)
    assert (pv.device, pv.uuid, pv.size) == ("luks-cryptsys", "Xq3vZe-pL0b-Ab12-Cd34-Ef56-Gh78-IjKl90", 19707985920)


def test_a_thin_pool_and_its_thin_volume_keep_chunk_metadata_and_pool_reference() -> None:
    layout = load("03-modern-gpt-raid-luks-lvm.conf")
    pool, data = get(layout, "lv-system-pool", LvmLv), get(layout, "lv-system-data", LvmLv)
    assert (pool.segment_type, pool.size, pool.chunk_size, pool.metadata_size) == ("thin-pool", 4 * GIB, 65536, 8388608)
    assert (data.segment_type, data.size, data.pool) == ("thin", 10 * GIB, "lv-system-pool")
    sizes = {lv.name: (lv.size, lv.segment_type) for lv in layout.of_type(LvmLv)}
    assert sizes["root"] == (8 * GIB, "linear") and sizes["home"] == (4 * GIB, "linear")
    assert sizes["swap"] == (1 * GIB, "linear")


def test_filesystems_keep_identity_and_mkfs_relevant_attributes() -> None:
    layout = load("03-modern-gpt-raid-luks-lvm.conf")
    root = get(layout, "fs-root", Filesystem)
    assert (root.device, root.fstype, root.label, root.block_size) == ("lv-system-root", "ext4", "root", 4096)
    assert root.uuid == "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"
    assert root.mkfs_options == ("-m", "5", "-i", "16384")
    boot = get(layout, "fs-boot", Filesystem)
    assert (boot.device, boot.block_size, boot.mkfs_options) == ("md127p1", 1024, ("-m", "5", "-i", "4096"))
    home = get(layout, "fs-home", Filesystem)
    assert (home.fstype, home.label, home.uuid) == ("xfs", None, "2b7c9d1e-3f4a-4b5c-9d6e-7f8a9b0c1d2e")
    efi = get(layout, "fs-boot-efi", Filesystem)
    assert (efi.device, efi.fstype, efi.uuid, efi.label) == ("sda2", "vfat", "7A3B-1C2D", "EFI")
    srv = get(layout, "fs-srv", Filesystem)
    assert (srv.device, srv.fstype, srv.label) == ("lv-system-data", "btrfs", "data")


def test_btrfs_subvolume_lines_become_subvolumes_and_mounts_of_them() -> None:
    layout = load("03-modern-gpt-raid-luks-lvm.conf")
    subs = {s.path: (s.id, s.filesystem, s.subvol_id, s.default) for s in layout.of_type(BtrfsSubvolume)}
    assert subs == {
        "@www": ("subvol-srv-@www", "fs-srv", 256, False),
        "@www/logs": ("subvol-srv-@www-logs", "fs-srv", 257, False),
    }
    assert mounts(layout) == {
        "/": ("fs-root", "rw,relatime,errors=remount-ro"),
        "/boot": ("fs-boot", "rw,relatime"),
        "/boot/efi": (
            "fs-boot-efi",
            "rw,relatime,fmask=0077,dmask=0077,codepage=437,iocharset=ascii,shortname=mixed,utf8,errors=remount-ro",
        ),
        "/home": ("fs-home", "rw,relatime,attr2,inode64,logbufs=8,logbsize=32k,noquota"),
        "/srv": ("fs-srv", "rw,relatime,space_cache=v2"),
        "/srv/www": ("subvol-srv-@www", "rw,relatime,space_cache=v2"),
    }


def test_swap_on_an_lv_found_by_its_device_mapper_name() -> None:
    swap = get(load("03-modern-gpt-raid-luks-lvm.conf"), "swap-system-swap", Swap)
    assert (swap.device, swap.uuid, swap.label) == ("lv-system-swap", "9f347fc7-1605-4788-98fd-fca828beedf1", "swap")


def test_an_esp_with_a_fat_filesystem_makes_the_boot_uefi_and_the_unmounted_second_esp_is_noted() -> None:
    layout = load("03-modern-gpt-raid-luks-lvm.conf")
    assert layout.boot is not None
    assert (layout.boot.firmware, layout.boot.esps, layout.boot.disks) == ("uefi", ("sda2",), ("disk-sda",))
    assert layout.origin is not None
    assert "line 28: EFI system partition /dev/sdb2 has no fs line (not mounted): made empty" in layout.origin.notes


def test_the_hostname_comes_from_the_argument_and_the_date_from_the_header() -> None:
    layout = load("03-modern-gpt-raid-luks-lvm.conf", hostname="web01")
    assert (layout.machine.hostname, layout.machine.captured_at) == ("web01", "2025-06-12T09:30:00")
    assert (layout.machine.captured_by, layout.machine.architecture) == ("rear-import", "x86_64")


# --- crafted: the same server as ReaR 2.8 saw it, crypt line split in two ----------------------------


def test_a_crypt_line_broken_over_two_lines_is_joined_and_gives_the_same_layout() -> None:
    modern = load("03-modern-gpt-raid-luks-lvm.conf")
    split = load("04-rear28-crypt-split.conf")
    expected = tuple(
        dataclasses.replace(i, partuuid=None)
        if isinstance(i, Partition)
        else dataclasses.replace(i, pbkdf=None)
        if isinstance(i, Luks)
        else i
        for i in modern.items
    )
    assert split.items == expected
    assert split.origin is not None
    assert "line 94: crypt line broken over lines 94-95 (a ReaR LUKS2 bug) joined" in split.origin.notes
    assert "line 94: crypt hash had several values (sha256, sha256): kept the first" in split.origin.notes


# --- crafted: an old (ReaR 2.1/2.2) file --------------------------------------------------------------


def test_the_old_raid_keyword_gives_md_arrays_over_partitions() -> None:
    layout = load("05-old-msdos-raid-lvm.conf")
    md0, md1 = get(layout, "md0", MdArray), get(layout, "md1", MdArray)
    assert (md0.level, md0.members, md0.metadata, md0.array_name) == ("raid1", ("sda1", "sdb1"), "1.0", "0")
    assert md0.size is None  # no raiddisk line before ReaR 2.7: derived from the members
    assert (md1.members, md1.metadata, md1.uuid) == (("sda5", "sdb5"), "1.2", "4d2a0b3f:6c8e5d9f:0b1c2d3e:4f5a6b7c")


def test_an_extended_partition_recorded_as_1_kib_is_widened_around_its_logical_partitions() -> None:
    layout = load("05-old-msdos-raid-lvm.conf")
    ext, logical = get(layout, "sda3", Partition), get(layout, "sda5", Partition)
    assert (ext.kind, ext.mbr_type, ext.start, ext.size) == ("extended", "05", 9414656, 303167152)
    assert (logical.kind, logical.number, logical.mbr_type, logical.start, logical.size) == (
        "logical",
        5,
        "fd",
        9416704,
        303165104,
    )
    assert layout.origin is not None
    notes = layout.origin.notes
    assert any(n.startswith("line 17: extended partition /dev/sda3 recorded as 2 sector(s)") for n in notes)


def test_old_lvm_lines_give_byte_sizes_from_sectors_and_extents() -> None:
    layout = load("05-old-msdos-raid-lvm.conf")
    assert get(layout, "pv-md1", LvmPv).size == 302902960 * 512
    assert get(layout, "lv-vg0-root", LvmLv).size == 10 * GIB
    assert get(layout, "lv-vg0-home", LvmLv).size == 100 * GIB


def test_a_luks1_line_without_type_sits_on_an_lv_and_carries_the_home_filesystem() -> None:
    layout = load("05-old-msdos-raid-lvm.conf")
    luks = get(layout, "luks-home", Luks)
    assert (luks.device, luks.version, luks.cipher, luks.hash, luks.key_size) == (
        "lv-vg0-home",
        1,
        "aes-xts-plain64",
        "sha256",
        None,
    )
    assert get(layout, "fs-home", Filesystem).device == "luks-home"


def test_swap_partitions_without_flags_get_the_swap_type() -> None:
    layout = load("05-old-msdos-raid-lvm.conf")
    assert get(layout, "sda2", Partition).mbr_type == "82"
    assert get(layout, "swap-sdb2", Swap).device == "sdb2"


def test_old_ext_attributes_without_mkfs_meaning_are_noted_not_kept() -> None:
    layout = load("05-old-msdos-raid-lvm.conf")
    assert get(layout, "fs-root", Filesystem).mkfs_options == ("-i", "16384")
    assert layout.origin is not None
    assert "line 41: fs /: reserved_blocks=131072 not kept" in layout.origin.notes


def test_active_msdos_partitions_make_the_boot_bios_on_both_raid_disks() -> None:
    layout = load("05-old-msdos-raid-lvm.conf")
    assert layout.boot is not None
    assert (layout.boot.firmware, layout.boot.disks, layout.boot.esps) == ("bios", ("disk-sda", "disk-sdb"), ())


# --- crafted: excluded components ------------------------------------------------------------------


def test_excluded_components_are_listed_with_their_line_and_kept_out_of_the_items() -> None:
    layout = load("06-excluded-components.conf")
    assert layout.origin is not None
    assert layout.origin.excluded == (
        "line 14: disk /dev/sdb",
        "line 17: part /dev/sdb1 on /dev/sdb",
        "line 18: part /dev/sdb2 on /dev/sdb",
        "line 21: lvmdev /dev/sdb1 (PV of /dev/backup)",
        "line 24: lvmgrp /dev/backup",
        "line 27: lvmvol /dev/backup/data",
        "line 35: fs /backup (ext4 on /dev/mapper/backup-data)",
        "line 47: btrfsnormalsubvol @/.snapshots on /dev/sda2",
        "line 55: btrfsmountedsubvol /.snapshots on /dev/sda2",
        "line 60: swap on /dev/sdb2 (on swap device /dev/sdb2, excluded on line 18)",
    )
    assert {i.id for i in layout.items} == {
        "disk-sda",
        "pt-sda",
        "sda1",
        "sda2",
        "fs-boot-efi",
        "mnt-boot-efi",
        "fs-root",
        "subvol-root-@-snapshots-1-snapshot",
        "subvol-root-@",
        "subvol-root-@-home",
        "subvol-root-@-var",
        "mnt-root",
        "mnt-home",
        "mnt-var",
    }


def test_multipath_and_opal_lines_are_skipped_with_notes_and_take_their_partitions_along() -> None:
    layout = load("06-excluded-components.conf")
    assert layout.origin is not None
    notes = layout.origin.notes
    assert "line 28: multipath /dev/mapper/mpatha skipped: multipath devices are not recreated by rescue-tui" in notes
    assert (
        "line 29: part /dev/mapper/mpatha-part1 on /dev/mapper/mpatha "
        "(on disk /dev/mapper/mpatha, skipped on line 28): skipped" in notes
    )
    assert any(n.startswith("line 30: opaldisk /dev/sda skipped: ") for n in notes)
    assert "2 btrfs snapshot subvolume(s) listed by ReaR for documentation only: not recreated" in notes


def test_the_default_subvolume_of_a_snapper_root_is_marked_default_and_mounted_at_root() -> None:
    layout = load("06-excluded-components.conf")
    root = get(layout, "subvol-root-@-snapshots-1-snapshot", BtrfsSubvolume)
    assert (root.path, root.subvol_id, root.default) == ("@/.snapshots/1/snapshot", 267, True)
    assert mounts(layout)["/"] == ("subvol-root-@-snapshots-1-snapshot", "rw,relatime,ssd,space_cache=v2")
    assert mounts(layout)["/home"] == ("subvol-root-@-home", "rw,relatime,ssd,space_cache=v2")
    assert get(layout, "fs-boot-efi", Filesystem).uuid == "12AB-34CD"


def test_old_style_hash_space_exclusions_count_but_readers_headers_do_not() -> None:
    layout = imported(
        MSDOS_DISK,
        "part /dev/sda 21473787904 1048576 primary none /dev/sda1",
        "# disk /dev/sdb 320072933376 msdos",
        "# lvmdev <volume_group> <device> [<uuid>] [<size(bytes)>]",
        "# part lines of this disk follow",
        "#        Version : 1.2",
    )
    assert layout.origin is not None
    assert layout.origin.excluded == ("line 3: disk /dev/sdb",)


def test_a_second_segment_of_a_multi_segment_lv_is_a_note_not_an_exclusion() -> None:
    layout = imported(
        "disk /dev/sda 21474836480 unknown",
        "lvmdev /dev/vg /dev/sda m5HZEO-DWBB-ShHr-YZgm-sloR-8V9Q-aRnFm1 21474836480",
        "lvmgrp /dev/vg 4096 5119 20967424",
        "lvmvol /dev/vg data 2147483648b linear ",
        "#lvmvol /dev/vg data 2147483648b linear ",
    )
    assert layout.origin is not None
    assert layout.origin.excluded == ()
    assert "line 5: further segment of LV /dev/vg/data: the LV is made as one segment" in layout.origin.notes
    assert get(layout, "pv-sda", LvmPv).device == "disk-sda"  # a whole-disk PV on a disk without a table


# --- crafted inline: forms and quirks ----------------------------------------------------------------


def test_a_part_line_without_its_partition_device_is_numbered_in_order() -> None:
    layout = imported(
        MSDOS_DISK,
        "part /dev/sda 1048576 1048576 primary boot",
        "part /dev/sda 1048576 2097152 extended none",
        "part /dev/sda 524288 3145728 logical none",
    )
    numbers = {p.id: (p.number, p.path, p.kind) for p in layout.of_type(Partition)}
    assert numbers == {
        "sda1": (1, "/dev/sda1", "primary"),
        "sda2": (2, "/dev/sda2", "extended"),
        "sda5": (5, "/dev/sda5", "logical"),
    }
    assert validate_layout(layout) == []


def test_msdos_types_follow_the_flags_and_boot_stays_the_active_flag() -> None:
    layout = imported(
        MSDOS_DISK,
        "part /dev/sda 1048576 1048576 primary boot,esp /dev/sda1",
        "part /dev/sda 1048576 2097152 primary lvm /dev/sda2",
        "part /dev/sda 1048576 3145728 primary lba /dev/sda3",
        "part /dev/sda 2097152 4194304 extended lba /dev/sda4",
        "part /dev/sda 1048576 5242880 logical swap,palo /dev/sda5",
    )
    types = {p.id: (p.mbr_type, p.flags) for p in layout.of_type(Partition)}
    assert types == {
        "sda1": ("ef", ("boot", "esp")),
        "sda2": ("8e", ("lvm",)),
        "sda3": ("0c", ("lba",)),
        "sda4": ("0f", ("lba",)),
        "sda5": ("82", ("swap",)),
    }
    assert layout.origin is not None
    assert "line 6: partition flag(s) palo not kept (rescue-tui does not set them)" in layout.origin.notes


def test_gpt_sync_mbr_is_imported_as_gpt_with_a_note() -> None:
    layout = imported("disk /dev/sda 21474836480 gpt_sync_mbr", "part /dev/sda 1048576 1048576 primary none /dev/sda1")
    assert get(layout, "pt-sda", PartitionTable).label == "gpt"
    assert get(layout, "sda1", Partition).name == "primary"  # parted's default GPT name is a name, not a kind


def test_rear_26_raid10_layout_and_old_metadata_versions_are_normalised() -> None:
    layout = imported(
        "disk /dev/sda 21474836480 unknown",
        "disk /dev/sdb 21474836480 unknown",
        "disk /dev/sdc 21474836480 unknown",
        "disk /dev/sdd 21474836480 unknown",
        "disk /dev/sde 21474836480 unknown",
        "raid /dev/md0 metadata=00.90.03 level=raid10 raid-devices=4 uuid=3c1f9a2e:5b7d4c8e:9a0b1c2d:3e4f5a6b "
        "spare-devices=1 layout=near=2 chunk=512 devices=/dev/sda,/dev/sdb,/dev/sdc,/dev/sdd,/dev/sde",
    )
    md = get(layout, "md0", MdArray)
    assert (md.metadata, md.layout, md.chunk_kib) == ("0.90", "n2", 512)
    assert (md.members, md.spares) == (("disk-sda", "disk-sdb", "disk-sdc", "disk-sdd"), ("disk-sde",))
    assert validate_layout(layout) == []


def test_striped_and_mirrored_lvs_keep_their_geometry() -> None:
    layout = imported(
        "disk /dev/sda 21474836480 unknown",
        "disk /dev/sdb 21474836480 unknown",
        "lvmdev /dev/vg /dev/sda m5HZEO-DWBB-ShHr-YZgm-sloR-8V9Q-aRnFm1 21474836480",
        "lvmdev /dev/vg /dev/sdb N4Hpdc-DkBP-Hdm6-Z6FH-VixZ-7tTb-LiRt0w 21474836480",
        "lvmgrp /dev/vg 4096 10238 41934848",
        "lvmvol /dev/vg fast 4294967296b striped stripesize:65536b stripes:2",
        "lvmvol /dev/vg safe 1073741824b mirror mirrors:1",
        "lvmvol /dev/vg r1 1073741824b raid,raid1 ",
    )
    fast, safe, r1 = (get(layout, f"lv-vg-{n}", LvmLv) for n in ("fast", "safe", "r1"))
    assert (fast.segment_type, fast.stripes, fast.stripe_size) == ("striped", 2, 65536)
    assert (safe.segment_type, safe.stripes) == ("mirror", 2)
    assert (r1.segment_type, r1.stripes) == ("raid1", None)
    assert validate_layout(layout) == []


def test_an_lv_layout_rescue_tui_cannot_make_is_imported_as_linear_with_a_loud_note() -> None:
    layout = imported(
        "disk /dev/sda 21474836480 unknown",
        "lvmdev /dev/vg /dev/sda m5HZEO-DWBB-ShHr-YZgm-sloR-8V9Q-aRnFm1 21474836480",
        "lvmgrp /dev/vg 4096 5119 20967424",
        "lvmvol /dev/vg data 1073741824b raid,raid5,raid5_ls stripes:3",
    )
    assert get(layout, "lv-vg-data", LvmLv).segment_type == "linear"
    assert layout.origin is not None
    assert any("layout 'raid,raid5,raid5_ls' cannot be recreated" in n for n in layout.origin.notes)


def test_a_thin_volume_listed_before_its_pool_still_finds_it() -> None:
    layout = imported(
        "disk /dev/sda 21474836480 unknown",
        "lvmdev /dev/vg /dev/sda m5HZEO-DWBB-ShHr-YZgm-sloR-8V9Q-aRnFm1 21474836480",
        "lvmgrp /dev/vg 4096 5119 20967424",
        "lvmvol /dev/vg thin 1073741824b thin,sparse thinpool:pool",
        "lvmvol /dev/vg pool 4294967296b thin,pool chunksize:65536b",
    )
    assert get(layout, "lv-vg-thin", LvmLv).pool == "lv-vg-pool"


def test_a_password_in_a_crypt_line_is_never_kept() -> None:
    layout = imported(
        GPT_DISK,
        "part /dev/sda 1073741824 1048576 rear-noname none /dev/sda1",
        "crypt /dev/mapper/c /dev/sda1 type=luks2 cipher=aes-xts-plain64 key_size=512 hash=sha256 "
        "uuid=b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e password=s3cret keyfile=/etc/luks.key",
    )
    assert "s3cret" not in dump_layout(layout)
    assert layout.origin is not None
    assert "line 3: crypt password= dropped: rescue-tui never stores passphrases" in layout.origin.notes
    assert "line 3: crypt keyfile=/etc/luks.key not kept: provide the key when recovering" in layout.origin.notes


def test_a_crypt_line_broken_twice_keeps_the_first_of_each_value() -> None:
    layout = imported(
        GPT_DISK,
        "part /dev/sda 1073741824 1048576 rear-noname none /dev/sda1",
        "crypt /dev/mapper/c /dev/sda1 type=luks2 cipher=aes-xts-plain64",
        "aes-cbc-essiv:sha256 key_size=512 hash=sha512",
        "sha256 uuid=b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e",
    )
    luks = get(layout, "luks-c", Luks)
    assert (luks.cipher, luks.hash, luks.key_size, luks.uuid) == (
        "aes-xts-plain64",
        "sha512",
        512,
        "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e",
    )


def test_a_crypt_continuation_that_looks_like_a_keyword_is_still_joined() -> None:
    layout = imported(
        GPT_DISK,
        "part /dev/sda 1073741824 1048576 rear-noname none /dev/sda1",
        "crypt /dev/mapper/c /dev/sda1 type=luks1 cipher=aes-xts-plain64 key_size=512 hash=whirlpool",
        "whirlpool uuid=b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e",
    )
    luks = get(layout, "luks-c", Luks)
    assert (luks.version, luks.hash, luks.uuid) == (1, "whirlpool", "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e")


def test_a_label_with_a_blank_split_by_rear_is_joined() -> None:
    layout = imported(
        GPT_DISK,
        "part /dev/sda 1073741824 1048576 rear-noname none /dev/sda1",
        "fs /dev/sda1 /data ext4 uuid=0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b label=my data blocksize=4096 options=rw",
    )
    assert get(layout, "fs-data", Filesystem).label == "my data"


def test_a_mounted_subvolume_without_its_path_field_takes_it_from_subvol() -> None:
    layout = imported(
        GPT_DISK,
        "part /dev/sda 1073741824 1048576 rear-noname none /dev/sda1",
        "fs /dev/sda1 / btrfs uuid=0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b label= options=rw,subvolid=256,subvol=/@",
        "btrfsmountedsubvol /dev/sda1 /home rw,relatime,subvolid=257,subvol=/@home",
    )
    assert mounts(layout) == {"/": ("subvol-root-@", "rw"), "/home": ("subvol-root-@home", "rw,relatime")}


def test_ids_stay_unique_when_names_collide() -> None:
    layout = imported(
        GPT_DISK,
        "part /dev/sda 1073741824 1048576 rear-noname none /dev/sda1",
        "part /dev/sda 1073741824 1074790400 rear-noname none /dev/sda2",
        "fs /dev/sda1 /a-b ext4 uuid=0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b label= options=rw",
        "fs /dev/sda2 /a/b ext4 uuid=1e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b label= options=rw",
    )
    assert [f.id for f in layout.of_type(Filesystem)] == ["fs-a-b", "fs-a-b-2"]
    assert [m.id for m in layout.of_type(Mount)] == ["mnt-a-b", "mnt-a-b-2"]


def test_unknown_keywords_and_unsupported_filesystems_become_notes() -> None:
    layout = imported(
        GPT_DISK,
        "part /dev/sda 1073741824 1048576 rear-noname none /dev/sda1",
        "fs /dev/sda1 /old reiserfs uuid= label= options=rw",
        "zfspool /dev/sda2 tank",
    )
    assert layout.origin is not None
    assert layout.origin.notes == (
        "line 3: reiserfs filesystem at /old skipped: not supported",
        "line 4: zfspool /dev/sda2 skipped: unknown keyword",
    )
    assert layout.of_type(Filesystem) == []


def test_an_orphan_pv_line_from_old_rear_is_skipped_with_a_note() -> None:
    layout = imported(
        "disk /dev/sda 21474836480 unknown",
        "lvmdev /dev/#orphans_lvm2 /dev/sda m5HZEO-DWBB-ShHr-YZgm-sloR-8V9Q-aRnFm1 41943040",
    )
    assert layout.of_type(LvmPv) == []
    assert layout.origin is not None
    assert layout.origin.notes == ("line 2: PV /dev/sda belongs to no volume group: skipped",)


# --- malformed input: one line naming file and line ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("field-count.conf", "4: disk: 2 fields after 'disk', expected 3 (7 for an s390 DASD)"),
        ("size-not-a-number.conf", "5: part: partition size '53678702592x' is not a whole number"),
        ("undeclared-disk.conf", "5: part: disk /dev/sdb is never declared"),
        (
            "wrapped-after-comment.conf",
            "6: this looks like the rest of a wrapped line, but no component line comes right before it: '104841216'",
        ),
        ("wrapped-inside-a-word.conf", "4: lvmdev: 5 fields after 'lvmdev', expected 2 to 4 (line 5 joined to it)"),
        ("undeclared-vg.conf", "7: lvmvol: volume group /dev/sytsem is never declared"),
        ("negative-size.conf", "4: part: partition size -20916822016 is negative (an edited migration-mode file?)"),
        (
            "unaligned-partition.conf",
            "4: part: partition start 537919000 bytes is not a whole number of 512-byte sectors",
        ),
        ("duplicate-partition.conf", "5: part: /dev/sda2 is already declared on line 4"),
        (
            "degraded-raid.conf",
            "4: raidarray: 1 member device(s) listed but raid-devices=2: cannot recreate a degraded array",
        ),
    ],
)
def test_a_malformed_file_is_refused_with_its_line_number(name: str, message: str) -> None:
    path = BAD / name
    with pytest.raises(RearImportError) as caught:
        read_rear(path)
    assert caught.value.message == f"{path}:{message}"


def test_a_thin_volume_without_its_pool_is_refused() -> None:
    assert failure(
        "disk /dev/sda 21474836480 unknown",
        "lvmdev /dev/vg /dev/sda m5HZEO-DWBB-ShHr-YZgm-sloR-8V9Q-aRnFm1 21474836480",
        "lvmgrp /dev/vg 4096 5119 20967424",
        "lvmvol /dev/vg thin 1073741824b thin,sparse",
    ) == ("test.conf:4: lvmvol: a thin,sparse LV without thinpool:")


def test_a_partition_on_a_disk_without_a_table_is_refused() -> None:
    assert failure("disk /dev/sda 21474836480 unknown", "part /dev/sda 1048576 1048576 primary none /dev/sda1") == (
        "test.conf:2: part: a partition table on /dev/sda is never declared"
    )


def test_an_msdos_partition_with_a_gpt_name_is_refused() -> None:
    assert failure(MSDOS_DISK, "part /dev/sda 1048576 1048576 rear-noname none /dev/sda1") == (
        "test.conf:2: part: 'rear-noname' is not an msdos partition type (primary, extended or logical)"
    )


def test_a_volume_group_without_lvmdev_lines_is_refused() -> None:
    message = failure("lvmgrp /dev/vg 4096 5119 20967424")
    assert message == "test.conf:1: lvmgrp: volume group /dev/vg has no lvmdev line"


def test_a_device_used_by_two_lines_is_refused_at_the_second() -> None:
    assert failure(
        GPT_DISK,
        "part /dev/sda 1073741824 1048576 rear-noname none /dev/sda1",
        "swap /dev/sda1 uuid=9f347fc7-1605-4788-98fd-fca828beedf1 label=",
        "fs /dev/sda1 /data ext4 uuid=0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b label= options=rw",
    ) == ("test.conf:4: fs: /dev/sda1 is already used by the swap line 3")


def test_a_mount_point_that_is_not_absolute_is_refused() -> None:
    assert failure(
        GPT_DISK,
        "part /dev/sda 1073741824 1048576 rear-noname none /dev/sda1",
        "fs /dev/sda1 data ext4 uuid=0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b label= options=rw",
    ) == ("test.conf:3: fs: mount point 'data' is not an absolute path")


def test_a_file_that_starts_with_a_wrapped_remainder_is_refused() -> None:
    assert failure("=rw,relatime", MSDOS_DISK).startswith("test.conf:1: this looks like the rest of a wrapped line")


MUTATIONS: dict[str, Callable[[str], str]] = {
    "drop the last field": lambda line: line.rsplit(" ", 1)[0],
    "drop the first field": lambda line: line.split(" ", 1)[-1],
    "cut in half": lambda line: line[: len(line) // 2],
    "damage a number": lambda line: " ".join(w + "x" if w.isdigit() else w for w in line.split()),
    "repeat the line": lambda line: f"{line}\n{line}",
}


@pytest.mark.parametrize("name", ["03-modern-gpt-raid-luks-lvm.conf", "05-old-msdos-raid-lvm.conf"])
def test_damaged_lines_give_a_one_line_error_or_a_layout_never_a_traceback(name: str) -> None:
    lines = (REAR / name).read_text().splitlines()
    for index, line in enumerate(lines):
        if line.startswith("#") or not line.strip():
            continue
        for mutate in MUTATIONS.values():
            text = "\n".join([*lines[:index], mutate(line), *lines[index + 1 :]])
            try:
                import_rear(text, where="x.conf")
            except RearImportError as exc:
                assert exc.message.startswith("x.conf:") and "\n" not in exc.message, exc.message


def test_whole_disk_raid_members_give_their_table_to_the_partitioned_array() -> None:
    # Metadata 1.0 on whole disks: ReaR's disk lines show the array's GPT through each member.
    layout = load("07-whole-disk-raid-partitioned.conf")
    [array] = layout.of_type(MdArray)
    disks = {d.id: d for d in layout.of_type(Disk)}
    assert sorted(disks[m].path or "" for m in array.members) == ["/dev/sda", "/dev/sdb"]
    assert (array.metadata, array.uuid, array.array_name) == (
        "1.0",
        "5a6b7c8d:11223344:55667788:99aabbcc",
        "oldhost:root",
    )
    tables = layout.of_type(PartitionTable)
    assert [(t.device, t.label) for t in tables] == [(array.id, "gpt")]  # none on the member disks
    assert [p.path for p in layout.of_type(Partition)] == ["/dev/md127p1", "/dev/md127p2", "/dev/md127p3"]
    assert layout.origin is not None and any("whole-disk member of /dev/md127" in n for n in layout.origin.notes)


def test_part_lines_of_a_whole_disk_member_are_left_to_the_arrays_own() -> None:
    text = (
        (DATA / "rear" / "07-whole-disk-raid-partitioned.conf")
        .read_text()
        .replace(
            "disk /dev/sdb 10737418240 gpt",
            "disk /dev/sdb 10737418240 gpt\npart /dev/sdb 1048576 1048576 rear-noname bios_grub /dev/sdb1",
        )
    )
    layout = import_rear(text, where="seen-through.conf")
    assert [p.path for p in layout.of_type(Partition)] == ["/dev/md127p1", "/dev/md127p2", "/dev/md127p3"]
    assert layout.origin is not None and any("seen through /dev/md127" in n for n in layout.origin.notes)
