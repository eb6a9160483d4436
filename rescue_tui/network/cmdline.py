"""``rescue.net=``: the rescue network from the kernel command line, in dracut's ``ip=`` syntax.

One option per interface; any number of them. The forms operators know from
dracut (``man dracut.cmdline``):

``rescue.net=off``                      no network at all (``none`` too)
``rescue.net=dhcp``                     DHCP on every wired link (``on``, ``any``); ``dhcp6``, ``auto6`` for IPv6
``rescue.net=IFACE:dhcp[:MTU]``         one interface by DHCP (``dhcp6``, ``auto6``, ``on``, ``any``)
``rescue.net=IP::GW:MASK:HOST:IFACE:none[:MTU]``  or ``...:none[:DNS1[:DNS2]]``
    a static address; IPv6 addresses in brackets (``[2001:db8::5]``), MASK
    dotted or a prefix length, GW and HOST may be empty. HOST is not used: the
    rescue system keeps its own name.

Given, it replaces the layout's network: what it names is all that is
configured (``dhcp`` included). A value that does not parse is one line in
``problems``, naming it, and is left out; the others still apply.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from rescue_tui.boot.cmdline import option_values
from rescue_tui.layout.model import NetInterface, NetRoute, Network
from rescue_tui.layout.network_rules import MTU_RANGE, interface_name_ok, parse_address

OPTION = "rescue.net"
OFF = ("off", "none")
DHCP4 = ("dhcp", "on", "any")
AUTO6 = ("dhcp6", "auto6")
_FIELD = re.compile(r"\[[^\]]*\]|[^:]*")


@dataclass(frozen=True)
class NetRequest:
    """What ``rescue.net=`` asked for."""

    given: bool = False
    """At least one ``rescue.net=`` was on the command line (even one that did not parse)."""
    off: bool = False
    dhcp_everywhere: bool = False
    autoconf_everywhere: bool = False
    network: Network = field(default_factory=Network)
    """Interfaces by name, their addresses, routes and DNS servers."""
    problems: tuple[str, ...] = ()


def _fields(value: str) -> list[str]:
    """Split on ':' except inside brackets (IPv6 addresses), brackets removed."""
    out: list[str] = []
    pos = 0
    while pos <= len(value):
        match = _FIELD.match(value, pos)
        assert match is not None  # the pattern matches the empty string
        out.append(match.group(0).strip("[]"))
        pos = match.end() + 1
    return out


def _number(text: str) -> int | None:
    """A decimal number in ASCII digits ('²' is a digit to str.isdigit, not to int)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


def _prefix(mask: str, version: int) -> int | None:
    """The prefix length a mask gives (1 to 32 or 128), dotted masks only as netmasks; None otherwise."""
    length = _number(mask)
    if length is None and version == 4:
        try:
            network = ipaddress.IPv4Network(f"0.0.0.0/{mask}")
        except ValueError:
            return None
        length = network.prefixlen if str(network.netmask) == mask else None
    return length if length is not None and 1 <= length <= (32 if version == 4 else 128) else None


def _mtu(text: str) -> int | None:
    number = _number(text)
    return number if number is not None and MTU_RANGE[0] <= number <= MTU_RANGE[1] else None


def _interface_only(fields: list[str], where: str) -> tuple[NetInterface, str | None]:
    name, mode, *rest = fields
    if len(rest) > 1 and any(rest[1:]):
        mac = ":".join(rest[1:])
        return NetInterface(id=name, name=name), f"{where}: a MAC address to set ({mac!r}) is not taken"
    mtu = _mtu(rest[0]) if rest and rest[0] else None
    if rest and rest[0] and mtu is None:
        return NetInterface(id=name, name=name), f"{where}: {rest[0]!r} is not an MTU ({MTU_RANGE[0]}-{MTU_RANGE[1]})"
    iface = NetInterface(id=name, name=name, mtu=mtu, dhcp4=mode in DHCP4, ipv6_autoconf=mode in AUTO6)
    return iface, None


def _static(fields: list[str], where: str) -> tuple[NetInterface, NetRoute | None, list[str]] | str:
    address, _peer, gateway, mask, _host, name, mode, *rest = fields
    if not name:
        return f"{where}: name the interface (the 6th field): this rescue system does not guess which link it is"
    if not interface_name_ok(name):
        return f"{where}: {name!r} is not an interface name"
    ip = parse_address(address)
    if ip is None:
        return f"{where}: {address!r} is not an IP address"
    if not mask:
        return f"{where}: give the netmask or prefix length (the 4th field) of {ip}"
    length = _prefix(mask, ip.version)
    if length is None:
        return f"{where}: {mask!r} is not a netmask for {ip} (dotted, or a prefix length)"
    route = None
    if gateway:
        gw = parse_address(gateway)
        if gw is None:
            return f"{where}: gateway {gateway!r} is not an IP address"
        if gw.version != ip.version:
            return f"{where}: gateway {gw} is IPv{gw.version}, the address IPv{ip.version}"
        subnet = ipaddress.ip_interface(f"{ip}/{length}").network
        if gw not in subnet:
            return f"{where}: gateway {gw} is outside {subnet}, so it cannot be reached"
        route = NetRoute(destination="default", gateway=str(gw), interface=name)
    if mode not in (*OFF, *DHCP4, *AUTO6):
        return f"{where}: {mode!r} is not one of none, off, dhcp, on, any, dhcp6, auto6"
    mtu = None
    servers: list[str] = []
    for extra in (r for r in rest if r):
        if _mtu(extra) is not None and mtu is None and not servers:
            mtu = _mtu(extra)
            continue
        server = parse_address(extra)
        if server is None:
            return f"{where}: {extra!r} is neither an MTU nor a DNS server address"
        servers.append(str(server))
    iface = NetInterface(
        id=name,
        name=name,
        mtu=mtu,
        addresses=(f"{ip}/{length}",),
        dhcp4=mode in DHCP4,
        ipv6_autoconf=mode in AUTO6,
    )
    return iface, route, servers


def parse_net(values: list[str]) -> NetRequest:
    """The request made by the ``rescue.net=`` values, in command-line order."""
    if not values:
        return NetRequest()
    problems: list[str] = []
    off = dhcp = auto6 = False
    interfaces: dict[str, NetInterface] = {}
    routes: list[NetRoute] = []
    servers: list[str] = []
    for value in values:
        where = f"{OPTION}={value}"
        word = value.lower()
        if word in OFF:
            off = True
            continue
        if word in DHCP4 or word in AUTO6:
            dhcp |= word in DHCP4
            auto6 |= word in AUTO6
            continue
        fields = _fields(value)
        if len(fields) >= 2 and fields[1].lower() in (*DHCP4, *AUTO6):
            if not interface_name_ok(fields[0]):
                problems.append(f"{where}: {fields[0]!r} is not an interface name; left out")
                continue
            iface, problem = _interface_only([fields[0], fields[1].lower(), *fields[2:]], where)
            if problem:
                problems.append(problem + "; left out")
                continue
        elif len(fields) >= 7:
            parsed = _static([*fields[:6], fields[6].lower(), *fields[7:]], where)
            if isinstance(parsed, str):
                problems.append(parsed + "; left out")
                continue
            iface, route, more = parsed
            routes.extend([route] if route else [])
            servers.extend(s for s in more if s not in servers)
        else:
            problems.append(f"{where}: not dhcp, off, IFACE:dhcp nor IP::GW:MASK:HOST:IFACE:none; left out")
            continue
        if iface.name in interfaces:
            previous = interfaces[iface.name]
            iface = NetInterface(
                id=iface.id,
                name=iface.name,
                mtu=iface.mtu or previous.mtu,
                dhcp4=iface.dhcp4 or previous.dhcp4,
                ipv6_autoconf=iface.ipv6_autoconf or previous.ipv6_autoconf,
                addresses=(*previous.addresses, *iface.addresses),
            )
        interfaces[iface.name] = iface
    if off and (dhcp or auto6 or interfaces):
        problems.append(f"{OPTION}=off: given with other {OPTION}= options: the network stays off")
    network = Network(interfaces=tuple(interfaces.values()), routes=tuple(routes), nameservers=tuple(servers))
    return NetRequest(
        given=True,
        off=off,
        dhcp_everywhere=dhcp and not off,
        autoconf_everywhere=auto6 and not off,
        network=network if not off else Network(),
        problems=tuple(problems),
    )


def net_values(params: list[str]) -> list[str]:
    """Every ``rescue.net=`` value of a split command line, in order."""
    return option_values(params, OPTION)
