"""The look: 16 ANSI colours that the Linux console and serial clients show, ASCII or Unicode glyphs.

One palette for every console (``rescue-16``: ansi-dark with visible borders
and cursors, no bright backgrounds), so snapshots, the VT and a serial line
agree. Glyph mode is a CSS class on the app (``-ascii``) plus the few glyphs
drawn in Python (scrollbars, tree guides, the header icon).
"""

from __future__ import annotations

from typing import ClassVar, Final

from textual.scrollbar import ScrollBarRender
from textual.theme import Theme

THEME_NAME: Final = "rescue-16"

THEME: Final = Theme(
    name=THEME_NAME,
    ansi=True,
    primary="ansi_cyan",
    secondary="ansi_blue",
    warning="ansi_yellow",
    error="ansi_red",
    success="ansi_green",
    accent="ansi_cyan",
    foreground="ansi_default",
    background="ansi_default",
    surface="ansi_default",
    panel="ansi_default",
    boost="ansi_default",
    dark=True,
    variables={
        "ansi-background": "ansi_black",
        "ansi-foreground": "ansi_white",
        "border": "ansi_cyan",
        "border-blurred": "ansi_white",
        "block-cursor-foreground": "ansi_black",
        "block-cursor-background": "ansi_cyan",
        "block-cursor-text-style": "none",
        "block-cursor-blurred-foreground": "ansi_default",
        "block-cursor-blurred-background": "ansi_default",
        "block-cursor-blurred-text-style": "bold",
        "block-hover-background": "ansi_default",
        "footer-key-foreground": "ansi_cyan",
        "footer-description-foreground": "ansi_default",
        "input-cursor-background": "ansi_default",
        "input-cursor-foreground": "ansi_default",
        "input-cursor-text-style": "reverse",
        "input-selection-background": "ansi_cyan",
        "input-selection-foreground": "ansi_black",
        "scrollbar": "ansi_cyan",
        "scrollbar-hover": "ansi_cyan",
        "scrollbar-active": "ansi_cyan",
        "scrollbar-background": "ansi_default",
        "scrollbar-background-hover": "ansi_default",
        "scrollbar-background-active": "ansi_default",
        "scrollbar-corner-color": "ansi_default",
    },
)


class AsciiScrollBarRender(ScrollBarRender):
    """Scrollbars without eighth blocks: a plain thumb (reverse video) on a blank track."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


class Glyphs:
    """The characters drawn in Python, per mode."""

    def __init__(self, ascii_mode: bool) -> None:
        self.ascii = ascii_mode
        self.header_icon = "*" if ascii_mode else "⭘"
        self.tee, self.corner, self.pipe = ("|-", "`-", "| ") if ascii_mode else ("├─", "└─", "│ ")
        """Tree guides: a child with siblings below, the last child, an ancestor's line (two cells each)."""
        self.bar_done, self.bar_left = ("#", "-") if ascii_mode else ("█", "░")
        """A progress bar's filled and empty cells (full block and light shade: in the Linux console's fonts)."""
