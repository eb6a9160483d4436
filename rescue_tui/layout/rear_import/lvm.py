"""``lvmdev``, ``lvmgrp`` and ``lvmvol`` lines: LVM physical volumes, volume groups, logical volumes.

Why a module of its own: the LVM lines changed most between ReaR releases
(PV sizes in sectors, then in bytes; two ``lvmvol`` forms; layouts that can
only be imported as linear), and each guess made about them is noted here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rescue_tui.layout.model import LvmLv, LvmPv, LvmVg, LvSegmentType
from rescue_tui.layout.rear_import.builder import Decl, Need, _Builder, _Device, _need, _ParseState, _skipping_decl
from rescue_tui.layout.rear_import.records import (
    SECTOR,
    Record,
    _Bad,
    _count,
    _int,
    _key_values,
    _path,
    _short,
    _slug,
)

_LV_LAYOUTS: dict[str, LvSegmentType] = {
    "linear": "linear",
    "striped": "striped",
    "mirror": "mirror",
    "raid,raid1": "raid1",
    "thin,pool": "thin-pool",
    "thin,sparse": "thin",
}


def _bytes_value(text: str, what: str) -> int:
    """``65536b`` -> 65536 (lvmvol's byte values)."""
    return _int(text.removesuffix("b").removesuffix("B"), what)


# --- LVM -----------------------------------------------------------------------------------------


def _parse_lvmdev(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 2, 4)
    f = rec.fields
    vg = f[0]
    device = _path(f[1], "PV device")
    uuid = f[2] if len(f) > 2 else None
    raw = _int(f[3], "PV size") if len(f) > 3 else None
    if "#orphans" in vg:
        return _skipping_decl(rec, [f"pv:{device}"], f"PV {device} belongs to no volume group: skipped")
    _path(vg, "volume group")

    def build(b: _Builder) -> None:
        dev = b.use(rec, device)
        size, remark = _pv_size(b, raw, dev.size)
        pv_id = b.claim(f"pv-{_short(device)}")
        b.add(rec, LvmPv(id=pv_id, device=dev.id, uuid=uuid, size=size))
        b.pvs_by_vg.setdefault(vg, []).append(pv_id)
        if remark:
            b.note(rec.line, f"PV {device}: {remark}")

    return Decl(rec, [_need(device, "PV device")], [f"pv:{device}"], build)


def _pv_size(b: _Builder, raw: int | None, device_size: int | None) -> tuple[int | None, str | None]:
    """ReaR <= 2.7 wrote PV sizes in 512-byte sectors, 2.8+ in bytes; the device size tells which.

    A PV is never larger than its device, so a value that still fits when
    read as sectors cannot be bytes (it would be 1/512 of the device).
    """
    if raw is None:
        return None, None
    if device_size is not None:
        unit = "sectors" if raw * SECTOR <= device_size else "bytes"
        b.pv_unit = b.pv_unit or unit
        how = f"compared with its device's {device_size} bytes"
    elif b.pv_unit is not None:
        unit, how = b.pv_unit, "like the other PVs of this file"
    elif raw % SECTOR:
        unit, how = "sectors", "it is not a whole number of sectors in bytes"
    else:
        unit, how = "bytes", "a guess: its device size is unknown"
    if unit == "sectors":
        return raw * SECTOR, f"size {raw} read as 512-byte sectors (ReaR <= 2.7), {how}"
    return raw, f"size {raw} read as bytes (ReaR >= 2.8), {how}"


def _parse_lvmgrp(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 2, 4)
    vg = _path(rec.fields[0], "volume group")
    pe_kib = _int(rec.fields[1], "extent size")
    for index, what in ((2, "extent count"), (3, "VG size")):
        if len(rec.fields) > index:
            _int(rec.fields[index], what)

    def build(b: _Builder) -> None:
        name = vg.removeprefix("/dev/")
        vg_id = b.claim(f"vg-{_slug(name)}")
        b.add(rec, LvmVg(id=vg_id, name=name, pvs=tuple(b.pvs_by_vg.get(vg, ())), pe_size=pe_kib * 1024))
        b.vgs[vg] = vg_id

    return Decl(rec, [], [f"vg:{vg}"], build)


@dataclass
class _LvSpec:
    size: int
    segment: LvSegmentType
    pool: str | None = None
    stripes: int | None = None
    stripe_size: int | None = None
    metadata_size: int | None = None
    chunk_size: int | None = None
    remarks: list[str] = field(default_factory=list)


def _parse_lvmvol(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 3)
    f = rec.fields
    vg = _path(f[0], "volume group")
    name = f[1]
    spec = _lv_spec(f[2:])
    vg_name = vg.removeprefix("/dev/")
    needs: list[Need] = [(f"vg:{vg}", f"volume group {vg}")]
    if spec.pool:
        needs.append((f"lv:{vg}/{spec.pool}", f"thin pool {vg}/{spec.pool}"))

    def build(b: _Builder) -> None:
        vg_id = b.vgs[vg]
        lv_id = b.claim(f"lv-{_slug(vg_name)}-{_slug(name)}")
        pool_id = b.lvs[f"{vg}/{spec.pool}"] if spec.pool else None
        b.add(
            rec,
            LvmLv(
                id=lv_id,
                vg=vg_id,
                name=name,
                size=spec.size,
                segment_type=spec.segment,
                pool=pool_id,
                stripes=spec.stripes,
                stripe_size=spec.stripe_size,
                metadata_size=spec.metadata_size,
                chunk_size=spec.chunk_size,
                path=f"{vg}/{name}",
            ),
        )
        b.lvs[f"{vg}/{name}"] = lv_id
        for path in _lv_paths(vg_name, name):
            b.devices[path] = _Device(lv_id, spec.size)
        for remark in spec.remarks:
            b.note(rec.line, f"LV {vg_name}/{name}: {remark}")

    provides = [f"lv:{vg}/{name}", *(f"dev:{p}" for p in _lv_paths(vg_name, name))]
    return Decl(rec, needs, provides, build)


def _lv_paths(vg: str, lv: str) -> tuple[str, str]:
    """The two names ReaR may use for an LV: ``/dev/vg/lv`` and ``/dev/mapper/vg-lv`` (dashes doubled)."""
    return f"/dev/{vg}/{lv}", f"/dev/mapper/{vg.replace('-', '--')}-{lv.replace('-', '--')}"


def _lv_spec(fields: list[str]) -> _LvSpec:
    """``<bytes>b <layout> [key:value ...]`` (ReaR >= 2.4) or ``<extents> <sectors>`` (older)."""
    if not fields[0].endswith("b"):
        if len(fields) != 2:
            raise _Bad(f"old-style lvmvol needs <extents> <sectors>, found {' '.join(fields)!r}")
        _int(fields[0], "extent count")
        return _LvSpec(size=_int(fields[1], "LV size in sectors") * SECTOR, segment="linear")
    spec = _lv_layout(fields[1] if len(fields) > 1 else "linear")
    spec.size = _bytes_value(fields[0], "LV size")
    _apply_lv_options(spec, _key_values(fields[2:], sep=":"))
    if spec.segment == "thin" and not spec.pool:
        raise _Bad("a thin,sparse LV without thinpool:")
    if spec.size == 0:
        raise _Bad("LV size is 0")
    return spec


def _lv_layout(layout: str) -> _LvSpec:
    segment = _LV_LAYOUTS.get(layout)
    if segment is not None:
        return _LvSpec(size=0, segment=segment)
    return _LvSpec(
        size=0,
        segment="linear",
        remarks=[f"layout {layout!r} cannot be recreated by rescue-tui: imported as LINEAR, without its redundancy"],
    )


def _apply_lv_options(spec: _LvSpec, opts: dict[str, str]) -> None:
    for key, value in opts.items():
        if key == "thinpool":
            spec.pool = value
        elif key == "chunksize":
            spec.chunk_size = _bytes_value(value, "chunksize")
        elif key == "poolmetadatasize":
            spec.metadata_size = _bytes_value(value, "poolmetadatasize")
        elif key == "stripesize":
            spec.stripe_size = _bytes_value(value, "stripesize")
        elif key == "stripes":
            spec.stripes = _int(value, "stripes") if spec.segment == "striped" else spec.stripes
        elif key == "mirrors":
            spec.stripes = _int(value, "mirrors") + 1
        else:
            spec.remarks.append(f"option {key}:{value} not kept")
    if spec.segment != "striped":
        spec.stripe_size = None
