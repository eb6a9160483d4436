"""Errors of the finalize stage."""

from __future__ import annotations

from rescue_tui.errors import RescueError


class FinalizeError(RescueError):
    """Finalize ran and something the restored system needs to boot failed (exit 1).

    The recovery report is written before this is raised, and names every problem.
    """
