"""Partition tables from ``sfdisk --json``, with flags named the way parted names them.

sfdisk reads the table straight from the device, so this works even where
the kernel shows no partition nodes (loop devices without partition
scanning). Flags come from blivet's parted view when it was consulted and
are otherwise derived from the type and attributes exactly as parted does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, cast, get_args

from rescue_tui.layout import partition_types
from rescue_tui.layout.capture.state import BuildState, lower
from rescue_tui.layout.model import Partition, PartitionFlag, PartitionKind, PartitionTable, PartitionTableLabel

ESP_GUID = partition_types.ESP_GUID.lower()
GPT_TYPE_FLAGS = partition_types.GPT_TYPE_FLAGS
MBR_TYPE_FLAGS = partition_types.MBR_TYPE_FLAGS

MBR_EXTENDED = ("05", "0f", "85")
KNOWN_FLAGS: tuple[str, ...] = get_args(PartitionFlag)


def partition_flags(label: str, entry: dict[str, Any]) -> tuple[PartitionFlag, ...]:
    """The flags parted would show for one ``sfdisk --json`` partition entry."""
    flags: set[str] = set()
    if label == "gpt":
        flags.update(GPT_TYPE_FLAGS.get(str(entry.get("type", "")).lower(), ()))
        attrs = str(entry.get("attrs", "")).split()
        if "LegacyBIOSBootable" in attrs:
            flags.add("legacy_boot")
        if "RequiredPartition" in attrs:
            flags.add("hidden")  # parted's name for attribute bit 0
    else:
        flags.update(MBR_TYPE_FLAGS.get(_mbr_type(entry.get("type")), ()))
        if entry.get("bootable"):
            flags.add("boot")
    return _ordered_flags(flags)


def _ordered_flags(flags: Iterable[str]) -> tuple[PartitionFlag, ...]:
    return tuple(cast(PartitionFlag, f) for f in KNOWN_FLAGS if f in set(flags))


def _mbr_type(value: Any) -> str:
    return str(value or "").lower().removeprefix("0x").rjust(2, "0")


def add_partition_table(b: BuildState, kname: str) -> None:
    """The table on a disk or md array and its partitions, mapped to the kernel's partition nodes when present."""
    node = b.nodes[kname]
    document = b.probes.sfdisk[node.path].get("partitiontable", {})
    label = "msdos" if document.get("label") == "dos" else str(document.get("label"))
    if label not in ("gpt", "msdos"):
        b.notes.append(f"{node.path}: {label} partition tables are not supported; not captured")
        return
    device_id = b.ids[kname]
    raw_id = str(document.get("id") or "")
    table = PartitionTable(
        id=f"{device_id}-{label}",
        device=device_id,
        label=cast(PartitionTableLabel, label),
        disk_guid=(raw_id.lower() or None),
    )
    b.add(table)
    blivet_parts = (b.probes.blivet or {}).get("partitions", {})
    children = {b.nodes[c].path: c for c in node.children}
    for entry in document.get("partitions", ()):
        part_path = str(entry["node"])
        suffix = part_path[len(node.path) :] if part_path.startswith(node.path) else part_path
        match = re.search(r"(\d+)$", suffix)
        if match is None:
            b.notes.append(f"{part_path}: no partition number in the node name; not captured")
            continue
        number = int(match.group(1))
        kind: PartitionKind = "primary"
        if label == "gpt":
            gpt_type, mbr_type = lower(entry.get("type")), None
            partuuid, name = lower(entry.get("uuid")), entry.get("name") or None
        else:
            mbr_type = _mbr_type(entry.get("type"))
            if number > 4:
                kind = "logical"
            elif mbr_type in MBR_EXTENDED:
                kind = "extended"
            gpt_type, name = None, None
            partuuid = f"{raw_id.lower().removeprefix('0x')}-{number:02x}" if raw_id else None
        recorded = blivet_parts.get(part_path)
        flags = partition_flags(label, entry)
        if recorded is not None:
            unknown = sorted(set(recorded["flags"]) - set(KNOWN_FLAGS))
            if unknown:
                b.notes.append(f"{part_path}: partition flags {', '.join(unknown)} are not kept")
            flags = _ordered_flags(recorded["flags"])
        part_id = part_path.rsplit("/", 1)[-1]
        b.add(
            Partition(
                id=part_id,
                table=table.id,
                number=number,
                start=int(entry["start"]),
                size=int(entry["size"]),
                kind=kind,
                gpt_type=gpt_type,
                mbr_type=mbr_type,
                name=name,
                partuuid=partuuid,
                flags=flags,
                path=part_path,
            )
        )
        child = children.get(part_path) or b.resolve(part_path)
        if child is not None and child in b.nodes:
            b.ids[child] = part_id
