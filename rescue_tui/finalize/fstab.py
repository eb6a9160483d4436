"""/etc/fstab: sources that name a changed device node are rewritten, everything else is kept.

Rules, one per function below:

1. comments, blank lines, pseudo and network filesystems, bind mounts and swap
   files are kept as they are;
2. a source naming an identity the layout preserves (``UUID=``, ``LABEL=``,
   ``PARTUUID=``, ``PARTLABEL=`` or their ``/dev/disk/by-*`` links) is kept;
   so is a node whose name does not change (LVM, LUKS mappings, md arrays);
3. a source naming a disk or partition node that changed (``/dev/sda2`` is
   ``/dev/vdb2`` now), or hardware that changed (``by-id``, ``by-path``, an LVM
   ``dm-uuid``), becomes ``UUID=`` of what sits on it, else ``PARTUUID=``, else
   the new node;
4. a source the layout does not know (a disk that was not recovered) is kept
   and noted: a warning when boot would wait for it, information when the
   entry is ``noauto`` or ``nofail``.

The column layout is kept (:func:`rescue_tui.finalize.edit.replace_field`).
"""

from __future__ import annotations

from rescue_tui.finalize.devices import Device, DeviceMap, Lookup
from rescue_tui.finalize.edit import fields, is_comment_or_blank, lines_of, replace_field
from rescue_tui.finalize.model import Change, Note, Rewrite

PATH = "/etc/fstab"
REMOVABLE = ("/dev/sr", "/dev/cdrom", "/dev/dvd", "/dev/fd", "/dev/floppy")
"""Optical and floppy drives: not part of any layout, never worth a note."""


def preferred_spec(device: Device) -> str | None:
    """How fstab should name a device: the UUID of its filesystem or swap, else its PARTUUID, else its node."""
    content = device.content
    if content is not None and content.kind in ("filesystem", "swap") and content.uuid:
        return f"UUID={content.uuid}"
    if device.partuuid:
        return f"PARTUUID={device.partuuid}"
    return device.boot_node


def describe_change(found: Lookup, new: str) -> str:
    device = found.device
    assert device is not None
    if found.how == "node":
        what = f"{found.spec} is {device.boot_node} now"
    elif found.how in ("by-id", "by-path"):
        what = f"{found.spec} names hardware that was replaced"
    else:
        what = f"{found.spec} names an identity that recovery does not keep"
    if new.startswith("UUID="):
        return f"{what}; found by the UUID of its {device.content.kind if device.content else 'content'} instead"
    if new.startswith("PARTUUID="):
        return f"{what}; found by its partition UUID instead"
    return f"{what}; no identity to use, so its new node"


def unknown_note(found: Lookup, options: str, *, path: str, line: int, what: str = "filesystem") -> Note:
    """A reference the layout does not know: how much it matters depends on whether boot waits for it."""
    if found.device is not None and not found.device.recreated:
        why = f"{found.spec} is not recreated by the plan"
    elif found.candidates > 1:
        why = f"{found.spec} matches {found.candidates} devices of the layout"
    else:
        why = f"{found.spec} is not in the layout (a disk that was not recovered?)"
    opts = options.split(",")
    if "noauto" in opts or "nofail" in opts:
        return Note(message=f"{why}; the {what} is noauto/nofail, boot goes on without it", path=path, line=line)
    return Note(
        message=f"{why}: boot waits for it and may stop in emergency mode; add 'nofail' or remove the line",
        level="warning",
        path=path,
        line=line,
    )


def rewrite_fstab(text: str, devices: DeviceMap, *, path: str = PATH) -> Rewrite:
    """Rewrite the fstab ``text`` for the recovered devices; every change and doubt is listed."""
    out: list[str] = []
    changes: list[Change] = []
    notes: list[Note] = []
    for number, line, end in lines_of(text):
        new = _entry(line, number, devices, path, changes, notes)
        out.append(new + end)
    return Rewrite(path=path, before=text, after="".join(out), changes=tuple(changes), notes=tuple(notes))


def _entry(line: str, number: int, devices: DeviceMap, path: str, changes: list[Change], notes: list[Note]) -> str:
    if is_comment_or_blank(line):
        return line
    parts = fields(line)
    if len(parts) < 2:
        notes.append(
            Note(message="not an fstab entry (fewer than two fields): kept", level="warning", path=path, line=number)
        )
        return line
    source = parts[0]
    options = parts[3] if len(parts) > 3 else "defaults"
    found = devices.lookup(source)
    if not found.is_device_spec or source.startswith(REMOVABLE):
        return line
    if found.stable:
        return line
    if found.device is None or not found.device.recreated or found.candidates > 1:
        what = "swap area" if len(parts) > 2 and parts[2] == "swap" else "filesystem"
        notes.append(unknown_note(found, options, path=path, line=number, what=what))
        return line
    new_source = preferred_spec(found.device)
    if new_source is None or new_source == source:
        return line
    new = replace_field(line, 0, new_source)
    changes.append(Change(path=path, line=number, before=line, after=new, why=describe_change(found, new_source)))
    return new
