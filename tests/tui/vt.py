"""A minimal VT100-class screen for tests: enough to read back what a program drew (text only).

Independent of ``rescue_tui.tui.terminal.shadow`` on purpose: tests decode
the bytes the app wrote with this, so a fault in the shadow shows.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    rb"\x1b\[(?P<params>[0-?]*)(?P<inter>[ -/]*)(?P<final>[@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -/]*[0-~]"
    rb"|(?P<ctl>[\x00-\x1f])|(?P<text>[^\x00-\x1f\x1b]+)"
)
SGR = re.compile(rb"\x1b\[([0-9;]*)m")


class Screen:
    def __init__(self, rows: int = 24, cols: int = 80) -> None:
        self.rows, self.cols = rows, cols
        self.cells = [[" "] * cols for _ in range(rows)]
        self.row = self.col = 0

    def feed(self, data: bytes) -> None:
        for match in _TOKEN.finditer(data):
            if match.group("text") is not None:
                for char in match.group("text").decode("utf-8", "replace"):
                    if self.col < self.cols:
                        self.cells[self.row][self.col] = char
                    self.col = min(self.col + 1, self.cols - 1) if self.col < self.cols - 1 else self.cols
            elif match.group("ctl") is not None:
                ctl = match.group("ctl")
                if ctl == b"\r":
                    self.col = 0
                elif ctl == b"\n":
                    self.row = min(self.row + 1, self.rows - 1)
                elif ctl == b"\x08":
                    self.col = max(self.col - 1, 0)
            elif match.group("final") is not None and not match.group("inter"):
                self._csi(match.group("params").decode(), match.group("final").decode())

    def _csi(self, params: str, final: str) -> None:
        if params.startswith(("?", ">", "<", "=")):
            return
        nums = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        n = max(nums[0], 1) if nums else 1
        if final == "H":
            self.row = min(max((nums[0] if nums else 1), 1), self.rows) - 1
            self.col = min(max((nums[1] if len(nums) > 1 else 1), 1), self.cols) - 1
        elif final == "C":
            self.col = min(self.col + n, self.cols - 1)
        elif final == "D":
            self.col = max(self.col - n, 0)
        elif final == "A":
            self.row = max(self.row - n, 0)
        elif final == "B":
            self.row = min(self.row + n, self.rows - 1)
        elif final == "K":
            mode = nums[0] if nums else 0
            start, end = (self.col, self.cols) if mode == 0 else (0, self.col + 1) if mode == 1 else (0, self.cols)
            for c in range(start, min(end, self.cols)):
                self.cells[self.row][c] = " "
        elif final == "J" and (nums[:1] == [2] or not nums):
            rows = range(self.rows) if nums[:1] == [2] else range(self.row, self.rows)
            for r in rows:
                self.cells[r] = [" "] * self.cols

    def lines(self) -> list[str]:
        return ["".join(row).rstrip() for row in self.cells]

    def text(self) -> str:
        return "\n".join(self.lines())


def sgr_codes(data: bytes) -> set[str]:
    """Every SGR parameter written, with 38/48 colour forms kept whole ('38;5;208')."""
    codes: set[str] = set()
    for match in SGR.finditer(data):
        parts = match.group(1).decode().split(";") if match.group(1) else ["0"]
        i = 0
        while i < len(parts):
            if parts[i] in ("38", "48") and i + 1 < len(parts):
                width = 3 if parts[i + 1] == "5" else 5
                codes.add(";".join(parts[i : i + width]))
                i += width
            else:
                codes.add(parts[i] or "0")
                i += 1
    return codes
