"""Another console's recovery, read-only: its log as it grows, and whether it still runs.

Two consoles, one recovery: the one that started it drives it; any other may
watch it here (never press a key that changes it). The lines come from the
recovery's log (``recover/log.py``), read once a second from where the last
read ended; whether it still runs comes from the recovery lock's holder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Log, Static

from rescue_tui.lock import Holder, current_holder
from rescue_tui.recover.interrupted import find_interrupted
from rescue_tui.text import printable

if TYPE_CHECKING:
    from rescue_tui.tui.app import RescueApp

POLL_SECONDS = 1.0
MAX_LINES = 2000
READ_AT_MOST = 1 << 20
"""Bytes read per poll: a log that grew by more shows its newest part."""


class FollowScreen(Screen[None]):
    """The running recovery of another console, as its log says; Esc goes back.

    | Key | Action |
    | :- | :- |
    | esc | back |
    """

    DEFAULT_CSS = """
    FollowScreen #follow-state {
        height: auto;
    }
    """
    HELP_TITLE: ClassVar[str] = "Following a recovery"
    HELP: ClassVar[str] = """
A recovery runs on another console (or from a shell): only one runs at a
time, and it is driven where it was started. This screen shows its log as
it grows and cannot change it. When it ends, the last lines say how; the
console that ran it shows the rest (the report, the reboot).
"""
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back", id="follow.back")]

    def __init__(self, log: Path, holder: Holder) -> None:
        super().__init__()
        self.log_path = log
        self.holder = holder
        self.recovery_running = True
        self._offset = 0
        self._partial = ""

    def compose(self) -> ComposeResult:
        yield Header(icon=cast("RescueApp", self.app).glyphs.header_icon)
        yield Static(self._following_text(), id="following", classes="note", markup=False)
        yield Log(id="lines", max_lines=MAX_LINES, classes="box")
        yield Static("", id="follow-state", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "rescue-tui: following"
        self.sub_title = "read-only"
        self.poll()
        self.set_interval(POLL_SECONDS, self.poll)

    def _following_text(self) -> str:
        return printable(f"Following {self.holder.describe()}: read-only, Esc goes back.")

    def poll(self) -> None:
        """New lines from the log; then whether the recovery still runs (it may pause between its stages)."""
        self.query_one("#lines", Log).write_lines(self._new_lines())
        holder = current_holder()
        running = holder is not None
        if holder is not None and holder != self.holder:  # finalize after apply and restore, or a resume
            self.holder = holder
            self.query_one("#following", Static).update(self._following_text())
        if running != self.recovery_running:
            self.recovery_running = running
            self.query_one("#follow-state", Static).update("" if running else self._why_nothing_runs())

    def _why_nothing_runs(self) -> str:
        stopped = find_interrupted(self.log_path.parent)
        if stopped is not None:
            return "The recovery stopped and the console that ran it is gone: Esc, then t takes it over here."
        return (
            "Nothing runs now: the recovery ended, stopped, or waits on its console "
            "for the next step (finalize). The log goes on here if it does."
        )

    def _new_lines(self) -> list[str]:
        try:
            with self.log_path.open("rb") as log:
                size = log.seek(0, 2)
                if size < self._offset:  # a new log: read it from the start
                    self._offset, self._partial = 0, ""
                start = max(self._offset, size - READ_AT_MOST)
                log.seek(start)
                data = log.read(size - start)
        except OSError:
            return []
        self._offset = start + len(data)
        text = self._partial + data.decode("utf-8", errors="replace")
        *lines, self._partial = text.split("\n")
        return [printable(line) for line in lines]

    def action_back(self) -> None:
        self.app.pop_screen()
