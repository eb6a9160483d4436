"""mdadm's array sizes, as mdadm 4.2 made them in the rescue guest (RAID1 of two loop devices, --assume-clean).

Measured on 2026-12-06 with ``mdadm --create --level=1 --raid-devices=2 --metadata=M`` on sparse
files of each size, read back with ``blockdev --getsize64``.
"""

from __future__ import annotations

import pytest

from rescue_tui.errors import RefusedError
from rescue_tui.plan.md_geometry import raid1_size

G, M = 1 << 30, 1 << 20
MEASURED = {
    "1.0": {G: 1073676288, 1536 * M: 1610547200, 2 * G: 2147418112, 8 * G: 8589869056,
            8 * G + M: 8590852096, 10 * G: 10737287168, 100 * G: 107374051328, 200 * G: 214748233728,
            201 * G: 215821910016, 1024 * G: 1099511431168, 4096 * G: 4398046314496},
    "0.90": {G: 1073676288, 1536 * M: 1610547200, 2 * G: 2147418112, 8 * G: 8589869056,
             8 * G + M: 8590917632, 10 * G: 10737352704, 100 * G: 107374116864, 200 * G: 214748299264,
             201 * G: 215822041088, 1024 * G: 1099511562240},
    "1.2": {G: 1071644672, 1536 * M: 1608515584, 2 * G: 2144337920, 8 * G: 8580497408,
            8 * G + M: 8581545984, 10 * G: 10727981056, 100 * G: 107306024960, 200 * G: 214613098496,
            201 * G: 215686840320, 1024 * G: 1099376361472, 4096 * G: 4397911244800},
}  # fmt: skip
MEASURED["1.1"] = MEASURED["1.2"]


@pytest.mark.parametrize(
    ("metadata", "disk", "size"),
    [(meta, disk, size) for meta, sizes in MEASURED.items() for disk, size in sizes.items()],
)
def test_the_array_size_is_mdadms(metadata: str, disk: int, size: int) -> None:
    assert raid1_size([disk, disk], metadata) == size


def test_the_smallest_member_decides() -> None:
    assert raid1_size([10 * G, 2 * G], "1.0") == MEASURED["1.0"][2 * G]


def test_an_unknown_metadata_format_is_refused_in_one_line() -> None:
    with pytest.raises(RefusedError, match="md metadata 'ddf'"):
        raid1_size([G], "ddf")
