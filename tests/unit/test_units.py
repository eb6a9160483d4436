"""Sizes as people type them and as the tool prints them."""

from __future__ import annotations

import pytest

from rescue_tui.units import human_size, parse_size


@pytest.mark.parametrize(
    ("typed", "size"),
    [("4G", 4 << 30), ("768M", 768 << 20), ("768MiB", 768 << 20), ("512k", 512 << 10), ("2TB", 2 << 40),
     ("1073741824", 1 << 30), (" 1G ", 1 << 30)],
)  # fmt: skip
def test_a_typed_size_is_read_in_binary_units(typed: str, size: int) -> None:
    assert parse_size(typed) == size


@pytest.mark.parametrize("typed", ["", "G", "4X", "-1G", "1.5G", "4 G B", "0x10"])
def test_anything_else_is_refused_naming_what_was_typed(typed: str) -> None:
    with pytest.raises(ValueError, match="is not a size"):
        parse_size(typed)


def test_sizes_print_in_the_largest_binary_unit() -> None:
    assert human_size(768 << 20) == "768.0 MiB" and human_size(None) == "?" and human_size(100) == "100 B"
