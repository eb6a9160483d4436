"""The one interface every restore backend implements, and the registry that finds them.

A backend is built from a parsed :class:`BackendSpec` and the operator's
:class:`Credentials`. Its steps, in the order the CLI and the TUI call them:

``fields(spec)``
    what the TUI form asks for (name, label, secret?, required?).
``required_tools()``
    checked with :func:`rescue_tui.tools.require` before anything runs.
``preflight(target, ...)``
    reachable, credentials work, the archive or snapshot exists and lists,
    nothing in it escapes the target, the estimate fits every target
    filesystem, integrity where the tool offers it. Writes nothing.
``restore(target, progress, cancel)``
    the data into the target root, with progress; cancel stops the tools.
``verify(target, progress, cancel)``
    the restored tree against the backup (our checksum manifest, or the
    tool's own check).
``backup(source, excludes, progress, cancel)``
    the live-system side: write the backup (``rescue-tui backup``).

One module per backend (``tar``, ``rsync``, ``restic``, ``borg``) registers
its class with :func:`register` under its spec kind. Each class builds on
:class:`BackendBase`; restic and borg, whose steps are the same, on
:class:`rescue_tui.restore.snapshot_backend.SnapshotBackend`.
"""

from __future__ import annotations

import importlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol, TypeVar

from rescue_tui.errors import RefusedError
from rescue_tui.restore.errors import CredentialsError, PreflightError, UnsafeArchiveError
from rescue_tui.restore.model import (
    Artifact,
    BackendSpec,
    CheckStatus,
    Credentials,
    Field,
    PreflightReport,
    ProgressCallback,
    RestoreResult,
    Secret,
    VerifyReport,
)
from rescue_tui.restore.spec import parse_spec

BACKEND_MODULES = ("tar", "rsync", "restic", "borg")


@dataclass(frozen=True, kw_only=True)
class BackupResult:
    files: int | None
    bytes: int | None
    archive: Artifact | None = None
    file_checksums: Artifact | None = None
    snapshot: str | None = None
    warnings: tuple[str, ...] = ()
    manifest_path: Path | None = None
    """Where the manifest goes by default (beside a local backup), or None when it has no natural place."""


class Backend(Protocol):
    """A place backups live, and the tool that reads and writes it."""

    kind: ClassVar[str]
    spec: BackendSpec
    credentials: Credentials

    @classmethod
    def fields(cls, spec: BackendSpec) -> tuple[Field, ...]: ...

    def required_tools(self) -> tuple[str, ...]: ...

    def preflight(
        self, target: Path, progress: ProgressCallback, cancel: threading.Event | None = None
    ) -> PreflightReport: ...

    def restore(self, target: Path, progress: ProgressCallback, cancel: threading.Event) -> RestoreResult: ...

    def verify(self, target: Path, progress: ProgressCallback, cancel: threading.Event) -> VerifyReport: ...

    def backup(
        self, source: Path, excludes: Sequence[str], progress: ProgressCallback, cancel: threading.Event
    ) -> BackupResult: ...

    def tool_names(self) -> tuple[str, ...]:
        """Tools whose versions go in the backup manifest."""
        ...


class BackendBase(ABC):
    """What every backend keeps: the spec and the credentials it was opened with."""

    kind: ClassVar[str]

    def __init__(self, spec: BackendSpec, credentials: Credentials) -> None:
        self.spec = spec
        self.credentials = credentials

    @abstractmethod
    def required_tools(self) -> tuple[str, ...]: ...

    def tool_names(self) -> tuple[str, ...]:
        """The tools it runs are the ones whose versions the manifest records."""
        return self.required_tools()

    def _secrets(self) -> list[str]:
        """What to keep off argv and scrub from the tools' output."""
        return self.credentials.all_secrets()


BackendClass = type[Backend]
_REGISTRY: dict[str, BackendClass] = {}
B = TypeVar("B", bound=type)


def register(cls: B) -> B:
    """Class decorator: make a backend findable by its ``kind``."""
    kind: str = cls.kind  # type: ignore[attr-defined]
    if kind in _REGISTRY:
        raise ValueError(f"backend {kind!r} registered twice")
    _REGISTRY[kind] = cls
    return cls


def backend_class(kind: str) -> BackendClass:
    if kind not in _REGISTRY and kind in BACKEND_MODULES:
        importlib.import_module(f"rescue_tui.restore.{kind}")
    return _REGISTRY[kind]


def open_backend(spec: str | BackendSpec, credentials: Credentials | None = None) -> Backend:
    """The backend for a spec (parsed here when given as text; SpecError on a bad one).

    An ``+nfs`` or ``+cifs`` spec is mounted here (read-only, once: :mod:`rescue_tui.restore.nfs`,
    :mod:`rescue_tui.restore.cifs`) and opened as the local one;
    how ssh knows the server's key is settled here: a fingerprint is checked and pinned, a server nothing
    knows is refused with what it offers (:mod:`rescue_tui.restore.hostkeys`).
    """
    parsed = parse_spec(spec) if isinstance(spec, str) else spec
    credentials = credentials or Credentials()
    if parsed.transport == "nfs":
        from rescue_tui.restore import nfs

        parsed = nfs.attach(parsed)
    elif parsed.transport == "cifs":
        from rescue_tui.restore import cifs

        parsed = cifs.attach(parsed, credentials)
    if parsed.transport in ("ssh", "sftp"):
        from rescue_tui.restore import hostkeys

        credentials = hostkeys.resolve(parsed, credentials)
    cls = backend_class(parsed.kind)
    return cls(parsed, credentials)  # type: ignore[call-arg]


def fields_for(spec: str | BackendSpec) -> tuple[Field, ...]:
    """The backend's own fields, and the SMB login of a ``+cifs`` spec (the transport's, whatever the backend)."""
    parsed = parse_spec(spec) if isinstance(spec, str) else spec
    fields = backend_class(parsed.kind).fields(parsed)
    if parsed.transport == "cifs":
        from rescue_tui.restore.cifs import CIFS_FIELDS

        fields = (*fields, *CIFS_FIELDS)
    return fields


def credentials_from_form(spec: BackendSpec, values: Mapping[str, str]) -> Credentials:
    """Credentials from a form of :func:`fields_for` (the TUI): blank fields are left out, every problem at once.

    ``password`` becomes the repository password, ``ssh_key`` and ``known_hosts`` paths, other
    secret fields ``secrets`` and the rest ``options``; a required field left blank is refused.
    """
    fields = fields_for(spec)
    known = {f.name for f in fields}
    problems = [f"{name}: not a field of {spec.scheme}" for name in values if name not in known]
    problems += [f"{f.label}: required" for f in fields if f.required and not values.get(f.name, "").strip()]
    if problems:
        raise CredentialsError(problems[0], problems=problems)
    given = {f.name: (f, values[f.name]) for f in fields if values.get(f.name, "").strip()}
    path = {name: Path(value.strip()) for name, (_, value) in given.items() if name in ("ssh_key", "known_hosts")}
    password = given.get("password")
    return Credentials(
        password=Secret(password[1]) if password else None,
        ssh_key=path.get("ssh_key"),
        known_hosts=path.get("known_hosts"),
        secrets={n: Secret(v) for n, (f, v) in given.items() if f.secret and n != "password"},
        options={n: v.strip() for n, (f, v) in given.items() if not f.secret and n not in ("ssh_key", "known_hosts")},
    )


PREFLIGHT_PRIORITY = {name: i for i, name in enumerate(
    ("safe", "credentials", "reachable", "lists", "integrity", "target", "fits")
)}  # fmt: skip
"""Which failed check names the error when several failed: escapes first, then access, then content, then room."""


def raise_for_preflight(report: PreflightReport) -> None:
    """Turn failed checks into one error: escapes, credentials and refusals (target, room) exit 2, the rest 1."""
    failures = report.failures
    if not failures:
        return
    first = min(failures, key=lambda c: PREFLIGHT_PRIORITY.get(c.name, len(PREFLIGHT_PRIORITY)))
    others = [c.name for c in failures if c is not first]
    message = f"preflight: {first.name}: {first.detail}" + (f" (also failed: {', '.join(others)})" if others else "")
    hint = None
    if first.name == "safe":
        raise UnsafeArchiveError(message, hint=hint)
    if first.name == "credentials":
        raise CredentialsError(message, hint=hint)
    if first.name in ("target", "fits"):
        raise RefusedError(message, hint=hint)
    raise PreflightError(message, hint=hint)


def status_symbol(status: CheckStatus) -> str:
    return {CheckStatus.OK: "ok", CheckStatus.WARN: "WARN", CheckStatus.FAIL: "FAIL", CheckStatus.SKIPPED: "skip"}[
        status
    ]
