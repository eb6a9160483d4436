"""Drive the rescue image in QEMU (TCG): boot, consoles, a root shell, disks, files, snapshots.

One :class:`Machine` is one QEMU process, with

- ``ttyS0`` on a unix socket, read with pexpect (``machine.serial``) and logged
  to ``ttyS0.log``: the console the operator sees (the welcome screen, later the TUI);
- a root shell on a virtio-serial port named ``org.rescue-tui.testshell``
  (``machine.run``): the image starts a shell there only when that port exists,
  which a real machine never has. The port is no tty: no echo, no line editing,
  no line-length limit, output exactly as written;
- QMP on a unix socket, for snapshots and hot-plugged disks;
- no network (``-nic none``) unless ``nics`` asks for links: a virtio NIC whose wire
  is a UDP socket pair on the host's loopback, so that the only thing at the other
  end is what the caller reads and sends (no DHCP server, no router, no host stack);
  or one on QEMU's isolated user network with a host port forwarded to the guest;
- the ISO as a read-only CD-ROM.

With ``boot_disks`` a machine boots from its (recovered) disks alone instead: no
rescue image, no test shell, only ttyS0 and QMP.

Booting the image under TCG takes about a minute; restoring a snapshot saved
right after boot takes about a second (``savevm``/``-loadvm``, all writable
drives in qcow2). Test disks are hot-plugged after the restore, so one snapshot
per firmware serves every disk set. Files move in and out on a tar stream
written to a hot-plugged raw disk (no filesystem, no mount, no 9p).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shlex
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pexpect

from rescue_tui.drill.channel import Channel, connect
from rescue_tui.drill.qmp import Qmp
from rescue_tui.errors import GuestError
from rescue_tui.units import parse_size

Firmware = Literal["bios", "uefi"]

QEMU = "qemu-system-x86_64"
ACCEL = "tcg,thread=single"
"""TCG with one host thread running the vCPUs in turn. QEMU's default for an x86 guest is one thread per
vCPU (MTTCG), and on a loaded host (two guests and the in-host tests on two cores) QEMU 7.2 lost a vCPU
that way: it answered neither timer nor NMI (RCU stalls on CPU 1 until the test's deadline), and once the
restored kernel died in ``exc_int3`` patching its text across two vCPUs. It is faster too where it counts:
two guests side by side on two cores ran four apply tests in 141 s and 134 s rather than 170 s and 167 s
(a guest alone boots slower: 64 s to its snapshot rather than 46 s)."""
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
SHELL_PORT = "org.rescue-tui.testshell"
MEDIUM_SERIAL = "rescue-medium"
"""The serial of the rescue image when it is a virtio disk rather than a CD-ROM (see ``Machine._medium_on_virtio``)."""
FIRST_SCREEN = "What do you want to do?"
"""The recovery console's first screen on ttyS0 (the welcome screen's choices, drawn last)."""
PLAIN_SCREEN = "Press v, s or r: "
"""The last line of the plain screen (``rescue_tui.boot.entry.PROMPT``), the console's fallback."""
GRUB_ENTRY = "rescue-tui"
PLAIN_GRUB_ENTRY = 4
"""The grub menu entry (from 0) that boots with ``rescue.face=plain``."""
SNAPSHOT = "booted"


@dataclass(frozen=True)
class Image:
    """A built rescue image: the ISO and its network-boot files, in one directory."""

    iso: Path
    key: str

    @property
    def dir(self) -> Path:
        return self.iso.parent

    @property
    def kernel(self) -> Path:
        return self.dir / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.dir / "initrd.img"


@dataclass(frozen=True)
class Nic:
    """A virtio NIC with this MAC; its frames go to ``127.0.0.1:peer_port`` and come from there to ``port``."""

    mac: str
    port: int
    """Where QEMU receives the frames the peer sends."""
    peer_port: int
    """Where QEMU sends the frames the guest sends: the caller's UDP socket."""


@dataclass(frozen=True)
class UserNic:
    """A virtio NIC on QEMU's user network, isolated (``restrict=on``: the guest reaches nothing), its DHCP
    answered by QEMU; ``host_port`` of the host's loopback forwarded to ``guest_port`` of the guest (sshd's, say).

    ``services`` go the other way: (address, port) the guest connects to, and the host loopback port that
    answers (an NFS server, say), each connection carried by socat (QEMU's guestfwd). ``bootfile`` is the
    filename QEMU's DHCP server hands out: what the NIC's iPXE boots (a URL, for a network boot).
    """

    mac: str
    host_port: int | None = None
    guest_port: int | None = None
    services: tuple[tuple[str, int, int], ...] = ()
    bootfile: str | None = None

    def forwards(self) -> tuple[list[str], list[str]]:
        """QEMU's ``hostfwd`` and ``guestfwd`` values."""
        host = [] if self.host_port is None else [f"tcp:127.0.0.1:{self.host_port}-:{self.guest_port}"]
        guest = [f"tcp:{address}:{port}-cmd:socat STDIO TCP:127.0.0.1:{to}" for address, port, to in self.services]
        return host, guest


@dataclass(frozen=True)
class ColdDisk:
    """A disk on QEMU's command line, there from power-on (``/dev/disk/by-id/virtio-SERIAL``)."""

    path: Path
    serial: str
    fmt: str = "qcow2"
    read_only: bool = False

    @property
    def readonly(self) -> str:
        return "on" if self.read_only else "off"


@dataclass
class Disk:
    """A hot-plugged virtio disk: ``serial`` shows as /dev/disk/by-id/virtio-SERIAL in the guest."""

    serial: str
    path: Path
    size: int
    device: str = ""
    """The guest's node for it (``/dev/vdb``), once seen."""


@dataclass
class Result:
    rc: int
    output: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.rc, self.output))


@dataclass
class Machine:
    """One QEMU process running the rescue image; see the module docstring."""

    image: Image
    workdir: Path
    firmware: Firmware = "bios"
    memory_mb: int = 1024
    cpus: int = 2
    state: Path | None = None
    """qcow2 file holding the booted snapshot (an unattached drive); created when missing."""
    loadvm: str | None = None
    """Start from this snapshot in ``state`` instead of booting."""
    append: str | None = None
    """Boot the kernel directly with this command line (no grub): to pass rescue.* options."""
    vga: bool = False
    boot_disks: tuple[Path, ...] = ()
    """Boot from these qcow2 disks alone (no rescue image, no test shell): the recovered machine.
    They get the serials in ``boot_serials`` (by default ``disk1``, ``disk2``..., as ``add_disk`` names them)
    and boot in this order."""
    boot_serials: tuple[str, ...] = ()
    boot_shell: bool = False
    """With ``boot_disks``: also offer the test shell's port, for a booted system that runs its service
    (the drill bench's source machine); the recovered machine of a drill has none."""
    efi_vars: Path | None = None
    """UEFI variable store (qcow2) to start with, instead of the state's or a blank one."""
    cold_disks: tuple[ColdDisk, ...] = ()
    """Disks plugged in at power-on (the rescue image boots beside them): what an unattended boot sees."""
    nics: tuple[Nic | UserNic, ...] = ()
    """Network links, there from power-on."""
    network_boot: bool = False
    """Boot from the first NIC (its iPXE, then the DHCP filename: ``UserNic.bootfile``) instead of the image,
    which is not attached: the rescue system comes from a server (``rescue-tui publish``)."""
    dmi_serial: str | None = None
    """The machine's DMI (SMBIOS) system serial number, as a real server's firmware reports it."""
    serial: Channel = field(init=False)
    qmp: Qmp = field(init=False)
    process: subprocess.Popen[bytes] | None = field(init=False, default=None)
    disks: list[Disk] = field(init=False, default_factory=list)
    started: float = field(init=False, default=0.0)
    _shell: Channel | None = field(init=False, default=None)
    _channels: list[Channel] = field(init=False, default_factory=list)
    _counter: int = field(init=False, default=0)

    # -- life cycle ---------------------------------------------------------------

    def command(self) -> list[str]:
        """The QEMU command line (the same for savevm and -loadvm, or the restore fails)."""
        w = self.workdir
        cmd = [
            QEMU, "-accel", ACCEL, "-machine", "pc", "-m", str(self.memory_mb), "-smp", str(self.cpus),
            "-nodefaults", "-no-user-config", "-display", "none", "-nic", "none",
            "-vga", "std" if self.vga else "none",
            "-chardev", f"socket,id=s0,path={w}/ttyS0.sock,server=on,wait=off",
            "-serial", "chardev:s0",
        ]  # fmt: skip
        if self.boot_disks:
            cmd += ["-qmp", f"unix:{w}/qmp.sock,server=on,wait=off"]
            for index, disk in enumerate(self.boot_disks):
                serial = self.boot_serials[index] if index < len(self.boot_serials) else f"disk{index + 1}"
                cmd += [
                    "-drive", f"if=none,id=boot{index},file={disk},format=qcow2",
                    "-device", f"virtio-blk-pci,drive=boot{index},serial={serial},bootindex={index}",
                ]  # fmt: skip
            cmd += ["-device", "virtio-rng-pci"]
            if self.boot_shell:
                cmd += self._shell_port()
        else:
            cmd += [
                *self._shell_port(),
                "-qmp", f"unix:{w}/qmp.sock,server=on,wait=off",
                "-device", "virtio-rng-pci",
            ]  # fmt: skip
            if not self.network_boot:
                cmd += ["-boot", "d"]
            if not self._medium_on_virtio and not self.network_boot:
                cmd += ["-drive", f"file={self.image.iso},media=cdrom,if=ide,index=0,readonly=on,format=raw"]
        for index, cold in enumerate(self.cold_disks):
            cmd += [
                "-drive", f"if=none,id=cold{index},file={cold.path},format={cold.fmt},readonly={cold.readonly}",
                "-device", f"virtio-blk-pci,drive=cold{index},serial={cold.serial}",
            ]  # fmt: skip
        if self._medium_on_virtio:  # after the cold disks: their names (vda, vdb, ...) stay as they were
            cmd += [
                "-drive", f"if=none,id=medium,file={self.image.iso},format=raw,readonly=on",
                "-device", f"virtio-blk-pci,drive=medium,serial={MEDIUM_SERIAL}",
            ]  # fmt: skip
        for index, nic in enumerate(self.nics):
            if isinstance(nic, UserNic):
                host, guest = nic.forwards()
                netdev = ",".join(
                    [f"user,id=net{index},restrict=on"]
                    + [f"hostfwd={f}" for f in host]
                    + [f"guestfwd={f}" for f in guest]
                    + ([f"bootfile={nic.bootfile}"] if nic.bootfile else [])
                )
            else:
                netdev = f"socket,id=net{index},udp=127.0.0.1:{nic.peer_port},localaddr=127.0.0.1:{nic.port}"
            boot = ",bootindex=0" if self.network_boot and index == 0 else ""
            cmd += ["-netdev", netdev, "-device", f"virtio-net-pci,netdev=net{index},mac={nic.mac}{boot}"]
        if self.dmi_serial is not None:
            cmd += ["-smbios", f"type=1,serial={self.dmi_serial}"]
        if self.state is not None:
            cmd += ["-drive", f"if=none,id=state,file={self.state},format=qcow2"]
        if self.firmware == "uefi":
            cmd += [
                "-drive", f"if=pflash,unit=0,format=raw,readonly=on,file={OVMF_CODE}",
                "-drive", f"if=pflash,unit=1,format=qcow2,file={self._vars()}",
            ]  # fmt: skip
        if self.append is not None:
            cmd += ["-kernel", str(self.image.kernel), "-initrd", str(self.image.initrd), "-append", self.append]
        if self.loadvm:
            cmd += ["-loadvm", self.loadvm]
        return cmd

    def _shell_port(self) -> list[str]:
        return [
            "-device", "virtio-serial-pci,id=vser",
            "-chardev", f"socket,id=sh,path={self.workdir}/shell.sock,server=on,wait=off",
            "-device", f"virtserialport,bus=vser.0,chardev=sh,name={SHELL_PORT}",
        ]  # fmt: skip

    @property
    def _medium_on_virtio(self) -> bool:
        """The image as a read-only virtio disk (a stick, virtual media), not a CD-ROM, when UEFI boots its kernel
        directly: booted so under OVMF, Linux found no device on the CD-ROM's IDE port (no ``ata1.00`` line) and
        live-boot no medium (measured with QEMU 7.2; GRUB from the CD-ROM is fine)."""
        return not self.boot_disks and self.firmware == "uefi" and self.append is not None

    def start(self) -> Machine:
        """Start QEMU paused, attach to its consoles, then let it run."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in ("ttyS0.sock", "shell.sock", "qmp.sock"):
            (self.workdir / name).unlink(missing_ok=True)
        if self.state is not None and not self.state.exists():
            _qemu_img("create", "-f", "qcow2", str(self.state), "16M")
        log = (self.workdir / "qemu.log").open("ab")
        self.process = subprocess.Popen([*self.command(), "-S"], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            self.qmp = Qmp(self.workdir / "qmp.sock")
            self.serial = self._channel("ttyS0")
            if not self.boot_disks or self.boot_shell:
                # Attach the test shell before the guest runs. A restored guest was saved with
                # the shell attached; attaching after `cont` races QEMU's "host closed" notice,
                # which can reach the guest after the first answer and end that shell (the
                # next command is then lost while the port is closed).
                self._shell = self._channel("shell")
            self.qmp.execute("cont")
        except Exception:
            self.kill()
            raise
        self.started = time.monotonic()
        return self

    def wait_first_screen(
        self,
        timeout: float = 240.0,
        press_enter_in_grub: bool = True,
        *,
        grub_entry: int = 0,
        screen: str = FIRST_SCREEN,
    ) -> float:
        """Wait for the first screen on ttyS0; seconds since start. Skips grub's countdown (choosing ``grub_entry``)."""
        deadline = self.started + timeout
        if press_enter_in_grub and self.append is None:
            self.expect_serial(GRUB_ENTRY, deadline - time.monotonic())
            time.sleep(0.5)
            for _ in range(grub_entry):
                self.serial.send("\x1b[B")
                time.sleep(0.2)
            self.serial.send("\r")
        self.expect_serial(screen, deadline - time.monotonic())
        return time.monotonic() - self.started

    def expect_serial(self, pattern: str, timeout: float) -> None:
        try:
            self.serial.expect_exact(pattern, timeout=max(1.0, timeout))
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            raise GuestError(f"ttyS0: no {pattern!r} within {timeout:.0f} s\n{self.serial_tail()}") from exc

    def savevm(self, name: str = SNAPSHOT) -> None:
        out = self.qmp.hmp(f"savevm {name}")
        if out.strip():
            raise GuestError(f"savevm {name}: {out.strip()}")

    def shutdown(self, timeout: float = 60.0) -> None:
        """Power off through ACPI (clean), or end QEMU when the guest does not."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(GuestError, OSError, subprocess.TimeoutExpired):
            self.qmp.execute("system_powerdown")
            self.process.wait(timeout=timeout)
        self.kill()

    def kill(self) -> None:
        """End QEMU now (the guest's state is thrown away)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(GuestError, OSError):
                self.qmp.execute("quit", timeout=5)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for channel in self._channels:
            channel.close()
        self._channels.clear()
        with contextlib.suppress(AttributeError):
            self.qmp.close()

    def serial_tail(self, size: int = 4000) -> str:
        return _tail(self.workdir / "ttyS0.log", size)

    def logs(self) -> dict[str, str]:
        """The consoles' logs, for a failure report."""
        return {
            name: _tail(self.workdir / name, 12000)
            for name in ("ttyS0.log", "shell.log", "qemu.log")
            if (self.workdir / name).exists()
        }

    # -- the root shell -------------------------------------------------------------

    def connect_shell(self, timeout: float = 120.0) -> None:
        """Attach to the guest's test shell, retrying until it answers."""
        if self._shell is None:
            self._shell = self._channel("shell", timeout)
        deadline = time.monotonic() + timeout
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            self._shell.send(f"echo __SYNC{attempt}__\n".encode())
            try:
                self._shell.expect(rf"__SYNC{attempt}__\n", timeout=2)
                return
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF as exc:
                raise GuestError(f"test shell: connection closed\n{self.serial_tail()}") from exc
        raise GuestError(f"test shell: no answer within {timeout:.0f} s\n{self.serial_tail()}")

    def run(self, command: str, timeout: float = 60.0) -> Result:
        """Run a shell command as root in the guest: (rc, stdout and stderr together)."""
        if self._shell is None:
            self.connect_shell()
        assert self._shell is not None
        self._counter += 1
        token = f"{os.getpid()}x{self._counter}"
        # A subshell: `exit`, `set -e` or `cd` in a command cannot end or change the shell.
        self._shell.send(f"( {command}\n) </dev/null 2>&1; printf '\\n__RC_{token}_%d__\\n' $?\n".encode())
        try:
            self._shell.expect(rf"\n__RC_{token}_(\d+)__\n", timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            self._shell = None  # the shell is still busy (or gone): do not reuse it
            raise GuestError(f"guest: {command!r} did not finish within {timeout:.0f} s\n{self.serial_tail()}") from exc
        output = self._shell.before.decode("utf-8", errors="replace")
        return Result(int(self._shell.match.group(1)), output)

    def check(self, command: str, timeout: float = 60.0) -> str:
        """Run a command that must succeed; its output."""
        rc, output = self.run(command, timeout)
        if rc != 0:
            raise GuestError(f"guest: {command!r} exited {rc}:\n{output}")
        return str(output)

    # -- disks and files --------------------------------------------------------------

    def add_disk(self, size: str | int, serial: str | None = None, fmt: str = "qcow2") -> Disk:
        """Hot-plug a blank virtio disk (qcow2, sparse) and wait for the guest to see it."""
        serial = serial or f"disk{len(self.disks) + 1}"
        path = self.workdir / f"{serial}.{fmt}"
        path.unlink(missing_ok=True)
        _qemu_img("create", "-f", fmt, str(path), str(size))
        disk = Disk(serial=serial, path=path, size=size if isinstance(size, int) else parse_size(size))
        self._plug(disk, fmt)
        self.disks.append(disk)
        return disk

    def attach_disk(self, path: Path, serial: str, fmt: str = "raw", read_only: bool = True) -> Disk:
        """Hot-plug an existing image (read-only by default: it may be shared with other test runs)."""
        disk = Disk(serial=serial, path=path, size=path.stat().st_size)
        self._plug(disk, fmt, read_only=read_only)
        return disk

    def add_nic(self, nic: UserNic, timeout: float = 90.0) -> str:
        """Hot-plug a NIC on QEMU's user network; the guest's interface name once it holds a DHCP address."""
        host, guest = nic.forwards()
        netdev = f"net-{nic.mac.replace(':', '')}"
        arguments: dict[str, object] = {"type": "user", "id": netdev, "restrict": True}
        if host:
            arguments["hostfwd"] = [{"str": f} for f in host]
        if guest:
            arguments["guestfwd"] = [{"str": f} for f in guest]
        self.qmp.execute("netdev_add", arguments)
        self.qmp.execute(
            "device_add", {"driver": "virtio-net-pci", "netdev": netdev, "id": f"dev-{netdev}", "mac": nic.mac}
        )
        deadline = time.monotonic() + timeout
        while True:
            rc, found = self.run(f"grep -l {nic.mac.lower()} /sys/class/net/*/address")
            name = found.strip().split("/")[-2] if rc == 0 and found.strip() else ""
            if name and " inet " in self.run(f"ip -4 -o address show dev {name}").output:
                return name
            if time.monotonic() > deadline:
                status = self.run("networkctl status --no-pager --all").output
                raise GuestError(f"hot-plugged NIC {nic.mac} ({name or 'no interface'}) got no address: {status}")
            time.sleep(1)

    def remove_disk(self, disk: Disk) -> None:
        self.qmp.execute("device_del", {"id": f"dev-{disk.serial}"})
        self.qmp.wait_event("DEVICE_DELETED", device=f"dev-{disk.serial}")
        self.qmp.execute("blockdev-del", {"node-name": f"node-{disk.serial}"})
        if disk in self.disks:
            self.disks.remove(disk)

    def push(self, files: Mapping[str, bytes | Path], guest_dir: str = "/root") -> None:
        """Copy files into the guest (names relative to ``guest_dir``), on a tar disk."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for name, content in files.items():
                data = content.read_bytes() if isinstance(content, Path) else content
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
                tar.addfile(info, io.BytesIO(data))
        data = buffer.getvalue()
        self._counter += 1
        disk = Disk(serial=f"xfer{self._counter}", path=self.workdir / f"xfer{self._counter}.raw", size=0)
        disk.path.write_bytes(data + b"\0" * (-len(data) % (1 << 20) or 1 << 20))
        disk.size = disk.path.stat().st_size
        self._plug(disk, "raw")
        try:
            self.check(f"mkdir -p {shlex.quote(guest_dir)} && tar -xf {disk.device} -C {shlex.quote(guest_dir)}")
        finally:
            self.remove_disk(disk)
            disk.path.unlink(missing_ok=True)

    def pull(self, guest_paths: list[str], max_size: int = 256 << 20) -> dict[str, bytes]:
        """Copy files (or trees) out of the guest: {path as archived: content}."""
        self._counter += 1
        disk = Disk(serial=f"xfer{self._counter}", path=self.workdir / f"xfer{self._counter}.raw", size=max_size)
        with disk.path.open("wb") as f:
            f.truncate(max_size)
        self._plug(disk, "raw")
        try:
            names = " ".join(shlex.quote(p) for p in guest_paths)
            self.check(f"tar -cf {disk.device} {names} && sync")
        finally:
            self.remove_disk(disk)
        out: dict[str, bytes] = {}
        with tarfile.open(disk.path, mode="r:") as tar:
            for member in tar:
                if member.isfile():
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    out[member.name] = extracted.read()
        disk.path.unlink(missing_ok=True)
        return out

    def read_text(self, path: str) -> str:
        """A small guest file's text (through the shell)."""
        return base64.b64decode(self.check(f"base64 -w0 {shlex.quote(path)}")).decode()

    # -- internals -----------------------------------------------------------------------

    def _plug(self, disk: Disk, fmt: str, read_only: bool = False) -> None:
        node = f"node-{disk.serial}"
        self.qmp.execute(
            "blockdev-add",
            {
                "node-name": node,
                "driver": fmt,
                "read-only": read_only,
                "file": {"driver": "file", "filename": str(disk.path)},
            },
        )
        self.qmp.execute(
            "device_add", {"driver": "virtio-blk-pci", "drive": node, "id": f"dev-{disk.serial}", "serial": disk.serial}
        )
        link = f"/dev/disk/by-id/virtio-{disk.serial}"
        disk.device = self.check(
            f"for i in $(seq 900); do [ -e {link} ] && break; sleep 0.1; done; readlink -f {link}", timeout=120
        ).strip()
        if not disk.device.startswith("/dev/vd"):
            listing = self.run("ls -l /dev/disk/by-id/ 2>&1; lsblk -d -o NAME,SERIAL 2>&1").output
            raise GuestError(
                f"hot-plugged disk {disk.serial} did not appear in 90 s ({disk.device!r}); the guest has:\n{listing}"
            )

    def _channel(self, name: str, timeout: float = 60.0) -> Channel:
        """Attach to a console socket; everything it says goes to ``NAME.log``."""
        channel = Channel(connect(self.workdir / f"{name}.sock", 30.0), self.workdir / f"{name}.log", timeout)
        self._channels.append(channel)
        return channel

    def efi_vars_file(self) -> Path:
        """The UEFI variable store this machine runs (or ran) with: what efibootmgr in the guest wrote to."""
        return self._vars()

    def _vars(self) -> Path:
        """The UEFI variable store, in qcow2 so that savevm can snapshot it."""
        if self.efi_vars is not None:
            return self.efi_vars
        path = (self.state.parent if self.state else self.workdir) / f"{self.firmware}-vars.qcow2"
        if not path.exists():
            _qemu_img("convert", "-f", "raw", "-O", "qcow2", str(OVMF_VARS), str(path))
        return path


def image_from_build(out: str) -> Image:
    """Parse ``iso/build --json`` output."""
    info = json.loads(out.strip().splitlines()[-1])
    return Image(iso=Path(info["iso"]), key=info["key"])


def _qemu_img(*args: str) -> None:
    subprocess.run(["qemu-img", *args], check=True, capture_output=True)


def _tail(path: Path, size: int) -> str:
    try:
        data = path.read_bytes()[-size:]
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")


def qemu_available() -> bool:
    return shutil.which(QEMU) is not None and shutil.which("qemu-img") is not None
