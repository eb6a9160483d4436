"""sshd's forced command (``ForceCommand``): the console for a login, the command for ``ssh host CMD``.

An operator who logs in gets the recovery console, as on the serial line:
when a recovery runs on another console it says so and follows it (``f``),
it never starts a second. ``ssh rescue cat /run/rescue-tui/rescue-tui.log``,
scp and rsync still work: a command given to ssh runs in a shell, as usual.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    command = os.environ.get("SSH_ORIGINAL_COMMAND")
    if command:
        os.execv("/bin/sh", ["/bin/sh", "-c", command])
    if not sys.stdin.isatty():
        print("rescue-tui: no terminal: use 'ssh -t', or give a command", file=sys.stderr)
        return 2
    os.execv(sys.executable, [sys.executable, "-m", "rescue_tui.launch"])
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
