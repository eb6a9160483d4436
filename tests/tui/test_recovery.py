"""The real recovery from the console, by keys, on a loop device: apply, mount, tar restore, finalize.

The host kernel has loop devices but no partition scanning, md or
device-mapper, so the layout here is one ext4 filesystem on a whole disk (no
partition table): the engine plans it, blivet applies it, the tree is
mounted, a real tar archive is restored and verified into it, and finalize
(no boot loader: there is no bootable system here) writes its report. Root
only; every loop device and mount is taken down again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.worker import Worker, WorkerState

from rescue_tui.tui.app import RescueApp
from rescue_tui.tui.dialogs import ConfirmDialog, ErrorDialog, MessageDialog
from rescue_tui.tui.messages import ApplyReported, PreflightChecked, RestoreFinished, RestoreProgressed
from rescue_tui.tui.screens.backend import BackendScreen
from rescue_tui.tui.screens.confirm import ConfirmScreen
from rescue_tui.tui.screens.finish import FinishScreen
from rescue_tui.tui.screens.mapping import MappingScreen
from rescue_tui.tui.screens.plan import PlanScreen
from rescue_tui.tui.screens.progress import ProgressScreen
from tests.integration.loophost import tar_backup, whole_disk_layout
from tests.tui.conftest import settle
from tests.tui.factory import demo_app

pytestmark = pytest.mark.root


def recovery_app(tmp_path: Path) -> RescueApp:
    return demo_app(
        whole_disk_layout(tmp_path / "loophost.json"),
        targets="live",
        dry_run=False,
        examples_dir=None,
        target_root=tmp_path / "target",
        journal_dir=tmp_path / "journal",
        bootloader=False,
    )


def of_type(messages: list[Message], kind: type[Message]) -> list[Message]:
    return list({id(m): m for m in messages if isinstance(m, kind)}.values())


async def test_the_console_recovers_a_loop_disk_from_a_tar_archive_and_writes_the_report(
    tmp_path: Path, loop_disk: str
) -> None:
    archive = tar_backup(tmp_path)
    messages: list[Message] = []
    app = recovery_app(tmp_path)
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MappingScreen)
        mapping = app.session.mapping
        assert mapping is not None
        # Never go on unless the only target is the loop device made here (the host's disks are real).
        assert [(p.source_name, f"/dev/{p.target}") for p in mapping.pairs] == [("vdb", loop_disk)]
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, PlanScreen)
        assert app.session.plan is not None and [d.path for d in app.session.plan.disks] == [loop_disk]

        # Backend: tar, the archive's spec typed, Enter runs the preflight; it passes; on to confirm.
        await pilot.press("a")
        assert isinstance(app.screen, BackendScreen)
        await pilot.press("enter")  # the highlighted backend: tar
        spec = app.screen.query_one("#spec", Input)
        assert spec.value == "tar:" and spec.has_focus
        await pilot.press(*str(archive), "enter")
        await settle(pilot)
        (checked,) = of_type(messages, PreflightChecked)
        assert isinstance(checked, PreflightChecked) and checked.report.ok
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, ConfirmScreen)

        await pilot.press(*"loophost", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ProgressScreen)
        for _ in range(60):  # the worker: apply, mount, restore (seconds)
            await settle(pilot)
            if app.screen.finished or not app.screen.running:
                break
            await pilot.pause(0.2)
        assert isinstance(app.screen, ProgressScreen)
        assert app.screen.finished, str(app.screen.query_one("#stage", Static).render())
        steps = app.screen.query_one("#steps", OptionList)
        prompts = [str(steps.get_option_at_index(i).prompt) for i in range(steps.option_count)]
        assert all(p.startswith("[x]") for p in prompts), prompts
        assert of_type(messages, ApplyReported) and of_type(messages, RestoreProgressed)
        (restored,) = of_type(messages, RestoreFinished)
        assert isinstance(restored, RestoreFinished) and restored.outcome.verify is not None
        assert restored.outcome.verify.ok

        target = tmp_path / "target"
        assert (target / "root" / "hello.txt").read_text() == "restored by the console\n"
        assert app.session.journal is not None and app.session.journal.is_file()

        await pilot.press("n")
        assert isinstance(app.screen, FinishScreen)
        for _ in range(60):
            await settle(pilot)
            if not app.screen.running:
                break
            await pilot.pause(0.2)
        assert isinstance(app.screen, FinishScreen)
        outcome = app.screen.outcome
        assert outcome is not None and outcome.report_paths
        reports = [Path(p) for p in outcome.report_paths]
        assert all(p.is_file() and p.is_relative_to(target / "var" / "log" / "rescue-tui") for p in reports)
        report = json.loads(next(p for p in reports if p.suffix == ".json").read_text())
        assert report["restore"]["backend"] == f"tar:{archive}" and report["restore"]["verified"] is True
        summary = str(app.screen.query_one("#summary", Static).render())
        assert f"report in {reports[0].parent}/:" in summary and reports[0].name in summary

        await pilot.press("v")
        assert isinstance(app.screen, MessageDialog)
        await pilot.press("enter")
        await pilot.press("b")  # reboot asks first; no is the answer here
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert isinstance(app.screen, FinishScreen)
    failed = [m for m in messages if isinstance(m, Worker.StateChanged) and m.state == WorkerState.ERROR]
    assert failed == []
    assert not any(isinstance(s, ErrorDialog) for s in app.screen_stack)
