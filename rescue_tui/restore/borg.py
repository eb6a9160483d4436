"""borg backend: archives in a local or ssh borg repository (borg 1.2).

Specs: ``borg:/ABS/REPO[::ARCHIVE]``, ``borg+ssh://[USER@]HOST[:PORT]/ABS/REPO[::ARCHIVE]``;
without an archive name the newest archive of this host (``--set host=NAME``; needed when the
repository serves several hosts) is chosen once and used by name.

The passphrase never reaches argv or borg's environment as a value: borg
reads it through ``BORG_PASSCOMMAND="cat <0600 file>"``; ssh runs through
``BORG_RSH`` (our key, known_hosts, batch mode). ``BORG_*_IS_OK`` answer the
"unknown/relocated repository" questions a fresh rescue system would
otherwise ask (unattended never prompts).

Preflight: ``borg info --json`` (reachable, passphrase, archive exists),
``borg list --json-lines`` (lists; names checked for escapes; sizes per
target filesystem), ``borg check`` of the archive (integrity). Restore:
``borg extract --numeric-ids --sparse`` in the target; progress is the bytes
borg has written (``/proc/PID/io``) against the listed total (borg's own
``--progress``/``--list`` cost 10-40 % of the extract). Verify: ``borg check
--verify-data`` of the archive, then the tree's types, modes, owners, sizes,
link targets and file mtimes against the listing.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rescue_tui import tools
from rescue_tui.restore import codes
from rescue_tui.restore.access import (
    SSH_FIELDS,
    SecretDir,
    check_ssh_key,
    failed_check_name,
    password_file,
    ssh_command_string,
    ssh_destination,
)
from rescue_tui.restore.backend import BackupResult, register
from rescue_tui.restore.checks import SpaceEstimate, target_check
from rescue_tui.restore.errors import BackendError, CancelledError
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
from rescue_tui.restore.runner import Command, Completed, Pipeline, proc_written_bytes, run
from rescue_tui.restore.safety import MemberCheck
from rescue_tui.restore.snapshots import HOST_FIELD, Snapshot, newest_of_host
from rescue_tui.units import human_size

PASSPHRASE_FIELD = Field(
    name="password",
    label="Repository passphrase",
    secret=True,
    env="RESCUE_TUI_PASSWORD",
    help="from --password-file FILE or the env var named by --password-env; not needed for unencrypted repos",
)
MAX_MISMATCHES = 200


@register
class BorgBackend:
    """borg repositories."""

    kind: ClassVar[str] = "borg"

    def __init__(self, spec: BackendSpec, credentials: Credentials) -> None:
        self.spec = spec
        self.credentials = credentials
        self._archive: str | None = spec.selector
        self._listing: list[dict[str, Any]] | None = None

    @classmethod
    def fields(cls, spec: BackendSpec) -> tuple[Field, ...]:
        base = (PASSPHRASE_FIELD, HOST_FIELD)
        return (*base, *SSH_FIELDS) if spec.transport == "ssh" else base

    def required_tools(self) -> tuple[str, ...]:
        return ("borg", "ssh") if self.spec.transport == "ssh" else ("borg",)

    def tool_names(self) -> tuple[str, ...]:
        return self.required_tools()

    def repository(self) -> str:
        if self.spec.transport == "ssh":
            port = f":{self.spec.port}" if self.spec.port else ""
            return f"ssh://{ssh_destination(self.spec)}{port}{self.spec.path}"
        return self.spec.path

    def _env(self, secrets: SecretDir) -> dict[str, str]:
        env = {
            "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes",
            "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes",
            "BORG_EXIT_CODES": "legacy",
        }
        pw = password_file(self.credentials, secrets, required=False)
        env["BORG_PASSCOMMAND"] = shlex.join(["cat", "--", str(pw)]) if pw is not None else "true"
        if self.spec.transport == "ssh":
            check_ssh_key(self.credentials)
            env["BORG_RSH"] = ssh_command_string(self.spec, self.credentials)
        return env

    def _run(
        self,
        args: Sequence[str],
        secrets: SecretDir,
        *,
        cancel: threading.Event | None = None,
        timeout: float | None = 3600,
        cwd: Path | None = None,
    ) -> Completed:
        return run(
            [tools.path("borg"), *args],
            codes.BORG,
            env=self._env(secrets),
            secrets=self._secrets(),
            cancel=cancel,
            timeout=timeout,
            cwd=cwd,
        )

    def _secrets(self) -> list[str]:
        return self.credentials.all_secrets()

    def archive(self, secrets: SecretDir, cancel: threading.Event | None = None) -> str:
        """The archive name: the spec's, or the newest in the repository."""
        if self._archive is None:
            line = "{hostname}{TAB}{start:%Y-%m-%dT%H:%M:%S.%f}{TAB}{archive}{NL}"
            out = self._run(["list", "--format", line, self.repository()], secrets, cancel=cancel).stdout
            listed = [
                Snapshot(id=name, host=host, time=start)
                for host, start, name in (row.split("\t", 2) for row in out.splitlines() if row.count("\t") >= 2)
            ]
            try:
                chosen = newest_of_host(listed, self.credentials.options.get("host") or None, what="archive")
            except BackendError as exc:
                raise BackendError(f"{self.repository()}: {exc.message}") from None
            self._archive = chosen.id
        return self._archive

    def _location(self, secrets: SecretDir, cancel: threading.Event | None = None) -> str:
        return f"{self.repository()}::{self.archive(secrets, cancel)}"

    def _list(self, secrets: SecretDir, cancel: threading.Event | None) -> list[dict[str, Any]]:
        out = self._run(["list", "--json-lines", self._location(secrets, cancel)], secrets, cancel=cancel).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def preflight(
        self, target: Path, progress: ProgressCallback, cancel: threading.Event | None = None
    ) -> PreflightReport:
        checks: list[CheckResult] = [target_check(target)]
        tracker = Tracker(Phase.PREFLIGHT, progress)
        with SecretDir() as secrets:
            try:
                info = json.loads(
                    self._run(
                        ["info", "--json", self._location(secrets, cancel)], secrets, cancel=cancel, timeout=600
                    ).stdout
                )
            except (BackendError, ValueError) as exc:
                message = exc.message if isinstance(exc, BackendError) else f"unreadable answer: {exc}"
                checks.append(CheckResult(name=failed_check_name(message), status=CheckStatus.FAIL, detail=message))
                return PreflightReport(spec=self.spec.text, checks=tuple(checks))
            stats = (info.get("archives") or [{}])[0].get("stats", {})
            checks.append(CheckResult(name="reachable", status=CheckStatus.OK, detail=self.repository()))
            checks.append(CheckResult(name="credentials", status=CheckStatus.OK, detail="repository opened"))
            tracker.update(message="archive found", force=True)
            try:
                items = self._list(secrets, cancel)
            except (BackendError, ValueError) as exc:
                checks.append(CheckResult(name="lists", status=CheckStatus.FAIL, detail=str(exc)))
                return PreflightReport(spec=self.spec.text, checks=tuple(checks))
            self._listing = items
            total = sum(int(i.get("size", 0)) for i in items if i.get("type") == "-")  # "h": more names, no more data
            checks.append(CheckResult(name="lists", status=CheckStatus.OK,
                                      detail=f"archive {self._archive}: {len(items)} items, {human_size(total)} "
                                             f"(borg info: {stats.get('nfiles', '?')} files)"))  # fmt: skip
            member_check = MemberCheck()
            for item in items:
                hardlink = item.get("type") == "h" or (bool(item.get("source")) and item.get("type") != "l")
                member_check.check(str(item.get("path", "")), symlink=item.get("type") == "l",
                                   hardlink=hardlink,
                                   linkname=str(item.get("source") or ""))  # fmt: skip
            if member_check.problems:
                checks.append(CheckResult(name="safe", status=CheckStatus.FAIL,
                                          detail=f"{len(member_check.problems)} item(s) would land outside the "
                                                 f"target, first {member_check.problems[0]}"))  # fmt: skip
            else:
                checks.append(CheckResult(name="safe", status=CheckStatus.OK, detail="every item stays inside"))
            try:
                self._run(["check", self._location(secrets, cancel)], secrets, cancel=cancel, timeout=None)
                checks.append(CheckResult(name="integrity", status=CheckStatus.OK, detail="borg check passed"))
            except BackendError as exc:
                checks.append(CheckResult(name="integrity", status=CheckStatus.FAIL, detail=exc.message))
        if target.is_dir():
            estimate = SpaceEstimate(target)
            for item in items:
                estimate.add(str(item.get("path", "")), int(item.get("size", 0)) if item.get("type") == "-" else 0)
            checks.append(estimate.check())
        tracker.finish(message="checked")
        return PreflightReport(
            spec=self.spec.text, checks=tuple(checks), estimated_bytes=total, estimated_files=len(items)
        )

    def restore(self, target: Path, progress: ProgressCallback, cancel: threading.Event) -> RestoreResult:
        with SecretDir() as secrets:
            if self._listing is None:
                self._listing = self._list(secrets, cancel)
            location = self._location(secrets, cancel)
            total = sum(int(i.get("size", 0)) for i in self._listing if i.get("type") == "-")
            tracker = Tracker(Phase.RESTORE, progress, bytes_total=total, files_total=len(self._listing))
            tracker.update(0, force=True)
            # No --progress/--list: borg is single-threaded Python and its per-item logging costs 10-40 %
            # of the extract. Progress is what borg has written (/proc/PID/io) against the listed total.
            argv = [tools.path("borg"), "extract", "--numeric-ids", "--sparse", location]
            start = time.monotonic()
            with Pipeline([Command(argv=argv, codes=codes.BORG, env=self._env(secrets), cwd=target)],
                          secrets=self._secrets()) as pipeline:  # fmt: skip
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
        tracker = Tracker(Phase.VERIFY, progress)
        with SecretDir() as secrets:
            tracker.update(message="borg check --verify-data", force=True)
            self._run(["check", "--verify-data", self._location(secrets, cancel)], secrets, cancel=cancel, timeout=None)
            items = self._listing if self._listing is not None else self._list(secrets, cancel)
        mismatches = compare_items(target, items, cancel)
        tracker.finish(files_done=len(items), message="compared")
        return VerifyReport(
            method="borg check --verify-data + tree compare",
            checked=len(items),
            mismatches=tuple(mismatches[:MAX_MISMATCHES]),
            detail=f"archive data verified; {len(items)} items compared",
        )

    def backup(
        self, source: Path, excludes: Sequence[str], progress: ProgressCallback, cancel: threading.Event
    ) -> BackupResult:
        tracker = Tracker(Phase.BACKUP, progress)

        def on_stderr(line: str) -> None:
            try:
                item = json.loads(line)
            except ValueError:
                return
            if item.get("type") == "archive_progress":
                tracker.update(int(item.get("original_size", 0)), int(item.get("nfiles", 0)))

        name = self.spec.selector or "{hostname}-{now:%Y-%m-%dT%H:%M:%S}"
        argv = [tools.path("borg"), "--log-json", "--progress", "create", "--json", "--numeric-ids",
                "--exclude-caches", "--compression", "zstd,3"]  # fmt: skip
        argv += [f"--exclude=sh:{pattern}" for pattern in excludes]
        argv += [f"{self.repository()}::{name}", "."]
        with (
            SecretDir() as secrets,
            Pipeline(
                [Command(argv=argv, codes=codes.BORG, env=self._env(secrets), cwd=source, on_stderr=on_stderr)],
                secrets=self._secrets(),
            ) as pipeline,
        ):
            result = pipeline.wait(cancel=cancel)
        info = json.loads(result.stdout or "{}").get("archive", {})
        stats = info.get("stats", {})
        tracker.finish(message="archive saved")
        manifest = Path(self.spec.path.rstrip("/") + ".manifest.json") if self.spec.is_local else None
        return BackupResult(
            files=stats.get("nfiles"),
            bytes=stats.get("original_size"),
            snapshot=info.get("name"),
            warnings=result.warnings,
            manifest_path=manifest,
        )

    def init(self, cancel: threading.Event) -> None:
        """Create the repository (``rescue-tui backup --init``): repokey encryption when a passphrase is given."""
        with SecretDir() as secrets:
            mode = "none" if password_file(self.credentials, secrets, required=False) is None else "repokey-blake2"
            self._run(["init", "--encryption", mode, self.repository()], secrets, cancel=cancel, timeout=600)


_BORG_TYPES = {"-": stat.S_ISREG, "d": stat.S_ISDIR, "l": stat.S_ISLNK, "b": stat.S_ISBLK, "c": stat.S_ISCHR,
               "p": stat.S_ISFIFO}  # fmt: skip


def compare_items(target: Path, items: Sequence[dict[str, Any]], cancel: threading.Event | None) -> list[str]:
    """The restored tree against ``borg list --json-lines``: type, mode, owner, size, link target, file mtime."""
    out: list[str] = []
    for item in items:
        if cancel is not None and cancel.is_set():
            raise CancelledError("verify: cancelled")
        rel = str(item.get("path", ""))
        path = target / rel
        try:
            st = os.lstat(path)
        except OSError as exc:
            out.append(f"{rel}: {exc.strerror}")
            continue
        kind = str(item.get("type"))
        if kind == "h":  # a further name of a hard-linked file (borg 1.2)
            kind = "-"
        test = _BORG_TYPES.get(kind)
        if test is not None and not test(st.st_mode):
            out.append(f"{rel}: not of type {kind!r}")
            continue
        want_mode = str(item.get("mode", ""))
        if kind != "l" and stat.filemode(st.st_mode)[1:] != want_mode[1:]:
            out.append(f"{rel}: mode {stat.filemode(st.st_mode)} != {want_mode}")
        if (st.st_uid, st.st_gid) != (int(item.get("uid", 0)), int(item.get("gid", 0))):
            out.append(f"{rel}: owner {st.st_uid}:{st.st_gid} != {item.get('uid')}:{item.get('gid')}")
        listed_size = int(item.get("size", 0))
        hard_linked = st.st_nlink > 1 and listed_size == 0  # borg 1.2 lists hard-linked files with size 0
        if kind == "-" and item.get("type") == "-" and not hard_linked and st.st_size != listed_size:
            out.append(f"{rel}: size {st.st_size} != {item.get('size')}")
        if kind == "l" and os.readlink(path) != item.get("linktarget"):
            out.append(f"{rel}: link target differs")
        if kind == "-" and item.get("mtime"):
            want = datetime.fromisoformat(str(item["mtime"])).timestamp()
            if abs(st.st_mtime - want) > 1e-5:
                out.append(f"{rel}: mtime differs")
    return out
