"""CLI commands of the restore stage: ``backends``, ``restore``, ``backup``.

Wired into ``rescue_tui.cli`` with :func:`add_restore_parsers`. Handlers take
the parsed namespace and return an exit code; errors are raised as
``RescueError`` subclasses for ``cli.main`` to print as one line.

Credentials are never arguments: ``--password-file FILE`` (mode 0600) or
``--password-env VAR`` (the *name* of a variable holding it); other secret
fields (HTTP, rest-server, S3) come from the environment variables listed by
``rescue-tui backends``. Progress goes to stderr (redrawn in place on a
terminal, a line every 10 s otherwise); results go to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from rescue_tui import tools
from rescue_tui.errors import ExitCode, RefusedError
from rescue_tui.lock import recovery_lock
from rescue_tui.restore.backend import (
    Backend,
    backend_class,
    fields_for,
    open_backend,
    raise_for_preflight,
    status_symbol,
)
from rescue_tui.restore.env_credentials import from_environment
from rescue_tui.restore.errors import CredentialsError, SpecError, VerifyError
from rescue_tui.restore.model import BackendSpec, Credentials, PreflightReport, ProgressEvent, Secret
from rescue_tui.restore.progress import format_event
from rescue_tui.restore.spec import SYNTAX, parse_spec
from rescue_tui.units import human_size

log = logging.getLogger("rescue_tui.restore")

DEFAULT_PASSWORD_ENV = "RESCUE_TUI_PASSWORD"


class ProgressPrinter:
    """Progress on stderr: redrawn on a terminal, one line every ``every`` seconds otherwise."""

    def __init__(self, stream: TextIO | None = None, *, every: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = every
        self._last = 0.0
        self._width = 0

    def __call__(self, event: ProgressEvent) -> None:
        line = format_event(event)
        now = time.monotonic()
        if self.tty:
            pad = max(0, self._width - len(line))
            self.stream.write("\r" + line + " " * pad + ("\n" if event.final else ""))
            self._width = 0 if event.final else len(line)
            self.stream.flush()
        elif event.final or now - self._last >= self.every:
            self._last = now
            self.stream.write(line + "\n")
            self.stream.flush()


def credentials_from_args(args: argparse.Namespace, spec: BackendSpec) -> Credentials:
    """Credentials from options and environment variables; secrets never from argv."""
    password: Secret | None = None
    password_file: Path | None = args.password_file
    if password_file is None:
        var = args.password_env or DEFAULT_PASSWORD_ENV
        if var in os.environ:
            password = Secret(os.environ[var])
        elif args.password_env:
            raise CredentialsError(f"--password-env {var}: the variable is not set")
    fields = {f.name: f for f in fields_for(spec)}
    from_env = from_environment(fields.values(), os.environ)
    options: dict[str, str] = {}
    for item in args.set or []:
        name, sep, value = item.partition("=")
        if not sep or name not in fields:
            known = ", ".join(n for n, f in fields.items() if not f.secret and n not in ("password",)) or "none"
            raise CredentialsError(f"--set {name}: not a field of {spec.scheme} (non-secret fields: {known})")
        if fields[name].secret:
            raise CredentialsError(
                f"--set {name}: secret fields are not taken from the command line (process lists show it)",
                hint=f"set {fields[name].env} in the environment instead",
            )
        options[name] = value
    return Credentials(
        password=password,
        password_file=password_file,
        ssh_key=args.ssh_key,
        known_hosts=args.known_hosts,
        accept_new_host_key=args.accept_new_host_key,
        secrets=from_env.secrets,
        options={**from_env.options, **options},
    )


def add_credential_options(p: argparse.ArgumentParser) -> None:
    """The credential options of every command that opens a backend."""
    g = p.add_argument_group("credentials (never on the command line)")
    g.add_argument("--password-file", type=Path, metavar="FILE", help="repository password in a mode-0600 file")
    g.add_argument(
        "--password-env",
        metavar="VAR",
        help=f"name of the env var holding the password (default {DEFAULT_PASSWORD_ENV})",
    )
    g.add_argument("--ssh-key", type=Path, metavar="FILE", help="ssh private key for ssh/sftp transports")
    g.add_argument("--known-hosts", type=Path, metavar="FILE", help="known_hosts file for ssh/sftp transports")
    g.add_argument("--accept-new-host-key", action="store_true", help="trust an ssh host key seen for the first time")
    g.add_argument("--set", action="append", metavar="FIELD=VALUE", help="a non-secret field (e.g. http_user=bob)")


def add_restore_parsers(subparsers: Any) -> None:
    """Register ``backends``, ``restore`` and ``backup`` on the CLI's subparsers."""
    p = subparsers.add_parser("backends", help="list restore backends, their spec syntax and fields")
    p.set_defaults(handler=backends_command)

    p = subparsers.add_parser("restore", help="restore a backup into a mounted target tree")
    p.add_argument("--backend", required=True, metavar="SPEC", help="where the backup is (see `rescue-tui backends`)")
    p.add_argument(
        "--target", required=True, type=Path, metavar="DIR", help="root of the mounted target, e.g. /mnt/target"
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed when unattended)")
    p.add_argument("--dry-run", action="store_true", help="run the preflight checks only; write nothing")
    p.add_argument("--no-verify", action="store_true", help="skip verifying the restored tree")
    add_credential_options(p)
    p.set_defaults(handler=restore_command)

    p = subparsers.add_parser("backup", help="back up the running system (or --source DIR) with a manifest")
    p.add_argument("--backend", required=True, metavar="SPEC", help="where to write the backup")
    p.add_argument("--source", type=Path, default=Path("/"), metavar="DIR", help="tree to back up (default /)")
    p.add_argument("--layout-out", type=Path, metavar="FILE", help="also capture the storage layout into FILE")
    p.add_argument("--manifest-out", type=Path, metavar="FILE", help="manifest path (default: beside the backup)")
    p.add_argument("--exclude", action="append", metavar="PATTERN", help="also leave out PATTERN (relative to source)")
    p.add_argument("--init", action="store_true", help="create the restic/borg repository first")
    add_credential_options(p)
    p.set_defaults(handler=backup_command)


def backends_command(args: argparse.Namespace) -> int:
    out = sys.stdout
    out.write("Backends (--backend SPEC):\n\n")
    width = max(len(s.syntax) for s in SYNTAX)
    for s in SYNTAX:
        out.write(f"  {s.scheme:<12} {s.syntax:<{width}}  {s.summary}\n")
        out.write(f"  {'':<12} e.g. {s.example}\n")
        spec = parse_spec(s.example)
        cls = backend_class(spec.kind)
        fields = cls.fields(spec)
        if fields:
            described = []
            for f in fields:
                source = f" (env {f.env})" if f.env and f.name != "password" else ""
                flags = ", secret" if f.secret else ""
                described.append(f"{f.name}{flags}{source}")
            out.write(f"  {'':<12} fields: {'; '.join(described)}\n")
        backend = cls(spec, Credentials())  # type: ignore[call-arg]
        needed = backend.required_tools()
        absent = {t.name for t in tools.missing(needed)}
        shown = ", ".join(n + (" (missing)" if n in absent else "") for n in needed)
        out.write(f"  {'':<12} tools: {shown}\n\n")
    out.write(
        "Passwords: --password-file FILE (mode 0600) or --password-env VAR; ssh: --ssh-key, --known-hosts.\n"
        "Secrets are never taken from, or put on, a command line.\n"
    )
    return ExitCode.OK


@contextlib.contextmanager
def cancel_on_sigterm() -> Iterator[threading.Event]:
    """A cancel event that SIGTERM sets (systemd stopping the unit stops the tools, not the bookkeeping)."""
    cancel = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield cancel
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        cancel.set()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGTERM, previous)


def print_preflight(report: PreflightReport, out: TextIO) -> None:
    out.write(f"preflight {report.spec}:\n")
    for check in report.checks:
        out.write(f"  {status_symbol(check.status):<5} {check.name:<12} {check.detail}\n")


def _confirm(question: str) -> bool:
    sys.stderr.write(question + " [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def _open(args: argparse.Namespace) -> Backend:
    spec = parse_spec(args.backend)
    backend = open_backend(spec, credentials_from_args(args, spec))
    tools.require(backend.required_tools(), why=f"{spec.scheme} backend")
    return backend


def restore_command(args: argparse.Namespace) -> int:
    spec = parse_spec(args.backend)  # a bad spec fails before anything else is looked at
    target: Path = args.target
    if not target.is_dir():
        raise RefusedError(f"target {target} is not a directory", hint="mount the target filesystems first")
    if os.path.realpath(target) == "/":
        raise RefusedError("the target must not be / (restore into the mounted target, e.g. /mnt/target)")
    interactive = sys.stdin.isatty()
    if not args.yes and not args.dry_run and not interactive:
        raise RefusedError("unattended restore needs --yes (nothing was written)")
    backend = _open(args)
    printer = ProgressPrinter()
    writer = recovery_lock("restore") if not args.dry_run else contextlib.nullcontext()  # one writer at a time
    with cancel_on_sigterm() as cancel, writer:
        report = backend.preflight(target, printer, cancel)
        print_preflight(report, sys.stdout)
        sys.stdout.flush()
        raise_for_preflight(report)
        if args.dry_run:
            print(f"dry run: preflight passed; nothing written to {target}")
            return ExitCode.OK
        size = human_size(report.estimated_bytes) if report.estimated_bytes is not None else "?"
        if not args.yes and not _confirm(f"Restore {spec.text} ({size}) into {target}?"):
            raise RefusedError("restore not confirmed; nothing was written")
        result = backend.restore(target, printer, cancel)
        print(f"restored {human_size(result.bytes)}"
              + (f", {result.files} entries" if result.files is not None else "")
              + f" into {target} in {result.seconds:.1f} s")  # fmt: skip
        for warning in result.warnings:
            print(f"warning: {warning}")
        if args.no_verify:
            print("verify skipped (--no-verify)")
            return ExitCode.OK
        verified = backend.verify(target, printer, cancel)
    if not verified.ok:
        for line in verified.mismatches[:20]:
            print(f"  differs: {line}")
        raise VerifyError(
            f"verify ({verified.method}): {len(verified.mismatches)} differences, first: {verified.mismatches[0]}"
        )
    print(f"verified ({verified.method}): {verified.detail}")
    return ExitCode.OK


def backup_command(args: argparse.Namespace) -> int:
    from rescue_tui.restore.backup import run_backup

    if parse_spec(args.backend).transport == "nfs":
        raise SpecError(
            f"backend spec {args.backend!r}: NFS is mounted read-only, for restores",
            hint="mount the share read-write yourself and back up to a tar:, restic: or borg: path on it",
        )
    backend = _open(args)
    printer = ProgressPrinter()
    with cancel_on_sigterm() as cancel:
        outcome = run_backup(
            backend,
            source=args.source,
            progress=printer,
            cancel=cancel,
            layout_out=args.layout_out,
            manifest_out=args.manifest_out,
            extra_excludes=args.exclude or (),
            init=args.init,
        )
    for message in outcome.messages:
        print(message, file=sys.stderr)
    m = outcome.manifest
    what = m.archive.path if m.archive else (m.snapshot or backend.spec.text)
    files = f"{m.files} files" if m.files is not None else "? files"
    size = human_size(m.bytes) if m.bytes is not None else "?"
    print(f"backup {what}: {files}, {size} in {m.seconds:.1f} s")
    print(f"manifest {outcome.manifest_path}")
    return ExitCode.OK
