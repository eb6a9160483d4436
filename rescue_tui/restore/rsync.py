"""rsync backend: a copy of the tree in a directory, local (USB, NFS, CIFS mount) or on an ssh host.

Specs: ``rsync:/ABS/DIR/``, ``rsync+ssh://[USER@]HOST[:PORT]/ABS/DIR``.

Restore is ``rsync -aHAXS --numeric-ids`` (archive mode with hard links,
ACLs, xattrs, sparse files, numeric owners; devices, fifos, symlinks and
times come with ``-a``) of the directory's contents into the target, with
``--info=progress2`` for byte progress (totals from preflight's listing: ``--no-inc-recursive``
would give totals up front but costs about 40 % of the restore time). The ssh
transport uses our key and known_hosts in batch mode (never a prompt).
Preflight lists the tree (``--list-only``) for reachability, size and count;
verify is rsync's own comparison, ``--dry-run --checksum --itemize-changes``:
any itemized line is a difference, but for the ``lost+found`` that mkfs.ext* put at the
root of each filesystem mounted at or under the target (the backup need not hold
it, and ``--delete`` would count it as extra). rsync's receiver refuses names with
``..`` or a leading ``/`` from the sender and never writes through a symlink
in the target (we never pass ``--keep-dirlinks``).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rescue_tui import tools
from rescue_tui.errors import BadInputError
from rescue_tui.restore import codes
from rescue_tui.restore.access import SSH_FIELDS, check_ssh_key, failed_check_name, ssh_command_string, ssh_destination
from rescue_tui.restore.backend import BackendBase, BackupResult, register
from rescue_tui.restore.checks import SpaceEstimate, mounts_under, target_check
from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.model import (
    BackendSpec,
    CheckResult,
    CheckStatus,
    Credentials,
    Field,
    Phase,
    PreflightReport,
    ProgressCallback,
    RestoreResult,
    VerifyReport,
)
from rescue_tui.restore.progress import Tracker
from rescue_tui.restore.runner import Command, Pipeline
from rescue_tui.units import human_size

FIDELITY = ("--archive", "--hard-links", "--acls", "--xattrs", "--sparse", "--numeric-ids")
"""``-aHAXS --numeric-ids``: everything a root filesystem needs, owners by number."""

_PROGRESS = re.compile(r"^\s*([\d,]+)\s+(\d+)%\s+\S+\s+\S+(?:\s+\(xfr#(\d+), (?:to|ir)-chk=(\d+)/(\d+)\))?")
_LISTING = re.compile(r"^(\S{10})\s+(\S+)\s+\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (.*)$")
_ITEMIZED = re.compile(r"^[<>ch.*][fdLDS][.+?cstpoguax]{9}\s|^\*deleting\s")


def keep_lost_and_found(target: Path) -> list[str]:
    """rsync filter options that protect ``lost+found`` at the root of each filesystem mounted at or under
    ``target`` (the target itself only when it is a mount point) from verify's ``--delete`` comparison."""
    options = []
    for point in mounts_under(target):
        if point or os.path.ismount(target):
            anchored = "/" + re.sub(r"([*?\[\\])", r"\\\1", point + "/" if point else "")
            options.append(f"--filter=P {anchored}lost+found/")
    return options


def parse_progress(line: str) -> tuple[int, int, int | None, int | None] | None:
    """``--info=progress2`` line -> (bytes done, percent, files done, files total)."""
    m = _PROGRESS.match(line)
    if not m:
        return None
    done = int(m.group(1).replace(",", ""))
    pct = int(m.group(2))
    if m.group(5) is None:
        return done, pct, None, None
    remaining, total = int(m.group(4)), int(m.group(5))
    return done, pct, total - remaining, total


def parse_listing_line(line: str) -> tuple[str, str, int] | None:
    """``--list-only`` line -> (mode string, path, size); symlinks lose their ``-> target``."""
    m = _LISTING.match(line)
    if not m:
        return None
    mode, size_s, name = m.groups()
    if mode.startswith("l") and " -> " in name:
        name = name.split(" -> ", 1)[0]
    size = int(size_s.replace(",", "")) if size_s.replace(",", "").isdigit() else 0
    return mode, name, size if mode.startswith("-") else 0


@register
class RsyncBackend(BackendBase):
    """A directory tree copied with rsync."""

    kind: ClassVar[str] = "rsync"

    def __init__(self, spec: BackendSpec, credentials: Credentials) -> None:
        super().__init__(spec, credentials)
        self._total: int | None = None
        self._files: int | None = None

    @classmethod
    def fields(cls, spec: BackendSpec) -> tuple[Field, ...]:
        return SSH_FIELDS if spec.transport == "ssh" else ()

    def required_tools(self) -> tuple[str, ...]:
        return ("rsync", "ssh") if self.spec.transport == "ssh" else ("rsync",)

    def _remote(self) -> str:
        """The tree's location as rsync wants it, always with a trailing slash (copy the contents)."""
        path = self.spec.path.rstrip("/") + "/"
        if self.spec.transport == "ssh":
            return f"{ssh_destination(self.spec)}:{path}"
        return path

    def _transport_args(self) -> list[str]:
        if self.spec.transport != "ssh":
            return []
        check_ssh_key(self.credentials)
        return ["-e", ssh_command_string(self.spec, self.credentials)]

    def _rsync(self) -> list[str]:
        return [tools.path("rsync"), *self._transport_args()]

    def preflight(
        self, target: Path, progress: ProgressCallback, cancel: threading.Event | None = None
    ) -> PreflightReport:
        checks: list[CheckResult] = [target_check(target)]
        tracker = Tracker(Phase.PREFLIGHT, progress)
        estimate = SpaceEstimate(target) if target.is_dir() else None
        count = 0
        total = 0

        def on_line(line: str) -> None:
            nonlocal count, total
            parsed = parse_listing_line(line)
            if parsed is None:
                return
            _mode, name, size = parsed
            count += 1
            total += size
            if estimate is not None:
                estimate.add("" if name == "." else name, size)
            tracker.update(total, count)

        argv = [*self._rsync(), "--recursive", "--links", "--devices", "--specials", "--list-only", "--no-h",
                self._remote()]  # fmt: skip
        try:
            with Pipeline(
                [Command(argv=argv, codes=codes.RSYNC_RESTORE)],
                stdout="lines",
                on_line=on_line,
                secrets=self._secrets(),
            ) as pipeline:
                pipeline.wait(cancel=cancel, timeout=3600)
        except BackendError as exc:
            checks.append(CheckResult(name=failed_check_name(exc.message), status=CheckStatus.FAIL, detail=exc.message))
            return PreflightReport(spec=self.spec.text, checks=tuple(checks))
        tracker.finish(bytes_done=total, files_done=count, message="listed")
        self._total, self._files = total, count
        checks.append(CheckResult(name="reachable", status=CheckStatus.OK, detail=self._remote()))
        checks.append(
            CheckResult(name="lists", status=CheckStatus.OK, detail=f"{count} entries, {human_size(total)} in files")
        )
        checks.append(
            CheckResult(
                name="integrity",
                status=CheckStatus.SKIPPED,
                detail="rsync keeps no checksums of its own; verify compares after the restore",
            )
        )
        if estimate is not None:
            checks.append(estimate.check())
        return PreflightReport(spec=self.spec.text, checks=tuple(checks), estimated_bytes=total, estimated_files=count)

    def restore(self, target: Path, progress: ProgressCallback, cancel: threading.Event) -> RestoreResult:
        tracker = Tracker(Phase.RESTORE, progress, bytes_total=self._total, files_total=self._files)
        tracker.update(0, 0, force=True)

        def on_line(line: str) -> None:
            parsed = parse_progress(line)
            if parsed is None:
                return
            done, pct, files_done, files_total = parsed
            # With incremental recursion rsync's own totals grow as it goes: prefer preflight's listing.
            if self._total is None and pct > 0:
                tracker.bytes_total = max(tracker.bytes_total or 0, int(done * 100 / pct))
            if self._files is None and files_total is not None:
                tracker.files_total = max(tracker.files_total or 0, files_total)
            tracker.update(done, files_done)

        argv = [*self._rsync(), *FIDELITY, "--info=progress2", self._remote(),
                str(target).rstrip("/") + "/"]  # fmt: skip
        start = time.monotonic()
        with Pipeline(
            [Command(argv=argv, codes=codes.RSYNC_RESTORE)], stdout="lines", on_line=on_line, secrets=self._secrets()
        ) as pipeline:
            result = pipeline.wait(cancel=cancel)
        tracker.finish(message="restored")
        return RestoreResult(
            bytes=tracker.bytes_done,
            files=tracker.files_done,
            seconds=time.monotonic() - start,
            warnings=result.warnings,
        )

    def verify(self, target: Path, progress: ProgressCallback, cancel: threading.Event) -> VerifyReport:
        """rsync's own compare: checksum every file, itemize every difference, change nothing."""
        differences: list[str] = []
        tracker = Tracker(Phase.VERIFY, progress, bytes_total=self._total, files_total=self._files)

        def on_line(line: str) -> None:
            if _ITEMIZED.match(line):
                differences.append(line)
            tracker.update()

        argv = [
            *self._rsync(),
            "--archive",
            "--hard-links",
            "--acls",
            "--xattrs",
            "--numeric-ids",
            "--dry-run",
            "--checksum",
            "--itemize-changes",
            "--delete",
            *keep_lost_and_found(target),
            self._remote(),
            str(target).rstrip("/") + "/",
        ]
        with Pipeline(
            [Command(argv=argv, codes=codes.RSYNC_VERIFY)], stdout="lines", on_line=on_line, secrets=self._secrets()
        ) as pipeline:
            pipeline.wait(cancel=cancel)
        tracker.finish(message="compared")
        return VerifyReport(
            method="rsync --dry-run --checksum --itemize-changes",
            checked=self._files or 0,
            mismatches=tuple(differences[:200]),
            detail=f"{len(differences)} differences",
        )

    def backup(
        self, source: Path, excludes: Sequence[str], progress: ProgressCallback, cancel: threading.Event
    ) -> BackupResult:
        if self.spec.is_local and not Path(self.spec.path.rstrip("/") or "/").parent.is_dir():
            raise BadInputError(f"{Path(self.spec.path).parent}: no such directory for the copy")
        tracker = Tracker(Phase.BACKUP, progress)

        def on_line(line: str) -> None:
            parsed = parse_progress(line)
            if parsed is not None:
                tracker.update(parsed[0], parsed[2])

        argv = [*self._rsync(), *FIDELITY, "--delete", "--delete-excluded", "--info=progress2"]  # fmt: skip
        argv += [f"--exclude=/{pattern}" for pattern in excludes]
        argv += [str(source).rstrip("/") + "/", self._remote()]
        with Pipeline(
            [Command(argv=argv, codes=codes.RSYNC_BACKUP)], stdout="lines", on_line=on_line, secrets=self._secrets()
        ) as pipeline:
            result = pipeline.wait(cancel=cancel)
        tracker.finish(message="copied")
        manifest = Path(self.spec.path.rstrip("/") + ".manifest.json") if self.spec.is_local else None
        return BackupResult(
            files=tracker.files_done, bytes=tracker.bytes_done, warnings=result.warnings, manifest_path=manifest
        )
