"""The help overlay: what this screen is for, and every key it answers to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def reflow(text: str) -> str:
    """Paragraphs as single lines, so the dialog wraps them at its own width (not at the source's 76 columns)."""
    return "\n\n".join(" ".join(p.split()) for p in text.strip().split("\n\n"))


class HelpDialog(ModalScreen[None]):
    """A screen's help text and key table.

    | Key | Action |
    | :- | :- |
    | escape, enter, ?, q | close |
    | up/down, pgup/pgdn | scroll |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,question_mark,q,f1", "close", "Close", id="help.close", tooltip="Close the help."),
        Binding("up", "scroll(-1)", "Scroll up", show=False, id="help.up", tooltip="Scroll the help up."),
        Binding("down", "scroll(1)", "Scroll down", show=False, id="help.down", tooltip="Scroll the help down."),
        Binding("pageup", "scroll(-10)", "Page up", show=False, id="help.pageup", tooltip="Scroll a page up."),
        Binding("pagedown", "scroll(10)", "Page down", show=False, id="help.pagedown", tooltip="Scroll a page down."),
    ]

    def __init__(self, title: str, text: str, keys: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text, self.text = title, text
        self.keys = list(keys)

    def compose(self) -> ComposeResult:
        width = max((len(k) for k, _ in self.keys), default=4)
        table = "\n".join(f"  {key:<{width}}  {what}" for key, what in self.keys)
        with VerticalScroll(classes="dialog", id="help-box") as box:
            box.border_title = f"Help: {self.title_text}"
            box.border_subtitle = "Enter or Esc: close"
            box.can_focus = False
            yield Static(f"{reflow(self.text)}\n\nKeys:\n{table}", markup=False)

    def action_scroll(self, lines: int) -> None:
        self.query_one("#help-box", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
