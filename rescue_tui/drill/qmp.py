"""QEMU's machine protocol (QMP): commands in, replies out, events kept for whoever waits on them."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from rescue_tui.drill.channel import connect
from rescue_tui.errors import GuestError


class Qmp:
    """A minimal QMP client: commands in, replies out, events kept."""

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.sock = connect(path, timeout)
        self.file = self.sock.makefile("rwb", buffering=0)
        self.events: list[dict[str, Any]] = []
        self._read()  # greeting
        self.execute("qmp_capabilities")

    def execute(self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float = 120.0) -> Any:
        message: dict[str, Any] = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        self.file.write(json.dumps(message).encode() + b"\n")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(max(0.1, deadline - time.monotonic()))
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise GuestError(f"QMP {command}: {reply['error'].get('desc')}")

    def hmp(self, line: str, timeout: float = 300.0) -> str:
        """A human monitor command (savevm, info ...): its text output."""
        return str(self.execute("human-monitor-command", {"command-line": line}, timeout=timeout))

    def wait_event(self, name: str, timeout: float = 30.0, **match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("event") == name and all(event.get("data", {}).get(k) == v for k, v in match.items()):
                    self.events.remove(event)
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise GuestError(f"QMP: no {name} event within {timeout:.0f} s")
            self._read(remaining)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()
            self.sock.close()

    def _read(self, timeout: float = 30.0) -> dict[str, Any]:
        self.sock.settimeout(timeout)
        try:
            line = self.file.readline()
        except TimeoutError as exc:
            raise GuestError("QMP: no answer") from exc
        if not line:
            raise GuestError("QMP: QEMU closed the monitor")
        message: dict[str, Any] = json.loads(line)
        if "event" in message:
            self.events.append(message)
        return message
