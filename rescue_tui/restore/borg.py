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
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rescue_tui import tools
from rescue_tui.restore import codes
from rescue_tui.restore.access import (
    SSH_FIELDS,
    SecretDir,
    check_ssh_key,
    on_read_only_filesystem,
    password_file,
    ssh_command_string,
    ssh_destination,
)
from rescue_tui.restore.backend import BackupResult, register
from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.model import BackendSpec, CheckResult, CheckStatus, Field, Phase, ProgressCallback
from rescue_tui.restore.progress import Tracker
from rescue_tui.restore.runner import Command, Pipeline
from rescue_tui.restore.safety import MemberCheck
from rescue_tui.restore.snapshot_backend import Entry, Opened, SnapshotBackend, owner_differs
from rescue_tui.restore.snapshots import HOST_FIELD, Snapshot

PASSPHRASE_FIELD = Field(
    name="password",
    label="Repository passphrase",
    secret=True,
    env="RESCUE_TUI_PASSWORD",
    help="from --password-file FILE or the env var named by --password-env; not needed for unencrypted repos",
)


@register
class BorgBackend(SnapshotBackend):
    """borg repositories."""

    kind: ClassVar[str] = "borg"
    return_codes = codes.BORG
    what = "archive"
    entries = "items"
    file_type = "-"  # "h": more names, no more data
    verify_method = "borg check --verify-data"
    verified = "archive data verified"
    listing_errors = (BackendError, ValueError)

    @classmethod
    def fields(cls, spec: BackendSpec) -> tuple[Field, ...]:
        base = (PASSPHRASE_FIELD, HOST_FIELD)
        return (*base, *SSH_FIELDS) if spec.transport == "ssh" else base

    def required_tools(self) -> tuple[str, ...]:
        return ("borg", "ssh") if self.spec.transport == "ssh" else ("borg",)

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

    def _tool(self) -> list[str]:
        # the lock is a directory in the repository: unwritable on a read-only filesystem
        return [tools.path("borg"), *(["--bypass-lock"] if on_read_only_filesystem(self.spec) else [])]

    def _snapshots(self, secrets: SecretDir, cancel: threading.Event | None) -> list[Snapshot]:
        line = "{hostname}{TAB}{start:%Y-%m-%dT%H:%M:%S.%f}{TAB}{archive}{NL}"
        out = self._run(["list", "--format", line, self.repository()], secrets, cancel=cancel).stdout
        return [
            Snapshot(id=name, host=host, time=start)
            for host, start, name in (row.split("\t", 2) for row in out.splitlines() if row.count("\t") >= 2)
        ]

    def _no_choice(self, exc: BackendError) -> BackendError:
        return BackendError(f"{self.repository()}: {exc.message}")

    def _location(self, secrets: SecretDir, cancel: threading.Event | None = None) -> str:
        return f"{self.repository()}::{self.chosen(secrets, cancel)}"

    def _open(self, secrets: SecretDir, cancel: threading.Event | None) -> Opened:
        """``borg info --json`` of the archive: the repository opens and the archive is there."""
        try:
            answer = self._run(["info", "--json", self._location(secrets, cancel)], secrets, cancel=cancel, timeout=600)
            info = json.loads(answer.stdout)
        except ValueError as exc:
            raise BackendError(f"unreadable answer: {exc}") from None
        stats = (info.get("archives") or [{}])[0].get("stats", {})
        return Opened(reachable=self.repository(), credentials="repository opened", progress="archive found",
                      note=f" (borg info: {stats.get('nfiles', '?')} files)")  # fmt: skip

    def _list(self, secrets: SecretDir, cancel: threading.Event | None) -> list[Entry]:
        out = self._run(["list", "--json-lines", self._location(secrets, cancel)], secrets, cancel=cancel).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def _label(self) -> str:
        return str(self.spec.selector or self._snapshot_id)

    def _listing_checks(self, entries: Sequence[Entry], tracker: Tracker) -> list[CheckResult]:
        """``safe``: no item, symlink or hard-link source lands outside the target."""
        member_check = MemberCheck()
        for item in entries:
            hardlink = item.get("type") == "h" or (bool(item.get("source")) and item.get("type") != "l")
            member_check.check(str(item.get("path", "")), symlink=item.get("type") == "l",
                               hardlink=hardlink,
                               linkname=str(item.get("source") or ""))  # fmt: skip
        if member_check.problems:
            return [CheckResult(name="safe", status=CheckStatus.FAIL,
                                detail=f"{len(member_check.problems)} item(s) would land outside the "
                                       f"target, first {member_check.problems[0]}")]  # fmt: skip
        return [CheckResult(name="safe", status=CheckStatus.OK, detail="every item stays inside")]

    def _check_unavailable(self) -> str | None:
        if on_read_only_filesystem(self.spec):
            return ("borg check writes into the repository, which is read-only here (borg 1.2): not run; "
                    "extract still authenticates every chunk it reads")  # fmt: skip
        return None

    def _check_args(self, secrets: SecretDir, cancel: threading.Event | None, *, verify: bool) -> list[str]:
        """``borg check`` of the archive; verify reads and checks all its data too."""
        return ["check", *(["--verify-data"] if verify else []), self._location(secrets, cancel)]

    def _restore_command(self, target: Path, secrets: SecretDir, cancel: threading.Event) -> Command:
        """``borg extract`` in the target, without --progress/--list (they cost 10-40 % of the extract)."""
        argv = [*self._tool(), "extract", "--numeric-ids", "--sparse", self._location(secrets, cancel)]
        return Command(argv=argv, codes=self.return_codes, env=self._env(secrets), cwd=target)

    @staticmethod
    def _differences(rel: str, path: Path, st: os.stat_result, item: Entry) -> list[str]:
        """Type, mode, owner, size, link target and file mtime against ``borg list --json-lines``."""
        kind = str(item.get("type"))
        if kind == "h":  # a further name of a hard-linked file (borg 1.2)
            kind = "-"
        test = _BORG_TYPES.get(kind)
        if test is not None and not test(st.st_mode):
            return [f"{rel}: not of type {kind!r}"]
        out: list[str] = []
        want_mode = str(item.get("mode", ""))
        if kind != "l" and stat.filemode(st.st_mode)[1:] != want_mode[1:]:
            out.append(f"{rel}: mode {stat.filemode(st.st_mode)} != {want_mode}")
        out += owner_differs(rel, st, item)
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
