"""Every screen at 80x24, as SVG snapshots (``--snapshot-update`` to accept a change, then look at it).

Snapshots render truecolor and cannot see glyph or colour faults on a real
console: ``test_serial_session`` checks the bytes for that.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from rescue_tui.plan.codec import read_plan
from rescue_tui.plan.model import Plan
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
        assert snap_compare(demo_app(dry_run=False), run_before=keys(["r", "enter", "n", "a"]), terminal_size=SIZE)

    def test_confirmed_says_applying_is_not_available(self, snap_compare: SnapCompare) -> None:
        typed = ["r", "enter", "n", "a", *"backup01", "enter"]
        assert snap_compare(demo_app(dry_run=False), run_before=keys(typed), terminal_size=SIZE)
