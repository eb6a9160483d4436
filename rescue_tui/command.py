"""Run one external tool and get its output, or one operator-readable error naming the command.

Every stage that runs a short-lived tool (capture probes, apply, finalize)
goes through ``run``; long pipelines with progress and cancel live in
``rescue_tui.restore.runner``. Output is untranslated (LC_ALL=C) so it can be
parsed, and a hung tool (a dying disk) cannot hang us: every call has a timeout.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import subprocess
import time
from collections.abc import Sequence

from rescue_tui.errors import RescueError

log = logging.getLogger(__name__)

TIMEOUT = 60.0
TOOL_ENV = {"LC_ALL": "C", "LVM_SUPPRESS_FD_WARNINGS": "1"}
"""Stable, untranslated output; LVM quiet about inherited descriptors."""


_REASON = re.compile(r"^(curl: \(\d+\) |Fatal: |mount error\(\d+\): )")
"""The line where a tool says why, before the advice it adds: curl's ``curl: (60) SSL certificate problem: ...``
(then a paragraph on certificates), restic's ``Fatal: unable to open config file: ...: x509: ...`` (then "Is there
a repository at the following location?" and the location), mount.cifs's ``mount error(13): Permission denied``
(then "Refer to the mount.cifs(8) manual page")."""


def last_reason(lines: Sequence[str]) -> str:
    """The line of a tool's error output that says why it failed: its own reason line (:data:`_REASON`), else
    the last line."""
    said = [line.strip() for line in lines if line.strip()]
    reasons = [line for line in said if _REASON.match(line)]
    return (reasons or said or [""])[-1]


def command_line(argv: Sequence[str]) -> str:
    """The command as an operator would type it."""
    return shlex.join(argv)


def run(
    argv: Sequence[str],
    *,
    error: type[RescueError] = RescueError,
    ok: tuple[int, ...] = (0,),
    quiet_ok: tuple[int, ...] = (),
    timeout: float = TIMEOUT,
    stdin: str | None = None,
) -> str:
    """Run ``argv`` and return its stdout; a failure raises ``error`` naming the command and its last error line.

    ``quiet_ok`` exit codes count as success only when the tool printed no error (blkid exits 2
    both for "no signature" and for "Operation not permitted"). ``stdin`` is sent to the tool,
    which is how secrets reach it: never on the command line.
    """
    cmd = command_line(argv)
    log.debug("run: %s", cmd)
    started = time.monotonic()
    try:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, **TOOL_ENV},
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise error(f"{cmd}: {argv[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise error(f"{cmd}: no answer within {timeout:g} s") from exc
    except OSError as exc:
        raise error(f"{cmd}: cannot run: {exc.strerror or exc}") from exc
    # Every tool's time is in the log: where a slow capture, apply or finalize spends it.
    log.info("ran %s: exit %d in %.2f s", cmd, done.returncode, time.monotonic() - started)
    if done.returncode not in ok and not (done.returncode in quiet_ok and not done.stderr.strip()):
        why = last_reason(done.stderr.splitlines()) or "no message"
        log.debug("%s failed (%d): %s", cmd, done.returncode, done.stderr)
        raise error(f"{cmd}: failed with exit code {done.returncode}: {why}")
    return done.stdout
