"""Progress: the recovery running, apply step by step, then mount, then restore with bytes, files, rate and ETA.

A view over the engine: one thread worker runs the session's
:class:`~rescue_tui.recover.recovery.Recovery` (what ``rescue-tui recover``
runs) and only posts messages (its events as they come; restore progress at
most about once a second). The handlers here draw. Nothing animates: the screen is silent between events.

Safe cancel: apply stops between two steps, never inside one (the journal
keeps what was done; resume continues it); restore stops its tools.
"""

from __future__ import annotations

import threading
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Log, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from rescue_tui.errors import RescueError
from rescue_tui.events import Notice, StepFailed, StepFinished, StepStarted
from rescue_tui.plan.model import Plan
from rescue_tui.recover.events import RecoveryEvent, RestoreDone, RestoreSampled, StageStarted
from rescue_tui.recover.interrupted import PLAN_FILE
from rescue_tui.recover.recovery import Recovery, RecoveryRequest
from rescue_tui.restore.model import Credentials, ProgressEvent
from rescue_tui.restore.progress import format_event
from rescue_tui.tui.dialogs import ConfirmDialog
from rescue_tui.tui.messages import ApplyReported, RestoreFinished, RestoreProgressed, StageChanged
from rescue_tui.tui.screens.base import StepScreen
from rescue_tui.tui.theme import Glyphs
from rescue_tui.tui.throttle import ProgressRelay
from rescue_tui.units import human_size

MARKS = {"pending": "[ ]", "running": "[>]", "done": "[x]", "skipped": "[=]", "failed": "[!]"}
"""A step's state in the list: ASCII in both glyph modes (brackets read well on every console)."""


def progress_bar(fraction: float, width: int, glyphs: Glyphs) -> str:
    """``[#######-------]  50%`` in ``width`` cells."""
    fraction = min(1.0, max(0.0, fraction))
    inner = max(1, width - 7)
    done = round(fraction * inner)
    return f"[{glyphs.bar_done * done}{glyphs.bar_left * (inner - done)}] {fraction * 100:3.0f}%"


class ProgressScreen(StepScreen):
    """The recovery as it runs: the steps, a progress bar, a log.

    | Key | Action |
    | :- | :- |
    | c | cancel (asks first): apply between steps, restore at once |
    | r | resume after a stop (the journal skips what was done) |
    | n | go on to finalize (once everything is done) |
    | s | a shell (not while it runs) |
    | tab | move between the steps and the log (scroll them) |
    """

    STEP = "recovery"
    HELP_TITLE = "Recovery"
    HELP = """
The recovery runs: apply wipes the target disks and recreates the layout,
step by step ([>] running, [x] done, [=] done before, [!] failed); then the
new filesystems are mounted under the target root and the backup is
restored into them and verified. The bar and the line under it show the
restore: bytes, files, rate and the time left. The log below says the rest.

c cancels, after asking. Apply stops between two steps, never inside one:
the journal keeps what was done, and r (or rescue-tui apply PLAN --resume
from a shell, with the plan saved beside the journal) continues it. A
restore stops at once; r restores again without redoing apply.

When everything is done, n goes on to finalize: the configs, the boot
loader and the report.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "cancel", "Cancel", id="progress.cancel",
                tooltip="Stop the recovery (asks first): apply between two steps, restore at once."),
        Binding("r", "resume", "Resume", id="progress.resume",
                tooltip="After a stop: run again; what the journal has as done is skipped."),
        Binding("n", "next", "Finalize", id="progress.next", tooltip="Go on to finalize, once all is done."),
        Binding("s", "shell", "Shell", id="progress.shell", tooltip="A root shell (not while the recovery runs)."),
    ]  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.cancel = threading.Event()
        self.running = False
        self.stage = "apply"
        self.finished = False
        self.tried = False
        """A run was started before: the next one resumes from the journal."""
        self.last_event: ProgressEvent | None = None
        self.relay = ProgressRelay(self._hand_over_progress)

    @property
    def plan(self) -> Plan:
        plan = self.session.plan
        assert plan is not None
        return plan

    def compose(self) -> ComposeResult:
        yield self.header()
        yield Static("", id="stage", classes="line", markup=False)
        yield OptionList(*self._rows(), id="steps", classes="box", markup=False)
        with Vertical(id="restore-box", classes="box"):
            yield Static("", id="bar", classes="line", markup=False)
            yield Static("", id="rate", classes="line", markup=False)
        yield Log(id="log", classes="box", max_lines=500)
        yield self.footer()

    def _rows(self) -> list[Option]:
        rows = [Option(f"{MARKS['pending']} {s.id}  {s.summary()}", id=s.id) for s in self.plan.steps]
        rows.append(Option(f"{MARKS['pending']} mount  the target tree under {self.session.options.target_root}",
                           id="mount"))  # fmt: skip
        restore = self.session.restore
        if restore is not None and restore.spec is not None:
            rows.append(Option(f"{MARKS['pending']} restore  from {restore.spec.text}, then verify", id="restore"))
        return rows

    def on_mount(self) -> None:
        self.query_one("#steps", OptionList).border_title = "Steps"
        self.query_one("#restore-box", Vertical).border_title = "Restore"
        self.query_one("#log", Log).border_title = "Log"
        self._draw_bar(None)
        self.query_one("#steps", OptionList).focus()
        self.start()

    def start(self) -> None:
        if self.session.recovery is None:
            self.session.recovery = self.rescue.new_recovery(self._request(), self._hand_over)
        self.cancel = threading.Event()
        self.relay = ProgressRelay(self._hand_over_progress)
        self.session.started = True
        self.running, self.finished, self.stage = True, False, "apply"
        self._stage("apply", f"Applying the plan of {self.plan.hostname}: do not power off.")
        resume = self.tried or self.session.takeover is not None  # a takeover goes on from the journal
        self.run_recovery(self.session.recovery, self.cancel, resume=resume)
        self.tried = True

    def _request(self) -> RecoveryRequest:
        """The recovery the operator confirmed, from the session."""
        restore, options = self.session.restore, self.session.options
        return RecoveryRequest(
            plan=self.plan,
            target_root=options.target_root,
            journal_dir=options.journal_dir,
            backend=restore.spec if restore else None,
            credentials=restore.credentials if restore else Credentials(),
            passphrase=self.session.passphrase,
            bootloader=options.bootloader,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="storage")
    def run_recovery(self, recovery: Recovery, cancel: threading.Event, *, resume: bool) -> None:
        """The engine's recovery up to finalize; only messages leave this thread (through ``_hand_over``)."""
        recovery.run(cancel, resume=resume)

    def _hand_over(self, event: RecoveryEvent) -> None:
        """The recovery's listener, in the worker thread: each event to the UI thread as a message."""
        if isinstance(event, RestoreSampled):
            self.relay(event.sample)
        elif isinstance(event, StageStarted):
            self.post_message(StageChanged(event.stage, event.summary))
        elif isinstance(event, RestoreDone):
            self.post_message(RestoreFinished(event.outcome))
        else:
            self.post_message(ApplyReported(event))

    def _hand_over_progress(self, event: ProgressEvent) -> None:
        """Restore's progress (already throttled by the relay), in the worker thread."""
        self.post_message(RestoreProgressed(event))

    # -- what the worker reports --------------------------------------------------------------

    @on(StageChanged)
    def stage_changed(self, message: StageChanged) -> None:
        if message.detail:
            self._log(message.detail)
        if message.stage == self.stage and message.stage != "done":
            return
        if self.stage == "apply" and message.stage != "apply":
            self._mark("mount", "running")
        if message.stage == "restore":
            self._mark("mount", "done")
            self._mark("restore", "running")
            self._stage("restore", "Restoring the files: c cancels.")
        elif message.stage == "mount":
            self._stage("mount", "Mounting the new filesystems.")
        elif message.stage == "done":
            self._mark("mount", "done")
            self.running, self.finished = False, True
            self._stage("done", "Recovery done: n goes on to finalize (configs, boot loader, report).")
        self.stage = message.stage

    @on(ApplyReported)
    def apply_reported(self, message: ApplyReported) -> None:
        event = message.event
        if isinstance(event, StepStarted):
            self._mark(event.step, "running")
            self._stage("apply", f"Applying step {event.index}/{event.total}: {event.summary}")
        elif isinstance(event, StepFinished):
            self._mark(event.step, "skipped" if event.skipped else "done")
        elif isinstance(event, StepFailed):
            self._mark(event.step, "failed")
            self._log(f"{event.step} FAILED: {event.message}")
        elif isinstance(event, Notice):
            self._log(event.message)

    @on(RestoreProgressed)
    def restore_progressed(self, message: RestoreProgressed) -> None:
        self._draw_bar(message.event)

    @on(RestoreFinished)
    def restore_finished(self, message: RestoreFinished) -> None:
        outcome = message.outcome
        files = f", {outcome.restore.files} entries" if outcome.restore.files is not None else ""
        self._log(f"restored {human_size(outcome.restore.bytes)}{files} in {outcome.restore.seconds:.1f} s")
        for warning in outcome.restore.warnings:
            self._log(f"warning: {warning}")
        if outcome.verify is not None:
            self._log(f"verified ({outcome.verify.method}): {outcome.verify.detail}")
        self._mark("restore", "done")

    def worker_failed(self, error: BaseException | None) -> None:
        """A stop (error or cancel): say where, mark it; the app has shown the error, once."""
        self.running = False
        message = error.message if isinstance(error, RescueError) else f"{type(error).__name__}: {error}"
        self._log(f"stopped: {message}")
        for row in ("mount", "restore"):
            if self.stage == row:
                self._mark(row, "failed")
        self._stage(self.stage, f"Stopped during {self.stage}: r resumes, s opens a shell, q quits.", error=True)

    # -- drawing ------------------------------------------------------------------------------

    def _stage(self, stage: str, text: str, *, error: bool = False) -> None:
        line = self.query_one("#stage", Static)
        line.update(text)
        line.set_class(error, "error")

    def _mark(self, row: str, state: str) -> None:
        steps = self.query_one("#steps", OptionList)
        try:
            index = steps.get_option_index(row)
        except OptionDoesNotExist:  # no restore row: storage only
            return
        prompt = str(steps.get_option_at_index(index).prompt)
        steps.replace_option_prompt_at_index(index, MARKS[state] + prompt[3:])
        if state == "running":
            steps.highlighted = index

    def _log(self, line: str) -> None:
        self.query_one("#log", Log).write_line(line)

    def _draw_bar(self, event: ProgressEvent | None) -> None:
        self.last_event = event
        width = self.query_one("#bar", Static).size.width or 74
        if event is None:
            restore = self.session.restore
            what = "no restore chosen: storage only" if restore is None or restore.spec is None else "not started"
            self.query_one("#bar", Static).update(progress_bar(0.0, width, self.rescue.glyphs))
            self.query_one("#rate", Static).update(what)
            return
        fraction = event.bytes_done / event.bytes_total if event.bytes_total else (1.0 if event.final else 0.0)
        self.query_one("#bar", Static).update(progress_bar(fraction, width, self.rescue.glyphs))
        self.query_one("#rate", Static).update(format_event(event))

    def glyphs_changed(self, glyphs: Glyphs) -> None:
        if self.is_mounted:
            self._draw_bar(self.last_event)

    # -- keys ---------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if not self.running:
            self.app.bell()
            return
        if self.stage == "restore":
            question = (
                "Stop the restore now? Its tools are stopped; what was restored stays in "
                f"{self.session.options.target_root}. r restores again (apply is not redone)."
            )
        else:
            question = (
                "Stop the apply after the step now running? A step is never cut in the middle. "
                "The journal keeps what was done: r continues here, or from a shell: "
                f"rescue-tui apply {self.session.options.journal_dir / PLAN_FILE} --resume"
            )

        def answered(yes: bool | None) -> None:
            if yes and self.running:
                self.cancel.set()
                self._log("cancel asked: stopping " + ("now" if self.stage == "restore" else "after this step"))

        self.app.push_screen(ConfirmDialog(question, title="Cancel the recovery?"), answered)

    def action_resume(self) -> None:
        if self.running or self.finished:
            self.app.bell()
            return
        self._log("resuming: the journal skips what was done")
        self.start()

    def action_next(self) -> None:
        if not self.finished:
            self.app.bell()
            return
        self.done()

    def action_shell(self) -> None:
        if self.running:
            self.app.bell()
            return
        self.rescue.action_shell()
