"""parse_json's limits hold whether or not a text takes the fast path (no token scan when no limit can be passed)."""

from __future__ import annotations

import pytest

from rescue_tui.errors import BadInputError
from rescue_tui.inputs import MAX_DEPTH, MAX_NUMBER, parse_json


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_up_to_the_limit_parses_and_one_more_level_is_refused_naming_where() -> None:
    assert parse_json(nested(MAX_DEPTH), where="x.json") is not None
    with pytest.raises(BadInputError, match=rf"^x\.json:1:{MAX_DEPTH + 1}: nested deeper than {MAX_DEPTH} levels$"):
        parse_json(nested(MAX_DEPTH + 1), where="x.json")


def test_many_brackets_side_by_side_are_scanned_and_pass() -> None:
    flat = "[" + ",".join(["[]"] * (2 * MAX_DEPTH)) + "]"
    assert parse_json(flat, where="x.json") == [[]] * (2 * MAX_DEPTH)


def test_a_number_too_long_is_refused_but_the_same_run_inside_a_string_is_text() -> None:
    run = "9" * (MAX_NUMBER + 1)
    with pytest.raises(BadInputError, match=rf"^d\.jsonl:3:1: a number longer than {MAX_NUMBER} characters"):
        parse_json(f"\n\n{run}", where="d.jsonl")
    assert parse_json(f'{{"path": "srv/{run}", "size": 1}}', where="d.jsonl") == {"path": f"srv/{run}", "size": 1}


def test_a_checksum_line_parses_on_the_fast_path() -> None:
    line = '{"path": "etc/hostname", "sha256": "' + "e3b0c442" * 8 + '", "size": 9}'
    assert parse_json(line, where="d.jsonl") == {"path": "etc/hostname", "sha256": "e3b0c442" * 8, "size": 9}
