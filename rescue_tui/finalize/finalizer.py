"""Finalize a restored system: its config for the new devices, its boot loader, its initramfs, a report.

The :class:`Finalizer` runs phases in order, each announced through the
listener (typed events, as apply does):

``check``       the target is a restored root (not the rescue system's own ``/``), the
                plan's filesystems are mounted under it, the tools are there, and the
                identities the configs rely on exist on the devices now;
``files``       fstab, crypttab, mdadm.conf and the kernel command lines, rewritten
                (pure functions, originals kept);
``selinux``     the relabel flag where SELinux is on;
``initramfs``   rebuilt by the restored system's own tool, in a chroot;
``bootloader``  GRUB on every boot disk or ESP, boot entries, GRUB config;
``report``      JSON and text into the target's /var/log/rescue-tui/.

``report_only`` computes everything (what the files would become, which
commands would run) and writes nothing. ``bootloader=False`` skips the
chroot phases (initramfs and boot loader), for a tree that is not a
bootable system on real disks (tests, or an operator doing those by hand).

Failures in the boot phases do not stop the others; they are ``error``
notes, the report is written, then :class:`FinalizeError` says how many.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rescue_tui import tools
from rescue_tui.command import run as run_command
from rescue_tui.errors import BadInputError, RefusedError, RescueError
from rescue_tui.events import (
    CommandFinished,
    CommandStarted,
    FileRewritten,
    Listener,
    Notice,
    StepFailed,
    StepFinished,
    StepStarted,
    ignore,
)
from rescue_tui.finalize import cmdline, crypttab, fstab, mdadm, needs
from rescue_tui.finalize.bootloader import (
    BootPlan,
    HostFacts,
    esp_mount_points,
    family_of,
    gather_facts,
    plan_bootloader,
)
from rescue_tui.finalize.chroot import chroot_mounts, current_mount_points, host_argv
from rescue_tui.finalize.devices import DeviceMap
from rescue_tui.finalize.errors import FinalizeError
from rescue_tui.finalize.initramfs import plan_initramfs
from rescue_tui.finalize.install import BootInstaller
from rescue_tui.finalize.model import Command, CommandRecord, Note, Outcome, Rewrite
from rescue_tui.finalize.report import REPORT_DIR, build_report, parse_journal, write_report
from rescue_tui.finalize.selinux import CONFIG as SELINUX_CONFIG
from rescue_tui.finalize.selinux import FLAG as RELABEL_FLAG
from rescue_tui.finalize.selinux import needs_relabel
from rescue_tui.finalize.target import TargetRoot
from rescue_tui.finalize.verify import missing_identities, parse_blkid_export
from rescue_tui.lock import recovery_lock
from rescue_tui.plan.codec import plan_to_json
from rescue_tui.plan.model import MountStep, Plan


class ToolRunner(Protocol):
    """Runs an argv with a timeout (and input); returns stdout; raises FinalizeError naming the command."""

    def __call__(self, argv: Sequence[str], timeout: float, stdin: str | None = None) -> str: ...


APPLY_JOURNAL_DIR = Path("/run/rescue-tui")
"""Where apply keeps its journal by default (``rescue_tui.apply.journal.DEFAULT_DIR``)."""
PHASES = ("check", "files", "selinux", "initramfs", "bootloader", "report")
SUMMARIES = {
    "check": "check the target tree",
    "files": "rewrite fstab, crypttab, mdadm.conf and kernel command lines",
    "selinux": "SELinux relabel flag",
    "initramfs": "rebuild the initramfs",
    "bootloader": "install the boot loader",
    "report": "write the recovery report",
}


def default_runner(argv: Sequence[str], timeout: float, stdin: str | None = None) -> str:
    return run_command(argv, error=FinalizeError, timeout=timeout, stdin=stdin)


def plan_digest(plan: Plan) -> str:
    """The plan's digest as apply names its journal by it (``rescue_tui.apply.executor.plan_digest``)."""
    return hashlib.sha256(plan_to_json(plan).encode()).hexdigest()


def default_journal(plan: Plan) -> Path | None:
    """Apply's journal of this plan in its default place, if it is there."""
    path = APPLY_JOURNAL_DIR / f"apply-{plan_digest(plan)[:16]}.jsonl"
    return path if path.is_file() else None


@dataclass
class FinalizeOptions:
    target: Path = Path("/mnt/target")
    report_only: bool = False
    """Compute and show; write nothing, run nothing that changes anything."""
    bootloader: bool = True
    """False: skip the chroot phases (initramfs and boot loader)."""
    journal: Path | None = None
    """Apply's journal, for the step timings in the report; None: its default place, if there."""
    restore: Mapping[str, Any] | None = None
    """What the restore stage reports about itself (backend, source, verification), for the report."""


class Finalizer:
    """One finalize of one restored tree, from the plan it was built by."""

    def __init__(
        self,
        plan: Plan,
        options: FinalizeOptions,
        listener: Listener = ignore,
        *,
        runner: ToolRunner = default_runner,
        host: HostFacts | None = None,
        mounted: Callable[[], set[str]] = current_mount_points,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.plan = plan
        self.options = options
        self.emit = listener
        self.runner = runner
        self.host = host or HostFacts.detect()
        self.mounted = mounted
        self.now = now
        self.target = TargetRoot(options.target)
        self.devices = DeviceMap.from_plan(plan)
        self.outcome = Outcome()
        self.report: dict[str, Any] = {}
        self.boot_plan: BootPlan | None = None
        self.initramfs: Command | None = None
        self._journal: tuple[str, list[dict[str, Any]], list[str]] | None = None
        self._in_chroot = False

    # -- the phases ----------------------------------------------------------------------------

    def run(self) -> Outcome:
        """Every phase in order; the report is written even when a later phase failed (then it is raised).

        A refusal in the check phase writes nothing at all, not even a report. The machine's recovery
        lock is held throughout (``rescue_tui.lock``), unless only the report is asked for.
        """
        if self.options.report_only:
            return self._run()
        with recovery_lock("finalize"):
            return self._run()

    def _run(self) -> Outcome:
        self._phase("check", self.check)
        failure: RescueError | None = None
        with contextlib.ExitStack() as stack:
            try:
                self._phase("files", self.rewrite_files)
                self._phase("selinux", self.selinux)
                self._phase("initramfs", lambda: self.rebuild_initramfs(stack))
                self._phase("bootloader", lambda: self.install_bootloader(stack))
            except RescueError as exc:
                failure = exc
        self._phase("report", self.write_report)
        if failure is not None:
            raise failure
        problems = self.outcome.problems
        if problems and not self.options.report_only:
            lines = [n.text() for n in problems]
            raise FinalizeError(
                f"finalize finished with {len(problems)} problem(s); the system may not boot",
                problems=[f"finalize finished with {len(problems)} problem(s); the system may not boot", *lines],
                hint=f"read the report in {self.options.target}{REPORT_DIR}",
            )
        return self.outcome

    def _phase(self, name: str, action: Callable[[], bool]) -> None:
        index = PHASES.index(name) + 1
        self.emit(StepStarted(name, SUMMARIES[name], index, len(PHASES), stage="finalize"))
        started = time.monotonic()
        try:
            ran = action()
        except RescueError as exc:
            self.outcome.phases.append((name, "failed", time.monotonic() - started))
            self.emit(StepFailed(name, exc.message, stage="finalize"))
            self.note(Note(message=f"{name}: {exc.message}", level="error"))
            raise
        seconds = time.monotonic() - started
        self.outcome.phases.append((name, "done" if ran else "skipped", seconds))
        self.emit(StepFinished(name, seconds, skipped=not ran, stage="finalize"))

    def note(self, note: Note) -> None:
        self.outcome.notes.append(note)
        if note.level != "info":
            self.emit(Notice(note.text(), note.level))

    def check(self) -> bool:
        """Refuse what must not be finalized; note what looks wrong; plan the chroot work."""
        root = self.target.root
        if not root.is_dir():
            raise BadInputError(f"{root}: no such directory", hint="mount the recovered tree there first")
        if root == Path("/").resolve() or os.path.samefile(root, "/"):
            raise RefusedError(f"{root}: is the running system's own root; finalize works on a restored tree")
        if not self.target.host_path("/etc").is_dir():
            raise BadInputError(
                f"{root}: holds no etc/: not a restored root filesystem", hint="restore the backup into it first"
            )
        self._load_journal()
        chroot_work = self.options.bootloader
        self._check_mounts(strict=chroot_work and not self.options.report_only)
        if chroot_work:
            esp_mounts = list(esp_mount_points(self.plan.layout).values())
            facts = gather_facts(self.target, esp_mounts)
            self.boot_plan = plan_bootloader(self.plan.layout, self.devices, facts, self.host)
            self.initramfs, notes = plan_initramfs(self.target)
            for note in (*notes, *self.boot_plan.notes):
                self.note(note)
            planned = [self.initramfs] if self.initramfs else []
            self.outcome.planned = planned + self.boot_plan.commands(efivars=self.host.efivars)
            if not self.options.report_only:
                tools.require(needs.host_tools(self.boot_plan, self.host), why="finalize")
        self._check_identities()
        return True

    def _load_journal(self) -> None:
        path = self.options.journal or default_journal(self.plan)
        if path is None:
            return
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInputError(f"{path}: cannot read the apply journal: {exc.strerror}") from exc
        entries, problems = parse_journal(text)
        self._journal = (str(path), entries, problems)

    def _check_mounts(self, *, strict: bool) -> None:
        mounted = self.mounted()
        missing = []
        for step in self.plan.steps:
            if isinstance(step, MountStep):
                where = str(self.target.root / step.mountpoint.lstrip("/")).rstrip("/")
                if where not in mounted:
                    missing.append(f"{step.mountpoint} ({step.device})")
        if not missing:
            return
        what = f"not mounted under {self.target.root}: {', '.join(missing)}"
        if strict:
            raise RefusedError(
                what,
                hint=f"mount the plan's filesystems first (rescue-tui mount PLAN --target-root {self.target.root})",
            )
        self.note(Note(message=what, level="warning" if self.options.bootloader else "info"))

    def _check_identities(self) -> None:
        present = [d.path for d in self.plan.disks if Path(d.path).exists()]
        if not present or len(present) < len(self.plan.disks) or not tools.available("blkid"):
            self.note(Note(message="target disks not present here: device identities not checked"))
            return
        try:
            text = self.runner(["blkid", "-c", "/dev/null", "-o", "export"], 60.0)
        except RescueError as exc:
            self.note(Note(message=f"device identities not checked: {exc.message}", level="warning"))
            return
        for note in missing_identities(self.devices, parse_blkid_export(text)):
            self.note(note)

    def rewrites(self) -> list[Rewrite]:
        """What each config file of the target becomes (nothing is written)."""
        target, devices = self.target, self.devices
        out: list[Rewrite] = []
        text = target.read(fstab.PATH)
        if text is None:
            self.note(Note(message="the restored system has no /etc/fstab", level="warning", path=fstab.PATH))
        else:
            out.append(fstab.rewrite_fstab(text, devices))
        text = target.read(crypttab.PATH)
        if text is not None:
            out.append(crypttab.rewrite_crypttab(text, devices))
        elif devices.of_type("luks"):
            self.note(
                Note(
                    message="the layout has LUKS containers but the restored system has no /etc/crypttab; "
                    "they must be opened by kernel arguments",
                    level="warning",
                )
            )
        out += self._mdadm()
        for path, rewrite in (
            (cmdline.DEFAULT_GRUB, cmdline.rewrite_default_grub),
            (cmdline.KERNEL_CMDLINE, cmdline.rewrite_kernel_cmdline),
            (cmdline.DEBIAN_RESUME, cmdline.rewrite_resume_conf),
        ):
            text = target.read(path)
            if text is not None:
                out.append(rewrite(text, devices, path=path))
        for path in target.glob(cmdline.BLS_DIR, "*.conf"):
            text = target.read(path)
            if text is not None:
                out.append(cmdline.rewrite_bls_entry(text, devices, path=path))
        return out

    def _mdadm(self) -> list[Rewrite]:
        arrays = [d for d in self.devices.of_type("md_array") if d.recreated]
        for path in mdadm.PATHS:
            text = self.target.read(path)
            if text is not None:
                return [mdadm.rewrite_mdadm_conf(text, self.devices, path=path)]
        if not arrays:
            return []
        if self.target.program("mdadm") is None:
            self.note(Note(message="the layout has md arrays but the restored system has no mdadm: its initramfs "
                           "cannot assemble them", level="warning"))  # fmt: skip
        debian = family_of(self.target.os_release()) == "debian" or self.target.host_path("/etc/mdadm").is_dir()
        path = mdadm.PATHS[0] if debian else mdadm.PATHS[1]
        return [mdadm.rewrite_mdadm_conf("", self.devices, path=path)]

    def rewrite_files(self) -> bool:
        for rewrite in self.rewrites():
            self.outcome.rewrites.append(rewrite)
            for note in rewrite.notes:
                self.note(note)
            written = False
            if rewrite.changed and not self.options.report_only:
                try:
                    self.target.write(rewrite.path, rewrite.after)
                except OSError as exc:
                    raise FinalizeError(f"{rewrite.path}: cannot write: {exc.strerror or exc}") from exc
                written = True
            self.emit(FileRewritten(rewrite.path, len(rewrite.changes), written))
        return True

    def selinux(self) -> bool:
        if not needs_relabel(self.target.read(SELINUX_CONFIG)):
            return False
        if self.options.report_only:
            self.outcome.actions.append(f"would create {RELABEL_FLAG}: SELinux relabels the system at its first boot")
        elif self.target.touch(RELABEL_FLAG):
            self.outcome.actions.append(f"created {RELABEL_FLAG}: SELinux relabels the system at its first boot")
        return True

    # -- the chroot phases -----------------------------------------------------------------------

    def _chroot(self, stack: contextlib.ExitStack) -> None:
        """Enter the chroot once, for both chroot phases; the stack leaves it."""
        if self._in_chroot:
            return
        efivars = self.host.efivars and self.boot_plan is not None and self.boot_plan.firmware == "uefi"
        stack.enter_context(
            chroot_mounts(
                self.target.root, self._raise_run, efivars=efivars, notes=self.outcome.notes, mounted=self.mounted
            )
        )
        self._in_chroot = True

    def rebuild_initramfs(self, stack: contextlib.ExitStack) -> bool:
        if not self.options.bootloader or self.initramfs is None or self.options.report_only:
            return False
        self._chroot(stack)
        self.record(self.initramfs)
        return True

    def install_bootloader(self, stack: contextlib.ExitStack) -> bool:
        plan = self.boot_plan
        if not self.options.bootloader or plan is None or plan.firmware is None or self.options.report_only:
            return False
        installer = BootInstaller(
            plan, self.target.root, self.record, self.host, self.outcome.notes, self.outcome.actions
        )
        temporary = installer.prepare_esps()
        stack.callback(installer.release_esps, temporary)  # after the steps below, before leaving the chroot
        usable = [e for e in plan.esps if e.mounted or e in temporary]
        self._chroot(stack)
        installer.install_in_chroot(usable)
        installer.entries_and_fallback(usable)
        return True

    # -- running programs ------------------------------------------------------------------------

    def _raise_run(self, command: Command) -> str:
        return self.runner(host_argv(command, self.target.root), command.timeout, command.stdin)

    def record(self, command: Command) -> str | None:
        """Run a command, record it for the report; a failure is an error note and None."""
        text = command.text()
        self.emit(CommandStarted(text))
        started = time.monotonic()
        try:
            output = self._raise_run(command)
        except RescueError as exc:
            seconds = time.monotonic() - started
            self.outcome.commands.append(CommandRecord(command=command, seconds=seconds, ok=False, error=exc.message))
            self.emit(CommandFinished(text, seconds, ok=False, message=exc.message))
            self.note(Note(message=f"{command.why}: {exc.message}", level="error"))
            return None
        seconds = time.monotonic() - started
        tail = "\n".join(output.splitlines()[-20:])
        self.outcome.commands.append(CommandRecord(command=command, seconds=seconds, ok=True, output=tail))
        self.emit(CommandFinished(text, seconds, ok=True))
        return output

    # -- the report ------------------------------------------------------------------------------

    def write_report(self) -> bool:
        self.report = build_report(
            self.plan,
            self.outcome,
            target=str(self.target.root),
            report_only=self.options.report_only,
            journal=self._journal,
            restore=self.options.restore,
            now=self.now(),
        )
        if self.options.report_only:
            return False
        directory = self.target.host_path(REPORT_DIR)
        try:
            paths = write_report(directory, self.report, now=self.now())
        except OSError as exc:
            raise FinalizeError(f"{REPORT_DIR}: cannot write the report: {exc.strerror or exc}") from exc
        self.outcome.report_paths = [str(p) for p in paths]
        return True
