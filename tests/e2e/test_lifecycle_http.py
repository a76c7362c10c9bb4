"""A full lifecycle over HTTP against a real ``yousu serve`` process, on PostgreSQL and on SQLite.

One scenario per classification (一般性问题, 办不了, 很难办, 不给办); three of them get a 差评 on
the first call-back and go through a rectification round (resolve again → feedback → call-back
→ closed). Every command's answer is checked (id, slip_no, status, version, notification_id,
due_at), then the state and the audit trail as a liaison (纪检监察联络员) sees them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.support import receive_body, token

SLIP_RE = re.compile(r"^YS-district-\d{8}-\d{5}$")  # a clerk without a centre claim: the district hall
EVENT_OF = {
    "classify": "Classified",
    "sign": "Signed",
    "dispatch": "Dispatched",
    "consult": "Consulted",
    "resolve": "Resolved",
    "feedback": "FedBack",
    "callback": "CalledBack",
}
# the Chinese labels the history must carry (docs/design.md §6, issue 3)
EVENT_LABELS = {
    "Received": "受理",
    "Classified": "分类",
    "Signed": "审核签字",
    "Dispatched": "转办",
    "Consulted": "会商",
    "Resolved": "办结",
    "FedBack": "反馈",
    "CalledBack": "回访",
}
STATUS_LABELS = {"rectifying": "整改中", "closed": "已回访", "resolved": "已办结", "fed_back": "已反馈"}
CLASSIFICATION_LABELS = {
    "general": "一般性问题",
    "cannot_do": "办不了",
    "hard_to_do": "很难办",
    "refused_to_do": "不给办",
}
RESOLUTION_DAYS = {"cannot_do": 1, "refused_to_do": 2, "hard_to_do": 5}

# (role, department) → (sub, display name): each actor is recognisable in the history
STAFF = {
    ("window_clerk", None): ("clerk-7", "窗口王芳"),
    ("duty_officer", None): ("officer-3", "值班李强"),
    ("duty_leader", None): ("leader-1", "带班赵敏"),
    ("department", "market"): ("dept-market-2", "市场监管孙立"),
    ("department", "housing"): ("dept-housing-5", "住建周洁"),
    ("department", "hrss"): ("dept-hrss-4", "人社吴敏"),
    ("liaison", None): ("liaison-9", "纪检刘洋"),
}


def headers(role: str, department: str | None = None, **extra: str) -> dict[str, str]:
    sub, name = STAFF[(role, department)]
    return {"Authorization": f"Bearer {token(role, department=department, sub=sub, name=name)}", **extra}


def instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"{value} must carry a UTC offset"
    return parsed


@dataclass
class Flow:
    """One complaint driven over HTTP; checks every answer and remembers what the history must show."""

    http: httpx.Client
    id: str = ""
    slip_no: str = ""
    version: int = 0
    notification_id: int = 0
    events: list[tuple[str, str, str | None]] = field(default_factory=list)  # (type, role, department)
    answers: list[dict[str, Any]] = field(default_factory=list)

    def receive(self, body: dict[str, Any]) -> dict[str, Any]:
        key = f"e2e-{uuid.uuid4()}"
        r = self.http.post("/v1/complaints", json=body, headers=headers("window_clerk", **{"Idempotency-Key": key}))
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        assert r.headers["location"] == f"/v1/complaints/{out['id']}"
        uuid.UUID(out["id"])
        assert SLIP_RE.fullmatch(out["slip_no"]), out["slip_no"]
        assert out["status"] == "received"
        assert out["version"] == 1
        assert isinstance(out["notification_id"], int)
        assert out["notification_id"] > 0
        assert out["due_at"] is None
        self.id, self.slip_no, self.version, self.notification_id = out["id"], out["slip_no"], 1, out["notification_id"]
        self.events.append(("Received", "window_clerk", None))
        self.answers.append(out)

        # a retry with the same Idempotency-Key answers the same complaint, nothing new is recorded
        again = self.http.post("/v1/complaints", json=body, headers=headers("window_clerk", **{"Idempotency-Key": key}))
        assert again.status_code == 200, again.text
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["location"] == r.headers["location"]
        assert (again.json()["id"], again.json()["slip_no"], again.json()["version"]) == (self.id, self.slip_no, 1)
        return out

    def command(
        self, action: str, role: str, body: dict[str, Any], *, status: str, department: str | None = None
    ) -> dict[str, Any]:
        r = self.http.post(
            f"/v1/complaints/{self.id}/{action}",
            json=body,
            headers=headers(role, department, **{"If-Match": f'"{self.version}"'}),
        )
        assert r.status_code == 200, f"{action} as {role}: {r.status_code} {r.text}"
        assert r.headers["content-type"].startswith("application/json")
        out: dict[str, Any] = r.json()
        assert out["id"] == self.id
        assert out["slip_no"] == self.slip_no
        assert out["status"] == status, f"{action}: {out}"
        assert out["version"] == self.version + 1
        assert isinstance(out["notification_id"], int)
        assert out["notification_id"] > self.notification_id, "notification ids grow with every write"
        self.version, self.notification_id = out["version"], out["notification_id"]
        self.events.append((EVENT_OF[action], role, department))
        self.answers.append(out)
        return out

    def refused(self, action: str, role: str, body: dict[str, Any], code: str, department: str | None = None) -> None:
        """A command the state does not allow: 409 problem with its code; nothing recorded."""
        r = self.http.post(
            f"/v1/complaints/{self.id}/{action}",
            json=body,
            headers=headers(role, department, **{"If-Match": f'"{self.version}"'}),
        )
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["code"] == code
        assert problem["status"] == 409
        assert problem["detail"]
        state = self.state()
        assert state["version"] == self.version

    def state(self, **params: Any) -> dict[str, Any]:
        r = self.http.get(f"/v1/complaints/{self.id}", params=params, headers=headers("liaison"))
        assert r.status_code == 200, r.text
        return dict(r.json())

    def due(self, start: str, working_days: int) -> str:
        r = self.http.get(
            "/v1/calendar/due", params={"from": start, "working_days": working_days}, headers=headers("liaison")
        )
        assert r.status_code == 200, r.text
        return str(r.json()["due_at"])

    def dispatch(self, departments: list[str], classification: str) -> dict[str, Any]:
        out = self.command(
            "dispatch",
            "duty_leader",
            {"departments": departments, "supervisor": "督办专员陈刚", "instructions": "限时办结，按时反馈"},
            status="dispatched",
        )
        assert out["due_at"] is not None, "dispatch answers the resolution deadline"
        state = self.state()
        assert instant(state["due_at"]) == instant(out["due_at"])
        dispatched_at = state["dispatched_at"]
        assert instant(out["due_at"]) > instant(dispatched_at)
        # the deadline is the classification's working-day limit counted from the dispatch
        assert instant(out["due_at"]) == instant(self.due(dispatched_at, RESOLUTION_DAYS[classification]))
        return out

    def sign_both(self) -> None:
        self.refused(
            "dispatch", "duty_leader", {"departments": ["housing"], "supervisor": "督办"}, "officer_signature_missing"
        )
        self.command("sign", "duty_officer", {"opinion": "情况属实，同意转办"}, status="officer_signed")
        self.command("sign", "duty_leader", {"opinion": "同意"}, status="signed")

    def feedback_and_callback(self, rating: int, *, status: str) -> dict[str, Any]:
        self.command(
            "feedback", "window_clerk", {"method": "phone", "summary": "已电话告知办理结果"}, status="fed_back"
        )
        return self.command("callback", "window_clerk", {"rating": rating, "comment": f"评价 {rating}"}, status=status)

    def check_history(self) -> list[dict[str, Any]]:
        """The audit trail, as the liaison reads it: every event, in order, with Chinese labels."""
        r = self.http.get(f"/v1/complaints/{self.id}/history", headers=headers("liaison"))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["id"] == self.id
        assert body["slip_no"] == self.slip_no
        events = body["events"]
        assert [e["version"] for e in events] == list(range(1, self.version + 1))
        assert [e["type"] for e in events] == [t for t, _, _ in self.events]
        assert [e["label"] for e in events] == [EVENT_LABELS[t] for t, _, _ in self.events]
        for e, (_, role, department) in zip(events, self.events, strict=True):
            sub, name = STAFF[(role, department)]
            assert e["actor"] == {"id": sub, "name": name, "role": role, "department": department}
            instant(e["occurred_at"])
        recorded = [instant(e["recorded_at"]) for e in events]
        assert recorded == sorted(recorded), "recorded in order"
        received = events[0]["payload"]
        assert received["complainant"]["name"] == "张三丰", "the liaison sees personal information in clear"
        assert received["complainant"]["masked"] is False
        return list(events)


@pytest.fixture
def flow(server: Server) -> Iterator[Flow]:
    with httpx.Client(base_url=server.base_url, timeout=15.0) as http:
        yield Flow(http)


def check_closed(flow: Flow, classification: str, *, rating: int, rectification_round: int) -> dict[str, Any]:
    state = flow.state()
    assert state["id"] == flow.id
    assert state["slip_no"] == flow.slip_no
    assert state["version"] == flow.version
    assert state["status"] == "closed"
    assert state["status_label"] == STATUS_LABELS["closed"]
    assert state["classification"] == classification
    assert state["classification_label"] == CLASSIFICATION_LABELS[classification]
    assert state["rating"] == rating
    assert state["rectification_round"] == rectification_round
    assert state["complainant"]["name"] == "张三丰"
    r = flow.http.get(f"/v1/complaints/{flow.id}", headers=headers("liaison"))
    assert r.headers["etag"] == f'"{flow.version}"'
    return state


def check_rectification(flow: Flow, bad_answer: dict[str, Any], rating: int) -> None:
    """The 差评 opened round 1 with a deadline; the state at that version shows it."""
    then = flow.state(version=bad_answer["version"])
    assert then["status"] == "rectifying"
    assert then["status_label"] == STATUS_LABELS["rectifying"]
    assert then["rating"] == rating
    assert then["rectification_round"] == 1
    assert then["rectification_due_at"] is not None
    assert instant(then["rectification_due_at"]) > instant(then["called_back_at"])


def test_general_resolved_on_the_spot_with_a_bad_rating_and_rectification(flow: Flow) -> None:
    received = flow.receive(receive_body())
    classified = flow.command(
        "classify", "window_clerk", {"classification": "general", "reason": "当场可办"}, status="classified"
    )
    # 一般性问题: answered by close of business the same working day the complaint came in
    state = flow.state()
    assert classified["due_at"] is not None
    assert instant(classified["due_at"]) == instant(flow.due(state["received_at"], 0))
    flow.refused("sign", "duty_officer", {"opinion": "同意"}, "signature_not_needed")
    flow.command("resolve", "window_clerk", {"result": "当场补办营业执照变更"}, status="resolved")
    bad = flow.feedback_and_callback(2, status="rectifying")
    flow.command("resolve", "window_clerk", {"result": "整改：加急办结并书面致歉"}, status="resolved")
    flow.feedback_and_callback(5, status="closed")
    check_rectification(flow, bad, 2)
    check_closed(flow, "general", rating=5, rectification_round=1)
    events = flow.check_history()
    assert [e["payload"]["rating"] for e in events if e["type"] == "CalledBack"] == [2, 5]
    assert received["notification_id"] < flow.notification_id


def test_cannot_do_needs_legal_basis(flow: Flow) -> None:
    flow.receive(receive_body(content="申请的补贴不符合政策条件", category="social_security"))
    flow.command(
        "classify", "window_clerk", {"classification": "cannot_do", "reason": "政策不允许"}, status="classified"
    )
    flow.sign_both()
    flow.dispatch(["hrss"], "cannot_do")
    flow.refused("resolve", "department", {"result": "不予办理"}, "legal_basis_required", department="hrss")
    basis = "《社会保险法》第十二条"
    flow.command(
        "resolve",
        "department",
        {"result": "不予办理，已解释政策", "legal_basis": basis},
        status="resolved",
        department="hrss",
    )
    flow.feedback_and_callback(4, status="closed")
    state = check_closed(flow, "cannot_do", rating=4, rectification_round=0)
    assert state["legal_basis"] == basis
    assert state["departments"] == ["hrss"]
    events = flow.check_history()
    resolved = next(e for e in events if e["type"] == "Resolved")
    assert resolved["payload"]["legal_basis"] == basis


def test_hard_to_do_with_consultation_bad_rating_and_rectification(flow: Flow) -> None:
    flow.receive(receive_body(content="小区加装电梯多部门推诿", category="housing"))
    flow.command(
        "classify", "window_clerk", {"classification": "hard_to_do", "reason": "涉及多方"}, status="classified"
    )
    flow.sign_both()
    dispatched = flow.dispatch(["housing"], "hard_to_do")
    flow.refused("resolve", "department", {"result": "已办理"}, "consultation_required", department="housing")
    flow.command(
        "consult",
        "duty_leader",
        {"participants": ["住建", "街道办"], "conclusion": "住建牵头，街道配合，两周内完成"},
        status="consulted",
    )
    flow.command("resolve", "department", {"result": "已协调施工方进场"}, status="resolved", department="housing")
    bad = flow.feedback_and_callback(1, status="rectifying")
    # the rectification round: the department resolves again, then feedback and a satisfied call-back
    flow.command("resolve", "department", {"result": "整改：电梯已完工验收"}, status="resolved", department="housing")
    flow.feedback_and_callback(3, status="closed")
    check_rectification(flow, bad, 1)
    state = check_closed(flow, "hard_to_do", rating=3, rectification_round=1)
    assert state["consultations"] == 1
    assert instant(state["due_at"]) == instant(dispatched["due_at"])
    events = flow.check_history()
    assert [e["payload"]["rating"] for e in events if e["type"] == "CalledBack"] == [1, 3]
    consulted = next(e for e in events if e["type"] == "Consulted")
    assert consulted["payload"]["participants"] == ["住建", "街道办"]


def test_refused_to_do_two_departments_consult_and_rectification(flow: Flow) -> None:
    flow.receive(receive_body(content="窗口拒收材料且不说明理由"))
    flow.command(
        "classify", "window_clerk", {"classification": "refused_to_do", "reason": "拒绝受理"}, status="classified"
    )
    flow.sign_both()
    flow.dispatch(["market", "housing"], "refused_to_do")
    # two departments: 会商 first
    flow.refused("resolve", "department", {"result": "已受理"}, "consultation_required", department="market")
    flow.command(
        "consult",
        "department",
        # every dispatched department takes part, named by its code (consult_participants_missing otherwise)
        {"participants": ["market", "housing"], "conclusion": "市场监管主办，住建协办"},
        status="consulted",
        department="market",
    )
    flow.command("resolve", "department", {"result": "已补正受理"}, status="resolved", department="market")
    bad = flow.feedback_and_callback(2, status="rectifying")
    flow.command("resolve", "department", {"result": "整改：已约谈窗口人员"}, status="resolved", department="housing")
    flow.feedback_and_callback(5, status="closed")
    check_rectification(flow, bad, 2)
    state = check_closed(flow, "refused_to_do", rating=5, rectification_round=1)
    assert state["departments"] == ["market", "housing"]
    events = flow.check_history()
    dispatched = next(e for e in events if e["type"] == "Dispatched")
    assert dispatched["payload"]["departments"] == ["market", "housing"]
    assert dispatched["payload"]["supervisor"] == "督办专员陈刚"
    signers = [e["payload"]["signer_role"] for e in events if e["type"] == "Signed"]
    assert signers == ["duty_officer", "duty_leader"]
