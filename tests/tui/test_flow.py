"""The whole dry run by keys alone: welcome -> layout -> mapping (remap, refused remap) -> plan -> save -> confirm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.worker import Worker, WorkerState

from rescue_tui.tui.dialogs import ErrorDialog, HelpDialog, MessageDialog, PathDialog, TargetDialog
from rescue_tui.tui.flow import FIRST, SCREENS, next_step
from rescue_tui.tui.messages import LayoutsChecked, MappingProposed, MappingRefused, PlanComputed, Step, TargetsRead
from rescue_tui.tui.screens.confirm import ConfirmScreen
from rescue_tui.tui.screens.layout import LayoutScreen
from rescue_tui.tui.screens.mapping import MappingScreen
from rescue_tui.tui.screens.plan import PlanScreen
from rescue_tui.tui.screens.welcome import WelcomeScreen
from rescue_tui.tui.session import Session, TuiOptions
from rescue_tui.tui.widgets import PlanView
from tests.tui.conftest import settle
from tests.tui.factory import DEMO_TARGETS, FAKE_ROOT, REFUSED_LAYOUT, demo_app


def of_type(messages: list[Message], kind: type[Message]) -> list[Message]:
    """Messages of a kind, each once (the hook sees a message again at each node it bubbles to)."""
    unique = {id(m): m for m in messages if isinstance(m, kind)}
    return list(unique.values())


def text_of(widget: Static) -> str:
    return str(widget.render())


async def test_a_dry_run_walks_from_welcome_to_a_saved_plan_by_keys_alone(tmp_path: Path) -> None:
    messages: list[Message] = []
    app = demo_app()
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, LayoutScreen)
        (checked,) = of_type(messages, LayoutsChecked)
        assert isinstance(checked, LayoutsChecked)
        assert next(c.path.name for c in checked.layouts) == "raid1-lvm.json"
        assert all(c.layout is not None for c in checked.layouts)

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MappingScreen)
        assert of_type(messages, TargetsRead)
        proposed = of_type(messages, MappingProposed)[-1]
        assert isinstance(proposed, MappingProposed)
        assert [(p.source_name, p.target, p.reason) for p in proposed.mapping.pairs] == [
            ("sda", "sdb", "same size"),
            ("sdb", "sdc", "same size"),
        ]

        # Remap by keys: sda onto sdc (the fourth disk present); sdb then gets sdb.
        await pilot.press("enter")
        assert isinstance(app.screen, TargetDialog)
        await pilot.press("down", "enter")
        await settle(pilot)
        proposed = of_type(messages, MappingProposed)[-1]
        assert isinstance(proposed, MappingProposed)
        assert proposed.overrides == {"sda": "sdc"}
        assert [(p.source_name, p.target, p.reason) for p in proposed.mapping.pairs] == [
            ("sda", "sdc", "operator"),
            ("sdb", "sdb", "same size"),
        ]

        # A refused remap: sda onto the rescue medium. The reason is shown; nothing changes.
        await pilot.press("enter", "home", "enter")
        await settle(pilot)
        refused = of_type(messages, MappingRefused)[-1]
        assert isinstance(refused, MappingRefused)
        assert refused.override == ("sda", "sda")
        assert any("holds the running rescue system" in line for line in refused.problems)
        assert isinstance(app.screen, ErrorDialog)
        assert "holds the running rescue system" in text_of(app.screen.query_one("#message-text", Static))
        await pilot.press("enter")
        assert isinstance(app.screen, MappingScreen)
        assert app.session.overrides == {"sda": "sdc"}
        assert app.session.mapping is not None and app.session.mapping.target_of("sda") == "sdc"

        # Back to the automatic proposal, then the plan.
        await pilot.press("a")
        await settle(pilot)
        assert app.session.overrides == {}
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, PlanScreen)
        (computed,) = of_type(messages, PlanComputed)
        assert isinstance(computed, PlanComputed)
        assert len(computed.plan.steps) == 31
        view = app.screen.query_one("#plan", PlanView)
        assert view.step() is not None and view.step().id == "s001"  # type: ignore[union-attr]

        # A step's command on demand, then all of them.
        await pilot.press("down", "down", "enter")
        assert "s003: $ parted -s /dev/sdb mklabel gpt" in text_of(app.screen.query_one("#command", Static))
        await pilot.press("c")
        assert view.commands

        # Save the plan as JSON.
        await pilot.press("s")
        assert isinstance(app.screen, PathDialog)
        target = tmp_path / "plan.json"
        field = app.screen.query_one("#path", Input)
        field.value = str(target)
        await pilot.press("enter")
        assert isinstance(app.screen, PlanScreen)
        saved = json.loads(target.read_text())
        assert saved["hostname"] == "backup01" and len(saved["steps"]) == 31
        assert app.session.saved_to == target

        # Confirm: a wrong host name does nothing; the right one says honestly that nothing was written.
        await pilot.press("a")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press(*"backup02", "enter")
        assert "That is not backup01" in text_of(app.screen.query_one("#confirm-problem", Static))
        app.screen.query_one("#hostname", Input).value = ""
        await pilot.press(*"backup01", "enter")
        assert isinstance(app.screen, MessageDialog)
        assert "nothing was written" in text_of(app.screen.query_one("#message-text", Static))
        await pilot.press("enter", "escape", "escape", "escape", "escape")
        assert isinstance(app.screen, WelcomeScreen)
    failed = [m for m in messages if isinstance(m, Worker.StateChanged) and m.state == WorkerState.ERROR]
    assert failed == []


async def test_a_layout_the_demo_disks_cannot_hold_shows_every_refusal_and_no_plan() -> None:
    app = demo_app(REFUSED_LAYOUT)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MappingScreen)
        assert app.session.mapping is None
        assert any("no target disk fits" in line for line in app.session.refusal)
        pairs = app.screen.query_one("#pairs", OptionList)
        assert pairs.option_count == 26 + len(app.session.refusal)
        await pilot.press("n")
        assert isinstance(app.screen, MappingScreen)  # no plan without a mapping


async def test_every_screen_has_a_help_overlay() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for keys in ([], ["d"], ["enter"], ["n"], ["a"]):
            await pilot.press(*keys)
            await settle(pilot)
            screen = app.screen
            await pilot.press("f1")
            assert isinstance(app.screen, HelpDialog), screen
            assert app.screen.keys and app.screen.text.strip()
            await pilot.press("escape")
            assert app.screen is screen


async def test_the_glyph_key_switches_between_ascii_and_unicode() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.ascii_mode and app.has_class("-ascii")
        await pilot.press("g")
        assert not app.ascii_mode and not app.has_class("-ascii")
        await pilot.press("g")
        assert app.ascii_mode


async def test_a_terminal_smaller_than_80x24_gets_a_clear_message_until_it_grows() -> None:
    app = demo_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#too-small", Static)
        assert "at least 80x24" in text_of(app.screen.query_one("#too-small", Static))
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)


async def test_quitting_asks_first() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.press("n")
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("q", "y")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_disk_pulled_out_updates_the_mapping_live(tmp_path: Path) -> None:
    """What DiskWatcher's callback posts (DisksChanged) makes the screen read the disks again and re-propose."""
    from rescue_tui.tui.messages import DisksChanged

    targets = tmp_path / "targets.json"
    demo = json.loads(Path(DEMO_TARGETS).read_text())
    targets.write_text(json.dumps(demo))
    app = demo_app(targets=str(targets))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.mapping is not None
        demo["disks"] = [d for d in demo["disks"] if d["name"] != "sdc"]
        targets.write_text(json.dumps(demo))
        app.screen.post_message(DisksChanged("remove", "sdc"))
        await settle(pilot)
        assert app.session.inventory is not None and "sdc" not in app.session.inventory.by_name()
        assert app.session.mapping is None
        assert any(line.startswith("sdb (1.8 TiB): no target disk fits") for line in app.session.refusal)


def test_the_flow_table_orders_every_step_screen_once_and_a_dry_run_skips_the_backend() -> None:
    recovery, dry = Session(options=TuiOptions()), Session(options=TuiOptions())
    recovery.dry_run, dry.dry_run = False, True

    def walk(session: Session) -> list[str]:
        steps: list[str] = []
        step: Step | None = FIRST
        while step is not None:
            assert step not in steps, steps
            steps.append(step)
            assert step == SCREENS[step].STEP
            step = next_step(step, session)
        return steps

    assert walk(recovery) == ["welcome", "layout", "mapping", "plan", "backend", "confirm", "recovery", "finish"]
    assert walk(dry) == ["welcome", "layout", "mapping", "plan", "confirm"]
    assert set(walk(recovery)) == set(SCREENS)


async def test_the_welcome_screen_shows_the_rescue_network_once_it_is_set_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from rescue_tui.tui.screens import welcome

    root = tmp_path / "root"
    shutil.copytree(FAKE_ROOT, root)
    state = root / "run/rescue-tui/network.json"
    state.unlink()
    monkeypatch.setattr(welcome, "NETWORK_POLL_SECONDS", 0.1)
    app = demo_app(root=root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        facts = str(app.screen.query_one("#facts", Static).render())
        assert "Network   no address yet\n" in facts + "\n" and "layout /etc" not in facts
        state.write_text(json.dumps({"summary": "rescue.net=: eth0", "lines": []}))
        for _ in range(50):
            await pilot.pause(0.1)
            if "rescue.net=: eth0" in str(app.screen.query_one("#facts", Static).render()):
                break
        facts = str(app.screen.query_one("#facts", Static).render())
        assert "Network   no address yet\n          rescue.net=: eth0" in facts


async def test_an_address_set_by_hand_from_the_welcome_screen_is_written_and_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from rescue_tui.tui.dialogs import ErrorDialog, NetworkDialog
    from rescue_tui.tui.screens import welcome
    from tests.unit.network.conftest import make_link

    root = tmp_path / "root"
    shutil.copytree(FAKE_ROOT, root)
    make_link(root / "sys/class/net", "ens3", "52:54:00:12:34:56")
    monkeypatch.setattr(welcome, "NETWORK_POLL_SECONDS", 0.1)
    app = demo_app(root=root, dry_run=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NetworkDialog)
        assert app.screen.query_one("#iface", Input).value == "ens3"
        await pilot.press("enter", *"192.0.2.99/33", "enter", "enter", "enter")
        await settle(pilot)
        problem = str(app.screen.query_one("#network-problem", Static).render())
        assert problem == "'33' is not a netmask for 192.0.2.99 (dotted, or a prefix length)"
        app.screen.query_one("#address", Input).value = "192.0.2.99/24"
        app.screen.query_one("#gateway", Input).value = "192.0.2.1"
        app.screen.query_one("#dns", Input).focus()
        await pilot.press("enter")
        for _ in range(50):
            await pilot.pause(0.1)
            if isinstance(app.screen, MessageDialog):
                break
        assert isinstance(app.screen, MessageDialog) and not isinstance(app.screen, ErrorDialog)
        assert app.screen.lines == ["ens3: set by hand: 192.0.2.99/24"]
        written = (root / "run/systemd/network/05-rescue-manual-ens3.network").read_text()
        assert "Address=192.0.2.99/24\n" in written and "Gateway=192.0.2.1\n" in written
        await pilot.press("enter")
        for _ in range(50):
            await pilot.pause(0.1)
            if "set by hand" in str(app.screen.query_one("#facts", Static).render()):
                break
        assert "ens3: set by hand: 192.0.2.99/24" in str(app.screen.query_one("#facts", Static).render())


async def test_a_dry_run_does_not_set_the_network() -> None:
    from rescue_tui.tui.dialogs import ErrorDialog

    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert app.screen.title_text == "Not in a dry run"
