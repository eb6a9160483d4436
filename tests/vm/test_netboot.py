"""Network boot of the rescue image from an S3 bucket, to the console's first screen.

``rescue-tui publish`` puts a machine's layout and the rescue image into a bucket of a real
S3 server (Ceph's radosgw on the host). A machine with no disk and no medium powers on: its
NIC's iPXE takes the bucket's ``boot.ipxe`` from DHCP (QEMU's user network, the bucket
reached at 10.0.2.100:80), finds the machine's own script by the MAC it booted from (or, for
a NIC the layout does not know, by the DMI serial), loads the kernel and the network
initramfs over HTTP; live-boot fetches the squashfs into RAM; the console comes up with the
machine's own layout named on its command line, and fetches it from the bucket.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rescue_tui.drill.machine import Image, Machine, UserNic
from tests.conftest import ROOT
from tests.integration.restore.s3 import S3Server
from tests.vm.conftest import _track
from tests.vm.timings import record_timing

pytestmark = pytest.mark.vm

SERVER = "10.0.2.100"
"""The S3 server as the guest reaches the host's (guestfwd)."""
BUCKET = "netboot"
MAC = "52:54:00:5e:00:60"
"""The machine's NIC, in its layout: found by MAC."""
OTHER_MAC = "52:54:00:5e:00:61"
"""A NIC the layout does not know (a replaced board): the machine is found by its DMI serial."""
SERIAL = "RT-NETBOOT-7"
BOOT_TIMEOUT = 420.0


@dataclass(frozen=True)
class Published:
    layout: Path
    entry: str
    s3_port: int


@pytest.fixture(scope="module")
def published(rescue_image: Image, s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """The machine's recovery set in the bucket, put there by ``rescue-tui publish`` as an operator would."""
    tmp = tmp_path_factory.mktemp("netboot")
    document = json.loads((ROOT / "layouts" / "examples" / "raid1-lvm.json").read_text())
    document["machine"]["hostname"] = "netboot-web1"
    document["network"] = {"interfaces": [{"id": "eno1", "name": "eno1", "mac": MAC, "dhcp4": True}]}
    layout = tmp / "layout.json"
    layout.write_text(json.dumps(document, indent=2))
    done = subprocess.run(
        [sys.executable, "-m", "rescue_tui", "publish", "--to", f"s3://{BUCKET}/dc1/web1/",
         "--endpoint", s3_server.http, "--public-url", f"http://{SERVER}/{BUCKET}", "--layout", str(layout),
         "--image", str(rescue_image.dir), "--serial", SERIAL, "--create-bucket"],
        capture_output=True, text=True, cwd=ROOT, timeout=600, env={**os.environ, **s3_server.env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    entry = done.stdout.splitlines()[-1].removeprefix("machines boot: ")
    return Published(layout=layout, entry=entry, s3_port=int(s3_server.http.rsplit(":", 1)[1]))


@pytest.fixture
def netbooted(
    request: pytest.FixtureRequest, rescue_image: Image, published: Published, tmp_path: Path
) -> Iterator[Machine]:
    mac, serial = request.param
    nic = UserNic(mac=mac, services=((SERVER, 80, published.s3_port),), bootfile=published.entry)
    vm = Machine(image=rescue_image, workdir=tmp_path / "vm", nics=(nic,), network_boot=True, dmi_serial=serial)
    _track(request, vm)
    vm.start()
    try:
        yield vm
    finally:
        vm.kill()


@pytest.mark.parametrize(
    "netbooted", [pytest.param((MAC, None), id="by-mac"), pytest.param((OTHER_MAC, SERIAL), id="by-serial")],
    indirect=True,
)  # fmt: skip
def test_a_machine_network_boots_its_rescue_image_and_layout_from_the_bucket(
    netbooted: Machine, published: Published, request: pytest.FixtureRequest
) -> None:
    vm = netbooted
    seconds = vm.wait_first_screen(timeout=BOOT_TIMEOUT, press_enter_in_grub=False)
    record_timing(f"netboot: power-on to first screen ({request.node.callspec.id})", seconds)
    layout_url = f"http://{SERVER}/{BUCKET}/dc1/web1/layout.json"
    cmdline = vm.check("cat /proc/cmdline").split()
    assert f"rescue.layout={layout_url}" in cmdline, cmdline
    assert any(word.startswith(f"fetch=http://{SERVER}/{BUCKET}/images/") for word in cmdline), cmdline
    # No medium: live-boot downloaded the squashfs into RAM.
    assert vm.check("findmnt -n -o FSTYPE /run/live/medium").strip() == "ramfs"
    # The rescue system fetches the layout the script named, the machine's own, and takes it as valid.
    fetched = vm.check(
        "python3 -c 'from pathlib import Path; from rescue_tui.remote.fetch import fetch;"
        f' print(fetch("{layout_url}", Path("/run/rescue-tui/fetched")))\''
    ).strip()
    assert vm.check(f"sha256sum < {fetched}").split()[0] == hashlib.sha256(published.layout.read_bytes()).hexdigest()
    assert vm.check(f"rescue-tui layout validate {fetched}").startswith(f"{fetched}: valid")
    started = time.monotonic()
    assert "netboot-web1" in vm.check(f"rescue-tui layout show {fetched} | head -3")
    assert time.monotonic() - started < 60
