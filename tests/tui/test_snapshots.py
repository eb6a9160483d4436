"""Every screen at 80x24, as SVG snapshots (``--snapshot-update`` to accept a change, then look at it).

Snapshots render truecolor and cannot see glyph or colour faults on a real
console: ``test_serial_session`` checks the bytes for that.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from rescue_tui.plan.codec import read_plan
from rescue_tui.plan.model import Plan
from rescue_tui.recover.recovery import Stages
from rescue_tui.restore.spec import SYNTAX
from tests.tui import recorded
from tests.tui.conftest import settle
from tests.tui.factory import BROKEN_LAYOUT, REFUSED_LAYOUT, SHRINK_LAYOUT, demo_app

SIZE = (80, 24)
SnapCompare = Callable[..., bool]
RECORDED = Path("tests/tui/data")


@pytest.fixture(autouse=True)
def recorded_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plans from recorded JSON (``rescue-tui plan --format json``), not blivet: the step order of independent
    steps can differ between plans computed in one process, which would make the snapshots flaky."""

    def recorded(path: Path, *_: Any) -> Plan:
        return read_plan(RECORDED / f"plan-{path.stem}.json")

    monkeypatch.setattr("rescue_tui.tui.screens.plan.compute_plan", recorded)


def keys(*groups: Sequence[str]) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Press each group of keys, letting the workers finish after each."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for group in groups:
            await pilot.press(*group)
            await settle(pilot)

    return run


TO_LAYOUT = ["d"]
TO_MAPPING = ["d", "enter"]
TO_PLAN = ["d", "enter", "n"]


class TestWelcome:
    def test_welcome_in_ascii(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(), run_before=keys(), terminal_size=SIZE)

    def test_welcome_in_unicode(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(ascii_mode=False), run_before=keys(), terminal_size=SIZE)

    def test_welcome_in_recovery_mode_offers_recover(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(dry_run=False), run_before=keys(["down"]), terminal_size=SIZE)

    def test_help_overlay(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(), run_before=keys(["question_mark"]), terminal_size=SIZE)

    def test_a_small_terminal_gets_a_clear_message(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(), run_before=keys(), terminal_size=(60, 20))


class TestLayout:
    def test_layout_tree(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(), run_before=keys(TO_LAYOUT), terminal_size=SIZE)

    def test_layout_tree_in_unicode(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(ascii_mode=False), run_before=keys(TO_LAYOUT), terminal_size=SIZE)

    def test_layout_problems_shown_plainly(self, snap_compare: SnapCompare) -> None:
        app = demo_app(BROKEN_LAYOUT, examples_dir=None)
        assert snap_compare(app, run_before=keys(TO_LAYOUT), terminal_size=SIZE)


class TestMapping:
    def test_mapping_proposal(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(), run_before=keys(TO_MAPPING), terminal_size=SIZE)

    def test_remap_dialog(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(), run_before=keys(TO_MAPPING, ["enter"]), terminal_size=SIZE)

    def test_mapping_after_a_remap_by_keys(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(), run_before=keys(TO_MAPPING, ["enter", "down", "enter"]), terminal_size=SIZE)

    def test_refused_remap_says_why(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(), run_before=keys(TO_MAPPING, ["enter", "home", "enter"]), terminal_size=SIZE)

    def test_mapping_refused_with_reasons(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(REFUSED_LAYOUT), run_before=keys(TO_MAPPING), terminal_size=SIZE)


class TestPlan:
    def test_plan(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(), run_before=keys(TO_PLAN, ["down", "down", "enter"]), terminal_size=SIZE)

    def test_plan_with_size_changes_highlighted(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(SHRINK_LAYOUT), run_before=keys(TO_PLAN), terminal_size=SIZE)

    def test_plan_with_every_command(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(), run_before=keys(TO_PLAN, ["c"]), terminal_size=SIZE)


class TestConfirm:
    def test_confirm_lists_what_is_destroyed(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(demo_app(dry_run=False), run_before=keys(*TO_BACKEND, STORAGE_ONLY), terminal_size=SIZE)

    def test_a_confirmed_dry_run_says_nothing_was_written(self, snap_compare: SnapCompare) -> None:
        typed = keys(["d"], ["enter"], ["n"], ["a", *"backup01", "enter"])
        assert snap_compare(demo_app(), run_before=typed, terminal_size=SIZE)


TO_BACKEND = (["r"], ["enter"], ["n"], ["a"])
"""One group per screen: each waits for the worker of the screen before it (mapping, plan)."""
STORAGE_ONLY = ["home", "enter", "n"]
SPEC = "/mnt/usb/backup01.tar.zst"
TAR_PREFLIGHT = ["enter", *SPEC, "enter"]
SNAP_DIR = Path("/tmp/rescue-tui-snapshots")
"""Fixed paths (they show on screen): the journal and saved plan of the recorded apply go here."""


def recovery_app(stages: Stages | None = None) -> Any:
    """Apply (its runner and journal, no disk work), mount, restore and finalize as recorded."""
    return demo_app(
        dry_run=False,
        journal_dir=SNAP_DIR / "journal",
        target_root=SNAP_DIR / "target",
        stages=stages or recorded.stages(),
    )


@pytest.fixture
def recorded_recovery(monkeypatch: pytest.MonkeyPatch) -> None:
    """The backend's preflight as recorded (the recovery's stages come with the app)."""
    shutil.rmtree(SNAP_DIR, ignore_errors=True)
    monkeypatch.setattr("rescue_tui.tui.screens.backend.preflight_backend", recorded.recorded_preflight)


@pytest.mark.usefixtures("recorded_recovery")
class TestBackend:
    def test_backend_choices(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(recovery_app(), run_before=keys(*TO_BACKEND), terminal_size=SIZE)

    def test_a_bad_spec_is_refused_inline(self, snap_compare: SnapCompare) -> None:
        typed = keys(*TO_BACKEND, ["enter", *"mnt/usb/x.tar"])
        assert snap_compare(recovery_app(), run_before=typed, terminal_size=SIZE)

    def test_preflight_passed(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(recovery_app(), run_before=keys(*TO_BACKEND, TAR_PREFLIGHT), terminal_size=SIZE)

    def test_a_repository_password_field(self, snap_compare: SnapCompare) -> None:
        downs = [s.scheme for s in SYNTAX].index("restic")  # from the first scheme, highlighted on arrival
        restic = ["down"] * downs + ["enter", *"/mnt/usb/restic", "enter", *"hunter2"]
        assert snap_compare(recovery_app(), run_before=keys(*TO_BACKEND, restic), terminal_size=SIZE)


TO_PROGRESS = (TAR_PREFLIGHT, ["ctrl+n", *"backup01", "enter"])


@pytest.mark.usefixtures("recorded_recovery")
class TestProgress:
    def test_recovery_done(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(recovery_app(), run_before=keys(*TO_BACKEND, *TO_PROGRESS), terminal_size=SIZE)

    def test_recovery_done_in_unicode(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(recovery_app(), run_before=keys(*TO_BACKEND, *TO_PROGRESS, ["g"]), terminal_size=SIZE)

    def test_a_failed_step_is_one_error_over_the_progress(self, snap_compare: SnapCompare) -> None:
        app = recovery_app(recorded.stages(apply=recorded.failing_apply))
        assert snap_compare(app, run_before=keys(*TO_BACKEND, *TO_PROGRESS), terminal_size=SIZE)

    def test_help(self, snap_compare: SnapCompare) -> None:
        typed = keys(*TO_BACKEND, *TO_PROGRESS, ["question_mark"])
        assert snap_compare(recovery_app(), run_before=typed, terminal_size=SIZE)


@pytest.mark.usefixtures("recorded_recovery")
class TestFinish:
    def test_finish_summary(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(recovery_app(), run_before=keys(*TO_BACKEND, *TO_PROGRESS, ["n"]), terminal_size=SIZE)

    def test_reboot_asks_first(self, snap_compare: SnapCompare) -> None:
        typed = keys(*TO_BACKEND, *TO_PROGRESS, ["n"], ["b"])
        assert snap_compare(recovery_app(), run_before=typed, terminal_size=SIZE)
