"""The ``rescue-tui`` command line: a thin face over the engine.

``main`` is the one place that turns a RescueError into one line on stderr
and an exit code; ``--debug`` adds the traceback. Commands import their
stage lazily so ``rescue-tui --help`` stays fast on a slow rescue system.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from rescue_tui import __version__, logs
from rescue_tui.boot.entry import add_boot_parser
from rescue_tui.drill.command import add_drill_parser
from rescue_tui.errors import ExitCode, RescueError
from rescue_tui.finalize.commands import add_finalize_parser
from rescue_tui.network.commands import add_network_parser
from rescue_tui.publish.command import add_publish_parser
from rescue_tui.recover.command import add_recover_parser
from rescue_tui.restore.commands import add_restore_parsers
from rescue_tui.ssh.commands import add_ssh_parser
from rescue_tui.text import printable
from rescue_tui.tui.command import add_tui_parser

log = logging.getLogger("rescue_tui")

Handler = Callable[[argparse.Namespace], int]
CROSS_CHECK_HELP = "also populate blivet and note where it sees a device otherwise than blkid (slower)"


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2, like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(ExitCode.BAD_INPUT, f"{self.prog}: {message}\n")


def _layout_validate(args: argparse.Namespace) -> int:
    from rescue_tui.layout.validate import load_valid_layout

    layout = load_valid_layout(args.file)
    items = len(layout.items)
    print(f"{args.file}: valid ({items} items, format_version {layout.format_version})")
    return ExitCode.OK


def _layout_show(args: argparse.Namespace) -> int:
    from rescue_tui.layout.show import render_tree
    from rescue_tui.layout.validate import load_valid_layout

    sys.stdout.write(render_tree(load_valid_layout(args.file)))
    return ExitCode.OK


def _layout_schema(args: argparse.Namespace) -> int:
    from rescue_tui.layout.schema import schema_text

    sys.stdout.write(schema_text())
    return ExitCode.OK


def _layout_capture(args: argparse.Namespace) -> int:
    from rescue_tui.layout.capture import capture_system
    from rescue_tui.layout.codec import dump_layout, write_layout

    layout = capture_system(hostname=args.hostname, devices=args.device or None, cross_check=args.cross_check)
    if args.output:
        write_layout(layout, args.output)
        print(f"{args.output}: {len(layout.items)} items captured", file=sys.stderr)
    else:
        sys.stdout.write(dump_layout(layout))
    return ExitCode.OK


def _layout_check(args: argparse.Namespace) -> int:
    from rescue_tui.layout.capture import capture_system
    from rescue_tui.layout.compare import compare_layouts
    from rescue_tui.layout.validate import load_valid_layout

    saved = load_valid_layout(args.file)
    current = capture_system(hostname=saved.machine.hostname, devices=args.device or None, cross_check=args.cross_check)
    differences = compare_layouts(saved, current)
    if not differences:
        print(f"{args.file}: storage matches the saved layout")
        return ExitCode.OK
    count = f"{len(differences)} difference{'s' if len(differences) != 1 else ''}"
    print(f"{args.file}: storage drifted from the saved layout ({count}):")
    for line in differences:
        print(f"  {line}")
    return ExitCode.FAILED


def _layout_import_rear(args: argparse.Namespace) -> int:
    from rescue_tui.layout.codec import write_layout
    from rescue_tui.layout.rear_import import read_rear
    from rescue_tui.layout.validate import valid_layout

    layout = read_rear(args.file)
    if args.rescue_root is not None:
        from dataclasses import replace

        from rescue_tui.layout.model import Origin
        from rescue_tui.layout.rear_import.network import read_rear_network

        network, notes = read_rear_network(args.rescue_root)
        origin = layout.origin or Origin(kind="rear-import", source=str(args.file))
        layout = replace(layout, network=network, origin=replace(origin, notes=(*origin.notes, *notes)))
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    layout = valid_layout(layout, where=f"{args.file}: imported layout is not valid")
    write_layout(layout, args.output)
    excluded = len(layout.origin.excluded) if layout.origin else 0
    print(
        f"{args.output}: {len(layout.items)} items imported, {excluded} excluded components kept out", file=sys.stderr
    )
    return ExitCode.OK


def _plan(args: argparse.Namespace) -> int:
    from rescue_tui.files import write_atomic
    from rescue_tui.inventory.source import read_targets
    from rescue_tui.mapping.propose import parse_map_options, read_mapping_file
    from rescue_tui.mapping.resize import ResizeOptions
    from rescue_tui.plan.build import PlanRequest, make_plan
    from rescue_tui.plan.codec import plan_to_json
    from rescue_tui.plan.render import render_plan

    overrides = read_mapping_file(args.mapping) if args.mapping else {}
    for source, target in parse_map_options(args.map or []).items():
        overrides[source] = target
    request = PlanRequest(
        layout_path=args.layout,
        inventory=read_targets(args.targets),
        overrides=overrides,
        resize=ResizeOptions(resize_swap=args.resize_swap, fixed=frozenset(args.fixed or ()), grow=not args.no_grow),
        target_root=args.target_root,
    )
    plan = make_plan(request)
    text = plan_to_json(plan)
    if args.output:
        write_atomic(args.output, text)
    sys.stdout.write(text if args.format == "json" else render_plan(plan, commands=args.commands))
    return ExitCode.OK


def _apply(args: argparse.Namespace) -> int:
    from rescue_tui.apply.executor import ApplyOptions, execute, prepare
    from rescue_tui.events import LinePrinter
    from rescue_tui.plan.codec import read_plan
    from rescue_tui.recover.confirm import confirm_wipe, read_secret

    plan = read_plan(args.plan)
    options = ApplyOptions(
        passphrase=read_secret(args.passphrase_file),
        target_root=args.target_root,
        resume=args.resume,
        journal_dir=args.journal_dir,
        mirrors=[Path(m) for m in args.journal_copy or []],
    )
    prepared = prepare(plan, options)
    if prepared.destructive and not args.yes:
        confirm_wipe(prepared)

    journal = execute(prepared, LinePrinter())
    print(f"applied {len(plan.steps)} steps; target tree at {args.target_root}; journal {journal.path}")
    return ExitCode.OK


def _mount(args: argparse.Namespace) -> int:
    from rescue_tui.apply.mounts import mount_tree
    from rescue_tui.plan.codec import read_plan

    for line in mount_tree(read_plan(args.plan), args.target_root):
        print(f"mounted {line}")
    return ExitCode.OK


def _umount(args: argparse.Namespace) -> int:
    from rescue_tui.apply.mounts import umount_tree

    for target in umount_tree(args.target_root):
        print(f"unmounted {target}")
    return ExitCode.OK


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    parser = _Parser(prog="rescue-tui", description="Bare-metal disaster recovery: layouts, plans, restore.")
    parser.add_argument("--version", action="version", version=f"rescue-tui {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    layout = commands.add_parser("layout", help="saved storage layouts: validate, show, capture, check, import")
    layout_cmds = layout.add_subparsers(dest="layout_command", metavar="ACTION", parser_class=_Parser)
    layout_cmds.required = True

    p = layout_cmds.add_parser("validate", help="check a layout file; exit 2 with one line per problem")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=_layout_validate)

    p = layout_cmds.add_parser("show", help="print a layout as a tree")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=_layout_show)

    p = layout_cmds.add_parser("schema", help="print the layout JSON Schema")
    p.set_defaults(handler=_layout_schema)

    p = layout_cmds.add_parser("capture", help="save the running system's layout (root)")
    p.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    p.add_argument("--hostname", help="host name to record (default: this host's)")
    p.add_argument("--device", action="append", metavar="DEV", help="capture only this disk (repeatable)")
    p.add_argument("--cross-check", action="store_true", help=CROSS_CHECK_HELP)
    p.set_defaults(handler=_layout_capture)

    p = layout_cmds.add_parser("check", help="compare the running system with a saved layout; exit 1 on drift")
    p.add_argument("file", type=Path)
    p.add_argument("--device", action="append", metavar="DEV", help="compare only this disk (repeatable)")
    p.add_argument("--cross-check", action="store_true", help=CROSS_CHECK_HELP)
    p.set_defaults(handler=_layout_check)

    p = layout_cmds.add_parser("import-rear", help="convert ReaR's disklayout.conf into a layout")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--rescue-root", type=Path, metavar="DIR",
        help="a ReaR rescue system (its initrd unpacked): its network goes into the layout",
    )  # fmt: skip
    p.add_argument("-o", "--output", type=Path, required=True)
    p.set_defaults(handler=_layout_import_rear)

    p = commands.add_parser("plan", help="compute the recovery plan (dry-run: writes nothing to any disk)")
    p.add_argument("--layout", type=Path, required=True, help="the saved layout")
    p.add_argument("--targets", required=True, metavar="live|INVENTORY.json", help="the disks present now")
    p.add_argument("--map", action="append", metavar="ORIGINAL=TARGET", help="map a disk by hand (repeatable)")
    p.add_argument("--mapping", type=Path, help="a mapping file (JSON object or 'ORIGINAL TARGET' lines)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--commands", action="store_true", help="with text: show each step's shell command")
    p.add_argument("-o", "--output", type=Path, help="also save the plan as JSON here")
    p.add_argument("--resize-swap", action="store_true", help="let swap grow and shrink with the rest")
    p.add_argument("--fixed", action="append", metavar="ID", help="keep this partition or LV at its size (repeatable)")
    p.add_argument("--no-grow", action="store_true", help="leave extra space on bigger disks free")
    p.add_argument("--target-root", default="/mnt/target", help="where the restored system is mounted")
    p.set_defaults(handler=_plan)

    p = commands.add_parser("apply", help="apply a plan to the disks: DESTROYS what is on them (asks first)")
    p.add_argument("plan", type=Path, help="a plan saved with 'rescue-tui plan -o'")
    p.add_argument("--yes", action="store_true", help="do not ask for the host name (unattended)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted apply from its journal")
    p.add_argument("--passphrase-file", type=Path, help="LUKS passphrase for new containers (first line)")
    p.add_argument("--target-root", default="/mnt/target")
    p.add_argument("--journal-dir", type=Path, default=Path("/run/rescue-tui"))
    p.add_argument("--journal-copy", action="append", metavar="FILE", help="also keep the journal here (repeatable)")
    p.set_defaults(handler=_apply)

    p = commands.add_parser("mount", help="mount a plan's filesystems under the target root")
    p.add_argument("plan", type=Path)
    p.add_argument("--target-root", default="/mnt/target")
    p.set_defaults(handler=_mount)

    p = commands.add_parser("umount", help="unmount everything under the target root")
    p.add_argument("--target-root", default="/mnt/target")
    p.set_defaults(handler=_umount)

    add_boot_parser(commands)
    add_restore_parsers(commands)
    add_finalize_parser(commands)
    add_recover_parser(commands)
    add_network_parser(commands)
    add_ssh_parser(commands)
    add_tui_parser(commands)
    add_drill_parser(commands)
    add_publish_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the only place errors become messages and exit codes."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure(debug=args.debug)
    handler: Handler = args.handler
    try:
        return int(handler(args))
    except RescueError as exc:
        log.debug("command failed", exc_info=True)
        if args.debug:
            traceback.print_exc()
        for line in exc.lines():
            print(f"rescue-tui: {printable(line)}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("rescue-tui: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # the reader went away (| head): not an error of ours; keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)
