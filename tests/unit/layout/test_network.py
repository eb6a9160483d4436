"""The layout's network: capture from ``ip -j``, format, validation, the tree and drift."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from rescue_tui.errors import LayoutError
from rescue_tui.layout.capture.network import build_network, resolv_conf
from rescue_tui.layout.codec import dump_layout, read_layout
from rescue_tui.layout.compare import compare_layouts
from rescue_tui.layout.model import Layout, NetInterface, NetRoute, Network
from rescue_tui.layout.show import render_tree
from rescue_tui.layout.validate import validate_layout
from tests.conftest import DATA

NETWORKED = DATA / "layouts" / "good" / "networked.json"
PROBE = DATA / "network" / "netbox-probe.json"


@pytest.fixture
def layout() -> Layout:
    return read_layout(NETWORKED)


def with_network(layout: Layout, **fields: object) -> Layout:
    assert layout.network is not None
    return dataclasses.replace(layout, network=dataclasses.replace(layout.network, **fields))


def with_interface(layout: Layout, iface_id: str, **fields: object) -> Layout:
    assert layout.network is not None
    interfaces = tuple(dataclasses.replace(i, **fields) if i.id == iface_id else i for i in layout.network.interfaces)
    return with_network(layout, interfaces=interfaces)


def problems(layout: Layout) -> list[str]:
    return [str(p) for p in validate_layout(layout)]


# --- capture ------------------------------------------------------------------------------------------


def test_capture_keeps_wired_bonds_vlans_bridges_static_addresses_and_static_routes(layout: Layout) -> None:
    network, notes = build_network(json.loads(PROBE.read_text()))
    assert network == layout.network
    assert notes == [
        "network: left out docker0, veth1a2b3c, wlp2s0 (wireless or software links)",
        "network: left out routes on links not captured: 10.99.0.0/16 dev wg0",
    ]


def test_an_enslaved_nic_is_recorded_by_its_own_mac_not_the_bonds() -> None:
    probe = json.loads(PROBE.read_text())
    network, _ = build_network(probe)
    assert network is not None
    macs = {i.name: i.mac for i in network.interfaces}
    # eno2 shows the bond's MAC while enslaved; the rescue system will see its permanent one.
    assert macs["eno2"] == "52:54:00:aa:00:02"
    assert macs["bond0"] is None


def test_leased_and_autoconfigured_addresses_mark_the_interface_instead_of_being_copied() -> None:
    network, _ = build_network(json.loads(PROBE.read_text()))
    assert network is not None
    eno3 = next(i for i in network.interfaces if i.name == "eno3")
    assert (eno3.dhcp4, eno3.ipv6_autoconf, eno3.addresses) == (True, True, ())
    assert all(r.interface != "eno3" for r in network.routes), "routes from a lease or an RA come back with it"


def test_no_wired_interface_means_no_network_section() -> None:
    probe = json.loads(PROBE.read_text())
    probe["addresses"] = [a for a in probe["addresses"] if a["ifname"] in ("lo", "wlp2s0")]
    network, notes = build_network(probe)
    assert network is None
    assert notes == [
        "network: left out wlp2s0 (wireless or software links)",
        "network: left out routes on links not captured: "
        "default dev bond0; 10.20.0.0/16 dev bond0.20; 10.99.0.0/16 dev wg0; default dev bond0",
    ]


def test_resolv_conf_takes_servers_in_order_and_the_last_search_line() -> None:
    text = (
        "nameserver 192.0.2.1 # primary\n; a comment\nnameserver 2001:db8::1\n"
        "domain a.example\nsearch b.example c.example\n"
    )
    assert resolv_conf(text) == (["192.0.2.1", "2001:db8::1"], ["b.example", "c.example"])


# --- the file format ------------------------------------------------------------------------------------


def test_a_layout_with_a_network_reads_back_to_the_same_text(layout: Layout) -> None:
    assert dump_layout(layout) == NETWORKED.read_text()
    assert problems(layout) == []


def test_an_unknown_interface_field_is_refused_with_its_json_path(tmp_path: Path) -> None:
    document = json.loads(NETWORKED.read_text())
    document["network"]["interfaces"][1]["psk"] = "hunter2"
    path = tmp_path / "layout.json"
    path.write_text(json.dumps(document))
    with pytest.raises(LayoutError) as info:
        read_layout(path)
    assert info.value.problems == [
        f"{path}: $.network.interfaces[1]: Additional properties are not allowed ('psk' was unexpected)"
    ]


# --- validation -------------------------------------------------------------------------------------------


def test_addresses_macs_and_names_that_do_not_parse_are_named(layout: Layout) -> None:
    broken = with_interface(layout, "eno3", mac="52:54:00:aa:00", name="a name with spaces")
    broken = with_interface(broken, "br0", addresses=("203.0.113.5",), mtu=20)
    assert problems(broken) == [
        "$.network.interfaces[2] (eno3).name: 'a name with spaces' is not an interface name "
        "(at most 15 letters, digits, '_.:-')",
        "$.network.interfaces[2] (eno3).mac: '52:54:00:aa:00' is not a MAC address like '52:54:00:12:34:56'",
        "$.network.interfaces[5] (br0).mtu: 20 is outside 68-65535",
        "$.network.interfaces[5] (br0).addresses[0]: '203.0.113.5' is not an address with its prefix length, "
        "like '192.0.2.10/24'",
    ]


def test_two_nics_with_one_mac_could_not_be_told_apart(layout: Layout) -> None:
    broken = with_interface(layout, "eno4", mac="52:54:00:AA:00:01")
    assert problems(broken) == [
        "$.network.interfaces[3] (eno4).mac: 52:54:00:AA:00:01 is the MAC of another interface: "
        "the rescue system could not tell them apart"
    ]


def test_an_ipv6_scope_id_that_would_start_a_line_of_its_own_is_refused(layout: Layout) -> None:
    broken = with_interface(layout, "br0", addresses=("fe80::5%x\n[Link]\nUnmanaged=yes\nX=/64",))
    broken = with_network(broken, nameservers=("fe80::1%z\n[Resolve]\nLLMNR=yes",))
    assert problems(broken) == [
        "$.network.interfaces[5] (br0).addresses[0]: 'fe80::5%x\\n[Link]\\nUnmanaged=yes\\nX=/64' is not an address "
        "with its prefix length, like '192.0.2.10/24'",
        "$.network.nameservers[0]: 'fe80::1%z\\n[Resolve]\\nLLMNR=yes' is not an IP address",
    ]


def test_ids_make_file_names_and_numbers_must_be_whole(layout: Layout) -> None:
    broken = with_interface(layout, "eno3", id="nic/1")
    broken = with_interface(broken, "bond0", mtu=9000.0)
    broken = with_interface(broken, "bond0.20", vlan_id=20.0)
    assert broken.network is not None
    route = dataclasses.replace(broken.network.routes[1], metric=2**32)
    broken = with_network(broken, routes=(broken.network.routes[0], route))
    assert problems(broken) == [
        "$.network.interfaces[2] (nic/1).id: 'nic/1' is not an interface id (letters, digits, '_.:-', at most 64)",
        "$.network.interfaces[4] (bond0).mtu: 9000.0 is outside 68-65535",
        "$.network.interfaces[6] (bond0.20).vlan_id: a VLAN needs an id from 1 to 4094",
        "$.network.routes[1].metric: 4294967296 is not a route metric (0 to 4294967295)",
    ]


def test_one_address_on_two_interfaces_is_refused(layout: Layout) -> None:
    broken = with_interface(layout, "br0", addresses=("192.0.2.10/24",))
    assert problems(broken) == ["$.network.interfaces[5] (br0).addresses[0]: 192.0.2.10 is also on bond0"]


def test_bond_bridge_and_vlan_references_must_hold_together(layout: Layout) -> None:
    broken = with_interface(layout, "bond0", members=("eno1", "eno9", "eno4"))
    broken = with_interface(broken, "bond0.20", parent=None, vlan_id=5000)
    broken = with_interface(broken, "eno1", addresses=("192.0.2.99/24",), vlan_id=3)
    assert problems(broken) == [
        "$.network.interfaces[0] (eno1).vlan_id: only a VLAN has a VLAN id, not a ethernet",
        "$.network.interfaces[4] (bond0).members[0]: 'eno1' has addresses of its own: "
        "a member's addresses belong on 'bond0'",
        "$.network.interfaces[4] (bond0).members[1]: refers to 'eno9', which is not an interface of the layout",
        "$.network.interfaces[5] (br0).members[0]: 'eno4' is already a member of 'bond0'",
        "$.network.interfaces[6] (bond0.20).vlan_id: a VLAN needs an id from 1 to 4094",
        "$.network.interfaces[6] (bond0.20).parent: a VLAN needs the interface it runs on",
    ]


def test_routes_need_parsable_addresses_of_one_family_and_a_known_interface(layout: Layout) -> None:
    routes = (
        NetRoute(destination="default", gateway="192.0.2.1", interface="bond0"),
        NetRoute(destination="10.0.0.0/33", gateway="192.0.2.1"),
        NetRoute(destination="2001:db8:9::/48", gateway="192.0.2.1", interface="bond0"),
        NetRoute(destination="198.51.100.0/24", interface="eth7"),
        NetRoute(destination="198.51.100.0/24", gateway="gw.example"),
        NetRoute(destination="203.0.113.0/24"),
    )
    broken = with_network(layout, routes=routes, nameservers=("192.0.2.530",), search=("exa mple",))
    assert problems(broken) == [
        "$.network.routes[1].destination: '10.0.0.0/33' is neither 'default' nor a network like '198.51.100.0/24'",
        "$.network.routes[2].gateway: an IPv4 gateway for an IPv6 destination",
        "$.network.routes[3].interface: refers to 'eth7', which is not an interface of the layout",
        "$.network.routes[4].gateway: 'gw.example' is not an IP address",
        "$.network.routes[5]: a route needs a gateway or an interface",
        "$.network.nameservers[0]: '192.0.2.530' is not an IP address",
        "$.network.search[0]: 'exa mple' is not a domain name",
    ]


# --- the tree and drift ---------------------------------------------------------------------------------


def test_the_tree_ends_with_the_network_in_ascii(layout: Layout) -> None:
    text = render_tree(layout)
    tail = text.split("  * network\n", 1)[1].splitlines()
    assert tail[0] == "    - eno1  52:54:00:aa:00:01  in bond0  mtu 9000"
    assert "    - bond0  bond active-backup of eno1, eno2  192.0.2.10/24 2001:db8::10/64  mtu 9000" in tail
    assert "    - bond0.20  vlan 20 on bond0  198.51.100.10/24  mtu 9000" in tail
    assert "    - route 10.20.0.0/16 via 198.51.100.1 dev bond0.20 metric 100" in tail
    assert tail[-1] == "    - dns 192.0.2.53 2001:db8::53  search example.net"
    text.encode("ascii")


def test_a_layout_without_a_network_shows_none_and_has_no_drift_against_one(layout: Layout) -> None:
    bare = dataclasses.replace(layout, network=None)
    assert "network" not in render_tree(bare)
    assert compare_layouts(bare, layout) == []


def test_drift_finds_nics_by_mac_across_a_rename_and_reports_what_changed(layout: Layout) -> None:
    now = with_interface(layout, "eno3", name="enp3s0", dhcp4=False, addresses=("10.0.0.57/24",))
    now = with_interface(now, "bond0", bond_mode="802.3ad")
    assert now.network is not None
    now = with_network(
        now,
        interfaces=(*[i for i in now.network.interfaces if i.id != "eno4"], NetInterface(id="eno5", name="eno5")),
        routes=now.network.routes[:2],
        search=("example.org",),
    )
    now = with_interface(now, "br0", members=())
    assert compare_layouts(layout, now) == [
        "changed interface eno3 (now enp3s0): dhcp4 True -> False",
        "changed interface eno3 (now enp3s0): addresses [] -> [10.0.0.57/24]",
        "removed interface eno4  52:54:00:aa:00:04  no address",
        "changed interface bond0: bond_mode 'active-backup' -> '802.3ad'",
        "changed interface br0: members [eno4] -> []",
        "added interface eno5  no address",
        "removed route default via 2001:db8::1 dev bond0",
        "changed dns: search [example.net] -> [example.org]",
    ]


def test_a_network_captured_now_but_not_then_is_no_drift_and_one_lost_is(layout: Layout) -> None:
    bare = dataclasses.replace(layout, network=None)
    assert compare_layouts(layout, bare) == ["removed network: no interface captured now"]
    assert compare_layouts(bare, dataclasses.replace(layout, network=Network())) == []
