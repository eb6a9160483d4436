"""Reading and writing layout files.

Loading checks the structure against the generated JSON Schema, item by
item (dispatching on ``type`` so a bad item gets a precise message), and
collects every problem before failing. Writing is deterministic: keys in
model order, defaults left out, so ``dump(load(f)) == f`` for our files.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rescue_tui.errors import LayoutError
from rescue_tui.files import write_atomic
from rescue_tui.inputs import parse_json, read_text
from rescue_tui.layout.migrations import migrate
from rescue_tui.layout.model import ITEM_CLASSES, Item, Layout
from rescue_tui.layout.schema import layout_schema

if TYPE_CHECKING:
    import jsonschema


def json_path(parts: typing.Iterable[str | int]) -> str:
    """Render a path as ``$.items[3].size``."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@functools.cache
def _validators() -> tuple[jsonschema.Draft202012Validator, dict[str, jsonschema.Draft202012Validator]]:
    # jsonschema is imported when the first layout is checked, not with this module: the
    # console's first screen imports this module (through the plan reader) and needs none.
    import jsonschema

    schema = layout_schema()
    top = dict(schema)
    top["properties"] = dict(schema["properties"])
    top["properties"]["items"] = {"type": "array", "items": {"type": "object"}}
    make = jsonschema.Draft202012Validator
    per_type = {name: make({**schema["$defs"][name], "$defs": schema["$defs"]}) for name in ITEM_CLASSES}
    return make(top), per_type


def _leaves(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """An optional object's own faults, not "is not valid under any of the given schemas" with the object dumped.

    An optional field is ``anyOf: [object, null]``: the branch that says "not
    null" is noise when the value is an object with a fault inside.
    """
    if error.validator != "anyOf" or not error.context:
        return [error]
    inner = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")]
    return [leaf for e in inner for leaf in _leaves(e)] or [error]


def _schema_problems(document: dict[str, Any]) -> list[str]:
    top, per_type = _validators()
    problems = [f"{json_path(e.absolute_path)}: {e.message}" for t in top.iter_errors(document) for e in _leaves(t)]
    items = document.get("items")
    if not isinstance(items, list):
        return problems
    for index, raw in enumerate(items):
        base: list[str | int] = ["items", index]
        if not isinstance(raw, dict):
            continue  # reported by the top-level check
        kind = raw.get("type")
        at = json_path(base) + (f" ({raw['id']})" if isinstance(raw.get("id"), str) else "")
        if not isinstance(kind, str) or kind not in per_type:
            known = ", ".join(sorted(ITEM_CLASSES))
            problems.append(f"{at}.type: unknown item type {kind!r} (known: {known})")
            continue
        for found in sorted(per_type[kind].iter_errors(raw), key=lambda e: [str(p) for p in e.absolute_path]):
            problems.extend(f"{at}{json_path(e.absolute_path)[1:]}: {e.message}" for e in _leaves(found))
    return problems


@functools.cache
def _field_targets(cls: type) -> tuple[tuple[str, Any], ...]:
    """(field name, the dataclass it holds or its plain hint) per field: resolving hints is slow, so once per class."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        out.append((f.name, next((a for a in typing.get_args(hint) if dataclasses.is_dataclass(a)), hint)))
    return tuple(out)


def _build(cls: type, data: dict[str, Any]) -> Any:
    """Turn schema-checked JSON into model objects."""
    kwargs: dict[str, Any] = {}
    for name, target in _field_targets(cls):
        if name not in data:
            continue
        value = data[name]
        if name == "items" and cls is Layout:
            value = tuple(_build(ITEM_CLASSES[raw["type"]], raw) for raw in value)
        elif isinstance(value, dict) and isinstance(target, type) and dataclasses.is_dataclass(target):
            value = _build(target, value)
        elif isinstance(value, list) and isinstance(target, type) and dataclasses.is_dataclass(target):
            value = tuple(_build(target, v) for v in value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)


def parse_layout(text: str, *, where: str) -> Layout:
    """Parse layout JSON text; ``where`` names the source in messages."""
    document = parse_json(text, where=where, error=LayoutError)
    if not isinstance(document, dict):
        raise LayoutError(f"{where}: $: a layout is a JSON object, not {type(document).__name__}")
    document = migrate(document, where=where)
    problems = _schema_problems(document)
    if problems:
        raise LayoutError.of([f"{where}: {p}" for p in problems])
    layout: Layout = _build(Layout, document)
    return layout


def read_layout(path: str | Path) -> Layout:
    """Read a layout file and check its structure (not yet its meaning)."""
    path = Path(path)
    return parse_layout(read_text(path, what="layout", error=LayoutError), where=str(path))


def _to_json(obj: Any) -> Any:
    if isinstance(obj, Item):
        out: dict[str, Any] = {"id": obj.id, "type": obj.type}
        out.update(_fields_to_json(obj, skip=("id",)))
        return out
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _fields_to_json(obj)
    if isinstance(obj, tuple):
        return [_to_json(v) for v in obj]
    return obj


def _fields_to_json(obj: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        if f.default is not dataclasses.MISSING and value == f.default:
            continue
        out[f.name] = _to_json(value)
    return out


def dump_layout(layout: Layout) -> str:
    """The layout as JSON text, deterministic."""
    return json.dumps(_to_json(layout), indent=2, ensure_ascii=False) + "\n"


def write_layout(layout: Layout, path: str | Path) -> None:
    """Write a layout file atomically (a crash leaves the old file or the new one)."""
    write_atomic(path, dump_layout(layout))
