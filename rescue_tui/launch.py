"""What the console units run: the recovery console, or the plain screen when it cannot run.

systemd starts ``python3 -m rescue_tui.launch --console ttyS0`` (and tty1) in
place of a login prompt, and again whenever it exits. A console on the night
of a recovery is never dead and never a loop of tracebacks: when the Textual
console cannot start (it fails to import, the terminal is smaller than 80x24)
or stops on an unexpected error, the plain screen of ``rescue_tui.boot`` takes
the terminal and says why in one line, with its keys (validate, shell,
reboot); the traceback goes to the log. ``rescue.face=plain`` asks for the
plain screen directly. With ``rescue.unattended`` the console first runs or
follows the unattended recovery (``rescue_tui.boot.unattended``), and comes
here when an operator presses Enter after it stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rescue_tui import logs
from rescue_tui.boot.cmdline import BootOptions, read_cmdline
from rescue_tui.boot.entry import configure_parser, notify_ready, run_plain
from rescue_tui.console import MIN_COLS, MIN_ROWS, prepare_console
from rescue_tui.errors import ConsoleError, RescueError
from rescue_tui.text import printable

log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the recovery console on this terminal; the plain screen when it cannot run."""
    parser = argparse.ArgumentParser(prog="python3 -m rescue_tui.launch", description=__doc__.splitlines()[0])
    configure_parser(parser)
    args = parser.parse_args(argv)
    logs.configure(screen=False)
    os.environ.setdefault("SHELL", "/bin/bash")
    options = read_cmdline(args.cmdline)
    if options.unattended:
        options = unattended_first(args, options)
    reason = None
    if options.face == "tui":
        try:
            return run_recovery_console(args, options)
        except KeyboardInterrupt:
            return 130
        except RescueError as exc:
            reason = exc.message + (f" ({exc.hint})" if exc.hint else "")
        except Exception as exc:  # the console must never be left dead: anything unforeseen falls back
            log.exception("the recovery console could not start")
            reason = f"it could not start: {type(exc).__name__}: {printable(str(exc))}"
    if reason:
        log.error("plain screen on %s: %s", args.console or "this console", reason)
    try:
        return run_plain(args, reason)
    except KeyboardInterrupt:
        return 130


def unattended_first(args: argparse.Namespace, options: BootOptions) -> BootOptions:
    """Run (or follow) the unattended recovery on this console, then wait for an operator.

    Returns the options the console goes on with: the outcome's lines shown as notices.
    """
    from rescue_tui.boot.unattended import run_unattended, wait_for_operator

    notify_ready()  # the unit waits for READY=1; the recovery takes longer than its start timeout
    try:
        outcome = run_unattended(options, sys.stdout, embedded_dir=args.layouts)
    except Exception as exc:  # the console goes on to an operator whatever happened
        log.exception("unattended recovery")
        notices: tuple[str, ...] = (f"unattended recovery: {type(exc).__name__}: {printable(str(exc))}",)
    else:
        notices = tuple(line.strip() for line in outcome.lines[:3])
    with contextlib.suppress(OSError):
        wait_for_operator(sys.stdout, sys.stdin)
    return dataclasses.replace(options, problems=(*options.problems, *notices))


def run_recovery_console(args: argparse.Namespace, options: BootOptions) -> int:
    """The Textual console in recovery mode, with the embedded layouts; ConsoleError when it cannot run."""
    console = prepare_console(options.console, fd=2, name=args.console)
    if not (os.isatty(0) and os.isatty(2)):
        raise ConsoleError("there is no terminal on this console's input and output")
    if console.cols < MIN_COLS or console.rows < MIN_ROWS:
        raise ConsoleError(
            f"the terminal is {console.cols}x{console.rows}; the recovery console needs {MIN_COLS}x{MIN_ROWS}"
        )
    try:
        from rescue_tui.tui.command import run_console
        from rescue_tui.tui.session import TuiOptions

        layout = Path(options.layout) if options.layout and not options.layout_is_url else None
        tui = TuiOptions(
            dry_run=options.dryrun,
            layout=layout if layout is not None and layout.is_file() else None,
            layout_url=options.layout if options.layout_is_url else None,
            ca_file=options.ca_file,
            credentials_file=options.credentials_file,
            targets="live",
            glyphs=options.console,
            console=console,
            embedded_dir=args.layouts,
            notices=options.problems,
            on_first_frame=notify_ready,
        )
        return run_console(tui)
    except ImportError as exc:
        log.exception("the recovery console cannot be loaded")
        raise ConsoleError(f"it cannot be loaded: {printable(str(exc))}") from exc


if __name__ == "__main__":
    sys.exit(main())
