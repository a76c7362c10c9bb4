"""The contract in ops/hotline/: a schema per message type (generated from the code), an example of each."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from projections.hotline import MESSAGES, render
from yousu.cli_hotline import schema_text

HOTLINE = Path(__file__).resolve().parents[2] / "ops" / "hotline"
TYPES = sorted(m.type for m in MESSAGES.values())
# the Complaint events of the workflow's 并单/退单/延期/中止, keyed by class name: flowing as soon as they exist
LATER_EVENTS = {
    "Merged",
    "Unmerged",
    "Returned",
    "ReturnInsisted",
    "Redispatched",
    "ExtensionRequested",
    "ExtensionApproved",
    "ExtensionRefused",
    "ClockPaused",
    "ClockResumed",
}


def test_every_message_type_has_its_schema_file_as_generated() -> None:
    on_disk = sorted(p.name.removesuffix(".schema.json") for p in (HOTLINE / "schemas").glob("*.schema.json"))
    assert on_disk == TYPES
    for kind in TYPES:
        text = (HOTLINE / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8")
        assert text == schema_text(kind), f"run `yousu hotline schemas`: {kind} differs"
        Draft202012Validator.check_schema(json.loads(text))


def test_the_mapping_names_the_workflow_events_to_come() -> None:
    assert set(MESSAGES) >= LATER_EVENTS
    assert len({m.type for m in MESSAGES.values()}) == len(MESSAGES)


@pytest.mark.parametrize("kind", TYPES)
def test_every_example_is_valid_chinese_and_of_its_type(kind: str) -> None:
    example = json.loads((HOTLINE / "examples" / f"{kind}.json").read_text(encoding="utf-8"))
    schema = json.loads((HOTLINE / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))
    errors = [e.message for e in Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(example)]
    assert errors == []
    assert example["type"] == kind
    if kind not in ("accepted", "deadline_corrected"):  # those two carry codes and instants only
        assert any("\u4e00" <= ch <= "\u9fff" for ch in json.dumps(example["data"], ensure_ascii=False))


def test_a_message_with_a_field_the_contract_does_not_name_is_invalid() -> None:
    example = json.loads((HOTLINE / "examples" / "accepted.json").read_text(encoding="utf-8"))
    schema = json.loads((HOTLINE / "schemas" / "accepted.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    example["data"]["phone"] = "13812345678"
    assert not validator.is_valid(example)
    del example["data"]["phone"]
    example["seq"] = 0
    assert not validator.is_valid(example)


def test_personal_fields_are_exactly_the_ones_the_readme_names() -> None:
    personal = sorted(f"{m.type}.data.{f}" for m in MESSAGES.values() for f in m.personal_fields)
    assert personal == [
        "answered_by_master.data.result",
        "called_back.data.comment",
        "fed_back.data.summary",
        "resolved.data.result",
        "supplement_added.data.text",
    ]
    readme = (HOTLINE / "README.md").read_text(encoding="utf-8")
    for name in personal:
        assert f"`{name}`" in readme


def test_an_event_named_ahead_of_time_is_sent_valid_whatever_shape_its_fields_take() -> None:
    """并单/退单/延期/中止 events come from another part of the workflow: their optional fields are taken by name,
    and one of an unforeseen shape is left out rather than sent invalid (which would hold the work order)."""
    fields = {
        "originator_version": 7,
        "occurred_at": datetime(2025, 10, 9, 10, 0, tzinfo=timezone(timedelta(hours=8))),
        "department": ["housing", "market"],  # the contract foresees one code: left out
        "days": 5,
        "reason": "配件未到货，联系人电话13812345678",
        "unforeseen": "不在约定中的字段",
    }
    event = type("ExtensionRequested", (), fields)()
    message = render(event, external_ref="HL-X", previous_seq=5)
    assert message is not None
    assert message["type"] == "extension_requested"
    assert message["data"] == {"days": 5, "reason": "配件未到货，联系人电话138****5678"}
    schema = json.loads((HOTLINE / "schemas" / "extension_requested.schema.json").read_text(encoding="utf-8"))
    assert Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(message)
