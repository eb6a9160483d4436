"""``rescue-tui finalize`` on a restored tree in tmp_path: --report-only, then the file phase for real.

The boot phases are left out (--no-bootloader); they run in the rescue VM.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from rescue_tui.plan.codec import plan_to_json
from tests.integration.finalize.conftest import require_root, write
from tests.unit.finalize.conftest import tree_state
from tests.unit.finalize.test_commands import run_cli
from tests.unit.plan.conftest import plan_for

pytestmark = pytest.mark.root

ROOT_UUID = "6cd0e696-c356-4204-8543-2337cde344ad"
SRV_UUID = "124fb2c7-093d-4e3d-94fb-12d9c0c86340"
SWAP_UUID = "1eaf3d51-88f7-49a6-8be2-52aec37f7bad"
LUKS_UUID = "4f4d7d80-e093-49e8-8c2e-2da2d6cb5d34"

WEB01 = {
    "/etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n',
    "/etc/fstab": (
        "# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
        "/dev/sda1       /               ext4    errors=remount-ro 0       1\n"
        "/dev/sda5       /srv            ext4    defaults        0       2\n"
        "/dev/sda2       none            swap    sw              0       0\n"
        "UUID=deadbeef-0000-4000-8000-000000000000 /mnt/usb ext4 defaults 0 2\n"
        "/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0\n"
    ),
    "/etc/default/grub": 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="resume=/dev/sda2"\n',
    "/etc/initramfs-tools/conf.d/resume": "RESUME=/dev/sda2\n",
    "/etc/selinux/config": "SELINUX=disabled\n",
}

KESTREL = {
    "/etc/os-release": "ID=debian\n",
    "/etc/fstab": (
        "/dev/mapper/kestrel-root /         ext4 errors=remount-ro,discard 0 1\n"
        "UUID=029588f8-90ac-44ff-8aed-17852dd0b5c0 /boot ext4 defaults 0 2\n"
        "UUID=9A41-C6E0  /boot/efi vfat umask=0077 0 1\n"
        "/dev/mapper/kestrel-home /home     ext4 defaults,discard 0 2\n"
        "/dev/mapper/kestrel-swap none      swap sw 0 0\n"
    ),
    "/etc/crypttab": (
        "# <target name>\t<source device>\t<key file>\t<options>\ncryptroot\t/dev/nvme0n1p3\tnone\tluks,discard\n"
    ),
    "/etc/kernel/cmdline": f"root=/dev/kestrel/root rd.luks.uuid=luks-{LUKS_UUID} quiet\n",
}


def plan_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.plan.json"
    path.write_text(plan_to_json(plan_for(name)))
    return path


def test_report_only_then_the_file_phase_for_real_on_a_debian_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_root()
    root = tmp_path / "target"
    write(root, WEB01)
    (root / "etc/fstab").chmod(0o644)
    plan = plan_file(tmp_path, "bios-mbr-single")
    before = tree_state(root)

    assert run_cli(["finalize", "--target", str(root), "--plan", str(plan), "--report-only"]) == 0
    shown = capsys.readouterr().out
    assert tree_state(root) == before
    assert f"+UUID={ROOT_UUID} /               ext4    errors=remount-ro 0       1\n" in shown
    assert f'+GRUB_CMDLINE_LINUX="resume=UUID={SWAP_UUID}"\n' in shown

    assert run_cli(["finalize", "--target", str(root), "--plan", str(plan), "--no-bootloader", "--yes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"finalized {root}: 3 file(s) rewritten, 0 command(s) run\n")
    assert (root / "etc/fstab").read_text() == (
        "# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
        f"UUID={ROOT_UUID} /               ext4    errors=remount-ro 0       1\n"
        f"UUID={SRV_UUID} /srv            ext4    defaults        0       2\n"
        f"UUID={SWAP_UUID} none            swap    sw              0       0\n"
        "UUID=deadbeef-0000-4000-8000-000000000000 /mnt/usb ext4 defaults 0 2\n"
        "/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0\n"
    )
    assert (root / "etc/default/grub").read_text().endswith(f'GRUB_CMDLINE_LINUX="resume=UUID={SWAP_UUID}"\n')
    assert (root / "etc/initramfs-tools/conf.d/resume").read_text() == f"RESUME=UUID={SWAP_UUID}\n"
    assert stat.S_IMODE((root / "etc/fstab").stat().st_mode) == 0o644
    assert (root / "var/lib/rescue-tui/originals/etc/fstab").read_text() == WEB01["/etc/fstab"]
    assert not (root / ".autorelabel").exists()

    [report_json] = (root / "var/log/rescue-tui").glob("recovery-*.json")
    report = json.loads(report_json.read_text())
    assert report["hostname"] == "web01" and report["mode"] == "finalize"
    assert report["mapping"][0]["target"]["path"] == "/dev/vdb"
    assert [f["path"] for f in report["finalize"]["files"] if f["changed"]] == [
        "/etc/fstab",
        "/etc/default/grub",
        "/etc/initramfs-tools/conf.d/resume",
    ]
    assert [p["phase"] + ":" + p["status"] for p in report["finalize"]["phases"]] == [
        "check:done",
        "files:done",
        "selinux:skipped",
        "initramfs:skipped",
        "bootloader:skipped",
    ]
    usb = [n for n in report["finalize"]["notes"] if "deadbeef" in n["message"]]
    assert usb[0]["level"] == "warning" and usb[0]["line"] == 5
    text = report_json.with_suffix(".txt").read_text()
    assert "rescue-tui recovery report: web01" in text and "Result: no problems found" in text
    assert stat.S_IMODE(report_json.stat().st_mode) == 0o640

    # a second run finds nothing left to change, and keeps the first originals
    assert run_cli(["finalize", "--target", str(root), "--plan", str(plan), "--no-bootloader", "--yes"]) == 0
    assert capsys.readouterr().out.startswith(f"finalized {root}: 0 file(s) rewritten")
    assert (root / "var/lib/rescue-tui/originals/etc/fstab").read_text() == WEB01["/etc/fstab"]


def test_crypttab_and_kernel_cmdline_of_a_luks_system(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_root()
    root = tmp_path / "target"
    write(root, KESTREL)
    (root / "etc/crypttab").chmod(0o600)
    plan = plan_file(tmp_path, "luks-lvm-thin")
    assert run_cli(["finalize", "--target", str(root), "--plan", str(plan), "--no-bootloader", "--yes"]) == 0
    assert (root / "etc/crypttab").read_text() == (
        f"# <target name>\t<source device>\t<key file>\t<options>\ncryptroot\tUUID={LUKS_UUID}\tnone\tluks,discard\n"
    )
    assert stat.S_IMODE((root / "etc/crypttab").stat().st_mode) == 0o600
    assert (root / "etc/fstab").read_text() == KESTREL["/etc/fstab"]
    assert (root / "etc/kernel/cmdline").read_text() == KESTREL["/etc/kernel/cmdline"]


def test_a_rhel_like_tree_gets_its_mdadm_conf_fixed_and_the_selinux_relabel_flag(tmp_path: Path) -> None:
    require_root()
    root = tmp_path / "target"
    write(
        root,
        {
            "/etc/os-release": 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n',
            "/etc/fstab": "/dev/mapper/vg_system-root / ext4 defaults 1 1\n",
            "/etc/mdadm.conf": "ARRAY /dev/md/0 level=raid1 num-devices=2 UUID=38d0842c:bac87d6f:b13495c3:60f3416c "
            "name=localhost:0 devices=/dev/sda2,/dev/sdb2\n",
            "/etc/selinux/config": "SELINUX=enforcing\nSELINUXTYPE=targeted\n",
        },
    )
    plan = plan_file(tmp_path, "raid1-lvm")
    assert run_cli(["finalize", "--target", str(root), "--plan", str(plan), "--no-bootloader", "--yes"]) == 0
    assert (root / "etc/mdadm.conf").read_text() == (
        "ARRAY /dev/md/0 level=raid1 num-devices=2 UUID=38d0842c:bac87d6f:b13495c3:60f3416c name=backup01:0\n"
    )
    assert (root / ".autorelabel").exists()
