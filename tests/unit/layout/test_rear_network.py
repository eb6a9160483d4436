"""ReaR's rescue network (``60-network-devices.sh``, ``62-routing.sh``, MACs, resolv.conf) read into a layout's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rescue_tui.errors import RearImportError
from rescue_tui.layout.model import NetInterface, NetRoute
from rescue_tui.layout.rear_import.network import DEVICES, ROUTING, read_rear_network
from tests.conftest import DATA

SAMPLE = DATA / "rear" / "rescue-root-debian12"


def test_what_rear_mkrescue_wrote_becomes_the_layouts_network_and_its_preamble_is_passed_over() -> None:
    network, notes = read_rear_network(SAMPLE)
    assert network.interfaces == (
        NetInterface(id="eth0", name="eth0", mac="02:fc:00:00:00:01", mtu=1400,
                     addresses=("192.0.2.2/24", "fd00::2/64")),
    )  # fmt: skip
    assert network.routes == (
        NetRoute(destination="default", gateway="192.0.2.1", interface="eth0"),
        NetRoute(destination="default", gateway="fd00::1", interface="eth0"),
    )
    assert network.nameservers == ("10.255.255.53",)
    assert notes == [], "the scripts' own preamble (on variables) is not the machine's network"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copy = tmp_path / "rootfs"
    shutil.copytree(SAMPLE, copy)
    return copy


def test_a_command_it_does_not_import_is_named_in_a_note_with_its_line(root: Path) -> None:
    with (root / DEVICES).open("a") as script:
        script.write("ip link add link eth0 name eth0.42 type vlan id 42\nip addr add 198.51.100.7/24 dev eth0.42\n")
    with (root / ROUTING).open("a") as script:
        script.write("ip route add 203.0.113.0/24 dev eth0 table main\n")
    network, notes = read_rear_network(root)
    devices = len((root / DEVICES).read_text().splitlines())
    assert notes == [
        f"{root / DEVICES}:{devices - 1}: not imported (only addresses and MTUs are): "
        "ip link add link eth0 name eth0.42 type vlan id 42",
        f"{root / ROUTING}:{len((root / ROUTING).read_text().splitlines())}: not imported (only routes through a "
        "gateway are): ip route add 203.0.113.0/24 dev eth0 table main",
    ]
    assert [i.name for i in network.interfaces] == ["eth0", "eth0.42"]


@pytest.mark.parametrize(
    ("script", "line", "message"),
    [
        (DEVICES, "ip addr add 192.0.2.300/24 dev eth0", "'192.0.2.300/24' is not an address with its prefix length"),
        (DEVICES, "ip link set dev eth0 mtu 12", "MTU 12 is out of range (68-65535)"),
        (ROUTING, "ip route add default via gateway dev eth0 table main", "'gateway' is not an address"),
        (ROUTING, "ip route add 10.0.0.0/33 via 192.0.2.1 dev eth0", "'10.0.0.0/33' is not a network"),
    ],
)
def test_a_bad_value_is_one_error_naming_the_file_and_line(root: Path, script: Path, line: str, message: str) -> None:
    with (root / script).open("a") as handle:
        handle.write(line + "\n")
    number = len((root / script).read_text().splitlines())
    with pytest.raises(RearImportError) as raised:
        read_rear_network(root)
    assert raised.value.message == f"{root / script}:{number}: {message}"


def test_a_directory_that_is_not_a_rescue_root_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RearImportError, match="not the root of a ReaR rescue system"):
        read_rear_network(tmp_path)


def test_a_damaged_mac_list_names_its_line(root: Path) -> None:
    (root / "etc" / "mac-addresses").write_text("eth0 02:fc:00:00:00:01\neth1 not-a-mac\n")
    with pytest.raises(RearImportError, match=r"mac-addresses:2: expected 'NAME MAC'"):
        read_rear_network(root)
