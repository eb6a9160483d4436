from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.model import Item, Layout
from tests.conftest import DATA

MINIMAL = DATA / "layouts" / "good" / "minimal-uefi.json"


@pytest.fixture
def minimal() -> Layout:
    """A small valid UEFI + LVM layout to mutate."""
    return read_layout(MINIMAL)


def change(layout: Layout, item_id: str, **fields: Any) -> Layout:
    """The layout with one item's fields replaced."""
    items = tuple(dataclasses.replace(i, **fields) if i.id == item_id else i for i in layout.items)
    return dataclasses.replace(layout, items=items)


def add(layout: Layout, *new: Item) -> Layout:
    return dataclasses.replace(layout, items=(*layout.items, *new))


Mutator = Callable[[Layout], Layout]
