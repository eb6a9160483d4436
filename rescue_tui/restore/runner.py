"""Run external tools: pipelines in their own process group, streamed output, cancel, mapped return codes.

No TUI imports here. A :class:`Pipeline` starts one or more commands joined
by pipes, all in one new process group, so cancel (a ``threading.Event``)
stops every member at once: SIGTERM to the group, then SIGKILL after a grace
period. Stderr of each member is kept as a short tail for the error message
and can be streamed line by line (borg's JSON progress); the last member's
stdout can be captured, streamed as lines, or read by the caller.

Secrets never reach argv: :func:`check_argv` refuses a command line that
contains one, and every line we keep is scrubbed of them before it reaches
an error, a log or a callback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from rescue_tui.command import last_reason
from rescue_tui.errors import CancelledError
from rescue_tui.restore.codes import Outcome, ReturnCodes
from rescue_tui.restore.errors import BackendError

log = logging.getLogger("rescue_tui.restore.runner")

GRACE_SECONDS = 5.0
TAIL_LINES = 40

# Variables that carry secrets or repository locations for the tools: never inherited, only set by us.
_SCRUBBED_ENV = (
    "RESTIC_PASSWORD",
    "RESTIC_PASSWORD_FILE",
    "RESTIC_PASSWORD_COMMAND",
    "RESTIC_REPOSITORY",
    "RESTIC_REPOSITORY_FILE",
    "BORG_PASSPHRASE",
    "BORG_PASSPHRASE_FD",
    "BORG_PASSCOMMAND",
    "BORG_REPO",
    "BORG_RSH",
    "RSYNC_PASSWORD",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)


def base_env(extra: Mapping[str, str] | None = None, *, secrets: Iterable[str] = ()) -> dict[str, str]:
    """The environment for a tool: ours less secret-bearing variables (by name, or holding a secret), plus ``extra``.

    The operator's ``--password-env`` variable and the field variables hold secrets: a tool never inherits them;
    it gets only what ``extra`` hands it on purpose (a password *file* path, S3 keys for restic).
    """
    values = [s for s in secrets if len(s) >= MIN_SCRUB]
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV and not any(secret in v for secret in values)}
    env["LC_ALL"] = "C.UTF-8"
    env.pop("LANGUAGE", None)
    if extra:
        env.update(extra)
    return env


MIN_SCRUB = 4
"""Shorter secrets are not replaced in output: every ``x`` or ``12`` would be, and the message would be noise."""
MIN_SUBSTRING = 6
"""Shorter secrets only count in argv as a whole argument (or ``--opt=SECRET``), not inside paths."""


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (of at least MIN_SCRUB characters) replaced by ``***``."""
    for secret in sorted((s for s in secrets if len(s) >= MIN_SCRUB), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def check_argv(argv: Sequence[str], secrets: Iterable[str]) -> None:
    """Refuse to start a command whose argv holds a secret (it would show in every process list)."""
    for secret in secrets:
        if not secret:
            continue
        for arg in argv:
            whole = arg == secret or arg.endswith("=" + secret)
            if whole or (len(secret) >= MIN_SUBSTRING and secret in arg):
                raise BackendError(f"refusing to run {Path(argv[0]).name}: a secret would appear on its command line")


@dataclass(frozen=True, kw_only=True)
class Command:
    """One member of a pipeline."""

    argv: Sequence[str]
    codes: ReturnCodes
    env: Mapping[str, str] | None = None
    """Extra variables over :func:`base_env`."""
    cwd: Path | None = None
    on_stderr: Callable[[str], None] | None = None
    """Called with each scrubbed stderr line (progress from the tool)."""
    pass_fds: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return Path(self.argv[0]).name


@dataclass(frozen=True, kw_only=True)
class Completed:
    returncodes: tuple[int, ...]
    stdout: str = ""
    warnings: tuple[str, ...] = ()
    stderr: tuple[tuple[str, ...], ...] = ()
    """Scrubbed stderr tail of each member."""


StdoutMode = Literal["capture", "lines", "pipe", "null"]


@dataclass
class Pipeline:
    """Commands joined by pipes, in one new process group. Use as a context manager, then :meth:`wait`."""

    commands: Sequence[Command]
    stdin: int | IO[bytes] | None = subprocess.DEVNULL
    """``subprocess.PIPE`` to feed the first member, a file, or DEVNULL."""
    stdout: StdoutMode | IO[bytes] = "capture"
    on_line: Callable[[str], None] | None = None
    secrets: Sequence[str] = ()
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _tails: list[deque[str]] = field(default_factory=list)
    _captured: list[bytes] = field(default_factory=list)
    _cancelled: bool = False

    def __enter__(self) -> Pipeline:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if any(p.poll() is None for p in self.procs):
            self.kill()
        self._join()
        self._close()

    @property
    def pgid(self) -> int:
        return self.procs[0].pid

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def start(self) -> None:
        for cmd in self.commands:
            check_argv(cmd.argv, self.secrets)
        log.debug("run: %s", " | ".join(shlex.join(c.argv) for c in self.commands))
        previous: IO[bytes] | None = None
        for index, cmd in enumerate(self.commands):
            last = index == len(self.commands) - 1
            stdin: Any = self.stdin if index == 0 else previous
            stdout: Any
            if not last:
                stdout = subprocess.PIPE
            elif isinstance(self.stdout, str):
                stdout = subprocess.DEVNULL if self.stdout == "null" else subprocess.PIPE
            else:
                stdout = self.stdout
            group: dict[str, Any] = {"process_group": 0 if index == 0 else self.pgid}
            try:
                proc = subprocess.Popen(
                    list(cmd.argv),
                    stdin=stdin,
                    stdout=stdout,
                    stderr=subprocess.PIPE,
                    env=base_env(cmd.env, secrets=self.secrets),
                    cwd=cmd.cwd,
                    pass_fds=cmd.pass_fds,
                    **group,
                )
            except OSError as exc:
                self.kill()
                raise BackendError(f"could not start {cmd.name}: {exc.strerror or exc}") from None
            if previous is not None:
                previous.close()  # the child holds it now; closing ours lets SIGPIPE reach the writer
            previous = proc.stdout if not last else None
            self.procs.append(proc)
            tail: deque[str] = deque(maxlen=TAIL_LINES)
            self._tails.append(tail)
            assert proc.stderr is not None
            self._spawn(self._read_stderr, proc.stderr, tail, cmd.on_stderr)
        out = self.procs[-1].stdout
        if out is not None and self.stdout == "capture":
            self._spawn(self._capture, out)
        elif out is not None and self.stdout == "lines":
            self._spawn(self._lines, out)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _read_stderr(self, stream: IO[bytes], tail: deque[str], callback: Callable[[str], None] | None) -> None:
        with contextlib.suppress(ValueError, OSError):
            for raw in iter(stream.readline, b""):
                line = scrub(raw.decode("utf-8", "replace").rstrip("\r\n"), self.secrets)
                if not line:
                    continue
                tail.append(line)
                if callback is not None:
                    callback(line)

    def _capture(self, stream: IO[bytes]) -> None:
        with contextlib.suppress(ValueError, OSError):
            for chunk in iter(lambda: stream.read(1 << 16), b""):
                self._captured.append(chunk)

    def _lines(self, stream: IO[bytes]) -> None:
        """Lines end at ``\n`` or ``\r`` (rsync and borg redraw progress with carriage returns)."""
        assert self.on_line is not None
        pending = b""
        with contextlib.suppress(ValueError, OSError):
            for chunk in iter(lambda: stream.read1(1 << 16), b""):  # type: ignore[attr-defined]
                pending += chunk
                *complete, pending = re.split(rb"[\r\n]", pending)
                for raw in complete:
                    if raw:
                        self.on_line(raw.decode("utf-8", "replace"))
        if pending:
            self.on_line(pending.decode("utf-8", "replace"))

    def _join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=10)

    def _close(self) -> None:
        for proc in self.procs:
            for stream in (proc.stdout, proc.stderr, proc.stdin):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()

    def kill(self) -> None:
        """Stop the whole group: SIGTERM, a grace period, then SIGKILL."""
        if not self.procs:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and any(p.poll() is None for p in self.procs):
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, signal.SIGKILL)
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=GRACE_SECONDS)

    def wait(
        self,
        *,
        cancel: threading.Event | None = None,
        probe: Callable[[], None] | None = None,
        interval: float = 0.5,
        timeout: float | None = None,
    ) -> Completed:
        """Wait for every member; call ``probe`` every ``interval`` s; map return codes; raise on failure."""
        start = time.monotonic()
        next_probe = start + interval
        while any(p.poll() is None for p in self.procs):
            if cancel is not None and cancel.is_set():
                self._cancelled = True
                self.kill()
                self._join()
                raise CancelledError(f"{self.commands[-1].name}: cancelled; the tools were stopped")
            if timeout is not None and time.monotonic() - start > timeout:
                self.kill()
                self._join()
                raise BackendError(f"{self.commands[-1].name}: no answer after {timeout:.0f} s; stopped")
            now = time.monotonic()
            if probe is not None and now >= next_probe:
                probe()
                next_probe = now + interval
            time.sleep(0.05)
        self._join()
        if cancel is not None and cancel.is_set() and any(p.returncode != 0 for p in self.procs):
            raise CancelledError(f"{self.commands[-1].name}: cancelled; the tools were stopped")
        return self.result()

    def result(self) -> Completed:
        """Classify return codes; raise BackendError naming the first failing member and its last stderr line."""
        rcs = tuple(p.returncode for p in self.procs)
        warnings: list[str] = []
        failures: list[str] = []
        for cmd, rc, tail in zip(self.commands, rcs, self._tails, strict=True):
            outcome, meaning = cmd.codes.classify(rc)
            last = _last_meaningful(tail)
            if outcome is Outcome.WARNING:
                warnings.append(f"{cmd.name}: {meaning}" + (f": {last}" if last else ""))
            elif outcome is Outcome.FAILED:
                failures.append(f"{cmd.name} failed (return code {rc}: {meaning})" + (f": {last}" if last else ""))
        if failures:
            # A writer killed by SIGPIPE is a consequence; report the reader's failure first.
            failures.sort(key=lambda f: "SIGPIPE" in f)
            raise BackendError(failures[0])
        stdout = b"".join(self._captured).decode("utf-8", "replace") if self.stdout == "capture" else ""
        return Completed(
            returncodes=rcs, stdout=stdout, warnings=tuple(warnings), stderr=tuple(tuple(t) for t in self._tails)
        )


def _last_meaningful(tail: Iterable[str]) -> str:
    lines = [line for line in tail if line.strip() and not line.startswith("{")]
    # Summaries that hide the cause: tar's "Exiting with failure status ...", rsync's "rsync error: ... (code N)"
    # and "connection unexpectedly closed" after ssh said why.
    generic = ("Exiting with failure status", "rsync error:", "connection unexpectedly closed")
    lines = [line for line in lines if not any(g in line for g in generic)] or lines
    return last_reason(lines)


def run(
    argv: Sequence[str],
    codes: ReturnCodes,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    secrets: Sequence[str] = (),
    cancel: threading.Event | None = None,
    timeout: float | None = None,
    on_stderr: Callable[[str], None] | None = None,
    stdin: int | IO[bytes] | None = subprocess.DEVNULL,
) -> Completed:
    """Run one command to completion and capture its stdout."""
    with Pipeline(
        [Command(argv=argv, codes=codes, env=env, cwd=cwd, on_stderr=on_stderr)], stdin=stdin, secrets=secrets
    ) as pipeline:
        return pipeline.wait(cancel=cancel, timeout=timeout)


def proc_read_bytes(pid: int, fd: int | None = None) -> int | None:
    """How far a process has got: the position of ``fd`` (a file it reads), or its ``rchar``. None when gone."""
    try:
        if fd is not None:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                for line in f:
                    if line.startswith("pos:"):
                        return int(line.split()[1])
            return None
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def proc_written_bytes(pid: int) -> int | None:
    """Bytes a process has written so far (``wchar`` in /proc/PID/io), or None when gone."""
    try:
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None
