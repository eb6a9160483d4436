"""One test per validation rule, each asserting the exact line an operator reads."""

from __future__ import annotations

import dataclasses

from rescue_tui.layout.model import (
    BtrfsSubvolume,
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
from rescue_tui.layout.validate import validate_layout
from tests.unit.layout.conftest import add, change

GiB = 1024**3


def problems(layout: Layout) -> list[str]:
    return [str(p) for p in validate_layout(layout)]


def test_the_minimal_fixture_is_valid(minimal: Layout) -> None:
    assert problems(minimal) == []


def test_a_duplicate_id_is_reported_at_the_second_use(minimal: Layout) -> None:
    layout = add(minimal, Swap(id="swap", device="vda1"))
    assert "$.items[13] (swap).id: duplicate id: also used by $.items[12]" in problems(layout)


def test_a_dangling_reference_names_the_missing_id(minimal: Layout) -> None:
    layout = change(minimal, "fs-root", device="lv-gone")
    assert problems(layout) == ["$.items[10] (fs-root).device: refers to 'lv-gone', which is not in the layout"]


def test_a_reference_to_the_wrong_kind_of_item_says_what_was_expected(minimal: Layout) -> None:
    layout = change(minimal, "vda2", table="disk-vda")
    assert "$.items[3] (vda2).table: 'disk-vda' is a disk; expected partition_table" in problems(layout)


def test_a_device_consumed_twice_names_the_first_user(minimal: Layout) -> None:
    layout = change(minimal, "swap", device="lv-root")
    assert problems(layout) == ["$.items[12] (swap).device: 'lv-root' is already used by 'fs-root'"]


def test_a_reference_cycle_is_found(minimal: Layout) -> None:
    layout = add(
        minimal,
        MdArray(id="md-a", name="md1", level="raid1", members=("vda1", "part-b")),
        PartitionTable(id="pt-md", device="md-a", label="gpt"),
        Partition(id="part-b", table="pt-md", number=1, start=2048, size=2048),
    )
    found = problems(layout)
    assert any("reference cycle among md-a, pt-md, part-b" in p for p in found), found


def test_overlapping_partitions_are_reported(minimal: Layout) -> None:
    layout = change(minimal, "vda2", start=1048576)
    assert "$.items[3] (vda2).start: overlaps 'vda1' (which ends at sector 1050623)" in problems(layout)


def test_a_partition_past_the_gpt_backup_header_is_reported(minimal: Layout) -> None:
    layout = change(minimal, "vda2", size=40892383 + 1)
    assert problems(layout) == [
        "$.items[3] (vda2).size: ends at sector 41943007, past the last usable sector 41943006 of 'disk-vda' (20.0 GiB)"
    ]


def test_a_gpt_partition_may_end_on_the_last_usable_sector(minimal: Layout) -> None:
    assert problems(change(minimal, "vda2", size=40892383)) == []


def test_a_partition_before_the_first_usable_sector_is_reported(minimal: Layout) -> None:
    layout = change(minimal, "vda1", start=33, size=1048576 + 2048 - 33)
    assert "$.items[2] (vda1).start: starts at sector 33, before the first usable sector 34" in problems(layout)


def test_4k_sector_disks_use_their_own_gpt_geometry(minimal: Layout) -> None:
    layout = change(minimal, "disk-vda", logical_sector_size=4096, physical_sector_size=4096)
    layout = change(layout, "vda1", start=256, size=131072)
    layout = change(layout, "vda2", start=131328, size=5242880 - 6 - 131328)
    assert problems(layout) == []


def test_bad_partition_numbers_are_reported(minimal: Layout) -> None:
    assert "$.items[3] (vda2).number: partition number 1 is used twice on 'pt-vda'" in problems(
        change(minimal, "vda2", number=1)
    )
    assert "$.items[3] (vda2).number: GPT partition numbers run from 1 to 128, not 129" in problems(
        change(minimal, "vda2", number=129)
    )


def msdos(minimal: Layout) -> Layout:
    layout = change(minimal, "pt-vda", label="msdos", disk_guid="0x1234abcd")
    layout = change(layout, "vda1", gpt_type=None, name=None, mbr_type="ef", partuuid="1234abcd-01")
    return change(layout, "vda2", gpt_type=None, mbr_type="8e", start=1050624, size=41943040 - 1050624)


def test_an_msdos_table_may_use_the_whole_disk(minimal: Layout) -> None:
    assert problems(msdos(minimal)) == []


def test_msdos_numbering_follows_the_partition_kind(minimal: Layout) -> None:
    layout = change(msdos(minimal), "vda2", number=5)
    assert "$.items[3] (vda2).number: primary msdos partitions are numbered 1-4, not 5" in problems(layout)


def test_a_logical_partition_outside_the_extended_one_is_reported(minimal: Layout) -> None:
    layout = change(msdos(minimal), "vda2", kind="logical", number=5)
    assert "$.items[3] (vda2).start: a logical partition must lie inside the extended partition" in problems(layout)


def test_logical_partitions_inside_an_extended_one_are_valid(minimal: Layout) -> None:
    layout = change(msdos(minimal), "vda2", kind="extended", mbr_type="5")
    layout = change(layout, "pv-vda2", device="vda5")
    layout = add(layout, Partition(id="vda5", table="pt-vda", number=5, kind="logical", start=1052672, size=40888320))
    assert problems(layout) == []


def test_gpt_only_fields_on_msdos_are_reported(minimal: Layout) -> None:
    layout = change(msdos(minimal), "vda2", name="data")
    assert "$.items[3] (vda2).name: GPT-only field on an msdos partition" in problems(layout)


def test_a_malformed_partuuid_and_disk_guid_are_reported(minimal: Layout) -> None:
    layout = change(minimal, "vda1", partuuid="not-a-guid")
    layout = change(layout, "pt-vda", disk_guid="0x1234abcd")
    found = problems(layout)
    assert "$.items[2] (vda1).partuuid: 'not-a-guid' is neither a GUID nor an msdos '1234abcd-01'" in found
    assert "$.items[1] (pt-vda).disk_guid: '0x1234abcd' is not a GUID" in found


def test_an_md_level_with_too_few_members_is_reported(minimal: Layout) -> None:
    layout = add(
        minimal,
        Disk(id="disk-b", name="vdb", size=GiB),
        Disk(id="disk-c", name="vdc", size=GiB),
        MdArray(id="md0", name="md0", level="raid6", members=("disk-b", "disk-c")),
    )
    assert "$.items[15] (md0).members: raid6 needs at least 4 members, has 2" in problems(layout)


def test_md_uuid_metadata_and_chunk_are_checked(minimal: Layout) -> None:
    layout = add(
        minimal,
        Disk(id="disk-b", name="vdb", size=GiB),
        Disk(id="disk-c", name="vdc", size=GiB),
        MdArray(
            id="md0", name="md0", level="raid0", members=("disk-b", "disk-c"), metadata="2.0", uuid="xyz", chunk_kib=48
        ),
    )
    found = problems(layout)
    assert "$.items[15] (md0).metadata: unsupported superblock format '2.0' (supported: 0.90, 1.0, 1.1, 1.2)" in found
    assert any(p.startswith("$.items[15] (md0).uuid: 'xyz' is not an md UUID") for p in found)
    assert "$.items[15] (md0).chunk_kib: chunk 48 KiB is not a power of two of at least 4" in found


def test_lvs_larger_than_their_vg_are_reported(minimal: Layout) -> None:
    layout = change(minimal, "lv-root", size=18 * GiB)
    assert problems(layout) == ["$.items[7] (vg-sys): its LVs need 20.0 GiB but its PVs hold 19.5 GiB"]


def test_lvs_that_fill_the_vg_exactly_are_valid(minimal: Layout) -> None:
    capacity = (40890368 * 512 - 1024 * 1024) // (4 * 1024**2) * 4 * 1024**2
    assert problems(change(minimal, "lv-root", size=capacity - 2 * GiB)) == []
    assert problems(change(minimal, "lv-root", size=capacity - 2 * GiB + 1)) != []


def test_a_thin_lv_without_a_pool_is_reported(minimal: Layout) -> None:
    layout = change(minimal, "lv-root", segment_type="thin")
    assert "$.items[8] (lv-root).pool: a thin LV needs its thin pool" in problems(layout)


def test_a_thin_lv_on_a_linear_lv_is_reported(minimal: Layout) -> None:
    layout = add(minimal, LvmLv(id="lv-t", vg="vg-sys", name="t", size=GiB, segment_type="thin", pool="lv-swap"))
    assert "$.items[13] (lv-t).pool: 'lv-swap' is a linear LV, not a thin pool" in problems(layout)


def test_thin_volumes_may_overcommit_their_pool(minimal: Layout) -> None:
    layout = add(
        minimal,
        LvmLv(
            id="lv-pool", vg="vg-sys", name="pool", size=4 * GiB, segment_type="thin-pool", metadata_size=64 * 1024**2
        ),
        LvmLv(id="lv-t", vg="vg-sys", name="t", size=100 * GiB, segment_type="thin", pool="lv-pool"),
    )
    assert problems(layout) == []


def test_lvm_uuids_and_names_are_checked(minimal: Layout) -> None:
    layout = change(minimal, "pv-vda2", uuid="abc")
    layout = change(layout, "lv-swap", name="root")
    found = problems(layout)
    assert "$.items[6] (pv-vda2).uuid: 'abc' is not an LVM UUID (6-4-4-4-4-4-6 characters)" in found
    assert "$.items[9] (lv-swap).name: LV name 'root' is used twice in 'vg-sys'" in found


def test_duplicate_uuids_and_labels_are_reported(minimal: Layout) -> None:
    layout = change(minimal, "swap", uuid="3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b", label="root")
    found = problems(layout)
    assert "$.items[12] (swap).uuid: duplicate UUID 3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b: also on 'fs-root'" in found
    assert "$.items[12] (swap).label: duplicate label root: also on 'fs-root'" in found


def test_a_duplicate_mount_point_is_reported(minimal: Layout) -> None:
    layout = change(minimal, "mnt-esp", path="/")
    assert problems(layout) == ["$.items[11] (mnt-root).path: mount point / is already used by 'mnt-esp'"]


def test_a_relative_mount_point_is_reported(minimal: Layout) -> None:
    layout = change(minimal, "mnt-esp", path="boot/efi")
    assert "$.items[5] (mnt-esp).path: 'boot/efi' is not a clean absolute mount point" in problems(layout)


def test_malformed_uuids_are_checked_per_filesystem_type(minimal: Layout) -> None:
    found = problems(change(minimal, "fs-esp", uuid="1a2b-3c4d"))
    assert found == ["$.items[4] (fs-esp).uuid: '1a2b-3c4d' is not a FAT volume id such as 'ABCD-1234' (upper case)"]
    found = problems(change(minimal, "fs-root", uuid="ABCD-EF01"))
    assert found == ["$.items[10] (fs-root).uuid: 'ABCD-EF01' is not a valid ext4 UUID (8-4-4-4-12 hex)"]


def test_a_label_too_long_for_its_filesystem_is_reported(minimal: Layout) -> None:
    found = problems(change(minimal, "fs-esp", label="EFI-SYSTEM-PART"))
    assert found == ["$.items[4] (fs-esp).label: vfat labels hold 11 bytes; 'EFI-SYSTEM-PART' is longer"]


def test_subvolumes_need_a_btrfs_filesystem(minimal: Layout) -> None:
    layout = add(minimal, BtrfsSubvolume(id="sv", filesystem="fs-root", path="@home"))
    assert problems(layout) == ["$.items[13] (sv).filesystem: 'fs-root' is ext4, not btrfs"]


def test_a_filesystem_on_a_thin_pool_is_reported(minimal: Layout) -> None:
    layout = change(minimal, "lv-root", segment_type="thin-pool")
    assert "$.items[10] (fs-root).device: a thin pool holds thin LVs, not a filesystem" in problems(layout)


def test_uefi_boot_needs_an_esp_holding_fat(minimal: Layout) -> None:
    no_esp = dataclasses.replace(minimal, boot=dataclasses.replace(minimal.boot, esps=()))  # type: ignore[arg-type]
    assert problems(no_esp) == ["$.boot.esps: UEFI boot needs at least one EFI system partition"]
    wrong = dataclasses.replace(minimal, boot=dataclasses.replace(minimal.boot, esps=("vda2",)))  # type: ignore[arg-type]
    assert problems(wrong) == ["$.boot.esps[0]: 'vda2' holds no vfat filesystem; an ESP must be FAT"]


def test_a_disk_size_must_be_whole_sectors(minimal: Layout) -> None:
    found = problems(change(minimal, "disk-vda", size=20 * GiB + 100))
    assert "$.items[0] (disk-vda).size: 21474836580 is not a positive multiple of the sector size" in found


def test_every_problem_is_reported_at_once(minimal: Layout) -> None:
    layout = change(minimal, "fs-root", uuid="bad", label="x" * 20)
    layout = change(layout, "mnt-esp", path="/")
    layout = add(
        layout,
        LvmPv(id="pv2", device="nowhere"),
        LvmVg(id="vg2", name="sys", pvs=("pv2",)),
        Mount(id="m", source="fs-esp", path="/x"),
    )
    assert len(problems(layout)) >= 6


def test_problems_never_raise_on_an_empty_layout(minimal: Layout) -> None:
    assert problems(dataclasses.replace(minimal, items=(), boot=None)) == []


def test_fixture_items_are_what_the_indexes_above_assume(minimal: Layout) -> None:
    ids = [i.id for i in minimal.items]
    assert ids[:4] == ["disk-vda", "pt-vda", "vda1", "vda2"]
    assert ids[10:13] == ["fs-root", "mnt-root", "swap"]
    assert isinstance(minimal.items[4], Filesystem)


def test_mirrored_esps_may_share_volume_id_and_label(minimal: Layout) -> None:
    layout = add(
        minimal,
        Disk(id="disk-b", name="vdb", size=GiB),
        PartitionTable(id="pt-b", device="disk-b", label="gpt"),
        Partition(id="vdb1", table="pt-b", number=1, start=2048, size=204800, flags=("esp",)),
        Filesystem(id="fs-esp2", device="vdb1", fstype="vfat", uuid="1A2B-3C4D", label="EFI"),
    )
    assert problems(layout) == []
    clash = change(layout, "fs-root", uuid=None, label="EFI")
    assert problems(clash) == ["$.items[10] (fs-root).label: duplicate label EFI: also on 'fs-esp'"]


def test_an_esp_without_a_filesystem_item_may_be_listed(minimal: Layout) -> None:
    layout = add(
        minimal,
        Disk(id="disk-b", name="vdb", size=GiB),
        PartitionTable(id="pt-b", device="disk-b", label="gpt"),
        Partition(id="vdb1", table="pt-b", number=1, start=2048, size=204800, flags=("esp",)),
    )
    layout = dataclasses.replace(layout, boot=dataclasses.replace(layout.boot, esps=("vda1", "vdb1")))  # type: ignore[arg-type]
    assert problems(layout) == []
