"""The one exception hierarchy for errors an operator sees.

The engine raises these and never prints; ``cli.main`` (and the TUI's worker
error handler) render them once, as one line, and map them to an exit code.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    """Process exit codes, the same for every command."""

    OK = 0
    """Success; for ``check`` commands: no difference."""
    FAILED = 1
    """The operation ran and failed, or a difference was found."""
    BAD_INPUT = 2
    """Bad input or a refusal: nothing was touched."""
    INTERRUPTED = 130
    """Interrupted by the operator (Ctrl-C)."""


class RescueError(Exception):
    """Root of every error meant for the operator.

    ``message`` is one line that names where the problem is (file, line or
    JSON path); ``hint`` optionally says what to do about it.
    """

    exit_code: ClassVar[ExitCode] = ExitCode.FAILED

    def __init__(self, message: str, *, hint: str | None = None, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.problems = problems or [message]
        """One line per problem, so bad input is reported whole rather than one fault at a time."""

    @classmethod
    def of(cls, problems: list[str], *, hint: str | None = None) -> RescueError:
        """One error carrying several problems (the first is its message)."""
        return cls(problems[0], hint=hint, problems=problems)

    def lines(self) -> list[str]:
        """The lines to show the operator: each problem, then the hint."""
        out = list(self.problems)
        if self.hint:
            out.append(f"hint: {self.hint}")
        return out


class BadInputError(RescueError):
    """Input the operator gave us is wrong; nothing was touched."""

    exit_code = ExitCode.BAD_INPUT


class LayoutError(BadInputError):
    """A saved layout could not be read or is not valid; each problem names its JSON path."""


class RearImportError(BadInputError):
    """A ReaR ``disklayout.conf`` could not be converted."""


class RefusedError(BadInputError):
    """A safety rule refused the request; nothing was touched."""


class BusyError(RefusedError):
    """Another recovery holds this machine's recovery lock (``rescue_tui.lock``); nothing was touched."""


class ConsoleError(RescueError):
    """The operator console could not start on this terminal, or stopped on an unexpected error (details in the log)."""


class CaptureError(RescueError):
    """Reading the running system's storage failed."""


class ApplyError(RescueError):
    """A step of apply failed; the journal says how far it got and ``--resume`` continues."""


class CancelledError(RescueError):
    """The operator stopped it: apply between two steps, or a restore's tools; what was done is kept."""

    exit_code = ExitCode.INTERRUPTED


class ApplyCancelledError(ApplyError, CancelledError):
    """The operator stopped apply between two steps; the journal keeps what was done and ``--resume`` continues."""

    exit_code = ExitCode.INTERRUPTED


class GuestError(RescueError):
    """A virtual machine (a drill's, a test's) failed: a timeout, a lost console, a failed command."""
