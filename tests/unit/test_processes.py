"""/proc as the project reads it: a process's identity is its pid and its start, and a group's members."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from rescue_tui.processes import group_members, is_running, parse_stat, stat, this_process


def test_a_name_with_spaces_and_parentheses_does_not_shift_the_fields() -> None:
    line = f"4242 (evil) 1 2 (x) S 1 777 777 0 -1 4194560 {' '.join(['0'] * 12)} 123456 {' '.join(['0'] * 20)}"
    parsed = parse_stat(line)
    assert parsed is not None
    assert (parsed.pid, parsed.name, parsed.state, parsed.ppid, parsed.pgrp, parsed.start) == (
        4242,
        "evil) 1 2 (x",
        "S",
        1,
        777,
        123456,
    )


def test_what_is_not_a_stat_line_is_none() -> None:
    for text in ("", "garbage", "12 (short) S 1", "x (name) S 1 2 3" + " 0" * 30, "12 (n) S a b c" + " 0" * 30):
        assert parse_stat(text) is None, text


def test_this_process_is_running_and_a_reused_pid_is_not_the_same_process() -> None:
    me = this_process()
    assert me.pid == os.getpid() and me.start > 0
    assert stat(os.getpid()) == me
    assert is_running(me.pid, me.start)
    assert not is_running(me.pid, me.start + 1)  # the same pid, started at another time: another process


def test_a_dead_leaders_group_keeps_the_tools_it_started() -> None:
    leader = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys; p = subprocess.Popen(['sleep', '60']); print(p.pid, flush=True)"
         "; sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert leader.stdout is not None
    tool = int(leader.stdout.readline())
    try:
        assert [p.pid for p in group_members(leader.pid)] == sorted([leader.pid, tool])
        leader.kill()
        leader.wait()
        left = group_members(leader.pid)
        assert [(p.pid, p.name) for p in left] == [(tool, "sleep")]
    finally:
        os.kill(tool, 9)


def test_a_zombie_is_not_running() -> None:
    child = subprocess.Popen(["true"])  # exits at once; not waited for, it stays a zombie
    deadline = time.monotonic() + 10
    while (seen := stat(child.pid)) is not None and seen.state != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen is not None and seen.state == "Z"
    assert not is_running(child.pid, seen.start)
    child.wait()
