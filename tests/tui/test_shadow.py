"""The lean output stage: the same screen as Textual's own output, in fewer bytes, nothing when nothing changed."""

from __future__ import annotations

from rescue_tui.tui.terminal.shadow import CLEAR, PLAIN, Shadow, Style, apply_sgr, sgr_between
from tests.tui.vt import Screen

FRAME = (
    "\x1b[1;1H\x1b[44m\x1b[1;97m rescue-tui \x1b[0m\x1b[44m" + " " * 68 + "\x1b[0m\r\n"
    "\x1b[2;1H\x1b[36;49m+------+\x1b[0m\x1b[39;49m" + " " * 72 + "\x1b[0m\r\n"
    "\x1b[3;1H\x1b[36;49m|\x1b[0m\x1b[30;46mitem 0\x1b[0m\x1b[36;49m|\x1b[0m\r\n"
    "\x1b[4;1H\x1b[36;49m|\x1b[0m\x1b[39;49mitem 1\x1b[0m\x1b[36;49m|\x1b[0m"
)
MOVED = (
    "\x1b[3;1H\x1b[36;49m|\x1b[0m\x1b[39;49mitem 0\x1b[0m\x1b[36;49m|\x1b[0m\r\n"
    "\x1b[4;1H\x1b[36;49m|\x1b[0m\x1b[30;46mitem 1\x1b[0m\x1b[36;49m|\x1b[0m"
)


def drawn(*writes: str) -> tuple[list[str], list[str], int, int]:
    """(screen from Textual's bytes, screen from the shadow's bytes, bytes in, bytes out)."""
    raw, lean = Screen(24, 80), Screen(24, 80)
    shadow = Shadow(24, 80)
    size_in = size_out = 0
    for data in writes:
        out = shadow.feed(data)
        raw.feed(data.encode())
        lean.feed(out.encode())
        size_in += len(data.encode())
        size_out += len(out.encode())
    return raw.lines(), lean.lines(), size_in, size_out


def test_the_shadow_draws_what_textual_wrote_in_fewer_bytes() -> None:
    raw, lean, size_in, size_out = drawn(FRAME, MOVED)
    assert lean == raw
    assert raw[2].startswith("|item 0|")
    assert size_out < size_in / 2


def test_a_redraw_that_changes_nothing_writes_nothing() -> None:
    shadow = Shadow(24, 80)
    shadow.feed(FRAME)
    assert shadow.feed(FRAME) == ""


def test_the_first_frame_clears_the_screen_and_a_moved_highlight_rewrites_only_two_rows() -> None:
    shadow = Shadow(24, 80)
    assert shadow.feed(FRAME).startswith("\x1b[0m" + CLEAR)
    out = shadow.feed(MOVED)
    assert "\x1b[3;2H" in out and "item 1" in out and "rescue-tui" not in out


def test_modes_and_queries_pass_through_in_order() -> None:
    shadow = Shadow(24, 80)
    out = shadow.feed("\x1b[?25l\x1b[?2026$p")
    assert out.endswith("\x1b[?25l\x1b[?2026$p")


def test_a_sequence_it_cannot_model_is_passed_on_and_the_screen_repainted_whole() -> None:
    shadow = Shadow(24, 80)
    shadow.feed(FRAME)
    out = shadow.feed("\x1b[1;10r")
    assert out.startswith("\x1b[1;10r\x1b[0m" + CLEAR) and "rescue-tui" in out
    assert shadow.feed(FRAME) == ""


def test_the_alternate_screen_switch_repaints_and_invalidate_forces_a_repaint() -> None:
    shadow = Shadow(24, 80)
    shadow.feed(FRAME)
    assert CLEAR in shadow.feed("\x1b[?1049h")
    shadow.invalidate()
    assert CLEAR in shadow.feed(FRAME)


def test_double_width_characters_take_two_cells() -> None:
    shadow = Shadow(2, 10)
    shadow.feed("\x1b[1;1Hab\u4e2dc")
    assert shadow.screen_lines()[0] == "ab\u4e2dc     "
    out = shadow.feed("\x1b[1;4Hx")  # the right half of the wide character: both halves redrawn
    assert shadow.screen_lines()[0].startswith("ab x")
    assert "x" in out


def test_blank_tails_are_erased_rather_than_written() -> None:
    shadow = Shadow(2, 80)
    shadow.feed("\x1b[1;1H" + "x" * 80)
    out = shadow.feed("\x1b[1;1Hab" + " " * 78)
    assert out.endswith("\x1b[K") and len(out) < 20


def test_sgr_parsing_and_the_shortest_transition() -> None:
    bold_cyan = apply_sgr(PLAIN, "1;36")
    assert bold_cyan == Style(frozenset({"1"}), "36", "")
    assert apply_sgr(bold_cyan, "0") == PLAIN
    assert apply_sgr(PLAIN, "38;5;208").fg == "38;5;208"
    assert sgr_between(PLAIN, bold_cyan) == "\x1b[1;36m"
    assert sgr_between(bold_cyan, PLAIN) == "\x1b[0m"
    assert sgr_between(bold_cyan, Style(frozenset(), "36", "")) == "\x1b[0;36m"
    assert sgr_between(bold_cyan, bold_cyan) == ""
