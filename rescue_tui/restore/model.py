"""Plain data of the restore stage: specs, form fields, credentials, progress, reports, manifests.

Frozen, keyword-only dataclasses with no behaviour beyond small derived
properties, so the TUI, the CLI and the plan can pass them around freely.
Secrets travel as :class:`Secret`, whose ``repr`` and ``str`` never show the
value: an accidental log line or traceback prints ``<secret>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any


class Secret:
    """A secret string; only :meth:`reveal` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True, kw_only=True)
class BackendSpec:
    """A parsed backend spec such as ``restic+sftp://backup@host:2222/srv/repo#latest``."""

    text: str
    """The spec as the operator wrote it (it never holds secrets: the parser refuses them)."""
    kind: str
    """The tool family: ``tar``, ``rsync``, ``restic``, ``borg``."""
    transport: str
    """``file``, ``http``, ``https``, ``ssh``, ``sftp``, ``rest``, ``s3``, ``nfs`` (made ``file`` once mounted)."""
    path: str
    """Absolute path: local, on the remote host, or the URL's path."""
    host: str | None = None
    user: str | None = None
    port: int | None = None
    url: str | None = None
    """For URL transports (http, https, rest, s3): the URL without the selector."""
    selector: str | None = None
    """restic snapshot (``latest`` or an id) or borg archive name; None means the latest."""

    @property
    def scheme(self) -> str:
        """The spec's scheme: ``tar``, ``tar+http``, ``restic+sftp`` ..."""
        return self.kind if self.transport == "file" else f"{self.kind}+{self.transport}"

    @property
    def is_local(self) -> bool:
        return self.transport == "file"


@dataclass(frozen=True, kw_only=True)
class Field:
    """One input a backend needs, for the TUI form and the CLI options."""

    name: str
    label: str
    secret: bool = False
    required: bool = False
    env: str | None = None
    """Environment variable the CLI reads the value from when no option gives it."""
    help: str = ""


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """What the operator gave besides the spec. Secrets never appear in argv: backends pass them by file or env."""

    password: Secret | None = None
    """Repository password (restic, borg)."""
    password_file: Path | None = None
    """A file holding the repository password (used as is, never copied into argv)."""
    ssh_key: Path | None = None
    known_hosts: Path | None = None
    accept_new_host_key: bool = False
    secrets: Mapping[str, Secret] = field(default_factory=dict)
    """Other secret fields by name: ``http_password``, ``rest_password``, ``aws_secret_access_key`` ..."""
    options: Mapping[str, str] = field(default_factory=dict)
    """Non-secret fields by name: ``http_user``, ``rest_user`` ..."""

    def all_secrets(self) -> list[str]:
        """Every secret value, for scrubbing tool output before it reaches an error or a log."""
        values = [s.reveal() for s in self.secrets.values() if s]
        if self.password:
            values.append(self.password.reveal())
        if self.password_file is not None:
            try:
                text = self.password_file.read_text().strip("\n")
            except OSError:
                text = ""
            if text:
                values.append(text)
        return values


class Phase(str, Enum):
    PREFLIGHT = "preflight"
    RESTORE = "restore"
    VERIFY = "verify"
    BACKUP = "backup"


@dataclass(frozen=True, kw_only=True)
class ProgressEvent:
    """Where a long step stands. Totals and ETA are None when the tool cannot tell."""

    phase: Phase
    bytes_done: int = 0
    bytes_total: int | None = None
    files_done: int | None = None
    files_total: int | None = None
    rate: float = 0.0
    """Bytes per second, smoothed."""
    eta: float | None = None
    """Seconds left, from the rate and the byte total."""
    elapsed: float = 0.0
    message: str = ""
    final: bool = False
    """The last event of the step."""


ProgressCallback = Callable[[ProgressEvent], None]


class CheckStatus(str, Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """One preflight check: ``reachable``, ``credentials``, ``lists``, ``integrity``, ``fits``, ``safe``..."""

    name: str
    status: CheckStatus
    detail: str


@dataclass(frozen=True, kw_only=True)
class PreflightReport:
    spec: str
    checks: tuple[CheckResult, ...]
    estimated_bytes: int | None = None
    estimated_files: int | None = None

    @property
    def ok(self) -> bool:
        return all(c.status is not CheckStatus.FAIL for c in self.checks)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.status is CheckStatus.FAIL)


@dataclass(frozen=True, kw_only=True)
class RestoreResult:
    bytes: int
    files: int | None
    seconds: float
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class VerifyReport:
    method: str
    """How it was verified: ``checksum manifest``, ``tar --compare``, ``restic check`` ..."""
    checked: int
    """Entries (or repository objects) checked."""
    mismatches: tuple[str, ...] = ()
    """One line per difference, at most a few hundred."""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.mismatches


MANIFEST_FORMAT_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """A file the backup wrote, with its checksum."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True, kw_only=True)
class BackupManifest:
    """What ``rescue-tui backup`` made: written as JSON beside the backup."""

    format_version: int = MANIFEST_FORMAT_VERSION
    created: str
    """UTC, ISO 8601."""
    seconds: float
    hostname: str
    backend: str
    source: str
    excludes: tuple[str, ...]
    tools: Mapping[str, str]
    """Tool name -> first line of its version output."""
    files: int | None = None
    bytes: int | None = None
    archive: Artifact | None = None
    """The tar archive (tar backends)."""
    file_checksums: Artifact | None = None
    """Per-file sha256 list used by verify (tar backends)."""
    snapshot: str | None = None
    """restic snapshot id or borg archive name."""
    layout: Artifact | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> BackupManifest:
        data: dict[str, Any] = json.loads(text)
        for key in ("archive", "file_checksums", "layout"):
            if data.get(key) is not None:
                data[key] = Artifact(**data[key])
        data["excludes"] = tuple(data.get("excludes", ()))
        return cls(**data)
