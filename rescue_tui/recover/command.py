"""``rescue-tui recover PLAN``: the whole recovery from a shell or a script, as the console runs it.

Checks the backup (before anything is written), shows the disks and asks
for the host name (``--yes`` when nobody is there to type it), then runs
the engine's :class:`~rescue_tui.recover.recovery.Recovery`: apply, mount,
restore and verify, finalize. Progress goes to stderr, results to stdout.
A stop leaves apply's journal and the plan beside it: ``--resume`` goes on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from rescue_tui.errors import ExitCode
from rescue_tui.recover.events import RecoveryEvent, RestoreSampled, recovery_line


class RecoveryPrinter:
    """A recovery's events on stderr: a line per event worth one, the restore's progress as restore prints it."""

    def __init__(self, stream: TextIO | None = None) -> None:
        from rescue_tui.restore.commands import ProgressPrinter

        self.stream = stream or sys.stderr
        self.progress = ProgressPrinter(self.stream)

    def __call__(self, event: RecoveryEvent) -> None:
        if isinstance(event, RestoreSampled):
            self.progress(event.sample)
            return
        line = recovery_line(event)
        if line is not None:
            print(line, file=self.stream, flush=True)


def add_recover_parser(subparsers: Any) -> None:
    """Register ``recover`` on the CLI's subparsers."""
    from rescue_tui.restore.commands import add_credential_options

    p = subparsers.add_parser(
        "recover", help="the whole recovery of a plan: apply, restore, finalize (DESTROYS the targets; asks first)"
    )
    p.add_argument("plan", type=Path, help="a plan saved with 'rescue-tui plan -o'")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--backend", metavar="SPEC", help="the backup to restore (see `rescue-tui backends`)")
    source.add_argument("--no-restore", action="store_true", help="storage only: apply and mount, restore nothing")
    p.add_argument("--yes", action="store_true", help="do not ask for the host name (unattended)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted recovery from apply's journal")
    p.add_argument("--passphrase-file", type=Path, help="LUKS passphrase for new containers (first line)")
    p.add_argument("--target-root", type=Path, default=Path("/mnt/target"))
    p.add_argument("--journal-dir", type=Path, default=Path("/run/rescue-tui"))
    p.add_argument("--journal-copy", action="append", type=Path, metavar="FILE", help="also keep the journal here")
    p.add_argument("--no-bootloader", action="store_true", help="finalize without initramfs and boot loader")
    add_credential_options(p)
    p.set_defaults(handler=recover_command)


def recover_command(args: argparse.Namespace) -> int:
    from rescue_tui.plan.codec import read_plan
    from rescue_tui.recover.confirm import confirm_wipe, read_secret
    from rescue_tui.recover.preflight import check_backup
    from rescue_tui.recover.recovery import Recovery, RecoveryRequest
    from rescue_tui.restore.backend import raise_for_preflight
    from rescue_tui.restore.commands import cancel_on_sigterm, credentials_from_args, print_preflight
    from rescue_tui.restore.model import Credentials, Secret
    from rescue_tui.restore.spec import parse_spec

    plan = read_plan(args.plan)
    spec = parse_spec(args.backend) if args.backend else None  # bad input fails before anything is looked at
    credentials = credentials_from_args(args, spec) if spec is not None else Credentials()
    passphrase = read_secret(args.passphrase_file)
    request = RecoveryRequest(
        plan=plan,
        target_root=args.target_root,
        journal_dir=args.journal_dir,
        backend=spec,
        credentials=credentials,
        passphrase=Secret(passphrase) if passphrase is not None else None,
        bootloader=not args.no_bootloader,
        journal_copies=tuple(args.journal_copy or ()),
    )
    printer = RecoveryPrinter()
    recovery = Recovery(request, printer)
    with cancel_on_sigterm() as cancel:
        if spec is not None:
            report = check_backup(spec, credentials, printer.progress, cancel)
            print_preflight(report, sys.stdout)
            sys.stdout.flush()
            raise_for_preflight(report)
        prepared = recovery.prepare(resume=args.resume)
        if prepared.destructive and not args.yes:
            confirm_wipe(prepared)
        recovery.run(cancel, resume=args.resume, prepared=prepared)
    outcome = recovery.finalize()
    changed = sum(1 for r in outcome.rewrites if r.changed)
    restored = f"restored from {spec.text}, " if spec is not None else ""
    print(f"recovered {plan.hostname} into {args.target_root}: {restored}"
          f"{changed} file(s) rewritten, {len(outcome.commands)} command(s) run")  # fmt: skip
    for path in outcome.report_paths:
        print(f"report: {path}")
    return ExitCode.OK
