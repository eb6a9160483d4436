"""The state the ReaR import builds into, and the declarations that build it.

Why a module of its own: every record kind's parser returns a ``Decl``
whose ``build`` step writes into the one ``_Builder`` (items, what each
device path became, notes, exclusions), and the driver runs those steps in
the order their needs allow. The record kinds all share it; it depends only
on ``records``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rescue_tui.layout.model import Item, PartitionTableLabel
from rescue_tui.layout.rear_import.records import Record, _Bad

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


# --- helpers the record kinds share --------------------------------------------------------------


def _need(path: str, what: str) -> Need:
    return (f"dev:{path}", f"{what} {path}")


def _skipping_decl(rec: Record, provides: list[str], remark: str) -> Decl:
    """A component we recognise but leave out; whatever sits on it is left out too."""

    def build(b: _Builder) -> None:
        b.note(rec.line, remark)
        for key in provides:
            b.skip(key, f"skipped on line {rec.line}")

    return Decl(rec, [], provides, build)


def _note_unknown_keys(b: _Builder, rec: Record, opts: dict[str, str], known: frozenset[str]) -> None:
    unknown = [f"{k}={v}" for k, v in opts.items() if k not in known]
    if unknown:
        b.note(rec.line, f"{rec.keyword}: {', '.join(unknown)} not kept")
