"""Do the identities finalize relies on exist on the devices now?

fstab, crypttab and mdadm.conf keep naming filesystems, swap areas and LUKS
headers by UUID because apply sets them. This checks that it did, from
``blkid -o export`` over every device, so a missed fix-up is a warning in
the report instead of a system that stops at boot.
"""

from __future__ import annotations

from rescue_tui.finalize.devices import DeviceMap
from rescue_tui.finalize.model import Note


def parse_blkid_export(text: str) -> list[dict[str, str]]:
    """``blkid -o export`` output: one dict per device (blank-line separated ``KEY=value`` blocks)."""
    out: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                out.append(current)
            current = {}
            continue
        key, _, value = line.partition("=")
        current[key.strip()] = value.strip()
    if current:
        out.append(current)
    return out


def missing_identities(devices: DeviceMap, found: list[dict[str, str]]) -> list[Note]:
    """A warning for each recreated filesystem, swap or LUKS UUID of the layout that no device carries now."""
    present = {d.get("UUID", "").lower() for d in found if d.get("UUID")}
    notes = []
    for device in devices.devices.values():
        content = device.content
        if not device.recreated or content is None or not content.uuid:
            continue
        if content.uuid.lower() not in present:
            notes.append(
                Note(
                    message=f"no device carries UUID {content.uuid} ({content.kind} {content.item} on "
                    f"{device.node or device.names[0]}) now: references to it will not be found at boot",
                    level="warning",
                )
            )
    return notes
