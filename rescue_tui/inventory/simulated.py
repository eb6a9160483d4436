"""A simulated set of disks, read from JSON: for the demo, tests and rehearsals.

Format (``layouts/examples/targets/*.json``)::

    {"disks": [{"name": "vda", "size": 21474836480, "serial": "...", ...}, ...]}

Keys are the fields of ``TargetDisk``; ``path`` defaults to ``/dev/<name>``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from rescue_tui.errors import BadInputError
from rescue_tui.inputs import read_json
from rescue_tui.inventory.model import Inventory, TargetDisk, device_name_problem, device_path_problem

_FIELDS = {f.name: f for f in dataclasses.fields(TargetDisk)}
_TUPLES = {"partitions", "holders", "mounts", "signatures"}
_BOOLS = {"removable", "read_only", "rescue_medium", "system_disk", "rotational"}
_INTS = {"size", "logical_sector_size", "physical_sector_size"}


def _disk(raw: Any, where: str) -> TargetDisk:
    if not isinstance(raw, dict):
        raise BadInputError(f"{where}: a disk is a JSON object")
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise BadInputError(f"{where}.{unknown[0]}: unknown field (known: {', '.join(_FIELDS)})")
    for key in ("name", "size"):
        if key not in raw:
            raise BadInputError(f"{where}: missing {key!r}")
    # Names become file names of the planning stand-ins and paths of device nodes: device syntax only.
    if problem := device_name_problem(raw["name"]):
        raise BadInputError(f"{where}.name: {problem}")
    values = dict(raw)
    values.setdefault("path", f"/dev/{raw['name']}")
    if problem := device_path_problem(values["path"]):
        raise BadInputError(f"{where}.path: {problem}")
    for key, value in values.items():
        ok = (
            (key in _INTS and isinstance(value, int) and not isinstance(value, bool) and value > 0)
            or (key in _TUPLES and isinstance(value, list) and all(isinstance(v, str) for v in value))
            or (key in _BOOLS and (isinstance(value, bool) or (key == "rotational" and value is None)))
            or (key not in _INTS | _TUPLES | _BOOLS and (isinstance(value, str) or value is None))
        )
        if not ok:
            raise BadInputError(f"{where}.{key}: {value!r} is not a valid value")
        if key in _TUPLES:
            values[key] = tuple(value)
    return TargetDisk(**values)


def read_inventory(path: str | Path) -> Inventory:
    """Load a simulated inventory; errors name the file and JSON path."""
    path = Path(path)
    document = read_json(path, what="targets inventory")
    if not isinstance(document, dict) or not isinstance(document.get("disks"), list):
        raise BadInputError(f"{path}: $: expected an object with a 'disks' list")
    disks = tuple(_disk(raw, f"{path}: $.disks[{i}]") for i, raw in enumerate(document["disks"]))
    names = [d.name for d in disks]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise BadInputError(f"{path}: $.disks[{i}].name: {name!r} is listed twice")
    return Inventory(disks=disks, source=str(path))
