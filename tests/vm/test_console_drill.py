"""The recovery drill through the operator console: keys on ttyS0 alone, from the welcome screen to the
restored system's login prompt.

(BIOS) The layout is where the image build embeds one (``/etc/rescue-tui/layout.json``, put
there in the booted guest, and the console restarted, as on a boot of an image built with it).
The backup is on the network, on the host's loopback, reached through a NIC plugged into the guest,
which the rescue network gives a DHCP address (QEMU's user network forwards one address to the host):
(BIOS) over HTTPS, the server's certificate signed by a CA the operator types the path of (the
``ca_file`` field); (UEFI) on NFS (nfs-ganesha), which rescue-tui mounts itself from the spec, and
the layout too: none is embedded, the operator opens it by its ``nfs://`` URL.
Nothing is mounted by hand. Then only keys on the serial line:
welcome, layout, mapping (one target chosen by keys), plan, backend (tar+https or tar+nfs, preflight), confirm
(the host name typed), progress (apply, mount, restore), finish (finalize), reboot chosen on the
finish screen. The disks then boot alone to the restored system's login prompt. While it
runs, a second writer from a shell is refused, naming the console that holds the recovery, and (BIOS)
the machine's own screen, tty1, follows it read-only after one key.
On UEFI the console is killed mid-apply (as in a crash): systemd starts it again, and by
keys it takes the stopped recovery over (backup proposed again, preflight, typed host name)
and goes on from apply's journal.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from rescue_tui.drill.machine import Machine, UserNic
from rescue_tui.restore.spec import SYNTAX
from tests.integration.restore.helpers import stop
from tests.integration.restore.tls import TestCa, serve_https
from tests.vm.console import CTRL_N, DOWN, ENTER, SerialConsole, VirtualConsole
from tests.vm.nfs_server import NfsServer
from tests.vm.recovered import (
    CASES,
    TARGET,
    assert_bios_boot_code,
    assert_common_files,
    assert_restored_system,
    assert_uefi_loaders,
)
from tests.vm.target import TargetArchive
from tests.vm.test_apply_roundtrip import LAYOUTS
from tests.vm.timings import record_timing

pytestmark = pytest.mark.vm

FAILED = ("Error", "FAILED", "Stopped during", "Internal error", "Finalize stopped")
"""Texts that end the drill at once: the console reported a failure."""
SERVER = "10.0.2.100"
"""Where the guest finds the host's backup server: an address on QEMU's user network, forwarded (guestfwd)."""
NIC_MAC = "52:54:00:5e:00:33"


@pytest.mark.parametrize("vm", ["bios", "uefi"], indirect=True)
def test_a_recovery_by_keys_on_the_serial_console_boots_the_restored_system(
    vm: Machine, target_archive: TargetArchive, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    case = CASES[vm.firmware]
    source = LAYOUTS / f"{case.layout}.json"
    hostname = json.loads(source.read_text())["machine"]["hostname"]
    targets = [vm.add_disk(size).device for size in case.sizes]
    if vm.firmware == "bios":  # HTTPS; the operator has the CA's certificate (here in /root) and types its path
        ca_dir = tmp_path / "ca"
        ca_dir.mkdir()
        ca = TestCa.make(ca_dir)
        https, proc = serve_https(target_archive.backups, *ca.sign("backup", f"IP:{SERVER}"))
        request.addfinalizer(lambda: stop(proc))
        vm.push({"ca.pem": ca.certificate}, "/root")
        services = ((SERVER, 443, https.port),)
        spec, fields = f"tar+https://{SERVER}/{case.archive}", ["", "", "/root/ca.pem"]  # user, password, CA
        layout_url = None
    else:  # NFS, the layout too: the operator types its URL; the spec names the server; rescue-tui mounts both
        layouts = tmp_path / "layouts"
        layouts.mkdir()
        (layouts / source.name).write_bytes(source.read_bytes())
        nfs = NfsServer({"/backups": target_archive.backups, "/layouts": layouts}, tmp_path / "nfs").start()
        request.addfinalizer(nfs.stop)
        services = ((SERVER, 2049, nfs.port),)
        spec, fields = f"tar+nfs://{SERVER}/backups/{case.archive}", []
        layout_url = f"nfs://{SERVER}/layouts/{source.name}"
    vm.add_nic(UserNic(mac=NIC_MAC, services=services))
    if layout_url is None:  # embedded, as an image built with it has it
        vm.push({"layout.json": source}, "/etc/rescue-tui")
    vm.push({"layout.json": source}, "/root")  # what assert_common_files compares the report with

    console = SerialConsole(vm)
    vm.check("systemctl restart rescue-tui@ttyS0")
    started = time.monotonic()
    console.wait("What do you want to do?", "Layouts   1 embedded" if layout_url is None else "Layouts", timeout=90)

    console.press("r")
    if layout_url is not None:  # none embedded: o, then its URL
        console.wait("rescue-tui: layout", "No saved layout found", fail=FAILED)
        console.press("o")
        console.wait("Open a layout", "or its URL", fail=FAILED)
        console.type(layout_url)
        console.wait(layout_url, timeout=60, fail=FAILED)
        console.press(ENTER)
        console.wait(f"{source.name}", "opened", "valid, ", timeout=120, fail=(*FAILED, "cannot be used"))
    else:
        console.wait("rescue-tui: layout", hostname, fail=FAILED)
    console.press(ENTER)
    names = [t.removeprefix("/dev/") for t in targets]
    # the status line (the table, drawn first, says "will be wiped" too: wait for the line itself)
    shown = console.wait("rescue-tui: mapping", " mapped; ", fail=FAILED)
    assert f"{len(names)} disk{'s' if len(names) > 1 else ''} mapped; " in shown, shown
    first = names[0]
    if len(names) > 1:  # one target chosen by keys: the first original disk onto the second target
        console.press(ENTER)
        console.wait("Target for sda", fail=FAILED)
        console.press(DOWN)
        console.press(ENTER)
        shown = console.wait("1 chosen by you", "(chosen by you)", fail=FAILED)  # the header and the table
        assert f"-> {names[1]}" in shown.split("sda", 1)[1].split("\n")[1], shown
        first = names[1]

    console.press("n")
    shown = console.wait("rescue-tui: plan", "steps onto", fail=FAILED)
    assert f"{hostname}: " in shown and f"steps onto {first}" in shown, shown

    console.press("a")
    console.wait("rescue-tui: backend", "Restore from", fail=FAILED)
    scheme, rest = spec.split(":", 1)
    schemes = [s.scheme for s in SYNTAX]
    for _ in range(schemes.index(scheme) - schemes.index("tar")):  # tar is highlighted
        console.press(DOWN)
    console.press(ENTER)
    console.wait(f"Backend spec: {scheme}:", fail=FAILED)
    time.sleep(1.0)  # the spec field takes the focus
    console.type(rest)
    console.wait(spec, timeout=60, fail=FAILED)
    if fields:  # as the operator does: the form's fields are drawn, then Enter goes from one to the next
        console.wait("CA certificate to trust", timeout=60, fail=FAILED)
    for value in fields:
        console.press(ENTER)
        time.sleep(0.5)
        if value:
            console.type(value)
            console.wait(value, timeout=60, fail=FAILED)
    console.press(ENTER)
    console.wait("Preflight passed", timeout=900, fail=(*FAILED, "Preflight FAILED", "NFS: cannot mount"))
    record_timing(f"{vm.firmware} console: welcome to preflight passed", time.monotonic() - started)

    console.press(CTRL_N)
    console.wait("rescue-tui: confirm", fail=FAILED)
    console.type(hostname)
    console.press(ENTER)
    console.wait("rescue-tui: recovery", fail=FAILED)
    mark = time.monotonic()
    # One recovery at a time: a second writer from the shell (tty2's, here the test's) is refused, naming this one.
    rc, said = vm.run("rescue-tui umount --target-root /mnt/target")
    assert rc == 2 and "umount: refused: a recovery is running on this machine: recover on ttyS0" in said, said
    if vm.firmware == "bios":  # the machine's own screen (tty1) follows it, read-only, at a key
        screen = VirtualConsole(vm)
        screen.press("f")
        screen.wait("Following recover on ttyS0", "read-only", f"== recovery of {hostname}: recover on ttyS0")
    if vm.firmware == "uefi":
        console = kill_the_console_and_take_over(vm, hostname, spec)
    console.wait("Recovery done: n goes on to finalize", timeout=2400, fail=FAILED)
    if vm.firmware == "uefi":
        assert_taken_over(vm, hostname)
    record_timing(f"{vm.firmware} console: apply, mount, restore", time.monotonic() - mark)

    console.press("n")
    mark = time.monotonic()
    console.wait("Recovery complete: v shows the report, b reboots", timeout=2400, fail=FAILED)
    record_timing(f"{vm.firmware} console: finalize", time.monotonic() - mark)

    assert_common_files(vm, case, target_archive)
    if scheme == "tar+nfs":  # the layout's and the backup's directories, each mounted once (taken over), read-only
        mounted = sorted(
            line.split() for line in vm.check("findmnt -n -t nfs,nfs4 -o SOURCE,TARGET,OPTIONS").splitlines()
        )
        assert [source for source, _, _ in mounted] == [f"{SERVER}:/backups", f"{SERVER}:/layouts"], mounted
        assert all(
            where.startswith("/run/rescue-tui/nfs/") and "ro" in options.split(",") for _, where, options in mounted
        )
    if vm.firmware == "bios":
        assert_bios_boot_code(vm, targets)
        conf = vm.read_text(f"{TARGET}/etc/mdadm/mdadm.conf")
        assert "UUID=0badc0de:11112222:33334444:55556666" in conf, conf
    else:
        assert_uefi_loaders(vm)

    console.press("b")
    console.wait("Reboot now?", fail=FAILED)
    console.press("y")
    vm.qmp.wait_event("RESET", timeout=300)  # the guest went down cleanly and reset (the CD would boot again)
    disks = [d.path for d in vm.disks if d.serial != "backup"]
    vm.kill()
    assert_restored_system(vm, case, disks, tmp_path / "restored", request)


DONE_BEFORE_THE_CRASH = 3
"""Apply steps done when the console is killed (the UEFI drill)."""


def kill_the_console_and_take_over(vm: Machine, hostname: str, spec: str) -> SerialConsole:
    """The console dies mid-apply (SIGKILL, as in a crash), systemd starts it again, and it takes the recovery
    over by keys: its welcome names the stopped recovery, t goes to the backend (proposed again), the preflight,
    the typed host name; apply goes on from its journal. The console from then on."""
    vm.check(
        f'for i in $(seq 1 3000); do [ $(cat /run/rescue-tui/apply-*.jsonl 2>/dev/null | grep -c \'"event": "done"\')'
        f" -ge {DONE_BEFORE_THE_CRASH} ] && break; sleep 0.1; done",
        timeout=900,
    )
    pid = int(vm.check("systemctl show -p MainPID --value rescue-tui@ttyS0").strip())
    console = SerialConsole(vm)
    vm.check(f"kill -9 {pid}")
    console.wait("Stopped   recovery of", timeout=180, fail=FAILED)
    vm.check(f"while pgrep -g {pid} >/dev/null; do sleep 0.5; done", timeout=900)  # the dead console's tools end
    console.press("t")
    console.wait("rescue-tui: backend", spec, fail=FAILED)
    console.press(ENTER)  # its scheme, highlighted: the spec field, with the spec the recovery had
    time.sleep(1.0)
    console.press(ENTER)
    console.wait("Preflight passed", timeout=900, fail=FAILED)
    console.press(CTRL_N)
    console.wait("rescue-tui: confirm", "Taking over the recovery of", fail=FAILED)
    console.type(hostname)
    console.press(ENTER)
    console.wait("rescue-tui: recovery", fail=FAILED)
    return console


def assert_taken_over(vm: Machine, hostname: str) -> None:
    """The recovery's log: the first console's start, the second's, and apply going on from the journal."""
    log = vm.read_text("/run/rescue-tui/recovery.log")
    assert log.count(f"== recovery of {hostname}: recover on ttyS0") == 2, log[-3000:]
    assert "starts again from the wipe" in log or "done before (journal)" in log, log[-3000:]
