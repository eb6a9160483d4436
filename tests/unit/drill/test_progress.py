"""The drill's progress: a line per step everywhere; on a terminal also a live line with the running step."""

from __future__ import annotations

import io

from rich.console import Console

from rescue_tui.drill.progress import DrillProgress
from tests.clock import Clock


def test_off_a_terminal_each_step_is_one_plain_line_with_the_seconds_since_the_start() -> None:
    out, clock = io.StringIO(), Clock()
    with DrillProgress(Console(file=out, width=40), clock) as progress:
        progress("drill of vm-raid into /tmp/a/very/long/report/directory/that/is/wider/than/forty")
        clock.now = 145.4
        progress("apply: 45 s")
    assert out.getvalue() == (
        "[     0 s] drill of vm-raid into /tmp/a/very/long/report/directory/that/is/wider/than/forty\n"
        "[    45 s] apply: 45 s\n"
    )


def test_on_a_terminal_a_live_line_shows_the_running_step_and_its_seconds_and_goes_at_the_end() -> None:
    out, clock = io.StringIO(), Clock()
    console = Console(file=out, force_terminal=True, width=80, color_system=None)
    with DrillProgress(console, clock) as progress:
        progress("rescue image: booting rescue-tui.iso")
        clock.now = 112.0
        assert progress._live is not None
        progress._live.refresh()  # what the terminal shows between two steps
        assert "rescue image: booting rescue-tui.iso (12 s)" in out.getvalue()
    assert progress._live is None
    assert "[     0 s] rescue image: booting rescue-tui.iso\n" in out.getvalue()


def test_off_a_terminal_nothing_is_redrawn() -> None:
    out = io.StringIO()
    with DrillProgress(Console(file=out, width=80), Clock()) as progress:
        assert progress._live is None
        progress("apply: 45 s")
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()
