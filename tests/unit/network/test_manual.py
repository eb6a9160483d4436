"""An address set by hand: checked as rescue.net= is, written for its interface alone, noted for the screen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rescue_tui.errors import BadInputError
from rescue_tui.network.links import present_links
from rescue_tui.network.manual import manual_request, set_by_hand


def test_a_static_address_with_gateway_and_dns_and_ipv6_in_the_same_words() -> None:
    request = manual_request("eno3", "192.0.2.99/25", "192.0.2.1", ["192.0.2.53", "2001:db8::53"])
    (iface,) = request.network.interfaces
    assert (iface.name, iface.addresses, iface.dhcp4) == ("eno3", ("192.0.2.99/25",), False)
    assert request.network.routes[0].gateway == "192.0.2.1"
    assert request.network.nameservers == ("192.0.2.53", "2001:db8::53")
    (iface,) = manual_request("eno3", "2001:db8::99/64", "2001:db8::1").network.interfaces
    assert iface.addresses == ("2001:db8::99/64",)
    (iface,) = manual_request("eno3", None).network.interfaces
    assert iface.dhcp4 and iface.addresses == ()


@pytest.mark.parametrize(
    ("name", "address", "gateway", "message"),
    [
        ("eno3", "192.0.2.99", "", "192.0.2.99: give the prefix length too, such as 192.0.2.10/24"),
        ("eno3", "192.0.2.999/24", "", "'192.0.2.999' is not an IP address"),
        ("eno3", "192.0.2.99/24", "2001:db8::1", "gateway 2001:db8::1 is IPv6, the address IPv4"),
        ("../../etc", "192.0.2.99/24", "", "'../../etc' is not an interface name"),
    ],
)
def test_a_wrong_field_is_one_line(name: str, address: str, gateway: str, message: str) -> None:
    with pytest.raises(BadInputError) as info:
        manual_request(name, address, gateway)
    assert info.value.message == message


def test_set_by_hand_writes_one_file_that_outranks_the_boots_reloads_that_interface_and_notes_it(
    tmp_path: Path, sys_net: Path
) -> None:
    root = tmp_path / "root"
    state = tmp_path / "network.json"
    state.write_text(json.dumps({"source": "layout /l.json", "summary": "layout /l.json: eno1 by MAC", "lines": ["a"]}))
    reloaded: list[str] = []
    line = set_by_hand(
        manual_request("eno3", "192.0.2.99/24", "192.0.2.1", ["192.0.2.53"]),
        present_links(sys_net),
        root=root,
        state=state,
        reload=reloaded.append,
    )
    assert line == "eno3: set by hand: 192.0.2.99/24"
    assert reloaded == ["eno3"]
    (written,) = (root / "run/systemd/network").iterdir()
    assert written.name == "05-rescue-manual-eno3.network"
    text = written.read_text()
    assert "[Match]\nName=eno3\n" in text and "Address=192.0.2.99/24\n" in text
    assert "[Network]\nDNS=192.0.2.53\nDHCP=no\n" in text and "[Route]\nGateway=192.0.2.1\n" in text
    saved = json.loads(state.read_text())
    assert saved["source"] == "layout /l.json"
    assert saved["lines"] == ["a", line]
    assert saved["summary"] == f"{line}; layout /l.json: eno1 by MAC"


def test_an_interface_that_is_not_here_is_refused_and_nothing_written(tmp_path: Path, sys_net: Path) -> None:
    with pytest.raises(BadInputError) as info:
        set_by_hand(manual_request("eth7", None), present_links(sys_net), root=tmp_path / "root", reload=print)
    assert info.value.message == "eth7: no such wired interface here (eno3, enp1s0, enp2s0)"
    assert not (tmp_path / "root").exists()
