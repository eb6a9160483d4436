"""An address set by hand (the operator, from the console or ``rescue-tui network set``), on one interface.

It is the same request as ``rescue.net=IP::GW:PREFIX::IFACE:none`` (the same
checks, the same messages), written as a ``05-`` file that outranks what the
boot chose for that interface and nothing else; networkd then reloads and
reconfigures that interface alone. The other interfaces keep what they had.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from rescue_tui.errors import BadInputError, RescueError
from rescue_tui.files import write_atomic
from rescue_tui.layout.network_rules import parse_address
from rescue_tui.layout.show import addressing
from rescue_tui.network.choose import Choice
from rescue_tui.network.cmdline import NetRequest, parse_net
from rescue_tui.network.links import Link
from rescue_tui.network.networkd import NETWORK_DIR, render
from rescue_tui.network.setup import STATE, note_state

MANUAL = "05-rescue-manual-"
Reload = Callable[[str], None]


def manual_request(name: str, address: str | None, gateway: str = "", dns: Sequence[str] = ()) -> NetRequest:
    """The request for one interface: a static ``address`` (with its prefix length) or, without one, DHCP."""
    if address is None:
        value = f"{name}:dhcp"
    else:
        ip, slash, prefix = address.strip().partition("/")
        if not slash:
            raise BadInputError(f"{address}: give the prefix length too, such as 192.0.2.10/24")
        if parse_address(ip) is None:
            raise BadInputError(f"{ip!r} is not an IP address")
        value = ":".join([_field(ip), "", _field(gateway.strip()), prefix, "", name, "none", *(_field(d) for d in dns)])
    request = parse_net([value])
    if request.problems:
        raise BadInputError(request.problems[0].removesuffix("; left out").replace(f"rescue.net={value}: ", ""))
    return request


def _field(text: str) -> str:
    """One field of the dracut form: an IPv6 address goes in brackets (its colons are the separator)."""
    return f"[{text}]" if ":" in text else text


def networkctl(name: str) -> None:
    """Have networkd read its files again and apply them to this interface."""
    for args in (["networkctl", "reload"], ["networkctl", "reconfigure", name]):
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
        if done.returncode != 0:
            raise RescueError(f"{' '.join(args)}: {done.stderr.strip() or f'exit {done.returncode}'}")


def set_by_hand(
    request: NetRequest,
    links: list[Link],
    *,
    root: Path = Path("/"),
    state: Path = STATE,
    reload: Reload = networkctl,
) -> str:
    """Write the interface's file, reload networkd for it, note it for the welcome screen; the line saying so."""
    (iface,) = request.network.interfaces
    if iface.name not in {link.name for link in links}:
        here = ", ".join(link.name for link in links) or "none"
        raise BadInputError(f"{iface.name}: no such wired interface here ({here})")
    choice = Choice(source="set by hand", network=request.network, matched={iface.id: "name"}, fallback_dhcp=True)
    (text,) = render(choice, dns_on_link=True).values()
    network_dir = root / NETWORK_DIR.lstrip("/")
    network_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(network_dir / f"{MANUAL}{iface.name}.network", text)
    reload(iface.name)
    line = f"{iface.name}: set by hand: {addressing(iface)}"
    note_state(line, state)
    return line
