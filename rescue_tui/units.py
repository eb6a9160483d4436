"""Sizes for people: exact numbers stay in the data; these render them, and read the sizes people type."""

from __future__ import annotations

import re

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
_TYPED = re.compile(r"(\d+)([KMGT]?)(?:iB|B)?", re.IGNORECASE)


def human_size(size: int | None) -> str:
    """``1073741824`` -> ``1.0 GiB``; ``None`` -> ``?``."""
    if size is None:
        return "?"
    value = float(size)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def parse_size(text: str) -> int:
    """Bytes from a size as people type it: ``4G``, ``768MiB``, ``512k`` or plain bytes (binary units);
    ValueError for anything else."""
    match = _TYPED.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a size (such as 4G, 768M or 1073741824)")
    return int(match.group(1)) << (10 * " KMGT".index(match.group(2).upper() or " "))
