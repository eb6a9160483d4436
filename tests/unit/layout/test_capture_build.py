"""Capture's builder on recorded probe output (tests/data/probes, see its README)."""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

import pytest

from rescue_tui.errors import CaptureError, RefusedError
from rescue_tui.layout import capture
from rescue_tui.layout.capture import parse, tree
from rescue_tui.layout.capture import probes as probes_module
from rescue_tui.layout.capture.build import build_layout
from rescue_tui.layout.capture.partitions import partition_flags
from rescue_tui.layout.capture.probes import ProbeSet
from rescue_tui.layout.codec import dump_layout, parse_layout
from rescue_tui.layout.model import (
    Boot,
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
from rescue_tui.layout.validate import validate_layout
from tests.conftest import DATA

PROBES = DATA / "probes"
GiB = 1024**3


@functools.cache
def probes(name: str) -> ProbeSet:
    return ProbeSet.from_json((PROBES / f"{name}.json").read_text())


@functools.cache
def layout(name: str) -> Layout:
    return build_layout(probes(name), captured_at="2024-11-23T03:14:07+01:00", captured_by="rescue-tui test")


def item(name: str, item_id: str) -> Item:
    return layout(name).by_id()[item_id]


def with_probes(name: str, **changes: Any) -> ProbeSet:
    return dataclasses.replace(probes(name), **changes)


SCENARIOS = ("loop-disks", "loop-lvm", "raid1-luks-lvm")


# --- whole layouts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_recorded_capture_builds_a_valid_layout(name: str) -> None:
    assert [str(p) for p in validate_layout(layout(name))] == []


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_captured_layout_survives_the_codec_unchanged(name: str) -> None:
    assert parse_layout(dump_layout(layout(name)), where=name) == layout(name)


def test_the_machine_and_origin_say_where_and_when_the_layout_was_captured() -> None:
    built = layout("raid1-luks-lvm")
    assert built.machine.hostname == "srv01"
    assert built.machine.captured_at == "2024-11-23T03:14:07+01:00"
    assert built.machine.captured_by == "rescue-tui test"
    assert built.origin is not None
    assert built.origin.kind == "capture"
    assert built.origin.excluded == ("sdc: the rescue medium", "sr0: optical drive", "zram0: compressed RAM disk")
    assert built.origin.notes == ("fstab: /dev/sr0 on /media/cdrom0 is not on a captured disk; no mount recorded",)


def test_items_come_in_creation_order_disks_first_mounts_last() -> None:
    kinds = [i.type for i in layout("raid1-luks-lvm").items]
    order = ["disk", "partition_table", "partition", "md_array", "luks", "lvm_pv", "lvm_vg", "lvm_lv"]
    order += ["filesystem", "swap", "mount"]
    assert sorted(set(kinds), key=kinds.index) == order


# --- recorded on loop devices: filesystems, LUKS, tables ------------------------------------------------


def test_a_whole_device_ext4_becomes_a_disk_and_a_filesystem_with_uuid_label_and_block_size() -> None:
    assert item("loop-disks", "loop0") == Disk(
        id="loop0", name="loop0", size=64 * 1024**2, path="/dev/loop0", rotational=True
    )
    assert item("loop-disks", "fs-loop0") == Filesystem(
        id="fs-loop0",
        device="loop0",
        fstype="ext4",
        uuid="11111111-2222-3333-4444-555555555555",
        label="rootfs",
        block_size=1024,
        used=9741312,  # from the superblock: the filesystem was not mounted
    )


def test_xfs_btrfs_and_vfat_keep_their_identities() -> None:
    found = {i.id: (i.fstype, i.uuid, i.label, i.block_size) for i in layout("loop-disks").of_type(Filesystem)}
    assert found == {
        "fs-loop0": ("ext4", "11111111-2222-3333-4444-555555555555", "rootfs", 1024),
        "fs-loop1": ("xfs", "33333333-4444-5555-6666-777777777777", "data", 4096),
        "fs-loop2": ("btrfs", "22222222-3333-4444-5555-666666666666", "pool", 4096),
        "fs-loop4": ("vfat", "1234-ABCD", "EFI", None),
    }


def test_btrfs_subvolumes_are_listed_with_the_default_one_marked() -> None:
    assert layout("loop-disks").of_type(BtrfsSubvolume) == [
        BtrfsSubvolume(id="subvol-loop2-@", filesystem="fs-loop2", path="@", subvol_id=256, default=True),
        BtrfsSubvolume(id="subvol-loop2-@home", filesystem="fs-loop2", path="@home", subvol_id=257),
    ]


def test_swap_keeps_uuid_label_and_the_priority_fstab_gives_it() -> None:
    assert layout("loop-disks").of_type(Swap) == [
        Swap(
            id="swap-loop3",
            device="loop3",
            uuid="44444444-5555-6666-7777-888888888888",
            label="swap0",
            priority=5,
        )
    ]


def test_a_closed_luks2_container_takes_its_name_from_crypttab() -> None:
    assert item("loop-disks", "luks-vault") == Luks(
        id="luks-vault",
        device="loop5",
        name="vault",
        version=2,
        uuid="55555555-6666-7777-8888-999999999999",
        label="vault",
        cipher="aes-xts-plain64",
        key_size=512,
        hash="sha256",
        pbkdf="pbkdf2",
        sector_size=512,
    )


def test_a_luks1_container_missing_from_crypttab_is_named_after_its_uuid() -> None:
    assert item("loop-disks", "luks-66666666-7777-8888-9999-aaaaaaaaaaaa") == Luks(
        id="luks-66666666-7777-8888-9999-aaaaaaaaaaaa",
        device="loop6",
        name="luks-66666666-7777-8888-9999-aaaaaaaaaaaa",
        version=1,
        uuid="66666666-7777-8888-9999-aaaaaaaaaaaa",
        cipher="aes-cbc-essiv:sha256",
        key_size=256,
        hash="sha256",
        pbkdf="pbkdf2",
    )


def test_gpt_partitions_keep_sectors_type_name_partuuid_and_parted_flags() -> None:
    assert item("loop-disks", "loop7-gpt") == PartitionTable(
        id="loop7-gpt", device="loop7", label="gpt", disk_guid="0d2b6b52-3c8e-4e6b-9b55-6f1c2a3b4c5d"
    )
    parts = [p for p in layout("loop-disks").of_type(Partition) if p.table == "loop7-gpt"]
    assert parts == [
        Partition(
            id="loop7p1", number=1, start=2048, size=8192, gpt_type="c12a7328-f81f-11d2-ba4b-00a0c93ec93b",
            name="EFI system", partuuid="a1b2c3d4-0001-4000-8000-000000000001", flags=("boot", "esp"),
            path="/dev/loop7p1", table="loop7-gpt",
        ),
        Partition(
            id="loop7p2", number=2, start=10240, size=2048, gpt_type="21686148-6449-6e6f-744e-656564454649",
            name="bios", partuuid="a1b2c3d4-0002-4000-8000-000000000002", flags=("bios_grub",),
            path="/dev/loop7p2", table="loop7-gpt",
        ),
        Partition(
            id="loop7p3", number=3, start=12288, size=40960, gpt_type="0fc63daf-8483-4772-8e79-3d69d8477de4",
            name="root fs", partuuid="a1b2c3d4-0003-4000-8000-000000000003", flags=("legacy_boot", "hidden"),
            path="/dev/loop7p3", table="loop7-gpt",
        ),
    ]  # fmt: skip


def test_msdos_partitions_show_the_extended_container_and_its_logical_partitions() -> None:
    assert item("loop-disks", "loop8-msdos") == PartitionTable(
        id="loop8-msdos", device="loop8", label="msdos", disk_guid="0x1234abcd"
    )
    msdos = [p for p in layout("loop-disks").of_type(Partition) if p.table == "loop8-msdos"]
    parts = [(p.number, p.kind, p.start, p.size, p.mbr_type, p.partuuid, p.flags) for p in msdos]
    assert parts == [
        (1, "primary", 2048, 20480, "83", "1234abcd-01", ("boot",)),
        (2, "extended", 22528, 40960, "0f", "1234abcd-02", ("lba",)),
        (5, "logical", 24576, 8192, "82", "1234abcd-05", ("swap",)),
        (6, "logical", 34816, 20480, "8e", "1234abcd-06", ("lvm",)),
    ]


def test_flags_derived_from_sfdisk_match_what_blivet_read_through_parted() -> None:
    recorded = probes("loop-disks")
    assert recorded.blivet is not None
    for disk, document in recorded.sfdisk.items():
        table = document["partitiontable"]
        label = "gpt" if table["label"] == "gpt" else "msdos"
        for entry in table["partitions"]:
            parted = recorded.blivet["partitions"][entry["node"]]["flags"]
            assert sorted(partition_flags(label, entry)) == sorted(parted), (disk, entry["node"])


def test_fstab_entries_become_mounts_of_filesystems_and_subvolumes() -> None:
    assert layout("loop-disks").of_type(Mount) == [
        Mount(id="mount-fs-loop0", source="fs-loop0", path="/", options="errors=remount-ro", passno=1),
        Mount(
            id="mount-subvol-loop2-@home",
            source="subvol-loop2-@home",
            path="/home",
            options="subvol=@home,compress=zstd",
        ),
        Mount(id="mount-fs-loop4", source="fs-loop4", path="/boot/efi", options="umask=0077", passno=1),
        Mount(id="mount-fs-loop2", source="fs-loop2", path="/mnt/pool", options="subvolid=5"),
        Mount(id="mount-fs-loop1", source="fs-loop1", path="/srv/data", options="defaults,noatime", passno=2),
    ]


def test_an_fstab_entry_for_a_device_that_is_not_captured_is_noted_not_guessed() -> None:
    built = layout("loop-disks")
    assert built.origin is not None
    assert (
        "fstab: UUID=deadbeef-0000-4000-8000-000000000000 on /gone is not on a captured disk; no mount recorded"
        in built.origin.notes
    )
    assert "/gone" not in [m.path for m in built.of_type(Mount)]


def test_a_swap_file_in_fstab_is_noted_as_left_out() -> None:
    built = build_layout(with_probes("loop-disks", fstab="/swap.img none swap sw 0 0\n"))
    assert built.origin is not None
    assert "fstab: swap file /swap.img is not kept in a layout; recreate it after restore" in built.origin.notes


def test_on_a_bios_machine_the_disk_holding_root_is_the_boot_disk() -> None:
    assert layout("loop-disks").boot == Boot(firmware="bios", disks=("loop0",))


def test_blivet_disagreeing_with_blkid_is_noted() -> None:
    recorded = probes("loop-disks")
    assert recorded.blivet is not None
    facts = json.loads(json.dumps(recorded.blivet))
    facts["devices"]["/dev/loop1"]["format"] = None  # blivet trusts a stale udev database
    facts["devices"]["/dev/loop0"]["uuid"] = "99999999-2222-3333-4444-555555555555"
    built = build_layout(with_probes("loop-disks", blivet=facts))
    assert built.origin is not None
    assert "/dev/loop1: blivet sees None where blkid sees xfs" in built.origin.notes
    assert (
        "/dev/loop0: blivet reads UUID 99999999-2222-3333-4444-555555555555 where blkid reads "
        "11111111-2222-3333-4444-555555555555" in built.origin.notes
    )


# --- recorded on loop devices: LVM ------------------------------------------------------------------------


def test_a_volume_group_over_two_pvs_keeps_every_lv_kind() -> None:
    built = layout("loop-lvm")
    assert built.of_type(LvmPv) == [
        LvmPv(id="pv-loop0", device="loop0", uuid="m5HZEO-DWBB-ShHr-YZgm-sloR-8V9Q-aRnFm1", size=200 * 1024**2),
        LvmPv(id="pv-loop1", device="loop1", uuid="63ak5R-GgTT-nvAr-bTac-Okr1-epsB-HFGU3O", size=200 * 1024**2),
    ]
    (vg,) = built.of_type(LvmVg)
    assert (vg.id, vg.name, vg.pvs, vg.pe_size) == ("vg-system", "system", ("pv-loop0", "pv-loop1"), 4 * 1024**2)
    assert built.of_type(LvmLv) == [
        LvmLv(id="lv-system-data", name="data", size=40 * 1024**2, segment_type="striped", stripes=2, stripe_size=65536,
              uuid="Dt0000-aaaa-bbbb-cccc-dddd-eeee-ffff02", path="/dev/system/data", vg="vg-system"),
        LvmLv(id="lv-system-pool", name="pool", size=40 * 1024**2, segment_type="thin-pool", metadata_size=4 * 1024**2,
              chunk_size=65536, uuid="Pl0000-aaaa-bbbb-cccc-dddd-eeee-ffff03", vg="vg-system"),
        LvmLv(id="lv-system-root", name="root", size=80 * 1024**2, uuid="Rt0000-aaaa-bbbb-cccc-dddd-eeee-ffff01",
              path="/dev/system/root", vg="vg-system"),
        LvmLv(id="lv-system-thin1", name="thin1", size=100 * 1024**2, segment_type="thin", pool="lv-system-pool",
              uuid="Th0000-aaaa-bbbb-cccc-dddd-eeee-ffff04", path="/dev/system/thin1", vg="vg-system"),
    ]  # fmt: skip


def test_a_volume_group_with_a_pv_outside_the_capture_is_left_out() -> None:
    recorded = probes("loop-lvm")
    built = build_layout(dataclasses.replace(recorded, disks=["loop0"]))
    assert [i.id for i in built.items] == ["loop0", "pv-loop0"]


def test_without_lvm_reports_a_pv_is_still_recorded_from_its_signature() -> None:
    built = build_layout(with_probes("loop-lvm", lvm=None))
    assert built.of_type(LvmPv)[0] == LvmPv(
        id="pv-loop0", device="loop0", uuid="m5HZEO-DWBB-ShHr-YZgm-sloR-8V9Q-aRnFm1"
    )
    assert built.of_type(LvmVg) == []


# --- handcrafted: two disks, RAID1, LUKS, LVM, UEFI ------------------------------------------------------------


def test_a_sata_disk_keeps_model_serial_wwn_and_by_path() -> None:
    assert item("raid1-luks-lvm", "sda") == Disk(
        id="sda",
        name="sda",
        size=480103981056,
        logical_sector_size=512,
        physical_sector_size=4096,
        path="/dev/sda",
        model="SAMSUNG MZ7LH480HAHQ-00005",
        serial="S45PNA0M512345",
        wwn="0x5002538e40a1b2c3",
        by_path="pci-0000:00:17.0-ata-1",
        transport="sata",
        rotational=False,
    )


def test_raid1_members_are_in_slot_order_with_metadata_name_bitmap_and_size() -> None:
    assert item("raid1-luks-lvm", "md1") == MdArray(
        id="md1",
        name="md1",
        level="raid1",
        members=("sda3", "sdb3"),
        metadata="1.2",
        uuid="8d05eb84:2de831d1:0f4e3a11:7c3c0a52",
        array_name="srv01:1",
        bitmap="internal",
        size=477819305984,
        path="/dev/md1",
    )
    md0 = item("raid1-luks-lvm", "md0")
    assert isinstance(md0, MdArray)
    assert (md0.members, md0.bitmap, md0.size) == (("sda2", "sdb2"), "none", 1046528 * 1024)


def test_an_open_luks_container_on_raid_is_named_as_device_mapper_names_it() -> None:
    assert item("raid1-luks-lvm", "luks-cryptroot") == Luks(
        id="luks-cryptroot",
        device="md1",
        name="cryptroot",
        version=2,
        uuid="7c1e4b2a-9f3d-4e8c-b5a6-1d2f3e4a5b6c",
        cipher="aes-xts-plain64",
        key_size=512,
        hash="sha256",
        pbkdf="argon2id",
        sector_size=512,
        size=477802528768,
        path="/dev/mapper/cryptroot",
    )


def test_lvm_on_luks_keeps_the_thin_pool_and_its_thin_volume() -> None:
    built = layout("raid1-luks-lvm")
    assert built.of_type(LvmPv) == [
        LvmPv(
            id="pv-luks-cryptroot",
            device="luks-cryptroot",
            uuid="Xk3v9Q-pL2m-Rt7w-Yz4N-Bc8D-Ef1G-Hj6Kl0",
            size=477802528768,
        )
    ]
    lvs = {lv.name: (lv.segment_type, lv.size, lv.pool, lv.metadata_size, lv.chunk_size) for lv in built.of_type(LvmLv)}
    assert lvs == {
        "home": ("linear", 50 * GiB, None, None, None),
        "pool": ("thin-pool", 300 * GiB, None, GiB, 65536),
        "root": ("linear", 40 * GiB, None, None, None),
        "srv": ("thin", 200 * GiB, "lv-vg0-pool", None, None),
        "swap": ("linear", 8 * GiB, None, None, None),
    }


def test_mounted_filesystems_record_the_space_in_use() -> None:
    used = {fs.id: fs.used for fs in layout("raid1-luks-lvm").of_type(Filesystem)}
    assert used == {
        "fs-lv-vg0-home": 21474836480,
        "fs-lv-vg0-root": 7340032000,
        "fs-lv-vg0-srv": 53687091200,
        "fs-md0": 104857600,
        "fs-sda1": 6291456,
        "fs-sdb1": None,  # the second ESP is not mounted and FAT has no superblock counters we read
    }


def test_fstab_device_paths_resolve_through_the_recorded_links() -> None:
    mounts = {m.path: (m.source, m.options, m.passno) for m in layout("raid1-luks-lvm").of_type(Mount)}
    assert mounts == {
        "/": ("fs-lv-vg0-root", "errors=remount-ro", 1),
        "/boot": ("fs-md0", "defaults", 2),
        "/boot/efi": ("fs-sda1", "umask=0077", 1),
        "/home": ("fs-lv-vg0-home", "defaults", 2),
        "/srv": ("fs-lv-vg0-srv", "defaults,nofail", 2),  # fstab says /dev/vg0/srv
    }


def test_uefi_boot_lists_both_esps_and_both_raid_disks() -> None:
    assert layout("raid1-luks-lvm").boot == Boot(firmware="uefi", disks=("sda", "sdb"), esps=("sda1", "sdb1"))


def test_an_array_with_a_member_on_a_disk_left_out_is_left_out_with_a_note() -> None:
    built = build_layout(with_probes("raid1-luks-lvm", disks=["sda"]))
    assert {i.type for i in built.items} == {"disk", "partition_table", "partition", "filesystem", "mount"}
    assert built.origin is not None
    assert "/dev/md0: not captured: it also sits on sdb2, which is not captured" in built.origin.notes
    assert "/dev/md1: not captured: it also sits on sdb3, which is not captured" in built.origin.notes


# --- choosing the disks ------------------------------------------------------------------------------------------


def test_without_a_device_list_the_rescue_medium_optical_drives_and_zram_are_left_out() -> None:
    nodes = tree.nodes_from_lsblk(probes("raid1-luks-lvm").lsblk)
    assert tree.select_disks(nodes, None) == (
        ["sda", "sdb"],
        ["sdc: the rescue medium", "sr0: optical drive", "zram0: compressed RAM disk"],
    )


def test_the_disk_a_backup_is_being_written_to_is_left_out_with_its_mount_named() -> None:
    nodes = tree.nodes_from_lsblk(probes("raid1-luks-lvm").lsblk)
    mounted = {m for node in nodes.values() for m in tree.mountpoints(node)}
    assert "/boot/efi" in mounted  # on sda1 alone
    chosen, excluded = tree.select_disks(nodes, None, backup_mounts=["/boot/efi"])
    assert chosen == ["sdb"]
    assert "sda: holds the backup being made (mounted at /boot/efi)" in excluded
    assert tree.select_disks(nodes, None, backup_mounts=["/nowhere"])[0] == ["sda", "sdb"]


def test_a_device_list_takes_loop_devices_and_refuses_partitions_and_unknown_names() -> None:
    nodes = tree.nodes_from_lsblk(probes("loop-disks").lsblk)
    assert tree.select_disks(nodes, ["/dev/loop1", "loop0"])[0] == ["loop1", "loop0"]
    nodes = tree.nodes_from_lsblk(probes("raid1-luks-lvm").lsblk)
    with pytest.raises(CaptureError, match="cannot capture /dev/sda2: it is not a whole disk"):
        tree.select_disks(nodes, ["/dev/sda2"])
    with pytest.raises(CaptureError, match="cannot capture /dev/sdz: lsblk does not list it"):
        tree.select_disks(nodes, ["/dev/sdz"])


def test_capture_refuses_to_run_without_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(RefusedError, match=r"^layout capture needs root"):
        capture.capture_system()


def test_a_mounted_device_whose_signature_cannot_be_read_is_noted() -> None:
    recorded = json.loads(probes("loop-disks").to_json())
    del recorded["blkid"]["/dev/loop0"]  # blkid refused (a sandbox, a dying disk)
    next(n for n in recorded["lsblk"]["blockdevices"] if n["name"] == "loop0")["fstype"] = None
    recorded["mounts"]["filesystems"].append(
        {"source": "/dev/loop0", "target": "/", "fsroot": "/", "fstype": "ext4", "options": "rw", "maj:min": "7:0"}
    )
    built = build_layout(ProbeSet(**recorded))
    assert built.origin is not None
    assert "/dev/loop0 is mounted on / as ext4 but its signature could not be read; no filesystem recorded" in (
        built.origin.notes
    )
    assert "fs-loop0" not in built.by_id()


# --- the tool runner -------------------------------------------------------------------------------------------


def test_a_missing_tool_is_a_capture_error_naming_the_command() -> None:
    with pytest.raises(CaptureError, match=r"^no-such-tool --json: no-such-tool is not installed$"):
        probes_module.run(["no-such-tool", "--json"])


def test_a_failing_tool_reports_its_exit_code_and_last_error_line() -> None:
    with pytest.raises(CaptureError, match=r"^sh -c .*: failed with exit code 3: second$"):
        probes_module.run(["sh", "-c", "echo first >&2; echo second >&2; exit 3"])


def test_a_quiet_exit_code_is_success_only_without_an_error_message() -> None:
    assert probes_module.run(["sh", "-c", "exit 2"], quiet_ok=(2,)) == ""
    with pytest.raises(CaptureError, match="Operation not permitted"):
        probes_module.run(["sh", "-c", "echo 'Operation not permitted' >&2; exit 2"], quiet_ok=(2,))


def test_a_hung_tool_is_stopped_at_the_timeout() -> None:
    with pytest.raises(CaptureError, match=r"^sleep 5: no answer within 0.2 s$"):
        probes_module.run(["sleep", "5"], timeout=0.2)


def test_a_tool_printing_no_json_is_a_capture_error() -> None:
    with pytest.raises(CaptureError, match=r"^echo nope: printed no valid JSON"):
        probes_module.run_json(["echo", "nope"])


def test_a_probe_set_survives_its_json_recording() -> None:
    assert ProbeSet.from_json(probes("raid1-luks-lvm").to_json()) == probes("raid1-luks-lvm")


# --- parsers ---------------------------------------------------------------------------------------------------


def test_mdadm_export_roles_give_member_order_and_spares() -> None:
    export = (
        "MD_LEVEL=raid5\nMD_DEVICES=3\nMD_METADATA=1.2\nMD_UUID=7e81a856:abb9c1c2:4b71237a:9778cc66\nMD_NAME=nas:data\n"
        "MD_DEVICE_dev_sdd1_ROLE=spare\nMD_DEVICE_dev_sdd1_DEV=/dev/sdd1\n"
        "MD_DEVICE_dev_sdc1_ROLE=2\nMD_DEVICE_dev_sdc1_DEV=/dev/sdc1\n"
        "MD_DEVICE_dev_sda1_ROLE=0\nMD_DEVICE_dev_sda1_DEV=/dev/sda1\n"
        "MD_DEVICE_dev_sdb1_ROLE=1\nMD_DEVICE_dev_sdb1_DEV=/dev/sdb1\n"
    )
    detail = (
        "/dev/md0:\n           Version : 1.2\n        Raid Level : raid5\n"
        "        Array Size : 200704 (196.00 MiB 205.52 MB)\n\n            Layout : left-symmetric\n"
        "        Chunk Size : 512K\n\nConsistency Policy : resync\n\n"
        "              Name : nas:data  (local to host nas)\n"
    )
    assert parse.md_detail(export, detail) == parse.MdDetail(
        level="raid5",
        metadata="1.2",
        uuid="7e81a856:abb9c1c2:4b71237a:9778cc66",
        name="nas:data",
        members=("/dev/sda1", "/dev/sdb1", "/dev/sdc1"),
        spares=("/dev/sdd1",),
        chunk_kib=512,
        layout="left-symmetric",
        bitmap="none",
        size=200704 * 1024,
    )


def test_mdadm_raid10_layout_is_written_as_mdadm_create_takes_it() -> None:
    detail = parse.md_detail("MD_LEVEL=raid10\n", "            Layout : near=2\n        Chunk Size : 64K\n")
    assert (detail.layout, detail.chunk_kib) == ("n2", 64)


def test_fstab_octal_escapes_and_missing_fields_are_read() -> None:
    entries = parse.fstab("# comment\n/dev/sdb1 /mnt/my\\040disk ext4\n\nLABEL=x /y xfs ro 1 2 # trailing\n")
    assert entries == [
        parse.FstabEntry("/dev/sdb1", "/mnt/my disk", "ext4", "defaults", 0, 0),
        parse.FstabEntry("LABEL=x", "/y", "xfs", "ro", 1, 2),
    ]


def test_btrfs_subvolume_list_paths_are_relative_to_the_top_level() -> None:
    text = "ID 256 gen 7 parent 5 top level 5 path @\nID 258 gen 9 parent 256 top level 256 path <FS_TREE>/@/var/log\n"
    assert parse.btrfs_subvolumes(text) == [parse.Subvolume(256, "@"), parse.Subvolume(258, "@/var/log")]
    assert parse.btrfs_default_id("ID 5 (FS_TREE)\n") == 5
