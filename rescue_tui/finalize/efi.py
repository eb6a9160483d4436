"""UEFI boot entries: reading ``efibootmgr -v`` and deciding which entries to create and in what order.

An entry is identified by the ESP partition's GUID (its PARTUUID, which
recovery keeps) and the loader path: an existing entry with both is reused,
so a second finalize creates no duplicates. One entry per ESP member disk:
an ESP on RAID1 gets one on each member (ReaR #3459, #2595), two separate
ESPs one each (ReaR PR #3471). Ours go first in BootOrder, in ESP order;
the others keep their order behind them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ENTRY = re.compile(r"^Boot([0-9A-Fa-f]{4})(\*?)\s+(.*)$")
_HD = re.compile(r"HD\((\d+),GPT,([0-9A-Fa-f-]{36})", re.IGNORECASE)
_FILE = re.compile(r"File\(([^)]*)\)|\)/(\\[^\s)]*)")


@dataclass(frozen=True)
class BootEntry:
    number: str
    """Four hex digits, such as '0003'."""
    label: str
    active: bool
    partuuid: str | None
    loader: str | None
    """Such as '\\EFI\\debian\\shimx64.efi'."""


@dataclass(frozen=True)
class BootVars:
    order: tuple[str, ...]
    entries: tuple[BootEntry, ...]


def parse_efibootmgr(text: str) -> BootVars:
    """``efibootmgr -v`` output (versions 17 and 18) as boot order and entries."""
    order: tuple[str, ...] = ()
    entries = []
    for line in text.splitlines():
        if line.startswith("BootOrder:"):
            order = tuple(n.strip().upper() for n in line.split(":", 1)[1].split(",") if n.strip())
            continue
        match = _ENTRY.match(line)
        if not match:
            continue
        number, star, rest = match.groups()
        label, _, path = rest.partition("\t")
        if not path:
            hd = rest.find("HD(")
            label, path = (rest[:hd], rest[hd:]) if hd >= 0 else (rest, "")
        hd_match = _HD.search(path)
        file_match = _FILE.search(path)
        loader = (file_match.group(1) or file_match.group(2)) if file_match else None
        entries.append(
            BootEntry(
                number=number.upper(),
                label=label.strip(),
                active=bool(star),
                partuuid=hd_match.group(2).lower() if hd_match else None,
                loader=loader,
            )
        )
    return BootVars(order=order, entries=tuple(entries))


def find_entry(boot: BootVars, *, partuuid: str | None, loader: str, label: str) -> BootEntry | None:
    """An existing entry for this ESP partition and loader (any label when the partition GUID is known)."""
    for entry in boot.entries:
        same_loader = (entry.loader or "").lower() == loader.lower()
        if partuuid and entry.partuuid == partuuid.lower() and same_loader:
            return entry
        if not partuuid and entry.label == label and same_loader:
            return entry
    return None


def boot_order(current: tuple[str, ...], ours: list[str]) -> tuple[str, ...]:
    """Our entries first (in the order given), then the rest as they were."""
    first = list(dict.fromkeys(n.upper() for n in ours))
    return tuple(first + [n for n in current if n not in first])


def loader_path(bootloader_id: str, file: str) -> str:
    """The loader as the firmware names it: ``\\EFI\\<id>\\<file>``."""
    return f"\\EFI\\{bootloader_id}\\{file}"
