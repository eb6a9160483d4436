"""Sizes of the block devices in a layout, in bytes.

Recorded sizes win; otherwise a size is derived from what lies below (md
from its members and level, LUKS from its device less the header). Derived
sizes use the *smallest* overhead the tools use, so a layout is only called
too small when it surely is; the plan later takes exact sizes from blivet.
"""

from __future__ import annotations

from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import Disk, Item, Luks, LvmLv, LvmPv, LvmVg, MdArray, Partition, PartitionTable

MIB = 1024 * 1024
LVM_PE_START = MIB
"""Default start of the first extent on a PV (lvm2's 1 MiB data alignment)."""
MD_MIN_OVERHEAD = {"0.90": 128 * 1024, "1.0": 128 * 1024, "1.1": MIB, "1.2": MIB}
"""The least room mdadm keeps per member for its superblock (and data offset)."""
LUKS_MIN_HEADER = {1: 2 * MIB, 2: 16 * MIB}
"""Default LUKS data offset: the header and keyslots before the data."""


def md_reserved_bytes(member_bytes: int, metadata: str) -> int:
    """Room blivet/libblockdev reserve per md member: the model the plan is computed with.

    Version 1.1/1.2 superblocks sit before the data with headroom for reshapes:
    128 MiB, halved until it is at most 1/1024 of the member, at least 1 MiB.
    Versions 0.90/1.0 keep 2 MiB.
    """
    if metadata not in ("1.1", "1.2"):
        return 2 * MIB
    headroom = 128 * MIB
    while headroom > MIB and headroom * 1024 > member_bytes:
        headroom //= 2
    return headroom


def md_data_disks(level: str, members: int, layout: str | None) -> float:
    """How many members' worth of data an array holds."""
    if level in ("raid0", "linear"):
        return members
    if level == "raid1":
        return 1
    if level in ("raid4", "raid5"):
        return members - 1
    if level == "raid6":
        return members - 2
    if level == "raid10":
        copies = int(layout[1:]) if layout and layout[:1] in "nfo" and layout[1:].isdigit() else 2
        return members / max(1, copies)
    raise ValueError(f"unknown md level {level}")


class DeviceSizes:
    """Byte sizes of the block devices of one layout, computed on demand."""

    def __init__(self, graph: LayoutGraph) -> None:
        self.graph = graph
        self._cache: dict[str, int | None] = {}
        self._busy: set[str] = set()

    def sector_size(self, item_id: str, _seen: frozenset[str] = frozenset()) -> int:
        """Logical sector size of the disk (or md array) under a partition table or partition."""
        item = self.graph.items.get(item_id)
        if item is None or item_id in _seen:
            return 512  # dangling or cyclic: validation reports it
        seen = _seen | {item_id}
        if isinstance(item, Partition):
            return self.sector_size(item.table, seen)
        if isinstance(item, PartitionTable):
            return self.sector_size(item.device, seen)
        if isinstance(item, Disk):
            return item.logical_sector_size if item.logical_sector_size > 0 else 512
        if isinstance(item, MdArray):
            return max((self.sector_size(m, seen) for m in item.members), default=512)
        return 512

    def bytes(self, item_id: str) -> int | None:
        """Size in bytes, or None when it cannot be known (broken references)."""
        if item_id in self._cache:
            return self._cache[item_id]
        item = self.graph.items.get(item_id)
        if item is None or item_id in self._busy:
            return None  # dangling or cyclic: validation reports it
        self._busy.add(item_id)
        try:
            size = self._compute(item)
        finally:
            self._busy.discard(item_id)
        self._cache[item_id] = size
        return size

    def _compute(self, item: Item) -> int | None:
        if isinstance(item, Disk):
            return item.size
        if isinstance(item, Partition):
            return item.size * self.sector_size(item.id)
        if isinstance(item, MdArray):
            if item.size is not None:
                return item.size
            sizes = [self.bytes(m) for m in item.members]
            if not sizes or any(s is None for s in sizes):
                return None
            usable = min(s for s in sizes if s is not None) - MD_MIN_OVERHEAD.get(item.metadata, 0)
            return max(0, int(usable * md_data_disks(item.level, len(sizes), item.layout)))
        if isinstance(item, Luks):
            if item.size is not None:
                return item.size
            below = self.bytes(item.device)
            return None if below is None else max(0, below - LUKS_MIN_HEADER.get(item.version, 0))
        if isinstance(item, LvmLv):
            return item.size
        if isinstance(item, LvmPv):
            return item.size if item.size is not None else self.bytes(item.device)
        return None

    def vg_capacity(self, vg: LvmVg) -> int | None:
        """Bytes a VG can allocate: whole extents on every PV after its metadata area."""
        if vg.pe_size <= 0:
            return None  # validation reports the extent size
        total = 0
        for pv_id in vg.pvs:
            pv_bytes = self.bytes(pv_id)
            if pv_bytes is None:
                return None
            total += max(0, (pv_bytes - LVM_PE_START) // vg.pe_size) * vg.pe_size
        return total


def extents(size: int, pe_size: int) -> int:
    """Whole extents needed for ``size`` bytes."""
    return -(-size // pe_size)


def lv_allocation(lv: LvmLv, pe_size: int) -> int:
    """Bytes an LV takes from its VG (thin volumes take theirs from the pool)."""
    if lv.segment_type == "thin":
        return 0
    data = extents(lv.size, pe_size) * pe_size
    if lv.segment_type in ("raid1", "mirror"):
        return data * (lv.stripes or 2)
    if lv.segment_type == "thin-pool":
        return data + extents(lv.metadata_size or 0, pe_size) * pe_size
    return data
