"""A stopped recovery is found for a takeover only when nobody holds it, it did not finish, and what it left reads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rescue_tui.apply.executor import Prepared
from rescue_tui.apply.journal import Journal
from rescue_tui.errors import BadInputError, RescueError
from rescue_tui.events import Listener
from rescue_tui.recover.interrupted import FINISHED, PLAN_FILE, STATE_FILE, find_interrupted, read_state
from rescue_tui.recover.recovery import Recovery
from tests.conftest import ROOT, hold_lock
from tests.tui import recorded
from tests.unit.recover.test_recovery import PLAN, request


def stopped_in_restore(tmp_path: Path) -> Recovery:
    """A recovery whose restore failed: apply and mount done, the holder gone (the lock released)."""

    def restore(*args: object) -> None:
        raise RescueError("restore: the backup disk went away")

    recovery = Recovery(request(tmp_path), stages=recorded.stages(restore=restore))
    with pytest.raises(RescueError, match="went away"):
        recovery.run()
    return recovery


def test_a_recovery_that_stopped_is_found_with_its_plan_stage_backend_and_holder(tmp_path: Path) -> None:
    stopped_in_restore(tmp_path)
    found = find_interrupted(tmp_path / "journal")
    assert found is not None
    assert found.plan == PLAN and found.plan_file == tmp_path / "journal" / PLAN_FILE
    assert found.state.stage == "restore" and found.state.backend == "tar:/mnt/usb/backup01.tar.zst"
    assert found.state.holder.startswith("recover on ")
    assert found.describe().startswith(f"recovery of {PLAN.hostname} by recover on ")
    assert found.describe().endswith("stopped during restore")


def test_a_recovery_stopped_in_apply_is_found_at_apply(tmp_path: Path) -> None:
    def apply(prepared: Prepared, listener: Listener, cancel: object) -> Journal:
        raise RescueError("apply: s004 failed")

    with pytest.raises(RescueError):
        Recovery(request(tmp_path), stages=recorded.stages(apply=apply)).run()
    found = find_interrupted(tmp_path / "journal")
    assert found is not None and found.state.stage == "apply"


def test_a_finished_recovery_is_not_offered(tmp_path: Path) -> None:
    recovery = Recovery(request(tmp_path), stages=recorded.stages())
    recovery.run()
    assert find_interrupted(tmp_path / "journal") is not None  # finalize is still to come
    recovery.finalize()
    assert read_state(tmp_path / "journal" / STATE_FILE).stage == FINISHED
    assert find_interrupted(tmp_path / "journal") is None


def test_nothing_is_offered_where_no_recovery_ran(tmp_path: Path) -> None:
    assert find_interrupted(tmp_path / "journal") is None


def test_a_recovery_someone_holds_is_followed_not_taken_over(tmp_path: Path, lock_file: Path) -> None:
    stopped_in_restore(tmp_path)
    other = hold_lock(lock_file)  # a console runs it again (a resume) while this one starts
    try:
        assert find_interrupted(tmp_path / "journal") is None
    finally:
        other.kill()
        other.wait()
    assert find_interrupted(tmp_path / "journal") is not None  # its holder died: the lock went with it


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda j: (j / STATE_FILE).write_text("{not json"), "state not JSON"),
        (lambda j: (j / STATE_FILE).write_bytes(b"\xff\xfe" * 10), "state not UTF-8"),
        (lambda j: (j / STATE_FILE).write_text(json.dumps({"hostname": 5})), "state of the wrong type"),
        (lambda j: (j / PLAN_FILE).unlink(), "plan gone"),
        (lambda j: (j / PLAN_FILE).write_text("[" * 100_000), "plan deeply nested"),
        (
            lambda j: (j / STATE_FILE).write_text((j / STATE_FILE).read_text().replace(PLAN.hostname, "another-host")),
            "state of another host",
        ),
    ],
)
def test_what_a_stopped_recovery_left_must_read_whole_or_it_is_not_offered(
    tmp_path: Path, damage: object, why: str
) -> None:
    stopped_in_restore(tmp_path)
    damage(tmp_path / "journal")  # type: ignore[operator]
    assert find_interrupted(tmp_path / "journal") is None, why


def test_a_state_file_with_a_missing_field_names_it(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    path.write_text(json.dumps({"hostname": "h", "stage": "apply", "backend": None, "holder": "x"}))
    with pytest.raises(BadInputError, match=r"recovery-state.json: \$.updated: a string is needed"):
        read_state(path)


CONSOLE = """
import pathlib, subprocess, sys
from rescue_tui.errors import RescueError
from rescue_tui.recover.interrupted import release_state
from rescue_tui.recover.recovery import Recovery, RecoveryRequest
from tests.tui import recorded

def apply(prepared, listener, cancel):
    tool = subprocess.Popen(["sleep", "120"])  # a tool the recovery started, still running when its console dies
    print(tool.pid, flush=True)
    raise RescueError("apply: s004 failed")

plan = recorded.recorded_plan(pathlib.Path("raid1-lvm.json"))
request = RecoveryRequest(plan=plan, journal_dir=pathlib.Path(sys.argv[1]))
try:
    Recovery(request, stages=recorded.stages(apply=apply)).run()
except RescueError:
    if sys.argv[2:] == ["give-up"]:
        release_state(pathlib.Path(sys.argv[1]))
    print("stopped", flush=True)
sys.stdin.read()
"""


def stopped_console(journal: Path, *extra: str) -> tuple[subprocess.Popen[str], int]:
    """A console process whose recovery stopped on an error (it stays alive); and the tool it left running."""
    console = subprocess.Popen([sys.executable, "-c", CONSOLE, str(journal), *extra], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True)  # fmt: skip
    assert console.stdout is not None
    tool = int(console.stdout.readline())
    assert console.stdout.readline().strip() == "stopped"
    return console, tool


def test_a_console_still_running_keeps_its_stopped_recovery_and_a_dead_ones_tools_are_waited_for(
    tmp_path: Path,
) -> None:
    """Stopped on an error, its console alive: its operator resumes there. Dead: offered, once its tools end."""
    journal = tmp_path / "journal"
    console, tool = stopped_console(journal)
    try:
        assert find_interrupted(journal) is None  # not held, not finished, but its console is alive
        console.kill()
        console.wait()
        found = find_interrupted(journal)
        assert found is not None and found.state.pid == console.pid
        assert found.still_running == (f"sleep (pid {tool})",)
    finally:
        os.kill(tool, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while (found := find_interrupted(journal)) is not None and found.still_running and time.monotonic() < deadline:
        time.sleep(0.05)  # the killed tool is reaped by init
    assert found is not None and found.still_running == ()


def test_a_console_that_gives_its_stopped_recovery_up_lets_any_console_take_it_over_while_it_waits(
    tmp_path: Path,
) -> None:
    """A failed unattended recovery: its console stays alive, waiting for Enter, and no longer holds it."""
    journal = tmp_path / "journal"
    console, tool = stopped_console(journal, "give-up")
    try:
        found = find_interrupted(journal)
        assert found is not None and found.state.stage == "apply"
        assert found.state.pid == 0 and found.still_running == ()  # its tools are not waited for: it returned
        assert console.poll() is None  # the console still runs
    finally:
        console.kill()
        os.kill(tool, signal.SIGKILL)
