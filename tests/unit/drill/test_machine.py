"""The QEMU command line every test guest and drill runs with."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescue_tui.drill.machine import ColdDisk, Firmware, Image, Machine, UserNic


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


def test_a_network_boot_has_no_medium_and_boots_the_first_nic_with_its_dhcp_filename(tmp_path: Path) -> None:
    image = Image(iso=tmp_path / "rescue-tui.iso", key="k")
    nic = UserNic(
        mac="52:54:00:5e:00:40", services=(("10.0.2.100", 80, 8080),), bootfile="http://10.0.2.100/b/boot.ipxe"
    )
    command = Machine(image=image, workdir=tmp_path, nics=(nic,), network_boot=True).command()
    assert str(image.iso) not in " ".join(command) and "-boot" not in command
    netdev = command[command.index("-netdev") + 1]
    assert netdev.endswith(",bootfile=http://10.0.2.100/b/boot.ipxe"), netdev
    assert command[command.index("-netdev") + 3] == "virtio-net-pci,netdev=net0,mac=52:54:00:5e:00:40,bootindex=0"
    medium = Machine(image=image, workdir=tmp_path, nics=(nic,)).command()
    assert medium[medium.index("-boot") + 1] == "d" and f"file={image.iso}," in " ".join(medium)
