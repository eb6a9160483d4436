"""What restic and borg share: a snapshot chosen once, and preflight, restore and verify around its listing.

Both keep snapshots (borg: archives) in a repository, list one as JSON, restore it
with no cheap progress of their own and check the repository. The steps are the
same; a backend names only its commands and reads its own JSON (the hooks below).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from rescue_tui.errors import CancelledError
from rescue_tui.restore.access import SecretDir, failed_check_name
from rescue_tui.restore.backend import BackendBase
from rescue_tui.restore.checks import SpaceEstimate, target_check
from rescue_tui.restore.codes import ReturnCodes
from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.model import (
    BackendSpec,
    CheckResult,
    CheckStatus,
    Credentials,
    Phase,
    PreflightReport,
    ProgressCallback,
    RestoreResult,
    VerifyReport,
)
from rescue_tui.restore.progress import Tracker
from rescue_tui.restore.runner import Command, Completed, Pipeline, proc_written_bytes, run
from rescue_tui.restore.snapshots import Snapshot, newest_of_host
from rescue_tui.units import human_size

Entry = dict[str, Any]
"""One listed entry, as the tool's JSON has it."""
MAX_MISMATCHES = 200


class RepositoryChecks(NamedTuple):
    """The checks of a preflight that do not depend on the target, and the listing (None: it stopped before)."""

    checks: list[CheckResult]
    entries: list[Entry] | None


_CHECKED: dict[tuple[str, str, str, str], RepositoryChecks] = {}
"""Snapshots that passed a preflight in this process, by (backend, spec, the snapshot's fixed name, a digest of the
credentials): the memory that spares a recovery's second preflight (see ``SnapshotBackend.preflight``)."""


def forget_checked() -> None:
    """Forget the snapshots checked in this process: the next preflight checks again (a benchmark's runs)."""
    _CHECKED.clear()


class Opened(NamedTuple):
    """What opening the repository showed: the details of the ``reachable`` and ``credentials`` checks."""

    reachable: str
    credentials: str
    progress: str
    note: str = ""
    """Added to the ``lists`` detail (borg info's own file count)."""


class SnapshotBackend(BackendBase):
    """A repository of snapshots: one is chosen once, listed, checked, restored and compared with the tree."""

    return_codes: ClassVar[ReturnCodes]
    """What the tool's return codes mean (the backup command's may differ)."""
    what: ClassVar[str]
    """What the tool calls a snapshot, in messages."""
    entries: ClassVar[str]
    """What the tool calls the listed entries, in messages."""
    file_type: ClassVar[str]
    """The listing's type of a regular file: the entries whose sizes are the data to restore."""
    verify_method: ClassVar[str]
    """The tool's own check that verify runs, as the progress line and the report name it."""
    verified: ClassVar[str]
    """What that check passing means, for the report."""
    listing_errors: ClassVar[tuple[type[Exception], ...]] = (BackendError,)
    """Failures of the listing that preflight reports as a failed ``lists`` check (others propagate)."""

    def __init__(self, spec: BackendSpec, credentials: Credentials) -> None:
        super().__init__(spec, credentials)
        self._snapshot_id: str | None = None
        """This host's newest snapshot once chosen (restic: the full id its listing names)."""
        self._listing: list[Entry] | None = None
        """Preflight's listing, kept so that restore and verify read what preflight checked."""

    # -- what a backend names ----------------------------------------------------------------------------------

    @abstractmethod
    def _tool(self) -> list[str]:
        """The tool's argv up to its command."""

    @abstractmethod
    def _env(self, secrets: SecretDir) -> dict[str, str]:
        """The tool's environment: the repository and its credentials (by file, never a value on argv)."""

    @abstractmethod
    def _snapshots(self, secrets: SecretDir, cancel: threading.Event | None) -> list[Snapshot]:
        """Every snapshot in the repository, oldest first."""

    @abstractmethod
    def _open(self, secrets: SecretDir, cancel: threading.Event | None) -> Opened:
        """Open the repository (BackendError: unreachable or refused)."""

    @abstractmethod
    def _list(self, secrets: SecretDir, cancel: threading.Event | None) -> list[Entry]:
        """The chosen snapshot's entries."""

    @abstractmethod
    def _label(self) -> str:
        """The listed snapshot as the ``lists`` check names it."""

    @abstractmethod
    def _listing_checks(self, entries: Sequence[Entry], tracker: Tracker) -> list[CheckResult]:
        """Checks of the listing itself, between ``lists`` and ``integrity``."""

    def _check_unavailable(self) -> str | None:
        """Why the tool's own check cannot run on this repository (None: it can)."""
        return None

    @abstractmethod
    def _check_args(self, secrets: SecretDir, cancel: threading.Event | None, *, verify: bool) -> list[str]:
        """The tool's integrity check; with ``verify``, the one verify runs (``verify_method``)."""

    @abstractmethod
    def _restore_command(self, target: Path, secrets: SecretDir, cancel: threading.Event) -> Command:
        """The tool writing the chosen snapshot into ``target``."""

    @staticmethod
    @abstractmethod
    def _differences(rel: str, path: Path, st: os.stat_result, entry: Entry) -> list[str]:
        """How the restored ``path`` (``rel`` in the listing) differs from its entry; one line each."""

    def _named(self) -> str | None:
        """The snapshot the spec names, or None for this host's newest."""
        return self.spec.selector

    def _no_choice(self, exc: BackendError) -> BackendError:
        """The error when no snapshot is this host's newest (borg adds the repository)."""
        return exc

    def _entry_path(self, entry: Entry) -> str:
        """The entry's path relative to the target."""
        return str(entry.get("path", ""))

    # -- the shared steps --------------------------------------------------------------------------------------

    def _run(
        self,
        args: Sequence[str],
        secrets: SecretDir,
        *,
        cancel: threading.Event | None = None,
        timeout: float | None = 3600,
    ) -> Completed:
        """One command of the tool on the repository, to its end (stdout captured)."""
        return run(
            [*self._tool(), *args],
            self.return_codes,
            env=self._env(secrets),
            secrets=self._secrets(),
            cancel=cancel,
            timeout=timeout,
        )

    def chosen(self, secrets: SecretDir, cancel: threading.Event | None = None) -> str:
        """The snapshot to restore: the spec's, or this host's newest, chosen once and then kept (see snapshots)."""
        named = self._named()
        if named is not None:
            return named
        if self._snapshot_id is None:
            listed = self._snapshots(secrets, cancel)
            host = self.credentials.options.get("host") or None
            try:
                newest = newest_of_host(listed, host, what=self.what)
            except BackendError as exc:
                raise self._no_choice(exc) from None
            self._snapshot_id = newest.id
        return self._snapshot_id

    def _entry_bytes(self, entry: Entry) -> int:
        """The data an entry brings: a regular file's listed size, nothing for the rest."""
        return int(entry.get("size", 0)) if entry.get("type") == self.file_type else 0

    def _fixed_snapshot(self, secrets: SecretDir, cancel: threading.Event | None) -> str | None:
        """The chosen snapshot's name when it names fixed content (restic's ids hash what they hold), so that what
        a preflight found on it holds for the rest of the session; None when a name can be reused (borg's)."""
        return None

    def preflight(
        self, target: Path, progress: ProgressCallback, cancel: threading.Event | None = None
    ) -> PreflightReport:
        """Open the repository, list the chosen snapshot, check it, and see that it fits in ``target``.

        A recovery runs preflight twice: before apply (on no target yet) and again on the mounted target. A
        snapshot whose name fixes its content (:meth:`_fixed_snapshot`) that passed once in this session is not
        opened, listed and checked again (each a tool run that derives the key from the password: seconds, more
        under emulation); only the target's own checks run again."""
        checks: list[CheckResult] = [target_check(target)]
        tracker = Tracker(Phase.PREFLIGHT, progress)
        with SecretDir() as secrets:
            try:
                fixed = self._fixed_snapshot(secrets, cancel)
            except BackendError:
                fixed = None  # the checks below say why, in their own words
            key = (self.kind, self.spec.text, fixed, self._credentials_digest()) if fixed is not None else None
            before = _CHECKED.get(key) if key is not None else None
            if before is not None and before.entries is not None:
                self._snapshot_id = fixed
                self._listing = entries = before.entries
                checks += [replace(check, detail=f"{check.detail} (checked before, this session)")
                           for check in before.checks]  # fmt: skip
                tracker.update(message="checked before, this session", force=True)
            else:
                found = self._check_repository(secrets, cancel, tracker)
                checks += found.checks
                if found.entries is None:
                    return PreflightReport(spec=self.spec.text, checks=tuple(checks))
                entries = found.entries
                if key is not None and all(check.status is not CheckStatus.FAIL for check in found.checks):
                    _CHECKED[key] = found
        total = sum(self._entry_bytes(entry) for entry in entries)
        if target.is_dir():
            estimate = SpaceEstimate(target)
            for entry in entries:
                estimate.add(self._entry_path(entry), self._entry_bytes(entry))
            checks.append(estimate.check())
        tracker.finish(message="checked")
        return PreflightReport(
            spec=self.spec.text, checks=tuple(checks), estimated_bytes=total, estimated_files=len(entries)
        )

    def _credentials_digest(self) -> str:
        """A digest of the credentials given (other keys, another password: not the session's earlier check)."""
        creds = self.credentials
        given = [
            *sorted(creds.all_secrets()),
            str(creds.password_file),
            *sorted(f"{k}={v}" for k, v in creds.options.items()),
        ]
        return hashlib.sha256("\0".join(given).encode()).hexdigest()

    def _check_repository(
        self, secrets: SecretDir, cancel: threading.Event | None, tracker: Tracker
    ) -> RepositoryChecks:
        """Open, list, the listing's own checks, the tool's check: what does not depend on the target."""
        checks: list[CheckResult] = []
        try:
            opened = self._open(secrets, cancel)
        except BackendError as exc:
            checks.append(CheckResult(name=failed_check_name(exc.message), status=CheckStatus.FAIL, detail=exc.message))
            return RepositoryChecks(checks, None)
        checks.append(CheckResult(name="reachable", status=CheckStatus.OK, detail=opened.reachable))
        checks.append(CheckResult(name="credentials", status=CheckStatus.OK, detail=opened.credentials))
        tracker.update(message=opened.progress, force=True)
        try:
            entries = self._list(secrets, cancel)
        except self.listing_errors as exc:
            checks.append(CheckResult(name="lists", status=CheckStatus.FAIL, detail=self._unlisted(exc)))
            return RepositoryChecks(checks, None)
        self._listing = entries
        total = sum(self._entry_bytes(entry) for entry in entries)
        checks.append(CheckResult(name="lists", status=CheckStatus.OK,
                                  detail=f"{self.what} {self._label()}: {len(entries)} {self.entries}, "
                                         f"{human_size(total)}{opened.note}"))  # fmt: skip
        checks += self._listing_checks(entries, tracker)
        if (unavailable := self._check_unavailable()) is not None:
            checks.append(CheckResult(name="integrity", status=CheckStatus.SKIPPED, detail=unavailable))
        else:
            try:
                self._run(self._check_args(secrets, cancel, verify=False), secrets, cancel=cancel, timeout=None)
                checks.append(CheckResult(name="integrity", status=CheckStatus.OK, detail=f"{self.kind} check passed"))
            except BackendError as exc:
                checks.append(CheckResult(name="integrity", status=CheckStatus.FAIL, detail=exc.message))
        return RepositoryChecks(checks, entries)

    def _unlisted(self, exc: Exception) -> str:
        """The ``lists`` detail of a listing that failed."""
        return str(exc)

    def restore(self, target: Path, progress: ProgressCallback, cancel: threading.Event) -> RestoreResult:
        """The tool's restore, its progress the bytes it has written (``/proc/PID/io``) against the listed total.

        Neither tool reports progress cheaply: restic 0.14 reports none, borg's per-item logging costs 10-40 %.
        """
        with SecretDir() as secrets:
            if self._listing is None:
                self._listing = self._list(secrets, cancel)
            total = sum(self._entry_bytes(entry) for entry in self._listing)
            tracker = Tracker(Phase.RESTORE, progress, bytes_total=total, files_total=len(self._listing))
            tracker.update(0, force=True)
            command = self._restore_command(target, secrets, cancel)
            start = time.monotonic()
            with Pipeline([command], secrets=self._secrets()) as pipeline:
                pid = pipeline.procs[0].pid
                base = proc_written_bytes(pid) or 0

                def probe() -> None:
                    written = proc_written_bytes(pid)
                    if written is not None:
                        tracker.update(min(total, max(0, written - base)))

                result = pipeline.wait(cancel=cancel, probe=probe)
        tracker.finish(bytes_done=total, files_done=len(self._listing), message="restored")
        return RestoreResult(bytes=total, files=len(self._listing), seconds=time.monotonic() - start,
                             warnings=result.warnings)  # fmt: skip

    def verify(self, target: Path, progress: ProgressCallback, cancel: threading.Event) -> VerifyReport:
        """The tool's own check of the repository, then the restored tree against the listing."""
        tracker = Tracker(Phase.VERIFY, progress)
        unavailable = self._check_unavailable()
        with SecretDir() as secrets:
            if unavailable is None:
                tracker.update(message=self.verify_method, force=True)
                self._run(self._check_args(secrets, cancel, verify=True), secrets, cancel=cancel, timeout=None)
            entries = self._listing if self._listing is not None else self._list(secrets, cancel)
        mismatches = compare_tree(target, entries, cancel, self._entry_path, self._differences)
        tracker.finish(files_done=len(entries), message="compared")
        return VerifyReport(
            method="tree compare" if unavailable else f"{self.verify_method} + tree compare",
            checked=len(entries),
            mismatches=tuple(mismatches[:MAX_MISMATCHES]),
            detail=f"{unavailable or self.verified}; {len(entries)} {self.entries} compared",
        )


def compare_tree(
    target: Path,
    entries: Sequence[Entry],
    cancel: threading.Event | None,
    path_of: Callable[[Entry], str],
    differences: Callable[[str, Path, os.stat_result, Entry], list[str]],
) -> list[str]:
    """Every listed entry in the restored tree: missing ones, and what ``differences`` finds in the others."""
    out: list[str] = []
    for entry in entries:
        if cancel is not None and cancel.is_set():
            raise CancelledError("verify: cancelled")
        rel = path_of(entry)
        path = target / rel
        try:
            st = os.lstat(path)
        except OSError as exc:
            out.append(f"{rel}: {exc.strerror}")
            continue
        out += differences(rel, path, st, entry)
    return out


def owner_differs(rel: str, st: os.stat_result, entry: Entry) -> list[str]:
    """The numeric owner against the listed ``uid``/``gid`` (both tools list them so)."""
    if (st.st_uid, st.st_gid) != (int(entry.get("uid", 0)), int(entry.get("gid", 0))):
        return [f"{rel}: owner {st.st_uid}:{st.st_gid} != {entry.get('uid')}:{entry.get('gid')}"]
    return []
