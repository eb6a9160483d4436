"""Semantic validation of a layout: everything the schema cannot say.

Each rule is a small function that yields problems; ``validate_layout``
runs them all so a broken file is reported whole, one line per problem,
each naming the JSON path of what is wrong. Rules never raise: a layout
broken in one way must not hide its other faults or crash another rule.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rescue_tui.errors import LayoutError
from rescue_tui.layout.codec import parse_layout, read_layout
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import (
    BtrfsSubvolume,
    Disk,
    Filesystem,
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
from rescue_tui.layout.network_rules import network_problems
from rescue_tui.layout.sizes import DeviceSizes, lv_allocation
from rescue_tui.text import hostname_problem
from rescue_tui.units import human_size


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a layout, at one JSON path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class Context:
    """What every rule may look at."""

    layout: Layout
    graph: LayoutGraph
    sizes: DeviceSizes


Rule = Callable[[Context], Iterator[Problem]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    """Register a validation rule (they run in definition order)."""
    RULES.append(fn)
    return fn


_HEX = "[0-9a-f]"
UUID_RE = re.compile(rf"^{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}$", re.IGNORECASE)
VFAT_ID_RE = re.compile(r"^[0-9A-F]{4}-[0-9A-F]{4}$")
MD_UUID_RE = re.compile(rf"^{_HEX}{{8}}(:{_HEX}{{8}}){{3}}$", re.IGNORECASE)
LVM_UUID_RE = re.compile(r"^[A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6}$")
MSDOS_ID_RE = re.compile(r"^0x[0-9a-f]{8}$", re.IGNORECASE)
MSDOS_PARTUUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{2}$", re.IGNORECASE)
MBR_TYPE_RE = re.compile(r"^[0-9a-f]{1,2}$", re.IGNORECASE)
NAME_RE = re.compile(r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$")

LABEL_LIMITS = {"ext2": 16, "ext3": 16, "ext4": 16, "xfs": 12, "vfat": 11, "btrfs": 255, "swap": 15}
MD_MIN_MEMBERS = {"raid0": 2, "linear": 1, "raid1": 2, "raid4": 3, "raid5": 3, "raid6": 4, "raid10": 2}
MD_METADATA = ("0.90", "1.0", "1.1", "1.2")


def _gpt_reserved(sector_size: int) -> int:
    """Sectors the primary GPT (protective MBR, header, 128 entries) occupies; the backup takes one less at the end."""
    return 2 + -(-128 * 128 // sector_size)


# --- identity and references ---------------------------------------------------------------------


@rule
def machine_hostname(ctx: Context) -> Iterator[Problem]:
    if problem := hostname_problem(ctx.layout.machine.hostname):
        yield Problem("$.machine.hostname", problem)


@rule
def unique_ids(ctx: Context) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, item in enumerate(ctx.layout.items):
        if item.id in seen:
            yield Problem(f"$.items[{index}] ({item.id}).id", f"duplicate id: also used by $.items[{seen[item.id]}]")
        else:
            seen[item.id] = index
        if not item.id.strip():
            yield Problem(f"$.items[{index}].id", "id must not be empty")


@rule
def references_exist_and_fit(ctx: Context) -> Iterator[Problem]:
    g = ctx.graph
    for item_id, refs in g.refs.items():
        for ref in refs:
            target = g.items.get(ref.target)
            where = g.path(item_id, ref.where)
            if target is None:
                yield Problem(where, f"refers to {ref.target!r}, which is not in the layout")
            elif target.type not in ref.allowed:
                yield Problem(where, f"{ref.target!r} is a {target.type}; expected {' or '.join(ref.allowed)}")
            elif ref.target == item_id:
                yield Problem(where, "refers to itself")


@rule
def devices_consumed_once(ctx: Context) -> Iterator[Problem]:
    g = ctx.graph
    users: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item_id, refs in g.refs.items():
        for ref in refs:
            if ref.consuming and ref.target in g.items:
                users[ref.target].append((item_id, ref.where))
    for target, uses in users.items():
        if len(uses) > 1:
            first = uses[0][0]
            for user, where in uses[1:]:
                yield Problem(g.path(user, where), f"{target!r} is already used by {first!r}")


@rule
def no_cycles(ctx: Context) -> Iterator[Problem]:
    _, cyclic = ctx.graph.order()
    if cyclic:
        yield Problem(ctx.graph.path(cyclic[0]), f"reference cycle among {', '.join(cyclic)}")


@rule
def boot_references(ctx: Context) -> Iterator[Problem]:
    boot = ctx.layout.boot
    if boot is None:
        return
    items = ctx.graph.items
    for index, disk_id in enumerate(boot.disks):
        if not isinstance(items.get(disk_id), Disk):
            yield Problem(f"$.boot.disks[{index}]", f"{disk_id!r} is not a disk in the layout")
    for index, esp_id in enumerate(boot.esps):
        esp = items.get(esp_id)
        if not isinstance(esp, Partition | MdArray):
            yield Problem(f"$.boot.esps[{index}]", f"{esp_id!r} is not a partition or md array in the layout")
            continue
        fs = [c for c in ctx.graph.children(esp_id) if isinstance(c, Filesystem)]
        unformatted_esp = not fs and isinstance(esp, Partition) and "esp" in esp.flags
        if not unformatted_esp and (not fs or fs[0].fstype != "vfat"):
            yield Problem(f"$.boot.esps[{index}]", f"{esp_id!r} holds no vfat filesystem; an ESP must be FAT")
    if boot.firmware == "uefi" and not boot.esps and boot.loader != "none":
        yield Problem("$.boot.esps", "UEFI boot needs at least one EFI system partition")


# --- partitions ----------------------------------------------------------------------------------


@rule
def partitions_fit_their_table(ctx: Context) -> Iterator[Problem]:
    g = ctx.graph
    by_table: dict[str, list[Partition]] = defaultdict(list)
    for part in ctx.layout.of_type(Partition):
        if isinstance(g.items.get(part.table), PartitionTable):
            by_table[part.table].append(part)
    for table_id, parts in by_table.items():
        table = g.items[table_id]
        assert isinstance(table, PartitionTable)
        yield from _check_table(ctx, table, parts)


def _check_table(ctx: Context, table: PartitionTable, parts: list[Partition]) -> Iterator[Problem]:
    g = ctx.graph
    sector = ctx.sizes.sector_size(table.id)
    device_bytes = ctx.sizes.bytes(table.device)
    total = None if device_bytes is None else device_bytes // sector
    gpt = table.label == "gpt"
    first_usable = _gpt_reserved(sector) if gpt else 1
    last_usable = None if total is None else (total - _gpt_reserved(sector) + 1 if gpt else total) - 1
    numbers = Counter(p.number for p in parts)
    extended = [p for p in parts if p.kind == "extended"]
    for part in parts:
        at = g.path(part.id)
        if numbers[part.number] > 1:
            yield Problem(f"{at}.number", f"partition number {part.number} is used twice on {table.id!r}")
        if gpt:
            if part.kind != "primary":
                yield Problem(f"{at}.kind", f"{part.kind} partitions exist only on msdos tables")
            if not 1 <= part.number <= 128:
                yield Problem(f"{at}.number", f"GPT partition numbers run from 1 to 128, not {part.number}")
            if part.mbr_type is not None:
                yield Problem(f"{at}.mbr_type", "an msdos type on a GPT partition; use gpt_type")
        else:
            low, high = (5, 255) if part.kind == "logical" else (1, 4)
            if not low <= part.number <= high:
                yield Problem(
                    f"{at}.number", f"{part.kind} msdos partitions are numbered {low}-{high}, not {part.number}"
                )
            if part.gpt_type is not None or part.name is not None:
                field = "gpt_type" if part.gpt_type is not None else "name"
                yield Problem(f"{at}.{field}", "GPT-only field on an msdos partition")
        if part.size <= 0:
            yield Problem(f"{at}.size", "partition size must be positive")
            continue
        end = part.start + part.size - 1
        if part.start < first_usable:
            yield Problem(
                f"{at}.start", f"starts at sector {part.start}, before the first usable sector {first_usable}"
            )
        if last_usable is not None and end > last_usable:
            yield Problem(
                f"{at}.size",
                f"ends at sector {end}, past the last usable sector {last_usable} of {table.device!r} "
                f"({human_size(device_bytes)})",
            )
    if len(extended) > 1:
        yield Problem(g.path(extended[1].id, "kind"), "an msdos table holds at most one extended partition")
    container = extended[0] if extended else None
    for part in parts:
        if part.kind == "logical":
            inside = (
                container
                and container.start < part.start
                and part.start + part.size <= container.start + container.size
            )
            if not inside:
                yield Problem(g.path(part.id, "start"), "a logical partition must lie inside the extended partition")
    outer = sorted((p for p in parts if p.kind != "logical" and p.size > 0), key=lambda p: p.start)
    logical = sorted((p for p in parts if p.kind == "logical" and p.size > 0), key=lambda p: p.start)
    for group in (outer, logical):
        for prev, cur in itertools.pairwise(group):
            if cur.start <= prev.start + prev.size - 1:
                yield Problem(
                    g.path(cur.id, "start"), f"overlaps {prev.id!r} (which ends at sector {prev.start + prev.size - 1})"
                )


@rule
def partition_identities(ctx: Context) -> Iterator[Problem]:
    g = ctx.graph
    for part in ctx.layout.of_type(Partition):
        if part.gpt_type is not None and not UUID_RE.match(part.gpt_type):
            yield Problem(g.path(part.id, "gpt_type"), f"{part.gpt_type!r} is not a GUID")
        if part.mbr_type is not None and not MBR_TYPE_RE.match(part.mbr_type):
            yield Problem(g.path(part.id, "mbr_type"), f"{part.mbr_type!r} is not a hex partition type such as '83'")
        if part.partuuid is not None and not (UUID_RE.match(part.partuuid) or MSDOS_PARTUUID_RE.match(part.partuuid)):
            yield Problem(
                g.path(part.id, "partuuid"), f"{part.partuuid!r} is neither a GUID nor an msdos '1234abcd-01'"
            )
    for table in ctx.layout.of_type(PartitionTable):
        guid = table.disk_guid
        if guid is None:
            continue
        ok = UUID_RE.match(guid) if table.label == "gpt" else MSDOS_ID_RE.match(guid)
        if not ok:
            want = "a GUID" if table.label == "gpt" else "an msdos disk identifier such as '0x1234abcd'"
            yield Problem(g.path(table.id, "disk_guid"), f"{guid!r} is not {want}")


@rule
def disk_geometry(ctx: Context) -> Iterator[Problem]:
    for disk in ctx.layout.of_type(Disk):
        at = ctx.graph.path(disk.id)
        if disk.logical_sector_size not in (512, 1024, 2048, 4096):
            yield Problem(f"{at}.logical_sector_size", f"unsupported sector size {disk.logical_sector_size}")
        if disk.physical_sector_size < disk.logical_sector_size:
            yield Problem(f"{at}.physical_sector_size", "smaller than the logical sector size")
        if disk.size <= 0 or disk.size % disk.logical_sector_size:
            yield Problem(f"{at}.size", f"{disk.size} is not a positive multiple of the sector size")


# --- md, LUKS, LVM --------------------------------------------------------------------------------


@rule
def md_arrays(ctx: Context) -> Iterator[Problem]:
    g = ctx.graph
    for md in ctx.layout.of_type(MdArray):
        at = g.path(md.id)
        need = MD_MIN_MEMBERS[md.level]
        if len(md.members) < need:
            yield Problem(f"{at}.members", f"{md.level} needs at least {need} members, has {len(md.members)}")
        if len(set(md.members + md.spares)) != len(md.members) + len(md.spares):
            yield Problem(f"{at}.members", "a device is listed twice among members and spares")
        if md.metadata not in MD_METADATA:
            yield Problem(
                f"{at}.metadata", f"unsupported superblock format {md.metadata!r} (supported: {', '.join(MD_METADATA)})"
            )
        if md.uuid is not None and not (MD_UUID_RE.match(md.uuid) or UUID_RE.match(md.uuid)):
            yield Problem(f"{at}.uuid", f"{md.uuid!r} is not an md UUID such as '8d05eb84:2de831d1:0f4e3a11:7c3c0a52'")
        if md.chunk_kib is not None and (md.chunk_kib < 4 or md.chunk_kib & (md.chunk_kib - 1)):
            yield Problem(f"{at}.chunk_kib", f"chunk {md.chunk_kib} KiB is not a power of two of at least 4")
        if not NAME_RE.match(md.name):
            yield Problem(f"{at}.name", f"{md.name!r} is not a valid device name")


@rule
def luks_containers(ctx: Context) -> Iterator[Problem]:
    g = ctx.graph
    for luks in ctx.layout.of_type(Luks):
        at = g.path(luks.id)
        if luks.uuid is not None and not UUID_RE.match(luks.uuid):
            yield Problem(f"{at}.uuid", f"{luks.uuid!r} is not a LUKS UUID (8-4-4-4-12 hex)")
        if luks.label is not None and luks.version == 1:
            yield Problem(f"{at}.label", "LUKS1 has no label")
        if not NAME_RE.match(luks.name):
            yield Problem(f"{at}.name", f"{luks.name!r} is not a valid device-mapper name")


@rule
def lvm_names_and_uuids(ctx: Context) -> Iterator[Problem]:
    g = ctx.graph
    lvm_items: list[LvmPv | LvmVg | LvmLv] = [*ctx.layout.of_type(LvmPv), *ctx.layout.of_type(LvmVg)]
    lvm_items += ctx.layout.of_type(LvmLv)
    for item in lvm_items:
        uuid = item.uuid
        if uuid is not None and not LVM_UUID_RE.match(uuid):
            yield Problem(g.path(item.id, "uuid"), f"{uuid!r} is not an LVM UUID (6-4-4-4-4-4-6 characters)")
    vg_names = Counter(vg.name for vg in ctx.layout.of_type(LvmVg))
    for vg in ctx.layout.of_type(LvmVg):
        at = g.path(vg.id)
        if vg_names[vg.name] > 1:
            yield Problem(f"{at}.name", f"VG name {vg.name!r} is used twice")
        if not NAME_RE.match(vg.name):
            yield Problem(f"{at}.name", f"{vg.name!r} is not a valid VG name")
        if not vg.pvs:
            yield Problem(f"{at}.pvs", "a VG needs at least one PV")
        if vg.pe_size < 1024 or vg.pe_size & (vg.pe_size - 1):
            yield Problem(f"{at}.pe_size", f"extent size {vg.pe_size} is not a power of two of at least 1 KiB")
    lv_names = Counter((lv.vg, lv.name) for lv in ctx.layout.of_type(LvmLv))
    for lv in ctx.layout.of_type(LvmLv):
        if lv_names[(lv.vg, lv.name)] > 1:
            yield Problem(g.path(lv.id, "name"), f"LV name {lv.name!r} is used twice in {lv.vg!r}")
        if not NAME_RE.match(lv.name):
            yield Problem(g.path(lv.id, "name"), f"{lv.name!r} is not a valid LV name")


@rule
def lvm_logical_volumes(ctx: Context) -> Iterator[Problem]:
    g = ctx.graph
    for lv in ctx.layout.of_type(LvmLv):
        at = g.path(lv.id)
        if lv.size <= 0:
            yield Problem(f"{at}.size", "LV size must be positive")
        if lv.segment_type == "thin":
            pool = g.items.get(lv.pool) if lv.pool else None
            if lv.pool is None:
                yield Problem(f"{at}.pool", "a thin LV needs its thin pool")
            elif isinstance(pool, LvmLv) and pool.segment_type != "thin-pool":
                yield Problem(f"{at}.pool", f"{lv.pool!r} is a {pool.segment_type} LV, not a thin pool")
            elif isinstance(pool, LvmLv) and pool.vg != lv.vg:
                yield Problem(f"{at}.pool", f"thin pool {lv.pool!r} is in another VG")
        elif lv.pool is not None:
            yield Problem(f"{at}.pool", f"only thin LVs have a pool; this one is {lv.segment_type}")
        if lv.segment_type == "striped" and (lv.stripes or 0) < 2:
            yield Problem(f"{at}.stripes", "a striped LV needs at least 2 stripes")
        if lv.segment_type == "thin-pool":
            for child in g.children(lv.id):
                if not isinstance(child, LvmLv):
                    yield Problem(g.path(child.id), f"{lv.id!r} is a thin pool; only thin LVs go on it")


@rule
def lvs_fit_their_vg(ctx: Context) -> Iterator[Problem]:
    g = ctx.graph
    for vg in ctx.layout.of_type(LvmVg):
        capacity = ctx.sizes.vg_capacity(vg)
        if capacity is None:
            continue
        lvs = [lv for lv in ctx.layout.of_type(LvmLv) if lv.vg == vg.id]
        used = sum(lv_allocation(lv, vg.pe_size) for lv in lvs)
        if used > capacity:
            yield Problem(
                g.path(vg.id),
                f"its LVs need {human_size(used)} but its PVs hold {human_size(capacity)}",
            )


# --- formats and mounts ---------------------------------------------------------------------------


def _uuid_problem(fstype: str, uuid: str) -> str | None:
    if fstype == "vfat":
        return None if VFAT_ID_RE.match(uuid) else f"{uuid!r} is not a FAT volume id such as 'ABCD-1234' (upper case)"
    return None if UUID_RE.match(uuid) else f"{uuid!r} is not a valid {fstype} UUID (8-4-4-4-12 hex)"


@rule
def formats(ctx: Context) -> Iterator[Problem]:
    g = ctx.graph
    for fs in ctx.layout.of_type(Filesystem):
        at = g.path(fs.id)
        if fs.uuid is not None and (message := _uuid_problem(fs.fstype, fs.uuid)):
            yield Problem(f"{at}.uuid", message)
        if fs.label is not None and len(fs.label.encode()) > LABEL_LIMITS[fs.fstype]:
            yield Problem(
                f"{at}.label", f"{fs.fstype} labels hold {LABEL_LIMITS[fs.fstype]} bytes; {fs.label!r} is longer"
            )
        device = g.items.get(fs.device)
        if isinstance(device, LvmLv) and device.segment_type == "thin-pool":
            yield Problem(f"{at}.device", "a thin pool holds thin LVs, not a filesystem")
    for swap in ctx.layout.of_type(Swap):
        at = g.path(swap.id)
        if swap.uuid is not None and (message := _uuid_problem("swap", swap.uuid)):
            yield Problem(f"{at}.uuid", message)
        if swap.label is not None and len(swap.label.encode()) > LABEL_LIMITS["swap"]:
            yield Problem(f"{at}.label", f"swap labels hold 15 bytes; {swap.label!r} is longer")
    for sub in ctx.layout.of_type(BtrfsSubvolume):
        parent = g.items.get(sub.filesystem)
        if isinstance(parent, Filesystem) and parent.fstype != "btrfs":
            yield Problem(g.path(sub.id, "filesystem"), f"{sub.filesystem!r} is {parent.fstype}, not btrfs")
        if not sub.path or sub.path.startswith("/") or ".." in sub.path.split("/"):
            yield Problem(g.path(sub.id, "path"), f"{sub.path!r} must be a relative path inside the filesystem")


def _esp_filesystems(ctx: Context) -> set[str]:
    """Filesystems on ESP-flagged partitions: mirrored ESPs are often dd copies sharing id and label."""
    out = set()
    for fs in ctx.layout.of_type(Filesystem):
        device = ctx.graph.items.get(fs.device)
        if fs.fstype == "vfat" and isinstance(device, Partition) and "esp" in device.flags:
            out.add(fs.id)
    return out


@rule
def identities_unique(ctx: Context) -> Iterator[Problem]:
    g = ctx.graph
    esp_copies = _esp_filesystems(ctx)
    groups: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for item in ctx.layout.items:
        if isinstance(item, Filesystem | Swap | Luks):
            if item.uuid:
                groups[f"UUID {item.uuid.lower()}"].append((item.id, "uuid", "UUID"))
            if isinstance(item, Filesystem | Swap) and item.label:
                groups[f"label {item.label}"].append((item.id, "label", "label"))
        elif isinstance(item, MdArray | LvmPv | LvmVg | LvmLv) and item.uuid:
            groups[f"UUID {item.uuid.lower()}"].append((item.id, "uuid", "UUID"))
        elif isinstance(item, Partition) and item.partuuid:
            groups[f"PARTUUID {item.partuuid.lower()}"].append((item.id, "partuuid", "PARTUUID"))
        elif isinstance(item, PartitionTable) and item.disk_guid:
            groups[f"disk id {item.disk_guid.lower()}"].append((item.id, "disk_guid", "disk id"))
    for key, holders in groups.items():
        first = holders[0][0]
        for holder, field, _ in holders[1:]:
            if holder in esp_copies and first in esp_copies:
                continue
            yield Problem(g.path(holder, field), f"duplicate {key}: also on {first!r}")


@rule
def mounts(ctx: Context) -> Iterator[Problem]:
    g = ctx.graph
    seen: dict[str, str] = {}
    for mount in ctx.layout.of_type(Mount):
        at = g.path(mount.id)
        path = mount.path
        if not path.startswith("/") or "//" in path or (len(path) > 1 and path.endswith("/")) or " " in path:
            yield Problem(f"{at}.path", f"{path!r} is not a clean absolute mount point")
        if path in seen:
            yield Problem(f"{at}.path", f"mount point {path} is already used by {seen[path]!r}")
        else:
            seen[path] = mount.id
        if not mount.options or any(c.isspace() for c in mount.options):
            yield Problem(f"{at}.options", f"{mount.options!r} is not an fstab option list")


@rule
def network(ctx: Context) -> Iterator[Problem]:
    if ctx.layout.network is not None:
        yield from (Problem(path, message) for path, message in network_problems(ctx.layout.network))


def validate_layout(layout: Layout) -> list[Problem]:
    """Every semantic problem of a layout, in rule order; an empty list means valid."""
    graph = LayoutGraph(layout)
    ctx = Context(layout=layout, graph=graph, sizes=DeviceSizes(graph))
    problems: list[Problem] = []
    for check in RULES:
        problems.extend(check(ctx))
    return problems


def load_valid_layout(path: str | Path) -> Layout:
    """Read a layout file and insist it is valid; LayoutError lists every problem."""
    return valid_layout(read_layout(path), where=str(path))


def parse_valid_layout(text: str, *, where: str) -> Layout:
    """Layout JSON already read (one read: what is checked is what the caller keeps), insisting it is valid."""
    return valid_layout(parse_layout(text, where=where), where=where)


def valid_layout(layout: Layout, *, where: str) -> Layout:
    """``layout`` when it has no semantic problem; else LayoutError listing each, prefixed by ``where``."""
    problems = validate_layout(layout)
    if problems:
        lines = [f"{where}: {p}" for p in problems]
        raise LayoutError(lines[0], problems=lines)
    return layout
