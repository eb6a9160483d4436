"""What a recovery must keep: every identity field of a layout, keyed by where it lives on the targets.

fstab, crypttab, mdadm.conf and the boot loader name devices by UUIDs, labels,
md UUIDs and PARTUUIDs; a recovery that changes one of them leaves a machine
that may not boot. A capture of the recovered disks compared with the layout
through :func:`identity_differences` says which field, if any, was not kept.
Keys name objects by what identifies them on the targets (a partition by its
disk and number, a filesystem by its UUID), never by ids or kernel names.
"""

from __future__ import annotations

from typing import Any

from rescue_tui.layout.model import (
    BtrfsSubvolume,
    Disk,
    Filesystem,
    Layout,
    Luks,
    LvmLv,
    LvmVg,
    MdArray,
    Partition,
    PartitionTable,
    Swap,
)

Identities = dict[str, Any]


def _hex(value: str | None) -> int | None:
    return int(value, 16) if value else None


def identity_fields(layout: Layout, target_of: dict[str, str] | None = None) -> Identities:
    """Every identity field of ``layout``; ``target_of`` names its disks as the targets call them (id -> name)."""
    target_of = target_of or {}
    items = layout.by_id()
    disk_name = {d.id: target_of.get(d.id, d.name) for d in layout.of_type(Disk)}
    out: Identities = {}
    for table in layout.of_type(PartitionTable):
        out[f"table {disk_name.get(table.device, table.device)}"] = (table.label, (table.disk_guid or "").lower())
    for part in layout.of_type(Partition):
        owner = items[part.table]
        assert isinstance(owner, PartitionTable)
        key = f"partition {disk_name.get(owner.device, owner.device)}#{part.number}"
        # an msdos PARTUUID is the disk id and the number: the table's disk id covers it
        partuuid = (part.partuuid or "").lower() if owner.label == "gpt" else ""
        out[key] = (part.start, part.size, part.kind, (part.gpt_type or "").lower(), _hex(part.mbr_type),
                    part.name, partuuid)  # fmt: skip
    for md in layout.of_type(MdArray):
        out[f"md {md.uuid}"] = (md.level, md.metadata, md.array_name, len(md.members))
    for luks in layout.of_type(Luks):
        out[f"luks {luks.uuid}"] = (luks.version, luks.label, luks.cipher, luks.key_size)
    for vg in layout.of_type(LvmVg):
        out[f"vg {vg.name}"] = (vg.pe_size, len(vg.pvs))
    for lv in layout.of_type(LvmLv):
        group = items[lv.vg]
        assert isinstance(group, LvmVg)
        out[f"lv {group.name}/{lv.name}"] = (lv.size, lv.segment_type)
    for fs in layout.of_type(Filesystem):
        out[f"fs {fs.uuid}"] = (fs.fstype, fs.label)
    for swap in layout.of_type(Swap):
        out[f"swap {swap.uuid}"] = swap.label
    for sub in layout.of_type(BtrfsSubvolume):
        holder = items[sub.filesystem]
        assert isinstance(holder, Filesystem)
        out[f"subvolume {holder.uuid} {sub.path}"] = True
    return out


def _unrecorded_as_got(want: Any, got: Any) -> Any:
    """A field the layout does not record ('': ReaR keeps no PARTUUID or disk GUID) is new on the targets."""
    if isinstance(want, tuple) and isinstance(got, tuple) and len(want) == len(got):
        return tuple(g if w == "" else w for w, g in zip(want, got, strict=True))
    return want


def expected_identities(layout: Layout, got: Identities, target_of: dict[str, str] | None = None) -> Identities:
    """The layout's identity fields, where it recorded none taking what the targets got."""
    return {k: _unrecorded_as_got(v, got.get(k)) for k, v in identity_fields(layout, target_of).items()}


def identity_differences(layout: Layout, captured: Layout, target_of: dict[str, str] | None = None) -> list[str]:
    """One line per identity field the capture does not hold as the layout has it, and per object it adds."""
    got = identity_fields(captured)
    want = expected_identities(layout, got, target_of)
    lines = []
    for key, value in want.items():
        if key not in got:
            lines.append(f"{key}: missing on the targets (want {value!r})")
        elif got[key] != value:
            lines.append(f"{key}: want {value!r}, got {got[key]!r}")
    lines += [f"{key}: on the targets but not in the layout ({got[key]!r})" for key in sorted(set(got) - set(want))]
    return lines
