"""SELinux: a restored tree on new filesystems is relabelled at its first boot.

Restore keeps labels where the backend can, but only a relabel makes sure:
``/.autorelabel`` asks the restored system to do it once (and reboot) when
SELinux is enforcing or permissive there.
"""

from __future__ import annotations

import re

CONFIG = "/etc/selinux/config"
FLAG = "/.autorelabel"

_MODE = re.compile(r"""^\s*SELINUX\s*=\s*["']?(\w+)["']?\s*(?:#.*)?$""")


def selinux_mode(config: str | None) -> str | None:
    """The ``SELINUX=`` mode of /etc/selinux/config (the last setting wins), or None."""
    mode = None
    for line in (config or "").splitlines():
        match = _MODE.match(line)
        if match:
            mode = match.group(1).lower()
    return mode


def needs_relabel(config: str | None) -> bool:
    return selinux_mode(config) in ("enforcing", "permissive")
