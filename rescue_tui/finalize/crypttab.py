"""/etc/crypttab: the source device of each mapping, by LUKS UUID wherever it can.

Fields: ``name source [keyfile [options]]``. Rules:

1. comments and blank lines are kept;
2. a source that still finds its device (``UUID=`` of a LUKS header recovery
   kept, ``PARTUUID=``, a kept name) is kept;
3. a source naming a changed node or replaced hardware becomes ``UUID=`` of
   the LUKS header on it, else ``PARTUUID=`` (plain dm-crypt, such as swap
   encrypted with a random key, has no header and so no UUID), else the new node;
4. an unknown source is noted (a warning unless ``noauto``/``nofail``);
5. ReaR's lesson (its ``crypt`` line split over two lines by a multi-keyslot
   LUKS2 header): a line whose first field looks like the tail of another
   (``key=value``) or that has more than four fields is never guessed at, only
   reported, and every line written is exactly one entry.
"""

from __future__ import annotations

from rescue_tui.finalize.devices import Device, DeviceMap, Lookup
from rescue_tui.finalize.edit import fields, is_comment_or_blank, lines_of, replace_field
from rescue_tui.finalize.fstab import unknown_note
from rescue_tui.finalize.model import Change, Note, Rewrite

PATH = "/etc/crypttab"


def preferred_source(device: Device) -> str | None:
    """How crypttab should name the device under a mapping: LUKS UUID, else PARTUUID, else its node."""
    content = device.content
    if content is not None and content.kind == "luks" and content.uuid:
        return f"UUID={content.uuid}"
    if device.partuuid:
        return f"PARTUUID={device.partuuid}"
    return device.boot_node


def _why(found: Lookup, new: str) -> str:
    device = found.device
    assert device is not None
    what = f"{found.spec} is {device.boot_node} now" if found.how == "node" else f"{found.spec} names replaced hardware"
    if new.startswith("UUID="):
        return f"{what}; found by its LUKS UUID instead"
    if new.startswith("PARTUUID="):
        return f"{what}; no LUKS header to name (plain dm-crypt?), found by its partition UUID instead"
    return f"{what}; no identity to use, so its new node"


def rewrite_crypttab(text: str, devices: DeviceMap, *, path: str = PATH) -> Rewrite:
    """Rewrite the crypttab ``text`` for the recovered devices."""
    out: list[str] = []
    changes: list[Change] = []
    notes: list[Note] = []
    for number, line, end in lines_of(text):
        out.append(_entry(line, number, devices, path, changes, notes) + end)
    return Rewrite(path=path, before=text, after="".join(out), changes=tuple(changes), notes=tuple(notes))


def _entry(line: str, number: int, devices: DeviceMap, path: str, changes: list[Change], notes: list[Note]) -> str:
    if is_comment_or_blank(line):
        return line
    parts = fields(line)
    if "=" in parts[0] or len(parts) > 4:
        notes.append(
            Note(
                message="looks like a wrapped or damaged entry (a 'key=value' first field or more than four "
                "fields): kept as it is, check it by hand",
                level="warning",
                path=path,
                line=number,
            )
        )
        return line
    if len(parts) < 2:
        notes.append(
            Note(message=f"mapping {parts[0]!r} names no source device: kept", level="warning", path=path, line=number)
        )
        return line
    name, source = parts[0], parts[1]
    options = parts[3] if len(parts) > 3 else ""
    found = devices.lookup(source)
    if not found.is_device_spec or found.stable:
        return line
    if found.device is None or not found.device.recreated or found.candidates > 1:
        notes.append(unknown_note(found, options, path=path, line=number, what=f"mapping {name}"))
        return line
    new_source = preferred_source(found.device)
    if new_source is None or new_source == source:
        return line
    new = replace_field(line, 1, new_source)
    changes.append(Change(path=path, line=number, before=line, after=new, why=_why(found, new_source)))
    return new
