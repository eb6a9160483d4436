"""Reading efibootmgr's output and deciding the boot entries and their order."""

from __future__ import annotations

from rescue_tui.finalize.efi import boot_order, find_entry, loader_path, parse_efibootmgr

V17 = """\
BootCurrent: 0001
Timeout: 0 seconds
BootOrder: 0001,0000,0002
Boot0000* UiApp	FvVol(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/FvFile(462caa21-7614-4503-836e-8ab6f4662331)
Boot0001* UEFI QEMU DVD-ROM QM00003 	PciRoot(0x0)/Pci(0x1,0x1)/Ata(1,0,0)N.....YM....R,Y.
Boot0002  debian	HD(1,GPT,7A1C2F3E-4D5B-4C6A-8E9F-0A1B2C3D4E5F,0x800,0x100000)/File(\\EFI\\debian\\shimx64.efi)
"""

V18 = """\
BootCurrent: 0003
Timeout: 1 seconds
BootOrder: 0003,0004
Boot0003* Red Hat Enterprise Linux	HD(1,GPT,9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a,0x800,0x100000)/\\EFI\\redhat\\shimx64.efi
Boot0004* UEFI PXEv4 (MAC:525400123456)	PciRoot(0x0)/Pci(0x2,0x0)/MAC(525400123456,1)/IPv4(0.0.0.0,0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)
"""  # noqa: E501


def test_efibootmgr_17_output_gives_order_labels_partitions_and_loaders() -> None:
    boot = parse_efibootmgr(V17)
    assert boot.order == ("0001", "0000", "0002")
    entry = boot.entries[2]
    assert (entry.number, entry.label, entry.active) == ("0002", "debian", False)
    assert entry.partuuid == "7a1c2f3e-4d5b-4c6a-8e9f-0a1b2c3d4e5f"
    assert entry.loader == "\\EFI\\debian\\shimx64.efi"
    assert boot.entries[1].label == "UEFI QEMU DVD-ROM QM00003" and boot.entries[1].partuuid is None


def test_efibootmgr_18_output_without_file_brackets_is_read_too() -> None:
    entry = parse_efibootmgr(V18).entries[0]
    assert entry.label == "Red Hat Enterprise Linux" and entry.loader == "\\EFI\\redhat\\shimx64.efi"
    assert entry.partuuid == "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"


def test_an_entry_is_found_by_partition_guid_and_loader_whatever_its_label() -> None:
    boot = parse_efibootmgr(V17)
    found = find_entry(
        boot, partuuid="7A1C2F3E-4D5B-4C6A-8E9F-0A1B2C3D4E5F", loader="\\efi\\debian\\SHIMX64.EFI", label="other"
    )
    assert found is not None and found.number == "0002"
    assert (
        find_entry(
            boot, partuuid="7a1c2f3e-4d5b-4c6a-8e9f-0a1b2c3d4e5f", loader="\\EFI\\debian\\grubx64.efi", label="debian"
        )
        is None
    )


def test_our_entries_go_first_in_boot_order_and_the_rest_keep_theirs() -> None:
    assert boot_order(("0001", "0000", "0002"), ["0002", "0005"]) == ("0002", "0005", "0001", "0000")
    assert loader_path("debian", "grubx64.efi") == "\\EFI\\debian\\grubx64.efi"
