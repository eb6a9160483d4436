"""Where a drill's recovery time went: arrival times of the console's bytes, and the longest silences.

The channel is the real one, on a socket pair: what the guest's UART would send, in pieces with pauses.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from rescue_tui.drill.channel import Channel
from rescue_tui.drill.machine import Image, Machine
from rescue_tui.drill.report import DrillReport
from rescue_tui.drill.serial import SerialLog
from rescue_tui.drill.stretches import Stretch, slowest_stretches


def test_each_console_line_gets_the_time_its_end_arrived(tmp_path: Path) -> None:
    ours, guest = socket.socketpair()
    channel = Channel(ours, tmp_path / "ttyS0.log")
    try:
        sent = time.monotonic() - 0.001  # the times file keeps milliseconds
        guest.sendall(b"\x1b[1mone\x1b[0m\r\ntw")
        time.sleep(0.3)
        guest.sendall(b"o\nthree\nunfinished")
        guest.close()
        deadline = time.monotonic() + 10
        while (tmp_path / "ttyS0.log").stat().st_size < 26 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        channel.close()
    console = SerialLog(Machine(image=Image(iso=tmp_path / "r.iso", key="k"), workdir=tmp_path), offset=0)
    lines = console.timed_lines()
    assert [text for _, text in lines] == ["one", "two", "three"]  # plain, and only whole lines
    (one, _), (two, _), (three, _) = lines
    assert sent <= one < two == three and two - one >= 0.25
    at = (tmp_path / "ttyS0.log").read_bytes().index(b"three")  # a byte offset of the log, as mark() gives
    assert console.timed_lines(since=at) == [(three, "three")]


def test_the_slowest_stretches_run_from_the_first_line_to_the_last_longest_first() -> None:
    lines = [
        (0.0, "kernel noise before the recovery"),
        (10.0, "rescue-tui: unattended recovery (layout=...)"),
        (12.0, "plan: 69 steps"),
        (12.0, ""),
        (40.0, "backup integrity: ok sha256 matches"),
        (40.5, "restore   0 B / 164.2 MiB   0%  0 files"),
        (50.5, "restore   61.3 MiB / 164.2 MiB  37%  3302 files"),
        (60.5, "restore   164.2 MiB / 164.2 MiB 100%  16661 files  in 0:20  restored"),
        (60.9, "restored 172216948 bytes"),
        (41.0 + 20, "[4/6] rebuild the initramfs"),
        (146.5, "[5/6] install the boot loader"),
        (150.0, "Unattended recovery done: recovered source"),
        (500.0, "reboot"),
    ]
    slowest = slowest_stretches(lines, "unattended recovery (", "Unattended recovery done:", count=3)
    assert slowest == [
        Stretch(seconds=85.5, after="[4/6] rebuild the initramfs", until="[5/6] install the boot loader"),
        Stretch(seconds=28.0, after="plan: 69 steps", until="backup integrity: ok sha256 matches"),
        # the meter's updates are one stretch, from its first line
        Stretch(seconds=20.4, after="restore   0 B / 164.2 MiB   0%  0 files", until="restored 172216948 bytes"),
    ]
    assert slowest_stretches(lines, "never printed", "reboot") == []


def test_the_report_keeps_them_in_its_json_and_shows_them() -> None:
    r = DrillReport(layout="l.json", hostname="db1", backend="tar:/b.tar", firmware="bios", image="r.iso")
    r.slowest = [Stretch(seconds=85.5, after="[4/6] rebuild the initramfs", until="[5/6] install the boot loader")]
    assert DrillReport.from_json(r.to_json()).slowest == r.slowest
    assert "     85.5 s  '[4/6] rebuild the initramfs' -> '[5/6] install the boot loader'" in r.text()
