"""Unattended recovery from the kernel command line, where it must refuse: a disk that holds data.

The machine powers on with its disks and the backup disk plugged in and the
rescue image booted with ``rescue.unattended``, the backup named by
``rescue.backend=`` on the disk ``rescue.backupdisk=`` names (the layout file
lies beside the archive: ``rescue.layout=``). Then nothing is typed. A target
holding a filesystem that ``rescue.wipe=`` does not name: it stops before
writing, says why on the serial console, and the disks are untouched.

The same boot has a NIC on a link where nothing answers (no DHCP server):
the layout's network (the NIC by its MAC, under another name than the
original's) gives it its static address, which the guest uses on the wire.
A second NIC on QEMU's isolated user network forwards a host port to sshd:
the operator's key (``rescue.ssh_keys=https://...``, fetched from the host's
web server and checked with the CA ``rescue.ca_file=`` names on the backup
disk) logs in to the console that follows the refused recovery; other keys
and passwords do not. Through the same NIC, onto a disk hot-plugged afterwards
and recreated each time from mbr-logical's layout (``rescue-tui recover``:
apply, mount, restore, verify, finalize), the rescue system recovers from the
network backends the other drills do not: restic on a REST server (rclone's),
a tar archive on an SMB share (Samba's smbd), a tree by rsync and a borg
archive over ssh (the host's sshd, its key pinned by fingerprint). NFS and
HTTPS are the console drills', restic on S3 the network-booted fleet machine's.

The unattended recovery that works, and the second boot of the same medium
that refuses, are ``rescue-tui drill``'s (``test_drill``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

from rescue_tui.drill.machine import ColdDisk, Image, Machine, Nic, UserNic
from rescue_tui.drill.run import CONSOLE
from rescue_tui.ssh.keys import parse_keys
from tests.integration.restore.helpers import run_cli, stop, wait_for_port
from tests.integration.restore.sshd import Sshd
from tests.integration.restore.tls import TestCa, serve_https
from tests.vm.conftest import _track
from tests.vm.console import SerialConsole
from tests.vm.smb_server import SmbServer
from tests.vm.target import TargetArchive
from tests.vm.test_apply_roundtrip import LAYOUTS
from tests.vm.timings import record_timing

pytestmark = pytest.mark.vm

SIZES = ("1536M", "1536M")
"""raid1-lvm's two disks, as the drills make them."""
OPTIONS = (
    "rescue.unattended rescue.backupdisk=/dev/disk/by-id/virtio-backup "
    "rescue.layout=/mnt/backup/layout.json rescue.backend=tar:/mnt/backup/vm-raid.tar.zst"
)
REFUSED = "Unattended recovery stopped before writing anything:"
WAITING = "Press Enter for the recovery console."


MAC = "52:54:00:5e:00:10"
ADDRESS = "192.0.2.10"
GATEWAY = "192.0.2.1"
NETWORK = {
    "interfaces": [{"id": "eno1", "name": "eno1", "mac": MAC, "addresses": [f"{ADDRESS}/24", "2001:db8::10/64"]}],
    "routes": [{"destination": "default", "gateway": GATEWAY, "interface": "eno1"}],
    "nameservers": ["192.0.2.53"],
}
"""The original machine's network: its NIC was eno1; the rescue system names it otherwise."""
SSH_MAC = "52:54:00:5e:00:22"
SERVER = "10.0.2.100"
"""The operator's web server, as the guest reaches the host's on QEMU's user network (guestfwd)."""
KEYS_BY_URL = f"rescue.ssh_keys=https://{SERVER}/authorized_keys"


def backup_disk(archive: TargetArchive, workdir: Path, files: dict[str, Path] | None = None) -> Path:
    """A copy of the backup medium with the layout (and its network) and ``files`` beside the archive (debugfs: no
    host mount)."""
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / "backup.img"
    subprocess.run(["cp", "--sparse=always", str(archive.medium), str(copy)], check=True)
    document = json.loads((LAYOUTS / "raid1-lvm.json").read_text())
    document["network"] = NETWORK
    layout = workdir / "layout.json"
    layout.write_text(json.dumps(document, indent=2))
    subprocess.run(["debugfs", "-w", "-R", f"write {layout} layout.json", str(copy)], check=True, capture_output=True)
    for name, path in (files or {}).items():
        subprocess.run(["debugfs", "-w", "-R", f"write {path} {name}", str(copy)], check=True, capture_output=True)
    return copy


def blank_disks(workdir: Path) -> list[ColdDisk]:
    workdir.mkdir(parents=True, exist_ok=True)
    disks = []
    for index, size in enumerate(SIZES, 1):
        path = workdir / f"disk{index}.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), size], check=True)
        disks.append(ColdDisk(path=path, serial=f"disk{index}"))
    return disks


def keep(paths: list[Path], where: Path) -> list[Path]:
    """Copies of the disk images as they are now (sparse), to compare with later."""
    where.mkdir(parents=True, exist_ok=True)
    copies = [where / path.name for path in paths]
    for path, copy in zip(paths, copies, strict=True):
        subprocess.run(["cp", "--sparse=always", str(path), str(copy)], check=True)
    return copies


def unchanged(paths: list[Path], kept: list[Path]) -> bool:
    """Every disk holds what its copy holds (``qemu-img compare``: guest-visible content, any format)."""
    for path, copy in zip(paths, kept, strict=True):
        done = subprocess.run(["qemu-img", "compare", "-U", str(copy), str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            return False
    return True


def free_port(kind: socket.SocketKind = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Wire:
    """The other end of the guest's link: every frame the guest sent, read from a UDP socket (QEMU's socket netdev)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.frames: list[bytes] = []

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def read(self) -> list[bytes]:
        while True:
            try:
                self.frames.append(self.sock.recv(65536))
            except BlockingIOError:
                return self.frames

    def arp_requests(self, sender_mac: str) -> list[tuple[str, str]]:
        """(sender IP, target IP) of the ARP requests sent from this MAC."""
        mac = bytes.fromhex(sender_mac.replace(":", ""))
        out = []
        for f in self.read():
            if len(f) >= 42 and f[6:12] == mac and f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x01":
                out.append((socket.inet_ntoa(f[28:32]), socket.inet_ntoa(f[38:42])))
        return out

    def dhcp_requests(self, sender_mac: str) -> int:
        """How many IPv4 UDP datagrams to port 67 (DHCP's server port) this MAC sent."""
        mac = bytes.fromhex(sender_mac.replace(":", ""))
        count = 0
        for f in self.read():
            if len(f) < 34 or f[6:12] != mac or f[12:14] != b"\x08\x00" or f[23] != 17:
                continue
            ihl = (f[14] & 0x0F) * 4
            if len(f) >= 14 + ihl + 4 and struct.unpack("!H", f[14 + ihl + 2 : 14 + ihl + 4])[0] == 67:
                count += 1
        return count


@dataclass
class Refused:
    vm: Machine
    shown: str
    disks: list[ColdDisk]
    before: list[Path]
    wire: Wire
    ssh_port: int
    keys: Path
    """A directory holding ``operator`` (its key may log in) and ``stranger`` (its key may not)."""


DATA = bytes(range(256)) * 4096


def host_tree(root: Path, hostname: str) -> Path:
    """What each network backend's backup holds: the host's name, 1 MiB on /srv (a filesystem of its own in
    mbr-logical) and a symlink to it."""
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "hostname").write_text(f"{hostname}\n")
    (root / "srv").mkdir()
    (root / "srv" / "data.bin").write_bytes(DATA)
    (root / "srv" / "current").symlink_to("data.bin")
    return root


@pytest.fixture(scope="module")
def smb_share(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmbServer]:
    """A share holding a backup made by ``rescue-tui backup`` (archive, checksums, manifest), read-only."""
    tmp = tmp_path_factory.mktemp("smb")
    tree, share = host_tree(tmp / "tree", "smbhost"), tmp / "share"
    share.mkdir()
    made = run_cli("backup", "--backend", f"tar:{share}/smbhost.tar.zst", "--source", str(tree))
    assert made.returncode == 0, made.stderr
    server = SmbServer(share, tmp / "work").start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class OverSsh:
    """What the host's sshd serves: a copy of a tree (rsync) and a borg repository of the same tree."""

    sshd: Sshd
    tree: Path
    borg_repo: Path
    passphrase: Path


@pytest.fixture(scope="module")
def over_ssh(sshd: Sshd, tmp_path_factory: pytest.TempPathFactory) -> OverSsh:
    tmp = tmp_path_factory.mktemp("over-ssh")
    tree = host_tree(tmp / "tree", "sshhost")
    passphrase = tmp / "passphrase"
    passphrase.write_text("borg over ssh in the rescue system\n")
    env = {
        **os.environ,
        "BORG_PASSPHRASE": passphrase.read_text().strip(),
        "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes",
    }
    repo = tmp / "borg"
    subprocess.run(
        ["borg", "init", "--encryption", "repokey-blake2", str(repo)], env=env, check=True, capture_output=True
    )
    subprocess.run(["borg", "create", "--numeric-ids", f"{repo}::sshhost", "."], env=env, cwd=tree, check=True,
                   capture_output=True)  # fmt: skip
    return OverSsh(sshd=sshd, tree=tree, borg_repo=repo, passphrase=passphrase)


@pytest.fixture(scope="module")
def refused(
    rescue_image: Image,
    target_archive: TargetArchive,
    tmp_path_factory: pytest.TempPathFactory,
    smb_share: SmbServer,
    over_ssh: OverSsh,
    restic_tree: ResticTree,
) -> Iterator[Refused]:
    """One unattended boot onto a disk holding data, with a NIC; waited for until it refused."""
    tmp_path = tmp_path_factory.mktemp("unattended")
    disks = blank_disks(tmp_path / "disks")
    used = tmp_path / "disks" / "disk2.raw"  # an old filesystem on the second disk
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(used), SIZES[1]], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "olddata", str(used)], check=True)
    disks[1] = ColdDisk(path=used, serial="disk2", fmt="raw")
    before = keep([d.path for d in disks], tmp_path / "before")
    keys = tmp_path / "keys"
    keys.mkdir()
    for who in ("operator", "stranger"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / who)], check=True)
    # The operator's keys on a web server of theirs, its certificate from their own CA, which is on the backup disk.
    (tmp_path / "ca").mkdir()
    ca = TestCa.make(tmp_path / "ca")
    (tmp_path / "www").mkdir()
    shutil.copyfile(keys / "operator.pub", tmp_path / "www" / "authorized_keys")
    https, server = serve_https(tmp_path / "www", *ca.sign("keys", f"IP:{SERVER}"))
    medium = backup_disk(target_archive, tmp_path / "backup", {"ca.pem": ca.certificate})
    backup = ColdDisk(path=medium, serial="backup", fmt="raw", read_only=True)
    wire = Wire()
    ssh_port = free_port(socket.SOCK_STREAM)
    vm = Machine(
        image=rescue_image,
        workdir=tmp_path / "vm",
        append=f"{CONSOLE} {OPTIONS} rescue.wipe=disk1 {KEYS_BY_URL} rescue.ca_file=/mnt/backup/ca.pem",
        cold_disks=(*disks, backup),
        nics=(
            Nic(mac=MAC, port=free_port(), peer_port=wire.port),
            UserNic(
                mac=SSH_MAC,
                host_port=ssh_port,
                guest_port=22,
                services=(
                    (SERVER, 443, https.port),
                    (SERVER, 445, smb_share.port),
                    (SERVER, 22, over_ssh.sshd.port),
                    (SERVER, 8000, restic_tree.rest_port),
                ),
            ),
        ),
    )
    vm.start()
    try:
        shown = SerialConsole(vm, offset=0).wait_lines(WAITING, timeout=600)
        yield Refused(vm=vm, shown=shown, disks=disks, before=before, wire=wire, ssh_port=ssh_port, keys=keys)
    finally:
        vm.kill()
        stop(server)
        wire.sock.close()
        shutil.rmtree(tmp_path / "backup", ignore_errors=True)


@pytest.fixture
def guest(request: pytest.FixtureRequest, refused: Refused) -> Machine:
    """The refused boot's machine, its test shell connected, its logs attached to this test's report."""
    _track(request, refused.vm)
    refused.vm.connect_shell(timeout=120)
    return refused.vm


def test_the_rescue_network_takes_the_layouts_static_address_by_mac_on_a_link_without_dhcp(
    guest: Machine, refused: Refused
) -> None:
    vm = guest
    deadline = time.monotonic() + 120
    while vm.run("systemctl is-active rescue-network").output.strip() != "active":
        status = vm.run("systemctl status --no-pager rescue-network; journalctl -b -u rescue-network").output
        assert time.monotonic() < deadline, status
        time.sleep(2)
    state = json.loads(vm.check("cat /run/rescue-tui/network.json"))
    assert state["source"] == "layout /mnt/backup/layout.json"
    (here,) = [line for line in state["lines"] if line.startswith("eno1: found by MAC")]
    named = re.search(r"\(named (\S+) here\)", here)
    assert named, f"the NIC keeps the original's name eno1 in the guest: the test proves nothing about MACs: {here}"
    name = named.group(1)
    assert state["summary"] == "layout /mnt/backup/layout.json: eno1 by MAC"
    deadline = time.monotonic() + 60
    while f"{ADDRESS}/24" not in (addresses := vm.run(f"ip -br address show dev {name}").output):
        assert time.monotonic() < deadline, (
            addresses + vm.run("networkctl status --no-pager; journalctl -b -u systemd-networkd").output
        )
        time.sleep(2)
    assert "2001:db8::10/64" in addresses
    ready = {
        unit: int(vm.check(f"systemctl show -P ActiveEnterTimestampMonotonic {unit}")) / 1e6
        for unit in ("rescue-tui@ttyS0", "rescue-network", "systemd-networkd")
    }
    record_timing("network: console ready to its setup done", ready["rescue-network"] - ready["rescue-tui@ttyS0"])
    record_timing("network: console ready to networkd up", ready["systemd-networkd"] - ready["rescue-tui@ttyS0"])
    assert f"default via {GATEWAY} dev {name}" in vm.check("ip route show default")
    assert "192.0.2.53" in vm.check("resolvectl dns --no-pager || cat /run/systemd/resolve/resolv.conf")
    # On the wire: the guest asks for its gateway from the layout's address, and never asked for a lease.
    vm.check(
        f"python3 -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('{GATEWAY}', 9))\""
    )
    deadline = time.monotonic() + 30
    while (ADDRESS, GATEWAY) not in refused.wire.arp_requests(MAC):
        assert time.monotonic() < deadline, f"no ARP for {GATEWAY} from {ADDRESS}: {refused.wire.arp_requests(MAC)}"
        time.sleep(1)
    assert refused.wire.dhcp_requests(MAC) == 0
    # What the rescue system runs, captured as a layout's network: the real `ip -j` read back.
    vm.check(f"ip link add link {name} name {name}.42 type vlan id 42 && ip address add 198.51.100.7/24 dev {name}.42")
    captured = json.loads(
        vm.check(
            "python3 -c 'import json, dataclasses;"
            " from rescue_tui.layout.capture.probes import network_probe, _Collector;"
            " from rescue_tui.layout.capture.network import build_network;"
            " n, notes = build_network(network_probe(_Collector())); print(json.dumps(dataclasses.asdict(n)))'"
        )
    )
    by_name = {i["name"]: i for i in captured["interfaces"]}
    assert by_name[name]["mac"] == MAC
    assert by_name[name]["addresses"] == [f"{ADDRESS}/24", "2001:db8::10/64"]
    assert (by_name[name]["dhcp4"], by_name[name]["kind"]) == (False, "ethernet")
    vlan = by_name[f"{name}.42"]
    assert (vlan["kind"], vlan["vlan_id"], vlan["parent"], vlan["addresses"]) == ("vlan", 42, name, ["198.51.100.7/24"])
    assert {"destination": "default", "gateway": GATEWAY, "interface": name, "metric": None} in captured["routes"]
    # The operator gives the NIC another address by hand: networkd applies it to that interface now.
    assert vm.check(f"rescue-tui network set {name} 198.51.100.20/24 --gateway 198.51.100.1").strip() == (
        f"{name}: set by hand: 198.51.100.20/24"
    )
    deadline = time.monotonic() + 60
    while "198.51.100.20/24" not in (addresses := vm.run(f"ip -br address show dev {name}").output):
        assert time.monotonic() < deadline, addresses
        time.sleep(1)
    assert f"{ADDRESS}/24" not in addresses, "the file set by hand replaces the layout's for that interface"


@dataclass(frozen=True)
class Scratch:
    """A blank disk hot-plugged into the refused boot's machine, and mbr-logical's layout for it (root, swap,
    /srv on a logical partition): where each network backend's recovery recreates its disks and restores."""

    vm: Machine
    device: str

    def recover(self, spec: str, options: str, timing: str, env: str = "") -> str:
        """Plan onto the disk as it is now, then ``rescue-tui recover``: apply, mount, restore, verify, finalize
        (no boot loader: the backups are not bootable systems). The disk is recreated each time."""
        self.vm.check(
            f"rescue-tui umount && rescue-tui plan --layout /root/mbr-logical.json --targets live"
            f" --map sda={self.device} -o /root/mbr-plan.json",
            timeout=600,
        )
        started = time.monotonic()
        out = self.vm.check(
            f"{env} rescue-tui recover /root/mbr-plan.json --backend {spec} --yes --no-bootloader {options}",
            timeout=900,
        )
        record_timing(timing, time.monotonic() - started)
        return out

    def assert_recovered(self, hostname: str) -> None:
        """``host_tree(hostname)`` is on the filesystems apply just made: / and /srv are the layout's, by UUID, on
        this disk."""
        for mount, fs in (("/mnt/target", "fs-root"), ("/mnt/target/srv", "fs-srv")):
            source, uuid = self.vm.check(f"findmnt -n -o SOURCE,UUID --mountpoint {mount}").split()
            assert source.startswith(self.device) and uuid == SCRATCH_UUIDS[fs], (mount, source, uuid)
        assert self.vm.check("cat /mnt/target/etc/hostname") == f"{hostname}\n"
        assert self.vm.check("sha256sum < /mnt/target/srv/data.bin").split()[0] == hashlib.sha256(DATA).hexdigest()
        assert self.vm.check("readlink /mnt/target/srv/current").strip() == "data.bin"


SCRATCH_LAYOUT = LAYOUTS / "mbr-logical.json"
SCRATCH_UUIDS = {
    item["id"]: item["uuid"] for item in json.loads(SCRATCH_LAYOUT.read_text())["items"] if item["id"] in
    ("fs-root", "fs-srv")
}  # fmt: skip


@pytest.fixture(scope="module")
def scratch(refused: Refused) -> Scratch:
    refused.vm.connect_shell(timeout=120)
    device = refused.vm.add_disk("1G", serial="scratch").device
    refused.vm.push({"mbr-logical.json": SCRATCH_LAYOUT}, "/root")
    return Scratch(vm=refused.vm, device=device)


def ssh_options(refused: Refused, key: str) -> list[str]:
    """The host's ssh client to the guest's sshd, through the forwarded port; nothing of the user's config."""
    return [
        "-F", "/dev/null", "-p", str(refused.ssh_port), "-i", str(refused.keys / key), "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new", "-o", "ConnectTimeout=20",
        "-o", f"UserKnownHostsFile={refused.keys / 'known_hosts'}",
    ]  # fmt: skip


def ssh(refused: Refused, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["ssh", *ssh_options(refused, key), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_ssh_lets_the_operators_key_in_to_the_console_that_follows_and_nobody_else(
    guest: Machine, refused: Refused
) -> None:
    vm = guest
    deadline = time.monotonic() + 180
    while (done := ssh(refused, "operator", "root@127.0.0.1", "cat /run/rescue-tui/ssh.json")).returncode != 0:
        assert time.monotonic() < deadline, done.stderr + vm.run("journalctl -b -u rescue-ssh -u ssh").output
        time.sleep(3)
    state = json.loads(done.stdout)
    assert state["keys"] == 1
    assert f"https://{SERVER}/authorized_keys: 1 key" in state["lines"], state["lines"]
    assert vm.run("ls /etc/ssh/ssh_host_* 2>/dev/null").output == "", "the image carries no host key"
    # The host key the client met is the one the welcome screen shows.
    (known,) = (refused.keys / "known_hosts").read_text().splitlines()[:1]
    (met,), _ = parse_keys(known.split(" ", 1)[1], where="known_hosts")
    assert {"type": met.kind, "fingerprint": met.fingerprint} in state["host_keys"]
    # scp (SFTP under the forced command) works: a file out of the guest and one into it.
    scp = ["scp", *ssh_options(refused, "operator")]
    scp[scp.index("-p")] = "-P"
    pulled = refused.keys / "pulled.json"
    done = subprocess.run(
        [*scp, "root@127.0.0.1:/run/rescue-tui/ssh.json", str(pulled)], capture_output=True, text=True
    )
    assert done.returncode == 0 and json.loads(pulled.read_text()) == state, done.stderr
    done = subprocess.run([*scp, str(pulled), "root@127.0.0.1:/tmp/pushed.json"], capture_output=True, text=True)
    assert done.returncode == 0 and json.loads(vm.check("cat /tmp/pushed.json")) == state, done.stderr
    stranger = ssh(refused, "stranger", "root@127.0.0.1", "true")
    assert stranger.returncode == 255 and "Permission denied (publickey)" in stranger.stderr, stranger.stderr
    no_key = ("-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive")
    password = ssh(refused, "stranger", *no_key, "root@127.0.0.1", "true")
    assert password.returncode == 255 and "Permission denied (publickey)" in password.stderr, password.stderr
    # A login without a command is the console: here it follows the unattended recovery the serial console ran.
    login = pexpect.spawn("ssh", [*ssh_options(refused, "operator"), "-tt", "root@127.0.0.1"], timeout=120)
    try:
        login.expect_exact("stopped before writing anything")
        login.expect_exact("holds ext4")
        login.expect_exact(WAITING)
    finally:
        login.close(force=True)


@dataclass(frozen=True)
class ResticTree:
    """A restic repository of ``host_tree("restichost")`` served by rclone's REST server on the host, and its
    password."""

    password: Path
    rest_port: int


@pytest.fixture(scope="module")
def restic_tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResticTree]:
    tmp = tmp_path_factory.mktemp("restic")
    tree = host_tree(tmp / "tree", "restichost")
    password = tmp / "password"
    password.write_text("restic drill password\n")
    env = {**os.environ, "RESTIC_PASSWORD_FILE": str(password), "RESTIC_REPOSITORY": str(tmp / "repos" / "host")}
    subprocess.run(["restic", "init", "-q"], env=env, check=True, capture_output=True)
    subprocess.run(["restic", "backup", "-q", "."], env=env, cwd=tree, check=True, capture_output=True)
    port = free_port(socket.SOCK_STREAM)
    server = subprocess.Popen(
        ["rclone", "serve", "restic", "--addr", f"127.0.0.1:{port}", str(tmp / "repos")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        yield ResticTree(password=password, rest_port=port)
    finally:
        stop(server)


def test_a_recovery_from_restic_on_a_rest_server_recreates_the_disks(
    guest: Machine, restic_tree: ResticTree, scratch: Scratch
) -> None:
    """restic in the image, on the rescue network, against a REST server (rclone's ``serve restic``, port 8000
    here). restic on an S3 server recovers the network-booted fleet machine (``test_netboot``)."""
    guest.push({"restic-password": restic_tree.password}, "/root")
    guest.check("chmod 600 /root/restic-password")
    out = scratch.recover(
        f"restic+rest:http://{SERVER}:8000/host#latest", "--password-file /root/restic-password",
        "rest: restic recovery in the guest",
    )  # fmt: skip
    assert "verified (restic check + tree compare)" in out, out
    scratch.assert_recovered("restichost")


def test_a_recovery_from_an_smb_share_recreates_the_disks_and_restores_a_tar_archive_from_it(
    guest: Machine, smb_share: SmbServer, scratch: Scratch
) -> None:
    """The kernel's CIFS client in the image, the login from the fields' variables (to mount.cifs through a
    file), the share mounted read-only by rescue-tui; a wrong password is one line and mounts nothing."""
    spec = f"tar+cifs://{SERVER}/backups/smbhost.tar.zst"
    login = f"RESCUE_TUI_CIFS_USER={smb_share.user} RESCUE_TUI_CIFS_PASSWORD"
    wrong = guest.run(f"mkdir -p /tmp/not-cifs && {login}='not it' rescue-tui restore --backend {spec}"
                      " --target /tmp/not-cifs --yes", timeout=120)  # fmt: skip
    assert wrong.rc != 0 and "CIFS: cannot mount //10.0.2.100/backups" in wrong.output, wrong.output
    assert "Permission denied" in wrong.output and guest.check("ls /tmp/not-cifs") == ""
    out = scratch.recover(spec, "", "cifs: tar recovery in the guest", env=f"{login}='{smb_share.password}'")
    assert "verified (checksum manifest)" in out, out
    scratch.assert_recovered("smbhost")
    mounted = guest.check("grep ' cifs ' /proc/mounts")
    assert "//10.0.2.100/backups /run/rescue-tui/cifs/" in mounted and " cifs ro," in mounted, mounted
    assert smb_share.password not in mounted
    assert guest.check("ls /dev/shm | grep -c '^rescue-tui-' || true").strip() == "0", "the login file was left"


def test_recoveries_by_rsync_and_borg_over_ssh_from_a_server_pinned_by_fingerprint_recreate_the_disks(
    guest: Machine, over_ssh: OverSsh, scratch: Scratch
) -> None:
    """ssh, rsync and borg in the image, on the rescue network; the server's key pinned by its fingerprint (what its
    administrator reads out), the client's key and the borg passphrase from files."""
    fingerprint = subprocess.run(["ssh-keygen", "-lf", str(over_ssh.sshd.known_hosts)], capture_output=True,
                                 text=True, check=True).stdout.split()[1]  # fmt: skip
    guest.push({"ssh-key": over_ssh.sshd.key, "borg-passphrase": over_ssh.passphrase}, "/root")
    guest.check("chmod 600 /root/ssh-key /root/borg-passphrase")
    common = f"--ssh-key /root/ssh-key --set host_key={fingerprint}"
    for spec, options, verified, timing in (
        (f"rsync+ssh://root@{SERVER}{over_ssh.tree}/", common, "verified", "ssh: rsync recovery in the guest"),
        (f"borg+ssh://root@{SERVER}{over_ssh.borg_repo}", f"{common} --password-file /root/borg-passphrase",
         "verified (borg check --verify-data + tree compare)", "ssh: borg recovery in the guest"),
    ):  # fmt: skip
        out = scratch.recover(spec, options, timing)
        assert verified in out, out
        scratch.assert_recovered("sshhost")
    wrong = guest.run(
        f"mkdir -p /tmp/not-ssh && rescue-tui restore --backend rsync+ssh://root@{SERVER}{over_ssh.tree}/"
        " --target /tmp/not-ssh --yes --ssh-key /root/ssh-key --set host_key=SHA256:" + "A" * 43,
        timeout=120,
    )
    assert wrong.rc != 0 and "SHA256:" in wrong.output and guest.check("ls /tmp/not-ssh") == "", wrong.output


def test_an_unattended_boot_onto_a_disk_holding_data_stops_before_writing(
    request: pytest.FixtureRequest, refused: Refused
) -> None:
    _track(request, refused.vm)  # last in the module: it stops the guest to compare its disks
    assert REFUSED in refused.shown, refused.shown
    assert "(disk2) holds ext4: name it in rescue.wipe= to let it be wiped" in refused.shown, refused.shown
    refused.vm.qmp.execute("stop")
    assert unchanged([d.path for d in refused.disks], refused.before)
