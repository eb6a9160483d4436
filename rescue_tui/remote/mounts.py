"""A server's directory mounted read-only by us, once, at a place no input chooses (NFS and CIFS share this).

Where it mounts: one directory per server, port and path under the caller's root, named by a hash, so
nothing typed can mount over anything else. The mount is read-only, ``nosuid,nodev,noexec``, and stays
for the rest of the session: a second reader (the restore after its preflight, a console that took a
recovery over) finds it mounted rather than mounting twice. A lock makes check-then-mount one step.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from rescue_tui.command import run
from rescue_tui.errors import RescueError
from rescue_tui.inventory.live import mount_table

SAFE = "ro,nosuid,nodev,noexec"
"""What every mount of ours starts with: read-only, and nothing on it runs or acts as a device."""
MOUNT_TIMEOUT = 150.0
"""Above mount.nfs's own minute of retries and its last attempt's time-outs."""


def mount_point(source: str, port: int | None, root: Path) -> Path:
    """The one directory ``source`` on ``port`` mounts on: under ``root``, named by their hash."""
    return root / hashlib.sha256(f"{source} {port or ''}".encode()).hexdigest()[:16]


def mount_once(
    *,
    what: str,
    fstype: str,
    source: str,
    options: Sequence[str],
    where: Path,
    named: str,
    error: type[RescueError],
    hint: str,
) -> Path:
    """Mount ``source`` read-only at ``where`` unless it is there already; ``error`` (one line: ``what``, the
    source, ``named`` (what the operator typed) and the mount helper's reason) when it cannot, leaving nothing."""
    root = where.parent
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise error(f"{what}: cannot prepare {root} to mount {source} from {named}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # the preflight and the console's worker may both ask
        mounted = mounted_source(where)
        if mounted is None:
            try:
                where.mkdir(mode=0o700, exist_ok=True)
            except OSError as exc:
                raise error(f"{what}: cannot make the mount point {where} for {named}: {exc.strerror}") from None
            argv = ["mount", "-t", fstype, "-o", ",".join([SAFE, *options]), source, str(where)]
            try:
                run(argv, error=error, timeout=MOUNT_TIMEOUT)
            except RescueError as exc:
                with contextlib.suppress(OSError):
                    where.rmdir()  # nothing is left behind by a mount that failed
                raise error(
                    f"{what}: cannot mount {source} from {named}: {exc.message.rsplit(': ', 1)[-1]}", hint=hint
                ) from exc
        elif mounted != source:  # pragma: no cover - a hash collision, or someone mounted there by hand
            raise error(f"{what}: {where} holds {mounted}, not {source}")
    finally:
        os.close(fd)
    return where


def mounted_source(where: Path) -> str | None:
    """The source of the mount at ``where``, or None when nothing is mounted there."""
    try:
        table = mount_table(Path("/proc/self/mountinfo").read_text(encoding="utf-8"))
    except OSError:
        return None
    found = [source for _, point, source in table if point == str(where)]
    return found[-1] if found else None
