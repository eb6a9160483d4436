"""The network of a ReaR rescue system: what ``layout import-rear --rescue-root`` adds to the imported layout.

ReaR keeps no network in ``disklayout.conf``. ``rear mkrescue`` writes it into
the rescue system it builds, as shell run at boot: ``60-network-devices.sh``
(``ip link set dev eth0 up``, ``... mtu 1400``, ``ip addr add 192.0.2.2/24 dev
eth0``), ``62-routing.sh`` (``ip route add default via 192.0.2.1 dev eth0 table
main``), with ``etc/mac-addresses`` (``eth0 02:fc:00:00:00:01``) and
``etc/resolv.conf`` beside them. Given the root of that system (its initrd
unpacked), only those literal commands are read: the scripts' own preamble
works on variables and is passed over, and any other command (ReaR's bonds,
VLANs and bridges, untested here) is named in a note, never guessed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

from rescue_tui.errors import RearImportError
from rescue_tui.inputs import read_text
from rescue_tui.layout.model import NetInterface, NetRoute, Network

SCRIPTS = Path("etc/scripts/system-setup.d")
DEVICES = SCRIPTS / "60-network-devices.sh"
ROUTING = SCRIPTS / "62-routing.sh"
MACS = Path("etc/mac-addresses")
RESOLV = Path("etc/resolv.conf")
MAX_BYTES = 1 << 20

_NAME = r"[A-Za-z0-9_.:@-]{1,15}"
_UP = re.compile(rf"ip link set dev ({_NAME}) up")
_MTU = re.compile(rf"ip link set dev ({_NAME}) mtu (\d{{1,5}})")
_ADDR = re.compile(rf"ip addr add (\S+) dev ({_NAME})")
_ROUTE = re.compile(rf"ip route add (\S+) via (\S+) dev ({_NAME})(?: table main)?")
_MAC = re.compile(rf"({_NAME})\s+((?:[0-9a-fA-F]{{2}}:){{5}}[0-9a-fA-F]{{2}})")


@dataclass
class _Found:
    order: list[str] = field(default_factory=list)
    mtu: dict[str, int] = field(default_factory=dict)
    addresses: dict[str, list[str]] = field(default_factory=dict)
    routes: list[NetRoute] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def interface(self, name: str) -> None:
        if name not in self.order:
            self.order.append(name)


def read_rear_network(root: Path) -> tuple[Network, list[str]]:
    """The network ReaR's rescue system under ``root`` brings up, and notes on what was not imported."""
    if not (root / DEVICES).is_file():
        raise RearImportError(f"{root}: no {DEVICES}: not the root of a ReaR rescue system (its initrd unpacked)")
    found = _Found()
    _read_devices(root / DEVICES, found)
    if (root / ROUTING).is_file():
        _read_routing(root / ROUTING, found)
    macs = _read_macs(root / MACS) if (root / MACS).is_file() else {}
    interfaces = tuple(
        NetInterface(
            id=name,
            name=name,
            mac=macs.get(name),
            mtu=found.mtu.get(name),
            addresses=tuple(found.addresses.get(name, ())),
        )
        for name in found.order
    )
    nameservers = _read_nameservers(root / RESOLV) if (root / RESOLV).is_file() else ()
    return Network(interfaces=interfaces, routes=tuple(found.routes), nameservers=nameservers), found.notes


def _commands(path: Path) -> list[tuple[int, str]]:
    """(line number, command) of the literal ``ip`` commands: no variable, no shell around them."""
    text = read_text(path, what="ReaR network script", max_bytes=MAX_BYTES, error=RearImportError)
    return [
        (number, " ".join(line.split()))
        for number, line in enumerate(text.splitlines(), 1)
        if line.strip().startswith("ip ") and "$" not in line
    ]


def _read_devices(path: Path, found: _Found) -> None:
    for number, command in _commands(path):
        where = f"{path}:{number}"
        if match := _UP.fullmatch(command):
            found.interface(match.group(1))
        elif match := _MTU.fullmatch(command):
            mtu = int(match.group(2))
            if not 68 <= mtu <= 65535:
                raise RearImportError(f"{where}: MTU {mtu} is out of range (68-65535)")
            found.interface(match.group(1))
            found.mtu[match.group(1)] = mtu
        elif match := _ADDR.fullmatch(command):
            found.interface(match.group(2))
            found.addresses.setdefault(match.group(2), []).append(_interface_address(match.group(1), where))
        else:
            found.notes.append(f"{where}: not imported (only addresses and MTUs are): {command}")


def _read_routing(path: Path, found: _Found) -> None:
    for number, command in _commands(path):
        where = f"{path}:{number}"
        match = _ROUTE.fullmatch(command)
        if match is None:
            found.notes.append(f"{where}: not imported (only routes through a gateway are): {command}")
            continue
        destination, gateway, device = match.groups()
        if destination != "default":
            try:
                destination = str(ipaddress.ip_network(destination, strict=False))
            except ValueError:
                raise RearImportError(f"{where}: {destination!r} is not a network") from None
        try:
            gateway = str(ipaddress.ip_address(gateway))
        except ValueError:
            raise RearImportError(f"{where}: {gateway!r} is not an address") from None
        found.interface(device)
        found.routes.append(NetRoute(destination=destination, gateway=gateway, interface=device))


def _interface_address(text: str, where: str) -> str:
    try:
        return str(ipaddress.ip_interface(text))
    except ValueError:
        raise RearImportError(f"{where}: {text!r} is not an address with its prefix length") from None


def _read_macs(path: Path) -> dict[str, str]:
    macs = {}
    text = read_text(path, what="ReaR MAC address list", max_bytes=MAX_BYTES, error=RearImportError)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _MAC.fullmatch(line.strip())
        if match is None:
            raise RearImportError(f"{path}:{number}: expected 'NAME MAC', such as 'eth0 52:54:00:12:34:56'")
        macs[match.group(1)] = match.group(2).lower()
    return macs


def _read_nameservers(path: Path) -> tuple[str, ...]:
    text = read_text(path, what="resolv.conf", max_bytes=MAX_BYTES, error=RearImportError)
    servers = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            try:
                servers.append(str(ipaddress.ip_address(words[1])))
            except ValueError:
                continue  # a resolver line we cannot use is not worth refusing the layout for
    return tuple(servers)
