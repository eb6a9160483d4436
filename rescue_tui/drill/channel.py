"""A QEMU chardev socket as pexpect sees it: every byte logged, nothing lost while nobody reads."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import pexpect
import pexpect.spawnbase

from rescue_tui.errors import GuestError


class Channel(pexpect.spawnbase.SpawnBase):  # type: ignore[misc]
    """pexpect over a QEMU chardev socket, drained by a thread into a log and a buffer.

    QEMU's UART stalls (and the guest's console writes wait) when nobody reads the
    socket, and QEMU's own chardev ``logfile=`` records a byte twice when the socket
    pushes back. So a thread reads everything as it comes: ``log`` is exactly what the
    guest wrote, and ``expect`` works on what was buffered since the last match. Beside
    the log, ``LOG.times`` says when each piece came: one ``OFFSET MONOTONIC`` line per
    read (the log's size before it, ``time.monotonic()`` after it), so a reader can time
    what the guest printed.
    """

    def __init__(self, sock: socket.socket, log: Path, timeout: float = 60.0) -> None:
        super().__init__(timeout=timeout, maxread=65536)
        self.sock = sock
        self.log = log
        self._inbox = bytearray()
        self._eof = False
        self._cond = threading.Condition()
        self._file = log.open("ab", buffering=0)
        self._times = times_file(log).open("a", buffering=1)
        self._offset = self._file.tell()
        self._thread = threading.Thread(target=self._pump, name=f"drain {log.name}", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            with self._cond:
                if data:
                    self._inbox += data
                    with contextlib.suppress(ValueError):
                        # the time first: whoever sees these bytes in the log finds when they came
                        self._times.write(f"{self._offset} {time.monotonic():.3f}\n")
                        self._file.write(data)
                    self._offset += len(data)
                else:
                    self._eof = True
                self._cond.notify_all()
            if not data:
                return

    def read_nonblocking(self, size: int = 1, timeout: float | None = -1) -> bytes:
        if timeout == -1:
            timeout = self.timeout
        with self._cond:
            if not self._inbox and not self._eof:
                self._cond.wait(timeout)
            if self._inbox:
                data = bytes(self._inbox[:size])
                del self._inbox[:size]
                self._log(data, "read")
                return data
            if self._eof:
                self.flag_eof = True
                raise pexpect.EOF(f"{self.log.name}: QEMU closed the console")
            raise pexpect.TIMEOUT(f"{self.log.name}: nothing within {timeout} s")

    def send(self, s: str | bytes) -> int:
        data = s.encode() if isinstance(s, str) else s
        self._log(data, "send")
        self.sock.sendall(data)
        return len(data)

    def isalive(self) -> bool:
        return not self._eof

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            self.sock.close()
        self._file.close()
        self._times.close()


def times_file(log: Path) -> Path:
    """Where a channel's log has its arrival times."""
    return log.with_name(log.name + ".times")


def connect(path: Path, timeout: float) -> socket.socket:
    """Connect to a QEMU server socket, waiting for QEMU to create it."""
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(path))
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline:
                raise GuestError(f"QEMU did not open {path}") from None
            time.sleep(0.05)
