"""How much of a whole-disk member a new md RAID1 array gets: mdadm's reservations, per metadata format.

A partitioned array's partition table is planned on a stand-in of the array's
size before the array exists, so that size must be mdadm's, not an estimate:
blivet's (libblockdev's ``md.get_superblock_size``) reserves 2 MiB at least,
and a partition that ends where the original's did would then not fit. The
rules below are mdadm 4.2's defaults (Debian 12), checked against arrays it
made in the rescue guest (``tests/unit/plan/test_md_geometry.py`` holds those
sizes). Sizes in 512-byte sectors inside, bytes outside.
"""

from __future__ import annotations

from rescue_tui.errors import RefusedError

_SECTOR = 512
_ROUND = 128
"""mdadm rounds a member's used size down to 64 KiB."""
_ONE_MIB = 2048
_MAX_HEADROOM = 128 * _ONE_MIB
"""1.1/1.2 keep up to 128 MiB before the data for later reshapes, less on small disks."""


def _bitmap_space(sectors: int) -> int:
    """Room kept for a write-intent bitmap (mdadm's ``choose_bm_space``)."""
    if sectors < 64 * 2:
        return 0
    if sectors - 64 * 2 >= 200 * 1024 * 1024 * 2:
        return 128 * 2
    if sectors - 4 * 2 > 8 * 1024 * 1024 * 2:
        return 64 * 2
    return 4 * 2


def _data_sectors(sectors: int, metadata: str) -> int:
    if metadata == "0.90":  # the superblock in the last 64 KiB-aligned 64 KiB
        return (sectors & ~(_ROUND - 1)) - _ROUND
    if metadata == "1.0":  # the superblock 8 KiB from the end, the bitmap room before it
        return ((sectors - 16) & ~7) - _bitmap_space(sectors)
    if metadata in ("1.1", "1.2"):  # superblock, bitmap room and headroom before the data, to the next MiB
        headroom = _MAX_HEADROOM
        while (headroom << 10) > sectors and headroom > _ONE_MIB:
            headroom >>= 1
        offset = 24 + _bitmap_space(sectors) + headroom
        offset = -(-offset // _ONE_MIB) * _ONE_MIB
        return sectors - offset
    raise RefusedError(f"md metadata {metadata!r}: its reserved space is not known; give 0.90, 1.0, 1.1 or 1.2")


def raid1_size(member_sizes: list[int], metadata: str) -> int:
    """Bytes of a new RAID1 array on whole disks of these sizes (the smallest decides)."""
    data = _data_sectors(min(member_sizes) // _SECTOR, metadata)
    return max(0, data - data % _ROUND) * _SECTOR
