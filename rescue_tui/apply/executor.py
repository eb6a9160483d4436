"""Apply a plan, step by step, journaled: the storage phase, identity fix-ups, subvolumes, the target tree.

Resume policy, stated once: the *storage phase* (wipe and every blivet step,
with the md fix-ups between them) is one unit. If it was interrupted, resume
takes down what this apply built and starts the phase again from the wipe:
the targets hold nothing but what this apply wrote (preflight checked them,
the journal proves the wipe), so redoing is safe, while continuing inside a
half-made md or a half-written filesystem is not. Once the phase is
complete it is never redone; later steps (fix-ups, subvolumes, mounts) are
idempotent and resume runs those not yet done.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rescue_tui.apply import disks, identity, mounts
from rescue_tui.apply.journal import DEFAULT_DIR, Journal
from rescue_tui.apply.preflight import check_system, check_targets
from rescue_tui.errors import ApplyCancelledError, ApplyError, RefusedError, RescueError
from rescue_tui.events import Listener, Notice, StepFailed, StepFinished, StepStarted, ignore
from rescue_tui.files import sha256_file
from rescue_tui.inventory.live import live_inventory
from rescue_tui.inventory.model import Inventory, TargetDisk
from rescue_tui.lock import recovery_lock
from rescue_tui.plan.codec import plan_to_json
from rescue_tui.plan.integrity import device_problems
from rescue_tui.plan.model import CreateMd, CreateSubvolume, MountStep, Plan, SetIdentity, Step, WipeDisk

AFTER_STORAGE: dict[type[Step], Callable[[Any, Plan, str], object]] = {
    SetIdentity: lambda step, plan, root: identity.set_identity(step, plan),
    CreateSubvolume: lambda step, plan, root: mounts.create_subvolume(step),
    MountStep: lambda step, plan, root: mounts.mount_step(step, root),
}
"""Step kind -> what runs it once the storage phase is done (each idempotent: a resume may run it again).
The storage phase itself is the wipe, then blivet's steps (``storage.StorageRun``) with the md fix-ups."""


def plan_digest(plan: Plan) -> str:
    return hashlib.sha256(plan_to_json(plan).encode()).hexdigest()


@dataclass
class ApplyOptions:
    passphrase: str | None = None
    """LUKS passphrase for new containers (never logged, never on a command line)."""
    target_root: str = "/mnt/target"
    resume: bool = False
    journal_dir: Path = DEFAULT_DIR
    mirrors: list[Path] = field(default_factory=list)
    """Extra journal copies (a USB stick) that survive a power loss."""


@dataclass
class Prepared:
    """What preflight found: the plan may be applied to these disks."""

    plan: Plan
    options: ApplyOptions
    inventory: Inventory
    journal: Journal

    @property
    def destructive(self) -> bool:
        """True when applying would still write storage (needs the operator's confirmation)."""
        return not self.journal.phase_done("storage")


def storage_phase(plan: Plan) -> list[Step]:
    """Steps of the storage phase: up to the last one blivet runs (md fix-ups included)."""
    last = max((i for i, s in enumerate(plan.steps) if not isinstance(s, SetIdentity | CreateSubvolume | MountStep)
                or (isinstance(s, SetIdentity) and s.field.startswith("md-"))), default=-1)  # fmt: skip
    return list(plan.steps[: last + 1])


def _disk_identities(plan: Plan, inventory: Inventory) -> list[dict[str, object]]:
    """What the plan's disks are now (the journal keeps it: a resume on other disks is refused)."""
    out: list[dict[str, object]] = []
    for disk in plan.disks:
        found = inventory.find(disk.path)
        out.append({"path": disk.path, "serial": found.serial if found else None,
                    "by_path": found.by_path if found else None, "size": found.size if found else None})  # fmt: skip
    return out


def layout_problems(plan: Plan) -> list[str]:
    """The layout file the plan was made from, when it is still here, must be unchanged."""
    source = Path(plan.layout_source)
    try:
        now = sha256_file(source) if source.is_file() else None
    except OSError:
        now = None
    if now is not None and now != plan.layout_sha256:
        return [f"{source}: the layout changed since the plan was made (sha256 {now[:12]}, planned "
                f"{plan.layout_sha256[:12]}): make the plan again"]  # fmt: skip
    return []


def prepare(plan: Plan, options: ApplyOptions, *, inventory: Inventory | None = None) -> Prepared:
    """Preflight: every problem at once, before anything is written; opens (or resumes) the journal."""
    digest = plan_digest(plan)
    journal_path = options.journal_dir / f"apply-{digest[:16]}.jsonl"
    inventory = inventory or live_inventory()
    journal = Journal.open(
        journal_path, digest, resume=options.resume, mirrors=options.mirrors, disks=_disk_identities(plan, inventory)
    )
    ours = options.resume and any(e.get("event") == "done" for e in journal.entries)
    problems = device_problems(plan) + layout_problems(plan)
    problems += check_targets(plan, inventory, our_holders=ours) + check_system(plan)
    if plan.luks_containers and not options.passphrase:
        problems.append("the plan creates LUKS containers: give their passphrase (--passphrase-file)")
    if problems:
        if not options.resume:
            journal.path.unlink(missing_ok=True)  # nothing was done: leave no journal behind
        raise RefusedError.of(problems)
    return Prepared(plan=plan, options=options, inventory=inventory, journal=journal)


class _Runner:
    def __init__(self, prepared: Prepared, listener: Listener, cancel: threading.Event | None = None) -> None:
        self.p = prepared
        self.cancel = cancel
        self.plan = prepared.plan
        self.journal = prepared.journal
        self.emit = listener
        self.total = len(self.plan.steps)
        self.index = {s.id: i + 1 for i, s in enumerate(self.plan.steps)}

    def step(self, step: Step, action: Callable[[], object], *, redo: bool = False) -> None:
        """Run one step and journal it; a step the journal has as done is skipped unless ``redo``."""
        if step.id in self.journal.done() and not redo:
            self.emit(StepFinished(step.id, 0.0, skipped=True))
            return
        if self.cancel is not None and self.cancel.is_set():
            self.journal.record("cancelled", step=step.id)
            raise ApplyCancelledError(
                f"apply stopped by the operator before {step.id} ({step.summary()}); "
                f"{len(self.journal.done())} of {self.total} steps done",
                hint="rescue-tui apply PLAN --resume continues it (the journal keeps what was done)",
            )
        self.emit(StepStarted(step.id, step.summary(), self.index[step.id], self.total))
        self.journal.record("started", step=step.id)
        started = time.monotonic()
        try:
            action()
        except RescueError as exc:
            self.journal.record("failed", step=step.id, message=exc.message)
            self.emit(StepFailed(step.id, exc.message))
            raise
        seconds = time.monotonic() - started
        self.journal.record("done", step=step.id, seconds=round(seconds, 3))
        self.emit(StepFinished(step.id, seconds))

    def targets(self) -> dict[str, TargetDisk]:
        found = {d.name: d for d in self.p.inventory.disks}
        return {d.name: found[d.name] for d in self.plan.disks}

    def run_storage(self) -> None:
        if self.journal.phase_done("storage"):
            for step in storage_phase(self.plan):
                self.emit(StepFinished(step.id, 0.0, skipped=True))
            return
        paths = [d.path for d in self.plan.disks]
        if self.journal.done():
            self.emit(Notice("the storage phase was interrupted: it starts again from the wipe"))
            self.journal.record("restart", phase="storage")
        for line in disks.teardown(paths):
            self.emit(Notice(line))
        phase = storage_phase(self.plan)
        for step in phase:
            if isinstance(step, WipeDisk):
                self.step(
                    step, partial(disks.wipe, step.device, disks.planned_regions(self.plan, step.device)), redo=True
                )
        # blivet is imported here, not with this module: importing it takes seconds under
        # emulation and runs its tool probes, and the console's first screen imports this
        # module (through the recovery) long before anything is applied.
        from rescue_tui.apply import storage

        run = storage.prepare(
            self.plan,
            self.targets(),
            passphrase=self.p.options.passphrase or "",
            target_root=self.p.options.target_root,
        )
        for step in phase:
            if isinstance(step, WipeDisk):
                continue
            if isinstance(step, SetIdentity):
                md = next(s for s in self.plan.steps if isinstance(s, CreateMd) and s.item == step.item)
                device = run.model.devices.get(md.item or "")
                self.step(step, partial(identity.set_identity, step, self.plan, device), redo=True)
            else:
                self.step(step, partial(run.execute, step), redo=True)
        run.finish()
        self.journal.record("phase-done", phase="storage")

    def run_rest(self) -> None:
        rest = self.plan.steps[len(storage_phase(self.plan)) :]
        up = self.options_resumed_after_storage()
        if up:
            self.bring_up(announce_vgs=True)
        root = self.p.options.target_root
        for step in rest:
            executor = AFTER_STORAGE.get(type(step))
            if executor is None:
                raise ApplyError(f"{step.id}: {step.kind} steps cannot come after the storage phase")
            if isinstance(step, MountStep) and not up:
                # The identity fix-ups are done (a disk id is changed with nothing open on the disk): now everything
                # the storage phase built must be up for the mounts. blivet's rescan between its stages closes what
                # it finds idle: a LUKS container made before the arrays, on a partition of its own (found by the
                # drill of a real machine).
                self.bring_up(announce_vgs=False)
                up = True
            self.step(step, partial(executor, step, self.plan, root))
        self.journal.record("phase-done", phase="apply")

    def bring_up(self, *, announce_vgs: bool) -> None:
        """Everything the plan built, up under its names (``identity.activate``), each thing it did as a notice."""
        for line in identity.activate(self.plan, self.p.options.passphrase):
            if announce_vgs or not line.startswith("activated VG"):
                self.emit(Notice(line))

    def options_resumed_after_storage(self) -> bool:
        return self.p.options.resume and any(e.get("event") == "phase-done" for e in self.journal.entries)


def execute(prepared: Prepared, listener: Listener = ignore, *, cancel: threading.Event | None = None) -> Journal:
    """Run the plan (the caller has the operator's confirmation); returns the journal.

    ``cancel`` is looked at between steps, never inside one: once set, the next step is not started, the
    journal records where it stopped and :class:`ApplyCancelledError` is raised (``--resume`` continues).
    """
    runner = _Runner(prepared, listener, cancel)
    with recovery_lock("apply"):
        runner.run_storage()
        runner.run_rest()
    return prepared.journal
