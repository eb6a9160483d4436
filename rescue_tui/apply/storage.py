"""Run blivet's actions for the plan's storage steps, one step at a time, in the plan's order.

blivet is populated from the real (wiped) target disks and given the same
target layout the plan was made from; the steps it yields must equal the
plan's, or apply stops before writing: a plan for other disks is never
applied. Then each step's actions are executed the way blivet's
``ActionList.process`` does it, but in our order and with a journal entry
after every step (``process`` would sort the actions itself, quadratic, and
run them all in one go).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import blivet
from blivet.devices import MDRaidArrayDevice, PartitionDevice
from blivet.errors import DiskLabelCommitError, StorageError

from rescue_tui.apply import identity
from rescue_tui.errors import ApplyError, RefusedError
from rescue_tui.inventory.model import TargetDisk
from rescue_tui.plan.blivet_model import BlivetModel, build_blivet_model
from rescue_tui.plan.model import Plan, Step
from rescue_tui.plan.order import order_actions
from rescue_tui.plan.steps import StepBuilder

log = logging.getLogger(__name__)

_BLIVET_RUNNING = MDRaidArrayDevice._true_status_strings


def _running_states(self: MDRaidArrayDevice) -> tuple[str, ...]:
    """An array whose superblock update is pending is running: blivet 3.7.1 reads 'write-pending' as stopped.

    Right after a step writes to a new array (pvcreate), md marks its superblock dirty and the
    array_state file says 'write-pending' until the update is written; under emulation that lasts
    long enough for the next step's ``setup()`` to see it, take the array for stopped, and run
    ``mdadm --assemble``, which fails with "member busy" (about one raid1-lvm apply in twelve in the
    rescue guest; the array was running all along, as /proc/mdstat showed).
    """
    return (*_BLIVET_RUNNING.fget(self), "write-pending")


MDRaidArrayDevice._true_status_strings = property(_running_states)


@dataclasses.dataclass
class StorageRun:
    """blivet populated from the targets, the plan's steps rebuilt on it, and the actions for each step."""

    storage: blivet.Blivet
    model: BlivetModel
    actions_of: dict[str, list[Any]]

    def execute(self, step: Step) -> None:
        """Run the blivet actions of one step (none for steps blivet does not do)."""
        actions = self.actions_of.get(step.id, [])
        devices = self.storage.devices
        if actions:
            self._sync_arrays(devices)
        pending = self.storage.devicetree.actions._actions
        for action in actions:
            if action not in pending:
                continue  # pruned by blivet's pre-processing (destroying a format that never existed)
            try:
                _execute(action, devices)
            except Exception as exc:  # blivet raises its own errors, libblockdev's GLib errors and OSError alike
                log.debug("%s failed", action, exc_info=True)
                raise ApplyError(f"{step.id} ({step.summary()}): {_one_line(exc)}") from exc
            pending.remove(action)
            self.storage.devicetree.actions._completed_actions.append(action)

    @staticmethod
    def _sync_arrays(devices: list[Any]) -> None:
        """Re-read where each array made so far runs (see ``identity.sync_blivet_md``)."""
        for device in devices:
            if isinstance(device, MDRaidArrayDevice) and device.exists:
                identity.sync_blivet_md(device)

    def finish(self) -> None:
        """blivet's bookkeeping after the last action (parted copies of the new tables)."""
        self.storage.devicetree.actions._post_process(devices=self.storage.devices)


def _one_line(exc: BaseException) -> str:
    """A library error as one line (libblockdev's carry the tool's whole stderr; the rest is in the log)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _execute(action: Any, devices: list[Any]) -> None:
    """One action, as ``ActionList.process`` runs it (blivet 3.7.1)."""
    log.info("executing action: %s", action)
    try:
        action.execute(None)
    except DiskLabelCommitError:
        # a previous action may have set up an md or LVM device on the disk: take it down, retry once
        for dependant in {d for d in devices if d.exists and any(d.depends_on(disk) for disk in action.device.disks)}:
            dependant.teardown(recursive=True)
        action.execute(None)
    for device in devices:
        if device.exists and isinstance(device, PartitionDevice):
            device.update_name()  # parted may renumber
            device.format.device = device.path


def _comparable(step: Step) -> Step:
    return dataclasses.replace(step, id="", after=())


def prepare(plan: Plan, targets: dict[str, TargetDisk], *, passphrase: str, target_root: str) -> StorageRun:
    """Populate blivet from the targets and schedule the plan on them; refuse if the steps differ."""
    storage = blivet.Blivet()
    storage.exclusive_disks = [t.name for t in targets.values()]
    try:
        storage.reset()
    except StorageError as exc:
        raise ApplyError(f"blivet could not read the target disks: {exc}") from exc
    disks: dict[str, Any] = {}
    for planned in plan.disks:
        device = storage.devicetree.get_device_by_path(planned.path)
        if device is None:
            raise RefusedError(f"{planned.path}: blivet does not see this disk")
        if device.format.type is not None or device.children:
            raise ApplyError(f"{planned.path}: still holds {device.format.type or 'partitions'} after the wipe")
        disks[planned.source] = device
    model = build_blivet_model(plan.layout, disks, passphrase=passphrase, storage=storage)
    builder = StepBuilder(plan.layout, model, targets, target_root)
    steps = builder.build()
    ours = [_comparable(s) for s in plan.steps if s.kind != "wipe-disk"]
    now = [_comparable(s) for s in steps if s.kind != "wipe-disk"]
    if ours != now:
        first = next((i for i, (a, b) in enumerate(zip(ours, now, strict=False)) if a != b), min(len(ours), len(now)))
        was = ours[first].summary() if first < len(ours) else "(nothing)"
        now_is = now[first].summary() if first < len(now) else "(nothing)"
        raise RefusedError(f"the plan no longer matches these disks: step {first + 1} planned '{was}', now '{now_is}'")
    by_position = {new.id: old.id for new, old in zip(steps, plan.steps, strict=True)}
    actions_of = {by_position[step_id]: actions for step_id, actions in builder.actions_of.items()}
    _prepare_actions(storage)
    return StorageRun(storage=storage, model=model, actions_of=actions_of)


def _prepare_actions(storage: blivet.Blivet) -> None:
    """blivet's pre-processing (prune, parted resets, pre-commit fix-ups) with our ordering in place of its sort."""
    action_list = storage.devicetree.actions

    def our_sort() -> None:
        action_list._actions = order_actions(action_list._actions)

    action_list.sort = our_sort
    action_list._pre_process(devices=storage.devices)
