"""Two consoles, one recovery: the console that did not start it is told so, may not start another,
and follows it read-only from its log (a real lock held by another process, a real log file growing)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Log, Static

from rescue_tui.lock import ENV
from rescue_tui.recover.log import LOG_FILE
from rescue_tui.tui.dialogs import ErrorDialog
from rescue_tui.tui.screens.follow import FollowScreen
from rescue_tui.tui.screens.welcome import WelcomeScreen
from tests.tui.factory import demo_app

HOLD = """
import sys
from rescue_tui.lock import recovery_lock
with recovery_lock("recover", console="ttyS0"):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def other_console(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A process on 'ttyS0' holding the recovery lock until its stdin closes."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, ENV: os.environ[ENV]},
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    yield holder
    if holder.poll() is None:
        holder.kill()
    holder.wait()


async def wait_for(pilot: Pilot[object], condition: object, what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {seconds:.0f} s")
        await pilot.pause(0.2)


async def test_the_other_console_is_told_refused_and_follows_the_log_read_only(
    tmp_path: Path, other_console: subprocess.Popen[str]
) -> None:
    journal = tmp_path / "journal"
    journal.mkdir()
    log = journal / LOG_FILE
    log.write_text("10:00:00 == recovery of backup01: recover on ttyS0\n10:00:01 == apply: applying the plan\n")
    app = demo_app(dry_run=False, journal_dir=journal)
    async with app.run_test(size=(80, 24)) as pilot:
        facts = str(app.screen.query_one("#facts", Static).render())
        assert f"Running   recover on ttyS0 (pid {other_console.pid}, since " in facts
        assert "f follows it" in facts

        await pilot.press("r")  # a second recovery is refused before any question
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "one recovery at a time" in str(app.screen.query_one("#message-text", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)

        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FollowScreen)
        lines = app.screen.query_one("#lines", Log)
        assert list(lines.lines) == [
            "10:00:00 == recovery of backup01: recover on ttyS0",
            "10:00:01 == apply: applying the plan",
        ]
        assert lines.size.height >= 16  # the log takes what the header, the lines and the footer leave

        with log.open("a") as out:  # the recovery goes on; a control character never reaches this terminal
            out.write("10:00:09 s001 wipe /dev/vda \x1b[2J done\n10:00:10 half a li")
        await wait_for(pilot, lambda: len(lines.lines) == 3, "third line")
        assert lines.lines[2] == "10:00:09 s001 wipe /dev/vda \\x1b[2J done"
        with log.open("a") as out:
            out.write("ne\n")
        await wait_for(pilot, lambda: len(lines.lines) == 4, "line finished later")
        assert lines.lines[3] == "10:00:10 half a line"
        state = app.screen.query_one("#follow-state", Static)
        assert str(state.render()) == ""

        assert other_console.stdin is not None
        other_console.stdin.close()  # the other console's recovery ends: the lock is free
        other_console.wait(timeout=10)
        await wait_for(pilot, lambda: "Nothing runs now" in str(state.render()), "end of the recovery")

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)


async def test_with_no_recovery_running_elsewhere_there_is_nothing_to_follow(tmp_path: Path) -> None:
    app = demo_app(dry_run=False, journal_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Running" not in str(app.screen.query_one("#facts", Static).render())
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
