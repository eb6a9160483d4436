"""The operator's say-so before the disks are wiped, and the secrets a recovery reads from files.

``rescue-tui apply`` and ``rescue-tui recover`` ask the same way: the disks
and what they hold now, then the layout's host name typed back. With no
terminal to ask on, the answer is no (unattended runs pass ``--yes``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from rescue_tui.apply.executor import Prepared
from rescue_tui.errors import BadInputError, RefusedError
from rescue_tui.text import hostname_problem
from rescue_tui.units import human_size


def read_secret(path: Path | None) -> str | None:
    """A passphrase from a file (its first line), never from the command line."""
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
    except (OSError, IndexError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read the passphrase file") from exc


def confirm_wipe(prepared: Prepared) -> None:
    """The operator types the plan's host name, or RefusedError (nothing written)."""
    plan = prepared.plan
    print(f"This destroys everything on these disks to rebuild {plan.hostname}:", file=sys.stderr)
    for disk in plan.disks:
        found = prepared.inventory.find(disk.path)
        holds = ", ".join(found.signatures) if found and found.signatures else "no known signatures"
        print(f"  {disk.path}  {human_size(disk.size)}  {disk.serial or ''}  (now holds: {holds})", file=sys.stderr)
    if not sys.stdin.isatty():
        raise RefusedError("not confirmed: no terminal to ask on", hint="unattended runs pass --yes")
    if problem := hostname_problem(plan.hostname):  # an empty name would be confirmed by a bare Enter
        raise RefusedError(f"the plan's $.hostname: {problem}; nothing was written")
    answer = input(f"Type the host name ({plan.hostname}) to go on: ").strip()
    if answer != plan.hostname:
        raise RefusedError(f"not confirmed: {answer!r} is not {plan.hostname!r}; nothing was written")
