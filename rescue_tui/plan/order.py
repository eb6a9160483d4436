"""Order blivet actions in linear time, from the device graph.

blivet's ``ActionList.sort`` asks ``requires()`` of every pair of actions:
quadratic, two minutes for 689 actions. The same constraints follow from
each action's device and its parents, so a topological sort over direct
edges gives an order blivet's own ``requires()`` accepts, in O(actions +
edges). The rules mirror blivet 3.7.1's ``requires()``:

* destroy actions come before resize actions, which come before create actions
  (blivet: an action requires every action of a higher type value);
* a destroy on a device comes after the destroys on what is built on it;
* a create on a device comes after every action on that device's parents
  (and so, transitively, its ancestors);
* a format is created after its device;
* partitions on one disk are created in number order;
* in one VG, linear LVs are created after the other LVs (thin pools first).

Ties keep blivet's registration order, so the result is deterministic.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from typing import Any

from blivet.devices import LVMLogicalVolumeDevice, PartitionDevice

_PHASE = {1000: 0, 500: 1, 100: 2}
"""blivet action type value -> phase: destroy, resize, create."""


def _phase(action: Any) -> int:
    return _PHASE.get(action.type, 3)


def action_edges(actions: Sequence[Any]) -> list[list[int]]:
    """For each action, the indexes of the actions it must follow (direct edges only)."""
    by_phase_device: dict[int, dict[int, list[int]]] = {}
    for index, action in enumerate(actions):
        by_phase_device.setdefault(_phase(action), {}).setdefault(action.device.id, []).append(index)
    before: list[list[int]] = [[] for _ in actions]
    # partitions of one disk, in number order; LVs of one VG, non-linear before linear
    last_partition: dict[int, int] = {}
    nonlinear_lvs: dict[int, list[int]] = {}
    creates = sorted(
        (i for i, a in enumerate(actions) if a.is_create and a.is_device), key=lambda i: _partition_number(actions[i])
    )
    for index in creates:
        device = actions[index].device
        if isinstance(device, PartitionDevice) and device.parted_partition is not None:
            disk = device.disk.id
            if disk in last_partition:
                before[index].append(last_partition[disk])
            last_partition[disk] = index
        if isinstance(device, LVMLogicalVolumeDevice) and device.seg_type != "linear":
            nonlinear_lvs.setdefault(device.vg.id, []).append(index)
    for index, action in enumerate(actions):
        device = action.device
        phase = _phase(action)
        by_device = by_phase_device[phase]
        ancestors = _ancestor_actions(device, by_device)
        if phase == 0:
            for i in ancestors:  # destroy the top of a stack first: what sits on a device goes before it
                before[i].append(index)
        else:
            before[index].extend(ancestors)
        if phase == 2 and action.is_format:
            before[index].extend(i for i in by_device.get(device.id, ()) if actions[i].is_device)
        if (
            action.is_create
            and action.is_device
            and isinstance(device, LVMLogicalVolumeDevice)
            and device.seg_type == "linear"
        ):
            before[index].extend(nonlinear_lvs.get(device.vg.id, ()))
    return before


def _ancestor_actions(device: Any, by_device: dict[int, list[int]]) -> list[int]:
    """Actions (of one phase) on the nearest ancestors that have any; a parent without passes on to its parents."""
    found: list[int] = []
    for parent in device.parents:
        found.extend(by_device.get(parent.id) or _ancestor_actions(parent, by_device))
    return found


def _partition_number(action: Any) -> int:
    device = action.device
    if isinstance(device, PartitionDevice) and device.parted_partition is not None:
        return int(device.parted_partition.number)
    return 0


def order_actions(actions: Sequence[Any]) -> list[Any]:
    """Actions in an order blivet's ``requires()`` accepts: phases first, then Kahn's algorithm within each."""
    edges = action_edges(actions)
    result: list[Any] = []
    for phase in sorted({_phase(a) for a in actions}):
        members = [i for i, a in enumerate(actions) if _phase(a) == phase]
        pending = {i: 0 for i in members}
        followers: dict[int, list[int]] = {}
        for i in members:
            for j in set(edges[i]):
                if j in pending:
                    pending[i] += 1
                    followers.setdefault(j, []).append(i)
        ready = deque(i for i in members if pending[i] == 0)
        done = 0
        while ready:
            current = ready.popleft()
            result.append(actions[current])
            done += 1
            for follower in followers.get(current, ()):
                pending[follower] -= 1
                if pending[follower] == 0:
                    ready.append(follower)
        if done != len(members):
            raise ValueError("cycle among blivet actions")  # a bug in the builder, never bad input
    return result


def order_steps(ids: Sequence[str], after: dict[str, Sequence[str]]) -> list[str]:
    """Step ids in dependency order: Kahn's algorithm taking the earliest-listed ready step first.

    A heap keeps related steps together (a fix-up right after what it fixes), so a
    plan reads in the order it was built whenever that order is already valid.
    O(n log n) in steps plus edges.
    """
    position = {step: i for i, step in enumerate(ids)}
    pending = {step: 0 for step in ids}
    followers: dict[str, list[str]] = {}
    for step in ids:
        for dep in set(after.get(step, ())):
            if dep not in position:
                raise ValueError(f"step {step} follows unknown step {dep}")
            pending[step] += 1
            followers.setdefault(dep, []).append(step)
    heap = [position[step] for step in ids if pending[step] == 0]
    heapq.heapify(heap)
    ordered: list[str] = []
    while heap:
        current = ids[heapq.heappop(heap)]
        ordered.append(current)
        for follower in followers.get(current, ()):
            pending[follower] -= 1
            if pending[follower] == 0:
                heapq.heappush(heap, position[follower])
    if len(ordered) != len(ids):
        stuck = sorted((s for s, n in pending.items() if n), key=position.__getitem__)
        raise ValueError(f"steps in a cycle: {', '.join(stuck)}")
    return ordered
