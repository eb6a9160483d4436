"""The layouts a rescue image carries: ``/etc/rescue-tui/*.json``, but the image's own facts (``image.json``)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

EMBEDDED_DIR: Final = Path("/etc/rescue-tui")
"""Where ``iso/build --layout`` puts the layout (``layout.json``) beside the image's ``image.json``."""
IMAGE_INFO: Final = "image.json"


def embedded_layouts(directory: Path = EMBEDDED_DIR) -> list[Path]:
    """The layout files in ``directory``, sorted; none when it does not exist."""
    if not directory.is_dir():
        return []
    return [p for p in sorted(directory.glob("*.json")) if p.name != IMAGE_INFO]
