"""What partition types and parted's flags mean to each other: one table for capture and the ReaR import.

parted shows flags it derives from a partition's type (an ESP's GUID shows
as ``boot, esp``; msdos type ``fd`` as ``raid``); ReaR records the flags, so
importing its files turns flags back into types. Both directions read the
same table here. GUIDs are upper case as ReaR and sgdisk print them; compare
them case-blind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from rescue_tui.layout.model import PartitionFlag


@dataclass(frozen=True)
class PartitionType:
    flag: PartitionFlag
    """The flag parted shows for the type."""
    mbr: str | None
    """The msdos type byte (two hex digits), None when msdos has none."""
    gpt: str
    """The GPT type GUID."""


ESP_GUID: Final = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
BY_FLAG: Final = (
    PartitionType("esp", "ef", ESP_GUID),
    PartitionType("bios_grub", None, "21686148-6449-6E6F-744E-656564454649"),
    PartitionType("prep", "41", "9E1A2D38-C612-4316-AA26-8B49521E5A8B"),
    PartitionType("raid", "fd", "A19D880F-05FC-4D3B-A006-743F0F84911E"),
    PartitionType("lvm", "8e", "E6D6D379-F507-44C2-A23C-238F2A3DF928"),
    PartitionType("swap", "82", "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"),
    PartitionType("msftres", None, "E3C9E316-0B5C-4DB8-817D-F92DF00215AE"),
    PartitionType("diag", "27", "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC"),
)
"""Types implied by parted's flags, first match wins (the ReaR import's direction)."""
LINUX_DATA: Final = ("83", "0FC63DAF-8483-4772-8E79-3D69D8477DE4")
"""(msdos type, GPT GUID) of a plain Linux partition: what a partition without a telling flag is."""
SWAP: Final = next((t.mbr, t.gpt) for t in BY_FLAG if t.flag == "swap")

GPT_TYPE_FLAGS: Final[dict[str, tuple[PartitionFlag, ...]]] = {
    t.gpt.lower(): (("boot", "esp") if t.flag == "esp" else (t.flag,)) for t in BY_FLAG
}
"""Flags parted 3.5 derives from a GPT partition type (lower-case GUID keys): an ESP is also 'boot'."""

MBR_TYPE_FLAGS: Final[dict[str, tuple[PartitionFlag, ...]]] = {
    "0c": ("lba",), "0e": ("lba",), "0f": ("lba",),
    "1c": ("hidden", "lba"), "1e": ("hidden", "lba"),
    "11": ("hidden",), "14": ("hidden",), "16": ("hidden",), "17": ("hidden",), "1b": ("hidden",),
    "12": ("diag",), "27": ("diag",), "de": ("diag",),
    "41": ("prep",), "82": ("swap",), "8e": ("lvm",), "ef": ("esp",), "fd": ("raid",),
}  # fmt: skip
"""Flags parted 3.5 derives from an msdos partition type."""
