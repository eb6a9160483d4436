from __future__ import annotations

import json

import pytest

from rescue_tui.plan.codec import PlanFileError, plan_from_json, plan_to_json
from rescue_tui.plan.render import render_plan
from tests.unit.plan.conftest import plan_for


def test_a_plan_survives_json_exactly() -> None:
    plan = plan_for("luks-lvm-thin")
    text = plan_to_json(plan)
    again = plan_from_json(text, where="p.json")
    assert again == plan
    assert plan_to_json(again) == text


def test_an_unknown_step_kind_is_refused_with_its_path() -> None:
    document = json.loads(plan_to_json(plan_for("uefi-gpt-lvm")))
    document["steps"][3]["kind"] = "format-everything"
    with pytest.raises(PlanFileError, match=r"p.json: \$.steps\[3\].kind: unknown step kind 'format-everything'"):
        plan_from_json(json.dumps(document), where="p.json")


def test_a_wrong_type_or_extra_field_is_refused() -> None:
    document = json.loads(plan_to_json(plan_for("uefi-gpt-lvm")))
    document["steps"][2]["start"] = "2048"
    with pytest.raises(PlanFileError, match=r"\$.steps\[2\].start: expected int"):
        plan_from_json(json.dumps(document), where="p.json")
    document["steps"][2]["start"] = 2048
    document["steps"][2]["force"] = True
    with pytest.raises(PlanFileError, match=r"\$.steps\[2\].force: unknown field"):
        plan_from_json(json.dumps(document), where="p.json")


@pytest.mark.parametrize("field", ["steps", "disks", "changes"])
@pytest.mark.parametrize("value", [None, 7, "sda", {"a": 1}])
def test_a_list_field_that_is_no_list_is_refused_with_its_path(field: str, value: object) -> None:
    document = json.loads(plan_to_json(plan_for("uefi-gpt-lvm")))
    document[field] = value
    with pytest.raises(PlanFileError, match=rf"p.json: \$.{field}: expected a list$"):
        plan_from_json(json.dumps(document), where="p.json")


def test_a_step_after_a_later_step_is_refused() -> None:
    document = json.loads(plan_to_json(plan_for("uefi-gpt-lvm")))
    document["steps"][1]["after"] = [document["steps"][5]["id"]]
    with pytest.raises(PlanFileError, match=r"\$.steps\[1\].after: s\d+ is not an earlier step"):
        plan_from_json(json.dumps(document), where="p.json")


def test_the_text_rendering_is_ascii_and_lists_every_step_and_command() -> None:
    plan = plan_for("raid1-lvm")
    text = render_plan(plan, commands=True)
    text.encode("ascii")
    for step in plan.steps:
        assert f"  {step.id}  {step.summary()}" in text
        assert f"$ {step.command}" in text


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [("create-partition", "part_kind", "secondary"), ("set-identity", "field", "serial"),
     ("mkfs", "fstype", "ntfs"), ("luks-format", "version", "2"), ("create-md", "level", "raid7")],
)  # fmt: skip
def test_a_step_field_outside_its_set_of_values_is_refused_naming_the_path(
    kind: str, field: str, value: object
) -> None:
    plan = plan_for("luks-lvm-thin") if kind == "luks-format" else plan_for("raid1-lvm")
    document = json.loads(plan_to_json(plan))
    index, step = next((i, s) for i, s in enumerate(document["steps"]) if s["kind"] == kind)
    step[field] = value
    with pytest.raises(
        PlanFileError, match=rf"\$\.steps\[{index}\]\.{field}: expected one of .*got {json.dumps(value)}"
    ):
        plan_from_json(json.dumps(document), where="edited.json")
