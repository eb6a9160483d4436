"""Fixtures for the VM tests: the rescue image, booted snapshots, and a machine per test.

- ``rescue_image`` (session): ``iso/build --json``; a cache hit costs seconds, a miss
  builds the image (about 3 minutes from nothing, 5 s after a code change).
- ``booted_state`` (session, per firmware): a qcow2 file holding a snapshot of the image
  booted to its first screen with the test shell answering. Kept beside the image in the
  cache, so a later run with the same image (and QEMU command line) boots nothing.
- ``vm`` (function): a machine restored from that snapshot in about a second, with no
  disks yet (``vm.add_disk("1G")`` hot-plugs blank ones), killed after the test.
- ``fresh_machine`` (function): a factory for machines that boot from power-on.
- ``first_boot`` (function): firmware -> the power-on boot to the first screen (seconds, ttyS0):
  the one that made the booted snapshot when that happened in this run, else a fresh one.

A failing test gets the tail of ttyS0, of the test shell and of QEMU's own log in its
report. Set RESCUE_VM_TESTS=0 to skip the VM tests; they need root and QEMU (iso/build
installs QEMU with the other build tools).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest

from rescue_tui.drill.machine import SNAPSHOT, Firmware, Image, Machine, image_from_build
from rescue_tui.errors import GuestError
from tests.conftest import ROOT
from tests.vm import timings
from tests.vm.source import source_recovery_set  # noqa: F401  (the drill's session fixture)
from tests.vm.target import target_archive  # noqa: F401  (the drills' session fixture)
from tests.vm.timings import record_timing

BUILD_TIMEOUT = 45 * 60
BOOT_TIMEOUT = 240.0
"""Power-on to first screen, generous for a loaded CI machine (measured: about 60 s)."""
SNAPSHOT_FORMAT = 1
"""Bump when the machine's devices change in a way the command-line signature misses."""
RUN = os.environ.setdefault("RESCUE_TEST_RUN", f"{os.getpid()}.{time.time_ns()}")
"""This test run (``tools/run-tests`` gives both shards one): a boot recorded in it may stand for a test's own."""


VM_SHARD_OF_GROUP = {
    "test_console_drill.py[uefi]": 0, "test_drill.py": 0,
    "test_console_drill.py[bios]": 1, "test_netboot.py": 1, "test_apply_roundtrip.py": 1, "test_capture.py": 1,
    "test_storage.py": 1,
    "test_image.py": 1, "test_unattended.py": 1, "test_boot.py": 1, "test_boot.py[bios]": 1, "test_boot.py[uefi]": 1,
}  # fmt: skip
"""Which of two shards runs each group of VM tests (``tools/run-tests`` runs both at once, a core each).

A group is a test file (a module-scoped fixture is built once), or one firmware of a file in
``SPLIT_BY_FIRMWARE``. Shard 0 also runs every in-host test (about 340 s) before its VM tests. In a warm
fresh-clone run on a6e4a9a shard 0 took 1178 s (835 s of VM tests) and shard 1 1033 s, so the UEFI
first-screen test (about 50 s) moved to shard 1. In ci35 (6f556fc) shard 0 took 1485 s (1061 s of VM tests)
and shard 1 1357 s; the network-boot fleet recovery then added 100 s to shard 0, so the rest of ``test_boot.py``
(about 100 s) moved to shard 1 too. The drill of the real source machine (its live backup, then a bigger
recovery) added about 600 s to ``test_drill.py``, so ``test_netboot.py`` (about 290 s) moved to shard 1.
A group not listed goes by a hash of its name."""
SPLIT_BY_FIRMWARE = ("test_console_drill.py", "test_boot.py")
"""Files whose tests of one firmware form a group of their own (a test for both stays in the file's group)."""


def vm_shard(item: pytest.Item, shards: int) -> int:
    """The shard of ``shards`` that runs a VM test."""
    group = item.path.name
    firmware = next((f for f in ("bios", "uefi") if f"[{f}]" in item.nodeid), None)
    if group in SPLIT_BY_FIRMWARE and firmware:
        group += f"[{firmware}]"
    if group in VM_SHARD_OF_GROUP and shards == 2:
        return VM_SHARD_OF_GROUP[group]
    return zlib.crc32(group.encode()) % shards


def _keep_this_shard(config: pytest.Config, items: list[pytest.Item]) -> None:
    """RESCUE_VM_SHARD=K/N: only the VM tests of shard K (0-based) run here; the others are deselected."""
    spec = os.environ.get("RESCUE_VM_SHARD", "")
    if not spec:
        return
    index, _, count = spec.partition("/")
    if not (index.isdigit() and count.isdigit() and int(index) < int(count)):
        raise pytest.UsageError(f"RESCUE_VM_SHARD={spec!r}: K/N with 0 <= K < N is needed, such as 1/2")
    others = [i for i in items if "vm" in i.keywords and vm_shard(i, int(count)) != int(index)]
    if others:
        config.hook.pytest_deselected(items=others)
        items[:] = [i for i in items if i not in others]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _keep_this_shard(config, items)
    reason = None
    if os.environ.get("RESCUE_VM_TESTS", "1") == "0":
        reason = "RESCUE_VM_TESTS=0"
    elif os.geteuid() != 0:
        reason = "the VM tests build the image as root (mmdebstrap, chroot)"
    if reason:
        for item in items:
            if "vm" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "vm" in report.keywords and not report.skipped:
        timings.tests[report.nodeid] += report.duration


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if timings.tests and timings.suite_seconds() > timings.budget() and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        session.config._rescue_over_budget = True  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    lines = timings.report_lines()
    if not lines:
        return
    terminalreporter.section("VM time")
    for line in lines:
        terminalreporter.write_line(line)
    if getattr(config, "_rescue_over_budget", False):
        terminalreporter.write_line(
            f"FAILED: the VM tests took {timings.suite_seconds():.0f} s, over the budget of {timings.budget():.0f} s "
            "(RESCUE_VM_BUDGET): find the slow test above before CI runs out of time",
            red=True,
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    report = outcome.get_result()
    if report.failed:
        for machine in getattr(item, "_rescue_machines", []):
            for name, text in machine.logs().items():
                report.sections.append((f"{machine.firmware} {machine.workdir.name}: {name}", text))


@pytest.fixture(scope="session")
def rescue_image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    """The rescue image for the tree as it is (built on a cache miss)."""
    log = tmp_path_factory.mktemp("build") / "build.log"
    with log.open("w") as err:
        try:
            result = subprocess.run(
                [str(ROOT / "iso" / "build"), "--json"],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                timeout=BUILD_TIMEOUT,
                cwd=ROOT,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"iso/build took over {BUILD_TIMEOUT} s; log: {log}")
    if result.returncode != 0:
        pytest.fail(f"iso/build failed ({result.returncode}):\n{log.read_text()[-6000:]}")
    built = json.loads(result.stdout.strip().splitlines()[-1])
    if not built.get("image_cached", True):
        record_timing(f"{timings.CACHE_PREFIX}rescue image build", float(built["seconds"]))
    return image_from_build(result.stdout)


def _signature(machine: Machine) -> str:
    """What must be equal for -loadvm to work: the QEMU version and the command line."""
    version = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout
    command = " ".join(machine.command()).replace(str(machine.workdir), "<w>")
    return hashlib.sha256(f"{SNAPSHOT_FORMAT}\n{version}\n{command}".encode()).hexdigest()


def ensure_booted_state(image: Image, firmware: Firmware, scratch: Path) -> Path:
    """The snapshot file for this image and firmware, booting once to make it if needed.

    Test runs on one machine share it (a lock keeps two from booting at once); each
    machine restores from its own copy (``private_state``), as QEMU locks what it opens.
    """
    directory = image.dir / "snapshots"
    directory.mkdir(exist_ok=True)
    with (directory / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_booted_state(image, firmware, scratch, directory)


def _ensure_booted_state(image: Image, firmware: Firmware, scratch: Path, directory: Path) -> Path:
    state = directory / f"{firmware}.qcow2"
    probe = Machine(image=image, workdir=scratch / "probe", firmware=firmware, state=state, loadvm=SNAPSHOT)
    signature = _signature(probe)
    sig_file = directory / f"{firmware}.sig"
    if state.exists() and sig_file.exists() and sig_file.read_text() == signature:
        return state
    # Boot into a private directory, then move the files in place whole. One retry: on a
    # shared machine a boot can be lost to something outside the test (QEMU killed).
    building = scratch / f"snapshot-{firmware}"
    started = time.monotonic()
    for attempt in (1, 2):
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        try:
            seconds, serial = _boot_and_save(
                Machine(image=image, workdir=building / "vm", firmware=firmware, state=building / state.name)
            )
            break
        except GuestError:
            if attempt == 2:
                raise
    record = {"run": RUN, "seconds": seconds, "serial": base64.b64encode(serial).decode()}
    (building / f"{firmware}.boot.json").write_text(json.dumps(record))
    for name in (f"{firmware}.qcow2", f"{firmware}-vars.qcow2", f"{firmware}.boot.json"):
        if (building / name).exists():
            os.replace(building / name, directory / name)
    sig_file.write_text(signature)
    record_timing(f"{timings.CACHE_PREFIX}booted snapshot {firmware}", time.monotonic() - started)
    return state


def _boot_and_save(machine: Machine) -> tuple[float, bytes]:
    """Power-on to the first screen, then the snapshot; that boot's seconds and ttyS0 (see ``first_boot``)."""
    machine.start()
    try:
        seconds = machine.wait_first_screen(BOOT_TIMEOUT)
        serial = quiet_serial(machine)
        machine.connect_shell()
        # Let the boot finish, so that no job is half done in every restored test.
        machine.run("timeout 90 systemctl is-system-running --wait; udevadm settle", timeout=120)
        machine.savevm(SNAPSHOT)
        return seconds, serial
    except (GuestError, pexpect.ExceptionPexpect) as exc:
        raise GuestError(f"booting {machine.firmware} for the snapshot failed: {exc}\n{machine.serial_tail()}") from exc
    finally:
        machine.kill()


def quiet_serial(machine: Machine, quiet: float = 2.0) -> bytes:
    """Everything on ttyS0 since power-on, once the line has been quiet for ``quiet`` seconds."""
    log = machine.workdir / "ttyS0.log"
    size = -1
    while size != log.stat().st_size:
        size = log.stat().st_size
        time.sleep(quiet)
    return log.read_bytes()


@pytest.fixture(scope="session")
def booted_states(rescue_image: Image, tmp_path_factory: pytest.TempPathFactory) -> Callable[[Firmware], Path]:
    """Firmware -> its booted snapshot file (made on first use)."""
    scratch = tmp_path_factory.mktemp("snapshots")
    made: dict[Firmware, Path] = {}

    def get(firmware: Firmware) -> Path:
        if firmware not in made:
            made[firmware] = ensure_booted_state(rescue_image, firmware, scratch)
        return made[firmware]

    return get


@contextlib.contextmanager
def private_state(state: Path, workdir: Path) -> Iterator[Path]:
    """A copy of a booted snapshot (and its UEFI variables) for one machine, removed afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    copies = []
    for source in (state, state.with_name(state.stem + "-vars.qcow2")):
        if source.exists():
            copies.append(workdir / source.name)
            shutil.copyfile(source, copies[-1])
    try:
        yield copies[0]
    finally:
        for copy in copies:
            copy.unlink(missing_ok=True)


def _track(request: pytest.FixtureRequest, machine: Machine) -> None:
    machines: list[Machine] = getattr(request.node, "_rescue_machines", [])
    machines.append(machine)
    request.node._rescue_machines = machines  # read by pytest_runtest_makereport


@pytest.fixture
def vm(
    request: pytest.FixtureRequest, rescue_image: Image, booted_states: Callable[[Firmware], Path], tmp_path: Path
) -> Iterator[Machine]:
    """The image restored to its booted state (BIOS; parametrize indirectly with "uefi")."""
    firmware: Firmware = getattr(request, "param", "bios")
    with private_state(booted_states(firmware), tmp_path / "state") as state:
        machine = Machine(image=rescue_image, workdir=tmp_path / "vm", firmware=firmware, state=state, loadvm=SNAPSHOT)
        _track(request, machine)
        machine.start()
        try:
            machine.connect_shell(timeout=60)
            # The guest's clock stopped at savevm: set it, so that file times make sense.
            machine.check(f"date -s @{int(time.time())} >/dev/null")
            yield machine
        finally:
            machine.kill()


@pytest.fixture
def fresh_machine(
    request: pytest.FixtureRequest, rescue_image: Image, tmp_path: Path
) -> Iterator[Callable[..., Machine]]:
    """Factory: ``fresh_machine(firmware="uefi", append=None)`` starts a machine from power-on."""
    machines: list[Machine] = []

    def start(firmware: Firmware = "bios", **kwargs: Any) -> Machine:
        machine = Machine(
            image=rescue_image, workdir=tmp_path / f"vm-{firmware}-{len(machines)}", firmware=firmware, **kwargs
        )
        _track(request, machine)
        machines.append(machine)
        return machine.start()

    yield start
    for machine in machines:
        machine.kill()


@pytest.fixture
def first_boot(
    booted_states: Callable[[Firmware], Path], fresh_machine: Callable[..., Machine]
) -> Callable[[Firmware], tuple[float, bytes]]:
    """Firmware -> a power-on boot of the image to its first screen: seconds, and ttyS0 once quiet.

    The booted snapshot is made by such a boot, from the same image and QEMU command line (bar the
    drive the snapshot goes to). When it was made in this run, that boot is the answer; a snapshot
    from an earlier run proves nothing about this one, and a fresh machine boots.
    """

    def boot(firmware: Firmware) -> tuple[float, bytes]:
        record_file = booted_states(firmware).with_name(f"{firmware}.boot.json")
        record = json.loads(record_file.read_text()) if record_file.exists() else {}
        if record.get("run") == RUN:
            return float(record["seconds"]), base64.b64decode(record["serial"])
        machine = fresh_machine(firmware)
        seconds = machine.wait_first_screen(BOOT_TIMEOUT)
        return seconds, quiet_serial(machine)

    return boot
