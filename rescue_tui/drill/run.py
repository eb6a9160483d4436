"""One drill: recover a layout and its backup in a throwaway VM, boot the result, check it, time it.

1. Blank disks like the layout's and the backup on a read-only disk (``media``).
2. The rescue image boots with ``rescue.unattended rescue.after=wait``: the
   recovery an operator would get from the kernel command line, no key
   pressed. Its lines on ttyS0 mark the phases (boot to console, checks and
   plan, apply, restore, finalize).
3. On the rescue system, still up: a capture of the recovered disks, compared
   with the layout in every identity field, and the restore's verify line.
   Before the tree is unmounted, the probe goes into it (``probe``).
4. The recovered disks alone, no rescue image, boot to a login prompt on
   ttyS0 (first boot); on UEFI with the variables the recovery wrote. Then the
   probe says whether that boot mounted every fstab filesystem and turned on
   every swap, and how the ``--ready-command`` answered.

Whatever happens, the report says how far it got; the VMs are gone at the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rescue_tui.boot.cmdline import IMAGE_OPTIONS
from rescue_tui.drill.machine import ColdDisk, Firmware, Image, Machine
from rescue_tui.drill.media import (
    BACKUP_SERIAL,
    GUEST_BACKUP,
    TargetDisk,
    backup_medium,
    blank_disks,
)
from rescue_tui.drill.probe import (
    ANSWER_TIMEOUT,
    START_TIMEOUT,
    ProbeSetup,
    install_probe,
    judge_answer,
    marker,
    parse_answer,
)
from rescue_tui.drill.report import DrillReport
from rescue_tui.drill.serial import SerialLog
from rescue_tui.drill.stretches import slowest_stretches
from rescue_tui.errors import GuestError, RescueError
from rescue_tui.inventory.model import Inventory
from rescue_tui.inventory.model import TargetDisk as InventoryDisk
from rescue_tui.layout.codec import parse_layout
from rescue_tui.layout.identity import identity_differences
from rescue_tui.layout.model import Disk, Layout
from rescue_tui.mapping.propose import propose_mapping
from rescue_tui.mapping.resize import ResizeOptions, disk_needs, resize_for_targets
from rescue_tui.plan.build import DEFAULT_TARGET_ROOT

CONSOLE = " ".join((IMAGE_OPTIONS[0], "noeject", *IMAGE_OPTIONS[1:]))
"""The rescue image's own boot options (its GRUB entry's), without the medium's UUID: booted from the CD-ROM."""
PHASE_ENDS = (
    ("boot to console", "rescue-tui: unattended recovery ("),
    ("checks and plan", "recovering "),
    ("apply", "== mount:"),
    ("restore", "== done:"),
    ("finalize", "Unattended recovery done:"),
)
"""Each phase of the rescue boot and the ttyS0 line that ends it."""
STOPPED = ("Unattended recovery stopped before writing anything:", "Unattended recovery FAILED")
BOOT_FAILED = ("BOOT FAILED", "Kernel panic", "(initramfs) ")
"""The rescue image did not come up (live-boot found no medium, the kernel died, the initramfs gave up)."""
BOOT_TIMEOUT = 900.0
"""Power-on to the unattended recovery's first line (about 45-110 s under emulation)."""
LOGIN = " login:"
RECOVERY_TIMEOUT = 4 * 3600.0
"""The longest any phase of the rescue boot may take (a big restore under emulation is slow)."""
FIRST_BOOT_TIMEOUT = 1800.0
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DrillRequest:
    """A checked drill: what ``rescue-tui drill`` was asked, every input found and valid."""

    layout_path: Path
    layout: Layout
    backend: str
    """The spec as the guest reaches it (``tar:/mnt/backup/NAME``)."""
    backend_given: str
    """The spec as the operator gave it."""
    medium_files: dict[str, Path]
    """Guest name (under /mnt/backup) -> host file or tree: the backup, its sidecars, the layout, secrets."""
    options: tuple[str, ...]
    """``rescue.*`` options besides the unattended ones (password and passphrase files)."""
    image: Image
    firmware: Firmware
    memory_mb: int
    report_dir: Path
    keep_disks: bool = False
    ready_command: str | None = None
    """Run in the recovered system until it succeeds: the operator's own test that it is up."""
    disk_sizes: dict[str, int] = field(default_factory=dict)
    """Layout disk id -> the size of its blank disk, where it is not the layout's."""


def run_drill(request: DrillRequest, progress: Progress) -> DrillReport:
    """Run the drill; its report (also written to the report directory)."""
    report = DrillReport(
        layout=str(request.layout_path),
        hostname=request.layout.machine.hostname,
        backend=request.backend_given,
        firmware=request.firmware,
        image=str(request.image.iso),
    )
    work = request.report_dir
    work.mkdir(parents=True, exist_ok=True)
    made = blank_disks(request.layout, work / "disks", request.disk_sizes)
    layout_sizes = {d.id: (d.name, d.size) for d in request.layout.of_type(Disk)}
    report.disks = {layout_sizes[d.source][0]: (layout_sizes[d.source][1], d.size) for d in made}
    try:
        expected, disks = expected_layout(request.layout, made)
        progress(f"backup medium: {len(request.medium_files)} file(s) onto a read-only disk")
        medium = backup_medium(request.medium_files, work / "disks" / "backup.img")
        booted = _rescue_boot(request, expected, disks, medium, report, progress)
        if booted is not None:
            rescue, probe = booted
            efi_vars = rescue.efi_vars_file() if request.firmware == "uefi" else None
            first_boot(
                request.image,
                disks,
                request.report_dir / "first-boot",
                report,
                progress,
                firmware=request.firmware,
                memory_mb=request.memory_mb,
                efi_vars=efi_vars,
                probe=probe,
            )
    except RescueError as exc:
        report.stopped = exc.message.splitlines()[0]
        progress(f"stopped: {report.stopped}")
    finally:
        if not request.keep_disks:
            shutil.rmtree(work / "disks", ignore_errors=True)
    report.write(work)
    return report


def follow_phases(
    machine: Machine, ended: Callable[[str, float], None], *, phase_timeout: float = RECOVERY_TIMEOUT
) -> str:
    """Follow an unattended recovery on the machine's ttyS0 from power-on to its end (:data:`PHASE_ENDS`), calling
    ``ended(phase, seconds)`` as each phase ends; what ttyS0 said. GuestError when it stops, fails or times out."""
    console = SerialLog(machine, offset=0)
    mark = machine.started
    shown = ""
    for phase, line in PHASE_ENDS:
        booting = phase == PHASE_ENDS[0][0]
        shown = console.wait_lines(
            line,
            timeout=BOOT_TIMEOUT if booting else phase_timeout,
            fail=(*STOPPED, *BOOT_FAILED) if booting else STOPPED,
        )
        now = time.monotonic()
        ended(phase, now - mark)
        mark = now
    return shown


def _rescue_boot(
    request: DrillRequest,
    expected: Layout,
    disks: list[TargetDisk],
    medium: Path,
    report: DrillReport,
    progress: Progress,
) -> tuple[Machine, ProbeSetup | None] | None:
    """Boot the rescue image unattended, time its phases, check the result, put the probe into the recovered tree;
    the stopped machine and the probe (None: the recovery stopped)."""
    options = (
        CONSOLE,
        "rescue.unattended",
        "rescue.after=wait",
        f"rescue.backupdisk=/dev/disk/by-id/virtio-{BACKUP_SERIAL}",
        f"rescue.layout={GUEST_BACKUP}/layout.json",
        f"rescue.backend={request.backend}",
        *request.options,
    )
    machine = Machine(
        image=request.image,
        workdir=request.report_dir / "rescue",
        firmware=request.firmware,
        memory_mb=request.memory_mb,
        append=" ".join(options),
        cold_disks=(*(d.cold() for d in disks), ColdDisk(path=medium, serial=BACKUP_SERIAL, fmt="raw", read_only=True)),
    )
    report.logs["rescue console"] = str(machine.workdir / "ttyS0.log")
    progress(f"rescue image: booting {request.image.iso.name} ({request.firmware}, {len(disks)} blank disk(s))")
    machine.start()
    try:

        def ended(phase: str, seconds: float) -> None:
            report.phases[phase] = seconds
            progress(f"{phase}: {seconds:.0f} s")

        shown = follow_phases(machine, ended)
        report.slowest = slowest_stretches(
            SerialLog(machine, offset=0).timed_lines(), PHASE_ENDS[0][1], PHASE_ENDS[-1][1]
        )
        verified = [line.strip() for line in shown.splitlines() if "; verified (" in line]
        report.check(
            "restore verified",
            bool(verified),
            verified[-1] if verified else "the restore reported no verify against the backup's manifest",
        )
        probe = _install_probe(machine, request.ready_command, report, progress)
        check_identity(machine, expected, disks, report, progress)
        progress("rescue image: powering off")
        machine.shutdown(timeout=300)
        return machine, probe
    except GuestError as exc:
        report.stopped = _stop_reason(exc)
        progress(f"stopped: {report.stopped}")
        return None
    finally:
        machine.kill()


def expected_layout(layout: Layout, disks: list[TargetDisk]) -> tuple[Layout, list[TargetDisk]]:
    """What the recovery will make of the drill's disks, by the rescue system's own mapping and resize policy:
    the layout as it must leave them (resized where a disk's size differs), and each disk labelled with the
    layout disk the mapping puts on it (by serial where the layout has one, else by size, as on the night), in the
    order they were made."""
    names = guest_disk_names(len(disks))
    found = tuple(
        InventoryDisk(name=name, path=f"/dev/{name}", size=d.size, serial=d.serial)
        for name, d in zip(names, disks, strict=True)
    )
    inventory = Inventory(disks=found, source="drill")
    mapping = propose_mapping(layout, inventory, disk_needs(layout, ResizeOptions()))
    source_of = {pair.target: pair.source for pair in mapping.pairs}
    # QEMU keeps the order the disks were made in (their names in the guest depend on it); only labels change
    mapped = [dataclasses.replace(d, source=source_of[name]) for name, d in zip(names, disks, strict=True)]
    sizes = {d.id: d.size for d in layout.of_type(Disk)}
    if all(sizes[d.source] == d.size for d in mapped):
        return layout, mapped
    return resize_for_targets(layout, mapping, inventory.by_name(), ResizeOptions()).layout, mapped


def guest_disk_names(count: int) -> list[str]:
    """The rescue system's names of the drill's disks: virtio, in the order QEMU is given them."""
    return [f"vd{chr(ord('a') + index)}" for index in range(count)]


def _install_probe(
    machine: Machine, ready_command: str | None, report: DrillReport, progress: Progress
) -> ProbeSetup | None:
    progress("probe: into the recovered tree, for its first boot")
    machine.connect_shell(timeout=120)
    setup = install_probe(machine, DEFAULT_TARGET_ROOT, ready_command)
    if isinstance(setup, ProbeSetup):
        return setup
    progress(f"probe: not installed: {setup}")
    report.check("fstab mounted", False, f"not checked: {setup}")
    if ready_command is not None:
        report.check("ready command", False, f"not run: {setup}")
    return None


def check_identity(
    machine: Machine, layout: Layout, disks: list[TargetDisk], report: DrillReport, progress: Progress
) -> None:
    """Capture the recovered disks in the rescue system and compare every identity field with the layout."""
    progress("capture of the recovered disks")
    machine.connect_shell(timeout=120)
    machine.run("rescue-tui umount", timeout=300)  # finalize may have left the tree mounted: capture reads devices
    devices = " ".join(f"--device $(readlink -f /dev/disk/by-id/virtio-{shlex.quote(d.serial)})" for d in disks)
    machine.check(f"rescue-tui layout capture --hostname drill {devices} -o /root/captured.json", timeout=900)
    captured = parse_layout(machine.read_text("/root/captured.json"), where="the capture of the recovered disks")
    by_serial = {d.serial: d.name for d in captured.of_type(Disk) if d.serial}
    target_of = {d.source: by_serial[d.serial] for d in disks if d.serial in by_serial}
    differences = identity_differences(layout, captured, target_of)
    report.check(
        "identity kept",
        not differences,
        "every identity field of the layout is on the recovered disks"
        if not differences
        else f"{len(differences)} difference(s) between the layout and the recovered disks",
        differences,
    )


def first_boot(
    image: Image,
    disks: list[TargetDisk],
    workdir: Path,
    report: DrillReport,
    progress: Progress,
    *,
    firmware: Firmware = "bios",
    memory_mb: int = 1024,
    efi_vars: Path | None = None,
    probe: ProbeSetup | None = None,
) -> None:
    """Boot the recovered disks alone (on UEFI with the variables the recovery wrote) to a login prompt, then wait
    for the ``probe``'s answer; the report gets the phase and the checks (``image`` only names the machine: nothing
    of it is booted). With a ready command, the first boot ends when it succeeds."""
    machine = Machine(
        image=image,
        workdir=workdir,
        firmware=firmware,
        memory_mb=memory_mb,
        boot_disks=tuple(d.path for d in disks),
        boot_serials=tuple(d.serial for d in disks),
        efi_vars=efi_vars,
    )
    report.logs["first boot console"] = str(machine.workdir / "ttyS0.log")
    progress("first boot: the recovered disks alone")
    machine.start()
    try:
        console = SerialLog(machine, offset=0)
        try:
            shown = console.wait_lines(LOGIN, timeout=FIRST_BOOT_TIMEOUT)
        except GuestError as exc:
            report.phases["first boot"] = time.monotonic() - machine.started
            report.check("first boot", False, _stop_reason(exc))
            return
        report.phases["first boot"] = time.monotonic() - machine.started
        prompt = next((line[: line.index(LOGIN) + len(LOGIN)].strip() for line in shown.splitlines() if LOGIN in line),
                      LOGIN.strip())  # fmt: skip
        report.check("first boot", True, f"the recovered system's login prompt on ttyS0 ({prompt!r})")
        if probe is not None:
            progress("first boot: waiting for the probe's answer")
            try:
                console.wait_lines(marker(probe.token, "begin"), timeout=START_TIMEOUT)
                said = console.wait_lines(marker(probe.token, "end"), timeout=ANSWER_TIMEOUT)
            except GuestError:
                said = console.lines()
            answer = parse_answer(said, probe.token)
            if probe.ready_command is not None and answer.ready is not None and answer.ready[0] == 0:
                report.phases["first boot"] = time.monotonic() - machine.started
            judge_answer(answer, probe, report)
        progress(f"first boot: {report.phases['first boot']:.0f} s")
    finally:
        with contextlib.suppress(RescueError, OSError):
            machine.kill()


def _stop_reason(exc: GuestError) -> str:
    """The first line of a guest failure, and the console's last words when it said why it stopped."""
    text = exc.message
    for stop in STOPPED:
        at = text.rfind(stop)
        if at >= 0:
            said = [line.strip() for line in text[at:].splitlines()[:4] if line.strip()]
            return " ".join(said)
    first = text.splitlines()[0]
    if any(f"{failed!r}" in first for failed in BOOT_FAILED):
        lines = text.splitlines()
        said = [lines[i + 1].strip() for i, line in enumerate(lines[:-1]) if "The error message was:" in line]
        shown = first.removesuffix("; what it shows:")
        return f"the rescue image did not boot: {shown}" + (f" ({said[-1]})" if said else "")
    return first
