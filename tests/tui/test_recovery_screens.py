"""Backend, progress and finish screens by keys: real preflight of a real tar archive, apply's real runner and
journal (cancel between steps, resume), and the throttle that keeps a serial line quiet.

Apply itself needs disks: ``test_recovery`` runs it for real on a loop device;
here the recorded plan's steps go through apply's own runner with a pause in
place of each step's disk work (``tests/tui/recorded.py``).
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from rescue_tui.apply.executor import ApplyOptions
from rescue_tui.errors import ApplyCancelledError
from rescue_tui.events import StepFinished, StepStarted
from rescue_tui.recover.recovery import Stages
from rescue_tui.restore.model import CheckStatus, Phase, ProgressEvent
from rescue_tui.tui.app import RescueApp
from rescue_tui.tui.dialogs import ConfirmDialog, ErrorDialog
from rescue_tui.tui.dialogs.hostkey import HostKeyDialog
from rescue_tui.tui.messages import ApplyReported, PreflightChecked
from rescue_tui.tui.screens.backend import BackendScreen
from rescue_tui.tui.screens.confirm import ConfirmScreen
from rescue_tui.tui.screens.finish import FinishScreen
from rescue_tui.tui.screens.progress import ProgressScreen
from rescue_tui.tui.throttle import ProgressRelay, Throttle
from tests.clock import Clock
from tests.integration.restore.sshd import Sshd
from tests.tui import recorded
from tests.tui.conftest import settle
from tests.tui.factory import demo_app

SIZE = (80, 24)


def of_type(messages: list[Message], kind: type[Message]) -> list[Message]:
    return list({id(m): m for m in messages if isinstance(m, kind)}.values())


def text_of(widget: Static) -> str:
    return str(widget.render())


def recovery_app(tmp_path: Path, stages: Stages | None = None, **options: Any) -> RescueApp:
    """Every recovery stage recorded (nothing in this module touches a disk), or ``stages``."""
    return demo_app(
        dry_run=False,
        target_root=tmp_path / "target",
        journal_dir=tmp_path / "journal",
        stages=stages or recorded.stages(),
        **options,
    )


def tar_archive(folder: Path) -> Path:
    tree = folder / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "hostname").write_text("backup01\n")
    archive = folder / "backup01.tar"
    subprocess.run(["tar", "-C", str(tree), "-cf", str(archive), "."], check=True)
    return archive


async def to_backend(pilot: Pilot[int]) -> BackendScreen:
    for keys in (["r"], ["enter"], ["n"], ["a"]):
        await pilot.press(*keys)
        await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BackendScreen)
    return screen


@pytest.fixture(autouse=True)
def recorded_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's plan from recorded JSON, as the snapshots have it (blivet takes seconds per test here)."""
    monkeypatch.setattr("rescue_tui.tui.screens.plan.compute_plan", recorded.recorded_plan)


@pytest.fixture
def no_disks() -> recorded.JournaledApply:
    """Apply's runner and journal without disk work (tests set its pace and wait for its first step)."""
    return recorded.JournaledApply(step_seconds=0.02)


# -- backend ------------------------------------------------------------------------------------


async def test_a_real_tar_archive_passes_the_preflight_and_the_target_checks_wait_for_apply(tmp_path: Path) -> None:
    archive = tar_archive(tmp_path)
    messages: list[Message] = []
    app = recovery_app(tmp_path)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await to_backend(pilot)
        await pilot.press("enter")  # tar, highlighted first
        spec = screen.query_one("#spec", Input)
        assert spec.has_focus and spec.value == "tar:"
        await pilot.press(*str(archive))
        assert text_of(screen.query_one("#spec-problem", Static)) == ""
        await pilot.press("tab", "tab", "p")  # p from outside the field runs the preflight
        await settle(pilot)
        (checked,) = of_type(messages, PreflightChecked)
        assert isinstance(checked, PreflightChecked)
        statuses = {c.name: c.status for c in checked.report.checks}
        assert statuses["reachable"] == statuses["lists"] == statuses["safe"] == CheckStatus.OK
        assert statuses["target"] == statuses["fits"] == CheckStatus.SKIPPED
        shown = text_of(screen.query_one("#checks", Static))
        assert "ok    lists       " in shown and "Preflight passed" in shown
        # the verdict heads the box: a longer list (a wrapped checksum, more checks) is cut at the bottom on 80x24
        assert shown.splitlines()[0] == "Preflight passed: n goes on.", shown
        await pilot.press("n")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.session.restore is not None and app.session.restore.spec is not None
        assert app.session.restore.spec.path == str(archive)
        assert f"Restore: tar:{archive}." in text_of(app.screen.query_one("#confirm-text", Static))


def server_fingerprint(sshd: Sshd) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", str(sshd.known_hosts)], capture_output=True, text=True, check=True)
    return out.stdout.split()[1]


@pytest.mark.parametrize("accept", [True, False])
async def test_an_ssh_server_nothing_knows_shows_its_key_to_accept_and_the_accepted_one_is_pinned(
    tmp_path: Path, sshd: Sshd, accept: bool
) -> None:
    (tmp_path / "copy" / "etc").mkdir(parents=True)
    (tmp_path / "copy" / "etc" / "hostname").write_text("backup01\n")
    messages: list[Message] = []
    app = recovery_app(tmp_path)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await to_backend(pilot)
        screen.query_one("#spec", Input).value = f"rsync+ssh://root@127.0.0.1:{sshd.port}{tmp_path / 'copy'}/"
        await settle(pilot)
        screen.query_one("#field-ssh_key", Input).value = str(sshd.key)
        await pilot.press("ctrl+r")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, HostKeyDialog), "no question about the unknown server"
        assert dialog.offered == (("ssh-ed25519", server_fingerprint(sshd)),)
        assert not of_type(messages, PreflightChecked), "checks ran against a server nobody accepted"
        await pilot.press("enter" if accept else "escape")
        await settle(pilot)
        assert app.screen is screen
        shown = text_of(screen.query_one("#checks", Static))
        if not accept:
            assert screen.query_one("#field-host_key", Input).value == ""
            assert shown.startswith(f"No key of 127.0.0.1:{sshd.port} accepted"), shown
            assert not of_type(messages, PreflightChecked)
            return
        assert screen.query_one("#field-host_key", Input).value == server_fingerprint(sshd)
        (checked,) = of_type(messages, PreflightChecked)
        assert isinstance(checked, PreflightChecked) and checked.report.ok, checked.report.failures
        assert shown.startswith("Preflight passed"), shown
        await pilot.press("n")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.session.restore is not None
        assert app.session.restore.credentials.options["host_key"] == server_fingerprint(sshd)


async def test_a_bad_spec_is_refused_inline_and_the_screen_does_not_go_on(tmp_path: Path) -> None:
    messages: list[Message] = []
    app = recovery_app(tmp_path)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await to_backend(pilot)
        await pilot.press("enter", *"mnt/usb/x.tar")  # a relative path
        problem = screen.query_one("#spec-problem", Static)
        assert "path 'mnt/usb/x.tar' must be absolute" in text_of(problem)
        await pilot.press("enter", "ctrl+r", "ctrl+n")
        await settle(pilot)
        assert app.screen is screen and not of_type(messages, PreflightChecked)
        screen.query_one("#spec", Input).value = "restic+sftp://bob:pw@host/srv/repo"
        await pilot.pause()
        assert "a password in the spec would show in process lists" in text_of(problem)


async def test_a_missing_archive_fails_its_preflight_and_blocks_the_way_on(tmp_path: Path) -> None:
    app = recovery_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_backend(pilot)
        await pilot.press("enter", *f"{tmp_path}/nothing.tar", "enter")
        await settle(pilot)
        assert screen.report is not None and not screen.report.ok
        assert "FAIL  reachable" in text_of(screen.query_one("#checks", Static))
        await pilot.press("ctrl+n")
        assert app.screen is screen
        assert "Run the preflight first" in text_of(screen.query_one("#spec-problem", Static))


async def test_a_repository_password_field_appears_hidden_and_is_required(tmp_path: Path) -> None:
    app = recovery_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_backend(pilot)
        screen.query_one("#spec", Input).value = "restic:/mnt/usb/restic"
        await pilot.pause()
        field = screen.query_one("#field-password", Input)
        assert field.password and "required" in str(field.border_title)
        await pilot.press("ctrl+r")
        assert "Repository password: required" in text_of(screen.query_one("#spec-problem", Static))


async def test_the_fields_the_credentials_file_names_are_filled_in_and_still_hidden(tmp_path: Path) -> None:
    """``rescue.credentials_file=`` at boot: what an unattended recovery would read, the console fills in."""
    keys = tmp_path / "keys.env"
    keys.write_text("RESCUE_TUI_HTTP_USER=backup\nRESCUE_TUI_HTTP_PASSWORD='s3cret pass'\nAWS_ACCESS_KEY_ID=x\n")
    keys.chmod(0o600)
    app = recovery_app(tmp_path, credentials_file=keys)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_backend(pilot)
        screen.query_one("#spec", Input).value = "tar+https://backup.example/web01.tar.zst"
        await pilot.pause()
        user, password = screen.query_one("#field-http_user", Input), screen.query_one("#field-http_password", Input)
        assert (user.value, password.value) == ("backup", "s3cret pass")
        assert password.password and "(from the credentials file)" in str(password.border_title)
        assert screen.query_one("#field-ca_file", Input).value == ""
        credentials = screen._credentials(screen._spec())  # type: ignore[arg-type]
        assert credentials is not None and credentials.options["http_user"] == "backup"
        assert credentials.secrets["http_password"].reveal() == "s3cret pass"
    keys.chmod(0o644)
    app = recovery_app(tmp_path, credentials_file=keys)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_backend(pilot)
        screen.query_one("#spec", Input).value = "tar+https://backup.example/web01.tar.zst"
        await pilot.pause()
        assert screen.query_one("#field-http_user", Input).value == ""
        assert "readable by others" in text_of(screen.query_one("#spec-problem", Static))


# -- progress -----------------------------------------------------------------------------------


async def storage_only_to_progress(pilot: Pilot[int]) -> None:
    await to_backend(pilot)
    await pilot.press("home", "enter", "n")
    assert isinstance(pilot.app.screen, ConfirmScreen)
    await pilot.press(*"backup01", "enter")


async def wait_until(pilot: Pilot[int], started: threading.Event | None = None) -> None:
    """Until the worker set ``started``, or else until no worker runs and what they posted is handled.

    (``settle`` would re-raise a worker's expected error: a cancel is one here.)
    """
    for _ in range(400):
        if started is not None and started.is_set():
            return
        if started is None and not any(w.is_running for w in pilot.app.workers):
            for _ in range(3):
                await pilot.pause()
            return
        await pilot.pause(0.05)


async def test_every_apply_event_reaches_the_step_list_and_the_recovery_goes_on_to_finish(
    tmp_path: Path, no_disks: recorded.JournaledApply
) -> None:
    messages: list[Message] = []
    app = recovery_app(tmp_path, recorded.stages(apply=no_disks))
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await storage_only_to_progress(pilot)
        screen = app.screen
        assert isinstance(screen, ProgressScreen)
        await wait_until(pilot)
        assert screen.finished
        events = [m.event for m in of_type(messages, ApplyReported) if isinstance(m, ApplyReported)]
        plan = app.session.plan
        assert plan is not None
        assert [e.step for e in events if isinstance(e, StepStarted)] == [s.id for s in plan.steps]
        assert len([e for e in events if isinstance(e, StepFinished)]) == len(plan.steps)
        steps = screen.query_one("#steps", OptionList)
        assert [str(steps.get_option_at_index(i).prompt)[:3] for i in range(steps.option_count)] == ["[x]"] * (
            len(plan.steps) + 1
        )
        assert (tmp_path / "journal" / "recovery-plan.json").is_file()
        assert app.session.journal is not None and app.session.journal.is_file()
        await pilot.press("n")
        assert isinstance(app.screen, FinishScreen)
        await wait_until(pilot)
        summary = text_of(app.screen.query_one("#summary", Static))
        assert f"report in {tmp_path}/target/var/log/rescue-tui/:" in summary
        assert "recovery-20260101-120000.json, recovery-20260101-120000.txt" in summary


async def test_cancel_stops_apply_between_steps_and_resume_skips_what_the_journal_has(
    tmp_path: Path, no_disks: recorded.JournaledApply
) -> None:
    no_disks.step_seconds = 0.3
    app = recovery_app(tmp_path, recorded.stages(apply=no_disks))
    async with app.run_test(size=SIZE) as pilot:
        await to_backend(pilot)
        await pilot.press("home", "enter", "n", *"backup01", "enter")
        screen = app.screen
        assert isinstance(screen, ProgressScreen)
        await wait_until(pilot, no_disks.started)
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmDialog)
        assert "--resume" in text_of(app.screen.query_one(Static))
        await pilot.press("y")
        await wait_until(pilot)
        assert isinstance(app.screen, ErrorDialog)  # the app's one renderer: the engine's message and hint
        shown = text_of(app.screen.query_one("#message-text", Static))
        assert "apply stopped by the operator before" in shown and "--resume" in shown
        await pilot.press("enter")
        assert app.screen is screen and not screen.running and not screen.finished
        journal = next((tmp_path / "journal").glob("apply-*.jsonl"))
        entries = [json.loads(line) for line in journal.read_text().splitlines()]
        done = [e["step"] for e in entries if e["event"] == "done"]
        assert entries[-1]["event"] == "cancelled" and 1 <= len(done) < len(app.session.plan.steps)  # type: ignore[union-attr]

        no_disks.step_seconds = 0.0
        await pilot.press("r")
        await wait_until(pilot)
        assert screen.finished
        steps = screen.query_one("#steps", OptionList)
        marks = [str(steps.get_option_at_index(i).prompt)[:3] for i in range(len(done))]
        assert marks == ["[=]"] * len(done)  # done before the cancel: skipped on resume


async def test_quit_while_the_recovery_runs_asks_to_cancel_instead(
    tmp_path: Path, no_disks: recorded.JournaledApply
) -> None:
    no_disks.step_seconds = 0.2
    app = recovery_app(tmp_path, recorded.stages(apply=no_disks))
    async with app.run_test(size=SIZE) as pilot:
        await storage_only_to_progress(pilot)
        await wait_until(pilot, no_disks.started)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmDialog)
        assert "Stop the apply after the step now running?" in text_of(app.screen.query_one(Static))
        await pilot.press("n")
        assert isinstance(app.screen, ProgressScreen)
        await wait_until(pilot)
        assert app.screen.finished
    assert app.return_code is None


async def test_an_engine_error_during_apply_is_one_error_dialog_never_a_traceback(
    tmp_path: Path,
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise ApplyCancelledError("apply stopped by the operator before s001", hint="r resumes")

    app = recovery_app(tmp_path, recorded.stages(apply=refused))
    async with app.run_test(size=SIZE) as pilot:
        await storage_only_to_progress(pilot)
        await wait_until(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert text_of(app.screen.query_one("#message-text", Static)).splitlines() == [
            "apply stopped by the operator before s001",
            "hint: r resumes",
        ]


# -- the throttle (no Textual) --------------------------------------------------------------------


def test_restore_progress_reaches_the_screen_at_most_once_a_second_but_never_loses_a_phase_or_the_end() -> None:
    clock = Clock(now=0.0)
    shown: list[ProgressEvent] = []
    relay = ProgressRelay(shown.append, Throttle(1.0, clock=clock))
    for tick in range(40):  # the tar backend reports every 0.5 s at most; here every 0.1 s for 4 s
        clock.now = tick * 0.1
        relay(ProgressEvent(phase=Phase.RESTORE, bytes_done=tick * 1000, bytes_total=40_000))
    assert [e.bytes_done for e in shown] == [0, 10_000, 20_000, 30_000]
    clock.now = 4.05
    relay(ProgressEvent(phase=Phase.RESTORE, bytes_done=40_000, bytes_total=40_000, final=True))
    clock.now = 4.1
    relay(ProgressEvent(phase=Phase.VERIFY))
    clock.now = 4.2
    relay(ProgressEvent(phase=Phase.VERIFY, bytes_done=5))
    assert [(e.phase, e.final) for e in shown[-2:]] == [(Phase.RESTORE, True), (Phase.VERIFY, False)]
    assert len(shown) == 6


async def test_the_backend_progress_and_finish_screens_have_a_help_overlay_with_their_keys(
    tmp_path: Path, no_disks: recorded.JournaledApply
) -> None:
    from rescue_tui.tui.dialogs import HelpDialog

    app = recovery_app(tmp_path, recorded.stages(apply=no_disks))
    async with app.run_test(size=SIZE) as pilot:
        await to_backend(pilot)
        seen: dict[str, list[str]] = {}
        for keys in ([], ["home", "enter", "n", *"backup01", "enter"], ["n"]):
            await pilot.press(*keys)
            await wait_until(pilot)
            screen = app.screen
            await pilot.press("f1")
            assert isinstance(app.screen, HelpDialog), screen
            assert app.screen.text.strip()
            seen[type(screen).__name__] = [k for k, _ in app.screen.keys]
            await pilot.press("escape")
            assert app.screen is screen
    assert seen["BackendScreen"][:3] == ["p/^R", "n/^N", "Esc"]
    assert seen["ProgressScreen"][:4] == ["c", "r", "n", "s"]
    assert seen["FinishScreen"][:3] == ["b", "v", "s"]


async def test_a_plan_with_luks_asks_for_the_passphrase_twice_and_hands_it_to_apply(tmp_path: Path) -> None:
    from rescue_tui.tui.dialogs import PassphraseDialog

    given: list[object] = []

    def prepare(plan: object, options: ApplyOptions) -> None:
        given.append(options.passphrase)
        raise ApplyCancelledError("stopped here by the test")

    app = demo_app(
        Path("layouts/examples/luks-lvm-thin.json"),
        dry_run=False,
        target_root=tmp_path / "target",
        journal_dir=tmp_path / "journal",
        stages=recorded.stages(prepare=prepare),
    )
    async with app.run_test(size=SIZE) as pilot:
        await to_backend(pilot)
        await pilot.press("home", "enter", "n", *"kestrel", "enter")
        assert isinstance(app.screen, PassphraseDialog)
        await pilot.press(*"s3cret", "enter", *"s3creT", "enter")
        assert "The two differ" in text_of(app.screen.query_one("#passphrase-problem", Static))
        await pilot.press(*"s3cret", "enter", *"s3cret", "enter")
        await wait_until(pilot)
        assert isinstance(app.screen, ErrorDialog)
        shot = app.export_screenshot()
    assert given == ["s3cret"]  # apply's preflight got it (it checks the plan's LUKS containers have one)
    assert repr(app.session.passphrase) == "<secret>" and app.session.passphrase.reveal() == "s3cret"  # type: ignore[union-attr]
    assert "s3cret" not in shot


async def test_secret_fields_are_masked_in_ascii(tmp_path: Path) -> None:
    app = recovery_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_backend(pilot)
        screen.query_one("#spec", Input).value = "restic:/mnt/usb/restic"
        await pilot.pause()
        screen.query_one("#field-password", Input).focus()
        await pilot.press(*"hunter2")
        shot = app.export_screenshot()
    assert "*******" in shot and "hunter2" not in shot and "\u2022" not in shot
