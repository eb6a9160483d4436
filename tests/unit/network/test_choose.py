"""Which interface gets what: by MAC, by name, left out; and the files networkd is given for it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.model import Network
from rescue_tui.network.choose import choose
from rescue_tui.network.cmdline import parse_net
from rescue_tui.network.links import Link, present_links
from rescue_tui.network.networkd import render
from tests.conftest import DATA


@pytest.fixture
def network() -> Network:
    layout = read_layout(DATA / "layouts" / "good" / "networked.json")
    assert layout.network is not None
    return layout.network


def test_only_wired_devices_count_as_present(sys_net: Path) -> None:
    assert present_links(sys_net) == [
        Link("eno3", "52:54:00:bb:00:0a"),
        Link("enp1s0", "52:54:00:aa:00:01"),
        Link("enp2s0", "52:54:00:bb:00:09"),
    ]


def test_by_mac_then_by_name_then_left_out_with_what_stood_on_it(network: Network, sys_net: Path) -> None:
    choice = choose(network, "/l.json", parse_net([]), present_links(sys_net))
    assert choice.lines == (
        "eno1: found by MAC 52:54:00:aa:00:01 (named enp1s0 here)",
        "eno2: not here (MAC 52:54:00:aa:00:02, no interface of that name); left out",
        "eno3: no interface here has MAC 52:54:00:aa:00:03; found by name",
        "eno4: not here (MAC 52:54:00:aa:00:04, no interface of that name); left out",
        "br0: left out (none of the interfaces it is built on is here)",
        "eno3: dhcp ipv6 autoconf",
        "bond0: bond active-backup of enp1s0: 192.0.2.10/24 2001:db8::10/64",
        "bond0.20: vlan 20 on bond0: 198.51.100.10/24",
        "DHCP on every other wired link",
    )
    assert choice.matched == {"eno1": "mac", "eno3": "name"}
    assert choice.source == "layout /l.json"
    assert choice.summary == "layout /l.json: eno1 by MAC, eno3 by name; not here: eno2, eno4"
    assert [i.name for i in choice.network.interfaces] == ["enp1s0", "eno3", "bond0", "bond0.20"]
    assert choice.network.nameservers == network.nameservers


def test_the_files_bond_the_nic_found_by_its_permanent_mac_and_hang_the_vlan_on_the_bond(
    network: Network, sys_net: Path
) -> None:
    files = render(choose(network, "/l.json", parse_net([]), present_links(sys_net)))
    assert sorted(files) == [
        "/run/systemd/network/10-rescue-bond0.20.netdev",
        "/run/systemd/network/10-rescue-bond0.20.network",
        "/run/systemd/network/10-rescue-bond0.netdev",
        "/run/systemd/network/10-rescue-bond0.network",
        "/run/systemd/network/10-rescue-eno1.network",
        "/run/systemd/network/10-rescue-eno3.network",
        "/run/systemd/resolved.conf.d/rescue-tui.conf",
    ]
    nic = files["/run/systemd/network/10-rescue-eno1.network"]
    assert "[Match]\nPermanentMACAddress=52:54:00:aa:00:01\n" in nic
    assert "Bond=bond0\n" in nic and "\nAddress=" not in nic
    bond = files["/run/systemd/network/10-rescue-bond0.network"]
    assert "[Match]\nName=bond0\n" in bond
    assert "Address=192.0.2.10/24\nAddress=2001:db8::10/64\nVLAN=bond0.20\n" in bond
    assert "[Route]\nGateway=192.0.2.1\n" in bond and "[Route]\nGateway=2001:db8::1\n" in bond
    assert "Mode=active-backup" in files["/run/systemd/network/10-rescue-bond0.netdev"]
    assert "[VLAN]\nId=20\n" in files["/run/systemd/network/10-rescue-bond0.20.netdev"]
    vlan = files["/run/systemd/network/10-rescue-bond0.20.network"]
    assert "[Route]\nDestination=10.20.0.0/16\nGateway=198.51.100.1\nMetric=100\n" in vlan
    assert "DHCP=ipv4\nIPv6AcceptRA=yes\n" in files["/run/systemd/network/10-rescue-eno3.network"]
    assert "[Match]\nName=eno3\n" in files["/run/systemd/network/10-rescue-eno3.network"]
    assert files["/run/systemd/resolved.conf.d/rescue-tui.conf"].endswith(
        "DNS=192.0.2.53 2001:db8::53\nDomains=example.net\n"
    )


def test_nothing_of_the_layout_here_is_dhcp_everywhere_and_no_foreign_dns(network: Network) -> None:
    choice = choose(network, "/l.json", parse_net([]), [Link("ens9", "52:54:00:cc:00:01")])
    assert choice.lines[-1] == "no interface of the layout is here: DHCP on every wired link"
    assert choice.summary == "layout /l.json: none of its interfaces is here: DHCP"
    assert choice.fallback_dhcp
    assert render(choice) == {}, "the image's own DHCP-everywhere file does it; no DNS the links cannot reach"


def test_without_a_layout_network_it_is_dhcp_everywhere(sys_net: Path) -> None:
    assert choose(None, "", parse_net([]), present_links(sys_net)).lines == ("DHCP on every wired link (no layout)",)
    choice = choose(Network(), "/l.json", parse_net([]), present_links(sys_net))
    assert choice.lines == ("DHCP on every wired link (the layout has no network)",)


def test_rescue_net_replaces_the_layout_and_turns_the_dhcp_fallback_off(network: Network, sys_net: Path) -> None:
    choice = choose(network, "/l.json", parse_net(["192.0.2.7:::24::enp2s0:none"]), present_links(sys_net))
    assert choice.lines == ("enp2s0: 192.0.2.7/24 (rescue.net=)",)
    assert choice.summary == "rescue.net=: enp2s0"
    files = render(choice)
    assert sorted(files) == ["/run/systemd/network/10-rescue-enp2s0.network", "/run/systemd/network/80-dhcp.network"]
    assert "Unmanaged=yes" in files["/run/systemd/network/80-dhcp.network"]


@pytest.mark.parametrize(
    "values",
    [
        ["192.0.2.7:::24::enp2s0:none", "eth5:dhcp"],  # a NIC that is not here
        ["192.0.2.7:::24::enp2s0:static"],  # a typo: nothing usable
        ["enp2s0:dhcp:²"],  # not an MTU
        [""],
    ],
)
def test_a_rescue_net_that_cannot_all_be_done_keeps_dhcp_on_the_other_links(
    network: Network, sys_net: Path, values: list[str]
) -> None:
    choice = choose(network, "/l.json", parse_net(values), present_links(sys_net))
    assert choice.fallback_dhcp
    assert choice.lines[-1] == "DHCP on every other wired link (not all of rescue.net= could be used)"
    assert "/run/systemd/network/80-dhcp.network" not in render(choice)


def test_an_idle_nic_gets_no_file_and_so_keeps_the_dhcp_fallback(network: Network) -> None:
    idle = dataclasses.replace(network, interfaces=(network.interfaces[3],), routes=(), nameservers=(), search=())
    choice = choose(idle, "/l.json", parse_net([]), [Link("eno4", "52:54:00:aa:00:04")])
    assert choice.matched == {"eno4": "mac"}
    assert render(choice) == {}


def test_a_value_that_is_not_one_word_is_never_written(network: Network, sys_net: Path) -> None:
    choice = choose(network, "/l.json", parse_net([]), present_links(sys_net))
    bad = dataclasses.replace(
        choice, network=dataclasses.replace(choice.network, nameservers=("fe80::1%x\n[Resolve]",))
    )
    with pytest.raises(ValueError, match="not one printable word"):
        render(bad)


def test_rescue_net_off_leaves_every_link_unmanaged(network: Network, sys_net: Path) -> None:
    choice = choose(network, "/l.json", parse_net(["off"]), present_links(sys_net))
    assert choice.lines == ("network off (rescue.net=off)",)
    assert list(render(choice)) == ["/run/systemd/network/80-dhcp.network"]


def test_a_mac_claimed_once_is_not_given_to_a_second_interface(network: Network) -> None:
    twin = dataclasses.replace(network.interfaces[2], id="eno9", name="eno9", mac="52:54:00:aa:00:01")
    layout = dataclasses.replace(network, interfaces=(network.interfaces[0], twin))
    choice = choose(layout, "/l.json", parse_net([]), [Link("eth0", "52:54:00:aa:00:01")])
    assert choice.matched == {"eno1": "mac"}
