"""Console detection and set-up, before Textual is imported."""

from __future__ import annotations

import os

import pytest

from rescue_tui.console import choose_glyphs, console_kind, prepare_console


@pytest.mark.parametrize(
    ("name", "kind"),
    [("ttyS0", "serial"), ("ttyAMA0", "serial"), ("hvc0", "serial"), ("tty1", "vt"), ("pts/3", "pty"), ("?", "other")],
)
def test_consoles_are_classified_by_device_name(name: str, kind: str) -> None:
    assert console_kind(name) == kind


def test_serial_and_vt100_class_terminals_start_in_ascii_the_vt_in_unicode_and_a_request_wins() -> None:
    assert choose_glyphs("serial", "xterm-256color", "auto") == "ascii"
    assert choose_glyphs("pty", "linux", "auto") == "ascii"
    assert choose_glyphs("pty", "vt100", "auto") == "ascii"
    assert choose_glyphs("vt", "linux", "auto") == "unicode"  # the VT: Unicode unless asked (rescue.console)
    assert choose_glyphs("pty", "xterm-256color", "auto") == "unicode"
    assert choose_glyphs("serial", "vt100", "unicode") == "unicode"
    assert choose_glyphs("pty", "xterm", "ascii") == "ascii"


def test_a_tty_that_reports_0x0_is_set_to_80x24_and_textual_gets_16_colours() -> None:
    controller, tty = os.openpty()
    try:
        env = {"TERM": "dumb"}
        console = prepare_console("auto", fd=tty, environ=env)
        assert (console.cols, console.rows, console.size_fixed) == (80, 24, True)
        assert os.get_terminal_size(tty) == os.terminal_size((80, 24))
        assert env["TERM"] == "vt100" and env["TEXTUAL_COLOR_SYSTEM"] == "standard"
        assert console.glyphs == "ascii"
    finally:
        os.close(controller)
        os.close(tty)


def test_a_terminal_with_a_size_keeps_it_and_its_unicode() -> None:
    controller, tty = os.openpty()
    try:
        os.set_blocking(tty, True)
        import fcntl
        import struct
        import termios

        fcntl.ioctl(tty, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 132, 0, 0))
        env = {"TERM": "xterm-256color"}
        console = prepare_console("auto", fd=tty, environ=env)
        assert (console.cols, console.rows, console.size_fixed) == (132, 50, False)
        assert "LINES" not in env and "TEXTUAL_COLOR_SYSTEM" not in env
        assert console.glyphs == "unicode"
    finally:
        os.close(controller)
        os.close(tty)
