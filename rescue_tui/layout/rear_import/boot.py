"""Facts ReaR does not state: the machine and how it boots.

Why a module of its own: these are guessed once the layout is built, from
all of it rather than from any one line: the architecture from PReP
partitions and DASD disks (which the record kinds mark on the builder), the
boot firmware from the ESPs and BIOS boot partitions of the layout's graph.
"""

from __future__ import annotations

from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import Boot, Filesystem, Item, Machine, MdArray, Partition
from rescue_tui.layout.rear_import.builder import _Builder


def _boot(b: _Builder, graph: LayoutGraph) -> Boot | None:
    """Boot facts ReaR does not state, guessed from the ESP and BIOS boot partitions."""
    if b.architecture is not None:
        return None  # PReP and DASD machines boot neither by BIOS nor by UEFI
    items = tuple(graph.items.values())
    by_id = graph.items
    esps = [
        fs.device
        for fs in items
        if isinstance(fs, Filesystem) and fs.fstype == "vfat" and _is_esp(by_id, by_id.get(fs.device))
    ]
    _note_bare_esps(b, items, esps)
    if esps:
        disks = tuple(graph.disks_below(*esps))
        b.note(0, "boot firmware taken as UEFI: an EFI system partition holds a FAT filesystem")
        return Boot(firmware="uefi", disks=disks, esps=tuple(esps))
    bios = [
        p.id
        for p in items
        if isinstance(p, Partition)
        and ("bios_grub" in p.flags or ("boot" in p.flags and p.gpt_type is None))
        and "prep" not in p.flags
    ]
    if bios:
        b.note(0, "boot firmware taken as BIOS: a BIOS boot partition or an active msdos partition exists")
        return Boot(firmware="bios", disks=tuple(graph.disks_below(*bios)))
    return None


def _note_bare_esps(b: _Builder, items: tuple[Item, ...], esps: list[str]) -> None:
    """ReaR records only mounted filesystems: a second ESP (of a mirrored pair) comes without one."""
    for part in items:
        if isinstance(part, Partition) and "esp" in part.flags and part.id not in esps:
            b.note(b.line_of(part.id), f"EFI system partition {part.path} has no fs line (not mounted): made empty")


def _is_esp(by_id: dict[str, Item], device: Item | None) -> bool:
    if isinstance(device, Partition):
        return "esp" in device.flags
    if isinstance(device, MdArray):
        return all(_is_esp(by_id, by_id.get(m)) for m in device.members)
    return False


def _machine(b: _Builder, hostname: str | None, captured_at: str | None) -> Machine:
    architecture = b.architecture or "x86_64"
    if b.architecture == "ppc64le":
        b.note(0, "architecture taken as ppc64le: a PReP boot partition exists")
    elif b.architecture == "s390x":
        b.note(0, "architecture taken as s390x: DASD disks exist")
    return Machine(
        hostname=hostname or "unknown", architecture=architecture, captured_at=captured_at, captured_by="rear-import"
    )
