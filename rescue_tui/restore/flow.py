"""The whole restore step for an executor or a TUI worker: tools, preflight, restore, verify.

The CLI runs the same calls one by one (it asks for confirmation between
preflight and restore); an apply executor or a TUI worker that has already
confirmed calls :func:`restore_tree` with a progress callback and a cancel
event, and gets every report back, or one ``RescueError``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from rescue_tui import tools
from rescue_tui.errors import RefusedError
from rescue_tui.lock import recovery_lock
from rescue_tui.restore.backend import Backend, open_backend, raise_for_preflight
from rescue_tui.restore.errors import VerifyError
from rescue_tui.restore.model import (
    BackendSpec,
    Credentials,
    PreflightReport,
    ProgressCallback,
    RestoreResult,
    VerifyReport,
)


@dataclass(frozen=True, kw_only=True)
class RestoreOutcome:
    preflight: PreflightReport
    restore: RestoreResult
    verify: VerifyReport | None
    """None when verify was not asked for."""


def restore_tree(
    spec: str | BackendSpec,
    target: Path,
    *,
    credentials: Credentials | None = None,
    progress: ProgressCallback,
    cancel: threading.Event,
    verify: bool = True,
) -> RestoreOutcome:
    """Preflight (raising on a failed check), restore, then verify (raising VerifyError on a difference)."""
    backend: Backend = open_backend(spec, credentials)
    if not target.is_dir():
        raise RefusedError(f"target {target} is not a directory", hint="mount the target filesystems first")
    tools.require(backend.required_tools(), why=f"{backend.spec.scheme} backend")
    with recovery_lock("restore"):
        report = backend.preflight(target, progress, cancel)
        raise_for_preflight(report)
        result = backend.restore(target, progress, cancel)
        verified: VerifyReport | None = None
        if verify:
            verified = backend.verify(target, progress, cancel)
            if not verified.ok:
                raise VerifyError(
                    f"verify ({verified.method}): {len(verified.mismatches)} differences, "
                    f"first: {verified.mismatches[0]}"
                )
    return RestoreOutcome(preflight=report, restore=result, verify=verified)
