"""``python3 -m rescue_tui.ssh``: what ``rescue-ssh.service`` runs at boot, before sshd."""

from __future__ import annotations

import sys

from rescue_tui.boot.cmdline import cmdline_text
from rescue_tui.ssh.setup import setup


def main() -> int:
    try:
        text = cmdline_text()
    except OSError:
        text = ""  # no option given: the embedded keys alone
    result = setup(text)
    fingerprints = ", ".join(f"{k.kind} {k.fingerprint}" for k in result.host_keys)
    print("; ".join([*result.lines, *([f"host keys: {fingerprints}"] if fingerprints else [])]), file=sys.stdout)
    return 0


raise SystemExit(main())
