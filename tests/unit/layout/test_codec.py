"""Loading, saving, schema and migrations of layout files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rescue_tui.errors import LayoutError
from rescue_tui.layout import migrations
from rescue_tui.layout.codec import dump_layout, parse_layout, read_layout
from rescue_tui.layout.model import ITEM_CLASSES, Partition
from rescue_tui.layout.schema import schema_text
from tests.conftest import ROOT
from tests.unit.layout.conftest import MINIMAL


def test_saving_a_loaded_file_gives_back_the_same_bytes() -> None:
    text = MINIMAL.read_text()
    assert dump_layout(parse_layout(text, where="x")) == text


def test_loading_builds_typed_items() -> None:
    layout = read_layout(MINIMAL)
    part = layout.by_id()["vda1"]
    assert isinstance(part, Partition)
    assert (part.start, part.size, part.flags) == (2048, 1048576, ("esp",))


def test_defaults_are_left_out_of_saved_files() -> None:
    document = json.loads(MINIMAL.read_text())
    disk = document["items"][0]
    assert "logical_sector_size" not in disk and "rotational" not in disk


def test_the_committed_schema_matches_the_model() -> None:
    committed = (ROOT / "layouts" / "schema" / "layout.schema.json").read_text()
    assert committed == schema_text(), "regenerate: rescue-tui layout schema > layouts/schema/layout.schema.json"


def test_the_schema_has_one_definition_per_item_type_with_a_const_type() -> None:
    defs = json.loads(schema_text())["$defs"]
    for name in ITEM_CLASSES:
        assert defs[name]["properties"]["type"] == {"const": name}
        assert defs[name]["additionalProperties"] is False


def broken(tmp_path: Path, document: object) -> list[str]:
    path = tmp_path / "layout.json"
    path.write_text(json.dumps(document, indent=2))
    with pytest.raises(LayoutError) as info:
        read_layout(path)
    return info.value.problems


def test_structural_problems_are_all_reported_with_their_json_path(tmp_path: Path) -> None:
    document = json.loads(MINIMAL.read_text())
    document["items"][0]["size"] = "big"
    document["items"][2]["flags"] = ["sparkly"]
    del document["items"][3]["start"]
    found = broken(tmp_path, document)
    where = tmp_path / "layout.json"
    assert f"{where}: $.items[0] (disk-vda).size: 'big' is not of type 'integer'" in found
    assert any(p.startswith(f"{where}: $.items[2] (vda1).flags[0]: 'sparkly' is not one of") for p in found)
    assert f"{where}: $.items[3] (vda2): 'start' is a required property" in found
    assert len(found) == 3


def test_an_unknown_item_type_lists_the_known_ones(tmp_path: Path) -> None:
    document = json.loads(MINIMAL.read_text())
    document["items"].append({"id": "z", "type": "zpool"})
    (problem,) = broken(tmp_path, document)
    assert "$.items[13] (z).type: unknown item type 'zpool' (known: btrfs_subvolume, disk," in problem


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{\n  "format_version": 1,\n  "machine": {,\n}')
    with pytest.raises(LayoutError, match=r"x.json:3:15: not valid JSON"):
        read_layout(path)


def test_a_newer_format_version_is_refused_with_a_hint() -> None:
    with pytest.raises(LayoutError, match=r"\$.format_version: 7 is newer than this rescue-tui understands") as info:
        parse_layout('{"format_version": 7, "machine": {"hostname": "h"}, "items": []}', where="f")
    assert info.value.hint


def test_a_missing_format_version_is_reported() -> None:
    with pytest.raises(LayoutError, match=r"f: \$.format_version: missing or not an integer"):
        parse_layout('{"machine": {"hostname": "h"}, "items": []}', where="f")


def test_older_versions_are_migrated_step_by_step(monkeypatch: pytest.MonkeyPatch) -> None:
    def v0_to_v1(doc: dict) -> dict:  # type: ignore[type-arg]
        doc["machine"] = {"hostname": doc.pop("host")}
        return doc

    monkeypatch.setitem(migrations.MIGRATIONS, 0, v0_to_v1)
    layout = parse_layout('{"format_version": 0, "host": "old", "items": []}', where="f")
    assert (layout.format_version, layout.machine.hostname) == (1, "old")


def test_a_missing_file_is_one_line() -> None:
    with pytest.raises(LayoutError, match=r"^/nonexistent.json: cannot read: No such file or directory$"):
        read_layout("/nonexistent.json")


def test_embedded_layouts_are_the_json_files_but_the_images_own_facts(tmp_path: Path) -> None:
    from rescue_tui.layout.embedded import embedded_layouts

    for name in ("layout.json", "image.json", "web02.json", "notes.txt"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in embedded_layouts(tmp_path)] == ["layout.json", "web02.json"]
    assert embedded_layouts(tmp_path / "absent") == []
