"""The backup's preflight before apply: reachable, listable, safe, intact, without writing anything.

The new filesystems do not exist yet, so the backend's preflight runs against
an empty stand-in directory and its checks about the target tree are reported
as skipped: restore runs the whole preflight again on the mounted target
before it writes. The TUI's backend screen and ``rescue-tui recover`` both
call :func:`check_backup` before they ask for the confirmation.
"""

from __future__ import annotations

import dataclasses
import tempfile
import threading
from pathlib import Path

from rescue_tui import tools
from rescue_tui.restore.backend import open_backend
from rescue_tui.restore.model import (
    BackendSpec,
    CheckResult,
    CheckStatus,
    Credentials,
    PreflightReport,
    ProgressCallback,
)

TARGET_CHECKS = ("target", "fits")
"""Preflight checks about the target tree: before apply there is none yet, so they wait for restore."""
LATER = "checked on the new filesystems, after apply"


def check_backup(
    spec: BackendSpec, credentials: Credentials, progress: ProgressCallback, cancel: threading.Event
) -> PreflightReport:
    """The backend's own preflight on an empty stand-in for the target; the target checks are skipped."""
    backend = open_backend(spec, credentials)
    tools.require(backend.required_tools(), why=f"{spec.scheme} backend")
    with tempfile.TemporaryDirectory(prefix="rescue-tui-preflight-") as stand_in:
        report = backend.preflight(Path(stand_in), progress, cancel)
    checks = tuple(
        CheckResult(name=c.name, status=CheckStatus.SKIPPED, detail=LATER) if c.name in TARGET_CHECKS else c
        for c in report.checks
    )
    return dataclasses.replace(report, checks=checks)
