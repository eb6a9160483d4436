"""Kernel command lines and the initramfs's device settings: the boot loader config finalize rewrites.

GRUB's generated config is made anew (``update-grub``/``grub-mkconfig``) from
``/etc/default/grub``, so that file is what to fix; BLS entries
(``/boot/loader/entries/*.conf``, RHEL and Fedora) and ``/etc/kernel/cmdline``
carry the arguments themselves; Debian's initramfs reads the hibernation
device from ``/etc/initramfs-tools/conf.d/resume``. Rules, per argument:

1. ``root=``, ``resume=`` (and ``RESUME=``) naming a changed node become
   ``UUID=`` of the filesystem or swap (fstab's rule); unknown ones are noted;
2. ``cryptdevice=SPEC:name`` (Arch) gets crypttab's rule for its SPEC;
3. ``rd.luks.uuid=``, ``rd.luks.name=``, ``rd.md.uuid=`` and ``rd.lvm.lv=``
   name identities or names that recovery keeps: they are checked, never
   changed, and a missing one is a warning (the initramfs would wait for it);
4. everything else (quotes, other variables, comments, spacing) is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rescue_tui.events import NoteLevel
from rescue_tui.finalize.crypttab import preferred_source
from rescue_tui.finalize.devices import Device, DeviceMap
from rescue_tui.finalize.edit import lines_of
from rescue_tui.finalize.fstab import preferred_spec
from rescue_tui.finalize.model import Change, Note, Rewrite

DEFAULT_GRUB = "/etc/default/grub"
KERNEL_CMDLINE = "/etc/kernel/cmdline"
BLS_DIR = "/boot/loader/entries"
DEBIAN_RESUME = "/etc/initramfs-tools/conf.d/resume"

_GRUB_VAR = re.compile(r"""^(\s*(?:export\s+)?GRUB_CMDLINE_LINUX\w*=)(["']?)(.*?)\2(\s*(?:#.*)?)$""")
_BLS_OPTIONS = re.compile(r"^(\s*options\s+)(.*?)(\s*)$")
_RESUME_VAR = re.compile(r"""^(\s*RESUME=)(["']?)(.*?)\2(\s*(?:#.*)?)$""")


def rewrite_arguments(value: str, devices: DeviceMap) -> tuple[str, list[str], list[tuple[NoteLevel, str]]]:
    """A kernel command line for the recovered devices: (new value, why per change, (level, message) notes)."""
    pieces = re.split(r"(\s+)", value)
    whys: list[str] = []
    notes: list[tuple[NoteLevel, str]] = []
    for index, token in enumerate(pieces):
        if not token or token.isspace():
            continue
        key, eq, arg = token.partition("=")
        if not eq:
            continue
        new = _argument(key, arg, devices, whys, notes)
        if new is not None:
            pieces[index] = f"{key}={new}"
    return "".join(pieces), whys, notes


def _argument(
    key: str, arg: str, devices: DeviceMap, whys: list[str], notes: list[tuple[NoteLevel, str]]
) -> str | None:
    if key in ("root", "resume"):
        return _device_argument(key, arg, devices, preferred_spec, whys, notes)
    if key == "cryptdevice":
        spec, sep, rest = arg.partition(":")
        new = _device_argument(key, spec, devices, preferred_source, whys, notes)
        return None if new is None else new + sep + rest
    if key == "rd.luks.uuid":
        uuid = arg.removeprefix("luks-")
        if devices.by_content_uuid(uuid, "luks") is None:
            notes.append(("warning", f"{key}={arg}: no LUKS container of the layout has this UUID"))
    elif key == "rd.luks.name":
        uuid = arg.partition("=")[0]
        if devices.by_content_uuid(uuid, "luks") is None:
            notes.append(("warning", f"{key}={arg}: no LUKS container of the layout has this UUID"))
    elif key == "rd.md.uuid":
        if devices.md_by_uuid(arg) is None:
            notes.append(("warning", f"{key}={arg}: no md array of the layout has this UUID"))
    elif key == "rd.lvm.lv" and devices.lookup(f"/dev/{arg}").device is None:
        notes.append(("warning", f"{key}={arg}: no such logical volume in the layout"))
    return None


def _device_argument(
    key: str,
    spec: str,
    devices: DeviceMap,
    prefer: Callable[[Device], str | None],
    whys: list[str],
    notes: list[tuple[NoteLevel, str]],
) -> str | None:
    found = devices.lookup(spec)
    if not found.is_device_spec or found.stable:
        return None
    device = found.device
    if device is None or not device.recreated or found.candidates > 1:
        notes.append(("warning", f"{key}={spec}: not a device of the recovered layout; boot may wait for it"))
        return None
    new = prefer(device)
    if new is None or new == spec:
        return None
    whys.append(f"{key}={spec}: {spec} is {device.boot_node} now; named {new}")
    return new


def _rewrite_lines(
    text: str, devices: DeviceMap, path: str, pattern: re.Pattern[str] | None, value_group: int
) -> Rewrite:
    out: list[str] = []
    changes: list[Change] = []
    notes: list[Note] = []
    for number, line, end in lines_of(text):
        match = pattern.match(line) if pattern else (None if line.lstrip().startswith("#") else _WHOLE.match(line))
        if match is None:
            out.append(line + end)
            continue
        new_value, whys, found = rewrite_arguments(match.group(value_group), devices)
        notes += [Note(message=m, level=lvl, path=path, line=number) for lvl, m in found]
        if not whys:
            out.append(line + end)
            continue
        start, stop = match.span(value_group)
        new = line[:start] + new_value + line[stop:]
        changes.append(Change(path=path, line=number, before=line, after=new, why="; ".join(whys)))
        out.append(new + end)
    return Rewrite(path=path, before=text, after="".join(out), changes=tuple(changes), notes=tuple(notes))


_WHOLE = re.compile(r"^(.*)$")


def rewrite_default_grub(text: str, devices: DeviceMap, *, path: str = DEFAULT_GRUB) -> Rewrite:
    """``GRUB_CMDLINE_LINUX*=`` values of /etc/default/grub (quotes and the rest of the file kept)."""
    return _rewrite_lines(text, devices, path, _GRUB_VAR, 3)


def rewrite_bls_entry(text: str, devices: DeviceMap, *, path: str) -> Rewrite:
    """The ``options`` line of a Boot Loader Specification entry."""
    return _rewrite_lines(text, devices, path, _BLS_OPTIONS, 2)


def rewrite_kernel_cmdline(text: str, devices: DeviceMap, *, path: str = KERNEL_CMDLINE) -> Rewrite:
    """/etc/kernel/cmdline: the whole file is one command line."""
    return _rewrite_lines(text, devices, path, None, 1)


def rewrite_resume_conf(text: str, devices: DeviceMap, *, path: str = DEBIAN_RESUME) -> Rewrite:
    """Debian's ``RESUME=`` setting: the value is a device spec, like ``resume=``."""
    out: list[str] = []
    changes: list[Change] = []
    notes: list[Note] = []
    for number, line, end in lines_of(text):
        match = _RESUME_VAR.match(line)
        if match is None or match.group(3).lower() in ("none", "auto", ""):
            out.append(line + end)
            continue
        new_value, whys, found = rewrite_arguments(f"resume={match.group(3)}", devices)
        notes += [
            Note(message=m.replace("resume=", "RESUME=", 1), level=lvl, path=path, line=number) for lvl, m in found
        ]
        if not whys:
            out.append(line + end)
            continue
        start, stop = match.span(3)
        new = line[:start] + new_value.removeprefix("resume=") + line[stop:]
        changes.append(Change(path=path, line=number, before=line, after=new, why="; ".join(whys)))
        out.append(new + end)
    return Rewrite(path=path, before=text, after="".join(out), changes=tuple(changes), notes=tuple(notes))
