"""``rescue-tui tui``: the operator console, registered into the CLI's command tree.

``add_tui_parser`` is all ``cli.py`` needs. The handler prepares the console
(size, glyphs, colours, escape delay) *before* importing Textual, which reads
its environment once at import; errors before the screen starts are
RescueErrors, which ``cli.main`` prints as one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rescue_tui.errors import BadInputError, ConsoleError, ExitCode, RescueError
from rescue_tui.logs import log_path
from rescue_tui.text import printable

if TYPE_CHECKING:
    from rescue_tui.tui.session import TuiOptions


def add_tui_parser(subparsers: Any) -> None:
    """Register ``tui`` on the subparsers of ``rescue-tui`` (what ``add_subparsers`` returned)."""
    p = subparsers.add_parser(
        "tui",
        help="the operator console: layout, mapping, plan, restore backend, apply, restore, finalize "
        "(keyboard only, 80x24, serial-safe)",
        description="The operator console. Recover rebuilds the disks after a typed confirmation, restores "
        "the backup and finalizes the restored system; --dry-run writes nothing and hides the recover choice.",
    )
    p.add_argument("--dry-run", action="store_true", help="walk to the plan; write nothing (no recover choice)")
    p.add_argument("--layout", metavar="FILE|URL", help="a saved layout to offer first (https://, nfs://: fetched)")
    p.add_argument("--ca-file", type=Path, metavar="FILE", help="a CA (PEM) to trust for a layout fetched over https")
    p.add_argument(
        "--targets", default="live", metavar="live|INVENTORY.json",
        help="the disks present: live (udev, the default) or a simulated inventory file",
    )  # fmt: skip
    p.add_argument("--target-root", type=Path, default=Path("/mnt/target"), help="where the new filesystems go")
    p.add_argument("--journal-dir", type=Path, default=Path("/run/rescue-tui"), help="where apply keeps its journal")
    p.add_argument("--no-bootloader", action="store_true",
                   help="finalize rewrites files and reports only (no boot loader, no initramfs)")  # fmt: skip
    glyphs = p.add_mutually_exclusive_group()
    glyphs.add_argument("--ascii", dest="glyphs", action="store_const", const="ascii",
                        help="ASCII-only output (the default on serial and TERM=linux/vt100)")  # fmt: skip
    glyphs.add_argument("--unicode", dest="glyphs", action="store_const", const="unicode",
                        help="Unicode borders and tree lines (the default elsewhere)")  # fmt: skip
    p.set_defaults(handler=run_tui, glyphs="auto")


def run_tui(args: argparse.Namespace) -> int:
    """Check the arguments, prepare the console, run the app; its exit code."""
    if args.targets != "live":
        from rescue_tui.inventory.simulated import read_inventory

        read_inventory(args.targets)  # a bad file is one line on stderr, before any screen
    from rescue_tui.remote.fetch import parse_url

    layout_url = args.layout if args.layout is not None and "://" in args.layout else None
    layout = Path(args.layout) if args.layout is not None and layout_url is None else None
    if layout_url is not None:
        parse_url(layout_url)  # a bad URL is one line before any screen; fetching waits for the layout screen
    if layout is not None and not layout.is_file():
        raise BadInputError(f"{layout}: no such file")
    if not (sys.stdin.isatty() and sys.__stderr__ is not None and sys.__stderr__.isatty()):
        raise RescueError("tui needs a terminal on stdin and stderr (Textual draws on stderr: never redirect it)")

    from rescue_tui.console import prepare_console

    console = prepare_console(args.glyphs)
    from rescue_tui.tui.engine import checkout_examples
    from rescue_tui.tui.session import TuiOptions

    return run_console(
        TuiOptions(
            dry_run=args.dry_run,
            layout=layout,
            layout_url=layout_url,
            ca_file=args.ca_file,
            targets=args.targets,
            glyphs=args.glyphs,
            console=console,
            examples_dir=checkout_examples(),
            target_root=args.target_root,
            journal_dir=args.journal_dir,
            bootloader=not args.no_bootloader,
        )
    )


def run_console(options: TuiOptions) -> int:
    """Run the console on this terminal (prepared already: ``options.console``); its exit code.

    Textual is imported here, after ``prepare_console`` set its environment. An
    unexpected error inside the app ends it with a ConsoleError (one line; the
    traceback is in the log), never with a traceback on the console.
    """
    from rescue_tui.tui.app import RescueApp

    app = RescueApp(options)
    console = options.console
    size = (console.cols, console.rows) if console.size_fixed else None
    result = app.run(size=size, mouse=False)
    if app.crash is not None:
        where = log_path()
        raise ConsoleError(
            f"the console stopped on an internal error: {type(app.crash).__name__}: {printable(str(app.crash))}",
            hint=f"the traceback is in {where}" if where else "run with RESCUE_TUI_LOG=FILE to keep the traceback",
        )
    if app.return_code not in (None, 0):
        return int(app.return_code or ExitCode.FAILED)
    return int(result or 0) if isinstance(result, int) else int(ExitCode.OK)
