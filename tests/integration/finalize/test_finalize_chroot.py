"""The chroot phases for real on this host: bind mounts, chroot, clean environment, always unmounted.

The boot tools are stubs (GRUB and the initramfs for real run in the rescue VM);
what is real here is everything around them: mount, chroot, env, umount.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rescue_tui.finalize.bootloader import HostFacts
from rescue_tui.finalize.chroot import chroot_mounts, current_mount_points
from rescue_tui.finalize.errors import FinalizeError
from rescue_tui.finalize.finalizer import FinalizeOptions, Finalizer, default_runner
from rescue_tui.finalize.model import Command, Note
from rescue_tui.plan.model import MountStep, Plan
from tests.integration.finalize.conftest import install_stubs, mounts_below, write
from tests.unit.plan.conftest import plan_for

pytestmark = pytest.mark.root
CANARY = "canary-3f9c1e-not-for-the-chroot"


def finalizer(plan: Plan, root: Path) -> Finalizer:
    wanted = {str(root / s.mountpoint.lstrip("/")).rstrip("/") for s in plan.steps if isinstance(s, MountStep)}
    return Finalizer(
        plan,
        FinalizeOptions(target=root),
        host=HostFacts(efivars=False),
        mounted=lambda: current_mount_points() | wanted,
    )


def test_binds_are_real_and_gone_afterwards_even_after_a_failure(chroot_tree: Path) -> None:
    notes: list[Note] = []
    before = mounts_below(chroot_tree)

    def run(command: Command) -> str:
        return default_runner(list(command.argv), command.timeout)

    with pytest.raises(FinalizeError), chroot_mounts(chroot_tree, run, efivars=False, notes=notes):
        assert {f"{chroot_tree}/{d}" for d in ("dev", "proc", "sys", "run")} <= set(mounts_below(chroot_tree))
        assert (chroot_tree / "proc/self/mountinfo").exists() and (chroot_tree / "dev/null").exists()
        raise FinalizeError("the work inside failed")
    assert mounts_below(chroot_tree) == before and notes == []


def test_a_bios_finalize_runs_the_targets_tools_in_a_clean_chroot(
    chroot_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESTIC_PASSWORD", CANARY)
    install_stubs(chroot_tree, ("update-initramfs", "grub-install", "update-grub"))
    write(chroot_tree, {"/etc/os-release": "ID=debian\n", "/etc/fstab": "/dev/sda1 / ext4 defaults 0 1\n"})
    (chroot_tree / "var/log").mkdir(parents=True, exist_ok=True)
    (chroot_tree / "tmp").mkdir()
    before = mounts_below(chroot_tree)
    outcome = finalizer(plan_for("bios-mbr-single"), chroot_tree).run()
    assert mounts_below(chroot_tree) == before
    assert (chroot_tree / "var/log/stub-calls").read_text() == (
        "/usr/local/sbin/update-initramfs -u -k all\n"
        "/usr/local/sbin/grub-install --target=i386-pc /dev/vdb\n"
        "/usr/local/sbin/update-grub \n"  # the stub logs "$0 $*"
    )
    env = (chroot_tree / "var/log/stub-env-grub-install").read_text()
    assert CANARY not in env and "RESTIC_PASSWORD" not in env
    assert "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n" in env and "LC_ALL=C\n" in env
    assert [r.ok for r in outcome.commands] == [True, True, True]
    assert (chroot_tree / "etc/fstab").read_text() == "UUID=6cd0e696-c356-4204-8543-2337cde344ad / ext4 defaults 0 1\n"
    report = next((chroot_tree / "var/log/rescue-tui").glob("*.txt")).read_text()
    assert "ran chroot: /usr/local/sbin/grub-install --target=i386-pc /dev/vdb" in report


def test_a_failing_tool_in_the_chroot_is_reported_and_the_chroot_is_left(chroot_tree: Path) -> None:
    install_stubs(chroot_tree, ("update-initramfs", "update-grub"))
    failing = chroot_tree / "usr/local/sbin/grub-install"
    failing.write_text("#!/bin/sh\necho 'grub-install: error: cannot find a GRUB drive for /dev/vdb.' >&2\nexit 1\n")
    failing.chmod(0o755)
    write(chroot_tree, {"/etc/os-release": "ID=debian\n", "/etc/fstab": ""})
    (chroot_tree / "var/log").mkdir(parents=True, exist_ok=True)
    before = mounts_below(chroot_tree)
    final = finalizer(plan_for("bios-mbr-single"), chroot_tree)
    with pytest.raises(FinalizeError) as info:
        final.run()
    assert mounts_below(chroot_tree) == before
    assert "cannot find a GRUB drive for /dev/vdb" in info.value.problems[1]
    assert subprocess.run(["findmnt", f"{chroot_tree}/dev"], capture_output=True).returncode == 1
