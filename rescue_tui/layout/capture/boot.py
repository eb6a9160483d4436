"""Boot facts: firmware, EFI system partitions, and the disks that carry boot code."""

from __future__ import annotations

from rescue_tui.layout.capture.partitions import ESP_GUID
from rescue_tui.layout.capture.state import BuildState, natural_key
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import Boot, Filesystem, Firmware, Layout, MdArray, Mount, Partition


def boot_facts(b: BuildState, layout: Layout) -> Boot:
    """Firmware from the running system; ESPs are vfat on an ESP-typed partition (or a RAID1 of them);
    boot disks hold /boot (else /) and, on UEFI, the ESPs."""
    graph = LayoutGraph(layout)
    firmware: Firmware = "uefi" if b.probes.system.get("firmware") == "uefi" else "bios"
    esps: list[str] = []
    for item in layout.items:
        if isinstance(item, Partition | MdArray) and _is_esp(graph, item):
            esps.append(item.id)
    mounts = {m.path: m for m in layout.of_type(Mount)}
    anchor = mounts.get("/boot") or mounts.get("/")
    disks = set(graph.disks_below(anchor.id)) if anchor else set()
    if firmware == "uefi":
        disks |= set(graph.disks_below(*esps))
    if disks and not b.probes.system.get("grub", True):
        b.notes.append("no grub.cfg under /boot: boot loader assumed to be grub2")
    return Boot(firmware=firmware, disks=tuple(sorted(disks, key=natural_key)), esps=tuple(esps))


def _is_esp(graph: LayoutGraph, item: Partition | MdArray) -> bool:
    if not any(isinstance(c, Filesystem) and c.fstype == "vfat" for c in graph.children(item.id)):
        return False
    if isinstance(item, Partition):
        return item.gpt_type == ESP_GUID or item.mbr_type == "ef" or "esp" in item.flags
    members = [graph.items.get(m) for m in item.members]
    return bool(members) and all(
        isinstance(m, Partition) and (m.gpt_type == ESP_GUID or m.mbr_type == "ef" or "esp" in m.flags) for m in members
    )
