"""What the schema cannot say about a layout's network: addresses that parse, references that resolve.

The rescue system turns these fields into its own network configuration
before anything else runs, so a wrong one must be refused when the layout is
read, naming its JSON path, not discovered as a dead link on the night.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterator

from rescue_tui.layout.model import NetInterface, NetRoute, Network

MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", re.IGNORECASE)
IFNAME_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,15}$")
"""A kernel interface name: at most 15 bytes (IFNAMSIZ - 1), no '/' or blanks."""
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$")
MTU_RANGE = (68, 65535)


def interface_name_ok(name: str) -> bool:
    """A name the kernel accepts for an interface (``dev_valid_name``), without the characters config files quote."""
    return bool(IFNAME_RE.fullmatch(name)) and name not in (".", "..")


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ADDRESS_CHARS = re.compile(r"^[0-9A-Fa-f:./]+$")
"""What an address, a network or a prefix is written with. Python also takes an IPv6 scope id
('fe80::1%eth0'), in which anything may follow, a line break included: it would start a line of its
own in the networkd file an address is written to."""
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
"""An interface id: the file named after it must be one file, and one per id."""
U32 = 2**32 - 1


def parse_cidr(text: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface | None:
    """An address with its prefix length ('192.0.2.10/24'), or None when it is not one."""
    if "/" not in text or not ADDRESS_CHARS.fullmatch(text):
        return None
    try:
        return ipaddress.ip_interface(text)
    except ValueError:
        return None


def parse_address(text: str) -> IPAddress | None:
    """A plain IPv4 or IPv6 address, or None."""
    if not ADDRESS_CHARS.fullmatch(text):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A network with its prefix length ('198.51.100.0/24'; host bits may be set), or None."""
    if "/" not in text or not ADDRESS_CHARS.fullmatch(text):
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def route_family(route: NetRoute) -> int | None:
    """4 or 6 for a route whose addresses parse; a default route takes its gateway's family."""
    if route.destination != "default":
        network = parse_network(route.destination)
        return network.version if network else None
    gateway = parse_address(route.gateway) if route.gateway else None
    return gateway.version if gateway else None


def network_problems(network: Network) -> Iterator[tuple[str, str]]:
    """(JSON path, message) for each fault of the network section."""
    yield from _interface_problems(network)
    yield from _route_problems(network)
    for index, server in enumerate(network.nameservers):
        if parse_address(server) is None:
            yield f"$.network.nameservers[{index}]", f"{server!r} is not an IP address"
    for index, domain in enumerate(network.search):
        if not DOMAIN_RE.fullmatch(domain):
            yield f"$.network.search[{index}]", f"{domain!r} is not a domain name"


def _at(index: int, iface: NetInterface) -> str:
    return f"$.network.interfaces[{index}] ({iface.id})"


def _interface_problems(network: Network) -> Iterator[tuple[str, str]]:
    ids = {iface.id: iface for iface in network.interfaces}
    seen_ids: Counter[str] = Counter()
    seen_names: Counter[str] = Counter()
    seen_macs: Counter[str] = Counter()
    seen_addresses: dict[str, str] = {}
    enslaved: dict[str, str] = {}
    for index, iface in enumerate(network.interfaces):
        at = _at(index, iface)
        seen_ids[iface.id] += 1
        if seen_ids[iface.id] == 2:
            yield f"{at}.id", "duplicate interface id"
        if not ID_RE.fullmatch(iface.id):
            yield f"{at}.id", f"{iface.id[:40]!r} is not an interface id (letters, digits, '_.:-', at most 64)"
        seen_names[iface.name] += 1
        if seen_names[iface.name] == 2:
            yield f"{at}.name", f"two interfaces are named {iface.name!r}"
        if not interface_name_ok(iface.name):
            yield f"{at}.name", f"{iface.name!r} is not an interface name (at most 15 letters, digits, '_.:-')"
        if iface.mac is not None:
            if not MAC_RE.fullmatch(iface.mac):
                yield f"{at}.mac", f"{iface.mac!r} is not a MAC address like '52:54:00:12:34:56'"
            elif iface.kind == "ethernet":
                seen_macs[iface.mac.lower()] += 1
                if seen_macs[iface.mac.lower()] == 2:
                    yield (
                        f"{at}.mac",
                        f"{iface.mac} is the MAC of another interface: the rescue system could not tell them apart",
                    )
        if iface.mtu is not None and (type(iface.mtu) is not int or not MTU_RANGE[0] <= iface.mtu <= MTU_RANGE[1]):
            yield f"{at}.mtu", f"{iface.mtu} is outside {MTU_RANGE[0]}-{MTU_RANGE[1]}"
        for n, text in enumerate(iface.addresses):
            address = parse_cidr(text)
            if address is None:
                yield f"{at}.addresses[{n}]", f"{text!r} is not an address with its prefix length, like '192.0.2.10/24'"
            elif str(address.ip) in seen_addresses:
                yield f"{at}.addresses[{n}]", f"{address.ip} is also on {seen_addresses[str(address.ip)]}"
            else:
                seen_addresses[str(address.ip)] = iface.id
        yield from _kind_problems(at, iface, ids, enslaved)


def _kind_problems(
    at: str, iface: NetInterface, ids: dict[str, NetInterface], enslaved: dict[str, str]
) -> Iterator[tuple[str, str]]:
    if iface.members and iface.kind not in ("bond", "bridge"):
        yield f"{at}.members", f"only a bond or a bridge has members, not a {iface.kind}"
    if iface.bond_mode is not None and iface.kind != "bond":
        yield f"{at}.bond_mode", f"only a bond has a bonding mode, not a {iface.kind}"
    if iface.kind == "bond" and not iface.members:
        yield f"{at}.members", "a bond needs at least one member"
    for n, member in enumerate(iface.members):
        target = ids.get(member)
        if target is None:
            yield f"{at}.members[{n}]", f"refers to {member!r}, which is not an interface of the layout"
        elif member == iface.id:
            yield f"{at}.members[{n}]", "refers to itself"
        elif member in enslaved:
            yield f"{at}.members[{n}]", f"{member!r} is already a member of {enslaved[member]!r}"
        else:
            enslaved[member] = iface.id
            if target.addresses or target.dhcp4 or target.ipv6_autoconf:
                yield (
                    f"{at}.members[{n}]",
                    f"{member!r} has addresses of its own: a member's addresses belong on {iface.id!r}",
                )
    if iface.kind == "vlan":
        if type(iface.vlan_id) is not int or not 1 <= iface.vlan_id <= 4094:
            yield f"{at}.vlan_id", "a VLAN needs an id from 1 to 4094"
        if iface.parent is None:
            yield f"{at}.parent", "a VLAN needs the interface it runs on"
        elif iface.parent not in ids:
            yield f"{at}.parent", f"refers to {iface.parent!r}, which is not an interface of the layout"
        elif iface.parent == iface.id:
            yield f"{at}.parent", "refers to itself"
    else:
        if iface.vlan_id is not None:
            yield f"{at}.vlan_id", f"only a VLAN has a VLAN id, not a {iface.kind}"
        if iface.parent is not None:
            yield f"{at}.parent", f"only a VLAN has a parent interface, not a {iface.kind}"


def _route_problems(network: Network) -> Iterator[tuple[str, str]]:
    ids = {iface.id for iface in network.interfaces}
    for index, route in enumerate(network.routes):
        at = f"$.network.routes[{index}]"
        if route.destination != "default" and parse_network(route.destination) is None:
            yield (
                f"{at}.destination",
                f"{route.destination!r} is neither 'default' nor a network like '198.51.100.0/24'",
            )
            continue
        if route.metric is not None and (type(route.metric) is not int or not 0 <= route.metric <= U32):
            yield f"{at}.metric", f"{route.metric!r} is not a route metric (0 to {U32})"
        gateway = None
        if route.gateway is not None:
            gateway = parse_address(route.gateway)
            if gateway is None:
                yield f"{at}.gateway", f"{route.gateway!r} is not an IP address"
                continue
        if gateway is None and route.interface is None:
            yield at, "a route needs a gateway or an interface"
        family = route_family(route)
        if gateway is not None and family is not None and gateway.version != family:
            yield f"{at}.gateway", f"an IPv{gateway.version} gateway for an IPv{family} destination"
        if route.interface is not None and route.interface not in ids:
            yield f"{at}.interface", f"refers to {route.interface!r}, which is not an interface of the layout"
