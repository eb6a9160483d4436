"""Where a recovery's time went: the longest silences between the lines its console printed.

The unattended recovery prints a line as each step starts (``[4/6] rebuild
the initramfs``) and each check as it ends (``backup integrity: ok ...``),
so the stretch between two lines is the work of the step the first one
started, or of the check the second one reports. Both lines are kept: the
reader sees which. A progress meter's updates (``restore  61.3 MiB / ...
37%``) are one stretch, from its first line. The phases say how long each
part took; these say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

SHOWN = 8
"""How many stretches a report keeps."""
LINE_CHARS = 100


@dataclass(frozen=True)
class Stretch:
    seconds: float
    after: str
    """The line printed before the silence."""
    until: str
    """The line that ended it."""


def slowest_stretches(lines: list[tuple[float, str]], first: str, last: str, count: int = SHOWN) -> list[Stretch]:
    """The ``count`` longest stretches between consecutive non-blank lines from the one holding ``first`` to the
    one holding ``last`` (both included; ``lines`` as :meth:`SerialLog.timed_lines` gives them), longest first."""
    start = next((i for i, (_, text) in enumerate(lines) if first in text), None)
    if start is None:
        return []
    shown: list[tuple[float, str]] = []
    for stamp, text in lines[start:]:
        line = text.strip()
        if line and not (shown and _same_meter(shown[-1][1], line)):
            shown.append((stamp, line))
        if last in text:
            break
    stretches = [
        Stretch(seconds=round(later - earlier, 1), after=before[:LINE_CHARS], until=after[:LINE_CHARS])
        for (earlier, before), (later, after) in pairwise(shown)
    ]
    return sorted(stretches, key=lambda s: -s.seconds)[:count]


def _same_meter(before: str, line: str) -> bool:
    """Both lines are updates of one progress meter: a percentage, after the same first word."""
    return "%" in before and "%" in line and before.split()[0] == line.split()[0]
