"""The references between layout items, as a graph.

Every stage walks the same graph: validation checks it, ``show`` prints it as
a tree, the plan orders creation by it. References are declared once, in the
model's field metadata (``refs``), and read here; nothing else hard-codes
which field points where.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from rescue_tui.layout.model import Item, Layout

CONSUMING_FIELDS: dict[str, tuple[str, ...]] = {
    "partition_table": ("device",),
    "md_array": ("members", "spares"),
    "luks": ("device",),
    "lvm_pv": ("device",),
    "filesystem": ("device",),
    "swap": ("device",),
    "lvm_vg": ("pvs",),
}
"""Fields whose target is used up by the referring item: one consumer each."""


@dataclass(frozen=True)
class Ref:
    """One reference from an item's field to another item's id."""

    source: str
    field: str
    index: int | None
    target: str
    allowed: tuple[str, ...]
    consuming: bool

    @property
    def where(self) -> str:
        """The field part of a JSON path: ``members[1]`` or ``device``."""
        return self.field if self.index is None else f"{self.field}[{self.index}]"


_REF_FIELDS: dict[type[Item], tuple[tuple[str, tuple[str, ...]], ...]] = {}


def _ref_fields(cls: type[Item]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(field name, allowed target types) for each reference field of an item class."""
    if cls not in _REF_FIELDS:
        _REF_FIELDS[cls] = tuple((f.name, f.metadata["refs"]) for f in dataclasses.fields(cls) if "refs" in f.metadata)
    return _REF_FIELDS[cls]


def refs_of(item: Item) -> Iterator[Ref]:
    """The references an item makes, in field order."""
    consuming_fields = CONSUMING_FIELDS.get(item.type, ())
    for name, allowed in _ref_fields(type(item)):
        value = getattr(item, name)
        if value is None:
            continue
        consuming = name in consuming_fields
        if isinstance(value, tuple):
            for index, target in enumerate(value):
                yield Ref(item.id, name, index, target, allowed, consuming)
        else:
            yield Ref(item.id, name, None, value, allowed, consuming)


class LayoutGraph:
    """Items, their positions in the file, and who refers to whom."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.items: dict[str, Item] = {}
        self.position: dict[str, int] = {}
        for index, item in enumerate(layout.items):
            self.items.setdefault(item.id, item)
            self.position.setdefault(item.id, index)
        self.refs: dict[str, list[Ref]] = {item.id: list(refs_of(item)) for item in layout.items}
        self.referrers: dict[str, list[Ref]] = {}
        for refs in self.refs.values():
            for ref in refs:
                self.referrers.setdefault(ref.target, []).append(ref)

    def path(self, item_id: str, field: str | None = None) -> str:
        """JSON path of an item (and field), with the id for readability."""
        base = f"$.items[{self.position[item_id]}] ({item_id})"
        return f"{base}.{field}" if field else base

    def children(self, item_id: str) -> list[Item]:
        """Items that refer to this one, in file order (the tree below it)."""
        seen: dict[str, Item] = {}
        for ref in self.referrers.get(item_id, []):
            if ref.source in self.items:
                seen.setdefault(ref.source, self.items[ref.source])
        return sorted(seen.values(), key=lambda i: self.position[i.id])

    def consumer(self, item_id: str) -> Item | None:
        """What is built directly on a device (its one consumer: a table, format, PV, md, LUKS), if anything."""
        for ref in self.referrers.get(item_id, []):
            if ref.consuming and ref.source in self.items:
                return self.items[ref.source]
        return None

    def parents(self, item_id: str) -> list[Item]:
        """Items this one refers to that exist."""
        return [self.items[r.target] for r in self.refs.get(item_id, []) if r.target in self.items]

    def disks_below(self, *item_ids: str) -> list[str]:
        """The disks these items ultimately stand on, each once, in reference order (md members in slot order).

        Iterative, so a hostile chain of arrays cannot exhaust the stack; a cycle is walked once.
        """
        out: list[str] = []
        seen: set[str] = set()
        stack = list(reversed(item_ids))
        while stack:
            current = stack.pop()
            if current in seen or current not in self.items:
                continue
            seen.add(current)
            if self.items[current].type == "disk":
                out.append(current)
                continue
            stack.extend(reversed([parent.id for parent in self.parents(current)]))
        return out

    def order(self) -> tuple[list[str], list[str]]:
        """Ids in dependency order (referenced first), and the ids caught in cycles.

        Kahn's algorithm, linear in items plus references; ties keep file order.
        """
        pending = {item_id: 0 for item_id in self.items}
        for item_id in self.items:
            pending[item_id] = len({r.target for r in self.refs[item_id] if r.target in self.items})
        ready = deque(sorted((i for i, n in pending.items() if n == 0), key=self.position.__getitem__))
        dependants: dict[str, set[str]] = {}
        for item_id in self.items:
            for r in self.refs[item_id]:
                if r.target in self.items:
                    dependants.setdefault(r.target, set()).add(item_id)
        ordered: list[str] = []
        while ready:
            current = ready.popleft()
            ordered.append(current)
            for dep in sorted(dependants.get(current, ()), key=self.position.__getitem__):
                pending[dep] -= 1
                if pending[dep] == 0:
                    ready.append(dep)
        cyclic = sorted((i for i, n in pending.items() if n > 0), key=self.position.__getitem__)
        return ordered, cyclic

    def roots(self) -> list[Item]:
        """Items that refer to nothing: the disks, normally."""
        return [self.items[i] for i in self.items if not self.parents(i)]
