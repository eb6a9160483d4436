"""Mutated layouts never crash loading or validation: they give problems, not tracebacks."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rescue_tui.errors import LayoutError
from rescue_tui.layout.codec import parse_layout
from rescue_tui.layout.validate import validate_layout
from tests.unit.layout.conftest import MINIMAL

BASE = json.loads(MINIMAL.read_text())
IDS = [item["id"] for item in BASE["items"]]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, 1, 512, 4096, 2048, 34, "", "x", "../..", "/", *IDS]),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def json_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON document (keys and indexes), the root's ``()`` first."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += json_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += json_paths(value, (*prefix, index))
    return out


PATHS = [p for p in json_paths(BASE) if p]


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = document
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["set", "delete", "ref", "dup"]))
            key = path[-1]
            if action == "set":
                parent[key] = draw(values)
            elif action == "delete":
                del parent[key]
            elif action == "ref":
                parent[key] = draw(st.sampled_from(IDS))
            elif isinstance(parent, list):
                parent.append(copy.deepcopy(parent[key]))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the path: fine
    return document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_layouts_give_problems_never_tracebacks(document: dict[str, Any]) -> None:
    try:
        layout = parse_layout(json.dumps(document), where="fuzz.json")
    except LayoutError as exc:
        assert exc.problems and all("\n" not in p for p in exc.problems)
        return
    for problem in validate_layout(layout):
        assert "\n" not in str(problem)
        assert str(problem).startswith("$")
