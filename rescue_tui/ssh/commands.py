"""``rescue-tui ssh-keys FILE``: check an authorized_keys file before it goes into an image, and print fingerprints."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rescue_tui.errors import BadInputError


def add_ssh_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``ssh-keys`` to the ``rescue-tui`` command tree."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "ssh-keys", help="check the keys that may log in to the rescue system (make iso SSH_KEYS=FILE)"
    )
    parser.add_argument("file", type=Path)
    parser.set_defaults(handler=_check)
    return parser


def _check(args: argparse.Namespace) -> int:
    from rescue_tui.inputs import read_text
    from rescue_tui.ssh.keys import parse_keys

    keys, problems = parse_keys(read_text(args.file, what="authorized keys"), where=str(args.file))
    if problems:
        raise BadInputError(problems[0], problems=problems)
    if not keys:
        raise BadInputError(f"{args.file}: no key in it")
    for key in keys:
        print(f"{key.kind} {key.fingerprint} {key.comment}".rstrip())
    return 0
