"""A recovery in blivet stages: a partitioned md array is partitioned once it exists.

blivet partitions only arrays that exist (``MDRaidArrayDevice.partitionable``
asks ``exists``), and a partition table needs a device to hold it. So a layout
with a partitioned array (ReaR's whole-disk RAID: md on the disks, the
partitions on the array) is modelled in two stages: the first builds
everything up to the arrays; the second partitions each array and builds what
stands on its partitions. Planning models the second stage over a sparse
stand-in of each array's modelled size; apply, once the first stage is done,
reads the real arrays back (the plan's ``rescan`` step) and models it on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import blivet

from rescue_tui.errors import RefusedError
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import Disk, MdArray, PartitionTable
from rescue_tui.plan.blivet_model import PLANNING_PASSPHRASE, BlivetModel, build_blivet_model
from rescue_tui.plan.disk_files import stand_ins
from rescue_tui.plan.md_geometry import raid1_size


@dataclass(frozen=True)
class Stages:
    """What blivet builds in each stage, and the partitioned arrays the second stage stands on."""

    items: tuple[frozenset[str], ...]
    """Layout ids per stage: one stage, or a second for what stands on the arrays."""
    arrays: tuple[MdArray, ...]


def plan_stages(graph: LayoutGraph) -> Stages:
    """The stages of a layout, derived once per plan (and once per apply).

    Refused (one line) when the second stage would need more than the arrays from the first (a VG
    across an array's partition and another disk), when an array to partition sits on partitions
    (blivet partitions arrays of whole disks only), or when partitioned arrays nest.
    """
    arrays = tuple(md for md in graph.layout.of_type(MdArray) if isinstance(graph.consumer(md.id), PartitionTable))
    everything = frozenset(graph.items)
    if not arrays:
        return Stages(items=(everything,), arrays=())
    above: set[str] = set()
    pending = [table.id for md in arrays if (table := graph.consumer(md.id)) is not None]
    while pending:
        item_id = pending.pop()
        if item_id not in above:
            above.add(item_id)
            pending.extend(child.id for child in graph.children(item_id))
    array_ids = {md.id for md in arrays}
    for md in arrays:
        if md.id in above:
            raise RefusedError(f"md array {md.name}: a partitioned array on another one's partitions is not planned")
        if md.level != "raid1":
            raise RefusedError(f"md array {md.name}: partitioned {md.level} arrays are not planned (RAID1 only)")
        on = [graph.items[m] for m in (*md.members, *md.spares)]
        if not all(isinstance(m, Disk) for m in on):
            raise RefusedError(
                f"md array {md.name}: it is partitioned but its members are partitions; blivet partitions "
                "arrays of whole disks only"
            )
    for item_id in sorted(above, key=graph.position.__getitem__):
        outside = [p.id for p in graph.parents(item_id) if p.id not in above and p.id not in array_ids]
        if outside:
            raise RefusedError(
                f"{item_id}: it stands on a partitioned md array and on {', '.join(outside)}; "
                "such a layout is not planned (each partitioned array's contents must stand on it alone)"
            )
    return Stages(items=(everything - above, frozenset(above)), arrays=arrays)


def _array_sizes(arrays: tuple[MdArray, ...], first: BlivetModel) -> dict[str, int]:
    """Each partitioned array's size as mdadm will make it (blivet's estimate keeps MiBs more in reserve)."""
    return {md.name: raid1_size([int(first.devices[m].size) for m in md.members], md.metadata) for md in arrays}


@contextmanager
def planned_models(
    graph: LayoutGraph,
    stages: Stages,
    disks: dict[str, Any],
    *,
    passphrase: str = PLANNING_PASSPHRASE,
    storage: blivet.Blivet | None = None,
) -> Iterator[list[BlivetModel]]:
    """One model per stage; a second stage over stand-ins of the arrays as the first stage sizes them.

    ``disks`` and ``storage`` are as for ``build_blivet_model``: stand-ins when planning, the populated
    targets when apply checks the whole plan before its first write.
    """
    first = build_blivet_model(graph, disks, passphrase=passphrase, storage=storage, only=stages.items[0])
    if not stages.arrays:
        yield [first]
        return
    with stand_ins(_array_sizes(stages.arrays, first), "md array") as files:
        bases = {md.id: files[md.name] for md in stages.arrays}
        yield [first, build_blivet_model(graph, bases, passphrase=passphrase, only=stages.items[1])]


def array_stage_model(graph: LayoutGraph, stages: Stages, storage: blivet.Blivet, *, passphrase: str) -> BlivetModel:
    """The second stage on the arrays the first one made, as blivet reads them back from the disks."""
    bases: dict[str, Any] = {}
    for md in stages.arrays:
        device = storage.devicetree.get_device_by_name(md.name) or storage.devicetree.get_device_by_path(
            f"/dev/{md.name}"
        )
        if device is None or not device.partitionable:
            raise RefusedError(f"md array {md.name}: blivet does not see it as a partitionable array after creating it")
        if device.format.type is not None or device.children:
            raise RefusedError(f"md array {md.name}: holds {device.format.type or 'partitions'} right after creation")
        bases[md.id] = device
    return build_blivet_model(graph, bases, passphrase=passphrase, storage=storage, only=stages.items[1])
