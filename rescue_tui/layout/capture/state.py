"""The working state of one build, shared by the modules that add items.

Every builder step reads the probes through it and appends items to it;
ids map kernel names to the items made for them, so a later step can refer
to what an earlier one made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, get_args

from rescue_tui.layout.capture import parse, tree
from rescue_tui.layout.capture.probes import ProbeSet
from rescue_tui.layout.model import FsType, Item

FS_TYPES: tuple[str, ...] = get_args(FsType)
"""Filesystem types a layout can hold."""


def natural_key(text: str) -> tuple[Any, ...]:
    """``sda2`` before ``sda10``."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def lower(value: Any) -> str | None:
    return str(value).lower() if value not in (None, "") else None


def to_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class BuildState:
    """The state of one build: nodes, their formats, and the items made so far."""

    probes: ProbeSet
    nodes: dict[str, tree.Node] = field(init=False)
    formats: dict[str, dict[str, str]] = field(init=False)
    ids: dict[str, str] = field(default_factory=dict)
    """Kernel name -> id of the block-device item it is."""
    held: dict[str, str] = field(default_factory=dict)
    """Kernel name -> id of the format item on it (filesystem, swap, LUKS, PV)."""
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    by_path: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.nodes = tree.nodes_from_lsblk(self.probes.lsblk)
        self.formats = {}
        for kname, node in self.nodes.items():
            self.by_path.setdefault(node.path, kname)
            self.by_path.setdefault(f"/dev/{kname}", kname)
            recorded = self.probes.blkid.get(node.path)
            if recorded is not None:
                self.formats[kname] = parse.key_values(recorded)
            else:
                raw = {"TYPE": node.get("fstype"), "UUID": node.get("uuid"), "LABEL": node.get("label"),
                       "PTTYPE": node.get("pttype"), "PTUUID": node.get("ptuuid")}  # fmt: skip
                self.formats[kname] = {k: str(v) for k, v in raw.items() if v is not None}

    # --- lookups -------------------------------------------------------------------------------

    def resolve(self, path: str) -> str | None:
        """The kernel name a device path leads to (via the recorded symlinks)."""
        return self.by_path.get(self.probes.links.get(path, path)) or self.by_path.get(path)

    def fstype(self, kname: str) -> str | None:
        return self.formats.get(kname, {}).get("TYPE")

    def add(self, item: Item) -> Item:
        self.items.append(item)
        return item
