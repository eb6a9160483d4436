"""The mapping of original disks to target disks, and the size changes it brings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class DiskPair:
    """One original disk (a layout item) and the disk present now that replaces it."""

    source: str
    """Layout id of the original disk."""
    source_name: str
    """Its kernel name on the original machine, for people."""
    target: str
    """Kernel name of the disk present now."""
    reason: str
    """Why this target: 'same serial', 'same size', 'smallest disk that fits', 'operator'."""


@dataclass(frozen=True, kw_only=True)
class Mapping:
    """Every original disk with its target, plus why other disks were not used."""

    pairs: tuple[DiskPair, ...]
    refused: tuple[str, ...] = ()
    """One line per disk present that may not be a target, saying why."""

    def target_of(self, source_id: str) -> str:
        """The target disk name of an original disk id."""
        return next(p.target for p in self.pairs if p.source == source_id)


@dataclass(frozen=True, kw_only=True)
class SizeChange:
    """A device whose size differs from the original, for the plan to show."""

    item: str
    """Layout id."""
    what: str
    """'partition sda2', 'LV system/root', ..."""
    old: int
    """Bytes on the original machine."""
    new: int
    """Bytes after recovery."""
    reason: str
