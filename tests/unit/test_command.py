"""The line of a tool's error output an operator is shown: the tool's own reason, not the advice after it."""

from __future__ import annotations

import pytest

from rescue_tui.command import last_reason


@pytest.mark.parametrize(
    ("stderr", "reason"),
    [
        ("mount error(13): Permission denied\nRefer to the mount.cifs(8) manual page (e.g. man mount.cifs) and kernel"
         " log messages (dmesg)\n", "mount error(13): Permission denied"),
        ("curl: (60) SSL certificate problem: unable to get local issuer certificate\nMore details here: https://x\n",
         "curl: (60) SSL certificate problem: unable to get local issuer certificate"),
        ("Fatal: wrong password or no key found\nIs there a repository at the following location?\ns3:x\n",
         "Fatal: wrong password or no key found"),
        ("mount.nfs: Connection refused\n\n", "mount.nfs: Connection refused"),
        ("", ""),
    ],
)  # fmt: skip
def test_the_tools_own_reason_line_comes_before_its_advice(stderr: str, reason: str) -> None:
    assert last_reason(stderr.splitlines()) == reason
