"""The machine's network, from what ``ip -j`` and resolv.conf said: pure, no I/O.

What is kept is what the rescue system needs to reach a backup the way the
machine did: wired interfaces by MAC, bonds, VLANs and bridges built on them,
static addresses, static routes and DNS. An address the kernel holds with a
finite lifetime (iproute2's ``dynamic``) came from DHCP or router
advertisements, so the interface is marked as such and the address is not
copied. Loopback, wireless (its keys are secrets) and software links
(containers, tunnels, VPNs) are left out with one note.

A member of a bond may carry the bond's MAC while enslaved; its own,
the one the rescue system will see, is iproute2's ``permaddr``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast, get_args

from rescue_tui.layout.model import BondMode, InterfaceKind, NetInterface, NetRoute, Network

KEPT_KINDS: tuple[str, ...] = get_args(InterfaceKind)
BOND_MODES: tuple[str, ...] = get_args(BondMode)
STUB_RESOLVERS = ("127.0.0.53", "127.0.0.54")
"""systemd-resolved's local stub: the real servers are in its own resolv.conf."""
LEARNED_ROUTES = ("kernel", "dhcp", "ra", "redirect")
"""Route protocols that come back by themselves with their address or lease."""
DEFAULT_MTU = 1500


@dataclass
class _Link:
    name: str
    kind: str
    mac: str | None
    mtu: int | None
    master: str | None
    parent: str | None
    data: dict[str, Any]
    addresses: list[dict[str, Any]] = field(default_factory=list)


def _link(raw: dict[str, Any], wireless: set[str]) -> _Link | None:
    name = raw.get("ifname")
    if not isinstance(name, str) or raw.get("link_type") != "ether" or name in wireless:
        return None
    info = raw.get("linkinfo") or {}
    kind = info.get("info_kind") or "ethernet"
    mac = raw.get("permaddr") or raw.get("address")
    mtu = raw.get("mtu")
    return _Link(
        name=name,
        kind=kind,
        mac=mac.lower() if isinstance(mac, str) else None,
        mtu=mtu if isinstance(mtu, int) and mtu != DEFAULT_MTU else None,
        master=raw.get("master") if isinstance(raw.get("master"), str) else None,
        parent=raw.get("link") if isinstance(raw.get("link"), str) else None,
        data=info.get("info_data") or {},
        addresses=[a for a in raw.get("addr_info") or [] if isinstance(a, dict)],
    )


def _kept(links: dict[str, _Link]) -> set[str]:
    """Links worth bringing up: ethernet, and bonds, bridges and VLANs standing on one (transitively)."""
    kept = {name for name, link in links.items() if link.kind == "ethernet"}
    changed = True
    while changed:
        changed = False
        for name, link in links.items():
            if name in kept or link.kind not in KEPT_KINDS:
                continue
            below = {m for m, member in links.items() if member.master == name}
            if link.kind == "vlan":
                below = {link.parent} if link.parent else set()
            if below & kept:
                kept.add(name)
                changed = True
    return kept


def _interface(link: _Link, links: dict[str, _Link], kept: set[str]) -> NetInterface:
    dhcp4 = autoconf = False
    addresses: list[str] = []
    for entry in link.addresses:
        if entry.get("scope") != "global" or not entry.get("local"):
            continue
        dynamic = bool(entry.get("dynamic")) or bool(entry.get("mngtmpaddr"))
        if entry.get("family") == "inet":
            dhcp4 |= dynamic
        elif entry.get("family") == "inet6":
            autoconf |= dynamic
        if not dynamic:
            addresses.append(f"{entry['local']}/{entry.get('prefixlen')}")
    members = tuple(sorted(m for m, member in links.items() if member.master == link.name and m in kept))
    mode = link.data.get("mode")
    vlan_id = link.data.get("id")
    return NetInterface(
        id=link.name,
        name=link.name,
        kind=cast(InterfaceKind, link.kind),
        mac=link.mac if link.kind == "ethernet" else None,
        mtu=link.mtu,
        dhcp4=dhcp4,
        ipv6_autoconf=autoconf,
        addresses=tuple(addresses),
        members=members if link.kind in ("bond", "bridge") else (),
        bond_mode=cast(BondMode, mode) if link.kind == "bond" and mode in BOND_MODES else None,
        vlan_id=vlan_id if link.kind == "vlan" and isinstance(vlan_id, int) else None,
        parent=link.parent if link.kind == "vlan" else None,
    )


def _routes(raw: Iterable[Any], kept: set[str]) -> tuple[list[NetRoute], list[str]]:
    routes: list[NetRoute] = []
    skipped: list[str] = []
    for entry in raw:
        if (
            not isinstance(entry, dict)
            or entry.get("protocol") in LEARNED_ROUTES
            or entry.get("type") not in (None, "unicast")
        ):
            continue
        dst = entry.get("dst")
        if not isinstance(dst, str) or dst.startswith(("fe80:", "ff00:")):
            continue
        dev = entry.get("dev")
        if dev not in kept:
            skipped.append(f"{dst} dev {dev}")
            continue
        gateway = entry.get("gateway")
        metric = entry.get("metric")
        routes.append(
            NetRoute(
                destination=dst,
                gateway=gateway if isinstance(gateway, str) else None,
                interface=dev,
                metric=metric if isinstance(metric, int) and metric not in (0, 1024) else None,
            )
        )
    return routes, skipped


def resolv_conf(text: str) -> tuple[list[str], list[str]]:
    """(name servers, search domains) of a resolv.conf; the last ``search`` or ``domain`` line wins, as in libc."""
    servers: list[str] = []
    search: list[str] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split(";", 1)[0].split()
        if len(words) >= 2 and words[0] == "nameserver":
            servers.append(words[1])
        elif len(words) >= 2 and words[0] in ("search", "domain"):
            search = words[1:]
    return servers, search


def build_network(probe: dict[str, Any]) -> tuple[Network | None, list[str]]:
    """The network the probe saw, and notes on what was left out.

    ``probe`` holds ``addresses`` (``ip -j -d address show``), ``routes4`` and
    ``routes6`` (``ip -j route show table main``, ``-6``), ``resolv`` (the
    resolv.conf text naming the real servers) and ``wireless`` (interface names).
    """
    notes: list[str] = []
    wireless = set(probe.get("wireless") or ())
    links: dict[str, _Link] = {}
    for raw in probe.get("addresses") or ():
        link = _link(raw, wireless) if isinstance(raw, dict) else None
        if link is not None:
            links[link.name] = link
    kept = _kept(links)
    left_out = sorted(n for n in links if n not in kept) + sorted(wireless)
    if left_out:
        notes.append(f"network: left out {', '.join(left_out)} (wireless or software links)")
    interfaces = [_interface(links[name], links, kept) for name in sorted(kept, key=_link_rank(links))]
    routes, skipped = _routes([*(probe.get("routes4") or ()), *(probe.get("routes6") or ())], kept)
    if skipped:
        notes.append(f"network: left out routes on links not captured: {'; '.join(skipped)}")
    servers, search = resolv_conf(str(probe.get("resolv") or ""))
    if not interfaces:
        return None, notes
    return Network(
        interfaces=tuple(interfaces), routes=tuple(routes), nameservers=tuple(servers), search=tuple(search)
    ), notes


def _link_rank(links: dict[str, _Link]) -> Any:
    order = {"ethernet": 0, "bond": 1, "bridge": 2, "vlan": 3}
    return lambda name: (order.get(links[name].kind, 9), name)
