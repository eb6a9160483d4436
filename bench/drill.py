"""Our recovery against ReaR's, on the same real machine, measured in one run (issue 15).

    python -m bench.drill [--work DIR] [--memory MiB] [--json]

The source machine of the drill tests (tests/vm/source.py: Debian 12 on GPT and MBR disks,
md RAID1 1.0 and 1.2, LVM with a thin pool, LUKS2 opened by a key file, ext4, xfs, btrfs
subvolumes, vfat, swap), built here with Debian's ``rear`` 2.7 package beside rescue-tui.
Booted once from its own disks, it makes both recovery sets live:

- ours: ``rescue-tui backup --layout-out`` (a tar.zst and the layout); our rescue image is
  the one every machine uses;
- ReaR's: ``rear mkbackup`` with ``OUTPUT=ISO BACKUP=NETFS BACKUP_URL=iso:///backup`` (the
  backup inside its ISO), booting by default to an unattended ``rear recover``.

Then each recovers onto blank disks of the same sizes and serials in a VM of the same size:
ours by ``rescue-tui drill``; ReaR's ISO booted with the blank disks, the bench typing the
passphrase at each prompt ReaR stops at (and counting them). Each recovered machine is
captured by our rescue image, compared with the layout in every identity field, given the
drill's probe, and booted alone to its login prompt, where the probe says whether that boot
mounted the whole fstab. One table: making the medium and the backup, the media's bytes, the recovery
time (power-on to the recovered system's login prompt), identity differences, the fstab,
prompts. Root, QEMU; the first run builds the machine (about 10 minutes), the run itself
takes about 40.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.vm_boot import build
from rescue_tui.drill.machine import Image, Machine
from rescue_tui.drill.media import TargetDisk, blank_disks
from rescue_tui.drill.probe import ProbeSetup, install_probe
from rescue_tui.drill.report import Check, DrillReport
from rescue_tui.drill.run import Progress, check_identity, first_boot
from rescue_tui.drill.serial import SerialLog
from rescue_tui.errors import GuestError
from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.model import Filesystem, Layout, Luks, Mount
from rescue_tui.plan.build import DEFAULT_TARGET_ROOT
from tests.vm.source import (
    PASSPHRASE,
    RecoverySet,
    back_up_live,
    boot_source,
    install_rescue_tui,
    run_onto_disk,
    source_disks,
    source_medium,
)

REPO = Path(__file__).resolve().parent.parent
REAR_PACKAGES = ("rear", "file", "procps", "less", "cpio")
"""Debian's rear and what its mkrescue requires besides (REQUIRED_PROGS) that the package does not depend on."""
REAR_CONF = """\
# bench/drill.py: the rescue medium with the backup inside it, booting to an unattended recovery.
OUTPUT=ISO
BACKUP=NETFS
BACKUP_URL=iso:///backup
OUTPUT_URL=null
ISO_DIR=/backup
ISO_DEFAULT=automatic
ISO_RECOVER_MODE=unattended
USE_SERIAL_CONSOLE=yes
SERIAL_CONSOLE_DEVICES_KERNEL="console=tty0 console=ttyS0,115200"
EXCLUDE_MOUNTPOINTS=( /backup )
BACKUP_PROG_EXCLUDE+=( '/backup/*' )
"""
"""``/etc/rear/local.conf``: ``/backup`` is the disk the bench takes the ISO away on (not the machine's)."""
REAR_DONE = "'rear recover' finished successfully"
REAR_FAILED = "'rear recover' failed"
REAR_REBOOT = "reboot: Restarting system"
PASSPHRASE_PROMPT = "Enter passphrase for "
"""cryptsetup's prompt: ReaR recreates a LUKS volume with a passphrase typed at the console (none is saved)."""
MKBACKUP_TIMEOUT = 3600.0
RECOVER_TIMEOUT = 3600.0


@dataclass
class Side:
    """One tool's figures."""

    name: str
    report: DrillReport
    make_seconds: float = 0.0
    medium: dict[str, int] = field(default_factory=dict)
    """What the operator keeps: file -> bytes."""
    prompts: int = 0


def rear_mkbackup(machine: Machine, out: Path) -> tuple[Path, float]:
    """``rear mkbackup`` on the running machine; its ISO (with the backup inside) on the host, and the seconds."""
    machine.push({"local.conf": REAR_CONF.encode()}, guest_dir="/etc/rear")
    seconds = run_onto_disk(
        machine,
        "mkdir -p /backup/tmp && TMPDIR=/backup/tmp rear -v mkbackup > /backup/mkbackup.out 2>&1"
        " || { cat /backup/mkbackup.out; exit 1; }",
        out,
        size="4G",
        timeout=MKBACKUP_TIMEOUT,
    )
    (iso,) = out.glob("rear-*.iso")
    return iso, seconds


def rear_recover(image: Image, iso: Path, layout_path: Path, work: Path, memory: int, progress: Progress) -> Side:
    """ReaR's ISO booted with blank disks like the layout's: its unattended recovery, our capture, the first boot."""
    layout = read_layout(layout_path)
    report = DrillReport(layout=str(layout_path), hostname=layout.machine.hostname, backend="NETFS iso:///backup",
                         firmware="bios", image=str(iso))  # fmt: skip
    side = Side(name="ReaR 2.7", report=report)
    disks = blank_disks(layout, work / "disks")
    machine = Machine(
        image=Image(iso=iso, key="rear"),
        workdir=work / "rescue",
        memory_mb=memory,
        cold_disks=tuple(d.cold() for d in disks),
    )
    report.logs["rescue console"] = str(machine.workdir / "ttyS0.log")
    progress(f"ReaR: booting {iso.name} with {len(disks)} blank disk(s)")
    machine.start()
    try:
        side.prompts = _follow_rear(machine, report, progress)
    finally:
        machine.kill()
    if report.stopped is None:
        probe = _capture(image, layout, disks, work / "capture", report, memory, progress)
        first_boot(image, disks, work / "first-boot", report, progress, memory_mb=memory, probe=probe)
    report.write(work)
    return side


def _follow_rear(machine: Machine, report: DrillReport, progress: Progress) -> int:
    """Watch ReaR's unattended recovery on ttyS0, typing the passphrase at each prompt; the prompts answered."""
    console = SerialLog(machine, offset=0)
    deadline = time.monotonic() + RECOVER_TIMEOUT
    answered = 0
    while True:
        shown = console.lines()
        if REAR_DONE in shown:
            report.phases["boot and rear recover"] = time.monotonic() - machine.started
            progress(f"ReaR: recovered in {report.phases['boot and rear recover']:.0f} s; it reboots after 30 s")
            break
        if REAR_FAILED in shown or time.monotonic() > deadline:
            report.stopped = "rear recover failed" if REAR_FAILED in shown else "rear recover did not end in time"
            report.check("rear recover", False, report.stopped)
            return answered
        if shown.count(PASSPHRASE_PROMPT) > answered:
            time.sleep(1.0)  # cryptsetup flushes the terminal's input as it turns echo off: type after that
            machine.serial.send(PASSPHRASE + b"\n")
            answered += 1
            progress(f"ReaR: typed the passphrase at prompt {answered}")
        time.sleep(0.5)
    # Its own reboot unmounts and syncs the recovered disks; QEMU stops there (the CD would boot ReaR again).
    console.wait_lines(REAR_REBOOT, timeout=300)
    return answered


def _capture(
    image: Image, layout: Layout, disks: list[TargetDisk], workdir: Path, report: DrillReport, memory: int,
    progress: Progress,
) -> ProbeSetup | None:  # fmt: skip
    """Our rescue image, booted with the recovered disks, captures them (every identity field against the layout)
    and puts the drill's probe into their root filesystem, as a drill does; the probe (None: not installed)."""
    machine = Machine(image=image, workdir=workdir, memory_mb=memory, cold_disks=tuple(d.cold() for d in disks))
    machine.start()
    try:
        # Our rescue system assembles, activates and opens nothing by itself; ReaR's recovery left its storage
        # down. Up as the machine's own boot brings it (the arrays whatever host they name, the VGs, each LUKS
        # container under its layout name, by the passphrase typed at ReaR's prompts): the capture sees it all.
        machine.connect_shell(timeout=120)
        machine.push({"passphrase": PASSPHRASE})
        names = " ".join(luks.name for luks in layout.of_type(Luks))
        machine.check(
            "mkdir -p /etc/mdadm && mdadm --examine --scan > /etc/mdadm/mdadm.conf && mdadm --assemble --scan; "
            "vgchange -ay >/dev/null; set -- " + names + "; "
            "for dev in $(blkid -t TYPE=crypto_LUKS -o device); do [ $# -gt 0 ] || break; "
            'cryptsetup open --key-file=/root/passphrase "$dev" "$1"; shift; done; udevadm settle',
            timeout=300,
        )
        (root,) = [m.source for m in layout.of_type(Mount) if m.path == "/"]
        uuid = next(fs.uuid for fs in layout.of_type(Filesystem) if fs.id == root)
        mounted = machine.run(f"mkdir -p {DEFAULT_TARGET_ROOT} && mount /dev/disk/by-uuid/{uuid} {DEFAULT_TARGET_ROOT}")
        setup = install_probe(machine, DEFAULT_TARGET_ROOT, None) if mounted.rc == 0 else "its root did not mount"
        probe = setup if isinstance(setup, ProbeSetup) else None
        if probe is None:  # the identity check still runs: a probe problem is not an identity difference
            report.check("fstab mounted", False, f"not checked: {setup}")
        check_identity(machine, layout, disks, report, progress)
        return probe
    except GuestError as exc:
        report.check("identity kept", False, f"the capture did not run: {exc.message.splitlines()[0]}")
        return None
    finally:
        machine.kill()


def our_drill(recovery: RecoverySet, image: Image, work: Path, memory: int) -> Side:
    """``rescue-tui drill`` of our recovery set, as an operator runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "rescue_tui", "drill", "--layout", str(recovery.layout),
         "--backend", f"tar:{recovery.archive}", "--passphrase-file", str(recovery.passphrase),
         "--iso", str(image.iso), "--memory", str(memory), "--report", str(work)],
        cwd=REPO, stdin=subprocess.DEVNULL, stdout=sys.stderr, check=False,
    )  # fmt: skip
    report = DrillReport.from_json((work / "drill.json").read_text())
    if result.returncode not in (0, 1):
        report.stopped = report.stopped or f"rescue-tui drill exited {result.returncode}"
    return Side(name="rescue-tui", report=report)


def _check(report: DrillReport, name: str) -> Check | None:
    return next((c for c in report.checks if c.name == name), None)


def _figures(side: Side) -> list[str]:
    """One column of the table."""

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} s"

    report = side.report
    booted = report.phases.get("first boot")
    identity = _check(report, "identity kept")
    mounted = _check(report, "fstab mounted")
    return [
        side.name,
        seconds(side.make_seconds),
        f"{sum(side.medium.values()) / 2**20:.0f} MiB",
        seconds(report.recovery_seconds - (booted or 0.0)),
        seconds(booted),
        seconds(report.recovery_seconds),
        "not checked" if identity is None else str(len(identity.differences)),
        "not checked" if mounted is None else ("yes" if mounted.ok else "no"),
        str(side.prompts),
        report.result,
    ]


ROWS = (
    "",
    "medium and backup made on the machine",
    "bytes kept (rescue medium + backup)",
    "recovery: power-on to the restored disks",
    "first boot: power-on to its login prompt",
    "recovery time (the two)",
    "identity differences (capture against layout)",
    "first boot mounts its whole fstab",
    "prompts answered",
    "result",
)


def table(sides: list[Side]) -> str:
    """The side-by-side table."""
    columns = [_figures(side) for side in sides]
    width = max(map(len, ROWS)) + 2
    return "\n".join(
        f"{label:<{width}}" + "".join(f"{column[i]:>16}" for column in columns) for i, label in enumerate(ROWS)
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drill", description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="where the disks, ISOs and reports go (default: a new directory)")
    parser.add_argument("--memory", type=int, default=2048, help="MiB of each recovery VM (default 2048)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = parser.parse_args()
    work: Path = args.work or Path(tempfile.mkdtemp(prefix="bench-drill-", dir="/var/tmp"))
    work.mkdir(parents=True, exist_ok=True)

    def progress(line: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)

    image, _ = build(None)
    progress(f"rescue image {image.iso}")
    medium = source_medium(work / "source-build.log", extra=REAR_PACKAGES)
    disks = source_disks(image, medium, work)
    progress(f"source machine {medium['dir']} (built now: {not medium['cached']})")
    machine = boot_source(image, disks, work / "source")
    try:
        install_rescue_tui(machine, work / "wheels")
        progress("source: rescue-tui backup --layout-out")
        recovery = back_up_live(machine, work / "ours-set")
        progress("source: rear mkbackup")
        iso, rear_seconds = rear_mkbackup(machine, work / "rear-set")
    finally:
        machine.kill()
    rear = rear_recover(image, iso, recovery.layout, work / "rear", args.memory, progress)
    rear.make_seconds = rear_seconds
    rear.medium = {iso.name: iso.stat().st_size}
    progress("rescue-tui drill")
    ours = our_drill(recovery, image, work / "ours", args.memory)
    ours.make_seconds = recovery.seconds["backup"]
    ours.medium = {image.iso.name: image.iso.stat().st_size, recovery.archive.name: recovery.archive.stat().st_size}

    sides = [rear, ours]
    if args.json:
        out = {
            s.name: {
                "make_seconds": round(s.make_seconds, 1),
                "medium_bytes": s.medium,
                "prompts": s.prompts,
                "report": json.loads(s.report.to_json()),
            }
            for s in sides
        }
        print(json.dumps(out, indent=2))
    else:
        print(table(sides))
        for side in sides:
            print(f"\n== {side.name}\n{side.report.text()}", end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
