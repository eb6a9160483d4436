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
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.plan.blivet_model import BlivetModel
from rescue_tui.plan.model import Plan, Rescan, Step
from rescue_tui.plan.order import order_actions
from rescue_tui.plan.stages import Stages, array_stage_model, plan_stages, planned_models
from rescue_tui.plan.steps import StepBuilder
from rescue_tui.udev import settle

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
    """The first stage's model (the md arrays the storage phase fixes up are in it)."""
    actions_of: dict[str, list[Any]]
    plan: Plan
    stages: Stages
    builder: StepBuilder
    passphrase: str

    def execute(self, step: Step) -> None:
        """Run the blivet actions of one step (none for steps blivet does not do)."""
        if isinstance(step, Rescan):
            self._next_stage()
            return
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

    def _next_stage(self) -> None:
        """Read the new arrays back and schedule the rest of the plan on them; refuse if it differs from the plan."""
        self.finish()
        settle(60, error=ApplyError)
        arrays = [md.name for md in self.stages.arrays]
        self.storage.exclusive_disks = [*self.storage.exclusive_disks, *arrays]  # blivet hides other "disks"
        _reset(self.storage)
        model = array_stage_model(self.builder.graph, self.stages, self.storage, passphrase=self.passphrase)
        builder = StepBuilder(self.builder.graph, [*self.builder.models, model], self.builder.targets,
                              self.builder.target_root)  # fmt: skip
        steps = builder.build()
        _same_steps(_after_rescan(self.plan.steps), _after_rescan(steps))
        self.actions_of.update(_actions_by_plan_id(builder, steps, self.plan))
        self.builder = builder
        _prepare_actions(self.storage)


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


def _reset(storage: blivet.Blivet) -> None:
    try:
        storage.reset()
    except StorageError as exc:
        raise ApplyError(f"blivet could not read the target disks: {exc}") from exc


def _same_steps(planned: list[Step], now: list[Step]) -> None:
    """Refuse, naming the first difference, unless the steps are the plan's (ids and order links aside)."""
    ours = [_comparable(s) for s in planned if s.kind != "wipe-disk"]
    scheduled = [_comparable(s) for s in now if s.kind != "wipe-disk"]
    if ours != scheduled:
        pairs = zip(ours, scheduled, strict=False)
        first = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(ours), len(scheduled)))
        was = ours[first].summary() if first < len(ours) else "(nothing)"
        now_is = scheduled[first].summary() if first < len(scheduled) else "(nothing)"
        raise RefusedError(f"the plan no longer matches these disks: step {first + 1} planned '{was}', now '{now_is}'")


def _after_rescan(steps: tuple[Step, ...] | list[Step]) -> list[Step]:
    """The steps a later stage schedules: all after the plan's (one) rescan step."""
    marks = [i for i, s in enumerate(steps) if isinstance(s, Rescan)]
    return list(steps[marks[-1] + 1 :]) if marks else []


def _actions_by_plan_id(builder: StepBuilder, steps: list[Step], plan: Plan) -> dict[str, list[Any]]:
    if len(steps) != len(plan.steps):
        raise RefusedError(f"the plan no longer matches these disks: {len(plan.steps)} steps planned, {len(steps)} now")
    by_position = {new.id: old.id for new, old in zip(steps, plan.steps, strict=True)}
    return {by_position[step_id]: actions for step_id, actions in builder.actions_of.items()}


def prepare(plan: Plan, targets: dict[str, TargetDisk], *, passphrase: str, target_root: str) -> StorageRun:
    """Populate blivet from the targets and schedule the plan on them; refuse if the steps differ.

    With a partitioned array, what stands on it is modelled here over a stand-in of the array (as
    when planning), so the whole plan is compared before the first write, and again on the real
    array at the plan's rescan step.
    """
    storage = blivet.Blivet()
    storage.exclusive_disks = [t.name for t in targets.values()]
    _reset(storage)
    disks: dict[str, Any] = {}
    for planned in plan.disks:
        device = storage.devicetree.get_device_by_path(planned.path)
        if device is None:
            raise RefusedError(f"{planned.path}: blivet does not see this disk")
        if device.format.type is not None or device.children:
            raise ApplyError(f"{planned.path}: still holds {device.format.type or 'partitions'} after the wipe")
        disks[planned.source] = device
    graph = LayoutGraph(plan.layout)
    stages = plan_stages(graph)
    with planned_models(graph, stages, disks, passphrase=passphrase, storage=storage) as models:
        builder = StepBuilder(graph, models, targets, target_root)
        steps = builder.build()
    _same_steps(list(plan.steps), steps)
    first_stage = set(models[0].scheduled)
    actions_of = {
        step_id: actions
        for step_id, actions in _actions_by_plan_id(builder, steps, plan).items()
        if all(a in first_stage for a in actions)
    }
    builder.models = models[:1]  # the stand-in stage is replaced by the real arrays at the rescan
    _prepare_actions(storage)
    return StorageRun(
        storage=storage,
        model=models[0],
        actions_of=actions_of,
        plan=plan,
        stages=stages,
        builder=builder,
        passphrase=passphrase,
    )


def _prepare_actions(storage: blivet.Blivet) -> None:
    """blivet's pre-processing (prune, parted resets, pre-commit fix-ups) with our ordering in place of its sort."""
    action_list = storage.devicetree.actions

    def our_sort() -> None:
        action_list._actions = order_actions(action_list._actions)

    action_list.sort = our_sort
    action_list._pre_process(devices=storage.devices)
