"""The rescue-tui application: screens in order, one error renderer, glyph modes, console rules.

Small on purpose: each step is a screen (``screens/``), each question a
dialog (``dialogs/``), engine calls run in workers that only post messages.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.events import Resize
from textual.reactive import reactive
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.widgets import Header
from textual.worker import Worker, WorkerState

from rescue_tui.console import MIN_COLS, MIN_ROWS
from rescue_tui.errors import RescueError
from rescue_tui.lock import Holder, current_holder
from rescue_tui.recover.events import RecoveryListener
from rescue_tui.recover.log import LOG_FILE
from rescue_tui.recover.recovery import Recovery, RecoveryRequest, Stages
from rescue_tui.tui.dialogs import ConfirmDialog, ErrorDialog, HelpDialog
from rescue_tui.tui.flow import FIRST, next_step, screen_for
from rescue_tui.tui.messages import StepDone
from rescue_tui.tui.screens.follow import FollowScreen
from rescue_tui.tui.screens.small import TooSmallScreen
from rescue_tui.tui.session import Session, TuiOptions
from rescue_tui.tui.terminal.driver import LeanDriver
from rescue_tui.tui.theme import THEME, THEME_NAME, AsciiScrollBarRender, Glyphs

KEY_NAMES = {
    "enter": "Enter",
    "escape": "Esc",
    "tab": "Tab",
    "question_mark": "?",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "space": "Space",
    "backspace": "Bksp",
    "delete": "Del",
}
"""Key names as the footer and help show them: plain ASCII words, never glyphs."""


def key_name(key: str) -> str:
    """``ctrl+l`` -> ``^L``, ``question_mark`` -> ``?``, ``enter`` -> ``Enter``."""
    if key.startswith("ctrl+"):
        return "^" + key_name(key[5:]).upper()
    if key.startswith("f") and key[1:].isdigit():
        return key.upper()
    return KEY_NAMES.get(key, key)


class RescueApp(App[int]):
    """The operator console over the engine: welcome -> layout -> mapping -> plan -> backend -> confirm ->
    progress (apply, mount, restore) -> finish (finalize, reboot or shell).

    | Key | Action |
    | :- | :- |
    | ?, f1 | help for this screen |
    | g | switch ASCII / Unicode glyphs |
    | ctrl+l | redraw the whole screen |
    | q, ctrl+c | quit (asks first) |
    """

    TITLE = "rescue-tui"
    CSS_PATH = "rescue.tcss"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "help", "Help", id="app.help", tooltip="What this screen is for, and its keys."),
        Binding("g", "toggle_glyphs", "ASCII/Unicode", show=False, id="app.glyphs",
                tooltip="Switch between ASCII-only output (serial, Linux console) and Unicode glyphs."),
        Binding("ctrl+l", "redraw", "Redraw", show=False, id="app.redraw",
                tooltip="Draw the whole screen again (after line noise on a serial console)."),
        Binding("q", "quit_app", "Quit", id="app.quit", tooltip="Leave rescue-tui (asks first)."),
        Binding("ctrl+c", "quit_app", "Quit", show=False, priority=True, id="app.interrupt",
                tooltip="Leave rescue-tui (asks first)."),
    ]  # fmt: skip

    ascii_mode: reactive[bool] = reactive(True, init=False)
    """ASCII-only output (True) or Unicode glyphs; the CSS class ``-ascii`` follows it."""

    def __init__(self, options: TuiOptions, *, ascii_mode: bool | None = None, stages: Stages | None = None) -> None:
        super().__init__(driver_class=LeanDriver)
        self.options = options
        self.stages = stages or Stages()
        """The engine's recovery stages (tests hand in recorded ones that touch no disk)."""
        self.session = Session(options=options, dry_run=True)
        self.animation_level = "none"
        self.set_reactive(RescueApp.ascii_mode, options.console.glyphs == "ascii" if ascii_mode is None else ascii_mode)
        self.register_theme(THEME)
        self.theme = THEME_NAME

    def new_recovery(self, request: RecoveryRequest, listener: RecoveryListener) -> Recovery:
        """The engine's recovery for what the operator confirmed, on this app's stages."""
        return Recovery(request, listener, stages=self.stages)

    @property
    def glyphs(self) -> Glyphs:
        return Glyphs(self.ascii_mode)

    crash: BaseException | None = None
    """The unexpected exception that ended the app, if one did (its traceback is in the log, not on screen)."""

    def on_mount(self) -> None:
        self._apply_glyphs()
        self.push_screen(screen_for(FIRST))
        self._check_size(self.size.width, self.size.height)
        if self.options.on_first_frame is not None:
            self.call_after_refresh(self.options.on_first_frame)

    def on_step_done(self, message: StepDone) -> None:
        """A step screen is done: push the one that follows it in this session's flow."""
        following = next_step(message.step, self.session)
        if following is not None:
            self.push_screen(screen_for(following))

    def _handle_exception(self, error: Exception) -> None:
        """An exception no handler caught: the app ends; the traceback goes to the log, never to the console.

        Textual would print a traceback with locals on the terminal (a serial line, a
        systemd console that restarts the app): whoever started the app says one line
        instead (``crash``), and the log keeps the details.
        """
        if self.crash is None:
            self.crash = error
            logging.getLogger(__name__).error("the console stopped", exc_info=error)
        super()._handle_exception(error)
        self._exit_renderables.clear()  # Textual prints these on exit (pinned textual==8.2.8)

    # -- console ------------------------------------------------------------

    def watch_ascii_mode(self) -> None:
        self._apply_glyphs()

    def _apply_glyphs(self) -> None:
        self.set_class(self.ascii_mode, "-ascii")
        ScrollBar.renderer = AsciiScrollBarRender if self.ascii_mode else ScrollBarRender
        for header in self.query(Header):
            header.icon = self.glyphs.header_icon
        for screen in self.screen_stack:
            for header in screen.query(Header):
                header.icon = self.glyphs.header_icon
            refresh = getattr(screen, "glyphs_changed", None)
            if callable(refresh):
                refresh(self.glyphs)
        self.refresh(layout=True, repaint=True)

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header line, ASCII: ``rescue-tui: plan  (dry run: nothing is written)``."""
        return Content(f"{title}  ({sub_title})" if sub_title else title)

    def get_key_display(self, binding: Binding) -> str:
        if binding.key_display:
            return binding.key_display
        return key_name(binding.key.split(",")[0])

    def on_resize(self, event: Resize) -> None:
        if isinstance(self._driver, LeanDriver):
            self._driver.resized(event.size.width, event.size.height)
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        small = width < MIN_COLS or height < MIN_ROWS
        on_top = isinstance(self.screen, TooSmallScreen)
        if small and not on_top:
            self.push_screen(TooSmallScreen())
        elif not small and on_top:
            self.pop_screen()

    # -- actions --------------------------------------------------------------

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, HelpDialog):
            return
        title = getattr(screen, "HELP_TITLE", screen.__class__.__name__)
        text = getattr(screen, "HELP", "")
        self.push_screen(HelpDialog(title, text, self.keys_of(screen)))

    def keys_of(self, node: Any) -> list[tuple[str, str]]:
        """(keys, what they do) for a screen's bindings, then the app's: what the help shows."""
        rows: list[tuple[str, str]] = []
        for source in (node, self):
            for binding in getattr(source, "BINDINGS", []):
                if isinstance(binding, Binding):
                    keys = "/".join(key_name(k.strip()) for k in binding.key.split(","))
                    rows.append((keys, binding.tooltip or binding.description))
        return rows

    def action_toggle_glyphs(self) -> None:
        self.ascii_mode = not self.ascii_mode

    def action_redraw(self) -> None:
        if isinstance(self._driver, LeanDriver):
            self._driver.repaint()
        self.refresh(repaint=True, layout=True)
        self.screen.refresh(repaint=True, layout=True)

    def action_quit_app(self) -> None:
        if isinstance(self.screen, ConfirmDialog):
            return
        if getattr(self.screen, "running", False):  # a stage writes: stop it safely (asks), never leave mid-step
            cancel = getattr(self.screen, "action_cancel", None)
            if callable(cancel):
                cancel()
            else:
                self.bell()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit(0)

        written = not self.session.dry_run and self.session.started
        question = "Leave rescue-tui?" + ("" if written else " Nothing has been written.")
        self.push_screen(ConfirmDialog(question), answered)

    def action_shell(self) -> None:
        """A root shell on this console; rescue-tui comes back when it exits."""
        shell = os.environ.get("SHELL") or "/bin/sh"
        try:
            with self.suspend():
                print("Shell: type exit to come back to rescue-tui.", flush=True)
                subprocess.run([shell], check=False)
        except SuspendNotSupported:
            self.show_error("No shell here", ["This console cannot hand over to a shell; quit instead (q)."])
        except OSError as exc:
            self.show_error("No shell", [f"{shell}: {exc.strerror}"])
        self.action_redraw()

    def running_elsewhere(self) -> Holder | None:
        """The recovery another process runs now (another console, a shell), or None."""
        holder = current_holder()
        return holder if holder is not None and holder.pid != os.getpid() else None

    def action_follow(self) -> None:
        """Watch the recovery another console runs, read-only."""
        holder = self.running_elsewhere()
        if holder is None:
            self.bell()
            self.notify("No recovery runs on another console now.", title="Nothing to follow", timeout=4)
            return
        self.push_screen(FollowScreen(self.options.journal_dir / LOG_FILE, holder))

    # -- errors: the one renderer -------------------------------------------

    def show_error(self, title: str, lines: Sequence[str]) -> None:
        """Show an error once, as a dialog."""
        self.push_screen(ErrorDialog(title, lines))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.worker_state_changed(event)

    def worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker failed: its RescueError as one dialog, anything else as an internal error (never a traceback).

        ``Worker.StateChanged`` does not bubble: screens hand theirs over here (``StepScreen``).
        """
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, RescueError):
            self.show_error("Error", error.lines())
        else:
            self.log.error(f"worker {event.worker.name} failed", error)
            self.show_error("Internal error", [f"{type(error).__name__}: {error}", "Please report this."])


def make_app(
    *,
    layout: Path | None = None,
    targets: str = "live",
    dry_run: bool = False,
    ascii_mode: bool = True,
    **options: Any,
) -> RescueApp:
    """An app with options set directly (tests, snapshots, the bench)."""
    return RescueApp(TuiOptions(layout=layout, targets=targets, dry_run=dry_run, **options), ascii_mode=ascii_mode)
