"""``disk``, ``part`` and ``raiddisk`` lines: disks, partition tables and partitions.

Why together: a partition table sits on a disk (``disk``) or on an md array
(``raiddisk``, or guessed from the array's ``part`` lines where ReaR < 2.7
wrote no ``raiddisk``), and a partition's number, size and msdos or GPT type
follow from its table and its flags. The fix-up that widens old ReaR's
placeholder extended partitions after the build is here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import get_args
from urllib.parse import unquote

from rescue_tui.layout import partition_types
from rescue_tui.layout.model import Disk, Partition, PartitionFlag, PartitionKind, PartitionTable, PartitionTableLabel
from rescue_tui.layout.rear_import.builder import Decl, _Builder, _Device, _need, _ParseState, _Table
from rescue_tui.layout.rear_import.records import SECTOR, Record, _Bad, _count, _int, _path, _short

_TABLE_LABELS: dict[str, PartitionTableLabel] = {"msdos": "msdos", "gpt": "gpt", "gpt_sync_mbr": "gpt"}
_NO_TABLE = frozenset({"unknown", "loop", "none", ""})
_MSDOS_KINDS: dict[str, PartitionKind] = {"primary": "primary", "extended": "extended", "logical": "logical"}
_FLAGS: dict[str, PartitionFlag] = {flag: flag for flag in get_args(PartitionFlag)}
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_MSDOS_PARTUUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{2}$", re.IGNORECASE)


# --- disk and part -------------------------------------------------------------------------------


def _parse_disk(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 3, 7, want="3 (7 for an s390 DASD)")
    path = _path(rec.fields[0], "disk")
    size = _int(rec.fields[1], "disk size")
    label = rec.fields[2]
    sector = _int(rec.fields[3], "logical block size") if label == "dasd" and len(rec.fields) > 3 else SECTOR
    array = state.whole_disk_members.get(path)
    has_table = label not in _NO_TABLE and array is None
    provides = [f"dev:{path}"] + ([f"table:{path}"] if has_table else [])

    def build(b: _Builder) -> None:
        if size == 0:
            b.note(rec.line, f"disk {path} has size 0 (an empty card reader?): skipped")
            for key in provides:
                b.skip(key, f"skipped on line {rec.line}: size 0")
            return
        disk_id = b.claim(f"disk-{_short(path)}")
        name = path.removeprefix("/dev/").replace("/", "!")
        b.add(rec, Disk(id=disk_id, name=name, size=size, logical_sector_size=sector, path=path))
        b.devices[path] = _Device(disk_id, size)
        if label == "dasd":
            b.architecture = b.architecture or "s390x"
        if array is not None:
            if label not in _NO_TABLE:
                b.note(rec.line, f"{path} is a whole-disk member of {array}: its {label} table is the array's")
        elif label in _TABLE_LABELS:
            _add_table(b, rec, path, disk_id, _TABLE_LABELS[label], sector)
            if label == "gpt_sync_mbr":
                b.note(rec.line, f"{path}: SUSE's gpt_sync_mbr table imported as gpt (without its hybrid MBR)")
        elif has_table:
            why = f"partition table type {label!r} on line {rec.line} is not supported"
            b.note(rec.line, f"{path}: {why}; the disk is kept without its partitions")
            b.skip(f"table:{path}", why)

    return Decl(rec, [], provides, build)


def _add_table(b: _Builder, rec: Record, path: str, device_id: str, label: PartitionTableLabel, sector: int) -> None:
    b.use(rec, path)
    table_id = b.claim(f"pt-{_short(path)}")
    b.add(rec, PartitionTable(id=table_id, device=device_id, label=label))
    b.tables[path] = _Table(table_id, label, sector)


@dataclass
class _PartLine:
    """The fields of one ``part`` line, checked."""

    device: str
    number: int
    start: int
    size: int
    kind_or_name: str
    flags: str
    partuuid: str | None


def _parse_part(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 5, 7)
    f = rec.fields
    disk = _path(f[0], "disk")
    device = _path(f[5], "partition device") if len(f) > 5 else _derived_partition(disk, f[3], state)
    part = _PartLine(
        device=device,
        number=_partition_number(device),
        start=_int(f[2], "partition start"),
        size=_signed_size(f[1], "partition size"),
        kind_or_name=f[3],
        flags=f[4],
        partuuid=_partuuid(f[6]) if len(f) > 6 else None,
    )

    def build(b: _Builder) -> None:
        if len(f) == 5:
            b.note(rec.line, f"part line without a partition device: taken as {device} (partition {part.number})")
        _build_partition(b, rec, b.tables[disk], part)

    needs = [_need(disk, "disk"), (f"table:{disk}", f"a partition table on {disk}")]
    return Decl(rec, needs, [f"dev:{device}"], build)


def _signed_size(text: str, what: str) -> int:
    if text.startswith("-") and text[1:].isdigit():
        raise _Bad(f"{what} {text} is negative (an edited migration-mode file?)")
    return _int(text, what)


def _derived_partition(disk: str, kind: str, state: _ParseState) -> str:
    """The partition device of a line without one: numbered by order, logical ones from 5."""
    key = f"{disk}:{'logical' if kind == 'logical' else 'other'}"
    number = state.numbers.get(key, 4 if kind == "logical" else 0) + 1
    state.numbers[key] = number
    return f"{disk}{'p' if disk[-1].isdigit() else ''}{number}"


def _partition_number(device: str) -> int:
    match = re.search(r"(\d+)$", device)
    if match is None:
        raise _Bad(f"partition device {device!r} does not end in a partition number")
    return int(match.group(1))


def _partuuid(text: str) -> str | None:
    if text == "no-partuuid":
        return None
    if not (_UUID_RE.match(text) or _MSDOS_PARTUUID_RE.match(text)):
        raise _Bad(f"partition uuid {text!r} is neither a GUID nor 'no-partuuid'")
    return text


def _build_partition(b: _Builder, rec: Record, table: _Table, part: _PartLine) -> None:
    gpt = table.label == "gpt"
    kind: PartitionKind = "primary" if gpt else _msdos_kind(part.kind_or_name)
    name = None if not gpt or part.kind_or_name == "rear-noname" else unquote(part.kind_or_name)
    flags = _flags(b, rec, part.flags, gpt=gpt)
    mbr_type, gpt_type, default = _partition_type(flags, kind, gpt=gpt)
    part_id = b.claim(_short(part.device))
    b.add(
        rec,
        Partition(
            id=part_id,
            table=table.id,
            number=part.number,
            start=_sectors(part.start, table.sector, "start"),
            size=_sectors(part.size, table.sector, "size"),
            kind=kind,
            gpt_type=gpt_type,
            mbr_type=mbr_type,
            name=name,
            partuuid=part.partuuid,
            flags=flags,
            path=part.device,
        ),
    )
    b.devices[part.device] = _Device(part_id, part.size)
    if default:
        b.default_typed.add(part_id)
    if "prep" in flags:
        b.architecture = b.architecture or "ppc64le"


def _msdos_kind(text: str) -> PartitionKind:
    kind = _MSDOS_KINDS.get(text)
    if kind is None:
        raise _Bad(f"{text!r} is not an msdos partition type (primary, extended or logical)")
    return kind


def _sectors(value: int, sector: int, what: str) -> int:
    if value % sector:
        raise _Bad(f"partition {what} {value} bytes is not a whole number of {sector}-byte sectors")
    return value // sector


def _flags(b: _Builder, rec: Record, text: str, *, gpt: bool) -> tuple[PartitionFlag, ...]:
    """parted flags as we name them; on GPT parted's ``boot`` means the ESP."""
    out: list[PartitionFlag] = []
    dropped: list[str] = []
    for raw in text.split(","):
        name = "esp" if gpt and raw == "boot" else raw
        if raw in ("none", ""):
            continue
        if name in _FLAGS:
            if _FLAGS[name] not in out:
                out.append(_FLAGS[name])
        else:
            dropped.append(raw)
    if dropped:
        b.note(rec.line, f"partition flag(s) {', '.join(dropped)} not kept (rescue-tui does not set them)")
    return tuple(out)


def _partition_type(flags: tuple[str, ...], kind: PartitionKind, *, gpt: bool) -> tuple[str | None, str | None, bool]:
    """(msdos type, GPT type, whether it is only the Linux default) implied by the flags."""
    if kind == "extended":
        return ("0f" if "lba" in flags else "05"), None, False
    for known in partition_types.BY_FLAG:
        if known.flag in flags and (gpt or known.mbr):
            return (None, known.gpt, False) if gpt else (known.mbr, None, False)
    if not gpt and "lba" in flags:
        return "0c", None, False
    mbr_linux, gpt_linux = partition_types.LINUX_DATA
    return (None, gpt_linux, True) if gpt else (mbr_linux, None, True)


# --- partition tables on md arrays ---------------------------------------------------------------


def _parse_raiddisk(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 2, 3)
    path = _path(rec.fields[0], "md device")
    size = _int(rec.fields[1], "md size")
    label = rec.fields[2] if len(rec.fields) > 2 else ""

    def build(b: _Builder) -> None:
        md_id = b.md_ids.get(path)
        if md_id is None:
            raise _Bad(f"{path} is not an md array")
        b.replace(md_id, size=size)
        b.devices[path].size = size
        if label in _TABLE_LABELS:
            _add_table(b, rec, path, md_id, _TABLE_LABELS[label], SECTOR)

    provides = [f"table:{path}"] if label in _TABLE_LABELS else []
    return Decl(rec, [_need(path, "md array")], provides, build)


def _implied_md_table(raid: Record, parts: list[Record]) -> Decl:
    """A partitioned md array from ReaR < 2.7 (no ``raiddisk``): guess its table from the part lines."""
    path = raid.fields[0]
    kinds = [p.fields[3] for p in parts if len(p.fields) > 3]
    msdos = all(k in _MSDOS_KINDS for k in kinds) and kinds.count("primary") <= 4
    label: PartitionTableLabel = "msdos" if msdos else "gpt"

    def build(b: _Builder) -> None:
        _add_table(b, raid, path, b.md_ids[path], label, SECTOR)
        b.note(raid.line, f"{path} has part lines but no raiddisk line: its partition table guessed as {label}")

    return Decl(raid, [_need(path, "md array")], [f"table:{path}"], build)


# --- after the build: old extended partitions widened --------------------------------------------


def _widen_extended(b: _Builder) -> None:
    """Old ReaR recorded an extended partition with the kernel's 1 KiB placeholder size: widen it."""
    parts = [i for _, _, i in b.items.values() if isinstance(i, Partition)]
    for ext in (p for p in parts if p.kind == "extended"):
        logical = [p for p in parts if p.table == ext.table and p.kind == "logical"]
        if not logical or ext.start >= min(p.start for p in logical):
            continue
        end = max(p.start + p.size for p in logical)
        if end > ext.start + ext.size:
            b.replace(ext.id, size=end - ext.start)
            b.note(
                b.line_of(ext.id),
                f"extended partition {ext.path} recorded as {ext.size} sector(s): widened to hold its logical ones",
            )
