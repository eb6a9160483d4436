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


class BackendError(RescueError):
    """The backend's tool ran and failed (unreachable, corrupt, disk full, unknown return code)."""


class PreflightError(RescueError):
    """A preflight check failed; nothing was written to the target."""


class VerifyError(RescueError):
    """The restored data does not match the backup."""
