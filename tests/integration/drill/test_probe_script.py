"""The drill's probe for real: its script run by ``sh`` against fstabs, mounts and swaps that exist, and its
install run against a tree one can chroot into, with a restored tree that tries to send it elsewhere.

The probe runs on the recovered machine's first boot (``tests/vm/test_drill.py`` drives it there); here the
same script and the same install command run on this host. Only the outputs and paths move: the unit sets
none of the ``RESCUE_PROBE_*`` variables.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from rescue_tui.drill.probe import SCRIPT, UNIT, ProbeAnswer, install_command, parse_answer, probe_script
from tests.integration.finalize.conftest import chroot_tree  # noqa: F401  (the fixture)

TOKEN = "f00dfeed"


def probe(
    tmp_path: Path, fstab: str, ready: str | None = None, ready_seconds: int = 5, try_seconds: int = 60
) -> ProbeAnswer:
    tmp_path.mkdir(exist_ok=True)
    script = tmp_path / "probe.sh"
    script.write_text(probe_script(TOKEN))
    (tmp_path / "fstab").write_text(fstab)
    out = tmp_path / "said"
    env = {**os.environ, "RESCUE_PROBE_FSTAB": str(tmp_path / "fstab"), "RESCUE_PROBE_OUT": str(out),
           "RESCUE_PROBE_READY": str(tmp_path / "ready"), "RESCUE_PROBE_READY_SECONDS": str(ready_seconds),
           "RESCUE_PROBE_TRY_SECONDS": str(try_seconds)}  # fmt: skip
    if ready is not None:
        (tmp_path / "ready").write_text(ready)
    subprocess.run(["sh", str(script)], env=env, cwd=tmp_path, check=True, timeout=120)
    return parse_answer(out.read_text(), TOKEN)


def test_the_probe_names_each_fstab_entry_its_boot_did_not_bring_up(tmp_path: Path) -> None:
    fstab = "\n".join(
        [
            "# a comment, and a blank line",
            "",
            "proc /proc proc defaults 0 0",
            f"UUID=0000-not-here {tmp_path}/secure ext4 defaults,nofail 0 2",
            rf"LABEL=spaced {tmp_path}/with\040space xfs defaults 0 2",
            f"/dev/never {tmp_path}/later ext4 noauto 0 0",
            f"{tmp_path}/swapfile none swap sw 0 0",
            "tmpfs none tmpfs defaults 0 0",
            f"LABEL=last {tmp_path}/no-newline-after-me ext4 defaults 0 2",
        ]
    )  # no newline after the last entry: it is still read
    answer = probe(tmp_path, fstab)
    assert answer.ended
    assert answer.mounted == ["/proc"]
    assert answer.not_mounted == [f"{tmp_path}/secure", f"{tmp_path}/with space", f"{tmp_path}/no-newline-after-me"]
    assert answer.swap_off == [f"{tmp_path}/swapfile"] and answer.swap_on == []
    assert answer.ready is None  # no ready command: not run


def test_the_ready_command_is_retried_until_it_succeeds_and_its_failure_keeps_its_last_words(tmp_path: Path) -> None:
    count = tmp_path / "count"
    succeeds_second = f"n=$(( $(cat {count} 2>/dev/null || echo 0) + 1 )); echo $n > {count}; [ $n -ge 2 ]\n"
    succeeded = probe(tmp_path / "first", "", succeeds_second)
    assert succeeded.ready == (0, 2) and succeeded.ready_said == []  # it said nothing: no empty line
    answer = probe(tmp_path / "second", "", "echo still starting; exit 3\n", ready_seconds=3)
    assert answer.ready is not None and answer.ready[0] == 3 and answer.ready[1] >= 2
    assert answer.ready_said == ["still starting"]
    hung = probe(tmp_path / "third", "", "echo waiting; sleep 60\n", ready_seconds=1, try_seconds=1)
    assert hung.ended and hung.ready == (124, 1) and hung.ready_said == ["waiting"]  # a hung try is cut short


def bind_self(root: Path) -> None:
    subprocess.run(["mount", "--rbind", str(root), str(root)], check=True)
    subprocess.run(["mount", "--make-private", str(root)], check=True)


def test_the_install_writes_inside_the_tree_even_when_the_restored_etc_points_out_of_it(
    chroot_tree: Path,  # noqa: F811
) -> None:
    root = chroot_tree
    outside = Path(f"/rescue-tui-probe-escape-{os.getpid()}")
    (root / "etc").symlink_to(outside)  # absolute: on this host it would be outside the tree
    (root / outside.name).mkdir()
    run = subprocess.run(["sh", "-c", install_command(str(root), TOKEN, "systemctl is-active nginx")],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 3, run  # not a mount point yet: nothing written
    assert not any((root / outside.name).iterdir())
    bind_self(root)
    try:
        run = subprocess.run(["sh", "-c", install_command(str(root), TOKEN, "systemctl is-active nginx")],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    finally:
        subprocess.run(["umount", "-R", str(root)], check=True)  # the fixture unmounts its own /usr
    assert run.returncode == 0, run
    assert not outside.exists()
    inside = root / outside.name
    assert (inside / SCRIPT.removeprefix("/etc/")).read_text() == probe_script(TOKEN)
    assert (inside / "rescue-tui/drill-ready").read_text() == "systemctl is-active nginx\n"
    wanted = inside / "systemd/system/multi-user.target.wants" / UNIT
    assert os.readlink(wanted) == f"/etc/systemd/system/{UNIT}"
    assert "ExecStart=/bin/sh /etc/rescue-tui/drill-probe" in (inside / "systemd/system" / UNIT).read_text()


def test_a_tree_without_systemd_gets_no_probe(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (mounts)")
    root = tmp_path / "target"
    (root / "etc").mkdir(parents=True)
    bind_self(root)
    try:
        run = subprocess.run(["sh", "-c", install_command(str(root), TOKEN, None)], capture_output=True, timeout=60)
    finally:
        subprocess.run(["umount", "-R", str(root)], check=True)
    assert run.returncode == 4
    assert list((root / "etc").iterdir()) == []
