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
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

from rescue_tui import tools
from rescue_tui.restore import codes
from rescue_tui.restore.access import (
    CA_FIELD,
    PASSWORD_FIELD,
    SSH_FIELDS,
    SecretDir,
    ca_file,
    check_ssh_key,
    on_read_only_filesystem,
    password_file,
    ssh_command_string,
    ssh_destination,
)
from rescue_tui.restore.backend import BackupResult, register
from rescue_tui.restore.errors import BackendError, CredentialsError
from rescue_tui.restore.model import BackendSpec, CheckResult, Field, Phase, ProgressCallback
from rescue_tui.restore.progress import Tracker
from rescue_tui.restore.runner import Command, Pipeline
from rescue_tui.restore.snapshot_backend import Entry, Opened, SnapshotBackend, owner_differs
from rescue_tui.restore.snapshots import HOST_FIELD, Snapshot

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
class ResticBackend(SnapshotBackend):
    """restic repositories."""

    kind: ClassVar[str] = "restic"
    return_codes = codes.RESTIC
    what = "snapshot"
    entries = "entries"
    file_type = "file"
    verify_method = "restic check"
    verified = "repository check passed"

    @classmethod
    def fields(cls, spec: BackendSpec) -> tuple[Field, ...]:
        fields: tuple[Field, ...] = (PASSWORD_FIELD, HOST_FIELD)
        if spec.transport == "sftp":
            fields += SSH_FIELDS
        if spec.transport == "rest":
            fields += (
                Field(name="rest_user", label="rest-server user", env="RESCUE_TUI_REST_USER"),
                Field(name="rest_password", label="rest-server password", secret=True, env="RESCUE_TUI_REST_PASSWORD"),
                CA_FIELD,
            )
        if spec.transport == "s3":
            fields += (
                Field(name="aws_access_key_id", label="S3 access key id", secret=True, required=True,
                      env="AWS_ACCESS_KEY_ID"),
                Field(name="aws_secret_access_key", label="S3 secret access key", secret=True, required=True,
                      env="AWS_SECRET_ACCESS_KEY"),
                CA_FIELD,
            )  # fmt: skip
        return fields

    def required_tools(self) -> tuple[str, ...]:
        return ("restic", "ssh") if self.spec.transport == "sftp" else ("restic",)

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

    def _tool(self) -> list[str]:
        argv = [tools.path("restic")]
        if self.spec.transport == "sftp":
            check_ssh_key(self.credentials)
            argv += ["-o", f"sftp.command={ssh_command_string(self.spec, self.credentials, with_host=True)} -s sftp"]
        if (trusted := ca_file(self.credentials)) is not None:
            argv += ["--cacert", str(trusted)]
        if on_read_only_filesystem(self.spec):
            argv.append("--no-lock")  # the lock is a file in the repository: unwritable there
        return argv

    def _secrets(self) -> list[str]:
        values = self.credentials.all_secrets()
        repo = self.repository()
        if repo != self.spec.path and "@" in repo and self.spec.transport == "rest":
            values.append(repo)
        return values

    def _named(self) -> str | None:
        """``latest`` names no snapshot: it is this host's newest."""
        return self.spec.selector if self.spec.selector and self.spec.selector != "latest" else None

    def _fixed_snapshot(self, secrets: SecretDir, cancel: threading.Event | None) -> str | None:
        """A restic snapshot's id is the hash of what it holds: the id chosen (or named) fixes the content."""
        return self.chosen(secrets, cancel)

    def _snapshots(self, secrets: SecretDir, cancel: threading.Event | None) -> list[Snapshot]:
        out = self._run(["snapshots", "--json"], secrets, cancel=cancel).stdout
        try:
            return [Snapshot(id=str(s["id"]), host=str(s.get("hostname", "")), time=str(s.get("time", "")))
                    for s in json.loads(out or "[]")]  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise BackendError(f"restic snapshots: unreadable answer ({exc})") from exc

    def _open(self, secrets: SecretDir, cancel: threading.Event | None) -> Opened:
        """``restic cat config``: the repository opens with the password."""
        self._run(["cat", "config"], secrets, cancel=cancel, timeout=600)
        return Opened(reachable="repository opened", credentials="password accepted", progress="repository opened")

    def _list(self, secrets: SecretDir, cancel: threading.Event | None) -> list[Entry]:
        out = self._run(["ls", "--json", self.chosen(secrets, cancel)], secrets, cancel=cancel).stdout
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

    def _unlisted(self, exc: Exception) -> str:
        return f"snapshot {self.snapshot}: {exc}"

    def _label(self) -> str:
        return (self._snapshot_id or "?")[:8]

    def _listing_checks(self, entries: Sequence[Entry], tracker: Tracker) -> list[CheckResult]:
        """None of its own; the progress line says the snapshot is listed."""
        tracker.update(message="snapshot listed", force=True)
        return []

    def _check_args(self, secrets: SecretDir, cancel: threading.Event | None, *, verify: bool) -> list[str]:
        """``restic check`` of the whole repository, in preflight and verify alike."""
        return ["check"]

    def _restore_command(self, target: Path, secrets: SecretDir, cancel: threading.Event) -> Command:
        argv = [*self._tool(), "restore", self.chosen(secrets, cancel), "--target", str(target)]
        return Command(argv=argv, codes=self.return_codes, env=self._env(secrets))

    def _entry_path(self, entry: Entry) -> str:
        return str(entry.get("path", "")).lstrip("/")

    @staticmethod
    def _differences(rel: str, path: Path, st: os.stat_result, node: Entry) -> list[str]:
        """Type, size, permission bits, owner and file mtime against ``restic ls --json``."""
        kind = str(node.get("type"))
        test = _TYPES.get(kind)
        if test is not None and not test(st.st_mode):
            return [f"{rel}: not a {kind}"]
        out: list[str] = []
        if kind == "file" and st.st_size != int(node.get("size", 0)):
            out.append(f"{rel}: size {st.st_size} != {node.get('size')}")
        want_mode = go_mode_bits(int(node.get("mode", 0)))
        if kind in ("file", "dir") and stat.S_IMODE(st.st_mode) != want_mode:
            out.append(f"{rel}: mode {stat.S_IMODE(st.st_mode):o} != {want_mode:o}")
        out += owner_differs(rel, st, node)
        if kind == "file" and node.get("mtime") and st.st_mtime_ns // 1000 != parse_time_ns(node["mtime"]) // 1000:
            out.append(f"{rel}: mtime differs")
        return out

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
        argv = [*self._tool(), "backup", "--json", "--exclude-caches", "--tag", "rescue-tui"]
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
