"""Console detection and set-up, on real pseudo-terminals (they start at 0x0, like a serial line)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from rescue_tui.console import (
    SERIAL_ESCDELAY_MS,
    choose_glyphs,
    console_kind,
    get_size,
    prepare_console,
    set_size,
)


@pytest.fixture
def pty_fd() -> Iterator[int]:
    """The terminal end of a new pseudo-terminal: it reports 0x0 until told a size."""
    controller, terminal = os.openpty()
    yield terminal
    os.close(terminal)
    os.close(controller)


@pytest.mark.parametrize("name", ["ttyS0", "ttyS1", "ttyAMA0", "ttyUSB0", "hvc0"])
def test_serial_lines_are_recognised_by_name(name: str) -> None:
    assert console_kind(name) == "serial"


@pytest.mark.parametrize("name", ["tty1", "tty12"])
def test_virtual_terminals_are_recognised_by_name(name: str) -> None:
    assert console_kind(name) == "vt"


def test_pseudo_terminals_are_recognised_by_name() -> None:
    assert console_kind("pts/3") == "pty"


def test_other_names_are_other() -> None:
    assert console_kind("console") == "other"


def test_a_new_pty_reports_zero_by_zero(pty_fd: int) -> None:
    assert get_size(pty_fd) == (0, 0)


def test_a_size_set_is_the_size_reported(pty_fd: int) -> None:
    set_size(pty_fd, 30, 100)
    assert get_size(pty_fd) == (30, 100)


def test_a_zero_by_zero_console_gets_24_by_80(pty_fd: int) -> None:
    env: dict[str, str] = {"TERM": "vt100"}
    info = prepare_console(fd=pty_fd, name="ttyS0", environ=env)
    assert (info.rows, info.cols, info.size_fixed) == (24, 80, True)
    assert get_size(pty_fd) == (24, 80)
    assert (env["LINES"], env["COLUMNS"]) == ("24", "80")


def test_a_console_that_knows_its_size_keeps_it(pty_fd: int) -> None:
    set_size(pty_fd, 50, 132)
    info = prepare_console(fd=pty_fd, name="tty1", environ={"TERM": "linux"})
    assert (info.rows, info.cols, info.size_fixed) == (50, 132, False)


def test_a_serial_console_is_ascii_with_a_longer_escape_delay(pty_fd: int) -> None:
    env: dict[str, str] = {"TERM": "vt100"}
    info = prepare_console(fd=pty_fd, name="ttyS0", environ=env)
    assert (info.kind, info.glyphs) == ("serial", "ascii")
    assert env["ESCDELAY"] == str(SERIAL_ESCDELAY_MS)
    assert env["TEXTUAL_COLOR_SYSTEM"] == "standard"


def test_a_virtual_terminal_is_unicode_without_an_escape_delay(pty_fd: int) -> None:
    env: dict[str, str] = {"TERM": "linux"}
    info = prepare_console(fd=pty_fd, name="tty1", environ=env)
    assert (info.kind, info.glyphs) == ("vt", "unicode")
    assert "ESCDELAY" not in env


def test_unicode_can_be_asked_for_on_serial() -> None:
    assert choose_glyphs("serial", "vt100", "unicode") == "unicode"


def test_ascii_can_be_asked_for_on_a_virtual_terminal() -> None:
    assert choose_glyphs("vt", "linux", "ascii") == "ascii"


def test_a_missing_or_dumb_term_becomes_vt100_on_serial(pty_fd: int) -> None:
    env: dict[str, str] = {"TERM": "dumb"}
    info = prepare_console(fd=pty_fd, name="ttyS0", environ=env)
    assert info.term == env["TERM"] == "vt100"


def test_a_missing_term_becomes_linux_on_a_virtual_terminal(pty_fd: int) -> None:
    env: dict[str, str] = {}
    assert prepare_console(fd=pty_fd, name="tty1", environ=env).term == env["TERM"] == "linux"


def test_a_given_term_is_kept(pty_fd: int) -> None:
    env = {"TERM": "xterm-256color"}
    assert prepare_console(fd=pty_fd, name="ttyS0", environ=env).term == "xterm-256color"


def test_the_name_is_detected_from_the_tty_when_not_given(pty_fd: int) -> None:
    info = prepare_console(fd=pty_fd, environ={"TERM": "xterm"})
    assert info.kind == "pty"
    assert info.name.startswith("pts/")


def test_something_that_is_no_tty_still_gets_a_size(tmp_path: object) -> None:
    read_end, write_end = os.pipe()
    try:
        info = prepare_console(fd=read_end, name="ttyS0", environ={})
    finally:
        os.close(read_end)
        os.close(write_end)
    assert (info.rows, info.cols, info.size_fixed) == (24, 80, False)


def test_the_description_names_kind_size_glyphs_and_term(pty_fd: int) -> None:
    info = prepare_console(fd=pty_fd, name="ttyS0", environ={"TERM": "vt100"})
    assert info.describe() == "ttyS0 (serial, 80x24 set by rescue-tui, ascii, TERM=vt100)"
