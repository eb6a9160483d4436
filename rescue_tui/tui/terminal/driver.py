"""Textual's Linux driver with a lean output stage: only the cells that changed reach the terminal."""

from __future__ import annotations

import os
import shutil
from typing import Any

from textual.drivers.linux_driver import LinuxDriver

from rescue_tui.tui.terminal.shadow import Shadow

RAW_OUTPUT_ENV = "RESCUE_TUI_RAW_OUTPUT"
"""Set to 1 to send Textual's output unchanged (to compare, or if the lean output ever misdraws)."""


class LeanDriver(LinuxDriver):
    """A LinuxDriver whose writes go through a ``Shadow`` of the screen.

    The size given to ``App.run(size=...)`` wins over what the tty says (a
    serial line may say 0x0); otherwise the tty's size, 80x24 if it has none.
    """

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        width, height = self._get_terminal_size()
        self.shadow: Shadow | None = None if os.environ.get(RAW_OUTPUT_ENV) == "1" else Shadow(height, width)

    def _get_terminal_size(self) -> tuple[int, int]:
        if self._size is not None:
            width, height = self._size
        else:
            width, height = shutil.get_terminal_size((80, 24))
            width, height = width or 80, height or 24
        shadow: Shadow | None = getattr(self, "shadow", None)
        if shadow is not None and (shadow.cols, shadow.rows) != (width, height):
            shadow.resize(height, width)
        return width, height

    def resized(self, width: int, height: int) -> None:
        """The app learnt a new size (also in-band): the shadow follows."""
        if self.shadow is not None and (self.shadow.cols, self.shadow.rows) != (width, height):
            self.shadow.resize(height, width)

    def repaint(self) -> None:
        """Forget what the terminal shows (Ctrl-L): the next frame redraws every cell."""
        if self.shadow is not None:
            self.shadow.invalidate()

    def write(self, data: str) -> None:
        if self.shadow is not None:
            data = self.shadow.feed(data)
            if not data:
                return
        super().write(data)
