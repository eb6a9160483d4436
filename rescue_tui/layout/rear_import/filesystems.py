"""``fs``, ``swap`` and the ``btrfs*`` lines: filesystems, mounts, btrfs subvolumes and swap.

Why together: what a device is formatted with, and where it is mounted. A
btrfs subvolume is made on its first mention, whether by an ``fs`` line's
``subvol=`` option or by a ``btrfs*subvol`` line, and each of them may add
a mount; swap is the other format a device may hold (it gives a partition
of the default type the swap type).
"""

from __future__ import annotations

from typing import get_args

from rescue_tui.layout import partition_types
from rescue_tui.layout.model import BtrfsSubvolume, Filesystem, FsType, Mount, Partition, Swap
from rescue_tui.layout.rear_import.builder import Decl, _Builder, _need, _ParseState, _skipping_decl
from rescue_tui.layout.rear_import.records import Record, _Bad, _count, _int, _key_values, _path, _short, _slug

_FS_TYPES: dict[str, FsType] = {fstype: fstype for fstype in get_args(FsType)}


def _mount_slug(mountpoint: str) -> str:
    return "root" if mountpoint.strip("/") == "" else _slug(mountpoint)


# --- filesystems, swap, btrfs --------------------------------------------------------------------


def _parse_fs(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 3)
    device = _path(rec.fields[0], "filesystem device")
    mountpoint, fstype = _mountpoint(rec.fields[1]), rec.fields[2]
    opts, wrapped_label = _fs_options(rec.fields[3:])
    kind = _FS_TYPES.get(fstype)
    if kind is None:
        return _skipping_decl(rec, [f"fs:{device}"], f"{fstype} filesystem at {mountpoint} skipped: not supported")

    def build(b: _Builder) -> None:
        fs_id = b.claim(f"fs-{_mount_slug(mountpoint)}")
        block_size, mkfs, remarks = _fs_attributes(kind, opts)
        uuid = opts.get("uuid") or None
        b.add(
            rec,
            Filesystem(
                id=fs_id,
                device=b.use(rec, device).id,
                fstype=kind,
                uuid=uuid.upper() if uuid and kind == "vfat" else uuid,
                label=opts.get("label") or None,
                block_size=block_size,
                mkfs_options=mkfs,
            ),
        )
        b.filesystems[device] = fs_id
        source = _mount_source(b, rec, fs_id, opts.get("options", ""), is_btrfs=kind == "btrfs")
        _mount(b, rec, source, mountpoint, opts.get("options", ""))
        for remark in remarks + ([f"label with blanks joined: {opts.get('label')!r}"] if wrapped_label else []):
            b.note(rec.line, f"fs {mountpoint}: {remark}")

    return Decl(rec, [_need(device, "filesystem device")], [f"fs:{device}"], build)


def _mountpoint(text: str) -> str:
    if not text.startswith("/"):
        raise _Bad(f"mount point {text!r} is not an absolute path")
    return text


def _fs_options(tokens: list[str]) -> tuple[dict[str, str], bool]:
    """key=value attributes; a bare word after ``label=`` is the rest of a label with a blank in it."""
    opts: dict[str, str] = {}
    last: str | None = None
    wrapped = False
    for token in tokens:
        key, found, value = token.partition("=")
        if found and key:
            opts[key], last = value, key
        elif last == "label":
            opts["label"] = f"{opts['label']} {token}"
            wrapped = True
        else:
            raise _Bad(f"unexpected field {token!r} (expected key=value)")
    return opts, wrapped


_FS_PLAIN_KEYS = frozenset({"uuid", "label", "options", "blocksize"})
_EXT_DEFAULTS = frozenset({("max_mounts", "-1"), ("check_interval", "0d"), ("default_mount_options", "user_xattr,acl")})
"""ext attributes that are mke2fs's defaults anyway."""


def _fs_attributes(kind: FsType, opts: dict[str, str]) -> tuple[int | None, tuple[str, ...], list[str]]:
    """(block size, mkfs options, remarks) from ReaR's per-type attributes."""
    mkfs: list[str] = []
    remarks: list[str] = []
    block = opts.get("blocksize") or opts.get("sectorsize")
    block_size = _int(block, "block size") if block else None
    for key, value in opts.items():
        if key in _FS_PLAIN_KEYS or key == "sectorsize" or not value:
            continue
        handled = _fs_attribute(kind, key, value, mkfs)
        if not handled:
            remarks.append(f"{key}={value} not kept")
    if kind == "xfs":
        remarks.append("xfs geometry (ReaR keeps it in layout/xfs/*.xfs) not imported: mkfs defaults apply")
    return block_size, tuple(mkfs), remarks


def _fs_attribute(kind: FsType, key: str, value: str, mkfs: list[str]) -> bool:
    """Translate one attribute into mkfs options; False when it has no mkfs equivalent."""
    if kind.startswith("ext"):
        if key == "reserved_blocks" and value.endswith("%"):
            mkfs += ["-m", str(_int(value[:-1], "reserved_blocks"))]
            return True
        if key == "bytes_per_inode":
            mkfs += ["-i", str(_int(value, "bytes_per_inode"))]
            return True
        if (key, value) in _EXT_DEFAULTS:
            return True
    if kind == "btrfs" and key == "nodesize":
        mkfs += ["--nodesize", str(_int(value, "nodesize"))]
        return True
    return False


def _mount_source(b: _Builder, rec: Record, fs_id: str, options: str, *, is_btrfs: bool) -> str:
    """The filesystem, or for btrfs mounted with ``subvol=`` that subvolume."""
    if not is_btrfs:
        return fs_id
    subvol = next((o.removeprefix("subvol=") for o in options.split(",") if o.startswith("subvol=")), "")
    path = subvol.strip("/")
    return _subvolume(b, rec, fs_id, path) if path else fs_id


def _mount(b: _Builder, rec: Record, source: str, mountpoint: str, options: str) -> None:
    kept = [o for o in options.split(",") if o and not o.startswith(("subvol=", "subvolid="))]
    existing = b.mounts.get(mountpoint)
    if existing is not None:
        first = b.get(existing)
        if isinstance(first, Mount) and first.source != source:
            b.note(rec.line, f"a second mount at {mountpoint} ignored (line {b.line_of(existing)} has the first)")
        return
    mount_id = b.claim(f"mnt-{_mount_slug(mountpoint)}")
    b.add(rec, Mount(id=mount_id, source=source, path=mountpoint, options=",".join(kept) or "defaults"))
    b.mounts[mountpoint] = mount_id


def _subvolume(
    b: _Builder, rec: Record, fs_id: str, path: str, *, subvol_id: int | None = None, default: bool = False
) -> str:
    """The id of a btrfs subvolume, made on first mention and completed by later lines."""
    key = (fs_id, path)
    existing = b.subvolumes.get(key)
    if existing is None:
        sub_id = b.claim(f"subvol-{fs_id.removeprefix('fs-')}-{_slug(path)}")
        b.add(rec, BtrfsSubvolume(id=sub_id, filesystem=fs_id, path=path, subvol_id=subvol_id, default=default))
        b.subvolumes[key] = sub_id
        return sub_id
    old = b.get(existing)
    assert isinstance(old, BtrfsSubvolume)
    b.replace(existing, subvol_id=old.subvol_id if subvol_id is None else subvol_id, default=old.default or default)
    return existing


def _parse_btrfs_subvol(rec: Record, state: _ParseState) -> Decl:
    """``btrfsdefaultsubvol`` and ``btrfsnormalsubvol``: ``<device> <mountpoint> <id> <path>``."""
    _count(rec, 4)
    device = _path(rec.fields[0], "btrfs device")
    subvol_id = _int(rec.fields[2], "subvolume id")
    path = rec.fields[3].strip("/")
    default = rec.keyword == "btrfsdefaultsubvol"

    def build(b: _Builder) -> None:
        if path and subvol_id != 5:
            _subvolume(b, rec, b.filesystems[device], path, subvol_id=subvol_id, default=default)

    return Decl(rec, [(f"fs:{device}", f"an fs line for {device}")], [], build)


def _parse_btrfs_mounted(rec: Record, state: _ParseState) -> Decl:
    """``btrfsmountedsubvol <device> <mountpoint> <options> [<path>]``."""
    _count(rec, 3, 4)
    device = _path(rec.fields[0], "btrfs device")
    mountpoint, options = _mountpoint(rec.fields[1]), rec.fields[2]
    if len(rec.fields) > 3:
        path = rec.fields[3].strip("/")
    else:
        path = next((o[7:] for o in options.split(",") if o.startswith("subvol=")), "").strip("/")

    def build(b: _Builder) -> None:
        fs_id = b.filesystems[device]
        source = _subvolume(b, rec, fs_id, path) if path else fs_id
        _mount(b, rec, source, mountpoint, options)

    return Decl(rec, [(f"fs:{device}", f"an fs line for {device}")], [], build)


def _parse_nocow(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 1)
    return _skipping_decl(rec, [], f"no-copy-on-write attribute of btrfs subvolume {rec.fields[0]} not kept")


def _parse_swap(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 1)
    device = _path(rec.fields[0], "swap device")
    opts = _key_values(rec.fields[1:])

    def build(b: _Builder) -> None:
        swap_id = b.claim(f"swap-{_short(device)}")
        target = b.use(rec, device).id
        b.add(rec, Swap(id=swap_id, device=target, uuid=opts.get("uuid") or None, label=opts.get("label") or None))
        _swap_type(b, target)

    return Decl(rec, [_need(device, "swap device")], [], build)


def _swap_type(b: _Builder, part_id: str) -> None:
    """A swap partition whose flags said nothing gets the swap type rather than Linux data."""
    if part_id not in b.default_typed:
        return
    part = b.get(part_id)
    assert isinstance(part, Partition)
    mbr, guid = partition_types.SWAP
    b.replace(part_id, mbr_type=mbr if part.mbr_type else None, gpt_type=guid if part.gpt_type else None)
