"""Whether systemd-udevd answers, and waiting for it: one place for both.

A control socket left behind by a daemon that died does not mean udevd runs,
and ``udevadm trigger --settle`` or ``udevadm settle`` against such a socket
waits for events nobody will process. So the daemon is pinged, and every wait
has a bound.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from rescue_tui.command import run
from rescue_tui.errors import RescueError

PING_TIMEOUT = 3


def udevd_running() -> bool:
    """True when a udev daemon answers on its control socket."""
    try:
        done = subprocess.run(
            ["udevadm", "control", "--ping", f"--timeout={PING_TIMEOUT}"],
            capture_output=True,
            check=False,
            timeout=PING_TIMEOUT + 2,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def settle(timeout: int = 60, error: type[RescueError] = RescueError) -> None:
    """Wait (at most ``timeout`` seconds) until udev has handled the queued events; nothing to wait for without it."""
    if udevd_running():
        run(["udevadm", "settle", f"--timeout={timeout}"], error=error, ok=(0, 1), timeout=timeout + 10)


def reprobe(nodes: Sequence[str], timeout: int = 60, error: type[RescueError] = RescueError) -> None:
    """Have udev read these devices again (a change event each) and wait until it has.

    udev's database can lag behind what is on a device: a filesystem made moments ago whose last
    close udevd missed, or an array whose /dev/md name arrived after it was read. Readers of the
    database (blivet) then see a device without its format or name; a change event re-reads it.
    """
    if nodes and udevd_running():
        run(["udevadm", "trigger", "--action=change", "--settle", *nodes], error=error, timeout=timeout + 10)
