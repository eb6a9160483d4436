"""restic backend: snapshots in a local, sftp, rest-server or S3-compatible repository.

Specs: ``restic:/ABS/REPO[#SNAPSHOT]``, ``restic+sftp://[USER@]HOST[:PORT]/ABS/REPO[#S]``,
``restic+rest:http[s]://HOST[:PORT]/PATH[#S]``, ``restic+s3:http[s]://HOST[:PORT]/BUCKET[/PATH][#S]``.
The snapshot is an id, or ``latest`` (default): the newest of this host (``--set host=NAME``; needed
when the repository serves several hosts), resolved to its id once in preflight and restored by that id.

Nothing secret reaches argv: the repository location goes in
``RESTIC_REPOSITORY`` (a rest-server user and password are put into that
URL, in the environment only), the password in a 0600 file named by
``RESTIC_PASSWORD_FILE``, S3 keys in ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``. sftp runs our ssh command (key, known_hosts,
batch mode) through ``-o sftp.command``.

Preflight: ``cat config`` (reachable, password), ``snapshots`` (the snapshot
exists), ``ls --json`` (lists; sizes per target filesystem), ``check``
(repository integrity). Restore: ``restic restore SNAP --target T`` (as root
restic keeps numeric owners, modes, xattrs incl. ACLs, hard links, devices,
fifos, symlinks and times); progress is the bytes restic has written
(``/proc/PID/io``) against the listed total, since restic 0.14 reports none.
Verify: ``restic check`` again, then the restored tree's types, sizes,
modes, owners and file mtimes against ``ls --json``.

Known gap of restic 0.14 (Debian 12): restore writes sparse files in full
(``--sparse`` arrived in 0.15).
"""

from __future__ import annotations

import json
import os
import re
import stat
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

from rescue_tui import tools
from rescue_tui.restore import codes
from rescue_tui.restore.access import (
    PASSWORD_FIELD,
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
from rescue_tui.restore.errors import BackendError, CredentialsError
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
from rescue_tui.restore.snapshots import HOST_FIELD, Snapshot, newest_of_host
from rescue_tui.units import human_size

MAX_MISMATCHES = 200


_TIME_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


def parse_time_ns(text: str) -> int:
    """restic's RFC 3339 time with up to nanoseconds -> ns since the epoch."""
    m = _TIME_RE.match(text)
    if not m:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    head, frac, zone = m.group(1), m.group(2) or "", m.group(3) or "Z"
    seconds = int(datetime.fromisoformat(head + ("+00:00" if zone == "Z" else zone)).timestamp())
    return seconds * 1_000_000_000 + int((frac + "000000000")[:9])


@register
class ResticBackend:
    """restic repositories."""

    kind: ClassVar[str] = "restic"

    def __init__(self, spec: BackendSpec, credentials: Credentials) -> None:
        self.spec = spec
        self.credentials = credentials
        self._listing: list[dict[str, Any]] | None = None
        self._snapshot_id: str | None = None

    @classmethod
    def fields(cls, spec: BackendSpec) -> tuple[Field, ...]:
        fields: tuple[Field, ...] = (PASSWORD_FIELD, HOST_FIELD)
        if spec.transport == "sftp":
            fields += SSH_FIELDS
        if spec.transport == "rest":
            fields += (
                Field(name="rest_user", label="rest-server user", env="RESCUE_TUI_REST_USER"),
                Field(name="rest_password", label="rest-server password", secret=True, env="RESCUE_TUI_REST_PASSWORD"),
            )
        if spec.transport == "s3":
            fields += (
                Field(name="aws_access_key_id", label="S3 access key id", secret=True, required=True,
                      env="AWS_ACCESS_KEY_ID"),
                Field(name="aws_secret_access_key", label="S3 secret access key", secret=True, required=True,
                      env="AWS_SECRET_ACCESS_KEY"),
            )  # fmt: skip
        return fields

    def required_tools(self) -> tuple[str, ...]:
        return ("restic", "ssh") if self.spec.transport == "sftp" else ("restic",)

    def tool_names(self) -> tuple[str, ...]:
        return self.required_tools()

    @property
    def snapshot(self) -> str:
        return self.spec.selector or "latest"

    def repository(self) -> str:
        """The repository location for ``RESTIC_REPOSITORY`` (may hold the rest-server password: env only)."""
        spec = self.spec
        if spec.transport == "file":
            return spec.path
        if spec.transport == "sftp":
            return f"sftp:{ssh_destination(spec)}:{spec.path}"
        assert spec.url is not None
        if spec.transport == "rest":
            user = self.credentials.options.get("rest_user")
            password = self.credentials.secrets.get("rest_password")
            url = urlsplit(spec.url)
            if user or password:
                auth = quote(user or "", safe="") + (":" + quote(password.reveal(), safe="") if password else "")
                netloc = f"{auth}@{url.netloc}"
                return "rest:" + urlunsplit((url.scheme, netloc, url.path, url.query, ""))
            return "rest:" + spec.url
        return "s3:" + spec.url

    def _env(self, secrets: SecretDir, *, need_password: bool = True) -> dict[str, str]:
        env = {"RESTIC_REPOSITORY": self.repository(), "RESTIC_PROGRESS_FPS": "1"}
        pw = password_file(self.credentials, secrets, required=need_password)
        if pw is not None:
            env["RESTIC_PASSWORD_FILE"] = str(pw)
        if self.spec.transport == "s3":
            for name, var in (("aws_access_key_id", "AWS_ACCESS_KEY_ID"),
                              ("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY")):  # fmt: skip
                value = self.credentials.secrets.get(name)
                if not value:
                    raise CredentialsError(f"restic+s3 needs {name}", hint=f"set {var} in the environment")
                env[var] = value.reveal()
        return env

    def _base(self) -> list[str]:
        argv = [tools.path("restic")]
        if self.spec.transport == "sftp":
            check_ssh_key(self.credentials)
            argv += ["-o", f"sftp.command={ssh_command_string(self.spec, self.credentials, with_host=True)} -s sftp"]
        return argv

    def _secrets(self) -> list[str]:
        values = self.credentials.all_secrets()
        repo = self.repository()
        if repo != self.spec.path and "@" in repo and self.spec.transport == "rest":
            values.append(repo)
        return values

    def _run(
        self,
        args: Sequence[str],
        secrets: SecretDir,
        *,
        cancel: threading.Event | None = None,
        timeout: float | None = 3600,
        rc: codes.ReturnCodes = codes.RESTIC,
    ) -> Completed:
        return run(
            [*self._base(), *args], rc, env=self._env(secrets), secrets=self._secrets(), cancel=cancel, timeout=timeout
        )

    def _resolve(self, secrets: SecretDir, cancel: threading.Event | None) -> str:
        """The id to restore: the spec's, or this host's newest snapshot (chosen once, then kept)."""
        if self.spec.selector and self.spec.selector != "latest":
            return self.spec.selector
        if self._snapshot_id is None:
            out = self._run(["snapshots", "--json"], secrets, cancel=cancel).stdout
            try:
                listed = [Snapshot(id=str(s["id"]), host=str(s.get("hostname", "")), time=str(s.get("time", "")))
                          for s in json.loads(out or "[]")]  # fmt: skip
            except (ValueError, KeyError, TypeError) as exc:
                raise BackendError(f"restic snapshots: unreadable answer ({exc})") from exc
            self._snapshot_id = newest_of_host(listed, self.credentials.options.get("host") or None).id
        return self._snapshot_id

    def _list(self, secrets: SecretDir, cancel: threading.Event | None) -> list[dict[str, Any]]:
        out = self._run(["ls", "--json", self._resolve(secrets, cancel)], secrets, cancel=cancel).stdout
        nodes = []
        for line in out.splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if item.get("struct_type") == "snapshot":
                self._snapshot_id = item.get("id")
            elif item.get("struct_type") == "node":
                nodes.append(item)
        if self._snapshot_id is None:  # restic 0.14 only warns, with return code 0, about an unknown id
            raise BackendError(f"restic: no snapshot {self.snapshot!r} in the repository")
        return nodes

    def preflight(
        self, target: Path, progress: ProgressCallback, cancel: threading.Event | None = None
    ) -> PreflightReport:
        checks: list[CheckResult] = [target_check(target)]
        tracker = Tracker(Phase.PREFLIGHT, progress)
        with SecretDir() as secrets:
            try:
                self._run(["cat", "config"], secrets, cancel=cancel, timeout=600)
            except BackendError as exc:
                checks.append(
                    CheckResult(name=failed_check_name(exc.message), status=CheckStatus.FAIL, detail=exc.message)
                )
                return PreflightReport(spec=self.spec.text, checks=tuple(checks))
            checks.append(CheckResult(name="reachable", status=CheckStatus.OK, detail="repository opened"))
            checks.append(CheckResult(name="credentials", status=CheckStatus.OK, detail="password accepted"))
            tracker.update(message="repository opened", force=True)
            try:
                nodes = self._list(secrets, cancel)
            except BackendError as exc:
                checks.append(
                    CheckResult(
                        name="lists", status=CheckStatus.FAIL, detail=f"snapshot {self.snapshot}: {exc.message}"
                    )
                )
                return PreflightReport(spec=self.spec.text, checks=tuple(checks))
            self._listing = nodes
            total = sum(int(n.get("size", 0)) for n in nodes if n.get("type") == "file")
            checks.append(CheckResult(name="lists", status=CheckStatus.OK,
                                      detail=f"snapshot {(self._snapshot_id or '?')[:8]}: {len(nodes)} entries, "
                                             f"{human_size(total)}"))  # fmt: skip
            tracker.update(message="snapshot listed", force=True)
            try:
                self._run(["check"], secrets, cancel=cancel, timeout=None)
                checks.append(CheckResult(name="integrity", status=CheckStatus.OK, detail="restic check passed"))
            except BackendError as exc:
                checks.append(CheckResult(name="integrity", status=CheckStatus.FAIL, detail=exc.message))
        estimate: SpaceEstimate | None = None
        if target.is_dir():
            estimate = SpaceEstimate(target)
            for node in nodes:
                estimate.add(
                    str(node.get("path", "")).lstrip("/"), int(node.get("size", 0)) if node.get("type") == "file" else 0
                )
            checks.append(estimate.check())
        tracker.finish(message="checked")
        return PreflightReport(
            spec=self.spec.text, checks=tuple(checks), estimated_bytes=total, estimated_files=len(nodes)
        )

    def restore(self, target: Path, progress: ProgressCallback, cancel: threading.Event) -> RestoreResult:
        with SecretDir() as secrets:
            if self._listing is None:
                self._listing = self._list(secrets, cancel)
            total = sum(int(n.get("size", 0)) for n in self._listing if n.get("type") == "file")
            tracker = Tracker(Phase.RESTORE, progress, bytes_total=total, files_total=len(self._listing))
            tracker.update(0, force=True)
            argv = [*self._base(), "restore", self._resolve(secrets, cancel), "--target", str(target)]
            start = time.monotonic()
            with Pipeline(
                [Command(argv=argv, codes=codes.RESTIC, env=self._env(secrets))], secrets=self._secrets()
            ) as pipeline:
                pid = pipeline.procs[0].pid
                base = proc_written_bytes(pid) or 0

                def probe() -> None:
                    written = proc_written_bytes(pid)
                    if written is not None:
                        tracker.update(min(total, max(0, written - base)))

                result = pipeline.wait(cancel=cancel, probe=probe)
        tracker.finish(bytes_done=total, files_done=len(self._listing), message="restored")
        return RestoreResult(
            bytes=total, files=len(self._listing), seconds=time.monotonic() - start, warnings=result.warnings
        )

    def verify(self, target: Path, progress: ProgressCallback, cancel: threading.Event) -> VerifyReport:
        with SecretDir() as secrets:
            tracker = Tracker(Phase.VERIFY, progress)
            tracker.update(message="restic check", force=True)
            self._run(["check"], secrets, cancel=cancel, timeout=None)
            nodes = self._listing if self._listing is not None else self._list(secrets, cancel)
        mismatches = compare_nodes(target, nodes, cancel)
        tracker.finish(files_done=len(nodes), message="compared")
        return VerifyReport(
            method="restic check + tree compare",
            checked=len(nodes),
            mismatches=tuple(mismatches[:MAX_MISMATCHES]),
            detail=f"repository check passed; {len(nodes)} entries compared",
        )

    def backup(
        self, source: Path, excludes: Sequence[str], progress: ProgressCallback, cancel: threading.Event
    ) -> BackupResult:
        tracker = Tracker(Phase.BACKUP, progress)
        summary: dict[str, Any] = {}

        def on_line(line: str) -> None:
            try:
                item = json.loads(line)
            except ValueError:
                return
            if item.get("message_type") == "status":
                tracker.bytes_total = item.get("total_bytes") or tracker.bytes_total
                tracker.files_total = item.get("total_files") or tracker.files_total
                tracker.update(int(item.get("bytes_done", 0)), int(item.get("files_done", 0)))
            elif item.get("message_type") == "summary":
                summary.update(item)

        root = str(source).rstrip("/")
        argv = [*self._base(), "backup", "--json", "--exclude-caches", "--tag", "rescue-tui"]
        argv += [f"--exclude={root}/{pattern}" for pattern in excludes]
        argv.append(".")
        with (
            SecretDir() as secrets,
            Pipeline(
                [Command(argv=argv, codes=codes.RESTIC_BACKUP, env=self._env(secrets), cwd=source)],
                stdout="lines",
                on_line=on_line,
                secrets=self._secrets(),
            ) as pipeline,
        ):
            result = pipeline.wait(cancel=cancel)
        tracker.finish(message="snapshot saved")
        files = int(summary.get("total_files_processed", 0)) or None
        size = int(summary.get("total_bytes_processed", 0)) or None
        manifest = Path(self.spec.path.rstrip("/") + ".manifest.json") if self.spec.is_local else None
        return BackupResult(
            files=files,
            bytes=size,
            snapshot=summary.get("snapshot_id"),
            warnings=result.warnings,
            manifest_path=manifest,
        )

    def init(self, cancel: threading.Event) -> None:
        """Create the repository (``rescue-tui backup --init``)."""
        with SecretDir() as secrets:
            self._run(["init"], secrets, cancel=cancel, timeout=600)


_TYPES = {"file": stat.S_ISREG, "dir": stat.S_ISDIR, "symlink": stat.S_ISLNK, "dev": stat.S_ISBLK,
          "chardev": stat.S_ISCHR, "fifo": stat.S_ISFIFO, "socket": stat.S_ISSOCK}  # fmt: skip


def go_mode_bits(mode: int) -> int:
    """Permission bits of a Go ``os.FileMode`` (restic's JSON) as a POSIX mode: setuid, setgid, sticky, rwx."""
    bits = mode & 0o777
    if mode & (1 << 23):
        bits |= stat.S_ISUID
    if mode & (1 << 22):
        bits |= stat.S_ISGID
    if mode & (1 << 20):
        bits |= stat.S_ISVTX
    return bits


def compare_nodes(target: Path, nodes: Sequence[dict[str, Any]], cancel: threading.Event | None) -> list[str]:
    """The restored tree against ``restic ls --json``: type, size, permission bits, owner, file mtime."""
    out: list[str] = []
    for node in nodes:
        if cancel is not None and cancel.is_set():
            from rescue_tui.restore.errors import CancelledError

            raise CancelledError("verify: cancelled")
        rel = str(node.get("path", "")).lstrip("/")
        path = target / rel
        try:
            st = os.lstat(path)
        except OSError as exc:
            out.append(f"{rel}: {exc.strerror}")
            continue
        kind = str(node.get("type"))
        test = _TYPES.get(kind)
        if test is not None and not test(st.st_mode):
            out.append(f"{rel}: not a {kind}")
            continue
        if kind == "file" and st.st_size != int(node.get("size", 0)):
            out.append(f"{rel}: size {st.st_size} != {node.get('size')}")
        want_mode = go_mode_bits(int(node.get("mode", 0)))
        if kind in ("file", "dir") and stat.S_IMODE(st.st_mode) != want_mode:
            out.append(f"{rel}: mode {stat.S_IMODE(st.st_mode):o} != {want_mode:o}")
        if (st.st_uid, st.st_gid) != (int(node.get("uid", 0)), int(node.get("gid", 0))):
            out.append(f"{rel}: owner {st.st_uid}:{st.st_gid} != {node.get('uid')}:{node.get('gid')}")
        if kind == "file" and node.get("mtime") and st.st_mtime_ns // 1000 != parse_time_ns(node["mtime"]) // 1000:
            out.append(f"{rel}: mtime differs")
    return out
