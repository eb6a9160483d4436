"""Device maps for the example layouts, with the nodes a recovery onto virtio disks gives them.

Built without blivet: the nodes are spelled out here, as a plan would have them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rescue_tui.finalize.devices import DeviceMap
from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.model import Layout
from rescue_tui.plan.model import PlannedDisk
from tests.conftest import ROOT

EXAMPLES = ROOT / "layouts" / "examples"


def layout_of(name: str) -> Layout:
    return read_layout(EXAMPLES / f"{name}.json")


def planned(source: str, path: str, *, serial: str | None = None, by_path: str | None = None) -> PlannedDisk:
    name = path.removeprefix("/dev/")
    return PlannedDisk(
        name=name, path=path, size=1, serial=serial, by_path=by_path, source=source, source_name=source, reason="test"
    )


def debian_raid() -> DeviceMap:
    """backup01 (BIOS, GPT, md RAID1 of sda2+sdb2, LVM vg_system) onto vdb and vdc; the array is md127 now."""
    nodes = {
        "sda": "/dev/vdb",
        "sda1": "/dev/vdb1",
        "sda2": "/dev/vdb2",
        "sdb": "/dev/vdc",
        "sdb1": "/dev/vdc1",
        "sdb2": "/dev/vdc2",
        "md0": "/dev/md127",
        "lv-root": "/dev/vg_system/root",
        "lv-var": "/dev/vg_system/var",
        "lv-swap": "/dev/vg_system/swap",
    }
    targets = {"sda": planned("sda", "/dev/vdb"), "sdb": planned("sdb", "/dev/vdc")}
    return DeviceMap.build(layout_of("raid1-lvm"), nodes, targets)


def bios_single() -> DeviceMap:
    """web01 (BIOS, msdos: sda1 root, sda2 swap, sda5 /srv) onto vda."""
    nodes = {"sda": "/dev/vda", "sda1": "/dev/vda1", "sda2": "/dev/vda2", "sda3": "/dev/vda3", "sda5": "/dev/vda5"}
    return DeviceMap.build(layout_of("bios-mbr-single"), nodes, {"sda": planned("sda", "/dev/vda")})


def nova_uefi() -> DeviceMap:
    """nova (UEFI, nvme0n1: ESP, /boot, LVM nova-vg) onto vda."""
    nodes = {
        "nvme0n1": "/dev/vda",
        "nvme0n1p1": "/dev/vda1",
        "nvme0n1p2": "/dev/vda2",
        "nvme0n1p3": "/dev/vda3",
        "lv-root": "/dev/nova-vg/root",
        "lv-swap_1": "/dev/nova-vg/swap_1",
        "lv-home": "/dev/nova-vg/home",
    }
    return DeviceMap.build(layout_of("uefi-gpt-lvm"), nodes, {"nvme0n1": planned("nvme0n1", "/dev/vda")})


def kestrel_luks() -> DeviceMap:
    """kestrel (UEFI, nvme0n1p3 LUKS2 'cryptroot' holding LVM thin) onto vdb."""
    nodes = {
        "nvme0n1": "/dev/vdb",
        "nvme0n1p1": "/dev/vdb1",
        "nvme0n1p2": "/dev/vdb2",
        "nvme0n1p3": "/dev/vdb3",
        "luks-cryptroot": "/dev/mapper/cryptroot",
        "lv-pool0": "/dev/kestrel/pool0",
        "lv-root": "/dev/kestrel/root",
        "lv-home": "/dev/kestrel/home",
        "lv-swap": "/dev/kestrel/swap",
    }
    return DeviceMap.build(layout_of("luks-lvm-thin"), nodes, {"nvme0n1": planned("nvme0n1", "/dev/vdb")})


def tern_btrfs(*, same_disk: bool = False) -> DeviceMap:
    """tern (SUSE-like: UEFI, swap, btrfs with @, @home, @snapshots) onto vdb; or onto the same disk."""
    nodes = {"sda": "/dev/vdb", "sda1": "/dev/vdb1", "sda2": "/dev/vdb2", "sda3": "/dev/vdb3"}
    target = planned(
        "sda",
        "/dev/vdb",
        serial="2117E59AD1C4" if same_disk else "NEWDISK01",
        by_path="pci-0000:00:17.0-ata-1" if same_disk else "pci-0000:00:04.0",
    )
    return DeviceMap.build(layout_of("btrfs-subvolumes"), nodes, {"sda": target})


def changed_layout(layout: Layout, item_id: str, **changes: object) -> Layout:
    """The layout with one item's fields changed."""
    items = tuple(dataclasses.replace(i, **changes) if i.id == item_id else i for i in layout.items)
    return dataclasses.replace(layout, items=items)


DATA = ROOT / "tests" / "unit" / "finalize" / "data"


def esp_raid1() -> DeviceMap:
    """mirror (UEFI, the ESP on md RAID1 of nvme0n1p1 + nvme1n1p1, metadata 1.0) onto vdb and vdc."""
    nodes = {
        "sda": "/dev/vdb",
        "sda1": "/dev/vdb1",
        "sda2": "/dev/vdb2",
        "sdb": "/dev/vdc",
        "sdb1": "/dev/vdc1",
        "sdb2": "/dev/vdc2",
        "md-esp": "/dev/md/md125",
        "md-root": "/dev/md/md126",
    }
    return DeviceMap.build(read_layout(DATA / "esp-raid1.json"), nodes)


def large_server() -> DeviceMap:
    """stor03 (UEFI, two separate ESPs sda1 at /boot/efi and sdb1 at /boot/efi2) onto vdb and vdc."""
    nodes = {"sda": "/dev/vdb", "sda1": "/dev/vdb1", "sdb": "/dev/vdc", "sdb1": "/dev/vdc1"}
    return DeviceMap.build(layout_of("large-server"), nodes)


def make_tree(root: Path, files: dict[str, str], programs: tuple[str, ...] = ()) -> Path:
    """A restored tree: files by path, and programs (executable stubs) under usr/sbin."""
    for path, text in files.items():
        where = root / path.lstrip("/")
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_text(text)
    for name in programs:
        where = root / "usr/sbin" / name
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_text("#!/bin/sh\nexit 0\n")
        where.chmod(0o755)
    return root


def tree_state(root: Path) -> dict[str, bytes]:
    """Every file under root with its content (to prove nothing was written)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
