"""crypttab: one test per rule (Debian cryptsetup, systemd options, plain dm-crypt swap, a wrapped line)."""

from __future__ import annotations

from rescue_tui.finalize.crypttab import rewrite_crypttab
from tests.unit.finalize.conftest import bios_single, kestrel_luks

LUKS = "4f4d7d80-e093-49e8-8c2e-2da2d6cb5d34"


def test_an_entry_by_luks_uuid_is_kept_as_it_is() -> None:
    text = (
        f"# <target name> <source device>         <key file>      <options>\ncryptroot UUID={LUKS} none luks,discard\n"
    )
    result = rewrite_crypttab(text, kestrel_luks())
    assert result.after == text and result.changes == () and result.notes == ()


def test_a_renamed_node_becomes_the_luks_uuid() -> None:
    text = "cryptroot  /dev/nvme0n1p3                         none  luks,discard,initramfs\n"
    result = rewrite_crypttab(text, kestrel_luks())
    assert result.after == f"cryptroot  UUID={LUKS} none  luks,discard,initramfs\n"
    assert result.changes[0].why == "/dev/nvme0n1p3 is /dev/vdb3 now; found by its LUKS UUID instead"


def test_a_by_id_source_of_a_replaced_disk_becomes_the_luks_uuid() -> None:
    text = "cryptroot /dev/disk/by-id/nvme-SAMSUNG_MZVL21T0HCLR-00BL7_S64PNX0T418273-part3 none luks\n"
    result = rewrite_crypttab(text, kestrel_luks())
    assert result.after == f"cryptroot UUID={LUKS} none luks\n"


def test_plain_dm_crypt_swap_has_no_header_and_gets_the_partuuid() -> None:
    text = "cswap /dev/sda2 /dev/urandom swap,cipher=aes-xts-plain64,size=512\n"
    result = rewrite_crypttab(text, bios_single())
    assert result.after == "cswap PARTUUID=bf00e1fe-02 /dev/urandom swap,cipher=aes-xts-plain64,size=512\n"
    assert "no LUKS header to name" in result.changes[0].why


def test_an_unknown_source_is_a_warning_unless_nofail() -> None:
    text = "data UUID=11111111-2222-4333-8444-555555555555 /etc/keys/data.key luks\nusb /dev/sdz1 none luks,nofail\n"
    result = rewrite_crypttab(text, kestrel_luks())
    assert result.after == text
    assert [(n.level, n.line) for n in result.notes] == [("warning", 1), ("info", 2)]
    assert result.notes[1].message.endswith("the mapping usb is noauto/nofail, boot goes on without it")


def test_a_line_wrapped_like_reArs_split_crypt_line_is_reported_never_guessed_at() -> None:
    text = f"cryptroot /dev/nvme0n1p3 none luks\n  cipher=aes-xts-plain64 hash=sha256 uuid={LUKS}\n"
    result = rewrite_crypttab(text, kestrel_luks())
    assert result.after == f"cryptroot UUID={LUKS} none luks\n  cipher=aes-xts-plain64 hash=sha256 uuid={LUKS}\n"
    [note] = result.notes
    assert (note.level, note.line) == ("warning", 2)
    assert note.message.startswith("looks like a wrapped or damaged entry")


def test_a_line_with_more_than_four_fields_is_reported_and_kept() -> None:
    text = "cryptroot /dev/nvme0n1p3 none luks discard\n"
    result = rewrite_crypttab(text, kestrel_luks())
    assert result.after == text and result.notes[0].level == "warning"


def test_a_mapping_without_a_source_is_reported() -> None:
    result = rewrite_crypttab("cryptroot\n", kestrel_luks())
    assert result.after == "cryptroot\n"
    assert result.notes[0].message == "mapping 'cryptroot' names no source device: kept"
