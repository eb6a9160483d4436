"""A saved layout as a tree: disk -> table -> partitions -> md -> LUKS -> VG -> LVs -> filesystem -> mount."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from rescue_tui.layout.show import TreeRow
from rescue_tui.tui.theme import Glyphs


def guides(rows: Sequence[TreeRow], glyphs: Glyphs) -> list[str]:
    """The indentation of each row: ancestors' lines, then a tee or a corner before the row itself."""
    out: list[str] = []
    for index, row in enumerate(rows):
        if row.depth == 0:
            out.append("")
            continue
        parts = []
        for level in range(1, row.depth + 1):
            # Is there a later row at this level before the tree climbs above it?
            more = False
            for later in rows[index + 1 :]:
                if later.depth < level:
                    break
                if later.depth == level:
                    more = True
                    break
            if level == row.depth:
                parts.append(glyphs.tee if more else glyphs.corner)
            else:
                parts.append(glyphs.pipe if more else "  ")
        out.append("".join(parts))
    return out


class LayoutTree(OptionList):
    """The layout's items, one line each, indented by tree guides; sizes human-readable.

    | Key | Action |
    | :- | :- |
    | up/down, pgup/pgdn, home/end | move through the tree |
    """

    DEFAULT_CSS = """
    LayoutTree {
        height: 1fr;
    }
    LayoutTree > .option-list--option {
        padding: 0 1;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes, markup=False)
        self._tree_rows: list[TreeRow] = []
        self._tree_glyphs = Glyphs(ascii_mode=True)

    def show_rows(self, rows: Sequence[TreeRow], glyphs: Glyphs) -> None:
        """Show these rows (from ``rescue_tui.layout.show.tree_rows``)."""
        self._tree_rows, self._tree_glyphs = list(rows), glyphs
        self._refill()

    def show_lines(self, lines: Sequence[Content | str]) -> None:
        """Show plain lines instead of a tree (a layout's problems)."""
        self._tree_rows = []
        self.set_options(Option(line) for line in lines)
        self.highlighted = 0 if lines else None

    def set_glyphs(self, glyphs: Glyphs) -> None:
        """Redraw the guides for another glyph mode."""
        self._tree_glyphs = glyphs
        if self._tree_rows:
            self._refill()

    def _refill(self) -> None:
        highlighted = self.highlighted
        options = []
        for guide, row in zip(guides(self._tree_rows, self._tree_glyphs), self._tree_rows, strict=True):
            text = Content(f"{guide}{row.text}")
            if row.repeat:
                text = text + Content.styled("  (see above)", "dim")
            elif row.depth == 0:
                text = Content.styled(f"{guide}{row.text}", "bold")
            options.append(Option(text))
        self.set_options(options)
        self.highlighted = highlighted if highlighted is not None and highlighted < len(options) else 0
