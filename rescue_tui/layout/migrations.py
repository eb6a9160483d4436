"""Upgrades of older layout files to the current ``format_version``.

``MIGRATIONS[n]`` turns a version-``n`` document into a version-``n+1`` one.
Version 1 is the first published format, so the table starts empty; the
loader already walks it, so the next format change is one function here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rescue_tui.errors import LayoutError
from rescue_tui.layout.model import FORMAT_VERSION

Document = dict[str, Any]

MIGRATIONS: dict[int, Callable[[Document], Document]] = {}


def migrate(document: Document, *, where: str, current: int = FORMAT_VERSION) -> Document:
    """Bring ``document`` up to ``current``, one version at a time."""
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise LayoutError(f"{where}: $.format_version: missing or not an integer")
    if version > current:
        raise LayoutError(
            f"{where}: $.format_version: {version} is newer than this rescue-tui understands ({current})",
            hint="use a rescue-tui at least as new as the one that saved the layout",
        )
    while version < current:
        step = MIGRATIONS.get(version)
        if step is None:
            raise LayoutError(f"{where}: $.format_version: no migration from version {version}")
        document = step(document)
        version += 1
        document["format_version"] = version
    return document
