"""Make a plan: layout + disks present (+ operator choices) -> Plan. Reads disks' metadata only; writes nothing.

The order: validate the layout, propose and check the mapping, fit sizes
(resize policy), model the result in blivet over sparse stand-ins of the
targets, turn its actions into ordered steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rescue_tui.files import sha256_file
from rescue_tui.inventory.model import Inventory
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import Layout, LvmVg
from rescue_tui.layout.validate import load_valid_layout
from rescue_tui.mapping.model import Mapping
from rescue_tui.mapping.propose import propose_mapping
from rescue_tui.mapping.resize import ResizeOptions, disk_needs, resize_for_targets
from rescue_tui.plan.blivet_model import BlivetModel
from rescue_tui.plan.disk_files import disk_files
from rescue_tui.plan.model import Plan, PlannedDisk
from rescue_tui.plan.stages import plan_stages, planned_models
from rescue_tui.plan.steps import build_steps
from rescue_tui.units import human_size

DEFAULT_TARGET_ROOT = "/mnt/target"


@dataclass(frozen=True)
class PlanRequest:
    """What the operator asked for."""

    layout_path: Path
    inventory: Inventory
    overrides: dict[str, str] = field(default_factory=dict)
    resize: ResizeOptions = field(default_factory=ResizeOptions)
    target_root: str = DEFAULT_TARGET_ROOT


def make_plan(request: PlanRequest) -> Plan:
    """The full plan for a request; RescueError (exit 2) with one line per problem when it cannot be made."""
    layout = load_valid_layout(request.layout_path)
    mapping = propose_mapping(layout, request.inventory, disk_needs(layout, request.resize), request.overrides)
    return plan_for_mapping(layout, mapping, request, sha256=sha256_file(request.layout_path))


def plan_for_mapping(layout: Layout, mapping: Mapping, request: PlanRequest, *, sha256: str) -> Plan:
    """The plan for a mapping already decided (the TUI's remap screen calls this directly)."""
    targets = {d.name: d for d in request.inventory.disks}
    resized = resize_for_targets(layout, mapping, targets, request.resize)
    mapped = [targets[p.target] for p in mapping.pairs]
    with disk_files(mapped) as files:
        stand_ins = {p.source: files[p.target] for p in mapping.pairs}
        graph = LayoutGraph(resized.layout)  # one graph of the target layout for every model and the steps
        with planned_models(graph, plan_stages(graph), stand_ins) as models:
            steps = build_steps(graph, models, targets, target_root=request.target_root)
            notes = _notes(resized.layout, models)
    disks = tuple(
        PlannedDisk(
            name=t.name, path=t.path, size=t.size, serial=t.serial, by_path=t.by_path,
            source=p.source, source_name=p.source_name, reason=p.reason,
        )
        for p in mapping.pairs
        for t in [targets[p.target]]
    )  # fmt: skip
    return Plan(
        hostname=layout.machine.hostname,
        layout_sha256=sha256,
        layout_source=str(request.layout_path),
        inventory_source=request.inventory.source,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        disks=disks,
        layout=resized.layout,
        changes=resized.changes,
        steps=tuple(steps),
        notes=tuple(notes),
    )


def _notes(layout: Layout, models: list[BlivetModel]) -> list[str]:
    notes = []
    if layout.of_type(LvmVg):
        notes.append(
            "LVM PV, VG and LV UUIDs will be new: LVM finds volumes by name, fstab refers to filesystem UUIDs."
        )
    for vg in layout.of_type(LvmVg):
        device = next((m.devices[vg.id] for m in models if vg.id in m.devices), None)
        if device is not None and int(device.free_space) > 0:
            notes.append(f"VG {vg.name}: {human_size(int(device.free_space))} left free after recovery")
    return notes
