"""The ``rescue-tui`` command line: a thin face over the engine.

``main`` is the one place that turns a RescueError into one line on stderr
and an exit code; ``--debug`` adds the traceback. Commands import their
stage lazily so ``rescue-tui --help`` stays fast on a slow rescue system.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from rescue_tui import __version__
from rescue_tui.errors import ExitCode, RescueError

log = logging.getLogger("rescue_tui")

Handler = Callable[[argparse.Namespace], int]


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

    layout = capture_system(hostname=args.hostname, devices=args.device or None)
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
    current = capture_system(hostname=saved.machine.hostname, devices=args.device or None)
    differences = compare_layouts(saved, current)
    if not differences:
        print(f"{args.file}: storage matches the saved layout")
        return ExitCode.OK
    print(f"{args.file}: storage drifted from the saved layout ({len(differences)} differences):")
    for line in differences:
        print(f"  {line}")
    return ExitCode.FAILED


def _layout_import_rear(args: argparse.Namespace) -> int:
    from rescue_tui.errors import LayoutError
    from rescue_tui.layout.codec import write_layout
    from rescue_tui.layout.rear_import import read_rear
    from rescue_tui.layout.validate import validate_layout

    layout = read_rear(args.file)
    problems = validate_layout(layout)
    if problems:
        lines = [f"{args.file}: imported layout is not valid: {p}" for p in problems]
        raise LayoutError(lines[0], problems=lines)
    write_layout(layout, args.output)
    excluded = len(layout.origin.excluded) if layout.origin else 0
    print(
        f"{args.output}: {len(layout.items)} items imported, {excluded} excluded components kept out", file=sys.stderr
    )
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
    p.set_defaults(handler=_layout_capture)

    p = layout_cmds.add_parser("check", help="compare the running system with a saved layout; exit 1 on drift")
    p.add_argument("file", type=Path)
    p.add_argument("--device", action="append", metavar="DEV", help="compare only this disk (repeatable)")
    p.set_defaults(handler=_layout_check)

    p = layout_cmds.add_parser("import-rear", help="convert ReaR's disklayout.conf into a layout")
    p.add_argument("file", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True)
    p.set_defaults(handler=_layout_import_rear)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the only place errors become messages and exit codes."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    handler: Handler = args.handler
    try:
        return int(handler(args))
    except RescueError as exc:
        log.debug("command failed", exc_info=True)
        if args.debug:
            traceback.print_exc()
        for line in exc.lines():
            print(f"rescue-tui: {line}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("rescue-tui: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
