"""The restored tree: paths resolved inside it, atomic writes that keep owner, mode and the first original."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rescue_tui.finalize.initramfs import initramfs_command
from rescue_tui.finalize.selinux import needs_relabel, selinux_mode
from rescue_tui.finalize.target import TargetRoot, parse_os_release


def test_absolute_symlinks_are_followed_inside_the_target_never_out_of_it(tmp_path: Path) -> None:
    (tmp_path / "etc/mdadm").mkdir(parents=True)
    (tmp_path / "etc/mdadm.conf").symlink_to("/etc/mdadm/mdadm.conf")
    (tmp_path / "etc/escape").symlink_to("../../../../etc/passwd")
    target = TargetRoot(tmp_path)
    assert target.host_path("/etc/mdadm.conf") == tmp_path / "etc/mdadm/mdadm.conf"
    assert target.host_path("/etc/escape") == tmp_path / "etc/passwd"
    assert target.host_path("/../../etc/fstab") == tmp_path / "etc/fstab"


def test_a_write_keeps_mode_and_the_first_original(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/crypttab").write_text("one\n")
    os.chmod(tmp_path / "etc/crypttab", 0o600)
    target = TargetRoot(tmp_path)
    target.write("/etc/crypttab", "two\n")
    target.write("/etc/crypttab", "three\n")
    assert (tmp_path / "etc/crypttab").read_text() == "three\n"
    assert oct((tmp_path / "etc/crypttab").stat().st_mode & 0o777) == "0o600"
    kept = tmp_path / "var/lib/rescue-tui/originals/etc/crypttab"
    assert kept.read_text() == "one\n" and oct(kept.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "var/lib/rescue-tui/originals").stat().st_mode & 0o777) == "0o700"
    assert not list((tmp_path / "etc").glob(".*tmp"))


def test_a_write_through_a_symlink_changes_the_file_it_points_to(tmp_path: Path) -> None:
    (tmp_path / "etc/mdadm").mkdir(parents=True)
    (tmp_path / "etc/mdadm/mdadm.conf").write_text("old\n")
    (tmp_path / "etc/mdadm.conf").symlink_to("/etc/mdadm/mdadm.conf")
    TargetRoot(tmp_path).write("/etc/mdadm.conf", "new\n")
    assert (tmp_path / "etc/mdadm.conf").is_symlink() and (tmp_path / "etc/mdadm/mdadm.conf").read_text() == "new\n"


def test_os_release_and_programs_are_read_from_the_target(tmp_path: Path) -> None:
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "usr/lib/os-release").write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n# x\n')
    (tmp_path / "usr/sbin").mkdir()
    (tmp_path / "usr/sbin/grub-install").write_text("#!/bin/sh\n")
    (tmp_path / "usr/sbin/grub-install").chmod(0o755)
    (tmp_path / "sbin").symlink_to("usr/sbin")
    target = TargetRoot(tmp_path)
    assert target.os_release() == {"PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)", "ID": "debian"}
    assert target.program("grub-install") == "/usr/sbin/grub-install" and target.program("dracut") is None
    assert parse_os_release("ID='rhel'\nVERSION_ID=\"9.3\"\nbroken\n") == {"ID": "rhel", "VERSION_ID": "9.3"}


def test_selinux_relabels_when_enforcing_or_permissive_only() -> None:
    config = "# This file controls the state of SELinux\nSELINUX=enforcing\nSELINUXTYPE=targeted\n"
    assert selinux_mode(config) == "enforcing" and needs_relabel(config)
    assert needs_relabel("SELINUX = permissive  # for now\n")
    assert not needs_relabel("SELINUX=disabled\n") and not needs_relabel(None)
    assert not needs_relabel("#SELINUX=enforcing\nSELINUX=disabled\n")


def test_the_initramfs_is_rebuilt_by_the_first_tool_the_target_has() -> None:
    debian = initramfs_command({"update-initramfs": "/usr/sbin/update-initramfs", "dracut": None})
    assert debian is not None and debian.text() == "chroot: /usr/sbin/update-initramfs -u -k all"
    rhel = initramfs_command({"update-initramfs": None, "dracut": "/usr/bin/dracut"})
    assert rhel is not None and rhel.text() == "chroot: /usr/bin/dracut --regenerate-all --force"
    assert initramfs_command({"mkinitcpio": "/usr/bin/mkinitcpio"}).text() == "chroot: /usr/bin/mkinitcpio -P"  # type: ignore[union-attr]
    assert initramfs_command({}) is None


def test_a_symlink_planted_at_the_temporary_name_is_never_followed(tmp_path: Path) -> None:
    # A hostile backup holds etc/.fstab.rescue-tui.tmp -> a file of the rescue system.
    victim = tmp_path / "rescue-system-shadow"
    victim.write_text("root:secret\n")
    root = tmp_path / "target"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "fstab").write_text("old\n")
    os.symlink(victim, root / "etc" / ".fstab.rescue-tui.tmp")
    TargetRoot(root).write("/etc/fstab", "new\n", keep_original=False)
    assert victim.read_text() == "root:secret\n"
    assert (root / "etc" / "fstab").read_text() == "new\n"
    assert not (root / "etc" / ".fstab.rescue-tui.tmp").exists()


def test_an_atomic_write_never_follows_a_planted_temporary_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link planted at the very name the write will use (its random part pinned here)."""
    from rescue_tui import files
    from rescue_tui.files import write_atomic

    monkeypatch.setattr(files.secrets, "token_hex", lambda n: "00" * n)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    target = tmp_path / "plan.json"
    os.symlink(victim, tmp_path / f".plan.json.{os.getpid()}.00000000.tmp")
    try:
        write_atomic(target, "{}\n")
    except Exception as exc:  # refusing is fine; following is not
        assert "cannot write" in str(exc)
    assert victim.read_text() == "precious\n"
