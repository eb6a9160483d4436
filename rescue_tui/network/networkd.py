"""A ``Choice`` as systemd-networkd and systemd-resolved files: pure text, written by ``setup``.

Our files go in /run (they outrank the image's own /etc ones) and start with
``10-`` so they come before the image's ``80-dhcp.network`` fallback, which
networkd applies to any wired link left unclaimed. An ethernet interface
found by MAC is matched by its *permanent* MAC: a bond and its VLANs take a
member's MAC, and must not match that member's file.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re

from rescue_tui.layout.model import NetInterface, NetRoute
from rescue_tui.network.choose import Choice

NETWORK_DIR = "/run/systemd/network"
RESOLVED_DROPIN = "/run/systemd/resolved.conf.d/rescue-tui.conf"
FALLBACK = "80-dhcp.network"
"""The image's DHCP-everywhere file (``iso/rootfs``): overridden by an empty match when nothing else may get DHCP."""
NETDEV_KINDS = {"bond": "bond", "bridge": "bridge", "vlan": "vlan"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _comment(text: str) -> str:
    """Text safe in a one-line comment: no line break (or other control) can start a section of its own."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _stem(iface: NetInterface) -> str:
    return "10-rescue-" + _UNSAFE.sub("_", iface.id)


def _route_home(route: NetRoute, interfaces: tuple[NetInterface, ...]) -> str | None:
    """The interface a route without one belongs to: the one whose subnet holds its gateway."""
    if route.interface is not None:
        return route.interface
    if route.gateway is None:
        return None
    gateway = ipaddress.ip_address(route.gateway)
    for iface in interfaces:
        for text in iface.addresses:
            if gateway in ipaddress.ip_interface(text).network:
                return iface.id
    return None


def _network_file(iface: NetInterface, choice: Choice, routes: list[NetRoute], dns: tuple[str, ...]) -> str:
    how = choice.matched.get(iface.id)
    lines = [
        f"# rescue-tui: {iface.name} from {_comment(choice.source)}"
        + {"mac": ", found by MAC", "name": ", found by name"}.get(how or "", ""),
        "[Match]",
    ]
    if how == "mac" and iface.mac:
        lines.append(f"PermanentMACAddress={iface.mac}")
    else:
        lines.append(f"Name={iface.name}")
    lines += ["", "[Link]", "RequiredForOnline=no"]
    if iface.mtu:
        lines.append(f"MTUBytes={iface.mtu}")
    dhcp = "ipv4" if iface.dhcp4 else "no"
    lines += ["", "[Network]", *([f"DNS={' '.join(dns)}"] if dns else [])]
    lines += [
        f"DHCP={dhcp}",
        f"IPv6AcceptRA={'yes' if iface.ipv6_autoconf else 'no'}",
        f"LinkLocalAddressing={'ipv6' if iface.ipv6_autoconf else 'no'}",
    ]
    if iface.addresses:
        lines.append("ConfigureWithoutCarrier=yes")
    lines += [f"Address={a}" for a in iface.addresses]
    for other in choice.network.interfaces:
        if iface.id in other.members:
            lines.append(f"{'Bond' if other.kind == 'bond' else 'Bridge'}={other.name}")
        if other.kind == "vlan" and other.parent == iface.id:
            lines.append(f"VLAN={other.name}")
    for route in routes:
        lines += ["", "[Route]"]
        if route.destination != "default":
            lines.append(f"Destination={route.destination}")
        if route.gateway:
            lines.append(f"Gateway={route.gateway}")
        if route.metric is not None:
            lines.append(f"Metric={route.metric}")
    return "\n".join(lines) + "\n"


def _netdev_file(iface: NetInterface, choice: Choice) -> str:
    lines = [f"# rescue-tui: {iface.name} from {_comment(choice.source)}", "[NetDev]", f"Name={iface.name}"]
    lines.append(f"Kind={NETDEV_KINDS[iface.kind]}")
    if iface.mtu:
        lines.append(f"MTUBytes={iface.mtu}")
    if iface.kind == "bond":
        lines += ["", "[Bond]", f"Mode={iface.bond_mode or 'balance-rr'}", "MIIMonitorSec=100ms"]
    if iface.kind == "vlan":
        lines += ["", "[VLAN]", f"Id={iface.vlan_id}"]
    return "\n".join(lines) + "\n"


def _idle(iface: NetInterface, interfaces: tuple[NetInterface, ...]) -> bool:
    """An ethernet with nothing to set (no address, no DHCP, in no bond, bridge or VLAN): left to the DHCP fallback."""
    if iface.kind != "ethernet" or iface.addresses or iface.dhcp4 or iface.ipv6_autoconf:
        return False
    return not any(iface.id in other.members or other.parent == iface.id for other in interfaces)


def _words(choice: Choice) -> None:
    """Refuse a value that is not one printable word: a line break in one would start a setting of its own.

    Validation refuses them first (the layout's rules, ``rescue.net=``'s parser); this is the last guard.
    """
    values: list[object] = [*choice.network.nameservers, *choice.network.search]
    items: list[NetInterface | NetRoute] = [*choice.network.interfaces, *choice.network.routes]
    for item in items:
        for value in dataclasses.astuple(item):
            values.extend(value if isinstance(value, tuple) else (value,))
    for value in values:
        if isinstance(value, str) and (not value.isprintable() or any(c.isspace() for c in value)):
            raise ValueError(f"not one printable word, not written to networkd: {value!r}")


def render(choice: Choice, *, dns_on_link: bool = False) -> dict[str, str]:
    """Absolute path -> file text, for every file the choice needs (and only those).

    The name servers go to resolved for the whole system, or with ``dns_on_link`` to each interface's
    own file (an address set by hand on one interface brings its servers for that link alone).
    """
    _words(choice)
    files: dict[str, str] = {}
    interfaces = tuple(i for i in choice.network.interfaces if not _idle(i, choice.network.interfaces))
    homes: dict[str, list[NetRoute]] = {}
    for route in choice.network.routes:
        home = _route_home(route, interfaces)
        if home is not None:
            homes.setdefault(home, []).append(route)
    for iface in interfaces:
        stem = f"{NETWORK_DIR}/{_stem(iface)}"
        if iface.kind in NETDEV_KINDS:
            files[f"{stem}.netdev"] = _netdev_file(iface, choice)
        link_dns = choice.network.nameservers if dns_on_link else ()
        files[f"{stem}.network"] = _network_file(iface, choice, homes.get(iface.id, []), link_dns)
    if not choice.fallback_dhcp:
        head = f"# rescue-tui: no DHCP on other links ({_comment(choice.source)})\n"
        files[f"{NETWORK_DIR}/{FALLBACK}"] = head + "[Match]\nName=*\n\n[Link]\nUnmanaged=yes\n"
    if not dns_on_link and (choice.network.nameservers or choice.network.search):
        text = f"# rescue-tui: name servers from {_comment(choice.source)}\n[Resolve]\n"
        if choice.network.nameservers:
            text += f"DNS={' '.join(choice.network.nameservers)}\n"
        if choice.network.search:
            text += f"Domains={' '.join(choice.network.search)}\n"
        files[RESOLVED_DROPIN] = text
    return files
