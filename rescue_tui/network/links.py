"""The network interfaces present in the rescue system, from sysfs (read-only, no tool run)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ARPHRD_ETHER = "1"
SYS_NET = Path("/sys/class/net")


@dataclass(frozen=True)
class Link:
    """One interface the kernel shows."""

    name: str
    mac: str


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""


def present_links(sys_net: Path = SYS_NET) -> list[Link]:
    """The wired ethernet devices present (not wireless, not links software made), sorted by name."""
    links = []
    for entry in sorted(sys_net.iterdir()) if sys_net.is_dir() else []:
        if _read(entry / "type") != ARPHRD_ETHER or (entry / "wireless").exists() or not (entry / "device").exists():
            continue
        links.append(Link(name=entry.name, mac=_read(entry / "address").lower()))
    return links
