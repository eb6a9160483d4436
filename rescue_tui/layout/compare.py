"""What changed between a saved layout and the system as it is now.

``rescue-tui layout check`` runs this from cron: a non-empty answer means
the saved layout no longer describes the machine and a new one should be
saved. Items are matched by what identifies them (a disk by WWN or serial,
a filesystem by UUID, a partition by its table and number), never by id or
kernel name, because ``sda`` and ``md0`` may be called ``sdb`` and
``md127`` after the next boot without anything having changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import (
    BtrfsSubvolume,
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
from rescue_tui.layout.network_diff import network_changes
from rescue_tui.layout.sizes import DeviceSizes
from rescue_tui.units import human_size

Translate = Callable[[str], str | None]
"""Maps a reference into the current layout's ids (identity for current items)."""
Key = Callable[[Any, Translate], Any]

IDENTITY_KEYS: dict[str, tuple[Key, ...]] = {
    "disk": (
        lambda d, _: d.wwn,
        lambda d, _: d.serial,
        lambda d, _: d.by_path,
        lambda d, _: d.name,
    ),
    "partition_table": (lambda t, tr: tr(t.device),),
    "partition": (
        lambda p, tr: (tr(p.table), p.number) if tr(p.table) else None,
        lambda p, _: p.partuuid,
    ),
    "md_array": (lambda m, _: m.uuid, lambda m, _: m.name),
    "luks": (lambda c, _: c.uuid, lambda c, tr: tr(c.device)),
    "lvm_pv": (lambda v, _: v.uuid, lambda v, tr: tr(v.device)),
    "lvm_vg": (lambda v, _: v.uuid, lambda v, _: v.name),
    "lvm_lv": (lambda v, _: v.uuid, lambda v, tr: (tr(v.vg), v.name) if tr(v.vg) else None),
    "filesystem": (lambda f, _: f.uuid, lambda f, tr: tr(f.device)),
    "btrfs_subvolume": (lambda s, tr: (tr(s.filesystem), s.path) if tr(s.filesystem) else None,),
    "swap": (lambda s, _: s.uuid, lambda s, tr: tr(s.device)),
    "mount": (lambda m, _: m.path,),
}
"""How items are recognised, strongest identity first."""

IGNORED: dict[str, frozenset[str]] = {
    "disk": frozenset({"name", "path"}),
    "partition": frozenset({"path"}),
    "md_array": frozenset({"name", "path"}),
    "luks": frozenset({"path"}),
    "lvm_lv": frozenset({"path"}),
    "filesystem": frozenset({"used"}),
    "btrfs_subvolume": frozenset({"subvol_id"}),
}
"""Fields that change without the layout changing: kernel names, usage, ids the kernel hands out."""

CASELESS = frozenset({"uuid", "partuuid", "disk_guid", "gpt_type", "mbr_type", "wwn"})
"""Hex identifiers that tools print in either case."""

BYTE_FIELDS = frozenset({"size", "pe_size", "stripe_size", "metadata_size", "chunk_size", "block_size", "used"})

NOUNS = {
    "disk": "disk",
    "partition_table": "partition table",
    "partition": "partition",
    "md_array": "md array",
    "luks": "LUKS container",
    "lvm_pv": "LVM PV",
    "lvm_vg": "LVM VG",
    "lvm_lv": "LVM LV",
    "filesystem": "filesystem",
    "btrfs_subvolume": "btrfs subvolume",
    "swap": "swap",
    "mount": "mount",
}


def _norm(key: Any) -> Any:
    return key.lower() if isinstance(key, str) else key


def match_items(saved: Layout, current: Layout) -> dict[str, str]:
    """Saved id -> current id for every saved item that still exists.

    Strong identities are settled across the whole layout before weaker
    ones are tried (a filesystem keeps its UUID-match even when another
    filesystem now sits on its old device). Within a pass, saved items go
    parents first, so a partition can be found by its (matched) table.
    """
    saved_graph = LayoutGraph(saved)
    order, cyclic = saved_graph.order()
    unmatched = {item.id: item for item in current.items}
    matches: dict[str, str] = {}

    def into_current(ref: str) -> str | None:
        return matches.get(ref)

    def same(ref: str) -> str | None:
        return ref

    strength = max(len(keys) for keys in IDENTITY_KEYS.values())
    for weakest in range(strength):
        for saved_id in order + cyclic:
            item = saved_graph.items[saved_id]
            if saved_id in matches:
                continue
            for key in IDENTITY_KEYS.get(item.type, ())[: weakest + 1]:
                wanted = _norm(key(item, into_current))
                if wanted is None:
                    continue
                found = next(
                    (c for c in unmatched.values() if c.type == item.type and _norm(key(c, same)) == wanted),
                    None,
                )
                if found is not None:
                    matches[saved_id] = found.id
                    del unmatched[found.id]
                    break
    return matches


class _Describer:
    """Human wording for the items of one layout."""

    def __init__(self, layout: Layout) -> None:
        self.graph = LayoutGraph(layout)
        self.sizes = DeviceSizes(self.graph)

    def name(self, item: Item) -> str:
        if isinstance(item, LvmLv):
            vg = self.graph.items.get(item.vg)
            return f"{vg.name if isinstance(vg, LvmVg) else item.vg}/{item.name}"
        if isinstance(item, Mount):
            return item.path
        return item.id

    def describe(self, item: Item) -> str:
        """``filesystem fs-sda1 (ext4, on sda1, UUID ...)``."""
        summary = self.summary(item)
        return f"{NOUNS[item.type]} {self.name(item)}" + (f" ({summary})" if summary else "")

    def summary(self, item: Item) -> str:
        """The few facts that say which item this is."""
        facts: list[str] = []
        if isinstance(item, Disk):
            facts = [human_size(item.size), *(f"{k} {v}" for k, v in (("serial", item.serial), ("wwn", item.wwn)) if v)]
        elif isinstance(item, PartitionTable):
            facts = [item.label]
        elif isinstance(item, Partition):
            facts = [f"#{item.number}", human_size(item.size * self.sizes.sector_size(item.id))]
        elif isinstance(item, MdArray):
            facts = [item.level, f"{len(item.members)} members"]
        elif isinstance(item, Luks):
            facts = [f"LUKS{item.version}", f"on {item.device}"]
        elif isinstance(item, LvmPv):
            facts = [f"on {item.device}"]
        elif isinstance(item, LvmVg):
            facts = [item.name, f"{len(item.pvs)} PV" + ("s" if len(item.pvs) != 1 else "")]
        elif isinstance(item, LvmLv):
            facts = [item.segment_type, human_size(item.size)]
        elif isinstance(item, Filesystem):
            facts = [item.fstype, f"on {item.device}", *([f"UUID {item.uuid}"] if item.uuid else [])]
        elif isinstance(item, BtrfsSubvolume):
            facts = [item.path, f"in {item.filesystem}"]
        elif isinstance(item, Swap):
            facts = [f"on {item.device}"]
        elif isinstance(item, Mount):
            facts = [f"of {item.source}"]
        return ", ".join(f for f in facts if f)

    def value(self, item: Item, field: str, value: Any) -> str:
        if value is None:
            return "none"
        if isinstance(item, Partition) and field in ("start", "size"):
            return f"{value} sectors ({human_size(value * self.sizes.sector_size(item.id))})"
        if field in BYTE_FIELDS and isinstance(value, int) and not isinstance(value, bool):
            return f"{human_size(value)} ({value} bytes)" if value >= 1024 else f"{value} bytes"
        if field == "chunk_kib":
            return f"{value} KiB"
        if isinstance(value, tuple):
            return "[" + ", ".join(str(v) for v in value) + "]" if value else "[]"
        return repr(value) if isinstance(value, str) else str(value)


def _ref_fields(item: Item) -> set[str]:
    return {f.name for f in dataclasses.fields(item) if "refs" in f.metadata}


def _item_changes(old: Item, new: Item, matches: dict[str, str], before: _Describer, after: _Describer) -> list[str]:
    label = before.name(old) if before.name(old) == after.name(new) else f"{before.name(old)} (now {after.name(new)})"
    refs = _ref_fields(old)
    lines: list[str] = []
    for f in dataclasses.fields(old):
        if f.name == "id" or f.name in IGNORED.get(old.type, ()):
            continue
        was, now = getattr(old, f.name), getattr(new, f.name)
        if f.name in refs:
            translated = (
                tuple(matches.get(r, f"{r} (gone)") for r in was)
                if isinstance(was, tuple)
                else (None if was is None else matches.get(was, f"{was} (gone)"))
            )
            if translated != now:
                lines.append(
                    _change_line(old, label, f.name, before.value(old, f.name, was), after.value(new, f.name, now))
                )
            continue
        differs = _norm(was) != _norm(now) if f.name in CASELESS else was != now
        if differs:
            lines.append(
                _change_line(old, label, f.name, before.value(old, f.name, was), after.value(new, f.name, now))
            )
    return lines


def _change_line(item: Item, label: str, field: str, was: str, now: str) -> str:
    return f"changed {NOUNS[item.type]} {label}: {field} {was} -> {now}"


def _header_changes(saved: Layout, current: Layout, matches: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for f in ("hostname", "architecture"):
        was, now = getattr(saved.machine, f), getattr(current.machine, f)
        if was != now:
            lines.append(f"changed machine: {f} {was!r} -> {now!r}")
    old_boot, new_boot = saved.boot, current.boot
    if (old_boot is None) != (new_boot is None):
        recorded = {True: "recorded", False: "not recorded"}
        lines.append(f"changed boot: {recorded[old_boot is not None]} -> {recorded[new_boot is not None]}")
    elif old_boot is not None and new_boot is not None:
        for f in ("firmware", "loader"):
            if getattr(old_boot, f) != getattr(new_boot, f):
                lines.append(f"changed boot: {f} {getattr(old_boot, f)!r} -> {getattr(new_boot, f)!r}")
        for f in ("disks", "esps"):
            was = sorted(matches.get(i, f"{i} (gone)") for i in getattr(old_boot, f))
            now = sorted(getattr(new_boot, f))
            if was != now:
                lines.append(f"changed boot: {f} [{', '.join(getattr(old_boot, f))}] -> [{', '.join(now)}]")
    return lines


def compare_layouts(saved: Layout, current: Layout) -> list[str]:
    """One readable line per difference; an empty list means the layouts describe the same storage and network.

    Volatile facts are ignored: when and by what it was captured, space in
    use, btrfs subvolume ids, kernel device names and paths.
    """
    matches = match_items(saved, current)
    before, after = _Describer(saved), _Describer(current)
    current_items = {item.id: item for item in current.items}
    lines = _header_changes(saved, current, matches)
    for old in saved.items:
        if old.id not in matches:
            lines.append(f"removed {before.describe(old)}")
        else:
            lines.extend(_item_changes(old, current_items[matches[old.id]], matches, before, after))
    matched = set(matches.values())
    lines.extend(f"added {after.describe(item)}" for item in current.items if item.id not in matched)
    lines.extend(network_changes(saved.network, current.network))
    return lines
