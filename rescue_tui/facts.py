"""Facts about the machine for the first screens (the TUI's welcome, the plain boot face), from /sys and /proc.

One reader for every face (``root`` is another tree, for tests). Unknown facts
read ``?``; nothing here fails. The strings are as the firmware wrote them: a
face that must stay ASCII makes them so when it draws.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from rescue_tui.units import human_size

VIRTUAL_DISKS: Final = ("loop", "ram", "zram", "sr", "fd", "md", "dm-", "nbd")
"""Block devices that are built or emulated, not disks."""


@dataclass(frozen=True, kw_only=True)
class DiskFact:
    name: str
    size: int
    """Bytes (0 when unknown)."""
    model: str
    """The model, else the serial, else ''."""


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
    disks: tuple[DiskFact, ...] = ()
    """Real disks (not loop, md, dm...), by kernel name."""

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
    disks = []
    block = root / "sys/block"
    for entry in sorted(block.iterdir()) if block.is_dir() else []:
        if entry.name.startswith(VIRTUAL_DISKS):
            continue
        sectors = _read(entry / "size")
        model = _read(entry / "device/model") or _read(entry / "device/serial")
        disks.append(DiskFact(name=entry.name, size=int(sectors) * 512 if sectors.isdigit() else 0, model=model))
    return MachineFacts(
        vendor=_read(dmi / "sys_vendor") or "?",
        product=_read(dmi / "product_name") or "?",
        firmware="UEFI" if (root / "sys/firmware/efi").is_dir() else "BIOS",
        cpus=cpus or os.cpu_count() or 1,
        memory=memory,
        kernel=_read(root / "proc/sys/kernel/osrelease") or (os.uname().release if root == Path("/") else "?"),
        consoles=tuple(_read(root / "sys/class/tty/console/active").split()),
        disks=tuple(disks),
    )
