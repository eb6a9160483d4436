"""The ``finalize`` command: make a restored tree bootable on its new disks, and report.

Wired into ``rescue_tui.cli`` with :func:`add_finalize_parser`. The handler
raises ``RescueError`` subclasses for ``cli.main`` to print; progress goes to
stderr, results to stdout. ``--report-only`` prints what would change (a
unified diff per file, the commands, the notes) and writes nothing.

Without ``--yes``, finalize asks before writing (the boot sectors of the
disks and the firmware's boot entries are changed); with no terminal to ask
on it refuses, so an unattended run never waits on a prompt.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rescue_tui.errors import ExitCode
from rescue_tui.events import LinePrinter

if TYPE_CHECKING:
    from rescue_tui.finalize.finalizer import Finalizer

DEFAULT_TARGET = "/mnt/target"


def add_finalize_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Register ``finalize`` on the CLI's subcommands."""
    p = subparsers.add_parser(
        "finalize",
        help="rewrite fstab/crypttab/mdadm.conf, install the boot loader, rebuild the initramfs, write a report",
        description="Finalize a restored system for its new disks: rewrite its configs where device names "
        "changed, install GRUB on every boot disk or ESP with a boot entry for each, rebuild its initramfs "
        "(all in a chroot), and write a recovery report into its /var/log/rescue-tui/.",
    )
    p.add_argument("--target", type=Path, default=Path(DEFAULT_TARGET), help="the restored tree (mounted)")
    p.add_argument("--plan", type=Path, required=True, help="the plan the disks were rebuilt from")
    p.add_argument("--journal", type=Path, help="apply's journal, for step timings in the report")
    p.add_argument("--report-only", action="store_true", help="show what would change; write nothing")
    p.add_argument(
        "--no-bootloader",
        action="store_true",
        help="skip the chroot work (boot loader, boot entries, initramfs); rewrite files and report only",
    )
    p.add_argument("--yes", action="store_true", help="do not ask before writing (unattended)")
    p.set_defaults(handler=finalize_command)


def finalize_command(args: argparse.Namespace) -> int:
    from rescue_tui.errors import RefusedError
    from rescue_tui.finalize.finalizer import FinalizeOptions, Finalizer
    from rescue_tui.plan.codec import read_plan

    plan = read_plan(args.plan)
    options = FinalizeOptions(
        target=args.target,
        report_only=args.report_only,
        bootloader=not args.no_bootloader,
        journal=args.journal,
    )
    if not args.report_only:
        if os.geteuid() != 0:
            raise RefusedError("finalize writes into the restored system and its boot sectors: run it as root")
        if not args.yes:
            preview = Finalizer(plan, FinalizeOptions(**{**options.__dict__, "report_only": True}))
            preview.run()
            confirm(plan.hostname, preview)
    finalizer = Finalizer(plan, options, LinePrinter())
    outcome = finalizer.run()
    if args.report_only:
        print_preview(finalizer, sys.stdout)
        return ExitCode.OK
    changed = sum(1 for r in outcome.rewrites if r.changed)
    print(f"finalized {args.target}: {changed} file(s) rewritten, {len(outcome.commands)} command(s) run")
    for path in outcome.report_paths:
        print(f"report: {path}")
    return ExitCode.OK


def confirm(hostname: str, preview: Finalizer) -> None:
    """Show what will be written and ask for ``yes``; refuse without a terminal."""
    from rescue_tui.errors import RefusedError

    print_preview(preview, sys.stderr)
    if not sys.stdin.isatty():
        raise RefusedError(
            "not confirmed: no terminal to ask on; nothing was written", hint="unattended runs pass --yes"
        )
    answer = input(f"Write these changes into the restored {hostname} and its boot disks? Type yes: ").strip()
    if answer != "yes":
        raise RefusedError(f"not confirmed ({answer!r}); nothing was written")


def print_preview(finalizer: Finalizer, stream: TextIO) -> None:
    """What finalize changes (or would): a diff per file, the commands, the actions and the notes."""
    outcome = finalizer.outcome
    write = stream.write
    root = str(finalizer.target.root)
    for rewrite in outcome.rewrites:
        if not rewrite.changed:
            write(f"{rewrite.path}: unchanged\n")
            continue
        before = rewrite.before.splitlines(keepends=True)
        after = rewrite.after.splitlines(keepends=True)
        old = "/dev/null" if rewrite.created else f"a{rewrite.path}"
        for line in difflib.unified_diff(before, after, fromfile=old, tofile=f"b{rewrite.path}"):
            write(line if line.endswith("\n") else line + "\n")
        for change in rewrite.changes:
            where = f"line {change.line}" if change.line else "added"
            write(f"#   {rewrite.path} {where}: {change.why}\n")
    if outcome.planned:
        verb = "would run" if finalizer.options.report_only else "runs"
        write(f"{verb} (chroot: inside {root}):\n")
        for command in outcome.planned:
            write(f"  {command.text()}\n")
    for action in outcome.actions:
        write(f"{action}\n")
    for note in outcome.notes:
        write(f"{note.level}: {note.text()}\n")
    problems = len(outcome.problems)
    write(f"{problems} problem(s) found\n" if problems else "no problems found\n")
