"""Facts about the machine for the welcome screen, read from /sys and /proc (under ``root`` for tests).

Unknown facts read ``?``; nothing here fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rescue_tui.units import human_size


@dataclass(frozen=True, kw_only=True)
class MachineFacts:
    vendor: str
    product: str
    firmware: str
    """'UEFI' or 'BIOS'."""
    cpus: int
    memory: int
    """Bytes of RAM (0 when unknown)."""
    kernel: str
    consoles: tuple[str, ...]
    """The kernel's active consoles (tty1, ttyS0)."""
    network: tuple[str, ...]
    """'eth0 up', one per interface but lo."""

    def summary(self) -> str:
        model = " ".join(x for x in (self.vendor, self.product) if x != "?") or "unknown machine"
        ram = human_size(self.memory) if self.memory else "? RAM"
        return f"{model}, {self.firmware}, {self.cpus} CPUs, {ram} RAM"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def read_facts(root: Path = Path("/")) -> MachineFacts:
    """What the welcome screen says about the machine."""
    dmi = root / "sys/class/dmi/id"
    memory = 0
    for line in _read(root / "proc/meminfo").splitlines():
        parts = line.split()
        if parts[:1] == ["MemTotal:"] and len(parts) > 1 and parts[1].isdigit():
            memory = int(parts[1]) * 1024
    cpus = sum(1 for line in _read(root / "proc/cpuinfo").splitlines() if line.startswith("processor"))
    net_dir = root / "sys/class/net"
    network = tuple(
        f"{entry.name} {_read(entry / 'operstate') or '?'}"
        for entry in (sorted(net_dir.iterdir()) if net_dir.is_dir() else [])
        if entry.name != "lo"
    )
    return MachineFacts(
        vendor=_read(dmi / "sys_vendor") or "?",
        product=_read(dmi / "product_name") or "?",
        firmware="UEFI" if (root / "sys/firmware/efi").is_dir() else "BIOS",
        cpus=cpus or 1,
        memory=memory,
        kernel=_read(root / "proc/sys/kernel/osrelease") or "?",
        consoles=tuple(_read(root / "sys/class/tty/console/active").split()),
        network=network,
    )
