"""Helpers for planning tests: examples, inventories of target disks, plans."""

from __future__ import annotations

from pathlib import Path

from rescue_tui.inventory.model import Inventory, TargetDisk
from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.model import Disk, Layout
from rescue_tui.mapping.resize import ResizeOptions
from rescue_tui.plan.build import PlanRequest, make_plan
from rescue_tui.plan.model import Plan
from tests.conftest import ROOT

EXAMPLES = ROOT / "layouts" / "examples"
MIB = 1024 * 1024


def example(name: str) -> Path:
    return EXAMPLES / f"{name}.json"


def targets_like(layout: Layout, scale: float = 1.0, prefix: str = "vd", **extra: object) -> Inventory:
    """One target per original disk, ``scale`` times its size (1 MiB multiples), named vdb, vdc, ..."""
    disks = []
    for index, disk in enumerate(layout.of_type(Disk)):
        size = disk.size if scale == 1.0 else int(disk.size * scale) // MIB * MIB
        name = f"{prefix}{chr(ord('b') + index)}" if index < 24 else f"t{index}"
        disks.append(TargetDisk(name=name, path=f"/dev/{name}", size=size, **extra))  # type: ignore[arg-type]
    return Inventory(disks=tuple(disks), source="test")


def plan_for(name: str, inventory: Inventory | None = None, scale: float = 1.0, **options: object) -> Plan:
    path = example(name)
    inventory = inventory or targets_like(read_layout(path), scale)
    return make_plan(PlanRequest(layout_path=path, inventory=inventory, resize=ResizeOptions(**options)))  # type: ignore[arg-type]
