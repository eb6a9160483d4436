"""The resize policy: fit each original disk's contents onto its target disk.

Policy, in the order an operator reads it in the plan:

* a target of the same size and sector size gets the original geometry, sector for sector;
* fixed partitions keep their size: EFI system, BIOS boot, PReP, /boot and /boot/efi, swap
  (unless swap may be resized), and any the operator marks fixed;
* the other partitions grow or shrink in proportion, 1 MiB aligned, never below what their
  contents need: a filesystem needs what it used when captured plus 10% and 64 MiB; what was
  not recorded cannot shrink at all;
* md arrays follow their smallest member; LUKS keeps its header;
* LVs keep their size while the VG has room; when it shrinks, LVs shrink in proportion within
  what their filesystems used, never below it (a last-resort trim of at most 1% of a VG, for
  metadata that differs from the original's, is allowed and said).

The result is the *target layout*: the same items with the new geometry, the target disks'
sizes and sector sizes, and a list of every size change with old and new size.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from rescue_tui.errors import RefusedError
from rescue_tui.inventory.model import TargetDisk
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import (
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
from rescue_tui.layout.sizes import (
    LUKS_MIN_HEADER,
    LVM_PE_START,
    MIB,
    DeviceSizes,
    extents,
    lv_allocation,
    md_data_disks,
    md_reserved_bytes,
)
from rescue_tui.mapping.model import Mapping, SizeChange
from rescue_tui.units import human_size

ALIGN = MIB
FIXED_FLAGS = frozenset({"esp", "bios_grub", "prep", "msftres", "diag"})
FIXED_MOUNTS = frozenset({"/boot", "/boot/efi"})
FS_FLOOR = {
    "xfs": 300 * MIB,
    "btrfs": 256 * MIB,
    "ext2": 16 * MIB,
    "ext3": 32 * MIB,
    "ext4": 32 * MIB,
    "vfat": 33 * MIB,
}
"""The smallest filesystem mkfs makes (xfs refuses below 300 MiB since xfsprogs 5.19)."""
SWAP_FLOOR = 64 * MIB
"""The least swap the policy leaves when the operator lets swap shrink."""
USED_MARGIN = 0.10
USED_SLACK = 64 * MIB
METADATA_TRIM = 0.01
"""The most of a VG the policy trims from its largest LV when only metadata overhead differs."""


@dataclass(frozen=True)
class ResizeOptions:
    """What the operator may say about sizes."""

    resize_swap: bool = False
    """Let swap partitions and LVs grow and shrink with the rest."""
    fixed: frozenset[str] = frozenset()
    """Layout ids of partitions or LVs that keep their size."""
    grow: bool = True
    """Grow flexible partitions into a bigger disk (else leave the extra space free)."""


@dataclass(frozen=True)
class Resized:
    """The layout as it will be on the targets, and what changed size."""

    layout: Layout
    changes: tuple[SizeChange, ...]


def _align_up(value: int) -> int:
    return -(-value // ALIGN) * ALIGN


def _align_down(value: int) -> int:
    return value // ALIGN * ALIGN


class Minimums:
    """The least bytes each device needs for its contents, under the policy."""

    def __init__(self, layout: Layout, options: ResizeOptions) -> None:
        self.layout = layout
        self.graph = LayoutGraph(layout)
        self.sizes = DeviceSizes(self.graph)
        self.options = options
        self._cache: dict[str, int] = {}

    def content(self, item_id: str) -> Item | None:
        """What is built directly on a device (its one consumer), if anything."""
        return self.graph.consumer(item_id)

    def mount_points(self, item_id: str) -> set[str]:
        """Mount points of the filesystem on a device."""
        fs = self.content(item_id)
        if fs is None:
            return set()
        return {m.path for m in self.graph.children(fs.id) if isinstance(m, Mount)}

    def fixed(self, item: Item) -> bool:
        """True when the policy keeps this partition or LV at its size."""
        if item.id in self.options.fixed:
            return True
        if isinstance(item, Partition):
            if FIXED_FLAGS & set(item.flags) or self.mount_points(item.id) & FIXED_MOUNTS:
                return True
            if isinstance(self.content(item.id), Swap) and not self.options.resize_swap:
                return True
        if isinstance(item, LvmLv):
            if item.segment_type != "linear":
                return True  # thin pools, thin volumes, raid and striped LVs keep their size
            return isinstance(self.content(item.id), Swap) and not self.options.resize_swap
        return False

    def of(self, item_id: str) -> int:
        """Least bytes for the device ``item_id`` (its original size when it cannot shrink)."""
        if item_id not in self._cache:
            self._cache[item_id] = self._compute(item_id)
        return self._cache[item_id]

    def _compute(self, item_id: str) -> int:
        item = self.graph.items[item_id]
        original = self.sizes.bytes(item_id) or 0
        if self.fixed(item):
            return original
        need = self._content_need(self.content(item_id), original)
        return min(original, need) if original else need

    def _content_need(self, content: Item | None, original: int) -> int:
        if isinstance(content, Swap) and self.options.resize_swap:
            return SWAP_FLOOR
        if content is None or isinstance(content, Swap | PartitionTable):
            return original  # nothing known to shrink into
        if isinstance(content, Filesystem):
            if content.used is None:
                return original
            return max(FS_FLOOR[content.fstype], math.ceil(content.used * (1 + USED_MARGIN)) + USED_SLACK)
        if isinstance(content, Luks):
            return (
                self.of(content.id) + LUKS_MIN_HEADER[content.version] if content.id in self.graph.items else original
            )
        if isinstance(content, LvmPv):
            return self._pv_need(content, original)
        if isinstance(content, MdArray):
            md_need = self.of(content.id)
            per_member = math.ceil(md_need / md_data_disks(content.level, len(content.members), content.layout))
            return per_member + md_reserved_bytes(per_member, content.metadata)
        return original

    def _pv_need(self, pv: LvmPv, original: int) -> int:
        vg = next((v for v in self.layout.of_type(LvmVg) if pv.id in v.pvs), None)
        if vg is None:
            return original
        vg_need = sum(lv_allocation(dataclasses.replace(lv, size=self.lv_min(lv)), vg.pe_size) for lv in self._lvs(vg))
        pv_bytes = [self.sizes.bytes(p) or 0 for p in vg.pvs]
        share = (self.sizes.bytes(pv.id) or 0) / (sum(pv_bytes) or 1)
        return extents(math.ceil(vg_need * share), vg.pe_size) * vg.pe_size + LVM_PE_START + vg.pe_size

    def _lvs(self, vg: LvmVg) -> list[LvmLv]:
        return [lv for lv in self.layout.of_type(LvmLv) if lv.vg == vg.id]

    def lv_min(self, lv: LvmLv) -> int:
        """Least bytes for an LV: its size unless its filesystem's recorded use allows less."""
        if self.fixed(lv):
            return lv.size
        return min(lv.size, self._content_need(self.content(lv.id), lv.size))


@dataclass
class _Slot:
    """A partition being placed on the target, in bytes."""

    part: Partition
    gap: int
    size: int
    minimum: int
    fixed: bool


class _Fitter:
    """Places the partitions of one table on its target disk."""

    def __init__(self, mins: Minimums, table: PartitionTable, disk: Disk, target: TargetDisk, options: ResizeOptions):
        self.mins, self.table, self.disk, self.target, self.options = mins, table, disk, target, options
        self.src_sector = disk.logical_sector_size
        self.dst_sector = target.logical_sector_size
        parts = [p for p in mins.layout.of_type(Partition) if p.table == table.id]
        self.extended = next((p for p in parts if p.kind == "extended"), None)
        self.parts = sorted((p for p in parts if p.kind != "extended"), key=lambda p: p.start)

    def usable_end(self) -> int:
        """First byte past the usable area of the target (before the backup GPT)."""
        reserved = 33 * 512 if self.dst_sector == 512 else (1 + -(-128 * 128 // self.dst_sector)) * self.dst_sector
        return self.target.size - (reserved if self.table.label == "gpt" else 0)

    def slots(self) -> list[_Slot]:
        slots: list[_Slot] = []
        previous_end = 0
        for part in self.parts:
            start = part.start * self.src_sector
            size = part.size * self.src_sector
            gap = start - previous_end
            if part.kind == "logical":
                gap = max(gap, ALIGN)  # room for the EBR in front of each logical partition
            fixed = self.mins.fixed(part)
            minimum = size if fixed else self.mins.of(part.id)
            slots.append(_Slot(part, _align_up(gap) if previous_end or gap else gap, size, _align_up(minimum), fixed))
            previous_end = start + size
        if slots and slots[0].gap < ALIGN:
            slots[0].gap = max(slots[0].gap, ALIGN) if self.table.label == "gpt" else slots[0].gap
        return slots

    def needed_bytes(self) -> int:
        """Least target size that holds this table's partitions."""
        slots = self.slots()
        tail = self.target.size - self.usable_end() if self.target.size else 34 * 512
        return sum(s.gap + s.minimum for s in slots) + tail

    def fit(self) -> dict[str, tuple[int, int]]:
        """New (start, size) in target sectors, by partition id."""
        identical = self.target.size == self.disk.size and self.dst_sector == self.src_sector
        if identical or not self.parts:
            return {p.id: (p.start, p.size) for p in [*self.parts, *([self.extended] if self.extended else [])]}
        slots = self.slots()
        available = self.usable_end() - sum(s.gap for s in slots)
        need = sum(s.minimum for s in slots)
        if need > available:
            needed, has = human_size(need + sum(s.gap for s in slots)), human_size(self.target.size)
            raise RefusedError(f"{self.target.name}: too small for {self.disk.name}: needs {needed}, has {has}")
        self._share(slots, available)
        return self._place(slots)

    def _share(self, slots: list[_Slot], available: int) -> None:
        """Proportional sizes for the flexible slots, clamped to their minimums (water-filling)."""
        flexible = [s for s in slots if not s.fixed]
        original_total = sum(s.size for s in slots)
        if not flexible or (available >= original_total and not self.options.grow):
            return
        clamped: set[int] = set()
        while True:
            budget = (
                available
                - sum(s.size for s in slots if s.fixed)
                - sum(s.minimum for i, s in enumerate(slots) if i in clamped)
            )
            free = [(i, s) for i, s in enumerate(slots) if not s.fixed and i not in clamped]
            weight = sum(s.size for _, s in free)
            factor = budget / weight if weight else 0
            newly = {i for i, s in free if s.size * factor < s.minimum}
            if not newly:
                break
            clamped |= newly
        for i, slot in enumerate(slots):
            if slot.fixed:
                continue
            slot.size = slot.minimum if i in clamped else max(slot.minimum, _align_down(int(slot.size * factor)))

    def _place(self, slots: list[_Slot]) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        cursor = 0
        for slot in slots:
            start = cursor + slot.gap
            size = min(slot.size, _align_down(self.usable_end() - start)) if slot is slots[-1] else slot.size
            out[slot.part.id] = (start // self.dst_sector, size // self.dst_sector)
            cursor = start + size
        if self.extended:
            logical = [s for s in slots if s.part.kind == "logical"]
            first, last = logical[0], logical[-1]
            lead = (first.part.start - self.extended.start) * self.src_sector
            start = out[first.part.id][0] * self.dst_sector - max(lead, self.dst_sector)
            end = (out[last.part.id][0] + out[last.part.id][1]) * self.dst_sector
            out[self.extended.id] = (start // self.dst_sector, (end - start) // self.dst_sector)
        return out


def _tables_on(layout: Layout, disk_id: str) -> list[PartitionTable]:
    return [t for t in layout.of_type(PartitionTable) if t.device == disk_id]


def disk_needs(layout: Layout, options: ResizeOptions | None = None) -> dict[str, int]:
    """Least bytes each original disk's contents need on a target, by disk id."""
    options = options or ResizeOptions()
    mins = Minimums(layout, options)
    out: dict[str, int] = {}
    for disk in layout.of_type(Disk):
        tables = _tables_on(layout, disk.id)
        if tables:
            probe = TargetDisk(name=disk.name, path="", size=disk.size, logical_sector_size=disk.logical_sector_size)
            out[disk.id] = _Fitter(mins, tables[0], disk, probe, options).needed_bytes()
        else:
            out[disk.id] = mins.of(disk.id)
    return out


def resize_for_targets(
    layout: Layout, mapping: Mapping, targets: dict[str, TargetDisk], options: ResizeOptions
) -> Resized:
    """The target layout for ``mapping``: new partition geometry, disk sizes and LV sizes."""
    mins = Minimums(layout, options)
    replaced: dict[str, Item] = {}
    changes: list[SizeChange] = []
    for pair in mapping.pairs:
        disk = mins.graph.items[pair.source]
        assert isinstance(disk, Disk)
        target = targets[pair.target]
        replaced[disk.id] = dataclasses.replace(
            disk,
            size=target.size,
            logical_sector_size=target.logical_sector_size,
            physical_sector_size=max(target.physical_sector_size, target.logical_sector_size),
        )
        if target.size != disk.size:
            changes.append(
                SizeChange(
                    item=disk.id,
                    what=f"disk {disk.name} -> {target.name}",
                    old=disk.size,
                    new=target.size,
                    reason="target disk",
                )
            )
        for table in _tables_on(layout, disk.id):
            geometry = _Fitter(mins, table, disk, target, options).fit()
            for part_id, (start, size) in geometry.items():
                part = mins.graph.items[part_id]
                assert isinstance(part, Partition)
                replaced[part_id] = dataclasses.replace(part, start=start, size=size)
                old, new = part.size * disk.logical_sector_size, size * target.logical_sector_size
                if old != new and part.kind != "extended":
                    reason = (
                        "fixed"
                        if mins.fixed(part)
                        else ("grown in proportion" if new > old else "shrunk in proportion")
                    )
                    changes.append(
                        SizeChange(
                            item=part_id, what=f"partition {part.path or part.id}", old=old, new=new, reason=reason
                        )
                    )
    staged = _with_items(layout, replaced, clear_derived=bool(changes))
    lv_layout, lv_changes = _fit_lvs(staged, mins)
    return Resized(layout=lv_layout, changes=tuple(changes + lv_changes))


def _with_items(layout: Layout, replaced: dict[str, Item], *, clear_derived: bool) -> Layout:
    """The layout with items replaced; recorded sizes above changed partitions are dropped so they are derived again."""
    items = []
    for item in layout.items:
        item = replaced.get(item.id, item)
        if clear_derived and isinstance(item, MdArray | Luks | LvmPv) and item.size is not None:
            item = dataclasses.replace(item, size=None)
        items.append(item)
    return dataclasses.replace(layout, items=tuple(items))


class _PlanSizes(DeviceSizes):
    """Device sizes as blivet will model them: md members keep libblockdev's headroom."""

    def _compute(self, item: Item) -> int | None:
        if isinstance(item, MdArray) and item.size is None:
            sizes = [self.bytes(m) for m in item.members]
            if not sizes or any(s is None for s in sizes):
                return None
            smallest = min(s for s in sizes if s is not None)
            usable = smallest - md_reserved_bytes(smallest, item.metadata)
            return max(0, int(usable * md_data_disks(item.level, len(sizes), item.layout)))
        return super()._compute(item)


def _fit_lvs(layout: Layout, mins: Minimums) -> tuple[Layout, list[SizeChange]]:
    """Shrink LVs (within their minimums) where a VG no longer holds them all."""
    sizes = _PlanSizes(LayoutGraph(layout))
    replaced: dict[str, Item] = {}
    changes: list[SizeChange] = []
    for vg in layout.of_type(LvmVg):
        capacity = sizes.vg_capacity(vg)
        lvs = [lv for lv in layout.of_type(LvmLv) if lv.vg == vg.id]
        if capacity is None:
            continue
        used = sum(lv_allocation(lv, vg.pe_size) for lv in lvs)
        if used <= capacity:
            continue
        deficit = used - capacity
        room = {lv.id: lv.size - mins.lv_min(lv) for lv in lvs}
        total_room = sum(room.values())
        if deficit <= total_room:
            for lv in lvs:
                cut = (
                    extents(math.ceil(deficit * room[lv.id] / total_room), vg.pe_size) * vg.pe_size if total_room else 0
                )
                if cut:
                    new = max(mins.lv_min(lv), lv.size - cut)
                    replaced[lv.id] = dataclasses.replace(lv, size=new)
                    changes.append(
                        SizeChange(
                            item=lv.id,
                            what=f"LV {vg.name}/{lv.name}",
                            old=lv.size,
                            new=new,
                            reason="shrunk within its filesystem's use",
                        )
                    )
            continue
        largest = max((lv for lv in lvs if lv.segment_type == "linear"), key=lambda lv: lv.size, default=None)
        if largest is not None and deficit <= capacity * METADATA_TRIM:
            new = largest.size - extents(deficit, vg.pe_size) * vg.pe_size
            replaced[largest.id] = dataclasses.replace(largest, size=new)
            changes.append(
                SizeChange(
                    item=largest.id,
                    what=f"LV {vg.name}/{largest.name}",
                    old=largest.size,
                    new=new,
                    reason="trimmed: md/LVM metadata takes more room than on the original",
                )
            )
            continue
        least = human_size(used - total_room)
        raise RefusedError(
            f"VG {vg.name}: its LVs need {least} at the least but the targets give it {human_size(capacity)}",
            hint="map bigger disks, or record filesystem use (capture) so LVs may shrink",
        )
    return _with_items(layout, replaced, clear_derived=False), changes
