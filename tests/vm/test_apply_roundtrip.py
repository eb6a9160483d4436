"""Apply in the rescue guest, capture what it built, compare with the plan: the round trip.

Every VM-sized layout (tests/data/layouts/vm, one per shape of layouts/examples) goes through
plan onto virtio disks, apply, unmount, capture, and a comparison of every identity field:
``uefi-gpt-lvm`` onto a bigger and onto a smaller-but-sufficient disk (its partition resized, every
other field kept), ``raid1-lvm`` onto disks holding stale RAID/LVM/LUKS metadata and with the
executor killed mid-way (after partitioning, in the middle of mkfs: ``--resume`` must finish it),
the others onto blank disks of their own size; ReaR's whole-disk RAID (md RAID1 on the bare
disks, the partitions on the array) comes as a ``disklayout.conf`` imported in the guest. Each
apply costs a minute under TCG, so a layout is applied once per situation, not once more on blank
disks as well.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rescue_tui.drill.machine import Machine
from rescue_tui.layout.codec import parse_layout, read_layout
from rescue_tui.layout.identity import expected_identities, identity_fields
from rescue_tui.layout.model import Disk, Layout
from rescue_tui.plan.codec import plan_from_json
from rescue_tui.plan.model import Plan
from tests.conftest import DATA

pytestmark = pytest.mark.vm

LAYOUTS = DATA / "layouts" / "vm"
PASSPHRASE = b"correct horse battery staple\n"
DISKS = {
    "uefi-gpt-lvm": ["2G"],
    "raid1-lvm": ["1536M", "1536M"],
    "luks-lvm-thin": ["2G"],
    "btrfs-subvolumes": ["2G"],
    "mbr-logical": ["1G"],
    "rear-whole-disk-raid": ["1536M", "1536M"],
}
REAR = {"rear-whole-disk-raid": DATA / "rear" / "08-whole-disk-raid-partitioned-vm.conf"}
"""Layouts that come as ReaR files: imported in the guest first (md RAID1 on whole disks, partitioned)."""


class RoundTrip:
    """One layout through plan, apply and capture in the guest."""

    def __init__(self, vm: Machine, name: str, sizes: list[str] | None = None) -> None:
        self.vm = vm
        self.name = name
        self.disks = [vm.add_disk(size).device for size in sizes or DISKS[name]]
        if name in REAR:
            vm.push({"layout.conf": REAR[name], "pass": PASSPHRASE}, "/root")
            vm.check("rescue-tui layout import-rear /root/layout.conf -o /root/layout.json", timeout=120)
            self.layout = parse_layout(vm.read_text("/root/layout.json"), where="layout.json")
        else:
            vm.push({"layout.json": LAYOUTS / f"{name}.json", "pass": PASSPHRASE}, "/root")
            self.layout = read_layout(LAYOUTS / f"{name}.json")
        vm.check("chmod 600 /root/pass")

    @property
    def devices(self) -> str:
        return " ".join(f"--device {d}" for d in self.disks)

    def plan(self) -> Plan:
        originals = [d.name for d in self.layout.of_type(Disk)]
        maps = " ".join(f"--map {o}={d}" for o, d in zip(originals, self.disks, strict=True))
        self.vm.check(
            f"rescue-tui plan --layout /root/layout.json --targets live {maps} -o /root/plan.json", timeout=600
        )
        return plan_from_json(self.vm.read_text("/root/plan.json"), where="plan.json")

    def apply(self, *extra: str) -> str:
        return self.vm.check(f"rescue-tui apply /root/plan.json --yes --passphrase-file /root/pass {' '.join(extra)}",
                             timeout=1800)  # fmt: skip

    def capture(self) -> Layout:
        self.vm.check("rescue-tui umount", timeout=120)
        self.vm.check(f"rescue-tui layout capture --hostname x {self.devices} -o /root/captured.json", timeout=600)
        return parse_layout(self.vm.read_text("/root/captured.json"), where="captured.json")

    def assert_round_trip(self, plan: Plan) -> None:
        captured = self.capture()
        target_of = {d.source: d.name for d in plan.disks}
        got = identity_fields(captured)
        want = expected_identities(plan.layout, got, target_of)
        assert {k: got.get(k) for k in want} == want
        extra = sorted(set(got) - set(want))
        assert extra == [], f"the targets hold more than planned: {extra}"


ROUND_TRIPS_ELSEWHERE = {"uefi-gpt-lvm", "raid1-lvm"}
"""Layouts whose round trip the resize, stale-metadata and resume tests below already make."""


@pytest.mark.parametrize("name", sorted(set(DISKS) - ROUND_TRIPS_ELSEWHERE))
def test_apply_rebuilds_every_identity_field(vm: Machine, name: str) -> None:
    trip = RoundTrip(vm, name)
    plan = trip.plan()
    trip.apply()
    trip.assert_round_trip(plan)


def test_apply_onto_a_bigger_disk_grows_the_lvm_partition(vm: Machine) -> None:
    trip = RoundTrip(vm, "uefi-gpt-lvm", ["3G"])
    plan = trip.plan()
    assert [c.what for c in plan.changes][:2] == [
        "disk sda -> " + trip.disks[0].rsplit("/", 1)[1],
        "partition /dev/sda3",
    ]
    trip.apply()
    # As after a restart of the rescue system: the plan's tree is mounted again from nothing.
    vm.check("rescue-tui umount && rescue-tui mount /root/plan.json", timeout=120)
    mounted = sorted(vm.check("findmnt -rn -o TARGET -R /mnt/target").split())
    assert mounted == ["/mnt/target", "/mnt/target/boot", "/mnt/target/boot/efi", "/mnt/target/home"], mounted
    trip.assert_round_trip(plan)


def test_apply_onto_a_smaller_but_sufficient_disk(vm: Machine) -> None:
    trip = RoundTrip(vm, "uefi-gpt-lvm", ["1800M"])
    plan = trip.plan()
    assert any(c.what == "partition /dev/sda3" and c.new < c.old for c in plan.changes)
    trip.apply()
    trip.assert_round_trip(plan)


STALE = r"""
set -e
mdadm --create /dev/md9 --run --level=1 --raid-devices=2 --metadata=1.0 {a} {b} 2>/dev/null
mdadm --stop /dev/md9
sgdisk -q -n1:1M:+300M -n2:0:+300M {a}; partprobe {a}; udevadm settle
mdadm --create /dev/md8 --run --level=1 --raid-devices=2 --metadata=0.90 {a}1 {b} --force 2>/dev/null || true
mdadm --stop /dev/md8 2>/dev/null || true
pvcreate -q -ff -y {a}2 && vgcreate -q oldvg {a}2 && vgchange -q -an oldvg
printf x | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 {b} -
udevadm settle
"""


def test_apply_onto_disks_with_stale_raid_lvm_and_luks_metadata(vm: Machine) -> None:
    trip = RoundTrip(vm, "raid1-lvm")
    a, b = trip.disks
    vm.check(STALE.format(a=a, b=b), timeout=600)
    plan = trip.plan()
    found = {s.device: s.found for s in plan.steps if s.kind == "wipe-disk"}  # type: ignore[attr-defined]
    assert found[a] and found[b], found
    trip.apply()
    assert "md8" not in vm.check("cat /proc/mdstat") and "md9" not in vm.check("cat /proc/mdstat")
    assert "oldvg" not in vm.check("vgs --noheadings -o vg_name || true")
    trip.assert_round_trip(plan)


def kill_apply_when(vm: Machine, pattern: str) -> None:
    """Start apply in the background and SIGKILL it as soon as its journal matches ``pattern``."""
    vm.check(
        "rm -rf /run/rescue-tui; (rescue-tui apply /root/plan.json --yes --passphrase-file /root/pass"
        " >/root/apply.log 2>&1 & echo $! > /root/apply.pid)"
    )
    vm.check(
        f"for i in $(seq 1 3000); do grep -qE '{pattern}' /run/rescue-tui/*.jsonl 2>/dev/null && break;"
        " sleep 0.1; done; kill -9 $(cat /root/apply.pid); sleep 1; ! kill -0 $(cat /root/apply.pid) 2>/dev/null",
        timeout=900,
    )


def step_id(plan: Plan, kind: str, last: bool = False) -> str:
    ids = [s.id for s in plan.steps if s.kind == kind]
    return ids[-1] if last else ids[0]


@pytest.mark.parametrize(
    ("where", "pattern"),
    [
        ("after partitioning", '"event": "done".*"step": "{last_partition}"'),
        ("in the middle of mkfs", '"event": "started".*"step": "{mkfs}"'),
    ],
)
def test_resume_finishes_an_apply_killed_midway(vm: Machine, where: str, pattern: str) -> None:
    trip = RoundTrip(vm, "raid1-lvm")
    plan = trip.plan()
    steps = {
        "last_partition": step_id(plan, "create-partition", last=True),
        "mkfs": step_id(plan, "mkfs"),
    }
    kill_apply_when(vm, pattern.format(**steps))
    journal = vm.check("cat /run/rescue-tui/*.jsonl")
    assert '"event": "phase-done"' not in journal, f"killed too late ({where})"
    output = trip.apply("--resume")
    assert "starts again from the wipe" in output or "done before" in output
    trip.assert_round_trip(plan)


def test_a_plan_for_other_disks_is_refused_before_any_write(vm: Machine, tmp_path: Path) -> None:
    trip = RoundTrip(vm, "uefi-gpt-lvm")
    trip.plan()
    plan = json.loads(vm.read_text("/root/plan.json"))
    plan["disks"][0]["serial"] = "NOT-THIS-DISK"
    vm.push({"plan.json": json.dumps(plan).encode()}, "/root")
    vm.check(f"dd if=/dev/urandom of={trip.disks[0]} bs=1M count=4 conv=fsync status=none")  # something to lose
    digest = f"head -c 64M {trip.disks[0]} | sha256sum; tail -c 4M {trip.disks[0]} | sha256sum"
    before = vm.check(digest, timeout=300)
    result = vm.run("rescue-tui apply /root/plan.json --yes --passphrase-file /root/pass", timeout=300)
    assert result.rc == 2
    assert "changed since planning: serial" in result.output
    assert vm.check(digest, timeout=300) == before
