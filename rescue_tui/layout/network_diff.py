"""What changed in a machine's network since its layout was saved (``layout check``).

Interfaces are matched as the rescue system will find them: an ethernet
interface by its MAC, anything else (and an ethernet whose MAC is gone) by
name. A layout saved before networks were captured has no network: that is
not a change.
"""

from __future__ import annotations

from rescue_tui.layout.model import NetInterface, Network
from rescue_tui.layout.show import describe_interface, describe_route

COMPARED = ("kind", "mtu", "dhcp4", "ipv6_autoconf", "addresses", "bond_mode", "vlan_id")


def _match(saved: Network, current: Network) -> dict[str, NetInterface]:
    """Saved interface id -> the current interface that is the same one."""
    by_mac = {i.mac.lower(): i for i in current.interfaces if i.mac and i.kind == "ethernet"}
    by_name = {i.name: i for i in current.interfaces}
    out: dict[str, NetInterface] = {}
    taken: set[str] = set()
    for iface in saved.interfaces:
        found = by_mac.get(iface.mac.lower()) if iface.mac and iface.kind == "ethernet" else None
        if found is None or found.id in taken:
            found = by_name.get(iface.name)
        if found is not None and found.id not in taken:
            out[iface.id] = found
            taken.add(found.id)
    return out


def network_changes(saved: Network | None, current: Network | None) -> list[str]:
    """One line per difference in the network; none when the saved layout recorded no network."""
    if saved is None:
        return []
    if current is None:
        return ["removed network: no interface captured now"]
    lines: list[str] = []
    old_names = {i.id: i.name for i in saved.interfaces}
    new_names = {i.id: i.name for i in current.interfaces}
    matches = _match(saved, current)
    for old in saved.interfaces:
        new = matches.get(old.id)
        if new is None:
            lines.append(f"removed interface {describe_interface(old, old_names)}")
            continue
        label = old.name if old.name == new.name else f"{old.name} (now {new.name})"
        for field in COMPARED:
            was, now = getattr(old, field), getattr(new, field)
            if was != now:
                lines.append(f"changed interface {label}: {field} {_text(was)} -> {_text(now)}")
        was_members = sorted(old_names.get(m, m) for m in old.members)
        now_members = sorted(new_names.get(m, m) for m in new.members)
        if was_members != now_members:
            lines.append(f"changed interface {label}: members {_text(was_members)} -> {_text(now_members)}")
        was_parent, now_parent = old_names.get(old.parent or ""), new_names.get(new.parent or "")
        if old.kind == "vlan" and was_parent != now_parent:
            lines.append(f"changed interface {label}: parent {was_parent} -> {now_parent}")
    matched = {i.id for i in matches.values()}
    lines.extend(
        f"added interface {describe_interface(i, new_names)}" for i in current.interfaces if i.id not in matched
    )
    was_routes = {describe_route(r, old_names) for r in saved.routes}
    now_routes = {describe_route(r, new_names) for r in current.routes}
    lines.extend(f"removed route {r}" for r in sorted(was_routes - now_routes))
    lines.extend(f"added route {r}" for r in sorted(now_routes - was_routes))
    for field in ("nameservers", "search"):
        if getattr(saved, field) != getattr(current, field):
            lines.append(f"changed dns: {field} {_text(getattr(saved, field))} -> {_text(getattr(current, field))}")
    return lines


def _text(value: object) -> str:
    if isinstance(value, tuple | list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)
