"""The contract in ops/hotline/: a schema per message type (generated from the code), an example of each."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints
from uuid import UUID, uuid4

import eventsourcing.domain
import pytest
from jsonschema import Draft202012Validator, FormatChecker

import domain.complaint.events_beside as complaint_events_beside
import domain.complaint.events_main as complaint_events_main
from domain.complaint import Complaint
from domain.values import Actor, Complainant, ComplainantType, Role
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


def sample(field: str, kind: Any) -> Any:
    """A value of the event field's declared type (the first member of an enum, one code in a list)."""
    if field in SAMPLES:
        return SAMPLES[field]
    if get_origin(kind) in (Union, UnionType):
        return sample(field, next(k for k in get_args(kind) if k is not type(None)))
    if get_origin(kind) is list:
        return [sample(field, get_args(kind)[0])]
    if get_origin(kind) is dict:
        return {}
    if isinstance(kind, type) and issubclass(kind, Enum):
        return next(iter(kind))
    return {str: "已约谈物业，联系电话13812345678", int: 3, bool: False, datetime: AT, UUID: uuid4()}[kind]


AT = datetime(2025, 10, 9, 10, 0, tzinfo=timezone(timedelta(hours=8)))
SAMPLES: dict[str, Any] = {
    "actor": Actor("hotline", "12345", Role.hotline),
    "complainant": Complainant(ComplainantType.person, "张三", "13812345678"),
    "department": "housing",
    "source": "hotline",  # a supplement's source and a resumed clock's both name the hotline so
    "originator_id": uuid4(),
    "originator_version": 7,
}


def events_of(name: str) -> list[Any]:
    """The complaint event ``name`` with every field of its declared type, and once more with None in each
    field that may be None."""
    cls = getattr(Complaint, name)
    hints = get_type_hints(
        cls, {**vars(eventsourcing.domain), **vars(complaint_events_main), **vars(complaint_events_beside)}
    )
    names = {f.name for f in fields(cls) if f.init}
    full = {f: sample(f, k) for f, k in hints.items() if f in names}
    nullable = {f for f, k in hints.items() if get_origin(k) in (Union, UnionType) and type(None) in get_args(k)}
    return [cls(**full), cls(**{**full, **dict.fromkeys(nullable & set(full))})]


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_every_message_kind_rendered_from_its_event_is_valid_with_every_field(name: str) -> None:
    kind = MESSAGES[name]
    schema = json.loads((HOTLINE / "schemas" / f"{kind.type}.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    assert schema["properties"]["data"]["required"] == list(schema["properties"]["data"]["properties"])
    for event in events_of(name):
        for work_order in ("HL20250925-00017", None):
            message = render(event, external_ref="HL-X", previous_seq=5, work_order_of=lambda _cid, w=work_order: w)
            assert message is not None
            assert message["type"] == kind.type
            assert [e.message for e in validator.iter_errors(message)] == [], message
            assert set(message["data"]) == set(kind.fields)  # every field, every time


def test_a_merge_names_the_master_by_the_hotlines_own_work_order_number() -> None:
    masters = {uuid4(): "HL20250925-00017", uuid4(): None}  # a hotline work order; a window complaint
    for master, ref in masters.items():
        for name in ("Merged", "Unmerged", "AnsweredByMaster"):
            event = replace(events_of(name)[0], master_id=master)
            message = render(event, external_ref="HL-X", previous_seq=5, work_order_of=masters.get)
            assert message is not None
            assert message["data"]["master_external_ref"] == ref
            assert str(master) not in json.dumps(message)  # never our internal id


def test_consulted_participants_named_in_person_are_masked_like_every_other_name() -> None:
    """Department codes go as they are; 王建国 goes as 王**, and the complainant's name in the conclusion too."""
    fields = {
        "originator_version": 6,
        "occurred_at": datetime(2025, 10, 9, 10, 0, tzinfo=timezone(timedelta(hours=8))),
        "participants": ["housing", "natural_resources", "王建国", "赵六", "物业经理李四"],
        "conclusion": "赵六同意由住建牵头，王建国电话13812345678",
    }
    event = type("Consulted", (), fields)()
    message = render(event, external_ref="HL-C", previous_seq=5, names=["赵六"])
    assert message is not None
    assert message["data"]["participants"] == ["housing", "natural_resources", "王**", "赵*", "物*****"]
    assert message["data"]["conclusion"] == "赵*同意由住建牵头，王**电话138****5678"
    text = json.dumps(message, ensure_ascii=False)
    for clear in ("王建国", "赵六", "李四", "13812345678"):
        assert clear not in text
    schema = json.loads((HOTLINE / "schemas" / "consulted.schema.json").read_text(encoding="utf-8"))
    assert Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(message)
