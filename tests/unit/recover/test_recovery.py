"""The recovery's sequencing (``rescue_tui.recover``), on recorded stages that touch no disk."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from rescue_tui.apply.executor import Prepared
from rescue_tui.apply.journal import Journal
from rescue_tui.errors import CancelledError, RescueError
from rescue_tui.events import Listener, StepStarted
from rescue_tui.finalize.finalizer import FinalizeOptions
from rescue_tui.finalize.model import Outcome
from rescue_tui.plan.model import Plan
from rescue_tui.recover.events import RecoveryEvent, RestoreDone, RestoreSampled, StageStarted, recovery_line
from rescue_tui.recover.interrupted import PLAN_FILE
from rescue_tui.recover.log import LOG_FILE, RecoveryLog
from rescue_tui.recover.recovery import Recovery, RecoveryRequest
from rescue_tui.restore.model import Phase, ProgressEvent
from rescue_tui.restore.spec import parse_spec
from tests.tui import recorded

PLAN = recorded.recorded_plan(Path("raid1-lvm.json"))


def request(tmp_path: Path, *, backend: bool = True) -> RecoveryRequest:
    return RecoveryRequest(
        plan=PLAN,
        target_root=tmp_path / "target",
        journal_dir=tmp_path / "journal",
        backend=parse_spec("tar:/mnt/usb/backup01.tar.zst") if backend else None,
    )


def test_a_recovery_runs_apply_mount_restore_in_order_and_keeps_what_finalize_needs(tmp_path: Path) -> None:
    events: list[RecoveryEvent] = []
    recovery = Recovery(request(tmp_path), events.append, stages=recorded.stages())
    recovery.run()
    stages = [e.stage for e in events if isinstance(e, StageStarted)]
    assert stages == ["apply", "mount", "restore", "done"]
    started = [e.step for e in events if isinstance(e, StepStarted)]
    assert started == [s.id for s in PLAN.steps]
    assert any(isinstance(e, RestoreSampled) for e in events)
    assert isinstance(events[-2], RestoreDone) and events.index(events[-2]) > max(
        i for i, e in enumerate(events) if isinstance(e, RestoreSampled)
    )
    assert recovery.journal is not None and recovery.journal.is_file()
    assert recovery.restored["backend"] == "tar:/mnt/usb/backup01.tar.zst" and recovery.restored["verified"] is True
    assert (tmp_path / "journal" / PLAN_FILE).is_file()  # for --resume from a shell
    outcome = recovery.finalize()
    assert outcome is recovery.outcome and outcome.report_paths


def test_storage_only_never_restores(tmp_path: Path) -> None:
    events: list[RecoveryEvent] = []
    recovery = Recovery(request(tmp_path, backend=False), events.append, stages=recorded.stages())
    recovery.run()
    assert [e.stage for e in events if isinstance(e, StageStarted)] == ["apply", "mount", "done"]
    assert "no restore" in recovery_line(events[-1]) and recovery.restored == {}  # type: ignore[operator]


def test_a_cancel_during_apply_means_the_restore_never_starts(tmp_path: Path) -> None:
    apply = recorded.JournaledApply()
    restores: list[object] = []

    def apply_then_cancel(prepared: Prepared, listener: Listener, cancel: threading.Event) -> Journal:
        journal = apply(prepared, listener, cancel)
        cancel.set()  # the operator pressed c during the last step
        return journal

    def restore(*args: object) -> None:
        restores.append(args)

    stages = recorded.stages(apply=apply_then_cancel, restore=restore)
    recovery = Recovery(request(tmp_path), stages=stages)
    with pytest.raises(CancelledError, match="restore not started"):
        recovery.run(threading.Event())
    assert restores == []


def test_finalize_keeps_its_outcome_when_it_fails(tmp_path: Path) -> None:
    class FailingFinalizer:
        def __init__(self, plan: Plan, options: FinalizeOptions, listener: Listener) -> None:
            self.outcome = Outcome(report_paths=[str(options.target / "var/log/rescue-tui/r.json")])

        def run(self) -> Outcome:
            raise RescueError("grub-install failed")

    recovery = Recovery(request(tmp_path), stages=recorded.stages(finalizer=FailingFinalizer))
    recovery.run()
    with pytest.raises(RescueError, match="grub-install"):
        recovery.finalize()
    assert recovery.outcome is not None and recovery.outcome.report_paths  # the report was written anyway


def test_every_event_worth_a_line_is_in_the_recovery_log_for_a_console_that_follows(tmp_path: Path) -> None:
    events: list[RecoveryEvent] = []
    recovery = Recovery(request(tmp_path), events.append, stages=recorded.stages())
    recovery.run()
    recovery.finalize()
    lines = (tmp_path / "journal" / LOG_FILE).read_text().splitlines()
    texts = [line.split(" ", 1)[1] for line in lines]  # after the time of day
    assert texts[0].startswith(f"== recovery of {PLAN.hostname}: recover on ")
    expected = [line for e in events if not isinstance(e, RestoreSampled) and (line := recovery_line(e)) is not None]
    assert [t for t in texts[1:] if not t.startswith("   restore")] == expected
    samples = [t for t in texts if t.startswith("   restore")]
    assert 1 <= len(samples) < sum(isinstance(e, RestoreSampled) for e in events)  # throttled, the last one kept


def test_the_log_keeps_one_restore_sample_per_interval_and_always_the_last(tmp_path: Path) -> None:
    now = [0.0]
    log = RecoveryLog(tmp_path / LOG_FILE, clock=lambda: now[0])
    for second, final in ((0.0, False), (1.0, False), (4.9, False), (5.0, False), (6.0, True)):
        now[0] = second
        log.write(RestoreSampled(ProgressEvent(phase=Phase.RESTORE, bytes_done=int(second), final=final)))
    assert len((tmp_path / LOG_FILE).read_text().splitlines()) == 3  # 0 s, 5 s and the final one


def test_a_log_that_cannot_be_written_does_not_stop_the_recovery(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    log = RecoveryLog(tmp_path / "file" / LOG_FILE)  # its folder is a file
    log.start("recovery of backup01")
    log.write(StageStarted("apply", "applying"))
