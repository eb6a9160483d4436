"""A shadow of the terminal screen: Textual's output in, the fewest bytes that draw the same out.

Textual redraws whole widget regions and writes every segment as
``SGR text RESET``; over a 115200-baud serial line that makes the difference
between a snappy arrow key and a sluggish one. Like curses, ``Shadow`` keeps
the cells the terminal shows, applies what Textual wrote to a second grid,
and emits only the cells that differ: cursor moves and SGR changes only where
needed, erase-to-end-of-line for blank tails, and nothing at all when a redraw
changed nothing.

It models what Textual's Linux driver writes (cursor positioning and moves,
SGR, text including double-width characters, CR/LF, erases) and passes other
sequences (modes, queries, OSC) through in order. A sequence whose effect on
the screen it cannot model makes it forget the screen: the next frame clears
and repaints everything. Conservative, never wrong. Pure Python, no Textual.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

CSI: Final = "\x1b["
RESET: Final = "\x1b[0m"
CLEAR: Final = "\x1b[H\x1b[2J"
ERASE_EOL: Final = "\x1b[K"
MERGE_GAP: Final = 4
"""Unchanged cells between two changed runs that are rewritten rather than jumped over."""
ERASE_MIN: Final = 4
"""The shortest blank tail worth an erase-to-end-of-line instead of spaces."""

_TOKEN = re.compile(
    r"""
    (?P<csi>\x1b\[(?P<params>[0-?]*)(?P<inter>[\ -/]*)(?P<final>[@-~]))
  | (?P<osc>\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))
  | (?P<esc>\x1b[\ -/]*[0-~])
  | (?P<ctl>[\x00-\x1f\x7f])
  | (?P<text>[^\x00-\x1f\x7f]+)
    """,
    re.VERBOSE,
)
_HARMLESS_MODES: Final = frozenset(
    {"?1", "?7", "?12", "?25", "?1000", "?1002", "?1003", "?1004", "?1006", "?1015", "?1016", "?2004", "?2026", "?2048"}
)
"""DEC private modes that do not change what the screen shows (keys, cursor, mouse, focus, paste, sync, wrap)."""


@dataclass(frozen=True)
class Style:
    """The SGR attributes of a cell, kept as the parameter strings that set them."""

    attrs: frozenset[str] = frozenset()
    """Attribute codes that are on: '1' bold, '2' dim, '3' italic, '4' underline, '7' reverse, ..."""
    fg: str = ""
    """Foreground parameters ('31', '38;5;9', ...); '' is the terminal's default."""
    bg: str = ""
    """Background parameters ('44', '48;2;0;0;0', ...); '' is the terminal's default."""

    @property
    def params(self) -> str:
        """The SGR parameters that set this style after a reset."""
        return ";".join([*sorted(self.attrs), *([self.fg] if self.fg else []), *([self.bg] if self.bg else [])])

    @property
    def blank_like_erase(self) -> bool:
        """True when a space in this style looks exactly like an erased cell."""
        return not self.bg and not (self.attrs & {"4", "7", "9", "53"})


PLAIN: Final = Style()
_OFF: Final = {"22": ("1", "2"), "23": ("3",), "24": ("4",), "25": ("5",), "27": ("7",), "28": ("8",), "29": ("9",)}


def apply_sgr(style: Style, params: str) -> Style:
    """The style after ``ESC [ params m``."""
    codes = params.split(";") if params else ["0"]
    attrs, fg, bg = set(style.attrs), style.fg, style.bg
    i = 0
    while i < len(codes):
        code = codes[i].lstrip("0") or "0"
        if code in ("38", "48") and i + 1 < len(codes):
            width = {"5": 3, "2": 5}.get(codes[i + 1], 2)
            value = ";".join([code, *codes[i + 1 : i + width]])
            if code == "38":
                fg = value
            else:
                bg = value
            i += width
            continue
        number = int(code) if code.isdigit() else -1
        if number == 0:
            attrs, fg, bg = set(), "", ""
        elif 1 <= number <= 9 or number == 53:
            attrs.add(code)
        elif code in _OFF:
            attrs.difference_update(_OFF[code])
        elif 30 <= number <= 37 or 90 <= number <= 97:
            fg = code
        elif number == 39:
            fg = ""
        elif 40 <= number <= 47 or 100 <= number <= 107:
            bg = code
        elif number == 49:
            bg = ""
        i += 1
    return Style(frozenset(attrs), fg, bg)


def sgr_between(current: Style | None, wanted: Style) -> str:
    """The shortest SGR sequence that turns ``current`` (None: unknown) into ``wanted``; '' when equal."""
    if current == wanted:
        return ""
    if wanted == PLAIN:
        return RESET
    if current is not None and current.attrs <= wanted.attrs:
        parts = sorted(wanted.attrs - current.attrs)
        if wanted.fg != current.fg:
            parts.append(wanted.fg or "39")
        if wanted.bg != current.bg:
            parts.append(wanted.bg or "49")
        return f"{CSI}{';'.join(parts)}m"
    return f"{CSI}0;{wanted.params}m"


Cell = tuple[str, Style]
"""A character and its style; a double-width character's right half is ``("", style)``."""
BLANK: Final[Cell] = (" ", PLAIN)
UNKNOWN: Final[Cell] = ("\x00", PLAIN)
"""What a cell shows when we do not know: never equal to anything Textual draws."""


def char_width(char: str) -> int:
    """Terminal cells a character takes: 0 (combining), 1, or 2 (wide)."""
    if " " <= char <= "~":
        return 1
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


class Shadow:
    """What the terminal shows, and what Textual wants it to show.

    ``feed(data)`` takes one write of Textual's and returns what to send in
    its place. ``invalidate()`` forgets what the terminal shows (after a
    resize, a suspend, line noise): the next flush clears and repaints.
    """

    def __init__(self, rows: int, cols: int) -> None:
        self.rows, self.cols = 1, 1
        self.cursor_visible = False
        self._wanted: list[list[Cell]] = []
        self._shown: list[list[Cell]] = []
        self._pen_style = PLAIN
        self._pen = (0, 0)
        self._term_style: Style | None = None
        self._term_cursor: tuple[int, int] | None = None
        self._known = False
        self.resize(rows, cols)

    # -- state -------------------------------------------------------------

    def resize(self, rows: int, cols: int) -> None:
        """A new screen size: Textual repaints everything, and so do we."""
        self.rows, self.cols = max(1, rows), max(1, cols)
        self._wanted = [[BLANK] * self.cols for _ in range(self.rows)]
        self._pen = (0, 0)
        self.invalidate()

    def invalidate(self) -> None:
        """Forget what the terminal shows: the next flush clears the screen and draws every cell."""
        self._known = False
        self._term_style = None
        self._term_cursor = None

    def screen_lines(self) -> list[str]:
        """What Textual wants on screen, as plain text (for tests and debugging)."""
        return ["".join(char for char, _ in line) for line in self._wanted]

    # -- input: Textual's output --------------------------------------------

    def feed(self, data: str) -> str:
        """Apply one write of Textual's output; return the bytes that bring the terminal in step."""
        out: list[str] = []
        for match in _TOKEN.finditer(data):
            kind, token = match.lastgroup, match.group()
            if kind == "text":
                self._put(token)
            elif kind == "csi":
                self._csi(match.group("params"), match.group("inter"), match.group("final"), token, out)
            elif kind == "ctl":
                self._control(token, out)
            else:  # OSC (title, clipboard) and two-byte escapes (keypad modes): no drawing
                if kind == "esc" and token not in ("\x1b=", "\x1b>"):
                    self._passthrough(token, out, forget=True)
                else:
                    self._passthrough(token, out)
        out.append(self.flush())
        return "".join(out)

    def _passthrough(self, token: str, out: list[str], *, forget: bool = False) -> None:
        out.append(self.flush())
        out.append(token)
        if forget:
            self.invalidate()

    def _csi(self, params: str, inter: str, final: str, token: str, out: list[str]) -> None:
        row, col = self._pen
        private = params[:1] in ("?", ">", "<", "=")
        if inter or private:
            if final in "hl" and params.startswith("?"):
                modes = params.split(";")
                if "?25" in modes:
                    self.cursor_visible = final == "h"
                self._passthrough(token, out, forget=not set(modes) <= _HARMLESS_MODES)
            else:  # queries ($p), keyboard protocol (>u, <u), cursor shape (SP q): no drawing
                self._passthrough(token, out)
            return
        numbers = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        first = numbers[0] if numbers else 0
        count = max(first, 1)
        if final == "m":
            self._pen_style = apply_sgr(self._pen_style, params)
        elif final in "Hf":
            col_number = numbers[1] if len(numbers) > 1 else 1
            self._pen = (self._clamp_row(max(first, 1) - 1), self._clamp_col(max(col_number, 1) - 1))
        elif final == "A":
            self._pen = (self._clamp_row(row - count), col)
        elif final == "B":
            self._pen = (self._clamp_row(row + count), col)
        elif final == "C":
            self._pen = (row, self._clamp_col(col + count))
        elif final == "D":
            self._pen = (row, self._clamp_col(col - count))
        elif final == "G":
            self._pen = (row, self._clamp_col(count - 1))
        elif final == "K":
            start, end = {0: (col, self.cols), 1: (0, col + 1), 2: (0, self.cols)}.get(first, (col, self.cols))
            self._blank(row, start, end)
        elif final == "J" and first == 2:
            for r in range(self.rows):
                self._blank(r, 0, self.cols)
        elif final == "J" and first == 0:
            self._blank(row, col, self.cols)
            for r in range(row + 1, self.rows):
                self._blank(r, 0, self.cols)
        else:  # scrolling regions, insert/delete lines, ...: the screen is no longer ours to know
            self._passthrough(token, out, forget=True)

    def _control(self, token: str, out: list[str]) -> None:
        row, col = self._pen
        if token == "\r":
            self._pen = (row, 0)
        elif token == "\n":
            self._pen = (self._clamp_row(row + 1), col)
        elif token == "\x08":
            self._pen = (row, max(col - 1, 0))
        elif token == "\x07":
            self._passthrough(token, out)
        # other control characters draw nothing on a VT100-class terminal

    def _put(self, text: str) -> None:
        row, col = self._pen
        line = self._wanted[row]
        style = self._pen_style
        for char in text:
            width = char_width(char)
            if width == 0:
                if col > 0:
                    base = col - 1 if line[col - 1][0] else col - 2
                    if base >= 0:
                        line[base] = (line[base][0] + char, line[base][1])
                continue
            if col + width > self.cols:
                break  # Textual disables autowrap: what does not fit is not shown
            self._unpair(line, col)
            if width == 2:
                self._unpair(line, col + 1)
                line[col], line[col + 1] = (char, style), ("", style)
            else:
                line[col] = (char, style)
            col += width
        self._pen = (row, min(col, self.cols - 1))

    def _unpair(self, line: list[Cell], col: int) -> None:
        """Overwriting half of a double-width character blanks its other half."""
        if col >= self.cols:
            return
        if line[col][0] == "" and col > 0:
            line[col - 1] = (" ", line[col - 1][1])
        elif col + 1 < self.cols and line[col + 1][0] == "" and char_width(line[col][0][:1] or " ") == 2:
            line[col + 1] = (" ", line[col + 1][1])

    def _blank(self, row: int, start: int, end: int) -> None:
        blank = (" ", Style(bg=self._pen_style.bg))
        line = self._wanted[row]
        for col in range(max(start, 0), min(end, self.cols)):
            line[col] = blank

    def _clamp_row(self, row: int) -> int:
        return min(max(row, 0), self.rows - 1)

    def _clamp_col(self, col: int) -> int:
        return min(max(col, 0), self.cols - 1)

    # -- output: the difference ----------------------------------------------

    def flush(self) -> str:
        """The bytes that make the terminal show what Textual wants (and the shadow believe it)."""
        out: list[str] = []
        if not self._known:
            out.append(RESET + CLEAR)
            self._shown = [[BLANK] * self.cols for _ in range(self.rows)]
            self._term_style, self._term_cursor, self._known = PLAIN, (0, 0), True
        for row in range(self.rows):
            if self._wanted[row] != self._shown[row]:
                for start, end in self._runs(row):
                    self._draw(out, row, start, end)
        if self.cursor_visible and self._term_cursor != self._pen:
            out.append(self._move(*self._pen))
        return "".join(out)

    def _runs(self, row: int) -> Iterator[tuple[int, int]]:
        """Column ranges [start, end) to redraw: the changed cells, short gaps merged, wide pairs whole."""
        wanted, shown = self._wanted[row], self._shown[row]
        changed = [c for c in range(self.cols) if wanted[c] != shown[c]]
        if not changed:
            return
        start = prev = changed[0]
        for col in changed[1:]:
            if col - prev - 1 > MERGE_GAP:
                yield self._widen(row, start, prev + 1)
                start = col
            prev = col
        yield self._widen(row, start, prev + 1)

    def _widen(self, row: int, start: int, end: int) -> tuple[int, int]:
        line = self._wanted[row]
        if start > 0 and line[start][0] == "":
            start -= 1
        if end < self.cols and line[end][0] == "":
            end += 1
        return start, end

    def _draw(self, out: list[str], row: int, start: int, end: int) -> None:
        wanted, shown = self._wanted[row], self._shown[row]
        tail = end
        if end == self.cols:
            while tail > start and wanted[tail - 1][0] == " " and wanted[tail - 1][1].blank_like_erase:
                tail -= 1
            if end - tail < ERASE_MIN:
                tail = end
        if tail > start:
            out.append(self._move(row, start))
            for col in range(start, tail):
                char, style = wanted[col]
                if not char:
                    continue  # right half of a wide character: drawn with its left half
                if style != self._term_style:
                    out.append(sgr_between(self._term_style, style))
                    self._term_style = style
                out.append(char)
            shown[start:tail] = wanted[start:tail]
            # After the last column the cursor may sit in a pending wrap: position it afresh next time.
            self._term_cursor = (row, tail) if tail < self.cols else None
        if tail < end:
            out.append(self._move(row, tail))
            if self._term_style != PLAIN:
                out.append(RESET)
                self._term_style = PLAIN
            out.append(ERASE_EOL)
            shown[tail:end] = [BLANK] * (end - tail)

    def _move(self, row: int, col: int) -> str:
        """The shortest way from the terminal's cursor to (row, col)."""
        here = self._term_cursor
        self._term_cursor = (row, col)
        absolute = f"{CSI}{row + 1}H" if col == 0 else f"{CSI}{row + 1};{col + 1}H"
        if here is None:
            return absolute
        if here == (row, col):
            return ""
        if here[0] == row and col == 0:
            return "\r"
        if col == 0 and here[0] + 1 == row:
            return "\r\n"
        if here[0] == row and col > here[1]:
            step = col - here[1]
            forward = f"{CSI}C" if step == 1 else f"{CSI}{step}C"
            return forward if len(forward) < len(absolute) else absolute
        return absolute
