"""The recovery stages with the real journal and events but no disks: for snapshots and the cancel tests.

:func:`stages` is what the tests hand the app (``RescueApp(stages=...)``): the
engine's ``Recovery`` puts them in order as it does the real ones.
``JournaledApply`` runs the recorded plan's steps through apply's own runner
(journal, events, the cancel check between steps) with each step's disk work
replaced by a short pause; mount, restore and finalize answer with real
event and outcome objects. Nothing here touches a disk.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

from rescue_tui.apply.executor import ApplyOptions, Prepared, _Runner, plan_digest
from rescue_tui.apply.journal import Journal
from rescue_tui.events import FileRewritten, Listener, StepFinished, StepStarted
from rescue_tui.finalize.finalizer import FinalizeOptions
from rescue_tui.finalize.model import Outcome, Rewrite
from rescue_tui.inventory.model import Inventory
from rescue_tui.plan.codec import read_plan
from rescue_tui.plan.model import Plan
from rescue_tui.recover.recovery import Stages
from rescue_tui.restore.flow import RestoreOutcome
from rescue_tui.restore.model import (
    BackendSpec,
    CheckResult,
    CheckStatus,
    Credentials,
    Phase,
    PreflightReport,
    ProgressCallback,
    RestoreResult,
    VerifyReport,
)
from rescue_tui.restore.progress import Tracker

GiB = 1024**3
RECORDED = Path("tests/tui/data")


def recorded_plan(path: Path, *_: Any) -> Plan:
    """The plan ``rescue-tui plan --format json`` made for this layout on the demo disks."""
    return read_plan(RECORDED / f"plan-{path.stem}.json")


def prepared(plan: Plan, options: ApplyOptions) -> Prepared:
    """Apply's preflight without disks: the journal opened (or resumed) where apply keeps it."""
    digest = plan_digest(plan)
    journal = Journal.open(options.journal_dir / f"apply-{digest[:16]}.jsonl", digest, resume=options.resume)
    return Prepared(plan=plan, options=options, inventory=Inventory(disks=(), source="recorded"), journal=journal)


class JournaledApply:
    """Apply for a recorded plan: the real runner and journal, a pause instead of each step's work."""

    def __init__(self, step_seconds: float = 0.0, *, started: threading.Event | None = None) -> None:
        self.step_seconds = step_seconds
        self.started = started or threading.Event()
        """Set once the first step has run (tests press keys after it)."""

    def __call__(self, prepared: Prepared, listener: Listener, cancel: threading.Event) -> Journal:
        runner = _Runner(prepared, listener, cancel)
        for step in prepared.plan.steps:
            runner.step(step, self._work)
        return prepared.journal

    def _work(self) -> None:
        self.started.set()
        time.sleep(self.step_seconds)


def mounted(plan: Plan, target_root: str) -> list[str]:
    return ["/dev/mapper/vg0-root on /mnt/target", "/dev/md127 on /mnt/target/boot"]


def restored(
    spec: BackendSpec, target: Path, credentials: Credentials, progress: ProgressCallback, cancel: Any
) -> RestoreOutcome:
    """A 2 GiB restore reported as the tar backend does (a fixed clock, so the rate and ETA are stable)."""
    clock = iter(float(t) for t in range(0, 100))
    tracker = Tracker(Phase.RESTORE, progress, bytes_total=2 * GiB, files_total=50_000, clock=lambda: next(clock))
    for part in range(1, 5):
        tracker.update(part * GiB // 4, part * 10_000)
    tracker.finish(bytes_done=2 * GiB, files_done=50_000, message="restored")
    return RestoreOutcome(
        preflight=PreflightReport(
            spec=spec.text, checks=(CheckResult(name="lists", status=CheckStatus.OK, detail=""),)
        ),
        restore=RestoreResult(bytes=2 * GiB, files=50_000, seconds=42.0),
        verify=VerifyReport(method="tar --compare", checked=50_000, detail="0 differences"),
    )


class RecordedFinalizer:
    """Finalize as recorded: phases and a rewritten fstab reported, a report 'written'."""

    def __init__(self, plan: Plan, options: FinalizeOptions, listener: Listener) -> None:
        self.listener = listener
        self.target = options.target
        self.outcome = Outcome()

    def run(self) -> Outcome:
        phases = ("check", "files", "selinux", "initramfs", "bootloader", "report")
        for index, phase in enumerate(phases, 1):
            self.listener(StepStarted(phase, f"phase {phase}", index, len(phases), stage="finalize"))
            if phase == "files":
                self.listener(FileRewritten("/etc/fstab", 2, written=True))
                self.outcome.rewrites.append(Rewrite(path="/etc/fstab", before="/dev/sda2 /\n", after="UUID=x /\n"))
            if phase in ("selinux",):
                self.listener(StepFinished(phase, 0.0, skipped=True, stage="finalize"))
        self.outcome.report_paths = [
            str(self.target / "var/log/rescue-tui/recovery-20260101-120000.json"),
            str(self.target / "var/log/rescue-tui/recovery-20260101-120000.txt"),
        ]
        return self.outcome


def recorded_preflight(
    spec: BackendSpec, credentials: Credentials, progress: ProgressCallback, cancel: threading.Event
) -> PreflightReport:
    """What the tar backend's preflight answered for a 2 GiB archive (the target checks wait for apply)."""
    later = "checked on the new filesystems, after apply"
    checks = (
        CheckResult(name="target", status=CheckStatus.SKIPPED, detail=later),
        CheckResult(name="reachable", status=CheckStatus.OK, detail=f"{spec.path}: 2.0 GiB"),
        CheckResult(name="lists", status=CheckStatus.OK, detail="50000 members"),
        CheckResult(name="safe", status=CheckStatus.OK, detail="every member stays inside"),
        CheckResult(name="integrity", status=CheckStatus.OK, detail="sha256 9f2c...e1 matches"),
        CheckResult(name="fits", status=CheckStatus.SKIPPED, detail=later),
    )
    return PreflightReport(spec=spec.text, checks=checks, estimated_bytes=2 * GiB, estimated_files=50_000)


def failing_apply(prepared: Prepared, listener: Listener, cancel: threading.Event) -> Journal:
    """Apply that fails at its fourth step as a step fails in the runner: StepFailed, then the ApplyError."""
    from rescue_tui.errors import ApplyError
    from rescue_tui.events import Notice, StepFailed

    listener(Notice("unmounted /mnt/old (/dev/sdb1)"))
    plan = prepared.plan
    for index, step in enumerate(plan.steps[:4], 1):
        listener(StepStarted(step.id, step.summary(), index, len(plan.steps)))
        if index == 4:
            message = f"{step.id} ({step.summary()}): parted: Error: Input/output error during write on /dev/sdc"
            listener(StepFailed(step.id, message))
            raise ApplyError(message, hint="the journal keeps what was done: r resumes after the disk is fixed")
        listener(StepFinished(step.id, 1.0))
    raise AssertionError("not reached")


def stages(**replaced: Any) -> Stages:
    """The recovery's stages with nothing touching a disk; ``replaced`` swaps single ones (``apply=...``)."""
    recorded = Stages(
        prepare=prepared, apply=JournaledApply(), mount=mounted, restore=restored, finalizer=RecordedFinalizer
    )
    return dataclasses.replace(recorded, **replaced)
