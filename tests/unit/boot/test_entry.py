"""The first screen (``rescue-tui boot``): what it shows and the keys it answers."""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rescue_tui.boot.cmdline import BootOptions, parse_cmdline
from rescue_tui.boot.entry import (
    PROMPT,
    LayoutFile,
    add_boot_parser,
    find_layouts,
    main,
    notify_ready,
    render_welcome,
    show_layouts,
)
from rescue_tui.console import ConsoleInfo
from rescue_tui.facts import DiskFact, MachineFacts, read_facts
from tests.conftest import DATA, ROOT

GOOD = DATA / "layouts" / "good" / "minimal-uefi.json"
MACHINE = MachineFacts(
    vendor="QEMU",
    product="Standard PC (i440FX + PIIX, 1996)",
    firmware="BIOS",
    cpus=2,
    memory=1024 * 1024 * 1024,
    kernel="6.1.0-28-amd64",
    disks=(DiskFact(name="vda", size=8 * 1024**3, model=""), DiskFact(name="sda", size=500 * 1024**3, model="Samsung")),
    consoles=("tty1", "ttyS0"),
)


def flat(text: str) -> str:
    """The screen with its line wrapping undone, to look for a phrase in it."""
    return " ".join(text.split())


SERIAL = ConsoleInfo(name="ttyS0", kind="serial", rows=24, cols=80, size_fixed=True, glyphs="ascii", term="vt100")


def fake_root(tmp_path: Path) -> Path:
    """A /sys and /proc with what read_facts looks at."""
    (tmp_path / "sys/class/dmi/id").mkdir(parents=True)
    (tmp_path / "sys/class/dmi/id/sys_vendor").write_text("ACME\n")
    (tmp_path / "sys/class/dmi/id/product_name").write_text("Server \u00e9 9000\n")
    (tmp_path / "sys/firmware/efi").mkdir(parents=True)
    for name, sectors in (("vda", "16777216"), ("loop0", "100"), ("sr0", "1000"), ("md127", "2")):
        (tmp_path / "sys/block" / name / "device").mkdir(parents=True)
        (tmp_path / "sys/block" / name / "size").write_text(sectors + "\n")
    (tmp_path / "sys/block/vda/device/serial").write_text("disk1\n")
    (tmp_path / "sys/class/tty/console").mkdir(parents=True)
    (tmp_path / "sys/class/tty/console/active").write_text("tty1 ttyS0\n")
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/meminfo").write_text("MemTotal:        1000000 kB\nMemFree: 1 kB\n")
    return tmp_path


def test_the_machine_is_read_from_sys_and_proc(tmp_path: Path) -> None:
    machine = read_facts(fake_root(tmp_path))
    assert (machine.vendor, machine.firmware, machine.memory) == ("ACME", "UEFI", 1_024_000_000)
    assert machine.consoles == ("tty1", "ttyS0")
    # the firmware's strings as they are; the plain screen draws them in ASCII
    assert machine.product == "Server \u00e9 9000"
    assert "ACME Server ? 9000, UEFI firmware" in flat(render_welcome(machine, [], SERIAL, BootOptions()))


def test_only_real_disks_are_listed(tmp_path: Path) -> None:
    machine = read_facts(fake_root(tmp_path))
    assert machine.disks == (DiskFact(name="vda", size=8 * 1024**3, model="disk1"),)


def test_a_machine_without_sys_reads_as_unknown(tmp_path: Path) -> None:
    machine = read_facts(tmp_path)
    assert (machine.vendor, machine.product, machine.disks, machine.consoles) == ("?", "?", (), ())


def test_the_welcome_screen_is_plain_ascii_within_78_columns_and_24_rows() -> None:
    reason = "it could not start: " + "a long reason from a library, " * 6
    screen = render_welcome(MACHINE, [], SERIAL, parse_cmdline("rescue.console=fancy rescue.backend=x"), reason)
    lines = screen.splitlines()
    assert screen.isascii()
    assert max(len(line) for line in lines) <= 78
    assert len(lines) + 1 <= 24  # and the prompt


def test_the_plain_screen_says_why_the_recovery_console_is_not_running() -> None:
    screen = flat(render_welcome(MACHINE, [], SERIAL, BootOptions(), "the terminal is 60x20"))
    assert "The recovery console is not running: the terminal is 60x20. Keys:" in screen
    asked = flat(render_welcome(MACHINE, [], SERIAL, BootOptions(face="plain")))
    assert "Plain screen (rescue.face=plain). Keys:" in asked


def test_the_welcome_screen_names_the_machine_disks_and_console() -> None:
    screen = flat(render_welcome(MACHINE, [], SERIAL, BootOptions()))
    assert "QEMU Standard PC (i440FX + PIIX, 1996), BIOS firmware" in screen
    assert "vda 8.0 GiB, sda 500.0 GiB (Samsung)" in screen
    assert "this one: ttyS0 (serial, 80x24 set by rescue-tui, ascii, TERM=vt100)" in screen


def test_the_welcome_screen_lists_embedded_layouts() -> None:
    layout = LayoutFile(path=Path("/etc/rescue-tui/layout.json"), hostname="web01", items=19)
    screen = flat(render_welcome(MACHINE, [layout], SERIAL, BootOptions()))
    assert "Layouts : /etc/rescue-tui/layout.json (host web01, 19 items)" in screen


def test_the_welcome_screen_says_when_no_layout_is_embedded() -> None:
    assert "none embedded; boot with rescue.layout=PATH|URL" in flat(render_welcome(MACHINE, [], SERIAL, BootOptions()))


def test_the_welcome_screen_shows_the_options_and_each_problem() -> None:
    options = parse_cmdline("rescue.dryrun rescue.console=fancy")
    screen = flat(render_welcome(MACHINE, [], SERIAL, options))
    assert "Options : layout=- backend=- unattended=no wipe=- dryrun=yes console=auto" in screen
    assert "Problems : rescue.console=fancy: expected ascii, unicode or auto; using auto" in screen


def test_the_welcome_screen_says_none_when_there_are_no_problems() -> None:
    assert "Problems : none" in flat(render_welcome(MACHINE, [], SERIAL, BootOptions()))


def test_unattended_without_any_layout_is_a_problem() -> None:
    screen = flat(render_welcome(MACHINE, [], SERIAL, BootOptions(unattended=True)))
    assert "rescue.unattended: no layout to recover" in screen


def test_a_layout_url_is_listed_to_fetch() -> None:
    options = parse_cmdline("rescue.layout=https://h/l.json")
    assert "https://h/l.json (to fetch over the network)" in flat(render_welcome(MACHINE, [], SERIAL, options))


def test_embedded_layouts_are_found_but_not_the_image_facts(tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / "layout.json")
    (tmp_path / "image.json").write_text("{}")
    found = find_layouts(tmp_path, BootOptions())
    assert found == [LayoutFile(path=tmp_path / "layout.json", hostname="mini", items=13)]


def test_a_layout_path_from_the_command_line_is_found_too(tmp_path: Path) -> None:
    found = find_layouts(tmp_path / "none", BootOptions(layout=str(GOOD)))
    assert [f.path for f in found] == [GOOD]


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "no such file"), ("{not json", "not JSON"), ("[1, 2]", "not a layout (no JSON object)")],
)
def test_a_broken_layout_file_is_a_problem_on_the_screen(tmp_path: Path, content: str | None, problem: str) -> None:
    path = tmp_path / "l.json"
    if content is not None:
        path.write_text(content)
    [found] = find_layouts(tmp_path / "none", BootOptions(layout=str(path)))
    assert found.problem is not None and found.problem.startswith(problem)
    assert f"{path}: {problem}" in flat(render_welcome(MACHINE, [found], SERIAL, BootOptions()))


def test_v_validates_and_shows_a_valid_layout() -> None:
    text = show_layouts([LayoutFile(path=GOOD)], BootOptions())
    assert text.startswith(f"{GOOD}: valid (13 items)\n")
    assert "disk /dev/vda" in text
    assert text.isascii()


def test_v_says_why_a_layout_is_not_valid(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format_version": 1, "items": "no"}))
    text = show_layouts([LayoutFile(path=bad)], BootOptions())
    assert text.startswith(f"{bad}: NOT VALID\n  ")


def test_v_without_layouts_says_so() -> None:
    assert show_layouts([], BootOptions()).startswith("No layout embedded")


def run_main(args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    monkeypatch.setattr(sys.stdin, "fileno", lambda: 0, raising=False)
    assert main(["--cmdline", "/dev/null", *args]) == 0
    return capsys.readouterr().out


def test_no_wait_prints_the_screen_and_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run_main(["--layouts", str(tmp_path), "--no-wait", "--console", "ttyS0"], "", monkeypatch, capsys)
    assert out.startswith("rescue-tui ")
    assert PROMPT not in out


def test_the_keys_v_then_end_of_input_show_the_layout_and_return(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(GOOD, tmp_path / "layout.json")
    out = run_main(["--layouts", str(tmp_path), "--console", "ttyS0"], "v", monkeypatch, capsys)
    assert f"{PROMPT}v\n{tmp_path / 'layout.json'}: valid (13 items)" in out
    assert out.endswith(PROMPT + "\n")


def test_r_asks_before_rebooting_and_no_means_no(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    out = run_main(["--layouts", str(tmp_path), "--console", "ttyS0"], "rn", monkeypatch, capsys)
    assert "Reboot now? [y/N]" in out
    assert calls == []


def test_r_then_y_reboots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[object] = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a[0]))
    run_main(["--layouts", str(tmp_path), "--console", "ttyS0"], "ry", monkeypatch, capsys)
    assert calls == [["systemctl", "reboot"]]


def test_boot_joins_a_command_tree() -> None:
    parser = argparse.ArgumentParser()
    add_boot_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["boot", "--console", "ttyS0", "--cmdline", "/x"])
    assert (args.command, args.console, args.cmdline) == ("boot", "ttyS0", Path("/x"))
    assert callable(args.handler)


def test_python_m_rescue_tui_boot_runs_without_textual() -> None:
    code = (
        "import runpy, sys\n"
        "sys.argv = ['x', '--cmdline', '/dev/null', '--no-wait', '--layouts', '/nonexistent']\n"
        "try:\n    runpy.run_module('rescue_tui.boot', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("[]")


def test_systemd_is_told_the_screen_is_up_and_the_socket_is_forgotten(tmp_path: Path) -> None:
    import socket as socketlib

    address = tmp_path / "notify"
    with socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_DGRAM) as listener:
        listener.bind(str(address))
        env = {"NOTIFY_SOCKET": str(address)}
        assert notify_ready(env) is True
        assert listener.recv(64) == b"READY=1"
    assert "NOTIFY_SOCKET" not in env


def test_without_systemd_nobody_is_told() -> None:
    assert notify_ready({}) is False


def test_an_unreachable_notify_socket_is_not_an_error(tmp_path: Path) -> None:
    assert notify_ready({"NOTIFY_SOCKET": str(tmp_path / "missing")}) is False
