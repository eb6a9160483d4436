"""Parsers for the text the storage tools print.

Pure functions from one tool's output to plain data, so recorded outputs
can be replayed in unit tests. Only the fields a layout needs are read;
anything unexpected is ignored rather than fatal, because the tools' text
formats drift between versions.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass


def key_values(text: str) -> dict[str, str]:
    """``KEY=value`` lines (``blkid -o export``, ``udevadm info --query=property``, ``mdadm --export``)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def colon_fields(text: str) -> dict[str, str]:
    """``Key : value`` lines (``mdadm --detail``, ``dumpe2fs -h``), first occurrence wins."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and key.strip() not in out:
            out[key.strip()] = value.strip()
    return out


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    match = re.match(r"\s*(\d+)", text)
    return int(match.group(1)) if match else None


# --- mdadm ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MdDetail:
    """What ``mdadm --detail`` (and its ``--export`` form) say about one array."""

    level: str | None
    metadata: str | None
    uuid: str | None
    name: str | None
    members: tuple[str, ...]
    """Active member device nodes, in slot (role) order."""
    spares: tuple[str, ...]
    chunk_kib: int | None
    layout: str | None
    bitmap: str | None
    size: int | None
    """Array size in bytes."""


def md_detail(export: str, detail: str) -> MdDetail:
    """Combine ``mdadm --detail --export`` (identity, roles) with ``mdadm --detail`` (chunk, layout, bitmap, size)."""
    ex = key_values(export)
    human = colon_fields(detail)
    roles: list[tuple[int, str]] = []
    spares: list[str] = []
    for key, value in ex.items():
        match = re.fullmatch(r"MD_DEVICE_(.+)_ROLE", key)
        if not match:
            continue
        node = ex.get(f"MD_DEVICE_{match.group(1)}_DEV")
        if node is None:
            continue
        if value.isdigit():
            roles.append((int(value), node))
        elif value == "spare":
            spares.append(node)
    chunk = human.get("Chunk Size")
    bitmap = human.get("Intent Bitmap")
    policy = human.get("Consistency Policy")
    if bitmap is not None:
        bitmap_value: str | None = "internal" if bitmap.lower() == "internal" else bitmap
    elif policy is not None or human:
        bitmap_value = "internal" if policy == "bitmap" else "none"
    else:
        bitmap_value = None
    size_kib = _int(human.get("Array Size"))
    layout = human.get("Layout")
    return MdDetail(
        level=ex.get("MD_LEVEL") or human.get("Raid Level"),
        metadata=ex.get("MD_METADATA") or human.get("Version"),
        uuid=ex.get("MD_UUID") or human.get("UUID"),
        name=ex.get("MD_NAME") or (human.get("Name", "").split(" ")[0] or None),
        members=tuple(node for _, node in sorted(roles)),
        spares=tuple(sorted(spares)),
        chunk_kib=_int(chunk) if chunk and chunk.upper().endswith("K") else None,
        layout=_md_layout(layout),
        bitmap=bitmap_value,
        size=None if size_kib is None else size_kib * 1024,
    )


def _md_layout(text: str | None) -> str | None:
    """``near=2`` (mdadm's raid10 wording) -> ``n2``; raid5/6 names stay as they are."""
    if not text or text.strip() == "-unknown-":
        return None
    match = re.fullmatch(r"(near|far|offset)=(\d+)", text.strip())
    if match:
        return f"{match.group(1)[0]}{match.group(2)}"
    return text.strip()


# --- cryptsetup luksDump ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LuksHeader:
    """The non-secret facts of a LUKS header."""

    version: int
    uuid: str | None
    label: str | None
    cipher: str | None
    key_size: int | None
    hash: str | None
    pbkdf: str | None
    sector_size: int | None


def luks_dump(text: str) -> LuksHeader:
    """Parse ``cryptsetup luksDump`` for LUKS1 or LUKS2 (the first keyslot speaks for the others)."""
    top = colon_fields(text)
    version = _int(top.get("Version")) or 0
    if version == 1:
        name, mode = top.get("Cipher name"), top.get("Cipher mode")
        return LuksHeader(
            version=1,
            uuid=top.get("UUID") or None,
            label=None,
            cipher=f"{name}-{mode}" if name and mode else name,
            key_size=_int(top.get("MK bits")),
            hash=top.get("Hash spec"),
            pbkdf="pbkdf2",
            sector_size=None,
        )
    sections = _luks2_sections(text)
    segment = sections.get("Data segments", {})
    keyslot = sections.get("Keyslots", {})
    label = top.get("Label")
    return LuksHeader(
        version=version,
        uuid=top.get("UUID") or None,
        label=None if label in (None, "", "(no label)") else label,
        cipher=segment.get("cipher"),
        key_size=_int(keyslot.get("Key")),
        hash=keyslot.get("Hash") or keyslot.get("AF hash"),
        pbkdf=keyslot.get("PBKDF"),
        sector_size=_int(segment.get("sector")),
    )


def _luks2_sections(text: str) -> dict[str, dict[str, str]]:
    """The first entry of each LUKS2 section (``Data segments``, ``Keyslots``) as key -> value."""
    sections: dict[str, dict[str, str]] = {}
    current: str | None = None
    entry_seen = False
    for line in text.splitlines():
        if line and not line[0].isspace():
            current = line.rstrip(":").strip() if line.rstrip().endswith(":") else None
            entry_seen = False
            continue
        if current is None or not line.strip():
            continue
        if re.match(r"^ {2}\S", line):  # "  0: luks2" starts an entry
            if entry_seen:
                current = None  # only the first entry counts
                continue
            entry_seen = True
            sections[current] = {}
            continue
        key, sep, value = line.strip().partition(":")
        if sep and current in sections and key not in sections[current]:
            sections[current][key.strip()] = value.strip()
    return sections


# --- btrfs --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subvolume:
    """One line of ``btrfs subvolume list``."""

    id: int
    path: str


def btrfs_subvolumes(text: str) -> list[Subvolume]:
    """``ID 256 gen 7 parent 5 top level 5 path @home`` lines; paths relative to the top level."""
    out: list[Subvolume] = []
    for line in text.splitlines():
        match = re.match(r"ID (\d+) .*?\bpath (.+)$", line.strip())
        if match:
            path = match.group(2)
            path = path.removeprefix("<FS_TREE>/")
            out.append(Subvolume(int(match.group(1)), path))
    return out


def btrfs_default_id(text: str) -> int | None:
    """``btrfs subvolume get-default``: ``ID 5 (FS_TREE)`` or ``ID 256 gen 7 top level 5 path @``."""
    match = re.match(r"\s*ID (\d+)", text)
    return int(match.group(1)) if match else None


# --- filesystem superblocks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FsInfo:
    """Block size and used bytes read from a superblock (used counts metadata too)."""

    block_size: int | None
    used: int | None


def dumpe2fs(text: str) -> FsInfo:
    """``dumpe2fs -h``: block size, and used = (block count - free blocks) x block size."""
    fields = colon_fields(text)
    size, count, free = (_int(fields.get(k)) for k in ("Block size", "Block count", "Free blocks"))
    used = (count - free) * size if size and count is not None and free is not None else None
    return FsInfo(block_size=size, used=used)


def xfs_db_sb(text: str) -> FsInfo:
    """``xfs_db -r -c 'sb 0' -c 'print blocksize dblocks fdblocks'``."""
    fields = {k.strip(): v.strip() for k, _, v in (line.partition("=") for line in text.splitlines()) if v}
    size, count, free = (_int(fields.get(k)) for k in ("blocksize", "dblocks", "fdblocks"))
    used = (count - free) * size if size and count is not None and free is not None else None
    return FsInfo(block_size=size, used=used)


def btrfs_super(text: str) -> FsInfo:
    """``btrfs inspect-internal dump-super``: sectorsize and bytes_used."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0] not in fields:
            fields[parts[0]] = parts[1]
    return FsInfo(block_size=_int(fields.get("sectorsize")), used=_int(fields.get("bytes_used")))


# --- fstab and crypttab ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FstabEntry:
    """One line of /etc/fstab."""

    spec: str
    path: str
    fstype: str
    options: str
    dump: int
    passno: int


def _unescape(field: str) -> str:
    """fstab escapes spaces and tabs as octal (``\\040``)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def fstab(text: str) -> list[FstabEntry]:
    """Entries of an fstab; comments and malformed lines are skipped."""
    out: list[FstabEntry] = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 3:
            continue
        options = fields[3] if len(fields) > 3 else "defaults"
        dump = int(fields[4]) if len(fields) > 4 and fields[4].isdigit() else 0
        passno = int(fields[5]) if len(fields) > 5 and fields[5].isdigit() else 0
        out.append(FstabEntry(_unescape(fields[0]), _unescape(fields[1]), fields[2], options, dump, passno))
    return out


@dataclass(frozen=True)
class CrypttabEntry:
    """One line of /etc/crypttab (the key file is deliberately not kept)."""

    name: str
    spec: str
    options: str


def crypttab(text: str) -> list[CrypttabEntry]:
    """Entries of a crypttab."""
    out: list[CrypttabEntry] = []
    for line in text.splitlines():
        try:
            fields = shlex.split(line, comments=True)
        except ValueError:
            continue
        if len(fields) >= 2:
            out.append(CrypttabEntry(fields[0], fields[1], fields[3] if len(fields) > 3 else ""))
    return out


def mount_option(options: str, name: str) -> str | None:
    """The value of ``name=`` in a comma-separated option list, or None."""
    for option in options.split(","):
        key, sep, value = option.partition("=")
        if sep and key == name:
            return value
    return None
