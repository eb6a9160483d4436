#!/usr/bin/env python3
"""Generate ``layouts/examples/large-server.json``: a storage server's layout.

The machine ``stor03``: two SATA SSDs (an ESP each, the rest a RAID1 under
the ``system`` VG) and 24 SAS disks of 16 TB: a RAID6 over twelve whole
disks (VG ``vault``) and a RAID10 (n2) over one GPT partition on each of the
other twelve (VG ``fast``). The data VGs carry many LVs, each with an xfs or
ext4 filesystem mounted under ``/srv``.

Everything is arithmetic on the item's name (UUIDs, serials and WWNs are
hashes of it), so a re-run writes the same bytes; the committed file is
checked against this script by ``tests/unit/layout/test_examples.py``.

    python tools/make_large_server.py                # rewrite the committed example
    python tools/make_large_server.py --lvs 1000     # a 1,000-LV variant on stdout
    python tools/make_large_server.py --lvs 1000 -o /tmp/big.json
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from rescue_tui.layout.codec import dump_layout
from rescue_tui.layout.model import (
    FORMAT_VERSION,
    Boot,
    Disk,
    Filesystem,
    FsType,
    Item,
    Layout,
    LvmLv,
    LvmPv,
    LvmVg,
    Machine,
    MdArray,
    Mount,
    Origin,
    Partition,
    PartitionTable,
    Swap,
)
from rescue_tui.layout.sizes import LVM_PE_START, MIB

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "layouts" / "examples" / "large-server.json"
HOST = "stor03"
DEFAULT_LVS = 120
"""LVs in the committed example, the five of the ``system`` VG included."""

KIB = 1024
GIB = 1024 * MIB
SECTOR = 512
GPT_TAIL = 33
"""Sectors at the end of a GPT disk taken by the backup table and header."""
MD_DATA_OFFSET = 264192
"""mdadm 1.2 data offset in sectors (129 MiB), what mdadm 4.2 uses on these sizes."""

ESP_TYPE = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
RAID_TYPE = "a19d880f-05fc-4d3b-a006-743f0f84911e"

SSD_SIZE = 480103981056  # INTEL SSDSC2KB480G8 (D3-S4510 480 GB)
HDD_SIZE = 16000900661248  # Seagate Exos X16 16 TB SAS (ST16000NM002G), 512e
SYSTEM_LVS = 5
DATA_PE = 32 * MIB
DATA_FILL = 0.9
"""Share of a data VG's capacity the LVs use, the rest kept free for snapshots and growth."""

CATEGORIES: dict[str, tuple[tuple[str, str, FsType], ...]] = {
    "vault": (("backup", "bak", "xfs"), ("archive", "arc", "xfs"), ("media", "med", "xfs")),
    "fast": (("db", "db", "ext4"), ("vm", "vm", "xfs"), ("build", "bld", "ext4"), ("home", "hom", "ext4")),
}
"""Per data VG: (mount directory under /srv, label prefix, filesystem type), taken in turn."""
WEIGHTS = (1, 1, 2, 2, 3, 4, 6, 8)
"""Relative LV sizes, picked per LV by hash."""


def _digest(*key: object) -> bytes:
    return hashlib.sha256(":".join(str(k) for k in (HOST, *key)).encode()).digest()


def uuid(*key: object) -> str:
    """A version-4 UUID in the standard lowercase form."""
    raw = bytearray(_digest("uuid", *key)[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def md_uuid(*key: object) -> str:
    """An mdadm array UUID: four groups of eight hex digits."""
    h = _digest("md", *key)[:16].hex()
    return ":".join(h[i : i + 8] for i in range(0, 32, 8))


def lvm_uuid(*key: object) -> str:
    """An LVM UUID: 32 characters of [A-Za-z0-9] in groups of 6-4-4-4-4-4-6."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    chars = "".join(alphabet[b % len(alphabet)] for b in _digest("lvm", *key)[:32])
    groups, at = [], 0
    for width in (6, 4, 4, 4, 4, 4, 6):
        groups.append(chars[at : at + width])
        at += width
    return "-".join(groups)


def vfat_uuid(*key: object) -> str:
    """A vfat volume id as blkid shows it: ``ABCD-1234``."""
    h = _digest("vfat", *key)[:4].hex().upper()
    return f"{h[:4]}-{h[4:]}"


def number(*key: object) -> int:
    """A stable non-negative integer for a key."""
    return int.from_bytes(_digest("n", *key)[:8], "big")


def mib_end(total_sectors: int) -> int:
    """Size in sectors of a partition from 1 MiB to the last whole MiB before the GPT backup."""
    per_mib = MIB // SECTOR
    return (total_sectors - GPT_TAIL) // per_mib * per_mib - per_mib


def gpt_disk(
    name: str, size: int, *, model: str, serial: str, wwn: str, by_path: str, transport: str, rotational: bool
) -> tuple[Disk, PartitionTable]:
    disk = Disk(
        id=name,
        name=name,
        size=size,
        physical_sector_size=4096,
        path=f"/dev/{name}",
        model=model,
        serial=serial,
        wwn=wwn,
        by_path=by_path,
        transport=transport,
        rotational=rotational,
    )
    return disk, PartitionTable(id=f"{name}-gpt", device=name, label="gpt", disk_guid=uuid("disk-guid", name))


def lv_with_fs(vg: LvmVg, name: str, size: int, fstype: FsType, mountpoint: str, *, label: str | None) -> list[Item]:
    """An LV, its filesystem and its mount."""
    lv_id = f"lv-{vg.name}-{name}"
    fs_id = f"fs-{vg.name}-{name}"
    options = "defaults,noatime" if mountpoint.startswith("/srv/") else "defaults"
    passno = 0 if fstype == "xfs" else (1 if mountpoint == "/" else 2)
    used_share = 5 + number("used", lv_id) % 80
    return [
        LvmLv(id=lv_id, vg=vg.id, name=name, size=size, uuid=lvm_uuid("lv", lv_id), path=f"/dev/{vg.name}/{name}"),
        Filesystem(
            id=fs_id,
            device=lv_id,
            fstype=fstype,
            uuid=uuid("fs", fs_id),
            label=label,
            block_size=4096,
            used=size * used_share // 100 // 4096 * 4096,
        ),
        Mount(id=f"mount-{vg.name}-{name}", source=fs_id, path=mountpoint, options=options, passno=passno),
    ]


def boot_disks() -> tuple[list[Item], LvmVg]:
    """The two SSDs: ESPs, the RAID1 and the ``system`` VG with root, var, log, tmp and swap."""
    items: list[Item] = []
    ssd_sectors = SSD_SIZE // SECTOR
    members = []
    for slot, name in enumerate(("sda", "sdb")):
        serial = f"PHYF{9030000 + number('serial', name) % 9999:07d}{'ABCDEFGHJK'[slot]}480BGN"
        disk, table = gpt_disk(
            name,
            SSD_SIZE,
            model="INTEL SSDSC2KB480G8",
            serial=serial,
            wwn=f"0x55cd2e41{number('wwn', name) % 16**8:08x}",
            by_path=f"pci-0000:00:17.0-ata-{slot + 1}",
            transport="sata",
            rotational=False,
        )
        esp = Partition(
            id=f"{name}1",
            table=table.id,
            number=1,
            start=2048,
            size=512 * MIB // SECTOR,
            gpt_type=ESP_TYPE,
            name="EFI System Partition",
            partuuid=uuid("partuuid", name, 1),
            flags=("boot", "esp"),
            path=f"/dev/{name}1",
        )
        member_start = esp.start + esp.size
        member = Partition(
            id=f"{name}2",
            table=table.id,
            number=2,
            start=member_start,
            size=mib_end(ssd_sectors) - esp.size,
            gpt_type=RAID_TYPE,
            name="system-raid",
            partuuid=uuid("partuuid", name, 2),
            flags=("raid",),
            path=f"/dev/{name}2",
        )
        esp_fs = Filesystem(id=f"fs-{name}1", device=esp.id, fstype="vfat", uuid=vfat_uuid(name, 1), block_size=512)
        mountpoint = "/boot/efi" if slot == 0 else "/boot/efi2"
        mount = Mount(id=f"mount-{name}1", source=esp_fs.id, path=mountpoint, options="umask=0077", passno=1)
        items += [disk, table, esp, member, esp_fs, mount]
        members.append(member)
    md_size = (members[0].size - MD_DATA_OFFSET) * SECTOR
    md0 = MdArray(
        id="md0",
        name="md0",
        level="raid1",
        members=tuple(m.id for m in members),
        uuid=md_uuid("md0"),
        array_name=f"{HOST}:0",
        bitmap="internal",
        size=md_size,
        path="/dev/md0",
    )
    pv = LvmPv(id="pv-md0", device=md0.id, uuid=lvm_uuid("pv", "md0"), size=md_size)
    vg = LvmVg(id="vg-system", name="system", pvs=(pv.id,), uuid=lvm_uuid("vg", "system"))
    items += [md0, pv, vg]
    items += lv_with_fs(vg, "root", 40 * GIB, "xfs", "/", label="root")
    items += lv_with_fs(vg, "var", 60 * GIB, "xfs", "/var", label="var")
    items += lv_with_fs(vg, "log", 20 * GIB, "xfs", "/var/log", label="log")
    items += lv_with_fs(vg, "tmp", 10 * GIB, "xfs", "/tmp", label="tmp")
    swap_lv = LvmLv(
        id="lv-system-swap",
        vg=vg.id,
        name="swap",
        size=32 * GIB,
        uuid=lvm_uuid("lv", "lv-system-swap"),
        path="/dev/system/swap",
    )
    items += [swap_lv, Swap(id="swap-system", device=swap_lv.id, uuid=uuid("swap", "system"), label="swap")]
    return items, vg


def hdd(index: int) -> tuple[Disk, PartitionTable]:
    """The SAS disk in enclosure slot ``index`` (0-23): sdc to sdz."""
    name = "sd" + "cdefghijklmnopqrstuvwxyz"[index]
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTVWXYZ"
    n = number("serial", name)
    tail = "".join(alphabet[(n >> (5 * i)) % len(alphabet)] for i in range(5))
    return gpt_disk(
        name,
        HDD_SIZE,
        model="ST16000NM002G",
        serial=f"ZL2{tail}",
        wwn=f"0x5000c500{number('wwn', name) % 16**8:08x}",
        by_path=f"pci-0000:3b:00.0-sas-exp0x500304801f3c2d3f-phy{index}-lun-0",
        transport="sas",
        rotational=True,
    )


def data_arrays() -> tuple[list[Item], LvmVg, LvmVg]:
    """RAID6 over sdc-sdn (whole disks), RAID10 n2 over one partition on each of sdo-sdz."""
    items: list[Item] = []
    hdd_sectors = HDD_SIZE // SECTOR
    chunk_sectors = 512 * KIB // SECTOR
    raid6_members = []
    for index in range(12):
        disk, _table = hdd(index)
        items.append(disk)  # whole-disk member: no partition table
        raid6_members.append(disk.id)
    component = (hdd_sectors - MD_DATA_OFFSET) // chunk_sectors * chunk_sectors
    md1 = MdArray(
        id="md1",
        name="md1",
        level="raid6",
        members=tuple(raid6_members),
        uuid=md_uuid("md1"),
        array_name=f"{HOST}:vault",
        chunk_kib=512,
        layout="left-symmetric",
        bitmap="internal",
        size=component * (len(raid6_members) - 2) * SECTOR,
        path="/dev/md1",
    )
    raid10_members = []
    part_size = mib_end(hdd_sectors)
    for index in range(12, 24):
        disk, table = hdd(index)
        part = Partition(
            id=f"{disk.name}1",
            table=table.id,
            number=1,
            start=2048,
            size=part_size,
            gpt_type=RAID_TYPE,
            name="fast-raid",
            partuuid=uuid("partuuid", disk.name, 1),
            flags=("raid",),
            path=f"/dev/{disk.name}1",
        )
        items += [disk, table, part]
        raid10_members.append(part.id)
    component = (part_size - MD_DATA_OFFSET) // chunk_sectors * chunk_sectors
    md2 = MdArray(
        id="md2",
        name="md2",
        level="raid10",
        members=tuple(raid10_members),
        uuid=md_uuid("md2"),
        array_name=f"{HOST}:fast",
        chunk_kib=512,
        layout="n2",
        bitmap="internal",
        size=component * len(raid10_members) // 2 * SECTOR,
        path="/dev/md2",
    )
    vgs = []
    for md, vg_name in ((md1, "vault"), (md2, "fast")):
        assert md.size is not None
        pv = LvmPv(id=f"pv-{md.name}", device=md.id, uuid=lvm_uuid("pv", md.name), size=md.size)
        vg = LvmVg(id=f"vg-{vg_name}", name=vg_name, pvs=(pv.id,), uuid=lvm_uuid("vg", vg_name), pe_size=DATA_PE)
        items += [md, pv, vg]
        vgs.append(vg)
    return items, vgs[0], vgs[1]


def data_lvs(vg: LvmVg, count: int, capacity: int) -> list[Item]:
    """``count`` LVs in a data VG, together ``DATA_FILL`` of its capacity, in whole GiB."""
    kinds = CATEGORIES[vg.name]
    plan = []
    for i in range(count):
        directory, prefix, fstype = kinds[i % len(kinds)]
        serial = i // len(kinds) + 1
        weight = WEIGHTS[number("weight", vg.name, i) % len(WEIGHTS)]
        plan.append((directory, prefix, fstype, serial, weight))
    budget = int(capacity * DATA_FILL)
    total_weight = sum(p[4] for p in plan)
    items: list[Item] = []
    for directory, prefix, fstype, serial, weight in plan:
        size = max(1, budget * weight // total_weight // GIB) * GIB
        name = f"{directory}{serial:03d}"
        items += lv_with_fs(vg, name, size, fstype, f"/srv/{directory}/{serial:03d}", label=f"{prefix}{serial:04d}")
    return items


def vg_capacity(pv_size: int, pe_size: int) -> int:
    """Bytes a one-PV VG can allocate: whole extents after the metadata area (as rescue_tui.layout.sizes counts)."""
    return (pv_size - LVM_PE_START) // pe_size * pe_size


def build(lvs: int = DEFAULT_LVS) -> Layout:
    """The layout with ``lvs`` LVs in all (at least ``SYSTEM_LVS + 2``)."""
    if lvs < SYSTEM_LVS + 2:
        raise ValueError(f"--lvs must be at least {SYSTEM_LVS + 2}")
    system_items, _system = boot_disks()
    array_items, vault, fast = data_arrays()
    by_id = {item.id: item for item in array_items}
    data = lvs - SYSTEM_LVS
    lv_items: list[Item] = []
    for vg, count in ((vault, (data + 1) // 2), (fast, data // 2)):
        pv = by_id[vg.pvs[0]]
        assert isinstance(pv, LvmPv) and pv.size is not None
        lv_items += data_lvs(vg, count, vg_capacity(pv.size, vg.pe_size))
    source = "tools/make_large_server.py" + ("" if lvs == DEFAULT_LVS else f" --lvs {lvs}")
    return Layout(
        format_version=FORMAT_VERSION,
        machine=Machine(hostname=HOST, captured_at="2024-05-14T02:17:09+02:00", captured_by="rescue-tui 0.1.0"),
        boot=Boot(firmware="uefi", disks=("sda", "sdb"), esps=("sda1", "sdb1")),
        origin=Origin(kind="manual", source=source, notes=("example: generated, not captured from a real machine",)),
        items=(*system_items, *array_items, *lv_items),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lvs", type=int, help=f"LVs in all; the output goes to stdout (default {DEFAULT_LVS})")
    parser.add_argument("-o", "--output", help="file to write, '-' for stdout (default: the committed example)")
    args = parser.parse_args(argv)
    try:
        text = dump_layout(build(args.lvs if args.lvs is not None else DEFAULT_LVS))
    except ValueError as exc:
        parser.error(str(exc))
    output = args.output or ("-" if args.lvs is not None else str(EXAMPLE))
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
