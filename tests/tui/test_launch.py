"""What the console units run (``rescue_tui.launch``), on a real pty: the recovery console, or the
plain screen saying why, and never a traceback on the terminal.

The faults are real: a ``textual`` package that fails to import, a terminal
smaller than 80x24, and an exception raised inside the running app (planted by a
``sitecustomize`` module on PYTHONPATH, as a broken library would raise it).
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.serial import PtySession
from rescue_tui.boot.entry import PROMPT
from tests.conftest import ROOT
from tests.tui.vt import Screen

CRASH_IN_WELCOME = '''
import importlib.abc, sys

class _Plant(importlib.abc.MetaPathFinder):
    """After the welcome screen's module loads, make its facts raise (as a broken reader would)."""

    def find_spec(self, name, path, target=None):
        if name != "rescue_tui.tui.screens.welcome":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            def broken(self):
                raise RuntimeError("planted fault in the welcome screen")
            module.WelcomeScreen._facts = broken

        spec.loader.exec_module = exec_module
        return spec

import importlib.util
sys.meta_path.insert(0, _Plant())
'''


@pytest.fixture
def boot(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """An embedded layout, a kernel command line, a log and a lock of this test's own."""
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "layout.json").write_bytes((ROOT / "layouts/examples/raid1-lvm.json").read_bytes())
    cmdline = tmp_path / "cmdline"
    cmdline.write_text("BOOT_IMAGE=/live/vmlinuz boot=live console=ttyS0,115200n8\n")
    yield {"layouts": layouts, "cmdline": cmdline, "log": tmp_path / "rescue-tui.log", "dir": tmp_path}


def launch(boot: dict[str, Path], *, cols: int = 80, rows: int = 24, env: dict[str, str] | None = None) -> PtySession:
    argv = [sys.executable, "-m", "rescue_tui.launch", "--console", "ttyS0",
            "--cmdline", str(boot["cmdline"]), "--layouts", str(boot["layouts"])]  # fmt: skip
    environ = {"RESCUE_TUI_LOG": str(boot["log"]), **(env or {})}
    return PtySession(argv, term="vt100", rows=rows, cols=cols, env=environ)


def read_screen(session: PtySession, screen: Screen, until: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while until not in screen.text() and time.monotonic() < deadline:
        screen.feed(session.read_until_quiet(quiet=0.5, limit=2.0))
    assert until in screen.text(), f"no {until!r} on the screen:\n{screen.text()}"
    return screen.text()


def test_the_console_starts_the_recovery_console_with_the_embedded_layout_and_tells_systemd(
    boot: dict[str, Path],
) -> None:
    notify = boot["dir"] / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(notify))
        listener.settimeout(60)
        with launch(boot, env={"NOTIFY_SOCKET": str(notify)}) as session:
            screen = Screen()
            text = read_screen(session, screen, "What do you want to do?")
            assert listener.recv(64) == b"READY=1"
            assert "rescue-tui: welcome" in screen.lines()[0]
            assert "Layouts   1 embedded" in text
            assert "Recover this machine from a saved layout" in text
            assert "(not in a dry run)" not in text
            assert "this one ttyS0 (serial, 80x24, ascii, TERM=vt100)" in text
            assert bytes(session.transcript).isascii()


def test_the_kernel_command_line_problems_are_on_the_first_screen(boot: dict[str, Path]) -> None:
    boot["cmdline"].write_text("boot=live rescue.dryrun rescue.layout=l.json rescue.colour=red\n")
    with launch(boot) as session:
        text = read_screen(session, Screen(), "What do you want to do?")
    assert "Problems  rescue.colour: unknown option (known: rescue.layout," in text
    assert "          rescue.layout=l.json: not an absolute path nor a URL (http, https," in text
    assert "Mode      dry run only (--dry-run, rescue.dryrun): nothing will be written" in text
    assert "Recover this machine from a saved layout  (not in a dry run)" in text


def test_a_terminal_smaller_than_80x24_gets_the_plain_screen_saying_so(boot: dict[str, Path]) -> None:
    with launch(boot, cols=70, rows=20) as session:
        read_screen(session, Screen(rows=20, cols=70), PROMPT.strip())
        written = bytes(session.transcript).decode("ascii")  # the terminal wraps the 78-column lines itself
    flat = " ".join(written.split())
    assert "The recovery console is not running: the terminal is 70x20; the recovery console needs 80x24" in flat


def test_a_textual_that_cannot_be_imported_gets_the_plain_screen_and_the_log_the_details(
    boot: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken" / "textual"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('textual is broken in this image')\n")
    with launch(boot, env={"PYTHONPATH": str(broken.parent)}) as session:
        text = read_screen(session, Screen(), PROMPT.strip())
        transcript = bytes(session.transcript)
    assert "not running: it cannot be loaded: textual is broken in this image" in " ".join(text.split())
    assert b"Traceback" not in transcript
    assert "Traceback" in boot["log"].read_text()


def test_an_error_inside_the_running_console_falls_back_to_the_plain_screen_without_a_traceback(
    boot: dict[str, Path], tmp_path: Path
) -> None:
    plant = tmp_path / "plant"
    plant.mkdir()
    (plant / "sitecustomize.py").write_text(CRASH_IN_WELCOME)
    with launch(boot, env={"PYTHONPATH": str(plant)}) as session:
        screen = Screen()
        text = read_screen(session, screen, PROMPT.strip())
        transcript = bytes(session.transcript)
    flat = " ".join(text.split())
    assert "not running: the console stopped on an internal error: RuntimeError: planted fault" in flat
    assert b"Traceback" not in transcript and b"planted fault in the welcome screen" in transcript
    log = boot["log"].read_text()
    assert "Traceback" in log and "RuntimeError: planted fault in the welcome screen" in log


def test_rescue_face_plain_asks_for_the_plain_screen(boot: dict[str, Path]) -> None:
    boot["cmdline"].write_text("boot=live rescue.face=plain\n")
    with launch(boot) as session:
        text = read_screen(session, Screen(), PROMPT.strip())
    assert "Plain screen (rescue.face=plain). Keys:" in " ".join(text.split())
