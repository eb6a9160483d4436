"""LVM from the ``pvs``/``vgs``/``lvs`` JSON reports.

A volume group is captured only when every one of its PVs is: half a VG
cannot be recreated. Hidden LVs (thin pool data and metadata, spares) are
not items of their own; the pool item records their sizes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast, get_args

from rescue_tui.layout.capture.state import BuildState, to_int
from rescue_tui.layout.model import LvmLv, LvmPv, LvmVg, LvSegmentType

LV_TYPES: tuple[str, ...] = get_args(LvSegmentType)


class LvmReports:
    """The pvs/vgs/lvs reports, indexed by what the builder asks."""

    def __init__(self, reports: dict[str, Any] | None, b: BuildState) -> None:
        def rows(report: str, key: str) -> list[dict[str, Any]]:
            data = (reports or {}).get(report) or {}
            return [row for part in data.get("report", ()) for row in part.get(key, ())]

        self.pvs = rows("pvs", "pv")
        self.vgs = {row["vg_name"]: row for row in rows("vgs", "vg")}
        self.lvs: dict[str, list[dict[str, Any]]] = defaultdict(list)
        seen: set[str] = set()
        for row in rows("lvs", "lv"):
            if row.get("lv_uuid") not in seen:  # one row per segment: the first speaks for the LV
                seen.add(str(row.get("lv_uuid")))
                self.lvs[row["vg_name"]].append(row)
        self.pv_node: dict[str, str] = {}
        self.vg_pv_nodes: dict[str, list[str]] = defaultdict(list)
        self.vg_missing: dict[str, list[str]] = defaultdict(list)
        for row in self.pvs:
            node = b.resolve(str(row.get("pv_name")))
            vg = row.get("vg_name") or ""
            if node is None:
                if vg:
                    self.vg_missing[vg].append(str(row.get("pv_name")))
                continue
            self.pv_node[node] = str(row.get("pv_name"))
            if vg:
                self.vg_pv_nodes[vg].append(node)
        by_devno = {str(n.get("maj:min")): k for k, n in b.nodes.items() if n.type == "lvm"}
        self.node_vg: dict[str, str] = {}
        self.lv_node: dict[str, str] = {}
        for vg, lvs in self.lvs.items():
            for row in lvs:
                devno = f"{row.get('lv_kernel_major')}:{row.get('lv_kernel_minor')}"
                if devno in by_devno:
                    self.node_vg[by_devno[devno]] = vg
                    self.lv_node[str(row["lv_uuid"])] = by_devno[devno]

    def pv_row(self, kname: str) -> dict[str, Any] | None:
        name = self.pv_node.get(kname)
        return next((r for r in self.pvs if r.get("pv_name") == name), None)


def add_pv(b: BuildState, kname: str, lvm: LvmReports) -> None:
    """The PV on a device; its VG (and LVs) follow once the VG's last PV is in."""
    device_id = b.ids[kname]
    row = lvm.pv_row(kname)
    if row is None and b.probes.lvm is not None:
        b.notes.append(f"{b.nodes[kname].path}: LVM signature but pvs does not list it")
    uuid = (row or {}).get("pv_uuid") or b.formats[kname].get("UUID")
    pv = b.add(LvmPv(id=f"pv-{device_id}", device=device_id, uuid=uuid, size=to_int((row or {}).get("dev_size"))))
    b.held[kname] = pv.id
    vg = str((row or {}).get("vg_name") or "")
    if vg and not lvm.vg_missing.get(vg) and all(n in b.held for n in lvm.vg_pv_nodes[vg]):
        _volume_group(b, vg, lvm)


def _volume_group(b: BuildState, name: str, lvm: LvmReports) -> None:
    """A VG and its LVs; snapshots and segment types the model lacks are noted, not guessed."""
    row = lvm.vgs.get(name, {})
    vg = b.add(
        LvmVg(
            id=f"vg-{name}",
            name=name,
            pvs=tuple(b.held[n] for n in lvm.vg_pv_nodes[name]),
            uuid=row.get("vg_uuid") or None,
            pe_size=to_int(row.get("vg_extent_size")) or 4 * 1024 * 1024,
        )
    )
    for lv in sorted(lvm.lvs.get(name, ()), key=lambda r: str(r["lv_name"])):
        segtype = str(lv.get("segtype"))
        attr = str(lv.get("lv_attr") or "")
        where = f"LV {name}/{lv['lv_name']}"
        if attr[:1] in ("s", "S"):
            b.notes.append(f"{where}: snapshots are not kept in a layout; not captured")
            continue
        if segtype not in LV_TYPES:
            b.notes.append(f"{where}: segment type {segtype} is not supported; not captured")
            continue
        thin_pool = segtype == "thin-pool"
        striped = segtype in ("striped", "raid1", "mirror")
        stripe_size = to_int(lv.get("stripe_size")) if segtype == "striped" else None
        item = b.add(
            LvmLv(
                id=f"lv-{name}-{lv['lv_name']}",
                vg=vg.id,
                name=str(lv["lv_name"]),
                size=int(lv["lv_size"]),
                segment_type=cast(LvSegmentType, segtype),
                pool=f"lv-{name}-{lv['pool_lv']}" if segtype == "thin" and lv.get("pool_lv") else None,
                uuid=lv.get("lv_uuid") or None,
                stripes=to_int(lv.get("stripes")) if striped else None,
                stripe_size=stripe_size or None,
                metadata_size=to_int(lv.get("lv_metadata_size")) if thin_pool else None,
                chunk_size=to_int(lv.get("chunk_size")) if thin_pool else None,
                path=lv.get("lv_path") or None,
            )
        )
        node = lvm.lv_node.get(str(lv["lv_uuid"]))
        if node is not None:
            b.ids[node] = item.id
