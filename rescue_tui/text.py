"""Text from files and devices, made safe to show on a terminal.

A layout, a plan, a disk's model string or an archive's member names are data
someone else wrote: a control character in them (ESC, CR, a bell) must never
reach the operator's terminal raw, where it could redraw the screen, hide a
line or fake a prompt. Every face shows such text through :func:`printable`.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every control character (C0, DEL, C1) written as a visible escape, such as ``\\x1b``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_LABEL = r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")
"""A host name: dot-separated labels of 1-63 letters, digits, '-' (not at either end) and '_'; 253 at most."""


def hostname_problem(name: object) -> str | None:
    """Why ``name`` cannot be a host name the operator types to confirm a wipe (None when it can)."""
    if not isinstance(name, str) or not HOSTNAME.fullmatch(name):
        shown = printable(repr(name))[:80]
        return f"{shown} is not a host name (letters, digits, '-', '_' and dots; the operator types it to confirm)"
    return None
