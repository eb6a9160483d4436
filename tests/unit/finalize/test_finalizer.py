"""The Finalizer's phases over a fake restored tree, with a fake tool runner: order, dry mode, refusals, failures."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path

import pytest

from rescue_tui import tools
from rescue_tui.errors import BadInputError, RefusedError
from rescue_tui.events import Event, StepFinished, StepStarted
from rescue_tui.finalize.bootloader import HostFacts
from rescue_tui.finalize.errors import FinalizeError
from rescue_tui.finalize.finalizer import FinalizeOptions, Finalizer, plan_digest
from rescue_tui.plan.model import MountStep, Plan
from tests.unit.finalize.conftest import make_tree, tree_state
from tests.unit.plan.conftest import plan_for

FSTAB = """\
# <file system>          <mount point> <type> <options>          <dump> <pass>
/dev/mapper/vg_system-root /           ext4   errors=remount-ro  0      1
/dev/mapper/vg_system-var  /var        xfs    defaults,noatime   0      0
/dev/sdc1                  /old        ext4   defaults           0      2
"""
MDADM = (
    "HOMEHOST <system>\n"
    "ARRAY /dev/md0 metadata=1.2 UUID=38d0842c:bac87d6f:b13495c3:60f3416c\n"
    "   devices=/dev/sda2,/dev/sdb2\n"
)
DEBIAN_TOOLS = ("grub-install", "update-grub", "grub-mkconfig", "update-initramfs")


@pytest.fixture(scope="module")
def raid_plan() -> Plan:
    return plan_for("raid1-lvm")


class Tools:
    """Records the argv of every tool run; a failing command raises like command.run would."""

    def __init__(self, fail: str | None = None) -> None:
        self.ran: list[str] = []
        self.fail = fail

    def __call__(self, argv: Sequence[str], timeout: float, stdin: str | None = None) -> str:
        line = shlex.join(argv) + (f" <<< {stdin.strip()}" if stdin else "")
        if line.startswith("chroot "):
            line = "chroot: " + shlex.join(argv[argv.index("DEBIAN_FRONTEND=noninteractive") + 1 :])
        self.ran.append(line)
        if self.fail and self.fail in line:
            raise FinalizeError(f"{line}: failed with exit code 1: boom")
        return ""


def debian_tree(root: Path, **more: str) -> Path:
    files = {
        "/etc/os-release": "ID=debian\nNAME='Debian GNU/Linux'\n",
        "/etc/fstab": FSTAB,
        "/etc/mdadm/mdadm.conf": MDADM,
        **more,
    }
    return make_tree(root, files, DEBIAN_TOOLS)


def mounted_for(plan: Plan, root: Path) -> set[str]:
    return {str(root / s.mountpoint.lstrip("/")).rstrip("/") for s in plan.steps if isinstance(s, MountStep)}


def finalizer(plan: Plan, root: Path, runner: Tools, **options: object) -> tuple[Finalizer, list[Event]]:
    events: list[Event] = []
    mounts = mounted_for(plan, root)
    made = Finalizer(
        plan,
        FinalizeOptions(target=root, **options),
        events.append,
        runner=runner,  # type: ignore[arg-type]
        host=HostFacts(efivars=False),
        mounted=lambda: mounts,
        now=lambda: 1743588000.0,
    )
    return made, events


def test_bios_raid1_runs_every_phase_in_order_in_one_chroot(raid_plan: Plan, tmp_path: Path) -> None:
    root = debian_tree(tmp_path / "t")
    runner = Tools()
    final, events = finalizer(raid_plan, root, runner)
    outcome = final.run()
    assert [(e.step, e.index) for e in events if isinstance(e, StepStarted)] == [
        ("check", 1),
        ("files", 2),
        ("selinux", 3),
        ("initramfs", 4),
        ("bootloader", 5),
        ("report", 6),
    ]
    assert [e.skipped for e in events if isinstance(e, StepFinished)] == [False, False, True, False, False, False]
    assert runner.ran == [
        f"mount --bind /dev {root}/dev",
        f"mount --bind /proc {root}/proc",
        f"mount --bind /sys {root}/sys",
        f"mount --bind /run {root}/run",
        "chroot: /usr/sbin/update-initramfs -u -k all",
        "chroot: /usr/sbin/grub-install --target=i386-pc /dev/vdb",
        "chroot: /usr/sbin/grub-install --target=i386-pc /dev/vdc",
        "chroot: /usr/sbin/update-grub",
        f"umount {root}/run",
        f"umount {root}/sys",
        f"umount {root}/proc",
        f"umount {root}/dev",
    ]
    assert (root / "etc/mdadm/mdadm.conf").read_text() == (
        "HOMEHOST <system>\nARRAY /dev/md0 metadata=1.2 UUID=38d0842c:bac87d6f:b13495c3:60f3416c\n"
    )
    assert (root / "var/lib/rescue-tui/originals/etc/mdadm/mdadm.conf").read_text() == MDADM
    assert (root / "etc/fstab").read_text() == FSTAB  # /dev/sdc1 is not in the layout: noted, kept
    assert [n.level for n in outcome.notes if "/dev/sdc1" in n.message] == ["warning"]
    report = json.loads((root / "var/log/rescue-tui/recovery-20250402-100000.json").read_text())
    assert report["finalize"]["problems"] == 0 and len(report["finalize"]["commands"]) == 4
    assert (root / "var/log/rescue-tui/recovery-20250402-100000.txt").exists()


def test_report_only_writes_nothing_and_lists_what_would_run(raid_plan: Plan, tmp_path: Path) -> None:
    root = debian_tree(tmp_path / "t", **{"/etc/selinux/config": "SELINUX=enforcing\n"})
    before = tree_state(root)
    runner = Tools()
    final, _ = finalizer(raid_plan, root, runner, report_only=True)
    outcome = final.run()
    assert tree_state(root) == before and runner.ran == []
    assert [c.text() for c in outcome.planned] == [
        "chroot: /usr/sbin/update-initramfs -u -k all",
        "chroot: /usr/sbin/grub-install --target=i386-pc /dev/vdb",
        "chroot: /usr/sbin/grub-install --target=i386-pc /dev/vdc",
        "chroot: /usr/sbin/update-grub",
    ]
    assert outcome.actions == ["would create /.autorelabel: SELinux relabels the system at its first boot"]
    assert [r.path for r in outcome.rewrites if r.changed] == ["/etc/mdadm/mdadm.conf"]
    assert final.report["mode"] == "report-only"


def test_the_selinux_flag_is_set_when_selinux_is_on(raid_plan: Plan, tmp_path: Path) -> None:
    root = debian_tree(tmp_path / "t", **{"/etc/selinux/config": "SELINUX=permissive\n"})
    final, _ = finalizer(raid_plan, root, Tools(), bootloader=False)
    final.run()
    assert (root / ".autorelabel").exists()


def test_the_running_systems_root_is_refused_and_nothing_is_written(raid_plan: Plan) -> None:
    final, _ = finalizer(raid_plan, Path("/"), Tools(), report_only=True)
    with pytest.raises(RefusedError, match="is the running system's own root"):
        final.run()


def test_a_tree_without_etc_is_not_a_restored_root(raid_plan: Plan, tmp_path: Path) -> None:
    final, _ = finalizer(raid_plan, tmp_path, Tools())
    with pytest.raises(BadInputError, match="holds no etc/"):
        final.run()


def test_unmounted_filesystems_refuse_the_chroot_work_but_not_a_files_only_run(raid_plan: Plan, tmp_path: Path) -> None:
    root = debian_tree(tmp_path / "t")
    before = tree_state(root)
    final = Finalizer(
        raid_plan, FinalizeOptions(target=root), runner=Tools(), host=HostFacts(efivars=False), mounted=set
    )
    with pytest.raises(RefusedError, match="not mounted under") as info:
        final.run()
    assert "rescue-tui mount PLAN" in (info.value.hint or "") and tree_state(root) == before
    files_only = Finalizer(
        raid_plan,
        FinalizeOptions(target=root, bootloader=False),
        runner=Tools(),
        host=HostFacts(efivars=False),
        mounted=set,
    )
    files_only.run()
    assert any(n.message.startswith("not mounted under") for n in files_only.outcome.notes)


def test_a_missing_host_tool_refuses_before_anything_is_written(
    raid_plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = debian_tree(tmp_path / "t")
    before = tree_state(root)
    real = tools.which
    monkeypatch.setattr(tools, "which", lambda name: None if name == "chroot" else real(name))
    final, _ = finalizer(raid_plan, root, Tools())
    with pytest.raises(tools.MissingToolError, match="missing tools: chroot"):
        final.run()
    assert tree_state(root) == before


def test_a_failed_grub_install_still_installs_the_rest_writes_the_report_and_fails(
    raid_plan: Plan, tmp_path: Path
) -> None:
    root = debian_tree(tmp_path / "t")
    runner = Tools(fail="/dev/vdb")
    final, _ = finalizer(raid_plan, root, runner)
    with pytest.raises(FinalizeError, match=r"finalize finished with 1 problem\(s\)") as info:
        final.run()
    assert "chroot: /usr/sbin/grub-install --target=i386-pc /dev/vdc" in runner.ran
    assert runner.ran[-1] == f"umount {root}/dev"
    assert info.value.problems[1].startswith("boot code on /dev/vdb: ")
    report = json.loads(next((root / "var/log/rescue-tui").glob("*.json")).read_text())
    assert report["finalize"]["problems"] == 1


def test_a_failed_mount_stops_the_chroot_work_but_the_report_is_written(raid_plan: Plan, tmp_path: Path) -> None:
    root = debian_tree(tmp_path / "t")
    runner = Tools(fail="mount --bind /sys")
    final, _ = finalizer(raid_plan, root, runner)
    with pytest.raises(FinalizeError, match="mount --bind /sys"):
        final.run()
    assert runner.ran[-2:] == [f"umount {root}/proc", f"umount {root}/dev"]
    assert not any(line.startswith("chroot:") for line in runner.ran)
    assert list((root / "var/log/rescue-tui").glob("*.txt"))
    assert ("initramfs", "failed") in [(p, s) for p, s, _ in final.outcome.phases]


def test_apply_journal_in_its_default_place_is_found_by_the_plans_digest(
    raid_plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rescue_tui.apply import executor
    from rescue_tui.finalize import finalizer as module

    assert plan_digest(raid_plan) == executor.plan_digest(raid_plan)
    monkeypatch.setattr(module, "APPLY_JOURNAL_DIR", tmp_path)
    (tmp_path / f"apply-{plan_digest(raid_plan)[:16]}.jsonl").write_text(
        '{"event": "started", "step": "s001", "at": "2025-04-02T10:00:01+0000"}\n'
        '{"event": "done", "step": "s001", "at": "2025-04-02T10:00:03+0000"}\n'
    )
    root = debian_tree(tmp_path / "t")
    final, _ = finalizer(raid_plan, root, Tools(), report_only=True)
    final.run()
    assert final.report["apply"]["steps"][0]["seconds"] == 2.0


def test_an_unreadable_journal_given_by_hand_is_bad_input(raid_plan: Plan, tmp_path: Path) -> None:
    root = debian_tree(tmp_path / "t")
    final, _ = finalizer(raid_plan, root, Tools(), report_only=True, journal=tmp_path / "nope.jsonl")
    with pytest.raises(BadInputError, match="cannot read the apply journal"):
        final.run()


def test_uefi_with_the_esp_on_raid1_tries_an_entry_per_member_and_falls_back_when_they_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rescue_tui.layout.codec import read_layout
    from rescue_tui.plan.build import PlanRequest, make_plan
    from tests.unit.finalize.conftest import DATA
    from tests.unit.plan.conftest import targets_like

    path = DATA / "esp-raid1.json"
    plan = make_plan(PlanRequest(layout_path=path, inventory=targets_like(read_layout(path))))
    real = tools.which
    monkeypatch.setattr(tools, "which", lambda name: "/usr/bin/efibootmgr" if name == "efibootmgr" else real(name))
    root = make_tree(tmp_path / "t", {"/etc/os-release": "ID=debian\n", "/etc/fstab": ""}, DEBIAN_TOOLS)
    (root / "boot/efi/EFI/debian").mkdir(parents=True)
    (root / "boot/efi/EFI/debian/grubx64.efi").write_text("grub")
    runner = Tools(fail="efibootmgr --create")
    mounts = mounted_for(plan, root)
    final = Finalizer(
        plan, FinalizeOptions(target=root), runner=runner, host=HostFacts(efivars=True), mounted=lambda: mounts
    )
    with pytest.raises(FinalizeError):
        final.run()
    efi = [line for line in runner.ran if line.startswith("efibootmgr")]
    assert efi == [
        "efibootmgr -v",
        "efibootmgr --create --disk /dev/vdb --part 1 --label debian --loader '\\EFI\\debian\\grubx64.efi'",
        "efibootmgr -v",
        "efibootmgr --create --disk /dev/vdc --part 1 --label 'debian (2)' --loader '\\EFI\\debian\\grubx64.efi'",
        "efibootmgr -v",
    ]
    # the entries failed: the fallback loader makes the disks boot anyway, and the report says what happened
    assert (root / "boot/efi/EFI/BOOT/BOOTX64.EFI").read_text() == "grub"
    assert (root / "etc/mdadm/mdadm.conf").read_text().count("ARRAY") == 2
    assert [n.level for n in final.outcome.problems] == ["error", "error"]
    assert any("no mdadm" in n.message for n in final.outcome.notes)
