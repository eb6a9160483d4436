"""The real app on an 80x24 pty with TERM=vt100, as on a serial console: the bytes it writes.

ASCII only, the 16 ANSI colours only (no 256-colour or truecolor SGR, no
bright backgrounds the Linux console lacks), nothing written while idle, and
every screen reached by keys alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from bench.serial import DOWN, ENTER, ESC, PtySession, rescue_tui_argv
from tests.conftest import ROOT
from tests.tui.vt import Screen, sgr_codes

ALLOWED_SGR = {str(n) for n in (*range(0, 10), *range(21, 30), *range(30, 38), 39, *range(40, 48), 49, *range(90, 98))}
"""Attributes, the 8 foregrounds and their bright forms, the 8 backgrounds, defaults: what vt100 and linux show."""


def test_a_serial_session_is_ascii_16_colours_silent_when_idle_and_walkable_by_keys() -> None:
    screen = Screen()
    shown: dict[str, str] = {}

    with PtySession(rescue_tui_argv(), term="vt100") as session:

        def step(name: str, keys: bytes, expect: str = "", quiet: float = 0.5) -> str:
            """Press keys; read until the screen shows ``expect`` and then goes quiet (60 s at most: a loaded CI)."""
            screen.feed(session.press(keys, quiet=quiet))
            deadline = time.monotonic() + 60
            while expect not in screen.text() and time.monotonic() < deadline:
                screen.feed(session.read_until_quiet(quiet=quiet, limit=1.0))
            shown[name] = screen.text()
            return shown[name]

        screen.feed(session.read_until_quiet(quiet=1.5))
        assert "rescue-tui: welcome" in screen.lines()[0]
        assert session.read_for(3.0) == b"", "bytes written while idle on the welcome screen"

        assert "rescue-tui: welcome" in step("welcome arrow", DOWN)
        assert "rescue-tui: layout" in step("layout", b"d", expect="bios_grub")
        assert "backup01" in shown["layout"] and "bios_grub" in shown["layout"]
        assert "rescue-tui: mapping" in step("mapping", ENTER, expect="will be wiped")
        assert "target of sda: will be wiped" in shown["mapping"]
        assert "Target for sda" in step("target dialog", ENTER)
        assert "rescue-tui: mapping" in step("mapping again", ESC)
        assert "rescue-tui: plan" in step("plan", b"n", expect="31 steps")
        assert "31 steps onto sdb, sdc" in shown["plan"]
        assert session.read_for(3.0) == b"", "bytes written while idle on the plan screen"
        assert "Help: Plan" in step("help", b"?")
        assert "rescue-tui: plan" in step("plan again", ESC)
        assert "s002: $ wipefs" in step("command", DOWN + ENTER)
        assert "Save the plan" in step("save as", b"s")
        assert "rescue-tui: plan" in step("plan after cancel", ESC)
        assert "rescue-tui: confirm" in step("confirm", b"a")
        assert "ALL OF IT IS LOST" in shown["confirm"] and "WIPES" in shown["confirm"]
        assert "Dry run complete" in step("confirmed", b"backup01" + ENTER)
        assert session.read_for(3.0) == b"", "bytes written while idle on a dialog over an input"
        assert "rescue-tui: confirm" in step("closed", ENTER)
        assert "rescue-tui: plan" in step("back to the plan", ESC)  # alone: ESC then q at once reads as Alt+q
        assert "Leave rescue-tui?" in step("quit?", b"q")
        session.press(b"y", quiet=1.0)
        deadline = time.monotonic() + 10
        while os.waitpid(session.pid, os.WNOHANG) == (0, 0) and time.monotonic() < deadline:
            session.read_until_quiet(quiet=0.2, limit=0.5)
        transcript = bytes(session.transcript)

    non_ascii = sorted({b for b in transcript if b > 127})
    assert non_ascii == [], f"non-ASCII bytes in ASCII mode: {non_ascii}"
    assert sgr_codes(transcript) <= ALLOWED_SGR, sorted(sgr_codes(transcript) - ALLOWED_SGR)


def _tmux(name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """tmux on a server of this session's own (``-L name``): killing the last session of a shared server
    ends that server while the next ``new-session`` may be connecting to it (a race seen in CI)."""
    done = subprocess.run(["tmux", "-L", name, *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        pytest.fail(f"tmux {' '.join(args[:1])} exited {done.returncode}: {done.stderr.strip()}")
    return done


def _capture(name: str) -> str:
    return _tmux(name, "capture-pane", "-p", "-e", "-t", name, check=False).stdout


def _settled(name: str, expect: str = "", timeout: float = 90.0) -> str:
    """The pane once it shows ``expect`` and stopped changing (two captures 0.4 s apart agree).

    A loaded machine can take long to draw a screen (the plan is computed with blivet): the wait is for
    the condition, with a deadline that fails with what the pane showed, never a guess that goes on.
    """
    previous = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.4)
        current = _capture(name)
        if current == previous and expect in current:
            return current
        previous = current
    pytest.fail(f"the pane did not settle on {expect!r} within {timeout:.0f} s; it showed:\n{previous}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_lean_output_draws_exactly_what_textual_draws() -> None:
    """Same keys, Textual's own output and the lean output, each in tmux: the panes match cell for cell."""
    keys = [
        ("d", "bios_grub"), ("Down", "web01"), ("Up", "backup01"), ("Enter", "will be wiped"), ("Enter", "Target for"),
        ("Down", ""), ("Enter", "chosen by you"), ("n", "steps onto"), ("Down", ""), ("Down", ""), ("Enter", "s003:"),
        ("c", "$ parted"), ("g", ""), ("a", "ALL OF IT"), ("Escape", "steps onto"),
    ]  # fmt: skip
    panes = []
    for raw in ("1", "0"):
        name = f"rescue-tui-test-{os.getpid()}-{raw}"
        command = f"cd {ROOT} && TERM=linux RESCUE_TUI_RAW_OUTPUT={raw} {' '.join(rescue_tui_argv())}; sleep 30"
        _tmux(name, "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command)
        try:
            _settled(name, "rescue-tui: welcome")
            for key, expect in keys:
                _tmux(name, "send-keys", "-t", name, key)
                _settled(name, expect)
            panes.append(_capture(name))
        finally:
            _tmux(name, "kill-server", check=False)
    assert "rescue-tui: plan" in panes[0]
    assert panes[1] == panes[0]


def test_the_backend_screen_of_a_recovery_is_ascii_and_silent_on_a_serial_line() -> None:
    """Recover (not --dry-run) as far as the backend screen, a bad spec typed, then back: nothing is written."""
    screen = Screen()
    argv = [arg for arg in rescue_tui_argv() if arg != "--dry-run"]
    with PtySession(argv, term="vt100") as session:

        def step(keys: bytes, expect: str) -> str:
            screen.feed(session.press(keys, quiet=0.5))
            deadline = time.monotonic() + 60
            while expect not in screen.text() and time.monotonic() < deadline:
                screen.feed(session.read_until_quiet(quiet=0.5, limit=1.0))
            return screen.text()

        screen.feed(session.read_until_quiet(quiet=1.5))
        assert "rescue-tui: layout" in step(b"r", "bios_grub")
        assert "rescue-tui: mapping" in step(ENTER, "will be wiped")
        assert "rescue-tui: plan" in step(b"n", "31 steps")
        shown = step(b"a", "Restore from")
        assert "rescue-tui: backend  (RECOVERY)" in shown and "No restore" in shown
        assert session.read_for(3.0) == b"", "bytes written while idle on the backend screen"
        assert "Backend spec: tar:/ABS/PATH" in step(ENTER, "Backend spec: tar")
        assert "must be absolute" in step(b"mnt/x.tar", "must be absolute")
        assert session.read_for(3.0) == b"", "bytes written while idle in the spec field"
        assert "rescue-tui: plan" in step(ESC, "31 steps")
        assert "Leave rescue-tui?" in step(b"q", "Leave")
        session.press(b"y", quiet=1.0)
        deadline = time.monotonic() + 10
        while os.waitpid(session.pid, os.WNOHANG) == (0, 0) and time.monotonic() < deadline:
            session.read_until_quiet(quiet=0.2, limit=0.5)
        transcript = bytes(session.transcript)

    non_ascii = sorted({b for b in transcript if b > 127})
    assert non_ascii == [], f"non-ASCII bytes in ASCII mode: {non_ascii}"
    assert sgr_codes(transcript) <= ALLOWED_SGR, sorted(sgr_codes(transcript) - ALLOWED_SGR)
