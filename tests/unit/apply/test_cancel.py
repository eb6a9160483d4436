"""Cancelling apply: looked at between steps only; the journal says where it stopped, and resume continues."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from rescue_tui.apply.executor import ApplyOptions, Prepared, _Runner
from rescue_tui.apply.journal import Journal
from rescue_tui.errors import ApplyCancelledError, ExitCode
from rescue_tui.events import Event, StepFinished, StepStarted
from rescue_tui.inventory.model import Inventory
from rescue_tui.plan.codec import read_plan

PLAN = Path(__file__).parents[2] / "tui" / "data" / "plan-raid1-lvm.json"


def runner(tmp_path: Path, cancel: threading.Event, events: list[Event], *, resume: bool = False) -> _Runner:
    plan = read_plan(PLAN)
    journal = Journal.open(tmp_path / "j.jsonl", "digest", resume=resume)
    prepared = Prepared(
        plan=plan, options=ApplyOptions(), inventory=Inventory(disks=(), source="recorded"), journal=journal
    )
    return _Runner(prepared, events.append, cancel)


def test_a_cancel_during_a_step_lets_it_finish_and_stops_before_the_next(tmp_path: Path) -> None:
    cancel = threading.Event()
    events: list[Event] = []
    run = runner(tmp_path, cancel, events)
    first, second = run.plan.steps[:2]
    ran: list[str] = []
    run.step(first, lambda: (ran.append(first.id), cancel.set()))
    with pytest.raises(ApplyCancelledError, match=f"before {second.id}") as info:
        run.step(second, lambda: ran.append(second.id))
    assert ran == [first.id]
    assert info.value.exit_code == ExitCode.INTERRUPTED
    assert "--resume" in (info.value.hint or "")
    assert [type(e) for e in events] == [StepStarted, StepFinished]
    assert [e["event"] for e in run.journal.entries][-2:] == ["done", "cancelled"]
    assert run.journal.done() == {first.id}


def test_resume_after_a_cancel_skips_what_was_done_and_runs_the_rest(tmp_path: Path) -> None:
    cancel = threading.Event()
    run = runner(tmp_path, cancel, [])
    first, second = run.plan.steps[:2]
    run.step(first, cancel.set)
    with pytest.raises(ApplyCancelledError):
        run.step(second, lambda: None)
    events: list[Event] = []
    again = runner(tmp_path, threading.Event(), events, resume=True)
    ran: list[str] = []
    again.step(first, lambda: ran.append(first.id))
    again.step(second, lambda: ran.append(second.id))
    assert ran == [second.id]
    assert events[0] == StepFinished(first.id, 0.0, skipped=True)
    assert again.journal.done() == {first.id, second.id}


def test_without_a_cancel_event_every_step_runs(tmp_path: Path) -> None:
    events: list[Event] = []
    plan = read_plan(PLAN)
    journal = Journal.open(tmp_path / "j.jsonl", "digest", resume=False)
    run = _Runner(
        Prepared(plan=plan, options=ApplyOptions(), inventory=Inventory(disks=(), source="recorded"), journal=journal),
        events.append,
    )
    for step in plan.steps[:3]:
        run.step(step, lambda: None)
    assert journal.done() == {s.id for s in plan.steps[:3]}
