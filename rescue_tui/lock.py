"""One writer at a time on this machine: apply, mount, restore and finalize hold the recovery lock.

Two consoles (tty1 and ttyS0), a shell on tty2 and an unattended run all see
the same disks: two recoveries at once would write the same targets. The
lock is an ``flock`` on a file in ``/run/rescue-tui``: the kernel drops it
when its holder dies, however it dies, so a crashed console never blocks the
next one. The file also says who holds it (command, console, pid, start),
for the refusal the second writer gets. One process may nest holds (the TUI
runs apply, mount, restore and finalize in turn).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from rescue_tui.errors import BusyError

DEFAULT_PATH = Path("/run/rescue-tui/recovery.lock")
ENV = "RESCUE_TUI_LOCK"
"""Another lock file (tests run several recoveries side by side on one host)."""


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, as written in the lock file."""

    command: str
    console: str
    pid: int
    started: str

    def describe(self) -> str:
        return f"{self.command} on {self.console} (pid {self.pid}, since {self.started})"


def lock_path() -> Path:
    return Path(os.environ.get(ENV) or DEFAULT_PATH)


def this_console() -> str:
    """The terminal this process talks on ('ttyS0', 'tty1', 'pts/3'), or 'no terminal'."""
    if named := os.environ.get("RESCUE_TUI_CONSOLE"):
        return named
    for stream in (sys.stdin, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if stream.isatty():
                return os.ttyname(stream.fileno()).removeprefix("/dev/")
    return "no terminal"


def current_holder(path: Path | None = None) -> Holder | None:
    """Who holds the lock now (None when nobody does: a file left by a dead holder does not count)."""
    path = path or lock_path()
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_holder(fd: int) -> Holder:
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode("utf-8"))
        return Holder(
            command=str(data["command"]), console=str(data["console"]), pid=int(data["pid"]),
            started=str(data["started"]),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return Holder(command="another recovery", console="?", pid=0, started="?")


class _Process:
    """This process's hold: the locked file and how many holds are nested in it."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.fd = -1
        self.depth = 0
        self.holder: Holder | None = None

    def enter(self, command: str, console: str | None) -> Holder:
        with self.guard:
            if self.depth == 0:
                self.fd, self.holder = _take(command, console)
            self.depth += 1
            assert self.holder is not None
            return self.holder

    def leave(self) -> None:
        with self.guard:
            self.depth -= 1
            if self.depth == 0:
                with contextlib.suppress(OSError):
                    os.ftruncate(self.fd, 0)
                    fcntl.flock(self.fd, fcntl.LOCK_UN)
                with contextlib.suppress(OSError):
                    os.close(self.fd)
                self.fd, self.holder = -1, None


def _take(command: str, console: str | None) -> tuple[int, Holder]:
    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd)
        os.close(fd)
        raise BusyError(
            f"{command}: refused: a recovery is running on this machine: {holder.describe()}",
            hint="follow it on that console, or wait for it to end; only one recovery writes at a time",
        ) from None
    me = Holder(command=command, console=console or this_console(), pid=os.getpid(),
                started=datetime.now(UTC).isoformat(timespec="seconds"))  # fmt: skip
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(asdict(me)).encode(), 0)
    return fd, me


_PROCESS = _Process()


@contextlib.contextmanager
def recovery_lock(command: str, *, console: str | None = None) -> Iterator[Holder]:
    """Hold the machine's recovery lock for ``command``; BusyError (exit 2) names the holder if another has it."""
    holder = _PROCESS.enter(command, console)
    try:
        yield holder
    finally:
        _PROCESS.leave()
