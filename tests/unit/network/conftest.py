from __future__ import annotations

from pathlib import Path

import pytest


def make_link(sys_net: Path, name: str, mac: str, *, physical: bool = True, kind: str = "1") -> None:
    """One interface as sysfs shows it: what ``present_links`` reads."""
    entry = sys_net / name
    entry.mkdir(parents=True)
    (entry / "type").write_text(kind + "\n")
    (entry / "address").write_text(mac + "\n")
    if physical:
        (entry / "device").mkdir()


@pytest.fixture
def sys_net(tmp_path: Path) -> Path:
    """Two NICs of a replaced board (one kept its MAC), a bridge software made, and loopback."""
    root = tmp_path / "sys" / "class" / "net"
    make_link(root, "enp1s0", "52:54:00:AA:00:01")
    make_link(root, "enp2s0", "52:54:00:bb:00:09")
    make_link(root, "eno3", "52:54:00:bb:00:0a")
    make_link(root, "docker0", "02:42:00:00:00:01", physical=False)
    make_link(root, "lo", "00:00:00:00:00:00", physical=False, kind="772")
    return root
