"""``raidarray`` and ``raid`` lines: md arrays.

Why a module of its own: ReaR wrote md arrays in two forms over its releases
(the same key=value fields in another order, levels with or without
``raid``, mdadm's superblock and layout spellings), and some arrays
(firmware containers, the multipath and faulty levels) are recognised only
to be skipped. A partition table on an array (``raiddisk``) is with the
other tables, in ``disks``.
"""

from __future__ import annotations

import re
from typing import get_args

from rescue_tui.layout.model import MdArray, MdLevel
from rescue_tui.layout.rear_import.builder import (
    Decl,
    _Builder,
    _Device,
    _need,
    _note_unknown_keys,
    _ParseState,
    _skipping_decl,
)
from rescue_tui.layout.rear_import.records import Record, _Bad, _count, _int, _key_values, _path, _short
from rescue_tui.layout.sizes import md_data_disks

_MD_LEVELS: dict[str, MdLevel] = {level: level for level in get_args(MdLevel)}


# --- md RAID -------------------------------------------------------------------------------------

_RAID_KEYS = frozenset(
    {"level", "raid-devices", "devices", "metadata", "uuid", "name", "layout", "chunk", "spare-devices", "size"}
)


def _parse_raid(rec: Record, state: _ParseState) -> Decl:
    """``raidarray`` (2.7+) and the old ``raid``: the same key=value fields in another order."""
    _count(rec, 2)
    path = _path(rec.fields[0], "md device")
    opts = _key_values(rec.fields[1:])
    unsupported = _unsupported_raid(opts)
    if unsupported:
        return _skipping_decl(rec, [f"dev:{path}"], f"md array {path} skipped: {unsupported}")
    level = _md_level(_required(opts, "level"))
    count = _int(_required(opts, "raid-devices"), "raid-devices")
    devices = [_path(d, "member device") for d in _required(opts, "devices").split(",") if d]
    if len(devices) < count:
        raise _Bad(f"{len(devices)} member device(s) listed but raid-devices={count}: cannot recreate a degraded array")
    metadata = _md_metadata(opts.get("metadata") or "1.2")
    chunk = _md_chunk(opts.get("chunk"))
    layout = _md_layout(opts.get("layout"))

    def build(b: _Builder) -> None:
        ids = [b.use(rec, d).id for d in devices]
        md_id = b.claim(_short(path))
        b.add(
            rec,
            MdArray(
                id=md_id,
                name=path.rsplit("/", 1)[-1],
                level=level,
                members=tuple(ids[:count]),
                spares=tuple(ids[count:]),
                metadata=metadata,
                uuid=opts.get("uuid") or None,
                array_name=opts.get("name") or None,
                chunk_kib=chunk,
                layout=layout,
                path=path,
            ),
        )
        b.md_ids[path] = md_id
        b.devices[path] = _Device(md_id, _md_upper_bound(b, devices[:count], level, layout))
        _note_unknown_keys(b, rec, opts, _RAID_KEYS)

    return Decl(rec, [_need(d, "member device") for d in devices], [f"dev:{path}"], build)


def _required(opts: dict[str, str], key: str) -> str:
    value = opts.get(key)
    if not value:
        raise _Bad(f"{key}= is missing")
    return value


def _unsupported_raid(opts: dict[str, str]) -> str | None:
    metadata = opts.get("metadata", "")
    if opts.get("level") == "container" or "container" in opts or metadata in ("imsm", "ddf"):
        return "firmware RAID (IMSM/DDF containers) is not recreated by rescue-tui"
    if opts.get("level") in ("multipath", "faulty"):
        return f"md level {opts['level']} is not recreated by rescue-tui"
    return None


def _md_level(text: str) -> MdLevel:
    level = _MD_LEVELS.get(text) or _MD_LEVELS.get(f"raid{text}")
    if level is None:
        raise _Bad(f"md level {text!r} is not one of {', '.join(_MD_LEVELS)}")
    return level


def _md_metadata(text: str) -> str:
    """mdadm's superblock version as we write it: ``00.90.03`` -> ``0.90``, ``1.2`` -> ``1.2``."""
    parts = text.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        raise _Bad(f"md metadata {text!r} is not a superblock version such as 1.2")
    major, minor = int(parts[0]), int(parts[1])
    return f"0.{minor:02d}" if major == 0 else f"{major}.{minor}"


def _md_chunk(text: str | None) -> int | None:
    if not text:
        return None
    value = _int(text.rstrip("kK"), "md chunk")
    return value or None


def _md_layout(text: str | None) -> str | None:
    """``near=2`` (ReaR 2.6) -> ``n2``; ``-unknown-`` -> nothing."""
    if not text or text == "-unknown-":
        return None
    match = re.fullmatch(r"(near|far|offset)=(\d+)", text)
    return f"{match.group(1)[0]}{match.group(2)}" if match else text


def _md_upper_bound(b: _Builder, members: list[str], level: MdLevel, layout: str | None) -> int | None:
    sizes = [b.devices[m].size for m in members]
    if not sizes or any(s is None for s in sizes):
        return None
    return int(min(s for s in sizes if s is not None) * md_data_disks(level, len(sizes), layout))
