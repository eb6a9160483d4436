"""A message to read and close: information, or an error (the TUI's one place errors are shown)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rescue_tui.text import printable


class MessageDialog(ModalScreen[None]):
    """Lines to read; any of the close keys dismisses it.

    | Key | Action |
    | :- | :- |
    | enter, escape, o | close |
    | up/down, pgup/pgdn | scroll a long message |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,o", "close", "Close", id="message.close", tooltip="Close this message."),
    ]
    KIND: ClassVar[str] = "message-dialog"

    def __init__(self, title: str, lines: Sequence[str], *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.title_text = printable(title)
        self.lines = [printable(part) for line in lines for part in line.split("\n")]
        """As shown: a control character from a file or a tool's output never reaches the terminal raw."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes=f"dialog {self.KIND}") as box:
            box.border_title = self.title_text
            box.border_subtitle = "Enter: close"
            yield Static("\n".join(self.lines), markup=False, id="message-text")

    def action_close(self) -> None:
        self.dismiss(None)


class ErrorDialog(MessageDialog):
    """An error from the engine or the TUI, with its lines (problems, then a hint)."""

    KIND: ClassVar[str] = "error-dialog"
