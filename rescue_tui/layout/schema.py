"""The layout's JSON Schema, generated from the model classes.

The committed copy at ``layouts/schema/layout.schema.json`` is what other
tools read; a test fails when it drifts from what this module generates.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from typing import Any, Literal, Union

from rescue_tui.layout.model import ITEM_CLASSES, Boot, Item, Layout, Machine, NetInterface, NetRoute, Network, Origin

SCHEMA_ID = "https://rescue-tui.invalid/schema/layout.schema.json"
NESTED = (Machine, Boot, Origin, Network, NetInterface, NetRoute)


def _type_schema(hint: Any) -> dict[str, Any]:
    """JSON Schema for one Python type hint of the model."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer", "minimum": 0}
    if hint is str:
        return {"type": "string"}
    if origin is Literal:
        return {"enum": list(args)}
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1 and len(args) == 2:
            inner = _type_schema(options[0])
            return {"anyOf": [inner, {"type": "null"}]}
        raise TypeError(f"unsupported union {hint!r}")
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if args[0] is Item:
            return {"type": "array", "items": {"oneOf": [{"$ref": f"#/$defs/{t}"} for t in sorted(ITEM_CLASSES)]}}
        return {"type": "array", "items": _type_schema(args[0])}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return {"$ref": f"#/$defs/{hint.__name__.lower()}"}
    raise TypeError(f"unsupported type hint {hint!r}")


def class_schema(cls: type, *, type_const: str | None = None) -> dict[str, Any]:
    """Schema of one model dataclass: its fields, what is required, no extra keys."""
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    if type_const is not None:
        properties["type"] = {"const": type_const}
        required.append("type")
    for f in dataclasses.fields(cls):
        prop = _type_schema(hints[f.name])
        prop = {"description": f.metadata["doc"], **prop}
        if f.default is not dataclasses.MISSING and f.default is not None:
            prop["default"] = list(f.default) if isinstance(f.default, tuple) else f.default
        if f.default is dataclasses.MISSING:
            required.append(f.name)
        properties[f.name] = prop
    return {
        "title": cls.__name__,
        "description": (cls.__doc__ or "").strip().splitlines()[0],
        "type": "object",
        "properties": properties,
        "required": sorted(required, key=lambda n: list(properties).index(n)),
        "additionalProperties": False,
    }


@functools.cache
def layout_schema() -> dict[str, Any]:
    """The whole layout schema (draft 2020-12)."""
    defs: dict[str, Any] = {t: class_schema(cls, type_const=t) for t, cls in sorted(ITEM_CLASSES.items())}
    for cls in NESTED:
        defs[cls.__name__.lower()] = class_schema(cls)
    top = class_schema(Layout)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **top,
        "$defs": defs,
    }


def schema_text() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(layout_schema(), indent=2, sort_keys=False) + "\n"
