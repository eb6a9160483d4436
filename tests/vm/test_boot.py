"""The rescue image boots to the recovery console on ttyS0, BIOS and UEFI; the plain screen is its fallback."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from rescue_tui.drill.machine import FIRST_SCREEN, PLAIN_SCREEN, Firmware, Machine
from tests.tui.vt import Screen
from tests.vm.timings import record_timing

pytestmark = pytest.mark.vm

TAKES_THE_SCREEN = b"\x1b[?1049h"
"""The recovery console switching to the alternate screen: where its output starts."""


def console_frame(data: bytes) -> tuple[bytes, Screen]:
    """What the recovery console last wrote on ttyS0 (``data``) since it took the screen, and that screen."""
    start = data.rfind(TAKES_THE_SCREEN)
    assert start >= 0, "the recovery console never took the screen on ttyS0"
    screen = Screen()
    screen.feed(data[start:])
    return data[start:], screen


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_the_image_boots_to_the_recovery_console_on_the_serial_console(
    first_boot: Callable[[Firmware], tuple[float, bytes]], firmware: Firmware
) -> None:
    seconds, serial = first_boot(firmware)
    record_timing(f"first_screen_{firmware}", seconds)
    written, screen = console_frame(serial)
    text = screen.text()
    assert written.isascii(), "ASCII only on a serial line"
    assert "rescue-tui: welcome" in screen.lines()[0]
    assert f", {firmware.upper()}, " in text
    assert "this one ttyS0 (serial, 80x24, ascii, TERM=vt100)" in text
    assert "Problems" not in text, "the kernel command line of the image has no problem"
    assert "Recover this machine from a saved layout" in text
    assert "(not in a dry run)" not in text


def test_the_recovery_console_answers_keys_and_opens_a_shell_on_the_serial_console(vm: Machine) -> None:
    vm.serial.send("d")
    vm.expect_serial("rescue-tui: layout", 60)
    vm.serial.send("\x1b")
    vm.expect_serial("What do you want to do?", 60)
    vm.serial.send("s")
    vm.expect_serial("Shell: type exit to come back to rescue-tui.", 60)
    vm.serial.send("echo shell-$((6*7)) on $(tty)\r")
    vm.expect_serial("shell-42 on /dev/ttyS0", 60)
    vm.serial.send("exit\r")
    vm.expect_serial(FIRST_SCREEN, 60)


def test_a_recovery_console_that_cannot_start_leaves_the_plain_screen_saying_why(vm: Machine) -> None:
    vm.check(
        "mkdir -p /run/broken/textual /run/systemd/system/rescue-tui@ttyS0.service.d"
        " && echo 'raise ImportError(\"planted: textual is broken\")' > /run/broken/textual/__init__.py"
        " && printf '[Service]\\nEnvironment=PYTHONPATH=/run/broken\\n'"
        " > /run/systemd/system/rescue-tui@ttyS0.service.d/broken.conf"
        " && systemctl daemon-reload && systemctl restart rescue-tui@ttyS0",
        timeout=120,
    )
    vm.expect_serial(PLAIN_SCREEN, 90)
    tail = " ".join(vm.serial_tail(3000).split())
    assert "The recovery console is not running: it cannot be loaded: planted: textual is broken" in tail
    assert "Traceback" not in tail
    assert "planted: textual is broken" in vm.check("cat /run/rescue-tui/rescue-tui.log")
    vm.serial.send("v")
    vm.expect_serial("No layout embedded in this image", 30)


def test_kernel_options_are_parsed_and_bad_ones_reported(vm: Machine, tmp_path: Path) -> None:
    out = vm.check(
        "echo 'boot=live rescue.console=fancy rescue.dryrun rescue.backend=restic:/mnt/r rescue.layout=l.json"
        " rescue.wipe=a;b' > /tmp/c;"
        " python3 -m rescue_tui.boot --no-wait --cmdline /tmp/c --console ttyS0 </dev/null"
    )
    flat = " ".join(out.split())
    assert "layout=- backend=restic:/mnt/r unattended=no wipe=- dryrun=yes console=auto" in flat
    assert "rescue.wipe=a;b: expected all or disk serials separated by commas; no disk may be wiped" in flat
    assert "rescue.console=fancy: expected ascii, unicode or auto; using auto" in flat
    assert "rescue.layout=l.json: not an absolute path nor a URL (http, https, nfs); ignored" in flat


def test_the_consoles_run_rescue_tui_and_tty2_a_root_shell(vm: Machine) -> None:
    out = vm.check("systemctl is-active rescue-tui@ttyS0 rescue-tui@tty1 getty@tty2")
    assert out.split() == ["active", "active", "active"]
    assert vm.check("systemctl show -p Environment rescue-tui@ttyS0").strip().endswith("TERM=vt100 PYTHONUNBUFFERED=1")
    assert "TERM=linux" in vm.check("systemctl show -p Environment rescue-tui@tty1")
    assert vm.run("systemctl is-enabled serial-getty@ttyS0 getty@tty1").output.split() == ["masked", "masked"]


def console_unit(vm: Machine) -> tuple[str, str]:
    """(main PID, state) of the serial console's unit; the state is ``active/running`` once it is READY."""
    show = dict(line.split("=", 1) for line in vm.check("systemctl show -p MainPID -p ActiveState -p SubState "
                                                        "rescue-tui@ttyS0").split())  # fmt: skip
    return show["MainPID"], f"{show['ActiveState']}/{show['SubState']}"


def test_the_console_comes_back_when_rescue_tui_exits(vm: Machine) -> None:
    """A new process, and ready: the unit is Type=notify and the console says READY once its first frame is drawn.
    (Waiting for the first screen's text on ttyS0 alone could match the one drawn before the kill, then find the
    unit between two processes: CI saw MainPID 0.)"""
    before, _ = console_unit(vm)
    vm.check(f"kill {before}")
    deadline = time.monotonic() + 120
    while (now := console_unit(vm))[0] in ("0", before) or now[1] != "active/running":
        assert time.monotonic() < deadline, f"the console did not come back: {now}"
        time.sleep(1)
    vm.expect_serial(FIRST_SCREEN, 60)


def test_the_project_and_its_pinned_dependencies_import_in_the_guest(vm: Machine) -> None:
    out = vm.check(
        "python3 -c 'import blivet, textual, jsonschema, pyudev, rescue_tui;"
        " print(blivet.__version__, rescue_tui.__version__)'; rescue-tui --version",
        timeout=120,
    )
    assert out.split()[:2] == ["3.7.1", "0.1.0"]
    assert "rescue-tui 0.1.0" in out


def test_the_guest_has_no_network_interface_but_loopback(vm: Machine) -> None:
    assert vm.check("ls /sys/class/net").split() == ["lo"]


def test_the_optical_drive_waits_300_s_per_command_not_30(vm: Machine) -> None:
    """The root filesystem is read from this drive: a stall must not become an I/O error (CI saw one)."""
    assert vm.check("cat /sys/block/sr0/device/timeout").strip() == "300"


def test_without_a_key_that_may_log_in_no_sshd_runs_and_the_image_has_no_host_key(vm: Machine) -> None:
    assert vm.run("systemctl is-active ssh rescue-ssh").output.split() == ["inactive", "inactive"]
    assert ":22 " not in vm.check("ss -Hltn")
    assert vm.run("ls /etc/ssh/ssh_host_* /run/rescue-tui/ssh 2>/dev/null").output == ""


def test_files_move_in_and_out_of_the_guest(vm: Machine) -> None:
    payload = bytes(range(256)) * 4096
    vm.push({"in/data.bin": payload, "in/note.txt": b"hello\n"}, "/root")
    assert vm.check("sha256sum /root/in/data.bin").split()[0] == __import__("hashlib").sha256(payload).hexdigest()
    vm.check("mkdir -p /root/out && cp /root/in/note.txt /root/out/ && echo bye > /root/out/reply.txt")
    files = vm.pull(["/root/out"])
    assert files == {"root/out/note.txt": b"hello\n", "root/out/reply.txt": b"bye\n"}


def test_the_guest_powers_off_cleanly_on_the_acpi_button(vm: Machine) -> None:
    assert vm.process is not None
    vm.qmp.execute("system_powerdown")
    assert vm.process.wait(timeout=120) == 0, "QEMU exits when the guest powers off"
    assert "Please remove" not in vm.serial_tail(), "no prompt to take the medium out (noeject)"
