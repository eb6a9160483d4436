"""Import ReaR's ``disklayout.conf`` into a rescue-tui layout.

Why: ReaR users arrive with a ``disklayout.conf`` and nothing else. Its
format changed from release to release without a version marker (units of
``lvmdev``, the ``lvmvol`` and ``raid`` forms, the ``part`` field count), real
files are pasted, mail-wrapped and hand-edited, and ReaR's own bugs split
``crypt`` lines in two. So this reader is defensive: it recognises every
known form, joins what was wrapped, keeps what ReaR marked as excluded out of
the items but on record, notes every guess, and names ``file:LINE`` in the
one error it raises when it cannot go on.

How, in three passes:

1. read: physical lines become records. ``# ...`` is a comment, ``#keyword``
   is an excluded component, and a line that does not start with a keyword
   is joined to the record above it.
2. parse: one parser per keyword (``PARSERS``) checks the fields and returns
   a ``Decl``: what the component needs (by device path), what it provides,
   and how to build its items.
3. build: a declaration is built once all it needs exists, so file order
   does not matter (ReaR writes ``crypt`` after the LVM that sits on it).
   What depends on an excluded or unsupported component is left out with it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import unquote

from rescue_tui.errors import RearImportError
from rescue_tui.inputs import read_text
from rescue_tui.layout import partition_types
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import (
    FORMAT_VERSION,
    Boot,
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
    LvSegmentType,
    Machine,
    MdArray,
    MdLevel,
    Mount,
    Origin,
    Partition,
    PartitionFlag,
    PartitionKind,
    PartitionTable,
    PartitionTableLabel,
    Swap,
)
from rescue_tui.layout.sizes import md_data_disks

# --- vocabulary ----------------------------------------------------------------------------------

SKIPPED_KEYWORDS: dict[str, str] = {
    "multipath": "multipath devices are not recreated by rescue-tui",
    "opaldisk": "TCG Opal self-encrypting disk set-up is not recreated by rescue-tui",
    "logicaldrive": "hardware RAID logical drives are not recreated by rescue-tui",
    "smartarray": "HP SmartArray controllers are not configured by rescue-tui",
    "drbd": "DRBD devices are not recreated by rescue-tui",
    "dasd_channel": "s390 DASD channels are not configured by rescue-tui",
}
"""Keywords ReaR writes that we recognise but do not import, with the reason."""

_PROVIDING_SKIPPED = frozenset({"multipath", "drbd"})
"""Skipped keywords whose first field is a device other lines may sit on."""

_TABLE_LABELS: dict[str, PartitionTableLabel] = {"msdos": "msdos", "gpt": "gpt", "gpt_sync_mbr": "gpt"}
_NO_TABLE = frozenset({"unknown", "loop", "none", ""})
_MSDOS_KINDS: dict[str, PartitionKind] = {"primary": "primary", "extended": "extended", "logical": "logical"}
_FLAGS: dict[str, PartitionFlag] = {flag: flag for flag in get_args(PartitionFlag)}
_MD_LEVELS: dict[str, MdLevel] = {level: level for level in get_args(MdLevel)}
_FS_TYPES: dict[str, FsType] = {fstype: fstype for fstype in get_args(FsType)}
_LV_LAYOUTS: dict[str, LvSegmentType] = {
    "linear": "linear",
    "striped": "striped",
    "mirror": "mirror",
    "raid,raid1": "raid1",
    "thin,pool": "thin-pool",
    "thin,sparse": "thin",
}

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_MSDOS_PARTUUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{2}$", re.IGNORECASE)
_KEYWORDISH = re.compile(r"[a-z][a-z_]*")
_EXCLUDED_RE = re.compile(r"#([a-z_]+)(?:\s|$)")
_OLD_EXCLUDED_RE = re.compile(r"# ([a-z_]+) +/dev/")
_DATED_RE = re.compile(r"^# Disk layout dated (\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)\b")
SECTOR = 512


class _Bad(Exception):
    """What is wrong with one record; the driver adds the file and line."""


# --- pass 1: records -----------------------------------------------------------------------------


@dataclass
class Record:
    """One ReaR component: a keyword and its fields, possibly joined from several lines."""

    line: int
    keyword: str
    fields: list[str]
    excluded: bool = False
    joined: list[int] = field(default_factory=list)


def _read_records(text: str, where: str) -> list[Record]:
    """Split the file into records: drop comments, mark exclusions, join wrapped lines."""
    records: list[Record] = []
    last: Record | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            last = None
        elif line.startswith("#"):
            last = _commented_record(line, number)
            if last is not None:
                records.append(last)
        else:
            tokens = line.split()
            if last is not None and tokens[0] not in KEYWORDS and _continues(last, tokens[0]):
                last.fields.extend(tokens)
                last.joined.append(number)
            elif tokens[0] in KEYWORDS or _KEYWORDISH.fullmatch(tokens[0]):
                last = Record(number, tokens[0], tokens[1:])
                records.append(last)
            else:
                raise RearImportError(
                    f"{where}:{number}: this looks like the rest of a wrapped line, "
                    f"but no component line comes right before it: {line[:60]!r}"
                )
    return records


def _continues(last: Record, first_token: str) -> bool:
    """Whether a line starting with ``first_token`` is the wrapped rest of ``last``."""
    return last.keyword == "crypt" or not _KEYWORDISH.fullmatch(first_token)


def _commented_record(line: str, number: int) -> Record | None:
    """An excluded component (``#part ...``, or ``# part /dev/...`` as old ReaR wrote it), else None.

    ReaR's headers (``# lvmdev <volume_group> ...``) and the lsblk and mdadm
    output it embeds never have a device path right after a keyword.
    """
    match = _EXCLUDED_RE.match(line) or _OLD_EXCLUDED_RE.match(line)
    if match is None or match.group(1) not in KEYWORDS:
        return None
    return Record(number, match.group(1), line[match.end(1) :].split(), excluded=True)


def _captured_at(text: str) -> str | None:
    """The ``# Disk layout dated`` header as ISO 8601 (the original machine's local time)."""
    for line in text.splitlines()[:5]:
        match = _DATED_RE.match(line)
        if match:
            y, mo, d, h, mi, s = match.groups()
            return f"{y}-{mo}-{d}T{h}:{mi}:{s}"
    return None


# --- the builder: state shared by all build steps ------------------------------------------------


@dataclass
class _Device:
    id: str
    size: int | None


@dataclass
class _Table:
    id: str
    label: PartitionTableLabel
    sector: int


@dataclass
class _Skip:
    why: str
    excluded: bool


class _Builder:
    """Collects items, what each device path became, and the remarks for ``Origin``."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[int, int, Item]] = {}
        self.devices: dict[str, _Device] = {}
        self.tables: dict[str, _Table] = {}
        self.md_ids: dict[str, str] = {}
        self.pvs_by_vg: dict[str, list[str]] = {}
        self.vgs: dict[str, str] = {}
        self.lvs: dict[str, str] = {}
        self.filesystems: dict[str, str] = {}
        self.subvolumes: dict[tuple[str, str], str] = {}
        self.mounts: dict[str, str] = {}
        self.default_typed: set[str] = set()
        self.users: dict[str, Record] = {}
        self.skipped: dict[str, _Skip] = {}
        self.notes: list[tuple[int, str]] = []
        self.excluded: list[tuple[int, str]] = []
        self.architecture: str | None = None
        self.pv_unit: str | None = None
        self._used_ids: set[str] = set()

    def claim(self, base: str) -> str:
        """A unique id: ``base``, else ``base-2``, ``base-3``..."""
        candidate, n = base, 1
        while candidate in self._used_ids:
            n += 1
            candidate = f"{base}-{n}"
        self._used_ids.add(candidate)
        return candidate

    def add(self, rec: Record, item: Item) -> None:
        self.items[item.id] = (rec.line, len(self.items), item)

    def get(self, item_id: str) -> Item:
        return self.items[item_id][2]

    def replace(self, item_id: str, **changes: Any) -> None:
        line, seq, item = self.items[item_id]
        self.items[item_id] = (line, seq, dataclasses.replace(item, **changes))

    def note(self, line: int, text: str) -> None:
        self.notes.append((line, f"line {line}: {text}" if line else text))

    def skip(self, key: str, why: str, *, excluded: bool = False) -> None:
        self.skipped.setdefault(key, _Skip(why, excluded))

    def use(self, rec: Record, path: str) -> _Device:
        """The device at ``path``, which ``rec`` takes for itself: a device holds one thing."""
        first = self.users.get(path)
        if first is not None:
            raise _Bad(f"{path} is already used by the {first.keyword} line {first.line}")
        self.users[path] = rec
        return self.devices[path]

    def line_of(self, item_id: str) -> int:
        return self.items[item_id][0]

    def sorted_items(self) -> tuple[Item, ...]:
        return tuple(item for _, _, item in sorted(self.items.values(), key=lambda t: (t[0], t[1])))


Need = tuple[str, str]
"""A key another declaration must provide (``dev:/dev/sda``) and how to name it in a message."""


@dataclass
class Decl:
    """A parsed component: what it needs, what it provides, and how to build its items."""

    rec: Record
    needs: list[Need]
    provides: list[str]
    build: Callable[[_Builder], None]


@dataclass
class _ParseState:
    """What parsers share: partition numbering for lines that lack the partition device."""

    numbers: dict[str, int] = field(default_factory=dict)
    whole_disk_members: dict[str, str] = field(default_factory=dict)
    """Disks that are md members as a whole -> their array (ReaR's disk line shows the array's table)."""


Parser = Callable[[Record, _ParseState], Decl]


# --- field helpers -------------------------------------------------------------------------------


def _count(rec: Record, low: int, high: int | None = None, *, want: str | None = None) -> None:
    n = len(rec.fields)
    if n < low or (high is not None and n > high):
        want = want or (f"{low}" if high == low else f"{low} or more" if high is None else f"{low} to {high}")
        raise _Bad(f"{n} fields after '{rec.keyword}', expected {want}")


def _int(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise _Bad(f"{what} {text!r} is not a whole number")
    return int(text)


def _path(text: str, what: str = "device") -> str:
    if not text.startswith("/dev/") or len(text) <= len("/dev/"):
        raise _Bad(f"{what} {text!r} is not a device path under /dev")
    return text


def _short(path: str) -> str:
    """``/dev/sda1`` -> ``sda1``; ``/dev/mapper/x`` -> ``x``; ``/dev/cciss/c0d0`` -> ``cciss-c0d0``."""
    name = path.removeprefix("/dev/").removeprefix("mapper/")
    return _slug(name)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_@]+", "-", text).strip("-") or "x"


def _mount_slug(mountpoint: str) -> str:
    return "root" if mountpoint.strip("/") == "" else _slug(mountpoint)


def _key_values(tokens: Iterable[str], *, sep: str = "=") -> dict[str, str]:
    out: dict[str, str] = {}
    for token in tokens:
        key, found, value = token.partition(sep)
        if not found or not key:
            raise _Bad(f"expected key{sep}value, found {token!r}")
        out[key] = value
    return out


def _bytes_value(text: str, what: str) -> int:
    """``65536b`` -> 65536 (lvmvol's byte values)."""
    return _int(text.removesuffix("b").removesuffix("B"), what)


def _need(path: str, what: str) -> Need:
    return (f"dev:{path}", f"{what} {path}")


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


# --- md RAID -------------------------------------------------------------------------------------

_RAID_KEYS = frozenset(
    {"level", "raid-devices", "devices", "metadata", "uuid", "name", "layout", "chunk", "spare-devices", "size"}
)


def _parse_raid(rec: Record, state: _ParseState) -> Decl:
    """``raidarray`` (2.7+) and the old ``raid``: the same key=value fields in another order."""
    _count(rec, 2)
    path = _path(rec.fields[0], "md device")
    opts = _key_values(rec.fields[1:])
    unsupported = _unsupported_raid(opts)
    if unsupported:
        return _skipping_decl(rec, [f"dev:{path}"], f"md array {path} skipped: {unsupported}")
    level = _md_level(_required(opts, "level"))
    count = _int(_required(opts, "raid-devices"), "raid-devices")
    devices = [_path(d, "member device") for d in _required(opts, "devices").split(",") if d]
    if len(devices) < count:
        raise _Bad(f"{len(devices)} member device(s) listed but raid-devices={count}: cannot recreate a degraded array")
    metadata = _md_metadata(opts.get("metadata") or "1.2")
    chunk = _md_chunk(opts.get("chunk"))
    layout = _md_layout(opts.get("layout"))

    def build(b: _Builder) -> None:
        ids = [b.use(rec, d).id for d in devices]
        md_id = b.claim(_short(path))
        b.add(
            rec,
            MdArray(
                id=md_id,
                name=path.rsplit("/", 1)[-1],
                level=level,
                members=tuple(ids[:count]),
                spares=tuple(ids[count:]),
                metadata=metadata,
                uuid=opts.get("uuid") or None,
                array_name=opts.get("name") or None,
                chunk_kib=chunk,
                layout=layout,
                path=path,
            ),
        )
        b.md_ids[path] = md_id
        b.devices[path] = _Device(md_id, _md_upper_bound(b, devices[:count], level, layout))
        _note_unknown_keys(b, rec, opts, _RAID_KEYS)

    return Decl(rec, [_need(d, "member device") for d in devices], [f"dev:{path}"], build)


def _required(opts: dict[str, str], key: str) -> str:
    value = opts.get(key)
    if not value:
        raise _Bad(f"{key}= is missing")
    return value


def _unsupported_raid(opts: dict[str, str]) -> str | None:
    metadata = opts.get("metadata", "")
    if opts.get("level") == "container" or "container" in opts or metadata in ("imsm", "ddf"):
        return "firmware RAID (IMSM/DDF containers) is not recreated by rescue-tui"
    if opts.get("level") in ("multipath", "faulty"):
        return f"md level {opts['level']} is not recreated by rescue-tui"
    return None


def _md_level(text: str) -> MdLevel:
    level = _MD_LEVELS.get(text) or _MD_LEVELS.get(f"raid{text}")
    if level is None:
        raise _Bad(f"md level {text!r} is not one of {', '.join(_MD_LEVELS)}")
    return level


def _md_metadata(text: str) -> str:
    """mdadm's superblock version as we write it: ``00.90.03`` -> ``0.90``, ``1.2`` -> ``1.2``."""
    parts = text.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        raise _Bad(f"md metadata {text!r} is not a superblock version such as 1.2")
    major, minor = int(parts[0]), int(parts[1])
    return f"0.{minor:02d}" if major == 0 else f"{major}.{minor}"


def _md_chunk(text: str | None) -> int | None:
    if not text:
        return None
    value = _int(text.rstrip("kK"), "md chunk")
    return value or None


def _md_layout(text: str | None) -> str | None:
    """``near=2`` (ReaR 2.6) -> ``n2``; ``-unknown-`` -> nothing."""
    if not text or text == "-unknown-":
        return None
    match = re.fullmatch(r"(near|far|offset)=(\d+)", text)
    return f"{match.group(1)[0]}{match.group(2)}" if match else text


def _md_upper_bound(b: _Builder, members: list[str], level: MdLevel, layout: str | None) -> int | None:
    sizes = [b.devices[m].size for m in members]
    if not sizes or any(s is None for s in sizes):
        return None
    return int(min(s for s in sizes if s is not None) * md_data_disks(level, len(sizes), layout))


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


# --- LVM -----------------------------------------------------------------------------------------


def _parse_lvmdev(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 2, 4)
    f = rec.fields
    vg = f[0]
    device = _path(f[1], "PV device")
    uuid = f[2] if len(f) > 2 else None
    raw = _int(f[3], "PV size") if len(f) > 3 else None
    if "#orphans" in vg:
        return _skipping_decl(rec, [f"pv:{device}"], f"PV {device} belongs to no volume group: skipped")
    _path(vg, "volume group")

    def build(b: _Builder) -> None:
        dev = b.use(rec, device)
        size, remark = _pv_size(b, raw, dev.size)
        pv_id = b.claim(f"pv-{_short(device)}")
        b.add(rec, LvmPv(id=pv_id, device=dev.id, uuid=uuid, size=size))
        b.pvs_by_vg.setdefault(vg, []).append(pv_id)
        if remark:
            b.note(rec.line, f"PV {device}: {remark}")

    return Decl(rec, [_need(device, "PV device")], [f"pv:{device}"], build)


def _pv_size(b: _Builder, raw: int | None, device_size: int | None) -> tuple[int | None, str | None]:
    """ReaR <= 2.7 wrote PV sizes in 512-byte sectors, 2.8+ in bytes; the device size tells which.

    A PV is never larger than its device, so a value that still fits when
    read as sectors cannot be bytes (it would be 1/512 of the device).
    """
    if raw is None:
        return None, None
    if device_size is not None:
        unit = "sectors" if raw * SECTOR <= device_size else "bytes"
        b.pv_unit = b.pv_unit or unit
        how = f"compared with its device's {device_size} bytes"
    elif b.pv_unit is not None:
        unit, how = b.pv_unit, "like the other PVs of this file"
    elif raw % SECTOR:
        unit, how = "sectors", "it is not a whole number of sectors in bytes"
    else:
        unit, how = "bytes", "a guess: its device size is unknown"
    if unit == "sectors":
        return raw * SECTOR, f"size {raw} read as 512-byte sectors (ReaR <= 2.7), {how}"
    return raw, f"size {raw} read as bytes (ReaR >= 2.8), {how}"


def _parse_lvmgrp(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 2, 4)
    vg = _path(rec.fields[0], "volume group")
    pe_kib = _int(rec.fields[1], "extent size")
    for index, what in ((2, "extent count"), (3, "VG size")):
        if len(rec.fields) > index:
            _int(rec.fields[index], what)

    def build(b: _Builder) -> None:
        name = vg.removeprefix("/dev/")
        vg_id = b.claim(f"vg-{_slug(name)}")
        b.add(rec, LvmVg(id=vg_id, name=name, pvs=tuple(b.pvs_by_vg.get(vg, ())), pe_size=pe_kib * 1024))
        b.vgs[vg] = vg_id

    return Decl(rec, [], [f"vg:{vg}"], build)


@dataclass
class _LvSpec:
    size: int
    segment: LvSegmentType
    pool: str | None = None
    stripes: int | None = None
    stripe_size: int | None = None
    metadata_size: int | None = None
    chunk_size: int | None = None
    remarks: list[str] = field(default_factory=list)


def _parse_lvmvol(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 3)
    f = rec.fields
    vg = _path(f[0], "volume group")
    name = f[1]
    spec = _lv_spec(f[2:])
    vg_name = vg.removeprefix("/dev/")
    needs: list[Need] = [(f"vg:{vg}", f"volume group {vg}")]
    if spec.pool:
        needs.append((f"lv:{vg}/{spec.pool}", f"thin pool {vg}/{spec.pool}"))

    def build(b: _Builder) -> None:
        vg_id = b.vgs[vg]
        lv_id = b.claim(f"lv-{_slug(vg_name)}-{_slug(name)}")
        pool_id = b.lvs[f"{vg}/{spec.pool}"] if spec.pool else None
        b.add(
            rec,
            LvmLv(
                id=lv_id,
                vg=vg_id,
                name=name,
                size=spec.size,
                segment_type=spec.segment,
                pool=pool_id,
                stripes=spec.stripes,
                stripe_size=spec.stripe_size,
                metadata_size=spec.metadata_size,
                chunk_size=spec.chunk_size,
                path=f"{vg}/{name}",
            ),
        )
        b.lvs[f"{vg}/{name}"] = lv_id
        for path in _lv_paths(vg_name, name):
            b.devices[path] = _Device(lv_id, spec.size)
        for remark in spec.remarks:
            b.note(rec.line, f"LV {vg_name}/{name}: {remark}")

    provides = [f"lv:{vg}/{name}", *(f"dev:{p}" for p in _lv_paths(vg_name, name))]
    return Decl(rec, needs, provides, build)


def _lv_paths(vg: str, lv: str) -> tuple[str, str]:
    """The two names ReaR may use for an LV: ``/dev/vg/lv`` and ``/dev/mapper/vg-lv`` (dashes doubled)."""
    return f"/dev/{vg}/{lv}", f"/dev/mapper/{vg.replace('-', '--')}-{lv.replace('-', '--')}"


def _lv_spec(fields: list[str]) -> _LvSpec:
    """``<bytes>b <layout> [key:value ...]`` (ReaR >= 2.4) or ``<extents> <sectors>`` (older)."""
    if not fields[0].endswith("b"):
        if len(fields) != 2:
            raise _Bad(f"old-style lvmvol needs <extents> <sectors>, found {' '.join(fields)!r}")
        _int(fields[0], "extent count")
        return _LvSpec(size=_int(fields[1], "LV size in sectors") * SECTOR, segment="linear")
    spec = _lv_layout(fields[1] if len(fields) > 1 else "linear")
    spec.size = _bytes_value(fields[0], "LV size")
    _apply_lv_options(spec, _key_values(fields[2:], sep=":"))
    if spec.segment == "thin" and not spec.pool:
        raise _Bad("a thin,sparse LV without thinpool:")
    if spec.size == 0:
        raise _Bad("LV size is 0")
    return spec


def _lv_layout(layout: str) -> _LvSpec:
    segment = _LV_LAYOUTS.get(layout)
    if segment is not None:
        return _LvSpec(size=0, segment=segment)
    return _LvSpec(
        size=0,
        segment="linear",
        remarks=[f"layout {layout!r} cannot be recreated by rescue-tui: imported as LINEAR, without its redundancy"],
    )


def _apply_lv_options(spec: _LvSpec, opts: dict[str, str]) -> None:
    for key, value in opts.items():
        if key == "thinpool":
            spec.pool = value
        elif key == "chunksize":
            spec.chunk_size = _bytes_value(value, "chunksize")
        elif key == "poolmetadatasize":
            spec.metadata_size = _bytes_value(value, "poolmetadatasize")
        elif key == "stripesize":
            spec.stripe_size = _bytes_value(value, "stripesize")
        elif key == "stripes":
            spec.stripes = _int(value, "stripes") if spec.segment == "striped" else spec.stripes
        elif key == "mirrors":
            spec.stripes = _int(value, "mirrors") + 1
        else:
            spec.remarks.append(f"option {key}:{value} not kept")
    if spec.segment != "striped":
        spec.stripe_size = None


# --- LUKS ----------------------------------------------------------------------------------------

_CRYPT_KEYS = frozenset({"type", "cipher", "key_size", "hash", "uuid", "pbkdf"})


def _parse_crypt(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 2)
    target = _path(rec.fields[0], "crypt target")
    if not target.startswith("/dev/mapper/"):
        raise _Bad(f"crypt target {target!r} is not under /dev/mapper")
    source = _path(rec.fields[1], "crypt source")
    opts, extra = _crypt_options(rec.fields[2:])
    version = _luks_version(opts.get("type"))
    key_size = _int(opts["key_size"], "key_size") if opts.get("key_size") else None
    name = target.removeprefix("/dev/mapper/")

    def build(b: _Builder) -> None:
        src = b.use(rec, source)
        luks_id = b.claim(f"luks-{_slug(name)}")
        b.add(
            rec,
            Luks(
                id=luks_id,
                device=src.id,
                name=name,
                version=version,
                uuid=opts.get("uuid") or None,
                cipher=opts.get("cipher") or None,
                key_size=key_size,
                hash=opts.get("hash") or None,
                pbkdf=opts.get("pbkdf") or None,
                path=target,
            ),
        )
        b.devices[target] = _Device(luks_id, src.size)
        _crypt_remarks(b, rec, opts, extra)

    return Decl(rec, [_need(source, "crypt source")], [f"dev:{target}"], build)


def _crypt_options(tokens: list[str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """key=value options; a bare word is another value of the key before it (ReaR's split LUKS2 line)."""
    opts: dict[str, str] = {}
    extra: dict[str, list[str]] = {}
    last: str | None = None
    for token in tokens:
        key, found, value = token.partition("=")
        if found and key:
            opts[key], last = value, key
        elif last is not None:
            extra.setdefault(last, []).append(token)
        else:
            raise _Bad(f"expected key=value, found {token!r}")
    return opts, extra


def _luks_version(text: str | None) -> Literal[1, 2]:
    if text is None or text == "luks1":
        return 1  # before ReaR 2.7 only LUKS1 existed and no type= was written
    if text == "luks2":
        return 2
    raise _Bad(f"crypt type {text!r} is not luks1 or luks2")


def _crypt_remarks(b: _Builder, rec: Record, opts: dict[str, str], extra: dict[str, list[str]]) -> None:
    if rec.joined:
        b.note(rec.line, f"crypt line broken over lines {rec.line}-{rec.joined[-1]} (a ReaR LUKS2 bug) joined")
    for key, values in extra.items():
        b.note(rec.line, f"crypt {key} had several values ({', '.join([opts[key], *values])}): kept the first")
    if "type" not in opts:
        b.note(rec.line, "crypt line without type=: taken as LUKS1 (ReaR < 2.7)")
    if "password" in opts:
        b.note(rec.line, "crypt password= dropped: rescue-tui never stores passphrases")
    if opts.get("keyfile"):
        b.note(rec.line, f"crypt keyfile={opts['keyfile']} not kept: provide the key when recovering")
    _note_unknown_keys(b, rec, opts, _CRYPT_KEYS | {"password", "keyfile"})


# --- filesystems, swap, btrfs --------------------------------------------------------------------


def _parse_fs(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 3)
    device = _path(rec.fields[0], "filesystem device")
    mountpoint, fstype = _mountpoint(rec.fields[1]), rec.fields[2]
    opts, wrapped_label = _fs_options(rec.fields[3:])
    kind = _FS_TYPES.get(fstype)
    if kind is None:
        return _skipping_decl(rec, [f"fs:{device}"], f"{fstype} filesystem at {mountpoint} skipped: not supported")

    def build(b: _Builder) -> None:
        fs_id = b.claim(f"fs-{_mount_slug(mountpoint)}")
        block_size, mkfs, remarks = _fs_attributes(kind, opts)
        uuid = opts.get("uuid") or None
        b.add(
            rec,
            Filesystem(
                id=fs_id,
                device=b.use(rec, device).id,
                fstype=kind,
                uuid=uuid.upper() if uuid and kind == "vfat" else uuid,
                label=opts.get("label") or None,
                block_size=block_size,
                mkfs_options=mkfs,
            ),
        )
        b.filesystems[device] = fs_id
        source = _mount_source(b, rec, fs_id, opts.get("options", ""), is_btrfs=kind == "btrfs")
        _mount(b, rec, source, mountpoint, opts.get("options", ""))
        for remark in remarks + ([f"label with blanks joined: {opts.get('label')!r}"] if wrapped_label else []):
            b.note(rec.line, f"fs {mountpoint}: {remark}")

    return Decl(rec, [_need(device, "filesystem device")], [f"fs:{device}"], build)


def _mountpoint(text: str) -> str:
    if not text.startswith("/"):
        raise _Bad(f"mount point {text!r} is not an absolute path")
    return text


def _fs_options(tokens: list[str]) -> tuple[dict[str, str], bool]:
    """key=value attributes; a bare word after ``label=`` is the rest of a label with a blank in it."""
    opts: dict[str, str] = {}
    last: str | None = None
    wrapped = False
    for token in tokens:
        key, found, value = token.partition("=")
        if found and key:
            opts[key], last = value, key
        elif last == "label":
            opts["label"] = f"{opts['label']} {token}"
            wrapped = True
        else:
            raise _Bad(f"unexpected field {token!r} (expected key=value)")
    return opts, wrapped


_FS_PLAIN_KEYS = frozenset({"uuid", "label", "options", "blocksize"})
_EXT_DEFAULTS = frozenset({("max_mounts", "-1"), ("check_interval", "0d"), ("default_mount_options", "user_xattr,acl")})
"""ext attributes that are mke2fs's defaults anyway."""


def _fs_attributes(kind: FsType, opts: dict[str, str]) -> tuple[int | None, tuple[str, ...], list[str]]:
    """(block size, mkfs options, remarks) from ReaR's per-type attributes."""
    mkfs: list[str] = []
    remarks: list[str] = []
    block = opts.get("blocksize") or opts.get("sectorsize")
    block_size = _int(block, "block size") if block else None
    for key, value in opts.items():
        if key in _FS_PLAIN_KEYS or key == "sectorsize" or not value:
            continue
        handled = _fs_attribute(kind, key, value, mkfs)
        if not handled:
            remarks.append(f"{key}={value} not kept")
    if kind == "xfs":
        remarks.append("xfs geometry (ReaR keeps it in layout/xfs/*.xfs) not imported: mkfs defaults apply")
    return block_size, tuple(mkfs), remarks


def _fs_attribute(kind: FsType, key: str, value: str, mkfs: list[str]) -> bool:
    """Translate one attribute into mkfs options; False when it has no mkfs equivalent."""
    if kind.startswith("ext"):
        if key == "reserved_blocks" and value.endswith("%"):
            mkfs += ["-m", str(_int(value[:-1], "reserved_blocks"))]
            return True
        if key == "bytes_per_inode":
            mkfs += ["-i", str(_int(value, "bytes_per_inode"))]
            return True
        if (key, value) in _EXT_DEFAULTS:
            return True
    if kind == "btrfs" and key == "nodesize":
        mkfs += ["--nodesize", str(_int(value, "nodesize"))]
        return True
    return False


def _mount_source(b: _Builder, rec: Record, fs_id: str, options: str, *, is_btrfs: bool) -> str:
    """The filesystem, or for btrfs mounted with ``subvol=`` that subvolume."""
    if not is_btrfs:
        return fs_id
    subvol = next((o.removeprefix("subvol=") for o in options.split(",") if o.startswith("subvol=")), "")
    path = subvol.strip("/")
    return _subvolume(b, rec, fs_id, path) if path else fs_id


def _mount(b: _Builder, rec: Record, source: str, mountpoint: str, options: str) -> None:
    kept = [o for o in options.split(",") if o and not o.startswith(("subvol=", "subvolid="))]
    existing = b.mounts.get(mountpoint)
    if existing is not None:
        first = b.get(existing)
        if isinstance(first, Mount) and first.source != source:
            b.note(rec.line, f"a second mount at {mountpoint} ignored (line {b.line_of(existing)} has the first)")
        return
    mount_id = b.claim(f"mnt-{_mount_slug(mountpoint)}")
    b.add(rec, Mount(id=mount_id, source=source, path=mountpoint, options=",".join(kept) or "defaults"))
    b.mounts[mountpoint] = mount_id


def _subvolume(
    b: _Builder, rec: Record, fs_id: str, path: str, *, subvol_id: int | None = None, default: bool = False
) -> str:
    """The id of a btrfs subvolume, made on first mention and completed by later lines."""
    key = (fs_id, path)
    existing = b.subvolumes.get(key)
    if existing is None:
        sub_id = b.claim(f"subvol-{fs_id.removeprefix('fs-')}-{_slug(path)}")
        b.add(rec, BtrfsSubvolume(id=sub_id, filesystem=fs_id, path=path, subvol_id=subvol_id, default=default))
        b.subvolumes[key] = sub_id
        return sub_id
    old = b.get(existing)
    assert isinstance(old, BtrfsSubvolume)
    b.replace(existing, subvol_id=old.subvol_id if subvol_id is None else subvol_id, default=old.default or default)
    return existing


def _parse_btrfs_subvol(rec: Record, state: _ParseState) -> Decl:
    """``btrfsdefaultsubvol`` and ``btrfsnormalsubvol``: ``<device> <mountpoint> <id> <path>``."""
    _count(rec, 4)
    device = _path(rec.fields[0], "btrfs device")
    subvol_id = _int(rec.fields[2], "subvolume id")
    path = rec.fields[3].strip("/")
    default = rec.keyword == "btrfsdefaultsubvol"

    def build(b: _Builder) -> None:
        if path and subvol_id != 5:
            _subvolume(b, rec, b.filesystems[device], path, subvol_id=subvol_id, default=default)

    return Decl(rec, [(f"fs:{device}", f"an fs line for {device}")], [], build)


def _parse_btrfs_mounted(rec: Record, state: _ParseState) -> Decl:
    """``btrfsmountedsubvol <device> <mountpoint> <options> [<path>]``."""
    _count(rec, 3, 4)
    device = _path(rec.fields[0], "btrfs device")
    mountpoint, options = _mountpoint(rec.fields[1]), rec.fields[2]
    if len(rec.fields) > 3:
        path = rec.fields[3].strip("/")
    else:
        path = next((o[7:] for o in options.split(",") if o.startswith("subvol=")), "").strip("/")

    def build(b: _Builder) -> None:
        fs_id = b.filesystems[device]
        source = _subvolume(b, rec, fs_id, path) if path else fs_id
        _mount(b, rec, source, mountpoint, options)

    return Decl(rec, [(f"fs:{device}", f"an fs line for {device}")], [], build)


def _parse_nocow(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 1)
    return _skipping_decl(rec, [], f"no-copy-on-write attribute of btrfs subvolume {rec.fields[0]} not kept")


def _parse_swap(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 1)
    device = _path(rec.fields[0], "swap device")
    opts = _key_values(rec.fields[1:])

    def build(b: _Builder) -> None:
        swap_id = b.claim(f"swap-{_short(device)}")
        target = b.use(rec, device).id
        b.add(rec, Swap(id=swap_id, device=target, uuid=opts.get("uuid") or None, label=opts.get("label") or None))
        _swap_type(b, target)

    return Decl(rec, [_need(device, "swap device")], [], build)


def _swap_type(b: _Builder, part_id: str) -> None:
    """A swap partition whose flags said nothing gets the swap type rather than Linux data."""
    if part_id not in b.default_typed:
        return
    part = b.get(part_id)
    assert isinstance(part, Partition)
    mbr, guid = partition_types.SWAP
    b.replace(part_id, mbr_type=mbr if part.mbr_type else None, gpt_type=guid if part.gpt_type else None)


# --- keywords we do not import -------------------------------------------------------------------


def _skipping_decl(rec: Record, provides: list[str], remark: str) -> Decl:
    """A component we recognise but leave out; whatever sits on it is left out too."""

    def build(b: _Builder) -> None:
        b.note(rec.line, remark)
        for key in provides:
            b.skip(key, f"skipped on line {rec.line}")

    return Decl(rec, [], provides, build)


def _parse_skipped(rec: Record, state: _ParseState) -> Decl:
    reason = SKIPPED_KEYWORDS.get(rec.keyword, "unknown keyword")
    first = rec.fields[0] if rec.fields else ""
    provides = [f"dev:{first}"] if rec.keyword in _PROVIDING_SKIPPED and first.startswith("/dev/") else []
    return _skipping_decl(rec, provides, f"{rec.keyword} {first} skipped: {reason}".replace("  ", " "))


def _note_unknown_keys(b: _Builder, rec: Record, opts: dict[str, str], known: frozenset[str]) -> None:
    unknown = [f"{k}={v}" for k, v in opts.items() if k not in known]
    if unknown:
        b.note(rec.line, f"{rec.keyword}: {', '.join(unknown)} not kept")


PARSERS: dict[str, Parser] = {
    "disk": _parse_disk,
    "part": _parse_part,
    "raidarray": _parse_raid,
    "raid": _parse_raid,
    "raiddisk": _parse_raiddisk,
    "lvmdev": _parse_lvmdev,
    "lvmgrp": _parse_lvmgrp,
    "lvmvol": _parse_lvmvol,
    "crypt": _parse_crypt,
    "fs": _parse_fs,
    "swap": _parse_swap,
    "btrfsdefaultsubvol": _parse_btrfs_subvol,
    "btrfsnormalsubvol": _parse_btrfs_subvol,
    "btrfsmountedsubvol": _parse_btrfs_mounted,
    "btrfsnocopyonwrite": _parse_nocow,
    **{keyword: _parse_skipped for keyword in SKIPPED_KEYWORDS},
}
"""One parser per ReaR keyword."""

KEYWORDS = frozenset(PARSERS) | {"btrfssnapshotsubvol"}
"""Every keyword ReaR writes that we recognise (``btrfssnapshotsubvol`` only ever commented)."""


# --- describing components -----------------------------------------------------------------------


def _describe(rec: Record) -> str:
    """A one-line name for a component, for Origin.excluded and notes."""
    f, kw = rec.fields, rec.keyword
    forms: dict[str, Callable[[], str]] = {
        "part": lambda: f"part {f[5]} on {f[0]}",
        "fs": lambda: f"fs {f[1]} ({f[2]} on {f[0]})",
        "lvmdev": lambda: f"lvmdev {f[1]} (PV of {f[0]})",
        "lvmvol": lambda: f"lvmvol {f[0]}/{f[1]}",
        "crypt": lambda: f"crypt {f[0]} on {f[1]}",
        "swap": lambda: f"swap on {f[0]}",
        "btrfsmountedsubvol": lambda: f"btrfsmountedsubvol {f[1]} on {f[0]}",
        "btrfsnormalsubvol": lambda: f"btrfsnormalsubvol {f[3]} on {f[0]}",
        "btrfsdefaultsubvol": lambda: f"btrfsdefaultsubvol {f[3]} on {f[0]}",
    }
    try:
        return forms[kw]() if kw in forms else " ".join([kw, *f[:1]])
    except IndexError:
        return " ".join([kw, *f])


# --- pass 2 and 3: parse, link, build ------------------------------------------------------------


def _parse(rec: Record, state: _ParseState, where: str) -> Decl:
    parser = PARSERS.get(rec.keyword, _parse_skipped)
    try:
        return parser(rec, state)
    except _Bad as exc:
        raise RearImportError(_located(where, rec, str(exc))) from None


def _located(where: str, rec: Record, message: str) -> str:
    joined = f" (line {', '.join(map(str, rec.joined))} joined to it)" if rec.joined else ""
    return f"{where}:{rec.line}: {rec.keyword}: {message}{joined}"


def _whole_disk_members(records: list[Record]) -> dict[str, str]:
    """Disks (``disk`` lines) that an md array takes whole: member path -> array path."""
    disks = {r.fields[0] for r in records if r.keyword == "disk" and r.fields and not r.excluded}
    members: dict[str, str] = {}
    for rec in records:
        if rec.keyword in ("raid", "raidarray") and rec.fields and not rec.excluded:
            listed = next((f.split("=", 1)[1] for f in rec.fields[1:] if f.startswith("devices=")), "")
            members.update({d: rec.fields[0] for d in listed.split(",") if d in disks})
    return members


def _declare(records: list[Record], b: _Builder, where: str) -> list[Decl]:
    """Parse the active records; put the excluded ones on record and mark what they would provide."""
    state = _ParseState(whole_disk_members=_whole_disk_members(records))
    through = [r for r in records if r.keyword == "part" and r.fields[:1] and r.fields[0] in state.whole_disk_members]
    for rec in through:  # the array's partitions seen through a member: the array's own part lines say them
        b.note(rec.line, f"partition of {rec.fields[0]} seen through {state.whole_disk_members[rec.fields[0]]}: "
                         "left to the array's part lines")  # fmt: skip
    active = [_parse(rec, state, where) for rec in records if not rec.excluded and rec not in through]
    _check_unique_providers(active, where)
    provided = {key for decl in active for key in decl.provides}
    lvs = {tuple(r.fields[:2]) for r in records if r.keyword == "lvmvol" and not r.excluded}
    snapshots = 0
    for rec in (r for r in records if r.excluded and r not in through):
        if rec.keyword == "btrfssnapshotsubvol":
            snapshots += 1
        elif rec.keyword == "lvmvol" and tuple(rec.fields[:2]) in lvs:
            b.note(rec.line, f"further segment of LV {rec.fields[0]}/{rec.fields[1]}: the LV is made as one segment")
        else:
            _exclude(rec, b, provided)
    if snapshots:
        b.note(0, f"{snapshots} btrfs snapshot subvolume(s) listed by ReaR for documentation only: not recreated")
    return active


def _exclude(rec: Record, b: _Builder, provided: set[str]) -> None:
    b.excluded.append((rec.line, f"line {rec.line}: {_describe(rec)}"))
    try:
        decl = PARSERS.get(rec.keyword, _parse_skipped)(rec, _ParseState())
    except _Bad:
        return  # a broken excluded line is kept on record but provides nothing
    for key in decl.provides:
        if key not in provided:
            b.skip(key, f"excluded on line {rec.line}", excluded=True)


def _check_unique_providers(decls: list[Decl], where: str) -> None:
    first: dict[str, Record] = {}
    for decl in decls:
        for key in decl.provides:
            if key in first:
                what = f"{key.split(':', 1)[1]} is already declared on line {first[key].line}"
                raise RearImportError(_located(where, decl.rec, what))
            first[key] = decl.rec


def _link(decls: list[Decl], records: list[Record], where: str) -> list[Decl]:
    """Cross-line needs: a VG needs its PVs; a partitioned md array without raiddisk gets a guessed table."""
    pv_lines: dict[str, list[str]] = {}
    for rec in records:
        if rec.keyword == "lvmdev" and len(rec.fields) > 1:
            pv_lines.setdefault(rec.fields[0], []).append(rec.fields[1])
    for decl in decls:
        if decl.rec.keyword == "lvmgrp":
            vg = decl.rec.fields[0]
            devices = pv_lines.get(vg, [])
            if not devices:
                raise RearImportError(_located(where, decl.rec, f"volume group {vg} has no lvmdev line"))
            decl.needs += [(f"pv:{d}", f"PV {d}") for d in devices]
    return decls + _implied_md_tables(decls, records)


def _implied_md_tables(decls: list[Decl], records: list[Record]) -> list[Decl]:
    with_raiddisk = {r.fields[0] for r in records if r.keyword == "raiddisk" and r.fields}
    out: list[Decl] = []
    for decl in decls:
        rec = decl.rec
        if rec.keyword not in ("raid", "raidarray") or rec.fields[0] in with_raiddisk:
            continue
        parts = [r for r in records if r.keyword == "part" and not r.excluded and r.fields[:1] == rec.fields[:1]]
        if parts:
            out.append(_implied_md_table(rec, parts))
    return out


def _build_all(decls: list[Decl], b: _Builder, where: str) -> None:
    """Build each declaration once what it needs exists; leave out what sits on skipped components."""
    have: set[str] = set()
    pending = sorted(decls, key=lambda d: d.rec.line)
    while pending:
        waiting: list[Decl] = []
        for decl in pending:
            blocked = next((n for n in decl.needs if n[0] in b.skipped), None)
            if blocked is not None:
                _leave_out(decl, blocked, b)
            elif all(key in have for key, _ in decl.needs):
                _run(decl, b, where)
                have.update(k for k in decl.provides if k not in b.skipped)
            else:
                waiting.append(decl)
        if len(waiting) == len(pending):
            raise RearImportError(_unresolved(waiting, have, b, where))
        pending = waiting


def _run(decl: Decl, b: _Builder, where: str) -> None:
    try:
        decl.build(b)
    except _Bad as exc:
        raise RearImportError(_located(where, decl.rec, str(exc))) from None


def _leave_out(decl: Decl, need: Need, b: _Builder) -> None:
    skip = b.skipped[need[0]]
    text = f"line {decl.rec.line}: {_describe(decl.rec)} (on {need[1]}, {skip.why})"
    if skip.excluded:
        b.excluded.append((decl.rec.line, text))
    else:
        b.notes.append((decl.rec.line, f"{text}: skipped"))
    for key in decl.provides:
        b.skip(key, skip.why, excluded=skip.excluded)


def _unresolved(waiting: list[Decl], have: set[str], b: _Builder, where: str) -> str:
    promised = {key for decl in waiting for key in decl.provides}
    for decl in waiting:
        for key, what in decl.needs:
            if key not in have and key not in b.skipped and key not in promised:
                return _located(where, decl.rec, f"{what} is never declared")
    lines = ", ".join(str(d.rec.line) for d in waiting)
    return _located(where, waiting[0].rec, f"circular references among lines {lines}")


# --- after the build: fix-ups and machine facts --------------------------------------------------


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


def _boot(b: _Builder, graph: LayoutGraph) -> Boot | None:
    """Boot facts ReaR does not state, guessed from the ESP and BIOS boot partitions."""
    if b.architecture is not None:
        return None  # PReP and DASD machines boot neither by BIOS nor by UEFI
    items = tuple(graph.items.values())
    by_id = graph.items
    esps = [
        fs.device
        for fs in items
        if isinstance(fs, Filesystem) and fs.fstype == "vfat" and _is_esp(by_id, by_id.get(fs.device))
    ]
    _note_bare_esps(b, items, esps)
    if esps:
        disks = tuple(graph.disks_below(*esps))
        b.note(0, "boot firmware taken as UEFI: an EFI system partition holds a FAT filesystem")
        return Boot(firmware="uefi", disks=disks, esps=tuple(esps))
    bios = [
        p.id
        for p in items
        if isinstance(p, Partition)
        and ("bios_grub" in p.flags or ("boot" in p.flags and p.gpt_type is None))
        and "prep" not in p.flags
    ]
    if bios:
        b.note(0, "boot firmware taken as BIOS: a BIOS boot partition or an active msdos partition exists")
        return Boot(firmware="bios", disks=tuple(graph.disks_below(*bios)))
    return None


def _note_bare_esps(b: _Builder, items: tuple[Item, ...], esps: list[str]) -> None:
    """ReaR records only mounted filesystems: a second ESP (of a mirrored pair) comes without one."""
    for part in items:
        if isinstance(part, Partition) and "esp" in part.flags and part.id not in esps:
            b.note(b.line_of(part.id), f"EFI system partition {part.path} has no fs line (not mounted): made empty")


def _is_esp(by_id: dict[str, Item], device: Item | None) -> bool:
    if isinstance(device, Partition):
        return "esp" in device.flags
    if isinstance(device, MdArray):
        return all(_is_esp(by_id, by_id.get(m)) for m in device.members)
    return False


def _machine(b: _Builder, hostname: str | None, captured_at: str | None) -> Machine:
    architecture = b.architecture or "x86_64"
    if b.architecture == "ppc64le":
        b.note(0, "architecture taken as ppc64le: a PReP boot partition exists")
    elif b.architecture == "s390x":
        b.note(0, "architecture taken as s390x: DASD disks exist")
    return Machine(
        hostname=hostname or "unknown", architecture=architecture, captured_at=captured_at, captured_by="rear-import"
    )


# --- public API ----------------------------------------------------------------------------------


def import_rear(text: str, *, where: str, hostname: str | None = None) -> Layout:
    """Convert the text of a ReaR ``disklayout.conf``; ``where`` names the source in messages."""
    records = _read_records(text, where)
    if not records:
        raise RearImportError(f"{where}: no records (disk, part, raid, lvm...): not a ReaR disklayout.conf")
    b = _Builder()
    decls = _link(_declare(records, b, where), records, where)
    _build_all(decls, b, where)
    _widen_extended(b)
    items = b.sorted_items()
    machine = _machine(b, hostname, _captured_at(text))
    boot = _boot(b, LayoutGraph(Layout(format_version=FORMAT_VERSION, machine=machine, items=items)))
    origin = Origin(
        kind="rear-import",
        source=where,
        excluded=tuple(entry for _, entry in sorted(b.excluded, key=lambda e: e[0])),
        notes=tuple(entry for _, entry in sorted(b.notes, key=lambda n: n[0])),
    )
    return Layout(format_version=FORMAT_VERSION, machine=machine, boot=boot, origin=origin, items=items)


def read_rear(path: str | Path) -> Layout:
    """Read and convert a ReaR ``disklayout.conf`` file."""
    path = Path(path)
    return import_rear(read_text(path, what="ReaR disklayout.conf", error=RearImportError), where=str(path))
