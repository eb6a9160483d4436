"""Finish: finalize the restored system (configs, boot loader, initramfs, report); then reboot or a shell.

Finalize runs in a worker as ``rescue-tui finalize --yes`` runs it (the
operator confirmed the recovery already); its events become log lines, its
outcome a summary with the report's place.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Log, Static

from rescue_tui.errors import RescueError
from rescue_tui.finalize.model import Outcome
from rescue_tui.recover.events import RecoveryEvent, recovery_line
from rescue_tui.recover.recovery import Recovery
from rescue_tui.tui.dialogs import ConfirmDialog, MessageDialog
from rescue_tui.tui.engine import reboot
from rescue_tui.tui.messages import FinalizeFinished, FinalizeReported
from rescue_tui.tui.screens.base import StepScreen


def summary_lines(outcome: Outcome) -> list[str]:
    """What finalize did, in a few lines: files, commands, problems, where the report is."""
    changed = sum(1 for r in outcome.rewrites if r.changed)
    failed = sum(1 for c in outcome.commands if not c.ok)
    lines = [f"{changed} file(s) rewritten, {len(outcome.commands)} command(s) run"
             + (f", {failed} FAILED" if failed else "")]  # fmt: skip
    warnings = [n for n in outcome.notes if n.level == "warning"]
    problems = outcome.problems
    lines.append(f"{len(problems)} problem(s), {len(warnings)} warning(s)")
    lines += [f"error: {n.text()}" for n in problems[:3]]
    if outcome.report_paths:
        paths = [Path(p) for p in outcome.report_paths]
        lines.append(f"report in {paths[0].parent}/:")
        lines.append("  " + ", ".join(p.name for p in paths))
    else:
        lines.append("no report was written")
    return lines


class FinishScreen(StepScreen):
    """Finalize's progress and summary; reboot or a shell.

    | Key | Action |
    | :- | :- |
    | b | reboot into the recovered system (asks first) |
    | v | view the report |
    | s | a root shell |
    | tab | focus the log (scroll it) |
    """

    STEP = "finish"
    HELP_TITLE = "Finish"
    HELP = """
Finalize makes the restored system fit its new disks: it rewrites fstab,
crypttab, mdadm.conf and the kernel command lines where device names
changed, rebuilds the initramfs and installs the boot loader on every boot
disk (in a chroot), then writes a recovery report into the restored
system's /var/log/rescue-tui/ (JSON and text).

When it is done: v shows the report, b reboots (after asking; take the
rescue medium out first, or set the next boot to the disk, so the machine
does not boot the rescue system again), s opens a shell to look around:
the restored system is still mounted under the target root.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "reboot", "Reboot", id="finish.reboot", tooltip="Reboot into the recovered system (asks first)."),
        Binding("v", "view", "Report", id="finish.view", tooltip="Show the recovery report."),
        Binding("s", "shell", "Shell", id="finish.shell", tooltip="A root shell; exit it to come back."),
    ]
    DEFAULT_CSS = """
    FinishScreen #summary {
        max-height: 9;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.running = True
        """Finalize runs (from the moment the screen is made: it starts when mounted)."""
        self.outcome: Outcome | None = None

    def compose(self) -> ComposeResult:
        yield self.header()
        yield Static("", id="finish-status", classes="line", markup=False)
        yield Log(id="finalize-log", classes="box", max_lines=500)
        yield Static("", id="summary", classes="note box", markup=False)
        yield self.footer()

    def on_mount(self) -> None:
        self.query_one("#finalize-log", Log).border_title = "Finalize"
        self.query_one("#summary", Static).border_title = "Summary"
        self.query_one("#summary", Static).update("Finalize is running...")
        recovery = self.session.recovery
        assert recovery is not None, "finish comes after the progress screen ran the recovery"
        self._status(f"Finalizing {recovery.plan.hostname} in {recovery.request.target_root}: do not power off.")
        recovery.listener = self._hand_over
        self.run_finalize(recovery)

    @work(thread=True, exclusive=True, exit_on_error=False, group="storage")
    def run_finalize(self, recovery: Recovery) -> None:
        """Every finalize phase; the outcome is posted even when it failed (the report is written anyway)."""
        try:
            outcome = recovery.finalize()
        except RescueError:
            self.post_message(FinalizeFinished(recovery.outcome or Outcome(), failed=True))
            raise
        self.post_message(FinalizeFinished(outcome))

    def _hand_over(self, event: RecoveryEvent) -> None:
        """Finalize's listener, in the worker thread: each event to the UI thread as a message."""
        self.post_message(FinalizeReported(event))

    @on(FinalizeReported)
    def finalize_reported(self, message: FinalizeReported) -> None:
        line = recovery_line(message.event)
        if line is not None:
            self.query_one("#finalize-log", Log).write_line(line if line.startswith("[") else "  " + line.strip())

    @on(FinalizeFinished)
    def finalize_finished(self, message: FinalizeFinished) -> None:
        self.running = False
        self.outcome = message.outcome
        self.query_one("#summary", Static).update("\n".join(summary_lines(message.outcome)))
        if message.failed:
            self._status("Finalize found problems (see the report): s opens a shell to fix them.", error=True)
        else:
            self._status("Recovery complete: v shows the report, b reboots, s opens a shell.")

    def worker_failed(self, error: BaseException | None) -> None:
        self.running = False
        if self.outcome is None:
            self.query_one("#summary", Static).update("Finalize stopped before writing its report.")
            self._status("Finalize stopped: s opens a shell, q quits.", error=True)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#finish-status", Static)
        status.update(text)
        status.set_class(error, "error")

    def action_view(self) -> None:
        texts = [Path(p) for p in (self.outcome.report_paths if self.outcome else []) if p.endswith(".txt")]
        if not texts:
            self.app.bell()
            return
        try:
            lines = texts[0].read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            self.rescue.show_error("No report", [f"{texts[0]}: {exc.strerror}"])
            return
        self.app.push_screen(MessageDialog(f"Report: {texts[0].name}", lines))

    def action_reboot(self) -> None:
        if self.running or self.session.dry_run:
            self.app.bell()
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                reboot()
            except RescueError as exc:
                self.rescue.show_error("No reboot", exc.lines())

        self.app.push_screen(
            ConfirmDialog(
                "Reboot now? Take the rescue medium out first (or set the next boot to the disk), "
                "or the machine boots the rescue system again.",
                title="Reboot",
            ),
            answered,
        )

    def action_shell(self) -> None:
        if self.running:
            self.app.bell()
            return
        self.rescue.action_shell()
