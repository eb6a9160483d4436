"""Mount points and swap priorities from fstab, resolved to the captured items.

fstab is what the restored system will mount, so it is the source; what
happens to be mounted right now only earns a note when fstab lacks it.
"""

from __future__ import annotations

from rescue_tui.layout.capture import parse
from rescue_tui.layout.capture.state import FS_TYPES, BuildState, to_int
from rescue_tui.layout.model import BtrfsSubvolume, Filesystem, Mount, Partition

SPEC_PREFIXES = {"UUID": "by-uuid", "LABEL": "by-label", "PARTUUID": "by-partuuid", "PARTLABEL": "by-partlabel"}


def spec_node(b: BuildState, spec: str) -> str | None:
    """The kernel name an fstab/crypttab device spec names: a captured one when several carry it."""
    found = spec_nodes(b, spec)
    return next((k for k in found if k in b.held), found[0] if found else None)


def spec_nodes(b: BuildState, spec: str) -> list[str]:
    """Every kernel name an fstab/crypttab device spec names.

    A UUID or label can be on several nodes: the partition nodes the kernel made on a whole-disk
    md member (metadata 1.0) show the array's partitions' formats again. Callers pick among them
    by what was captured, never by the order lsblk listed them in.
    """
    key, sep, value = spec.partition("=")
    if not (sep and key in SPEC_PREFIXES):
        for key_name, folder in SPEC_PREFIXES.items():
            if spec.startswith(f"/dev/disk/{folder}/"):
                key, value = key_name, spec.rsplit("/", 1)[-1].replace("\\x2f", "/")
                break
        else:
            resolved = b.resolve(spec) if spec.startswith("/dev/") else None
            return [resolved] if resolved is not None else []
    if key in ("UUID", "LABEL"):
        return [
            kname
            for kname, fmt in b.formats.items()
            if key in fmt and (fmt[key].lower() == value.lower() if key == "UUID" else fmt[key] == value)
        ]
    for part in (i for i in b.items if isinstance(i, Partition)):
        if (key == "PARTUUID" and (part.partuuid or "").lower() == value.lower()) or (
            key == "PARTLABEL" and part.name == value
        ):
            return [k for k, v in b.ids.items() if v == part.id][:1]
    return []


def _looks_like_block_device(spec: str) -> bool:
    return spec.startswith("/dev/") or spec.partition("=")[0] in SPEC_PREFIXES


def swap_priority(b: BuildState, kname: str, fstab: list[parse.FstabEntry]) -> int | None:
    """``pri=`` of the fstab swap entry naming this device."""
    for entry in fstab:
        if entry.fstype == "swap" and kname in spec_nodes(b, entry.spec):
            return to_int(parse.mount_option(entry.options, "pri"))
    return None


def add_mounts(b: BuildState, fstab: list[parse.FstabEntry]) -> None:
    """One mount per fstab block-device entry (btrfs ones on their subvolume); filesystems mounted now but
    absent from fstab are noted."""
    used_ids: set[str] = set()
    mounted_by_fstab: set[str] = set()
    for entry in fstab:
        if entry.fstype == "swap" and entry.spec.startswith("/") and not entry.spec.startswith("/dev/"):
            b.notes.append(f"fstab: swap file {entry.spec} is not kept in a layout; recreate it after restore")
            continue
        if entry.fstype == "swap" or "bind" in entry.options.split(",") or not _looks_like_block_device(entry.spec):
            continue
        kname = spec_node(b, entry.spec)
        if kname is None or kname not in b.held:
            b.notes.append(f"fstab: {entry.spec} on {entry.path} is not on a captured disk; no mount recorded")
            continue
        source = b.held[kname]
        fs = next((i for i in b.items if i.id == source), None)
        if not isinstance(fs, Filesystem):
            b.notes.append(f"fstab: {entry.spec} on {entry.path} is not a filesystem we capture")
            continue
        if fs.fstype == "btrfs":
            found = _fstab_subvolume(b, fs, entry.options)
            if found is None:
                b.notes.append(f"fstab: the subvolume mounted on {entry.path} is not in the subvolume list")
                continue
            source = found
        mount_id = f"mount-{source}"
        n = 2
        while mount_id in used_ids:
            mount_id, n = f"mount-{source}-{n}", n + 1
        used_ids.add(mount_id)
        mounted_by_fstab.add(kname)
        b.add(
            Mount(
                id=mount_id, source=source, path=entry.path, options=entry.options, dump=entry.dump, passno=entry.passno
            )
        )
    for mount in b.probes.mounts.get("filesystems", ()):
        kname = b.resolve(str(mount.get("source")))
        if kname is None or kname not in b.ids:
            continue
        if kname not in b.held and mount.get("fstype") in FS_TYPES:
            b.notes.append(
                f"{mount.get('source')} is mounted on {mount.get('target')} as {mount.get('fstype')} "
                "but its signature could not be read; no filesystem recorded"
            )
        elif kname in b.held and kname not in mounted_by_fstab and b.fstype(kname) in FS_TYPES:
            b.notes.append(f"{b.held[kname]} is mounted on {mount.get('target')} but not in fstab; no mount recorded")


def _fstab_subvolume(b: BuildState, fs: Filesystem, options: str) -> str | None:
    """What an fstab btrfs entry mounts: a subvolume's id, the filesystem's for the top level, None if unknown."""
    subs = [i for i in b.items if isinstance(i, BtrfsSubvolume) and i.filesystem == fs.id]
    path = parse.mount_option(options, "subvol")
    subvolid = to_int(parse.mount_option(options, "subvolid"))
    if path is not None and path.strip("/"):
        return next((s.id for s in subs if s.path == path.strip("/")), None)
    if path is None and subvolid not in (None, 5):
        return next((s.id for s in subs if s.subvol_id == subvolid), None)
    return fs.id
