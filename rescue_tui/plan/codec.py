"""Plans to and from JSON: so they can be shown, saved, diffed, tested, and applied later.

A plan file is checked as strictly as a layout: unknown step kinds, unknown
or missing fields and wrong types are errors naming the JSON path.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from typing import Any

from rescue_tui.errors import BadInputError, LayoutError
from rescue_tui.inputs import parse_json, read_text
from rescue_tui.layout.codec import dump_layout, parse_layout
from rescue_tui.layout.model import Layout
from rescue_tui.mapping.model import SizeChange
from rescue_tui.plan.integrity import device_problems
from rescue_tui.plan.model import PLAN_FORMAT_VERSION, STEP_KINDS, Plan, PlannedDisk, Step
from rescue_tui.text import hostname_problem


def _plain(obj: Any) -> Any:
    if isinstance(obj, Layout):
        return json.loads(dump_layout(obj))
    if isinstance(obj, Step):
        return {"kind": obj.kind, **{f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple | list):
        return [_plain(v) for v in obj]
    return obj


def plan_to_json(plan: Plan) -> str:
    """The plan as deterministic JSON text."""
    return json.dumps(_plain(plan), indent=2, ensure_ascii=False) + "\n"


class PlanFileError(BadInputError):
    """A plan file is not a plan this version can apply."""


def _check(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin is typing.Literal:
        if any(value == a and type(value) is type(a) for a in args):
            return value
        raise PlanFileError(
            f"{where}: expected one of {', '.join(json.dumps(a) for a in args)}, got {json.dumps(value)[:40]}"
        )
    if origin in (typing.Union, __import__("types").UnionType):
        if value is None and type(None) in args:
            return None
        return _check(value, next(a for a in args if a is not type(None)), where)
    if origin is tuple:
        if not isinstance(value, list):
            raise PlanFileError(f"{where}: expected a list")
        return tuple(_check(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint in (str, bool) and isinstance(value, hint):
        return value
    raise PlanFileError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {json.dumps(value)[:40]}")


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise PlanFileError(f"{where}: expected an object")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields) - {"kind"})
    if unknown:
        raise PlanFileError(f"{where}.{unknown[0]}: unknown field")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise PlanFileError(f"{where}: missing {name!r}")
            continue
        hint = hints[name]
        if name in ("steps", "disks", "changes") and not isinstance(data[name], list):
            raise PlanFileError(f"{where}.{name}: expected a list")
        if name == "steps":
            kwargs[name] = tuple(_step(raw, f"{where}.steps[{i}]") for i, raw in enumerate(data[name]))
        elif name == "disks":
            kwargs[name] = tuple(_build(PlannedDisk, raw, f"{where}.disks[{i}]") for i, raw in enumerate(data[name]))
        elif name == "layout":
            try:
                kwargs[name] = parse_layout(json.dumps(data[name]), where=f"{where}.layout")
            except LayoutError as exc:
                raise PlanFileError(exc.problems[0]) from exc
        elif name == "changes":
            kwargs[name] = tuple(_build(SizeChange, raw, f"{where}.changes[{i}]") for i, raw in enumerate(data[name]))
        else:
            kwargs[name] = _check(data[name], hint, f"{where}.{name}")
    return cls(**kwargs)


def _step(raw: Any, where: str) -> Step:
    if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
        raise PlanFileError(f"{where}.kind: every step names its kind")
    cls = STEP_KINDS.get(raw["kind"])
    if cls is None:
        raise PlanFileError(f"{where}.kind: unknown step kind {raw['kind']!r}")
    step: Step = _build(cls, raw, where)
    return step


def plan_from_json(text: str, *, where: str) -> Plan:
    """Parse and check a plan; PlanFileError names the JSON path of the first fault."""
    data = parse_json(text, where=where, error=PlanFileError)
    if not isinstance(data, dict) or data.get("format_version") != PLAN_FORMAT_VERSION:
        raise PlanFileError(f"{where}: $.format_version: not a rescue-tui plan of version {PLAN_FORMAT_VERSION}")
    plan: Plan = _build(Plan, data, f"{where}: $")
    ids = [s.id for s in plan.steps]
    for index, step in enumerate(plan.steps):
        missing = [a for a in step.after if a not in ids[:index]]
        if missing:
            raise PlanFileError(f"{where}: $.steps[{index}].after: {missing[0]} is not an earlier step")
    problems = device_problems(plan)
    if problem := hostname_problem(plan.hostname):
        problems.insert(0, f"$.hostname: {problem}")
    if problems:
        raise PlanFileError.of([f"{where}: {line}" for line in problems])
    return plan


def read_plan(path: str | Path) -> Plan:
    path = Path(path)
    return plan_from_json(read_text(path, what="plan", error=PlanFileError), where=str(path))
