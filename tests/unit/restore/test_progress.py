"""Progress: smoothed rate, ETA from the byte total, throttled callbacks, one-line rendering."""

from __future__ import annotations

from rescue_tui.restore.model import Phase, ProgressEvent
from rescue_tui.restore.progress import Tracker, format_event
from tests.clock import Clock


def test_eta_follows_the_rate_and_the_remaining_bytes() -> None:
    clock, events = Clock(), list[ProgressEvent]()
    tracker = Tracker(Phase.RESTORE, events.append, bytes_total=1000, min_interval=0.0, clock=clock)
    clock.now += 1.0
    tracker.update(100, 5)
    assert events[-1].rate == 100.0
    assert events[-1].eta == 9.0
    assert events[-1].files_done == 5


def test_callbacks_are_throttled_but_the_first_and_final_always_arrive() -> None:
    clock, events = Clock(), list[ProgressEvent]()
    tracker = Tracker(Phase.RESTORE, events.append, bytes_total=10, min_interval=1.0, clock=clock)
    tracker.update(1)
    tracker.update(2)
    clock.now += 0.5
    tracker.update(3)
    assert len(events) == 1
    clock.now += 0.6
    tracker.update(4)
    assert len(events) == 2
    tracker.finish(bytes_done=10)
    assert events[-1].final and events[-1].eta == 0.0 and events[-1].bytes_done == 10


def test_bytes_never_go_backwards() -> None:
    clock, events = Clock(), list[ProgressEvent]()
    tracker = Tracker(Phase.VERIFY, events.append, min_interval=0.0, clock=clock)
    tracker.update(50)
    tracker.update(40)
    assert events[-1].bytes_done == 50


def test_an_event_renders_as_one_terminal_line() -> None:
    event = ProgressEvent(
        phase=Phase.RESTORE, bytes_done=1 << 30, bytes_total=2 << 30, files_done=10, files_total=40,
        rate=100 * 1024 * 1024, eta=75, elapsed=3,
    )  # fmt: skip
    line = format_event(event)
    assert line == "restore   1.0 GiB / 2.0 GiB  50%  10/40 files  100.0 MiB/s  ETA 1:15"
    final = ProgressEvent(phase=Phase.BACKUP, bytes_done=10, rate=5.0, elapsed=3725, final=True, message="done")
    assert format_event(final) == "backup    10 B  5 B/s  in 1:02:05  done"
