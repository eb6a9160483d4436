"""Taking over a recovery whose console is gone: the next console finds it, and goes on with the same plan
after the backup's preflight and the typed host name, skipping the steps done before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from rescue_tui.apply.executor import Prepared
from rescue_tui.apply.journal import Journal
from rescue_tui.errors import ApplyCancelledError
from rescue_tui.events import Event, Listener, StepFinished
from rescue_tui.recover.recovery import Recovery, RecoveryRequest
from rescue_tui.restore.spec import parse_spec
from rescue_tui.tui.dialogs import ErrorDialog
from rescue_tui.tui.screens.backend import BackendScreen
from rescue_tui.tui.screens.confirm import ConfirmScreen
from rescue_tui.tui.screens.follow import FollowScreen
from rescue_tui.tui.screens.layout import LayoutScreen
from rescue_tui.tui.screens.progress import ProgressScreen
from rescue_tui.tui.screens.welcome import WelcomeScreen
from tests.conftest import ROOT
from tests.tui import recorded
from tests.tui.conftest import settle
from tests.tui.test_follow import wait_for
from tests.tui.test_recovery_screens import SIZE, recovery_app, tar_archive, text_of, wait_until
from tests.unit.recover.test_interrupted import CONSOLE

PLAN = recorded.recorded_plan(Path("raid1-lvm.json"))
DONE_BEFORE = 3


def a_console_died_during_apply(tmp_path: Path, spec: str) -> None:
    """The first console's recovery: 3 steps done, then nothing more (its process gone, the lock with it)."""
    inner = recorded.JournaledApply()

    def apply(prepared: Prepared, listener: Listener, cancel: threading.Event) -> Journal:
        finished: list[Event] = []

        def hear(event: Event) -> None:
            listener(event)
            if isinstance(event, StepFinished):
                finished.append(event)
                if len(finished) == DONE_BEFORE:
                    cancel.set()

        return inner(prepared, hear, cancel)

    request = RecoveryRequest(plan=PLAN, target_root=tmp_path / "target", journal_dir=tmp_path / "journal",
                              backend=parse_spec(spec))  # fmt: skip
    with pytest.raises(ApplyCancelledError):
        Recovery(request, stages=recorded.stages(apply=apply)).run()


async def test_the_next_console_takes_over_a_stopped_recovery_and_skips_what_was_done(tmp_path: Path) -> None:
    archive = tar_archive(tmp_path)
    a_console_died_during_apply(tmp_path, f"tar:{archive}")
    app = recovery_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        facts = text_of(app.screen.query_one("#facts", Static))
        assert f"Stopped   recovery of {PLAN.hostname} by recover on " in facts
        assert "stopped during apply: t takes it over" in facts.replace("\n         ", " ")
        choices = app.screen.query_one("#choices", OptionList)
        assert str(choices.get_option_at_index(0).prompt) == f"Take over the stopped recovery of {PLAN.hostname}"

        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BackendScreen)  # no layout, mapping or plan: the plan is the one applied
        assert app.session.plan == PLAN and not app.session.dry_run
        assert screen.query_one("#spec", Input).value == f"tar:{archive}"  # the backup it was restoring from

        await pilot.press("p")
        await settle(pilot)
        assert "Preflight passed" in text_of(screen.query_one("#checks", Static))
        await pilot.press("n")
        assert isinstance(app.screen, ConfirmScreen)
        title = text_of(app.screen.query_one("#confirm-title", Static))
        assert title.startswith(f"Taking over the recovery of {PLAN.hostname} by recover on ")
        assert "stopped during apply: steps done before are skipped." in title

        await pilot.press(*PLAN.hostname, "enter")
        progress = app.screen
        assert isinstance(progress, ProgressScreen)
        await wait_until(pilot)
        assert progress.finished
        steps = progress.query_one("#steps", OptionList)
        marks = [str(steps.get_option_at_index(i).prompt)[:3] for i in range(len(PLAN.steps))]
        assert marks == ["[=]"] * DONE_BEFORE + ["[x]"] * (len(PLAN.steps) - DONE_BEFORE)


async def test_nothing_is_offered_when_no_recovery_stopped_and_t_says_so(tmp_path: Path) -> None:
    app = recovery_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert "Stopped" not in text_of(app.screen.query_one("#facts", Static))
        choices = app.screen.query_one("#choices", OptionList)
        assert choices.get_option_at_index(0).id == "dry"
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "No stopped recovery" in text_of(app.screen.query_one("#message-text", Static))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        assert app.session.takeover is None and app.session.plan is None


async def test_a_dead_consoles_tools_still_running_are_named_and_the_takeover_waits(tmp_path: Path) -> None:
    console = subprocess.Popen([sys.executable, "-c", CONSOLE, str(tmp_path / "journal")], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True)  # fmt: skip
    assert console.stdout is not None
    tool = int(console.stdout.readline())
    try:
        assert console.stdout.readline().strip() == "stopped"
        console.kill()
        console.wait()
        app = recovery_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            facts = text_of(app.screen.query_one("#facts", Static)).replace("\n          ", " ")
            assert f"its tools still run: sleep (pid {tool})" in facts, facts
            await pilot.press("t")
            await pilot.pause()
            assert isinstance(app.screen, ErrorDialog)
            shown = text_of(app.screen.query_one("#message-text", Static))
            assert f"Still running: sleep (pid {tool})." in shown and "press t again" in shown
            assert app.session.takeover is None
    finally:
        os.kill(tool, signal.SIGKILL)


RUNNING_CONSOLE = """
import pathlib, sys
from rescue_tui.recover.recovery import Recovery, RecoveryRequest
from tests.tui import recorded

def apply(prepared, listener, cancel):
    print("applying", flush=True)
    sys.stdin.read()  # the console works on until it is killed

plan = recorded.recorded_plan(pathlib.Path("raid1-lvm.json"))
Recovery(RecoveryRequest(plan=plan, journal_dir=pathlib.Path(sys.argv[1])), stages=recorded.stages(apply=apply)).run()
"""


async def test_following_a_console_that_dies_ends_in_its_takeover_from_this_one(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    console = subprocess.Popen([sys.executable, "-c", RUNNING_CONSOLE, str(journal)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
    assert console.stdout is not None and console.stdout.readline().strip() == "applying"
    app = recovery_app(tmp_path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert "Running   recover on " in text_of(app.screen.query_one("#facts", Static))
            await pilot.press("f")
            await pilot.pause()
            assert isinstance(app.screen, FollowScreen)
            state = app.screen.query_one("#follow-state", Static)
            console.kill()  # the other console crashes mid-apply
            console.wait()
            await wait_for(pilot, lambda: "t takes it over here" in text_of(state), "the takeover hint")
            await pilot.press("escape")
            await pilot.pause()
            welcome = app.screen
            assert isinstance(welcome, WelcomeScreen)
            facts = text_of(welcome.query_one("#facts", Static))
            assert "Running" not in facts and f"Stopped   recovery of {PLAN.hostname} by recover on " in facts
            choices = welcome.query_one("#choices", OptionList)
            assert choices.get_option_at_index(0).id == "takeover"
            await pilot.press("enter")  # the first choice, highlighted
            await settle(pilot)
            assert isinstance(app.screen, BackendScreen) and app.session.plan == PLAN
    finally:
        console.kill()
        console.wait()


async def test_back_from_a_takeover_a_new_recovery_walks_from_the_layout(tmp_path: Path) -> None:
    a_console_died_during_apply(tmp_path, f"tar:{tar_archive(tmp_path)}")
    app = recovery_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, BackendScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, LayoutScreen) and app.session.takeover is None
