"""Errors of the restore stage.

They subclass the project's hierarchy (``rescue_tui.errors``) so ``cli.main``
renders each as one line with its exit code: bad input exits 2 (nothing was
touched), failures exit 1. Refusals and cancels are the project's own
``RefusedError`` and ``CancelledError``.
"""

from __future__ import annotations

from rescue_tui.errors import BadInputError, RescueError


class SpecError(BadInputError):
    """A backend spec could not be parsed; the message names the part that is wrong."""


class UnsafeArchiveError(BadInputError):
    """The backup holds members that would land outside the target (absolute, ``..``, through a symlink)."""


class CredentialsError(BadInputError):
    """Credentials are missing, unreadable, given where they would leak, or rejected by the backend."""


class UnknownHostKeyError(CredentialsError):
    """No fingerprint, no known_hosts file and no system file knows the ssh server: what it offers, to accept one.

    ``offered`` holds (key type, ``SHA256:`` fingerprint) pairs: the console shows them for the operator to
    compare with what the server's administrator reads out, and pins the one accepted."""

    def __init__(
        self, message: str, *, server: str, offered: tuple[tuple[str, str], ...], hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.server = server
        """``HOST:PORT`` as the operator typed the host."""
        self.offered = offered


class BackendError(RescueError):
    """The backend's tool ran and failed (unreachable, corrupt, disk full, unknown return code)."""


class PreflightError(RescueError):
    """A preflight check failed; nothing was written to the target."""


class VerifyError(RescueError):
    """The restored data does not match the backup."""
