"""``rescue.net=``: dracut's ``ip=`` forms, and one line naming each value that does not parse."""

from __future__ import annotations

import pytest

from rescue_tui.layout.model import NetInterface, NetRoute
from rescue_tui.network.cmdline import NetRequest, net_values, parse_net


def test_no_option_is_no_request() -> None:
    assert parse_net([]) == NetRequest()


@pytest.mark.parametrize(
    ("value", "dhcp", "auto6"), [("dhcp", True, False), ("on", True, False), ("auto6", False, True)]
)
def test_the_everywhere_forms(value: str, dhcp: bool, auto6: bool) -> None:
    request = parse_net([value])
    assert (request.given, request.dhcp_everywhere, request.autoconf_everywhere, request.off) == (
        True,
        dhcp,
        auto6,
        False,
    )
    assert request.network.interfaces == ()


def test_a_static_address_with_gateway_mtu_and_a_dotted_mask() -> None:
    request = parse_net(["192.0.2.5::192.0.2.1:255.255.255.128:host:eth0:none:9000"])
    assert request.network.interfaces == (NetInterface(id="eth0", name="eth0", mtu=9000, addresses=("192.0.2.5/25",)),)
    assert request.network.routes == (NetRoute(destination="default", gateway="192.0.2.1", interface="eth0"),)
    assert request.problems == ()


def test_ipv6_in_brackets_and_dns_servers_after_the_mode() -> None:
    request = parse_net(["[2001:db8::5]::[2001:db8::1]:64::eth0:off:[2001:db8::53]:192.0.2.53"])
    assert request.network.interfaces[0].addresses == ("2001:db8::5/64",)
    assert request.network.routes[0].gateway == "2001:db8::1"
    assert request.network.nameservers == ("2001:db8::53", "192.0.2.53")


def test_two_values_for_one_interface_add_up_and_an_interface_can_take_dhcp() -> None:
    request = parse_net(["192.0.2.5:::24::eth0:none", "[2001:db8::5]:::64::eth0:none", "eth1:dhcp:1400"])
    assert [(i.name, i.addresses, i.dhcp4, i.mtu) for i in request.network.interfaces] == [
        ("eth0", ("192.0.2.5/24", "2001:db8::5/64"), False, None),
        ("eth1", (), True, 1400),
    ]


def test_off_wins_and_says_so_when_given_with_more() -> None:
    request = parse_net(["off", "eth0:dhcp"])
    assert request.off and not request.dhcp_everywhere and request.network.interfaces == ()
    assert request.problems == ("rescue.net=off: given with other rescue.net= options: the network stays off",)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("bogus", "rescue.net=bogus: not dhcp, off, IFACE:dhcp nor IP::GW:MASK:HOST:IFACE:none; left out"),
        (
            "192.0.2.5:::24:::none",
            "rescue.net=192.0.2.5:::24:::none: name the interface (the 6th field): "
            "this rescue system does not guess which link it is; left out",
        ),
        (
            "192.0.2.500:::24::eth0:none",
            "rescue.net=192.0.2.500:::24::eth0:none: '192.0.2.500' is not an IP address; left out",
        ),
        (
            "192.0.2.5:::255.0.255.0::eth0:none",
            "rescue.net=192.0.2.5:::255.0.255.0::eth0:none: '255.0.255.0' is not "
            "a netmask for 192.0.2.5 (dotted, or a prefix length); left out",
        ),
        (
            "192.0.2.5::[2001:db8::1]:24::eth0:none",
            "rescue.net=192.0.2.5::[2001:db8::1]:24::eth0:none: gateway "
            "2001:db8::1 is IPv6, the address IPv4; left out",
        ),
        (
            "192.0.2.5:::24::eth0:static",
            "rescue.net=192.0.2.5:::24::eth0:static: 'static' is not one of none, off, "
            "dhcp, on, any, dhcp6, auto6; left out",
        ),
        ("eth0:dhcp:12", "rescue.net=eth0:dhcp:12: '12' is not an MTU (68-65535); left out"),
        ("eth0/x:dhcp", "rescue.net=eth0/x:dhcp: 'eth0/x' is not an interface name; left out"),
        (
            "eth0:dhcp::52:54:00:00:00:01",
            "rescue.net=eth0:dhcp::52:54:00:00:00:01: a MAC address to set ('52:54:00:00:00:01') "
            "is not taken; left out",
        ),
        ("eth0:dhcp:²", "rescue.net=eth0:dhcp:²: '²' is not an MTU (68-65535); left out"),
        (
            "192.0.2.5:::²::eth0:none",
            "rescue.net=192.0.2.5:::²::eth0:none: '²' is not a netmask for 192.0.2.5 "
            "(dotted, or a prefix length); left out",
        ),
        (
            "192.0.2.5::192.0.2.1:::eth0:none",
            "rescue.net=192.0.2.5::192.0.2.1:::eth0:none: give the netmask or "
            "prefix length (the 4th field) of 192.0.2.5; left out",
        ),
        (
            "192.0.2.5:::0::eth0:none",
            "rescue.net=192.0.2.5:::0::eth0:none: '0' is not a netmask for 192.0.2.5 "
            "(dotted, or a prefix length); left out",
        ),
        (
            "192.0.2.5:::0.0.255.255::eth0:none",
            "rescue.net=192.0.2.5:::0.0.255.255::eth0:none: '0.0.255.255' is "
            "not a netmask for 192.0.2.5 (dotted, or a prefix length); left out",
        ),
        (
            "192.0.2.5::10.0.0.1:24::eth0:none",
            "rescue.net=192.0.2.5::10.0.0.1:24::eth0:none: gateway 10.0.0.1 is "
            "outside 192.0.2.0/24, so it cannot be reached; left out",
        ),
        (
            "[fe80::5%x]:::64::eth0:none",
            "rescue.net=[fe80::5%x]:::64::eth0:none: 'fe80::5%x' is not an IP address; left out",
        ),
        (
            "192.0.2.5:::24::eth0:none:dns.example",
            "rescue.net=192.0.2.5:::24::eth0:none:dns.example: 'dns.example' "
            "is neither an MTU nor a DNS server address; left out",
        ),
    ],
)
def test_a_value_that_does_not_parse_is_named_and_left_out(value: str, problem: str) -> None:
    request = parse_net([value, "eth2:dhcp"])
    assert request.problems == (problem,)
    assert [i.name for i in request.network.interfaces] == ["eth2"], "the other values still apply"


def test_values_are_taken_from_a_split_command_line_in_order() -> None:
    assert net_values(["boot=live", "rescue.net=eth0:dhcp", "rescue.netx=1", "rescue.net=off"]) == ["eth0:dhcp", "off"]
