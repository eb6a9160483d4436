"""A layout as a readable tree: disk -> partitions -> md -> LUKS -> VG -> LVs -> filesystem -> mount.

Plain text with ASCII guides, so it reads the same on a serial console, in a
log and in a terminal. The TUI builds its own tree widget from ``tree_rows``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import (
    BtrfsSubvolume,
    Disk,
    Filesystem,
    Item,
    Layout,
    Luks,
    LvmLv,
    LvmPv,
    LvmVg,
    MdArray,
    Mount,
    NetInterface,
    NetRoute,
    Network,
    Partition,
    PartitionTable,
    Swap,
)
from rescue_tui.layout.sizes import DeviceSizes
from rescue_tui.text import printable
from rescue_tui.units import human_size


@dataclass(frozen=True)
class TreeRow:
    """One line of the tree: its depth, the item, and the text describing it."""

    depth: int
    item: Item
    text: str
    repeat: bool = False
    """True when the item was shown already above (a VG under its second PV, an md under its second member)."""


def describe(item: Item, sizes: DeviceSizes) -> str:
    """One line about one item, sizes human-readable."""
    size = human_size(sizes.bytes(item.id))
    if isinstance(item, Disk):
        ident = ", ".join(x for x in (item.model, item.serial and f"serial {item.serial}") if x)
        return f"disk {item.path or item.name}  {size}" + (f"  ({ident})" if ident else "")
    if isinstance(item, PartitionTable):
        return f"{item.label} partition table"
    if isinstance(item, Partition):
        extra = " ".join(
            x
            for x in (item.kind if item.kind != "primary" else "", item.name and f'"{item.name}"', ",".join(item.flags))
            if x
        )
        name = item.path or f"partition {item.number}"
        return f"{name}  #{item.number}  {size}  sectors {item.start}-{item.start + item.size - 1}" + (
            f"  {extra}" if extra else ""
        )
    if isinstance(item, MdArray):
        members = f"{len(item.members)} members, metadata {item.metadata}"
        return f"md {item.path or item.name}  {item.level}  {size}  ({members})"
    if isinstance(item, Luks):
        return f"LUKS{item.version} {item.name}  {size}" + (f"  {item.cipher}" if item.cipher else "")
    if isinstance(item, LvmPv):
        return f"LVM PV  {size}"
    if isinstance(item, LvmVg):
        capacity = sizes.vg_capacity(item)
        return f"VG {item.name}  {human_size(capacity)}  (extent {human_size(item.pe_size)})"
    if isinstance(item, LvmLv):
        kind = "" if item.segment_type == "linear" else f"  {item.segment_type}"
        return f"LV {item.name}  {size}{kind}"
    if isinstance(item, Filesystem):
        label = f"  label {item.label}" if item.label else ""
        return f"{item.fstype}{label}" + (f"  uuid {item.uuid}" if item.uuid else "")
    if isinstance(item, Swap):
        return "swap" + (f"  uuid {item.uuid}" if item.uuid else "")
    if isinstance(item, BtrfsSubvolume):
        return f"subvolume {item.path}" + ("  (default)" if item.default else "")
    if isinstance(item, Mount):
        options = "" if item.options == "defaults" else f"  ({item.options})"
        return f"mounted at {item.path}{options}"
    return item.type


def tree_rows(layout: Layout) -> list[TreeRow]:
    """The whole layout as tree rows, roots (disks) first, each item's dependants below it."""
    graph = LayoutGraph(layout)
    sizes = DeviceSizes(graph)
    rows: list[TreeRow] = []
    shown: set[str] = set()

    def visit(item: Item, depth: int) -> None:
        repeat = item.id in shown
        rows.append(TreeRow(depth, item, printable(describe(item, sizes)), repeat))
        if repeat:
            return
        shown.add(item.id)
        for child in graph.children(item.id):
            # Thin LVs appear under their pool, not again under the VG.
            if isinstance(child, LvmLv) and child.pool and child.pool != item.id and isinstance(item, LvmVg):
                continue
            visit(child, depth + 1)

    for root in graph.roots():
        visit(root, 0)
    for item in layout.items:  # anything unreachable (broken references) still shows
        if item.id not in shown:
            visit(item, 0)
    return rows


def addressing(iface: NetInterface) -> str:
    """How an interface gets its addresses: its static ones, 'dhcp', 'ipv6 autoconf'; '' for none of them."""
    ways = [*iface.addresses, *(["dhcp"] if iface.dhcp4 else []), *(["ipv6 autoconf"] if iface.ipv6_autoconf else [])]
    return " ".join(ways)


def describe_route(route: NetRoute, names: dict[str, str]) -> str:
    """'10.20.0.0/16 via 198.51.100.1 dev bond0.20 metric 100' (``names``: interface id -> name)."""
    via = f" via {route.gateway}" if route.gateway else ""
    dev = f" dev {names.get(route.interface, route.interface)}" if route.interface else ""
    return f"{route.destination}{via}{dev}" + (f" metric {route.metric}" if route.metric is not None else "")


def describe_interface(iface: NetInterface, names: dict[str, str], master: str | None = None) -> str:
    """One line about one interface: name, what it is, its addresses (``master``: the bond or bridge it is in)."""
    parts = [iface.name]
    if iface.kind == "bond":
        parts.append(f"bond {iface.bond_mode or 'balance-rr'} of {', '.join(names.get(m, m) for m in iface.members)}")
    elif iface.kind == "bridge":
        parts.append(f"bridge of {', '.join(names.get(m, m) for m in iface.members) or 'no member'}")
    elif iface.kind == "vlan":
        parts.append(f"vlan {iface.vlan_id} on {names.get(iface.parent or '', iface.parent)}")
    if iface.mac:
        parts.append(iface.mac)
    parts.append(addressing(iface) or (f"in {master}" if master else "no address"))
    if iface.mtu:
        parts.append(f"mtu {iface.mtu}")
    return "  ".join(parts)


def network_lines(network: Network) -> list[str]:
    """The network section: an interface per line, then routes and DNS."""
    names = {iface.id: iface.name for iface in network.interfaces}
    masters = {member: iface.name for iface in network.interfaces for member in iface.members}
    lines = [describe_interface(iface, names, masters.get(iface.id)) for iface in network.interfaces]
    lines += [f"route {describe_route(route, names)}" for route in network.routes]
    if network.nameservers or network.search:
        dns = "dns " + (" ".join(network.nameservers) or "(no server)")
        lines.append(dns + (f"  search {' '.join(network.search)}" if network.search else ""))
    return [printable(line) for line in lines]


def render_tree(layout: Layout) -> str:
    """The tree as text, with a header naming the machine."""
    head = printable(layout.machine.hostname)
    if layout.boot:
        head += f"  ({layout.boot.firmware.upper()} boot)"
    lines = [head]
    for row in tree_rows(layout):
        text = f"{row.text}  (see above)" if row.repeat else row.text
        lines.append("  " * (row.depth + 1) + ("- " if row.depth else "* ") + text)
    if layout.network is not None:
        lines.append("  * network")
        lines.extend(f"    - {line}" for line in network_lines(layout.network))
    return "\n".join(lines) + "\n"
