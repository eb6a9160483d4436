"""Processes as /proc shows them: is a given process still the one we saw, and what did it leave running.

A pid alone is not an identity: pids are reused. The pair (pid, start time in
clock ticks since boot, field 22 of ``/proc/PID/stat``) is, for the life of
one boot, which is all a rescue system has.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessStat:
    """The fields of ``/proc/PID/stat`` this project reads."""

    pid: int
    name: str
    state: str
    """R, S, D, Z (a zombie: dead, holding nothing, not yet reaped)..."""
    ppid: int
    pgrp: int
    start: int
    """Clock ticks after boot at which the process started."""


def parse_stat(text: str) -> ProcessStat | None:
    """One ``/proc/PID/stat`` line; None when it is not one (the name may hold spaces and parentheses)."""
    head, paren, rest = text.rpartition(")")
    pid_text, _, name = head.partition(" (")
    fields = rest.split()
    if not paren or not pid_text.strip().isdigit() or len(fields) < 20:
        return None
    try:
        # after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        # cutime cstime priority nice num_threads itrealvalue starttime
        pid, ppid, pgrp, start = int(pid_text), int(fields[1]), int(fields[2]), int(fields[19])
        return ProcessStat(pid=pid, name=name, state=fields[0], ppid=ppid, pgrp=pgrp, start=start)
    except ValueError:
        return None


def stat(pid: int, proc: Path = PROC) -> ProcessStat | None:
    """The process ``pid`` now, or None when there is none."""
    try:
        return parse_stat((proc / str(pid) / "stat").read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None


def this_process() -> ProcessStat:
    """This process's identity (pid and start time)."""
    me = stat(os.getpid())
    return me or ProcessStat(pid=os.getpid(), name="?", state="R", ppid=os.getppid(), pgrp=os.getpgrp(), start=0)


def is_running(pid: int, start: int, proc: Path = PROC) -> bool:
    """The process that was ``pid`` at ``start`` still runs (a reused pid, or a zombie, does not count)."""
    now = stat(pid, proc)
    return now is not None and now.start == start and now.state != "Z"


def group_members(pgrp: int, proc: Path = PROC) -> list[ProcessStat]:
    """The live processes of process group ``pgrp``: what a dead group leader left running (its tools)."""
    members = []
    for entry in os.listdir(proc):
        found = stat(int(entry), proc) if entry.isdigit() else None
        if found is not None and found.pgrp == pgrp and found.state != "Z":
            members.append(found)
    return sorted(members, key=lambda p: p.pid)
