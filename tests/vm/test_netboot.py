"""Network boot of the rescue image from an S3 bucket: to the console's first screen, and a whole fleet recovery.

``rescue-tui publish`` puts two machines' layouts and the rescue image into a bucket of a real
S3 server (Ceph's radosgw on the host). A machine with no medium powers on: its NIC's iPXE
takes the bucket's ``boot.ipxe`` from DHCP (QEMU's user network, the bucket reached at
10.0.2.100:80), finds the machine's own script by the MAC it booted from, else by its DMI
serial, loads the kernel and the network initramfs over HTTP; live-boot fetches the squashfs
into RAM.

- ``web1``, found by MAC, has no disk: its console comes up with its own layout named on the
  command line, and fetches it from the bucket.
- ``web2``, whose NIC the layout does not know (a replaced board), is found by its DMI serial.
  Its script boots ``rescue.unattended``: it recovers itself onto its blank disks (RAID1 + LVM)
  from a restic repository in the same S3 server, the S3 keys and the repository password on a
  small disk of its own (``rescue.credentials_file=``, ``rescue.password_file=``). Its layout was
  published ``--private``: it reads it as ``s3://`` with the same keys. The files are
  on their filesystems and every identity field of its layout is on its disks afterwards. Its
  data is a few files, not a bootable system (see ``FLEET_FILES``): that a restored Debian boots
  is the drills' to prove.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from rescue_tui.drill.machine import ColdDisk, Image, Machine, UserNic
from rescue_tui.drill.media import blank_disks
from rescue_tui.drill.report import DrillReport
from rescue_tui.drill.run import check_identity, follow_phases
from rescue_tui.layout.validate import load_valid_layout
from tests.conftest import ROOT
from tests.integration.restore.s3 import S3Server
from tests.vm.conftest import _track
from tests.vm.test_apply_roundtrip import LAYOUTS
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
REPOSITORY = "netboot-repo"
"""The bucket of web2's restic repository."""
KEYS_LABEL = "rescuekeys"
WEB2_OPTIONS = (
    "rescue.unattended", "rescue.after=wait", f"rescue.backend=restic+s3:http://{SERVER}/{REPOSITORY}",
    f"rescue.backupdisk=LABEL={KEYS_LABEL}", "rescue.password_file=/mnt/backup/restic-password",
    "rescue.credentials_file=/mnt/backup/s3.env",
)  # fmt: skip


@dataclass(frozen=True)
class Published:
    layouts: dict[str, Path]
    """Machine's folder (``web1``, ``web2``) -> the layout published for it."""
    entry: str
    s3_port: int


def publish(s3: S3Server, image: Image, layout: Path, folder: str, *more: str) -> str:
    """``rescue-tui publish`` as an operator runs it; the URL machines boot."""
    done = subprocess.run(
        [sys.executable, "-m", "rescue_tui", "publish", "--to", f"s3://{BUCKET}/dc1/{folder}/",
         "--endpoint", s3.http, "--public-url", f"http://{SERVER}/{BUCKET}", "--layout", str(layout),
         "--image", str(image.dir), "--create-bucket", *more],
        capture_output=True, text=True, cwd=ROOT, timeout=600, env={**os.environ, **s3.env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1].removeprefix("machines boot: ")


@pytest.fixture(scope="module")
def published(rescue_image: Image, s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """Two machines' recovery sets in the bucket, put there by ``rescue-tui publish`` as an operator would."""
    tmp = tmp_path_factory.mktemp("netboot")
    web1 = json.loads((ROOT / "layouts" / "examples" / "raid1-lvm.json").read_text())
    web1["machine"]["hostname"] = "netboot-web1"
    web1["network"] = {"interfaces": [{"id": "eno1", "name": "eno1", "mac": MAC, "dhcp4": True}]}
    web2 = json.loads((LAYOUTS / "raid1-lvm.json").read_text())
    web2["machine"]["hostname"] = "netboot-web2"
    web2["boot"]["loader"] = "none"
    layouts = {"web1": tmp / "web1.json", "web2": tmp / "web2.json"}
    for folder, document in (("web1", web1), ("web2", web2)):
        layouts[folder].write_text(json.dumps(document, indent=2))
    publish(s3_server, rescue_image, layouts["web1"], "web1")
    options = [f"--boot-option={option}" for option in WEB2_OPTIONS]
    entry = publish(s3_server, rescue_image, layouts["web2"], "web2", "--serial", SERIAL, "--private", *options)
    return Published(layouts=layouts, entry=entry, s3_port=int(s3_server.http.rsplit(":", 1)[1]))


FLEET_FILES = {
    "etc/hostname": b"netboot-web2\n",
    "etc/os-release": b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
    "srv/www/index.html": b"<p>web2</p>\n",
    "var/lib/app/data.bin": bytes(range(256)) * 8192,
}
"""web2's data: a few files on each filesystem (``/``, ``/var``). Not a bootable system: the layout says it has no
boot loader, so finalize writes mdadm.conf and the report and installs nothing (a restic restore of the bootable
Debian the drills use took 351 s of TCG here, tar's 38 s: restic's AES runs without AES-NI on QEMU's CPU)."""


@pytest.fixture(scope="module")
def s3_repository(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> str:
    """web2's backup as a restic snapshot in S3; the repository's password."""
    tmp = tmp_path_factory.mktemp("repository")
    tree = tmp / "tree"
    for name, data in FLEET_FILES.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(data)
    (tree / "srv" / "www" / "current").symlink_to("index.html")
    password = tmp / "password"
    password.write_text("netboot fleet password\n")
    s3_server.restic_backup(REPOSITORY, tree, password, host="netboot-web2")
    return password.read_text()


def keys_disk(s3: S3Server, password: str, where: Path) -> Path:
    """A small ext4 disk (a USB stick) with the repository password and the S3 keys, mode 0600, owned by root."""
    content = where / "keys"
    content.mkdir(parents=True)
    (content / "restic-password").write_text(password)
    keys = {**s3.env, "AWS_ENDPOINT_URL": f"http://{SERVER}"}  # the repository's keys are the layout's too
    (content / "s3.env").write_text("".join(f"{name}={value}\n" for name, value in keys.items()))
    for name in ("restic-password", "s3.env"):
        (content / name).chmod(0o600)
    image = where / "keys.img"
    subprocess.run(["mkfs.ext4", "-q", "-L", KEYS_LABEL, "-d", str(content), str(image), "8M"], check=True)
    return image


def netbooted(
    request: pytest.FixtureRequest,
    image: Image,
    published: Published,
    workdir: Path,
    mac: str,
    *,
    dmi_serial: str | None = None,
    disks: tuple[ColdDisk, ...] = (),
) -> Machine:
    """A machine that boots from its NIC on QEMU's user network, the bucket's ``boot.ipxe`` as DHCP filename. The
    squashfs lives in its RAM, beside the recovery's tools: 1.5 GiB."""
    nic = UserNic(mac=mac, services=((SERVER, 80, published.s3_port),), bootfile=published.entry)
    vm = Machine(
        image=image, workdir=workdir, memory_mb=1536, nics=(nic,), network_boot=True, dmi_serial=dmi_serial,
        cold_disks=disks,
    )  # fmt: skip
    _track(request, vm)
    return vm


def test_a_diskless_machine_network_boots_its_rescue_image_and_layout_from_the_bucket_by_mac(
    request: pytest.FixtureRequest, rescue_image: Image, published: Published, tmp_path: Path
) -> None:
    vm = netbooted(request, rescue_image, published, tmp_path / "vm", MAC).start()
    try:
        seconds = vm.wait_first_screen(timeout=BOOT_TIMEOUT, press_enter_in_grub=False)
        record_timing("netboot: power-on to first screen", seconds)
        _shows_its_own_layout(vm, published)
    finally:
        vm.kill()


def _shows_its_own_layout(vm: Machine, published: Published) -> None:
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
    expected = hashlib.sha256(published.layouts["web1"].read_bytes()).hexdigest()
    assert vm.check(f"sha256sum < {fetched}").split()[0] == expected
    assert vm.check(f"rescue-tui layout validate {fetched}").startswith(f"{fetched}: valid")
    assert "netboot-web1" in vm.check(f"rescue-tui layout show {fetched} | head -3")


def test_a_machine_found_by_its_serial_recovers_itself_unattended_from_restic_on_s3(
    request: pytest.FixtureRequest,
    rescue_image: Image,
    published: Published,
    s3_repository: str,
    s3_server: S3Server,
    tmp_path: Path,
) -> None:
    layout = load_valid_layout(published.layouts["web2"])
    disks = blank_disks(layout, tmp_path / "disks")
    keys = ColdDisk(path=keys_disk(s3_server, s3_repository, tmp_path), serial="keys", fmt="raw", read_only=True)
    cold = (*(d.cold() for d in disks), keys)
    vm = netbooted(request, rescue_image, published, tmp_path / "vm", OTHER_MAC, dmi_serial=SERIAL, disks=cold)
    vm.start()
    try:
        shown = follow_phases(vm, lambda phase, seconds: record_timing(f"netboot fleet: {phase}", seconds),
                              phase_timeout=1200)  # fmt: skip
        # Published --private: the layout is read with the keys on the keys disk, not anonymously.
        assert f"rescue.layout=s3://{BUCKET}/dc1/web2/layout.json" in vm.check("cat /proc/cmdline")
        assert f"layout: fetched s3://{BUCKET}/dc1/web2/layout.json" in shown
        assert "recovering netboot-web2 onto" in shown
        verified = [line for line in shown.splitlines() if "; verified (" in line]
        assert verified and "restic" in verified[-1], shown[-3000:]
        # The recovery leaves the restored tree mounted under /mnt/target: the files are there, on their filesystems.
        for name, data in FLEET_FILES.items():
            assert vm.check(f"sha256sum < /mnt/target/{name}").split()[0] == hashlib.sha256(data).hexdigest(), name
        assert vm.check("readlink /mnt/target/srv/www/current").strip() == "index.html"
        assert "ARRAY " in vm.check("cat /mnt/target/etc/mdadm/mdadm.conf")  # finalize's, for the new array
        assert vm.check("ls /mnt/target/var/log/rescue-tui/").count(".json") == 1  # the recovery's report
        report = DrillReport(layout="web2", hostname="netboot-web2", backend="restic+s3", firmware="bios", image="")
        check_identity(vm, layout, disks, report, lambda said: None)
        assert [c.ok for c in report.checks] == [True], report.checks
    finally:
        vm.kill()
