"""A recovery that stopped with nobody running it: what it left behind, so another console can take it over.

A console that dies mid-recovery (a crash, a killed process, a lost serial
line) leaves apply's journal, the plan beside it (``PLAN_FILE``) and this
module's state file; the kernel drops its lock with the process. The next
console to start, the same one restarted or the other one, finds it with
:func:`find_interrupted` and may take it over: the same plan, resumed from
the journal (steps done before are skipped), after the backup is chosen
and the host name typed again. A recovery someone still runs is never
offered: that one is followed, not taken over; nor is one whose console
still runs (it stopped on an error, and its operator resumes it there),
unless that console gave it up (:func:`release_state`: a failed unattended
recovery, whose consoles all wait for an operator). A
holder that died may leave its tools running (a ``mkfs`` in its process
group): the takeover waits for them.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from rescue_tui.errors import BadInputError, RescueError
from rescue_tui.files import write_atomic
from rescue_tui.inputs import read_json
from rescue_tui.lock import current_holder
from rescue_tui.plan.codec import read_plan
from rescue_tui.plan.model import Plan
from rescue_tui.processes import group_members, is_running, this_process

log = logging.getLogger(__name__)

STATE_FILE: Final = "recovery-state.json"
PLAN_FILE: Final = "recovery-plan.json"
"""The plan as applied, beside apply's journal: what ``rescue-tui apply PLAN --resume`` needs from a shell."""
FINISHED: Final = "finished"
"""The stage of a recovery whose finalize completed: nothing left to take over."""
RELEASED: Final = 0
"""The pid of a state whose holder gave it up while alive (a failed unattended recovery waits for an operator,
not to resume by itself): any console may take it over."""


@dataclass(frozen=True)
class RecoveryState:
    """Where a recovery stands, rewritten at each of its stages."""

    hostname: str
    stage: str
    """apply, mount, restore, done (finalize next), finalize, or ``finished``."""
    backend: str | None
    """The backup's spec text (no secret is ever part of it), None for storage only."""
    holder: str
    """Who ran it: command, console, pid and start (``Holder.describe``)."""
    updated: str
    pid: int
    pid_start: int
    """The holder's process: pid and start time (clock ticks after boot), its identity in this boot."""


def write_state(journal_dir: Path, hostname: str, stage: str, backend: str | None, holder: str) -> None:
    """Record the stage this process's recovery reached (a state that cannot be written never stops it)."""
    me = this_process()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    state = RecoveryState(hostname=hostname, stage=stage, backend=backend, holder=holder, updated=now,
                          pid=me.pid, pid_start=me.start)  # fmt: skip
    try:
        journal_dir.mkdir(parents=True, exist_ok=True)
        _save_state(journal_dir, state)
    except (OSError, RescueError) as exc:
        log.warning("recovery state not written: %s", exc)


def release_state(journal_dir: Path) -> None:
    """Give this process's stopped recovery up to any console: it will not resume it by itself."""
    try:
        state = read_state(journal_dir / STATE_FILE)
        if state.pid == os.getpid():
            _save_state(journal_dir, replace(state, pid=RELEASED, pid_start=0))
    except (OSError, RescueError) as exc:
        log.warning("recovery state not released: %s", exc)


def _save_state(journal_dir: Path, state: RecoveryState) -> None:
    write_atomic(journal_dir / STATE_FILE, json.dumps(asdict(state), indent=2) + "\n")


def read_state(path: Path) -> RecoveryState:
    """The state file, checked field by field; BadInputError naming the file and the field."""
    data = read_json(path, what="recovery state")
    if not isinstance(data, dict):
        raise BadInputError(f"{path}: not a recovery state (a JSON object)")
    values: dict[str, str | int | None] = {}
    for name in ("hostname", "stage", "backend", "holder", "updated"):
        value = data.get(name)
        if not (isinstance(value, str) or (name == "backend" and value is None)):
            raise BadInputError(f"{path}: $.{name}: a string is needed")
        values[name] = value
    for name in ("pid", "pid_start"):
        number = data.get(name)
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise BadInputError(f"{path}: $.{name}: a whole number is needed")
        values[name] = number
    return RecoveryState(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Interrupted:
    """A stopped recovery nobody holds: its state and its plan."""

    state: RecoveryState
    plan: Plan
    plan_file: Path
    still_running: tuple[str, ...] = ()
    """Tools the dead holder started that still run (``mkfs.xfs (pid 812)``): the takeover waits for them."""

    def describe(self) -> str:
        return f"recovery of {self.state.hostname} by {self.state.holder}, stopped during {self.state.stage}"


def find_interrupted(journal_dir: Path) -> Interrupted | None:
    """The recovery that stopped in ``journal_dir`` with its holder gone, if there is one.

    None when none was started, it finished, someone holds the lock, its console still
    runs, or what it left cannot be read (logged: a damaged file is never taken over).
    """
    state_file = journal_dir / STATE_FILE
    if not state_file.exists() or current_holder() is not None:
        return None
    try:
        state = read_state(state_file)
        if state.stage == FINISHED or _console_runs(state):
            return None
        plan = read_plan(journal_dir / PLAN_FILE)
    except BadInputError as exc:
        log.warning("a stopped recovery cannot be taken over: %s", exc.message)
        return None
    if plan.hostname != state.hostname:
        log.warning("a stopped recovery cannot be taken over: %s is a plan of %s, not of %s",
                    journal_dir / PLAN_FILE, plan.hostname, state.hostname)  # fmt: skip
        return None
    left: tuple[str, ...] = ()
    if state.pid not in (os.getpid(), RELEASED):  # a stop of its own or given up: its run returned, its tools too
        left = tuple(f"{p.name} (pid {p.pid})" for p in group_members(state.pid))
    return Interrupted(state=state, plan=plan, plan_file=journal_dir / PLAN_FILE, still_running=left)


def _console_runs(state: RecoveryState) -> bool:
    """The process that ran the recovery is alive (and is not this one, which may take over its own stop)."""
    return state.pid not in (os.getpid(), RELEASED) and is_running(state.pid, state.pid_start)
