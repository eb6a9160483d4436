"""What each interface of the rescue system gets, and why, in lines an operator reads.

Order of precedence: ``rescue.net=`` (the operator said so at boot), then the
layout's network (the machine's own addresses), then DHCP on every wired
link. A layout's ethernet interface is found by its MAC; when no interface
here has that MAC (a replaced board), by its name; otherwise it is left out,
and so are the bonds, bridges, VLANs and routes that needed it. Links nobody
claimed keep DHCP, so a machine moved to another network is still reachable
where a DHCP server answers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

from rescue_tui.layout.model import NetInterface, Network
from rescue_tui.layout.show import addressing
from rescue_tui.network.cmdline import NetRequest
from rescue_tui.network.links import Link

Match = Literal["mac", "name"]


@dataclass(frozen=True)
class Choice:
    """The rescue network decided: what to configure, what else gets DHCP, and the lines that say so."""

    source: str
    """Where it came from: 'rescue.net=', 'layout PATH' or 'default'."""
    network: Network = field(default_factory=Network)
    """What to configure; ethernet interfaces carry the names they have here."""
    matched: dict[str, Match] = field(default_factory=dict)
    """Ethernet interface id -> how it was found ('mac': match it by permanent MAC; 'name': by name)."""
    fallback_dhcp: bool = True
    """Wired links not configured otherwise get DHCP (and IPv6 router advertisements)."""
    lines: tuple[str, ...] = ()
    summary: str = ""
    """The choice on one line, for the welcome screen."""


def _addressing(iface: NetInterface) -> str:
    return addressing(iface) or "no address"


def choose(layout: Network | None, source: str, request: NetRequest, links: list[Link]) -> Choice:
    """Decide the rescue network (``source`` names the layout file for the lines)."""
    problems = list(request.problems)
    if request.off:
        off = "network off (rescue.net=off)"
        return Choice(source="rescue.net=", fallback_dhcp=False, lines=(*problems, off), summary=off)
    if request.given:
        return _from_request(request, links, problems)
    if layout is None or not layout.interfaces:
        why = "no layout" if layout is None and not source else "the layout has no network"
        line = f"DHCP on every wired link ({why})"
        return Choice(source="default", lines=(*problems, line), summary=line)
    return _from_layout(layout, source, links, problems)


def _from_request(request: NetRequest, links: list[Link], lines: list[str]) -> Choice:
    present = {link.name for link in links}
    kept: list[NetInterface] = []
    missing = False
    for iface in request.network.interfaces:
        if iface.name in present:
            kept.append(iface)
            lines.append(f"{iface.name}: {_addressing(iface)} (rescue.net=)")
        else:
            missing = True
            lines.append(f"{iface.name}: no such interface here ({', '.join(sorted(present)) or 'none'}); left out")
    names = {iface.id for iface in kept}
    routes = tuple(r for r in request.network.routes if r.interface in names)
    if request.dhcp_everywhere or request.autoconf_everywhere:
        lines.append("DHCP on every other wired link (rescue.net=dhcp)")
    network = Network(interfaces=tuple(kept), routes=routes, nameservers=request.network.nameservers)
    # What was asked is all there is, when all of it could be done; a typo or a missing NIC must not
    # leave the machine without any network: then the other links keep DHCP, and the lines say why.
    fallback = request.dhcp_everywhere or request.autoconf_everywhere or missing or bool(request.problems) or not kept
    if fallback and not (request.dhcp_everywhere or request.autoconf_everywhere):
        lines.append("DHCP on every other wired link (not all of rescue.net= could be used)")
    configured = ", ".join(i.name for i in kept) or "no interface"
    return Choice(
        source="rescue.net=",
        network=network,
        matched={iface.id: "name" for iface in kept},
        fallback_dhcp=fallback,
        lines=tuple(lines),
        summary=f"rescue.net=: {configured}" + ("; DHCP on the others" if fallback else ""),
    )


def _find(layout: Network, links: list[Link]) -> tuple[dict[str, tuple[Link, Match]], list[str]]:
    """Layout ethernet id -> (the link here, how found); and a line per interface."""
    by_mac: dict[str, Link] = {}
    for link in links:
        by_mac.setdefault(link.mac, link)
    by_name = {link.name: link for link in links}
    found: dict[str, tuple[Link, Match]] = {}
    taken: set[str] = set()
    ethernet = [i for i in layout.interfaces if i.kind == "ethernet"]
    for iface in ethernet:
        mac_match = by_mac.get((iface.mac or "").lower())
        if mac_match is not None and mac_match.name not in taken:
            found[iface.id] = (mac_match, "mac")
            taken.add(mac_match.name)
    lines: list[str] = []
    for iface in ethernet:
        if iface.id in found:
            here_name = found[iface.id][0].name
            here = "" if here_name == iface.name else f" (named {here_name} here)"
            lines.append(f"{iface.name}: found by MAC {iface.mac}{here}")
            continue
        name_match = by_name.get(iface.name)
        if name_match is not None and name_match.name not in taken:
            found[iface.id] = (name_match, "name")
            taken.add(name_match.name)
            lines.append(f"{iface.name}: no interface here has MAC {iface.mac or '(none recorded)'}; found by name")
        else:
            lines.append(f"{iface.name}: not here (MAC {iface.mac or '-'}, no interface of that name); left out")
    return found, lines


def _from_layout(layout: Network, source: str, links: list[Link], lines: list[str]) -> Choice:
    found, found_lines = _find(layout, links)
    lines.extend(found_lines)
    renamed = {iface_id: link.name for iface_id, (link, _) in found.items()}
    kept: dict[str, NetInterface] = {}
    for iface in layout.interfaces:
        if iface.id in found:
            kept[iface.id] = dataclasses.replace(iface, name=renamed[iface.id])
    changed = True
    while changed:  # bonds, bridges and VLANs stand on what is kept (VLANs on bonds: a second round)
        changed = False
        for iface in layout.interfaces:
            if iface.id in kept or iface.kind == "ethernet":
                continue
            if iface.kind == "vlan" and iface.parent in kept:
                kept[iface.id] = iface
                changed = True
            elif iface.kind in ("bond", "bridge") and any(m in kept for m in iface.members):
                kept[iface.id] = dataclasses.replace(iface, members=tuple(m for m in iface.members if m in kept))
                changed = True
    for iface in layout.interfaces:
        if iface.kind != "ethernet" and iface.id not in kept:
            lines.append(f"{iface.name}: left out (none of the interfaces it is built on is here)")
    names = {i.id: i.name for i in kept.values()}
    for iface in kept.values():
        if iface.addresses or iface.dhcp4 or iface.ipv6_autoconf or iface.kind != "ethernet":
            what = {"bond": f"bond {iface.bond_mode or 'balance-rr'} of ", "bridge": "bridge of "}.get(iface.kind, "")
            members = ", ".join(names[m] for m in iface.members) if iface.members else ""
            vlan = f"vlan {iface.vlan_id} on {names.get(iface.parent or '', '?')}: " if iface.kind == "vlan" else ""
            head = f"{what}{members}: " if what else vlan
            lines.append(f"{iface.name}: {head}{_addressing(iface)}")
    routes = []
    for route in layout.routes:
        if route.interface is None or route.interface in kept:
            routes.append(route)
        else:
            lines.append(f"route {route.destination} via {route.gateway or '-'}: left out (its interface is not here)")
    if not found:
        lines.append("no interface of the layout is here: DHCP on every wired link")
    else:
        lines.append("DHCP on every other wired link")
    network = Network(interfaces=tuple(kept.values()), routes=tuple(routes))
    if kept:  # the layout's name servers are reached through its interfaces; DHCP brings its own
        network = dataclasses.replace(network, nameservers=layout.nameservers, search=layout.search)
    how = ", ".join(
        f"{i.name} by {'MAC' if found[i.id][1] == 'mac' else 'name'}" for i in layout.interfaces if i.id in found
    )
    missing = [i.name for i in layout.interfaces if i.kind == "ethernet" and i.id not in found]
    text = how or "none of its interfaces is here: DHCP"
    if how and missing:
        text += f"; not here: {', '.join(missing)}"
    return Choice(
        source=f"layout {source}",
        network=network,
        matched={iface_id: how for iface_id, (_, how) in found.items()},
        fallback_dhcp=True,
        lines=tuple(lines),
        summary=f"layout {source}: {text}",
    )
