"""The QEMU command line every test guest and drill runs with."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescue_tui.drill.machine import ColdDisk, Firmware, Image, Machine


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_every_guest_runs_its_vcpus_on_one_tcg_thread(tmp_path: Path, firmware: Firmware) -> None:
    """Multi-threaded TCG lost a vCPU of a guest on a loaded host (see ``machine.ACCEL``): no machine uses it,
    rescue guest or restored system, with any number of vCPUs."""
    image = Image(iso=tmp_path / "rescue-tui.iso", key="k")
    cold = (ColdDisk(path=tmp_path / "c.raw", serial="c", fmt="raw"),)
    guests = [
        Machine(image=image, workdir=tmp_path, firmware=firmware),
        Machine(image=image, workdir=tmp_path, firmware=firmware, boot_disks=(tmp_path / "d.qcow2",), cpus=1),
        Machine(image=image, workdir=tmp_path, firmware=firmware, append="console=ttyS0", cold_disks=cold),
    ]
    for guest in guests:
        command = guest.command()
        assert command.count("-accel") == 1
        assert command[command.index("-accel") + 1] == "tcg,thread=single", command
