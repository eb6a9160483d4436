"""``rescue-tui`` with the restore commands, whether or not ``rescue_tui.cli`` wires them yet.

    python -m tests.unit.restore.cli_entry restore --backend ... --target ...

Runs ``rescue_tui.cli.main`` (the one catch site) with ``add_restore_parsers``
added to its parser when the lead has not wired it in yet.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rescue_tui import cli
from rescue_tui.restore.commands import add_restore_parsers

_original_build_parser = cli.build_parser


def build_parser() -> argparse.ArgumentParser:
    parser = _original_build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            if "restore" not in action.choices:
                add_restore_parsers(action)
            break
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    cli.build_parser = build_parser
    try:
        return cli.main(argv)
    finally:
        cli.build_parser = _original_build_parser


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
