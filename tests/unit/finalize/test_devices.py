"""The device map: which layout device a spec from a config file names, and whether it still finds it."""

from __future__ import annotations

from rescue_tui.finalize.devices import DeviceMap, mapper_name, partition_node, unescape_udev
from rescue_tui.plan.model import CreateLv, CreateMd, CreatePartition, OpenLuks, Plan, WipeDisk
from tests.unit.finalize.conftest import (
    bios_single,
    debian_raid,
    kestrel_luks,
    layout_of,
    nova_uefi,
    planned,
    tern_btrfs,
)


def test_partition_nodes_get_a_p_after_a_digit() -> None:
    assert partition_node("/dev/sda", 2) == "/dev/sda2"
    assert partition_node("/dev/nvme0n1", 2) == "/dev/nvme0n1p2"
    assert partition_node("/dev/md0", 1) == "/dev/md0p1"


def test_mapper_names_double_the_dashes() -> None:
    assert mapper_name("nova-vg", "swap_1") == "nova--vg-swap_1"


def test_udev_escapes_in_labels_are_decoded() -> None:
    assert unescape_udev(r"EFI\x20System") == "EFI System"


def test_a_renamed_partition_is_found_by_its_old_node_and_is_not_stable() -> None:
    found = bios_single().lookup("/dev/sda1")
    assert found.device is not None and found.device.id == "sda1"
    assert found.device.boot_node == "/dev/vda1" and not found.stable


def test_filesystem_uuid_label_partuuid_and_partlabel_are_stable() -> None:
    devices = nova_uefi()
    for spec in (
        "UUID=3ED5-45D0",
        "LABEL=boot",
        "PARTUUID=6e3fa811-0a5e-4819-a351-2a2d913f6d0c",
        "PARTLABEL=boot",
        "/dev/disk/by-uuid/3ed5-45d0",
        '"UUID=3ED5-45D0"',
    ):
        assert devices.lookup(spec).stable, spec


def test_lvm_names_are_stable_in_both_spellings() -> None:
    devices = nova_uefi()
    assert devices.lookup("/dev/nova-vg/root").stable
    assert devices.lookup("/dev/mapper/nova--vg-root").stable
    assert devices.lookup("/dev/disk/by-id/dm-name-nova--vg-home").stable


def test_an_lvm_dm_uuid_is_not_stable_because_lvm_uuids_are_new() -> None:
    found = nova_uefi().lookup(
        "/dev/disk/by-id/dm-uuid-LVM-8dE24z1kG6x1OT7TAPIDOgG3ZPKa3KuYBukS44Gw5NmYF7pKuEZrlpOTRS0OnXGB"
    )
    assert found.device is not None and found.device.id == "lv-root" and not found.stable


def test_md_arrays_keep_their_names_even_when_the_node_is_md127_now() -> None:
    devices = debian_raid()
    for spec in (
        "/dev/md0",
        "/dev/md/0",
        "/dev/md/backup01:0",
        "/dev/disk/by-id/md-uuid-38d0842c:bac87d6f:b13495c3:60f3416c",
    ):
        found = devices.lookup(spec)
        assert found.device is not None and found.device.id == "md0" and found.stable, spec


def test_a_luks_mapping_name_is_stable_and_its_uuid_names_the_partition_under_it() -> None:
    devices = kestrel_luks()
    assert devices.lookup("/dev/mapper/cryptroot").stable
    found = devices.lookup("UUID=4f4d7d80-e093-49e8-8c2e-2da2d6cb5d34")
    assert found.device is not None and found.device.id == "nvme0n1p3" and found.stable


def test_by_id_of_a_replaced_disk_is_found_but_not_stable() -> None:
    found = tern_btrfs().lookup("/dev/disk/by-id/ata-CT1000MX500SSD1_2117E59AD1C4-part3")
    assert found.device is not None and found.device.id == "sda3" and not found.stable


def test_by_id_and_by_path_of_the_same_disk_stay_stable() -> None:
    devices = tern_btrfs(same_disk=True)
    assert devices.lookup("/dev/disk/by-id/ata-CT1000MX500SSD1_2117E59AD1C4-part3").stable
    assert devices.lookup("/dev/disk/by-path/pci-0000:00:17.0-ata-1-part1").stable
    assert devices.lookup("/dev/disk/by-id/wwn-0x500a0751e59ad1c4-part2").device is not None


def test_unknown_specs_are_device_specs_without_a_device_and_other_sources_are_not_device_specs() -> None:
    devices = bios_single()
    assert devices.lookup("/dev/sdc1").is_device_spec and not devices.lookup("/dev/sdc1").found
    assert devices.lookup("UUID=0000").is_device_spec and not devices.lookup("UUID=0000").found
    for other in ("proc", "tmpfs", "server:/export", "//nas/share", "/swapfile"):
        assert not devices.lookup(other).is_device_spec, other


def test_the_map_of_a_plan_takes_nodes_from_its_steps_and_disks() -> None:
    layout = layout_of("raid1-lvm")
    steps = (
        WipeDisk(id="s001", device="/dev/vdb"),
        CreatePartition(
            id="s002", item="sda2", device="/dev/vdb2", disk="/dev/vdb", number=2, start=4096, end=9999, sector_size=512
        ),
        CreateMd(id="s003", item="md0", device="/dev/md/md0", level="raid1", members=("/dev/vdb2", "/dev/vdc2")),
        CreateLv(id="s004", item="lv-root", device="/dev/vg_system/root", vg="vg_system", name="root", size=1),
        OpenLuks(id="s005", item="nothing", device="/dev/mapper/x", name="x", source="/dev/vdb3"),
    )
    plan = Plan(
        hostname="backup01",
        layout_sha256="0",
        layout_source="x",
        inventory_source="t",
        created_at="now",
        disks=(planned("sda", "/dev/vdb"),),
        layout=layout,
        steps=steps,
    )
    devices = DeviceMap.from_plan(plan)
    assert devices.devices["sda2"].boot_node == "/dev/vdb2"
    assert devices.devices["sda"].node == "/dev/vdb"
    assert devices.devices["md0"].node == "/dev/md/md0" and devices.devices["md0"].boot_node == "/dev/md0"
    assert devices.devices["lv-root"].recreated and not devices.devices["lv-var"].recreated
    assert not devices.devices["sdb2"].recreated


def test_two_disks_that_swap_names_map_each_old_name_to_the_other() -> None:
    layout = layout_of("raid1-lvm")
    nodes = {"sda": "/dev/sdb", "sda1": "/dev/sdb1", "sdb": "/dev/sda", "sdb1": "/dev/sda1"}
    devices = DeviceMap.build(layout, nodes)
    assert devices.lookup("/dev/sda1").device.boot_node == "/dev/sdb1"  # type: ignore[union-attr]
    assert devices.lookup("/dev/sdb1").device.boot_node == "/dev/sda1"  # type: ignore[union-attr]
