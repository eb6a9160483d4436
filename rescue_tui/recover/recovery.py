"""One recovery, as every face runs it: apply, mount, restore, then finalize.

The TUI's progress and finish screens and ``rescue-tui recover`` (what an
unattended boot runs) drive this object; nothing else puts the stages in
order. It holds what one recovery needs between its stages (the journal
apply wrote, what the restore reported, finalize's outcome) and reports
everything as :mod:`rescue_tui.events` through one listener, on the thread
that runs it. Cancel is a ``threading.Event``: apply stops between two steps,
restore stops its tools; a later :meth:`Recovery.run` with ``resume`` goes on
from apply's journal.

The stage calls themselves come in a :class:`Stages` record, so a test can
hand in recorded stages that touch no disk and still run this sequencing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from rescue_tui.apply.journal import DEFAULT_DIR, Journal
from rescue_tui.errors import CancelledError
from rescue_tui.events import Listener, Notice
from rescue_tui.files import write_atomic
from rescue_tui.finalize.model import Outcome
from rescue_tui.lock import recovery_lock
from rescue_tui.plan.codec import plan_to_json
from rescue_tui.plan.model import Plan
from rescue_tui.recover.events import (
    RecoveryEvent,
    RecoveryListener,
    RestoreDone,
    RestoreSampled,
    StageStarted,
    ignore,
)
from rescue_tui.recover.interrupted import FINISHED, PLAN_FILE, write_state
from rescue_tui.recover.log import LOG_FILE, RecoveryLog
from rescue_tui.restore.model import BackendSpec, Credentials, ProgressCallback, Secret

if TYPE_CHECKING:
    from rescue_tui.apply.executor import ApplyOptions, Prepared
    from rescue_tui.finalize.finalizer import FinalizeOptions
    from rescue_tui.restore.flow import RestoreOutcome


@dataclass(frozen=True)
class RecoveryRequest:
    """What the operator decided: the plan, where the tree goes, the backup, the secrets."""

    plan: Plan
    target_root: Path = Path("/mnt/target")
    journal_dir: Path = DEFAULT_DIR
    backend: BackendSpec | None = None
    """None: storage only (apply and mount; the operator restores by other means)."""
    credentials: Credentials = field(default_factory=Credentials)
    passphrase: Secret | None = None
    """For the LUKS containers the plan creates."""
    bootloader: bool = True
    """False: finalize skips the chroot phases (initramfs and boot loader)."""
    journal_copies: tuple[Path, ...] = ()
    """Extra copies of apply's journal (a USB stick) that survive a power loss."""


class FinalizeRun(Protocol):
    """What :attr:`Stages.finalizer` makes: a finalize that runs once and keeps its outcome."""

    outcome: Outcome

    def run(self) -> Outcome: ...


# The real stages import their stage when first called, not with this module: the console
# imports this module for its first screen, and apply (blivet), restore and finalize take
# seconds to import under emulation.


def _prepare(plan: Plan, options: ApplyOptions) -> Prepared:
    from rescue_tui.apply.executor import prepare

    return prepare(plan, options)


def _apply(prepared: Prepared, listener: Listener, cancel: threading.Event) -> Journal:
    from rescue_tui.apply.executor import execute

    return execute(prepared, listener, cancel=cancel)


def _mount(plan: Plan, target_root: str) -> list[str]:
    from rescue_tui.apply.mounts import mount_tree

    return mount_tree(plan, target_root)


def _restore(
    spec: BackendSpec, target: Path, credentials: Credentials, progress: ProgressCallback, cancel: threading.Event
) -> RestoreOutcome:
    from rescue_tui.restore.flow import restore_tree

    return restore_tree(spec, target, credentials=credentials, progress=progress, cancel=cancel)


def _finalizer(plan: Plan, options: FinalizeOptions, listener: Listener) -> FinalizeRun:
    from rescue_tui.finalize.finalizer import Finalizer

    return Finalizer(plan, options, listener)


@dataclass(frozen=True)
class Stages:
    """The engine's calls a recovery puts in order (the real ones unless a test hands in recorded ones)."""

    prepare: Callable[[Plan, ApplyOptions], Prepared] = _prepare
    """Apply's preflight on the disks present now: refuses before anything is written."""
    apply: Callable[[Prepared, Listener, threading.Event], Journal] = _apply
    mount: Callable[[Plan, str], list[str]] = _mount
    restore: Callable[[BackendSpec, Path, Credentials, ProgressCallback, threading.Event], RestoreOutcome] = _restore
    finalizer: Callable[[Plan, FinalizeOptions, Listener], FinalizeRun] = _finalizer


def restore_summary(spec: BackendSpec, outcome: RestoreOutcome) -> dict[str, object]:
    """What finalize's report records about the restore."""
    verify = outcome.verify
    return {
        "backend": spec.text,
        "bytes": outcome.restore.bytes,
        "files": outcome.restore.files,
        "seconds": round(outcome.restore.seconds, 1),
        "verified": bool(verify and verify.ok),
        "verify_method": verify.method if verify else None,
    }


class Recovery:
    """One recovery of one plan: :meth:`run` (apply, mount, restore), then :meth:`finalize`."""

    def __init__(
        self, request: RecoveryRequest, listener: RecoveryListener = ignore, *, stages: Stages | None = None
    ) -> None:
        self.request = request
        self.listener = listener
        """Who hears the events: the face showing the recovery now (a TUI hands it from screen to screen)."""
        self.stages = stages or Stages()
        self.journal: Path | None = None
        """Apply's journal, once apply is done (finalize's report reads its timings)."""
        self.restored: dict[str, object] = {}
        """What the restore reported (:func:`restore_summary`), once it is done."""
        self.outcome: Outcome | None = None
        """Finalize's outcome, also when it failed (the report is written anyway)."""
        self.log = RecoveryLog(request.journal_dir / LOG_FILE)
        """Every event as a line, for whoever follows the recovery from another console."""
        self.holder = "?"
        """Who runs it (``Holder.describe``), once :meth:`run` holds the lock."""

    def emit(self, event: RecoveryEvent) -> None:
        """An event: a line in the recovery's log (and a stage in its state file), then to the face listening now."""
        self.log.write(event)
        if isinstance(event, StageStarted):
            self._record(event.stage)
        self.listener(event)

    def _record(self, stage: str) -> None:
        """The stage reached, for a console that takes over a recovery whose holder died."""
        backend = self.request.backend.text if self.request.backend else None
        write_state(self.request.journal_dir, self.plan.hostname, stage, backend, self.holder)

    @property
    def plan(self) -> Plan:
        return self.request.plan

    def apply_options(self, *, resume: bool = False) -> ApplyOptions:
        from rescue_tui.apply.executor import ApplyOptions

        passphrase = self.request.passphrase
        return ApplyOptions(
            passphrase=passphrase.reveal() if passphrase else None,
            target_root=str(self.request.target_root),
            resume=resume,
            journal_dir=self.request.journal_dir,
            mirrors=list(self.request.journal_copies),
        )

    def prepare(self, *, resume: bool = False) -> Prepared:
        """Apply's preflight on the disks present now (what a confirmation shows); refuses with every problem."""
        return self.stages.prepare(self.plan, self.apply_options(resume=resume))

    def save_plan(self) -> Path:
        """The plan beside the journal, so ``rescue-tui apply PLAN --resume`` works from a shell after a stop."""
        self.request.journal_dir.mkdir(parents=True, exist_ok=True)
        return write_atomic(self.request.journal_dir / PLAN_FILE, plan_to_json(self.plan))

    def run(
        self, cancel: threading.Event | None = None, *, resume: bool = False, prepared: Prepared | None = None
    ) -> None:
        """Apply, mount, restore; one RescueError where it stopped (``ApplyCancelledError``/``CancelledError``).

        ``prepared`` is the preflight the operator confirmed (made again here when not given).
        """
        with recovery_lock("recover") as holder:  # held across the stages: nothing else writes between two of them
            self.holder = holder.describe()
            self.log.start(f"recovery of {self.plan.hostname}: {self.holder}")
            self._run(cancel or threading.Event(), resume=resume, prepared=prepared)

    def _run(self, cancel: threading.Event, *, resume: bool, prepared: Prepared | None) -> None:
        root = self.request.target_root
        saved = self.save_plan()
        self.emit(StageStarted("apply", f"applying the plan of {self.plan.hostname} (saved as {saved})"))
        prepared = prepared or self.prepare(resume=resume)
        journal = self.stages.apply(prepared, self.emit, cancel)
        self.journal = journal.path
        self.emit(Notice(f"apply done; its journal: {journal.path}"))
        self.emit(StageStarted("mount", f"mounting the new filesystems under {root}"))
        for line in self.stages.mount(self.plan, str(root)):
            self.emit(Notice(f"mounted {line}"))
        spec = self.request.backend
        if spec is not None:
            if cancel.is_set():
                raise CancelledError("restore not started: the recovery was cancelled", hint="resume restores")
            self.emit(StageStarted("restore", f"restoring {spec.text} into {root}"))
            outcome = self.stages.restore(
                spec, root, self.request.credentials, lambda sample: self.emit(RestoreSampled(sample)), cancel
            )
            self.restored = restore_summary(spec, outcome)
            self.emit(RestoreDone(outcome))
        restored = "and the files restored" if spec is not None else "(no restore: storage only)"
        self.emit(StageStarted("done", f"the disks are rebuilt {restored}: finalize is next"))

    def finalize(self) -> Outcome:
        """Configs, boot loader, initramfs, report, as ``finalize --yes`` does; :attr:`outcome` also on failure."""
        from rescue_tui.finalize.finalizer import FinalizeOptions

        options = FinalizeOptions(
            target=self.request.target_root,
            bootloader=self.request.bootloader,
            journal=self.journal,
            restore=self.restored or None,
        )
        run = self.stages.finalizer(self.plan, options, self.emit)
        self._record("finalize")
        try:
            outcome = run.run()
        finally:
            self.outcome = run.outcome
        self._record(FINISHED)
        return outcome
