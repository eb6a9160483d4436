"""Shown instead of everything else while the terminal is smaller than 80x24."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from rescue_tui.console import MIN_COLS, MIN_ROWS


class TooSmallScreen(Screen[None]):
    """A clear message until the terminal is large enough again (the app pops it then)."""

    DEFAULT_CSS = """
    TooSmallScreen {
        align: center middle;
    }
    TooSmallScreen Static {
        width: auto;
        height: auto;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="too-small", markup=False)

    def on_mount(self) -> None:
        self._update()

    def on_resize(self) -> None:
        self._update()

    def _update(self) -> None:
        width, height = self.app.size
        self.query_one("#too-small", Static).update(
            f"rescue-tui needs at least {MIN_COLS}x{MIN_ROWS}.\n"
            f"This terminal is {width}x{height}.\n"
            "Enlarge it (or: stty rows 24 cols 80).\n"
            "q quits."
        )
