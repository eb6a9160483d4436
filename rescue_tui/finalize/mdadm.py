"""mdadm.conf: one ARRAY line per recovered array, found by its UUID, named as before.

Apply keeps each array's UUID and superblock name, so an ARRAY line that
names them still assembles the array. Rules:

1. comments, blank lines and other keywords (MAILADDR, HOMEHOST, CREATE, ...) are kept;
2. an ARRAY line is matched to a layout array by ``UUID=`` (any separators),
   else by its device name, ``name=`` or ``super-minor=``;
3. a matched line gets the layout's UUID (added when missing) and superblock
   name (``name=`` set to it, or dropped when the layout has none: the new
   superblock's name would not match); its ``devices=`` list is dropped,
   since member nodes change and the UUID is enough;
4. an ARRAY line the layout does not know is kept and noted;
5. an array of the layout without an ARRAY line is added at the end;
6. a ``DEVICE`` line naming member nodes that changed names the new ones.

A changed ARRAY line is written on one line (continuation lines joined).
mdadm reads keywords case-insensitively and abbreviated to three letters.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from rescue_tui.finalize.devices import Device, DeviceMap
from rescue_tui.finalize.edit import lines_of
from rescue_tui.finalize.model import Change, Note, Rewrite

PATHS = ("/etc/mdadm/mdadm.conf", "/etc/mdadm.conf")
"""Debian and Ubuntu; RHEL, Fedora and SUSE."""
ADDED_HEADER = "# arrays added by rescue-tui finalize"


def keyword(word: str, name: str) -> bool:
    """mdadm's keyword match: case-insensitive, abbreviated to at least three letters."""
    return len(word) >= 3 and name.startswith(word.upper())


@dataclass
class _Logical:
    """One logical line: a first line and its continuation lines (those starting with blanks)."""

    number: int
    lines: list[str]
    ends: list[str]

    @property
    def words(self) -> list[str]:
        return " ".join(self.lines).split()

    def text(self) -> str:
        return "".join(line + end for line, end in zip(self.lines, self.ends, strict=True))


def _logical_lines(text: str) -> list[_Logical]:
    out: list[_Logical] = []
    for number, line, end in lines_of(text):
        continues = line[:1] in (" ", "\t") and line.strip() and not line.strip().startswith("#")
        if continues and out and out[-1].words and not out[-1].lines[0].lstrip().startswith("#"):
            out[-1].lines.append(line)
            out[-1].ends.append(end)
        else:
            out.append(_Logical(number, [line], [end]))
    return out


def array_line(device: Device) -> str:
    """An ARRAY line for a layout array, as ``mdadm --detail --brief`` writes one."""
    words = ["ARRAY", device.names[0]]
    if device.md_metadata:
        words.append(f"metadata={device.md_metadata}")
    if device.md_uuid:
        words.append(f"UUID={device.md_uuid}")
    if device.md_name:
        words.append(f"name={device.md_name}")
    return " ".join(words)


def rewrite_mdadm_conf(text: str, devices: DeviceMap, *, path: str = PATHS[0]) -> Rewrite:
    """Rewrite (or, from ``''``, create) mdadm.conf for the recovered arrays."""
    arrays = [d for d in devices.of_type("md_array") if d.recreated]
    matched: set[str] = set()
    out: list[str] = []
    changes: list[Change] = []
    notes: list[Note] = []
    for logical in _logical_lines(text):
        words = logical.words
        if not words or words[0].startswith("#"):
            out.append(logical.text())
        elif keyword(words[0], "ARRAY"):
            out.append(_array(logical, devices, arrays, matched, path, changes, notes))
        elif keyword(words[0], "DEVICE"):
            out.append(_device_line(logical, devices, path, changes, notes))
        else:
            out.append(logical.text())
    missing = [d for d in arrays if d.id not in matched]
    body = "".join(out)
    if missing:
        if body and not body.endswith("\n"):
            body += "\n"
        added = [ADDED_HEADER] + [array_line(d) for d in missing]
        body += "\n".join(added) + "\n"
        for device, line in zip(missing, added[1:], strict=True):
            changes.append(
                Change(
                    path=path,
                    line=0,
                    before="",
                    after=line,
                    why=f"array {device.names[0]} of the layout had no ARRAY line",
                )
            )
    _check_device_lines(body, devices, path, notes)
    return Rewrite(path=path, before=text, after=body, changes=tuple(changes), notes=tuple(notes), created=not text)


def _tags(words: list[str]) -> tuple[str | None, list[tuple[str, str]]]:
    """(device name or None, [(key, value)...]) of an ARRAY line's words after the keyword."""
    rest = words[1:]
    devname = None
    if rest and "=" not in rest[0]:
        devname, rest = rest[0], rest[1:]
    pairs = []
    for word in rest:
        key, _, value = word.partition("=")
        pairs.append((key, value))
    return devname, pairs


def _value(pairs: list[tuple[str, str]], key: str) -> str | None:
    return next((v for k, v in pairs if k.lower() == key), None)


def _match(
    devname: str | None, pairs: list[tuple[str, str]], devices: DeviceMap, arrays: list[Device]
) -> Device | None:
    uuid = _value(pairs, "uuid")
    if uuid:
        return devices.md_by_uuid(uuid)
    name = _value(pairs, "name")
    minor = _value(pairs, "super-minor")
    for device in arrays:
        if devname and devname in device.names:
            return device
        if name and device.md_name and name in (device.md_name, device.md_name.split(":")[-1]):
            return device
        if minor and f"/dev/md{minor}" in device.names:
            return device
    return None


def _array(
    logical: _Logical,
    devices: DeviceMap,
    arrays: list[Device],
    matched: set[str],
    path: str,
    changes: list[Change],
    notes: list[Note],
) -> str:
    words = logical.words
    devname, pairs = _tags(words)
    if devname == "<ignore>" or _value(pairs, "container") or _value(pairs, "member"):
        return logical.text()  # containers (IMSM, DDF) are not part of a layout
    device = _match(devname, pairs, devices, arrays)
    if device is None or not device.recreated:
        uuid = _value(pairs, "uuid")
        what = f"UUID={uuid}" if uuid else (devname or " ".join(words[1:]))
        notes.append(
            Note(
                message=f"array {what} is not in the layout: kept; mdadm looks for it at every boot",
                level="warning",
                path=path,
                line=logical.number,
            )
        )
        return logical.text()
    matched.add(device.id)
    why: list[str] = []
    new_pairs: list[tuple[str, str]] = []
    has_uuid = False
    for key, value in pairs:
        low = key.lower()
        if low == "devices":
            why.append("dropped the devices= list (member nodes change; the UUID finds the array)")
            continue
        if low == "uuid":
            has_uuid = True
        if low == "name":
            if device.md_name is None:
                why.append(f"dropped name={value} (recovery does not keep this array's name)")
                continue
            if value != device.md_name:
                why.append(f"name={value} is {device.md_name} in the layout")
                value = device.md_name
        new_pairs.append((key, value))
    if not has_uuid and device.md_uuid:
        new_pairs.append(("UUID", device.md_uuid))
        why.append("added the array's UUID")
    if devname is None:
        devname = device.names[0]
        why.append(f"added the device name {devname}")
    if not why:
        return logical.text()
    new = " ".join([words[0], devname, *(f"{k}={v}" for k, v in new_pairs)])
    changes.append(
        Change(path=path, line=logical.number, before="\n".join(logical.lines), after=new, why="; ".join(why))
    )
    return new + (logical.ends[-1] or "\n")


_NODE = re.compile(r"^/dev/\S+$")


def _device_line(logical: _Logical, devices: DeviceMap, path: str, changes: list[Change], notes: list[Note]) -> str:
    words = logical.words
    new_words = [words[0]]
    why = []
    for word in words[1:]:
        found = devices.lookup(word) if _NODE.match(word) and not any(c in word for c in "*?[") else None
        if found and found.device is not None and found.device.renamed and found.device.boot_node:
            new_words.append(found.device.boot_node)
            why.append(f"{word} is {found.device.boot_node} now")
        else:
            new_words.append(word)
    if not why:
        return logical.text()
    new = " ".join(new_words)
    changes.append(
        Change(path=path, line=logical.number, before="\n".join(logical.lines), after=new, why="; ".join(why))
    )
    return new + (logical.ends[-1] or "\n")


def _check_device_lines(text: str, devices: DeviceMap, path: str, notes: list[Note]) -> None:
    """DEVICE lines limit where mdadm looks: every member of every array must still be in reach."""
    patterns: list[str] = []
    for logical in _logical_lines(text):
        words = logical.words
        if words and keyword(words[0], "DEVICE"):
            patterns += words[1:]
    if not patterns or any(p.lower() in ("partitions", "containers") for p in patterns):
        return
    members = [d for d in devices.devices.values() if d.boot_node and d.member_of]
    for member in members:
        node = member.boot_node or ""
        if not any(fnmatch.fnmatch(node, p) for p in patterns):
            notes.append(
                Note(
                    message=f"DEVICE lines do not reach {node}, a member of an array: it will not "
                    "assemble; add 'DEVICE partitions'",
                    level="error",
                    path=path,
                )
            )
