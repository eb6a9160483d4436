"""From what the tools said (a ``ProbeSet``) to a ``Layout``: pure, no I/O.

The lsblk tree decides what exists and what sits on what; each tool then
fills in the fields it knows best: sfdisk the partition table, blkid the
formats, mdadm the arrays, cryptsetup the LUKS headers, lvm the volume
groups, fstab the mount points, blivet (parted) the partition flags.
Whatever cannot be represented is left out with a note in ``origin.notes``
rather than guessed.

Item ids follow the kernel names of the captured machine (``sda1``,
``md0``, ``vg-system``, ``fs-sda1``); ``compare`` matches items by identity,
never by id, so a renamed disk is not a changed layout.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast, get_args

from rescue_tui.layout.capture import parse, tree
from rescue_tui.layout.capture.boot import boot_facts
from rescue_tui.layout.capture.lvm import LvmReports, add_pv
from rescue_tui.layout.capture.mounts import add_mounts, swap_priority
from rescue_tui.layout.capture.network import build_network
from rescue_tui.layout.capture.partitions import add_partition_table
from rescue_tui.layout.capture.probes import ProbeSet
from rescue_tui.layout.capture.state import FS_TYPES, BuildState, lower, natural_key, to_int
from rescue_tui.layout.model import (
    FORMAT_VERSION,
    BtrfsSubvolume,
    Disk,
    Filesystem,
    FsType,
    Item,
    Layout,
    Luks,
    LvmLv,
    LvmPv,
    LvmVg,
    Machine,
    MdArray,
    MdLevel,
    Mount,
    Origin,
    Partition,
    PartitionTable,
    Swap,
)

MD_LEVELS: tuple[str, ...] = get_args(MdLevel)
BLIVET_FORMATS = {"vfat": {"vfat", "efi"}, "crypto_LUKS": {"luks"}, "LVM2_member": {"lvmpv"}, "swap": {"swap"}}
"""blkid's format names where blivet calls them differently."""


def build_layout(probes: ProbeSet, *, captured_at: str | None = None, captured_by: str | None = None) -> Layout:
    """The layout the probes describe. ``captured_at``/``captured_by`` go into ``machine``."""
    b = BuildState(probes)
    lvm = LvmReports(probes.lvm, b)
    order = _capture_order(b, lvm)

    for kname in probes.disks:
        b.ids[kname] = b.add(_disk(b, kname)).id
    fstab = parse.fstab(probes.fstab)
    btrfs_seen: dict[str, str] = {}
    for kname in order:
        node = b.nodes[kname]
        if kname not in b.ids and _is_md(node):
            _md_array(b, kname)
        if kname not in b.ids:
            if node.type not in ("part", "lvm"):
                b.notes.append(f"{node.path}: {node.type} devices are not supported; not captured")
        elif node.path in probes.sfdisk and not _table_seen_through_md(b, kname):
            add_partition_table(b, kname)
        else:
            _format(b, kname, lvm, fstab, btrfs_seen)
    _subvolumes(b)
    add_mounts(b, fstab)
    _check_against_blivet(b)

    layout = Layout(
        format_version=FORMAT_VERSION,
        machine=Machine(
            hostname=str(probes.system.get("hostname") or "unknown"),
            architecture=str(probes.system.get("architecture") or "x86_64"),
            captured_at=captured_at,
            captured_by=captured_by,
        ),
        boot=None,
        origin=None,
        items=tuple(sorted(b.items, key=_item_order)),
    )
    boot = boot_facts(b, layout)
    network, network_notes = build_network(probes.network) if probes.network is not None else (None, [])
    origin = Origin(
        kind="capture",
        source=layout.machine.hostname,
        excluded=tuple(probes.excluded),
        notes=tuple(probes.notes + b.notes + network_notes),
    )
    return Layout(
        format_version=layout.format_version,
        machine=layout.machine,
        boot=boot,
        origin=origin,
        network=network,
        items=layout.items,
    )


ITEM_CLASS_ORDER: tuple[type[Item], ...] = (
    Disk, PartitionTable, Partition, MdArray, Luks, LvmPv, LvmVg, LvmLv, Filesystem, BtrfsSubvolume, Swap, Mount
)  # fmt: skip
ITEM_RANK = {cls.type: rank for rank, cls in enumerate(ITEM_CLASS_ORDER)}


def _item_order(item: Item) -> tuple[Any, ...]:
    if isinstance(item, Mount):
        return (ITEM_RANK[item.type], item.path.count("/") if item.path != "/" else 0, item.path)
    if isinstance(item, Partition):
        return (ITEM_RANK[item.type], natural_key(item.table), item.number)
    return (ITEM_RANK[item.type], natural_key(item.id))


# --- which devices, in which order ----------------------------------------------------------------------


def _capture_order(b: BuildState, lvm: LvmReports) -> list[str]:
    """Captured kernel names, every device after all it depends on.

    A device is captured when everything it sits on is: an md array with a
    member on a disk left out is left out too. An LV depends on every PV of
    its volume group, not only on the PVs its extents happen to use.
    """
    deps: dict[str, set[str]] = {k: set(n.parents) for k, n in b.nodes.items()}
    for kname, vg in lvm.node_vg.items():
        deps[kname] |= {pv for pv in lvm.vg_pv_nodes.get(vg, ()) if pv in b.nodes}
        deps[kname] |= set(lvm.vg_missing.get(vg, ()))
    captured: set[str] = set(b.probes.disks)
    order: list[str] = list(b.probes.disks)
    pending = [k for k in tree.descendants(b.nodes, b.probes.disks) if k not in captured]
    progress = True
    while progress:
        progress = False
        for kname in list(pending):
            if deps[kname] <= captured:
                captured.add(kname)
                order.append(kname)
                pending.remove(kname)
                progress = True
    for kname in pending:
        outside = sorted(d for d in deps[kname] - captured if d not in pending)
        if outside and b.nodes[kname].type != "part":
            where = b.nodes[kname].path
            b.notes.append(f"{where}: not captured: it also sits on {', '.join(outside)}, which is not captured")
    return order


# --- disks and partitions ------------------------------------------------------------------------------


def _disk(b: BuildState, kname: str) -> Disk:
    node = b.nodes[kname]
    udev = parse.key_values(b.probes.udev.get(node.path, ""))
    rota = node.get("rota")
    return Disk(
        id=kname,
        name=kname,
        size=int(node.get("size") or 0),
        logical_sector_size=int(node.get("log-sec") or 512),
        physical_sector_size=int(node.get("phy-sec") or 512),
        path=node.path,
        model=(node.get("model") or udev.get("ID_MODEL") or None),
        serial=(node.get("serial") or udev.get("ID_SERIAL_SHORT") or None),
        wwn=(node.get("wwn") or udev.get("ID_WWN_WITH_EXTENSION") or udev.get("ID_WWN") or None),
        by_path=udev.get("ID_PATH") or None,
        transport=node.get("tran"),
        rotational=None if rota is None else bool(rota),
    )


# --- md arrays -----------------------------------------------------------------------------------------


def _is_md(node: tree.Node) -> bool:
    return node.type.startswith(("raid", "linear", "md"))


def _table_seen_through_md(b: BuildState, kname: str) -> bool:
    """True (with a note) when the partition table read on a device is not its own, as it is an md member.

    An array with its superblock at the end (metadata 1.0, 0.90) starts where its whole-disk member
    starts, so sfdisk, parted and the kernel read the array's own table through each member;
    libblkid hides it (Debian 12's reports only ``linux_raid_member``) but older libblkid, or a udev
    database read before the array was made, may report it. With the superblock at the start
    (1.1, 1.2) a table still read on the member is stale. Either way the member gets no table
    item: the array's partitions are captured once, on the array, as ReaR's importer has them.
    """
    node = b.nodes[kname]
    arrays = [b.nodes[c].path for c in node.children if _is_md(b.nodes[c])]
    if not arrays and b.fstype(kname) != "linux_raid_member":
        return False
    label = str(b.probes.sfdisk[node.path].get("partitiontable", {}).get("label") or "partition")
    label = "msdos" if label == "dos" else label
    if arrays:
        b.notes.append(f"{node.path} is a whole-disk member of {', '.join(arrays)}: its {label} table is the array's")
    else:
        b.notes.append(
            f"{node.path} is an md member but no array on it is assembled: its {label} table is not its own; "
            "nothing on it captured (assemble the array, then capture again)"
        )
    return True


def _md_array(b: BuildState, kname: str) -> None:
    node = b.nodes[kname]
    recorded = b.probes.mdadm.get(node.path)
    if recorded is None:
        b.notes.append(f"{node.path}: no mdadm --detail output; array not captured")
        return
    detail = parse.md_detail(recorded.get("export", ""), recorded.get("detail", ""))

    def member_ids(paths: Iterable[str]) -> list[str] | None:
        out = []
        for path in paths:
            member = b.resolve(path)
            if member is None or member not in b.ids:
                b.notes.append(f"{node.path}: member {path} is not captured; array not captured")
                return None
            out.append(b.ids[member])
        return out

    members, spares = member_ids(detail.members), member_ids(detail.spares)
    if members is None or spares is None:
        return
    if detail.level not in MD_LEVELS:
        b.notes.append(f"{node.path}: md level {detail.level} is not supported; array not captured")
        return
    b.add(
        MdArray(
            id=kname,
            name=kname,
            level=cast(MdLevel, detail.level),
            members=tuple(members),
            spares=tuple(spares),
            metadata=detail.metadata or "1.2",
            uuid=detail.uuid,
            array_name=detail.name,
            chunk_kib=detail.chunk_kib,
            layout=detail.layout,
            bitmap=detail.bitmap,
            size=to_int(node.get("size")) or detail.size,
            path=node.path,
        )
    )
    b.ids[kname] = kname


# --- LVM -----------------------------------------------------------------------------------------------


# --- formats -------------------------------------------------------------------------------------------


def _format(
    b: BuildState, kname: str, lvm: LvmReports, fstab: list[parse.FstabEntry], btrfs_seen: dict[str, str]
) -> None:
    """The one thing on a block device: filesystem, swap, LUKS, PV (md members are done by the array)."""
    node = b.nodes[kname]
    fmt = b.formats.get(kname, {})
    fstype = fmt.get("TYPE")
    if fmt.get("PTTYPE") or fstype in (None, "linux_raid_member"):
        return
    device_id = b.ids[kname]
    if fstype == "crypto_LUKS":
        _luks(b, kname)
    elif fstype == "LVM2_member":
        add_pv(b, kname, lvm)
    elif fstype == "swap":
        b.held[kname] = b.add(
            Swap(
                id=f"swap-{device_id}",
                device=device_id,
                uuid=lower(fmt.get("UUID")),
                label=fmt.get("LABEL") or None,
                priority=swap_priority(b, kname, fstab),
            )
        ).id
    elif fstype in FS_TYPES:
        uuid = fmt.get("UUID")
        if fstype == "btrfs" and uuid in btrfs_seen:
            b.notes.append(f"{node.path}: more of the btrfs on {btrfs_seen[uuid]}; a multi-device btrfs keeps one")
            return
        info = _fsinfo(fstype, b.probes.fsinfo.get(node.path, ""))
        used = to_int(node.get("fsused")) if tree.mountpoints(node) else None
        b.held[kname] = b.add(
            Filesystem(
                id=f"fs-{device_id}",
                device=device_id,
                fstype=cast(FsType, fstype),
                uuid=uuid if fstype == "vfat" else lower(uuid),
                label=fmt.get("LABEL") or None,
                block_size=info.block_size,
                used=used if used is not None else info.used,
            )
        ).id
        if fstype == "btrfs" and uuid:
            btrfs_seen[uuid] = node.path
    else:
        b.notes.append(f"{node.path}: {fstype} is not supported; not captured")


def _fsinfo(fstype: str, text: str) -> parse.FsInfo:
    if not text:
        return parse.FsInfo(block_size=None, used=None)
    if fstype.startswith("ext"):
        return parse.dumpe2fs(text)
    if fstype == "xfs":
        return parse.xfs_db_sb(text)
    if fstype == "btrfs":
        return parse.btrfs_super(text)
    return parse.FsInfo(block_size=None, used=None)


def _luks(b: BuildState, kname: str) -> None:
    node = b.nodes[kname]
    header = parse.luks_dump(b.probes.luks.get(node.path, ""))
    uuid = header.uuid or b.formats[kname].get("UUID")
    opened = next((c for c in node.children if b.nodes[c].type == "crypt"), None)
    name = b.nodes[opened].name if opened else _crypttab_name(b, kname, uuid) or f"luks-{uuid}"
    if header.version not in (1, 2):
        b.notes.append(f"{node.path}: unreadable LUKS header; not captured")
        return
    item = b.add(
        Luks(
            id=name if name.startswith("luks-") else f"luks-{name}",
            device=b.ids[kname],
            name=name,
            version=1 if header.version == 1 else 2,
            uuid=lower(uuid),
            label=header.label,
            cipher=header.cipher,
            key_size=header.key_size,
            hash=header.hash,
            pbkdf=header.pbkdf,
            sector_size=header.sector_size,
            size=to_int(b.nodes[opened].get("size")) if opened else None,
            path=f"/dev/mapper/{name}" if opened else None,
        )
    )
    b.held[kname] = item.id
    if opened is not None:
        b.ids[opened] = item.id


def _crypttab_name(b: BuildState, kname: str, uuid: str | None) -> str | None:
    for entry in parse.crypttab(b.probes.crypttab):
        if uuid and entry.spec.upper() == f"UUID={uuid}".upper():
            return entry.name
        if entry.spec.startswith("/dev/") and b.resolve(entry.spec) == kname:
            return entry.name
    return None


# --- btrfs subvolumes ------------------------------------------------------------------------------------


def _subvolumes(b: BuildState) -> None:
    for fs in [i for i in b.items if isinstance(i, Filesystem) and i.fstype == "btrfs"]:
        recorded = b.probes.btrfs.get(str(fs.uuid)) or b.probes.btrfs.get(str(fs.uuid).upper()) or {}
        default_id = parse.btrfs_default_id(recorded.get("default", ""))
        for sub in parse.btrfs_subvolumes(recorded.get("list", "")):
            b.add(
                BtrfsSubvolume(
                    id=f"subvol-{fs.device}-{sub.path}",
                    filesystem=fs.id,
                    path=sub.path,
                    subvol_id=sub.id,
                    default=sub.id == default_id,
                )
            )


# --- fstab: mounts and swap priorities ---------------------------------------------------------------------

# --- a second opinion --------------------------------------------------------------------------------------


def _check_against_blivet(b: BuildState) -> None:
    """Note where blivet's populate disagrees with blkid about a captured device."""
    facts = (b.probes.blivet or {}).get("devices", {})
    for kname in b.held:
        path = b.nodes[kname].path
        seen = facts.get(path)
        fstype = b.fstype(kname)
        if seen is None or fstype is None:
            continue
        expected = BLIVET_FORMATS.get(fstype, {fstype})
        if seen.get("format") not in expected:
            b.notes.append(f"{path}: blivet sees {seen.get('format')} where blkid sees {fstype}")
            continue
        uuid, theirs = b.formats[kname].get("UUID"), seen.get("uuid")
        if uuid and theirs and uuid.lower() != str(theirs).lower():
            b.notes.append(f"{path}: blivet reads UUID {theirs} where blkid reads {uuid}")
