"""Every endpoint × every role against a literal permission table: allowed → 2xx, others → 403; no token → 401."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from api.auth import mint_token
from application.callbacks import CallbacksService
from application.cases import CaseDraft, CasesService
from application.complaints import ComplaintsApp
from application.knowledge import EntryFields, KnowledgeService
from application.orders import OrdersService
from domain.callbacks import Outcome
from domain.orders import FindingKind
from domain.plans import TidalPlan, plan_id
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role
from tests.support import CST, auth, client_for, hotline_body, receive_body

ROLES = [r for r in Role if r is not Role.system]
CLERK = Actor("c1", "窗口甲", Role.window_clerk)
OFFICER = Actor("o1", "值班乙", Role.duty_officer)
LEADER = Actor("l1", "带班丙", Role.duty_leader)
HOUSING = Actor("d1", "住建丁", Role.department, "housing")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("roles") / "yousu.db"
    with client_for(f"sqlite:///{db}") as c:
        # a roster to show (the district hall, September 2025)
        r = c.post(
            "/v1/roster/import", content=ROSTER_CSV.encode(), headers={**auth(Role.admin), "Content-Type": "text/csv"}
        )
        assert r.status_code == 200, r.text
        accounts = c.app.state.container.accounts  # type: ignore[attr-defined]  # made by the composition root
        accounts.add(username="jiahe", name="贾禾", roles=[Role.analyst], password="贾禾的密码-2025-春")
        # a handler of 住建 (the department every complaint here is dispatched to), for 指定承办人
        accounts.add(
            username="zhujian",
            name="住建戊",
            roles=[Role.department],
            department="housing",
            password="住建戊的密码-2025-秋",
        )
        yield c


def app_of(client: TestClient) -> ComplaintsApp:
    return client.app.state.container.complaints  # type: ignore[attr-defined,no-any-return]


def received(app: ComplaintsApp) -> UUID:
    return app.receive(
        channel=Channel.window,
        content="窗口拒绝受理材料",
        category="housing",
        complainant=Complainant(ComplainantType.person, "李四", "13900001111"),
        actor=CLERK,
    ).id


def classified(app: ComplaintsApp, kind: Classification = Classification.refused_to_do) -> UUID:
    cid = received(app)
    app.classify(cid, classification=kind, reason="", actor=CLERK)
    return cid


def officer_signed(app: ComplaintsApp) -> UUID:
    cid = classified(app)
    app.sign(cid, opinion="同意", actor=OFFICER)
    return cid


def signed(app: ComplaintsApp) -> UUID:
    cid = officer_signed(app)
    app.sign(cid, opinion="同意", actor=LEADER)
    return cid


def dispatched(app: ComplaintsApp) -> UUID:
    cid = signed(app)
    app.dispatch(cid, departments=["housing"], supervisor="督办甲", instructions="", actor=LEADER)
    return cid


def resolved(app: ComplaintsApp) -> UUID:
    cid = dispatched(app)
    app.resolve(cid, result="已办理", legal_basis=None, actor=HOUSING)
    return cid


def fed_back(app: ComplaintsApp) -> UUID:
    cid = resolved(app)
    app.feed_back(cid, method="phone", summary="已电话告知", actor=CLERK)
    return cid


def general(app: ComplaintsApp) -> UUID:
    return classified(app, Classification.general)


HOTLINE = Actor("h1", "热线戊", Role.hotline)


def hotline_order(app: ComplaintsApp) -> UUID:
    """A 12345 work order, as the hotline pushed it in."""
    return app.receive(
        channel=Channel.hotline,
        content="小区噪音扰民",
        category="housing",
        complainant=Complainant(ComplainantType.person, "赵六", "13900002222"),
        actor=HOTLINE,
        external_ref=f"HL-{uuid4()}",
    ).id


def hotline_resolved(app: ComplaintsApp) -> UUID:
    cid = hotline_order(app)
    app.classify(cid, classification=Classification.general, reason="", actor=CLERK)
    app.resolve(cid, result="已协调", legal_basis=None, actor=CLERK)
    return cid


def hotline_fed_back(app: ComplaintsApp) -> UUID:
    cid = hotline_resolved(app)
    app.feed_back(cid, method="phone", summary="已告知", actor=CLERK)
    return cid


def rectifying(app: ComplaintsApp) -> UUID:
    """Dispatched to housing, resolved, fed back and rated 2 (差评): its rectification round is open."""
    cid = fed_back(app)
    app.call_back(cid, rating=2, comment="不满意", actor=CLERK)
    return cid


def general_rectifying(app: ComplaintsApp) -> UUID:
    """A general question answered at the window and rated 1: the window's round to appeal."""
    cid = general(app)
    app.command(
        cid,
        lambda c, now: c.answer_on_the_spot(
            result="当场答复", actor=CLERK, now=now, calendar=app.calendar, limits=app.limits
        ),
    )
    app.call_back(cid, rating=1, comment="不满意", actor=CLERK)
    return cid


def appealed(app: ComplaintsApp) -> UUID:
    cid = rectifying(app)
    app.command(cid, lambda c, now: c.appeal_rating(reason="已依法答复", actor=HOUSING, now=now))
    return cid


MASTERS: dict[UUID, UUID] = {}  # duplicate → the earlier complaint it is (to be) merged into


def merge_pair(app: ComplaintsApp) -> UUID:
    master = received(app)
    duplicate = received(app)
    MASTERS[duplicate] = master
    return duplicate


def merged(app: ComplaintsApp) -> UUID:
    duplicate = merge_pair(app)
    app.merge(duplicate, master_id=MASTERS[duplicate], reason="同一事项", actor=LEADER)
    return duplicate


def returned(app: ComplaintsApp) -> UUID:
    cid = dispatched(app)
    app.return_complaint(cid, reason="不属本部门", actor=HOUSING)
    return cid


def extension_asked(app: ComplaintsApp) -> UUID:
    cid = dispatched(app)
    app.request_extension(cid, days=1, reason="需现场核查", actor=HOUSING)
    return cid


def paused(app: ComplaintsApp) -> UUID:
    cid = dispatched(app)
    app.pause_clock(cid, reason="等待补充材料", actor=HOUSING)
    return cid


KNOWLEDGE_BODY = {"question": "暖气不热怎么办", "answer": "向供热公司报修"}


def knowledge_draft(app: ComplaintsApp) -> UUID:
    fields = EntryFields("暖气不热怎么办", "向供热公司报修", "", [], [], [])
    return KnowledgeService(app).draft(fields, actor_id="c1", actor_role="window_clerk").id


def case_draft(app: ComplaintsApp) -> UUID:
    source = resolved(app)
    return CasesService(app).draft([source], CaseDraft("欠薪"), actor_id="o1", actor_role="duty_officer").id


def case_published(app: ComplaintsApp) -> UUID:
    case_id = case_draft(app)
    CasesService(app).publish(case_id, actor_id="l1", actor_role="duty_leader")
    return case_id


def knowledge_published(app: ComplaintsApp) -> UUID:
    entry_id = knowledge_draft(app)
    KnowledgeService(app).publish(entry_id, actor_id="l1", actor_role="duty_leader")
    return entry_id


# the duty leader's token (tests.support.auth) issues, so that the same duty leader may accept or send back
ISSUER = Actor("duty_leader-1", "带班丙", Role.duty_leader)


def order_issued(app: ComplaintsApp) -> UUID:
    return (
        OrdersService(app)
        .issue(
            unit="housing", finding_kind=FindingKind.topic, finding_text="材料退回集中", working_days=5, actor=ISSUER
        )
        .id
    )


def order_acknowledged(app: ComplaintsApp) -> UUID:
    oid = order_issued(app)
    OrdersService(app).acknowledge(oid, actor=HOUSING, unit_of_actor="housing")
    return oid


def order_reported(app: ComplaintsApp) -> UUID:
    oid = order_acknowledged(app)
    OrdersService(app).report(oid, report="已整改", actor=HOUSING, unit_of_actor="housing")
    return oid


def agent_enrolled(app: ComplaintsApp) -> UUID:
    """A fed-back complaint, with the call-back agent the assignment names on record."""
    service = CallbacksService(app)
    if not service.is_agent("agent-1"):
        service.enrol(actor=Actor("agent-1", "回访丁", Role.callback_agent))
    return fed_back(app)


def proactive(app: ComplaintsApp) -> UUID:
    """A 主动回访 contact registered by the clerk."""
    person = Complainant(ComplainantType.person, "王五", "13700001111")
    return (
        CallbacksService(app)
        .register_proactive(centre="district", category="", service="社保卡办理", person=person, actor=CLERK)
        .complaint_id
    )


def called_with_finding(app: ComplaintsApp) -> UUID:
    """A complaint whose closing call-back was answered with a finding."""
    cid = fed_back(app)
    CallbacksService(app).attempt(
        cid, outcome=Outcome.answered, rating=4, comment="", finding="等候时间长", actor=CLERK
    )
    return cid


Setup = Callable[[ComplaintsApp, Role], UUID]


def _by_role(default: Callable[[ComplaintsApp], UUID], **per_role: Callable[[ComplaintsApp], UUID]) -> Setup:
    return lambda app, role: per_role.get(role.value, default)(app)


DUE_URL = "/v1/calendar/due?from=2025-09-26T10:00%2B08:00&working_days=1"
COMPLAINT = "/v1/complaints/{complaint_id}"
ENTRY = "/v1/knowledge/{entry_id}"
CASE = "/v1/cases/{case_id}"
ORDER = "/v1/orders/{order_id}"
WORK_ORDER = "/v1/hotline/work-orders/{external_ref}"

# endpoint → (prerequisite state per role, method, route, body). The route is the template as declared;
# routes under a complaint are requested on a complaint the setup brings to the right state.
ENDPOINTS: dict[str, tuple[Setup | None, str, str, dict[str, Any] | None]] = {
    "receive": (None, "POST", "/v1/complaints", None),
    "classify": (_by_role(received), "POST", f"{COMPLAINT}/classify", {"classification": "cannot_do"}),
    # one endpoint; the officer signs a classified complaint, the leader one the officer signed
    "sign": (_by_role(classified, duty_leader=officer_signed), "POST", f"{COMPLAINT}/sign", {"opinion": "同意"}),
    "dispatch": (
        _by_role(signed),
        "POST",
        f"{COMPLAINT}/dispatch",
        {"departments": ["housing"], "supervisor": "督办甲"},
    ),
    "consult": (_by_role(dispatched), "POST", f"{COMPLAINT}/consult", {"conclusion": "会商一致"}),
    "resolve": (_by_role(dispatched, window_clerk=general), "POST", f"{COMPLAINT}/resolve", {"result": "已办理"}),
    "feedback": (_by_role(resolved), "POST", f"{COMPLAINT}/feedback", {"method": "phone"}),
    "callback": (_by_role(fed_back), "POST", f"{COMPLAINT}/callback", {"rating": 4}),
    "on_the_spot": (_by_role(general), "POST", f"{COMPLAINT}/on-the-spot", {"result": "当场答复"}),
    "rating_appeal": (
        _by_role(rectifying, window_clerk=general_rectifying),
        "POST",
        f"{COMPLAINT}/rating-appeal",
        {"reason": "已依法答复"},
    ),
    "appeal_decision": (
        _by_role(appealed),
        "POST",
        f"{COMPLAINT}/rating-appeal/decision",
        {"upheld": True, "opinion": "属实"},
    ),
    "assign_handler": (
        _by_role(dispatched),
        "POST",
        f"{COMPLAINT}/handler",
        {"handler_id": "local:zhujian", "handler_name": "住建戊"},
    ),
    "reclassify": (
        _by_role(general),
        "POST",
        f"{COMPLAINT}/reclassify",
        {"classification": "hard_to_do", "reason": "当场未能解决"},
    ),
    "read_state": (_by_role(received, department=dispatched), "GET", COMPLAINT, None),
    "by_slip": (_by_role(received, department=dispatched), "GET", "/v1/complaints/by-slip/{slip_no}", None),
    "read_history": (_by_role(received), "GET", f"{COMPLAINT}/history", None),
    "calendar": (None, "GET", "/v1/calendar/due", None),
    "reference": (None, "GET", "/v1/reference", None),
    "ledger": (None, "GET", "/v1/ledger", None),
    "overdue": (None, "GET", "/v1/sla/overdue", None),
    "metrics": (None, "GET", "/v1/metrics", None),
    "liaison_inbox": (None, "GET", "/v1/liaison/inbox", None),
    "liaison_digest": (None, "GET", "/v1/liaison/digest", None),
    "my_inbox": (None, "GET", "/v1/inbox", None),
    "worklist": (None, "GET", "/v1/worklist", None),
    "roster_show": (None, "GET", "/v1/roster", None),
    "roster_import": (None, "POST", "/v1/roster/import", None),
    "audit_verify": (None, "GET", "/v1/audit/verify", None),
    "audit_access": (None, "GET", "/v1/audit/access", None),
    "audit_anchors": (None, "GET", "/v1/audit/anchors", None),
    "anchor": (None, "POST", "/v1/audit/anchors", None),
    "audit_bundle": (_by_role(received), "GET", "/v1/audit/bundle", None),
    "repeats": (_by_role(received), "GET", f"{COMPLAINT}/repeats", None),
    "repeat_rate": (None, "GET", "/v1/insights/repeats", None),
    "topics": (None, "GET", "/v1/insights/topics", None),
    "topic_members": (None, "GET", "/v1/insights/topics/members", None),
    "similar": (_by_role(received), "GET", f"{COMPLAINT}/similar", None),
    "knowledge_draft": (None, "POST", "/v1/knowledge", KNOWLEDGE_BODY),
    "knowledge_search": (None, "GET", "/v1/knowledge", None),
    "knowledge_suggest": (None, "GET", "/v1/knowledge/suggest", None),
    "knowledge_usage": (None, "GET", "/v1/knowledge/usage", None),
    "knowledge_read": (_by_role(knowledge_published), "GET", ENTRY, None),
    "knowledge_revise": (_by_role(knowledge_draft), "POST", f"{ENTRY}/revise", KNOWLEDGE_BODY),
    "knowledge_publish": (_by_role(knowledge_draft), "POST", f"{ENTRY}/publish", None),
    "knowledge_retire": (_by_role(knowledge_published), "POST", f"{ENTRY}/retire", {"reason": "政策调整"}),
    "knowledge_used": (_by_role(knowledge_published), "POST", f"{ENTRY}/used", None),
    "case_draft": (None, "POST", "/v1/cases", None),
    "case_search": (None, "GET", "/v1/cases", None),
    "case_read": (_by_role(case_published), "GET", CASE, None),
    "case_print": (_by_role(case_published), "GET", f"{CASE}/print", None),
    "case_pdf": (_by_role(case_published), "GET", f"{CASE}/pdf", None),
    "case_revise": (_by_role(case_draft), "POST", f"{CASE}/revise", {"title": "欠薪"}),
    "case_publish": (_by_role(case_draft), "POST", f"{CASE}/publish", None),
    "issue_order": (
        None,
        "POST",
        "/v1/orders",
        {"unit": "housing", "finding": {"kind": "topic", "text": "材料退回集中"}, "working_days": 5},
    ),
    "acknowledge_order": (_by_role(order_issued), "POST", f"{ORDER}/acknowledge", {}),
    "report_order": (_by_role(order_acknowledged), "POST", f"{ORDER}/report", {"report": "已整改"}),
    "accept_order": (_by_role(order_reported), "POST", f"{ORDER}/accept", {}),
    "return_order": (_by_role(order_reported), "POST", f"{ORDER}/return", {"reason": "未附制度文件"}),
    "orders": (None, "GET", "/v1/orders", None),
    "callback_queue": (None, "GET", "/v1/callbacks/queue", None),
    "callback_summary": (None, "GET", "/v1/callbacks/summary", None),
    "assign_callback": (
        _by_role(agent_enrolled),
        "POST",
        "/v1/callbacks/{complaint_id}/assign",
        {"agent": "agent-1"},
    ),
    "enrol_agent": (None, "POST", "/v1/callbacks/agents", None),
    "register_proactive": (
        None,
        "POST",
        "/v1/callbacks/proactive",
        {"person": {"phone": "13700001111"}, "service": "社保卡办理"},
    ),
    "read_proactive": (_by_role(proactive), "GET", "/v1/callbacks/proactive/{task_id}", None),
    "refer_callback": (
        _by_role(called_with_finding),
        "POST",
        "/v1/callbacks/{complaint_id}/order",
        {"unit": "housing"},
    ),
    "callback_attempt": (_by_role(fed_back), "POST", "/v1/callbacks/{complaint_id}/attempts", {"outcome": "no_answer"}),
    "forecast": (None, "GET", "/v1/insights/forecast", None),
    "tidal_plan": (None, "GET", "/v1/insights/tidal-plan", None),
    "accept_plan": (None, "POST", "/v1/insights/tidal-plan/accept", None),
    "review_plan": (None, "GET", "/v1/insights/tidal-plan/review", None),
    "who_am_i": (None, "GET", "/v1/auth/me", None),
    "hotline_feedback": (
        _by_role(hotline_resolved),
        "POST",
        f"{WORK_ORDER}/feedback",
        {"message_id": "m-1", "method": "phone", "summary": "热线已告知"},
    ),
    "hotline_callback": (
        _by_role(hotline_fed_back),
        "POST",
        f"{WORK_ORDER}/callback",
        {"message_id": "m-2", "rating": 5},
    ),
    "supplement": (
        _by_role(hotline_order),
        "POST",
        f"{WORK_ORDER}/supplement",
        {"message_id": "m-3", "text": "补充照片"},
    ),
    "withdraw": (
        _by_role(hotline_order),
        "POST",
        f"{WORK_ORDER}/withdraw",
        {"message_id": "m-4", "reason": "已自行解决"},
    ),
    "deliveries": (None, "GET", "/v1/deliveries", None),
    "merge": (_by_role(merge_pair), "POST", f"{COMPLAINT}/merge", None),
    "unmerge": (_by_role(merged), "POST", f"{COMPLAINT}/unmerge", {"reason": "并非同一事项"}),
    "return": (_by_role(dispatched), "POST", f"{COMPLAINT}/return", {"reason": "不属本部门"}),
    "redispatch": (_by_role(returned), "POST", f"{COMPLAINT}/redispatch", {"departments": ["housing"]}),
    "insist": (_by_role(returned), "POST", f"{COMPLAINT}/insist", {"opinion": "须办理"}),
    "extension": (_by_role(dispatched), "POST", f"{COMPLAINT}/extension", {"days": 1, "reason": "需现场核查"}),
    "extension_approve": (_by_role(extension_asked), "POST", f"{COMPLAINT}/extension/approve", {}),
    "extension_refuse": (_by_role(extension_asked), "POST", f"{COMPLAINT}/extension/refuse", {"reason": "可按期办结"}),
    "pause": (_by_role(dispatched), "POST", f"{COMPLAINT}/pause", {"reason": "等待补充材料"}),
    "resume": (_by_role(paused), "POST", f"{COMPLAINT}/resume", {}),
    # 账号管理 (the account `jiahe` is made with the client)
    "accounts_list": (None, "GET", "/v1/accounts", None),
    "people": (None, "GET", "/v1/people", None),
    "account_add": (
        None,
        "POST",
        "/v1/accounts",
        {"username": "xinzeng", "name": "新增", "roles": ["analyst"], "password": "新增账号的密码-2025"},
    ),
    "account_disable": (None, "POST", "/v1/accounts/{username}/disable", None),
    "account_enable": (None, "POST", "/v1/accounts/{username}/enable", None),
    "account_roles": (None, "POST", "/v1/accounts/{username}/roles", {"roles": ["analyst"]}),
    "account_reset": (None, "POST", "/v1/accounts/{username}/reset-password", {"password": "新的密码-2025-夏季"}),
    "account_audit": (None, "GET", "/v1/audit/accounts", None),
}
# a one-day roster for the district hall (Monday 2025-09-29, a working day)
ROSTER_CSV = "日期,中心,值班人员,值班人员工号,带班领导,带班领导工号\n2025-09-29,district,值班乙,o1,带班丙,l1\n"
# console sign-in and sign-out: before any token there is no role to check (see test_auth_http.py)
PUBLIC = {("POST", "/v1/auth/login"), ("POST", "/v1/auth/logout")}
QUERIES = {
    "calendar": DUE_URL,
    "roster_show": "/v1/roster?month=2025-09",
    "knowledge_search": "/v1/knowledge?q=暖气",
    "knowledge_suggest": "/v1/knowledge/suggest?text=暖气不热",
    "topic_members": "/v1/insights/topics/members?key=none",
    "forecast": "/v1/insights/forecast?horizon_weeks=1&backtest=false",
    "review_plan": "/v1/insights/tidal-plan/review?centre=district&from=2025-09-01&to=2025-09-07",
    "account_disable": "/v1/accounts/jiahe/disable",
    "account_enable": "/v1/accounts/jiahe/enable",
    "account_roles": "/v1/accounts/jiahe/roles",
    "account_reset": "/v1/accounts/jiahe/reset-password",
}


def past_plan(app: ComplaintsApp) -> str:
    """A plan accepted for last week (by the wall clock the module's app runs on), for its review."""
    today = datetime.now(tz=CST).date()
    start, end = today - timedelta(days=7), today - timedelta(days=1)
    url = f"/v1/insights/tidal-plan/review?centre=district&from={start.isoformat()}&to={end.isoformat()}"
    if plan_id("district", start, end) in app.repository:
        return url
    now = app.clock.now()
    plan = TidalPlan.open("district", start, end, now=now)
    leader = Actor("l1", "带班丙", Role.duty_leader)
    plan.accept(centre="district", start=start, end=end, windows={}, extra={}, note="", actor=leader, now=now)
    app.save(plan)
    return url


# The expected permission matrix (docs/design.md §6), written out here — not derived from api.permissions —
# so that a change to the code's matrix fails this test until someone changes the table on purpose.
# ✔ = allowed (2xx), · = refused (403).
MATRIX_COLUMNS = (
    "window_clerk duty_officer duty_leader department supervisor liaison analyst hotline admin callback_agent"
)
MATRIX = """
receive            ✔ · · · · · · ✔ · ·
classify           ✔ · · · · · · · · ·
sign               · ✔ ✔ · · · · · · ·
dispatch           · · ✔ · · · · · · ·
consult            · · ✔ ✔ · · · · · ·
resolve            ✔ · · ✔ · · · · · ·
feedback           ✔ · · · · · · · · ·
callback           ✔ · · · · · · ✔ · ·
on_the_spot        ✔ · · · · · · · · ·
rating_appeal      ✔ · · ✔ · · · · · ·
appeal_decision    · · ✔ · · · · · · ·
assign_handler     · · · ✔ · · · · · ·
read_state         ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔
by_slip            ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔
reclassify         ✔ · ✔ · · · · · · ·
read_history       · · ✔ · · ✔ · · ✔ ·
calendar           ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔
reference          ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔
ledger             ✔ ✔ ✔ · ✔ ✔ ✔ · ✔ ·
overdue            · ✔ ✔ · ✔ ✔ ✔ · ✔ ·
metrics            · ✔ ✔ · ✔ ✔ ✔ · ✔ ·
liaison_inbox      · · · · · ✔ · · ✔ ·
liaison_digest     · · · · · ✔ · · ✔ ·
my_inbox           · · ✔ · ✔ · · · · ·
worklist           ✔ · ✔ ✔ · · · · · ·
roster_show        ✔ ✔ ✔ · ✔ ✔ · · ✔ ·
roster_import      · · · · · · · · ✔ ·
audit_verify       · · · · · ✔ · · ✔ ·
audit_access       · · · · · ✔ · · ✔ ·
audit_anchors      · · · · · ✔ · · ✔ ·
anchor             · · · · · ✔ · · ✔ ·
audit_bundle       · · · · · ✔ · · ✔ ·
who_am_i           ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔
repeats            ✔ ✔ ✔ · ✔ ✔ ✔ ✔ ✔ ·
repeat_rate        ✔ ✔ ✔ · ✔ ✔ ✔ ✔ ✔ ·
topics             ✔ ✔ ✔ · ✔ ✔ ✔ ✔ ✔ ·
topic_members      ✔ ✔ ✔ · ✔ ✔ ✔ ✔ ✔ ·
similar            ✔ ✔ ✔ · ✔ ✔ ✔ ✔ ✔ ·
knowledge_draft    ✔ ✔ · ✔ · · · ✔ · ·
knowledge_search   ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔
knowledge_suggest  ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔
knowledge_usage    ✔ ✔ ✔ · ✔ ✔ ✔ ✔ ✔ ·
knowledge_read     ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔
knowledge_revise   ✔ ✔ · ✔ · · · ✔ · ·
knowledge_publish  · · ✔ · · · · · · ·
knowledge_retire   · · ✔ · · · · · · ·
knowledge_used     ✔ · · ✔ · · · ✔ · ·
case_draft         · ✔ ✔ ✔ · · · · · ·
case_search        ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔
case_read          ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔
case_print         ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔
case_pdf           ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔ ✔
case_revise        · ✔ ✔ ✔ · · · · · ·
case_publish       · · ✔ · · · · · · ·
issue_order        · · ✔ · · ✔ · · · ·
acknowledge_order  · · · ✔ · · · · · ·
report_order       · · · ✔ · · · · · ·
accept_order       · · ✔ · · ✔ · · · ·
return_order       · · ✔ · · ✔ · · · ·
orders             · ✔ ✔ ✔ ✔ ✔ ✔ · ✔ ·
callback_queue     ✔ ✔ ✔ · · · · ✔ · ✔
callback_summary   ✔ ✔ ✔ · · · · ✔ · ✔
assign_callback    · ✔ ✔ · · · · · · ·
callback_attempt   ✔ · · · · · · ✔ · ✔
enrol_agent        · · · · · · · · · ✔
register_proactive ✔ · · · · · · · · ·
read_proactive     ✔ ✔ ✔ · · · · ✔ · ✔
refer_callback     · · ✔ · · ✔ · · · ·
forecast           · ✔ ✔ · · · ✔ · ✔ ·
tidal_plan         · ✔ ✔ · · · ✔ · ✔ ·
accept_plan        · · ✔ · · · · · · ·
hotline_feedback   · · · · · · · ✔ · ·
hotline_callback   · · · · · · · ✔ · ·
supplement         · · · · · · · ✔ · ·
withdraw           · · · · · · · ✔ · ·
deliveries         · · ✔ · · ✔ · ✔ ✔ ·
review_plan        · ✔ ✔ · · · ✔ · ✔ ·
merge              · · ✔ · · · · · · ·
unmerge            · · ✔ · · · · · · ·
return             · · · ✔ · · · · · ·
redispatch         · · ✔ · · · · · · ·
insist             · · ✔ · · · · · · ·
extension          · · · ✔ · · · · · ·
extension_approve  · · ✔ · · · · · · ·
extension_refuse   · · ✔ · · · · · · ·
pause              · · · ✔ · · · · · ·
resume             ✔ · · · · · · · · ·
accounts_list      · · · · · · · · ✔ ·
people             · ✔ ✔ ✔ · · · · ✔ ·
account_add        · · · · · · · · ✔ ·
account_disable    · · · · · · · · ✔ ·
account_enable     · · · · · · · · ✔ ·
account_roles      · · · · · · · · ✔ ·
account_reset      · · · · · · · · ✔ ·
account_audit      · · · · · ✔ · · ✔ ·
"""


def expected_matrix() -> dict[tuple[str, Role], bool]:
    """The table above as (endpoint, role) → allowed."""
    roles = [Role(name) for name in MATRIX_COLUMNS.split()]
    table = {}
    for line in MATRIX.strip().splitlines():
        endpoint, *marks = line.split()
        assert len(marks) == len(roles), line
        for role, mark in zip(roles, marks, strict=True):
            table[(endpoint, role)] = mark == "✔"
    return table


EXPECTED = expected_matrix()


def test_matrix_covers_every_role_and_every_route(client: TestClient) -> None:
    assert set(MATRIX_COLUMNS.split()) == {r.value for r in ROLES}
    assert {e for e, _ in EXPECTED} == set(ENDPOINTS)
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    declared = {(method.upper(), path) for path, ops in paths.items() if path.startswith("/v1/") for method in ops}
    assert declared == {(method, path) for _, method, path, _ in ENDPOINTS.values()} | PUBLIC


def _request(client: TestClient, endpoint: str, role: Role) -> int:
    setup, method, path, body = ENDPOINTS[endpoint]
    url = QUERIES.get(endpoint, path)
    if setup is not None:
        made = setup(app_of(client), role)
        slip_no = app_of(client).get(made).slip_no if endpoint == "by_slip" else ""
        ref = app_of(client).get(made).external_ref if "{external_ref}" in path else ""
        url = path.format(
            complaint_id=made,
            entry_id=made,
            case_id=made,
            order_id=made,
            task_id=made,
            slip_no=slip_no,
            external_ref=ref,
        )
        if endpoint == "by_slip":  # found through the ledger view: read our own write
            url += f"?after={app_of(client).max_notification_id()}"
    if endpoint == "audit_bundle":  # a chain-only bundle: no anchor is taken in this module
        url = f"{path}?complaint_id={made}&allow_unanchored=true"
    if endpoint == "case_draft":
        body = {"complaint_ids": [str(resolved(app_of(client)))], "title": "欠薪"}
    if endpoint == "merge":
        body = {"master_id": str(MASTERS[made]), "reason": "同一诉求人同一事项"}
    if endpoint == "knowledge_used":  # a complaint the role sees: a department's, one dispatched to it
        answered = dispatched if role is Role.department else received
        body = {"complaint_id": str(answered(app_of(client)))}
    if endpoint == "receive":
        body = hotline_body(f"ref-{role.value}") if role is Role.hotline else receive_body()
    if endpoint == "review_plan":
        url = past_plan(app_of(client))
    if endpoint == "accept_plan":  # the coming week, by the wall clock the module's app runs on
        today = datetime.now(tz=CST).date()
        body = {"centre": "district", "from": today.isoformat(), "to": (today + timedelta(days=6)).isoformat()}
    # a department handler of the department the complaint was dispatched to
    headers = auth(role, department="housing") if role is Role.department else auth(role)
    if endpoint == "roster_import":
        headers = {**headers, "Content-Type": "text/csv"}
        return client.request(method, url, content=ROSTER_CSV.encode(), headers=headers).status_code
    response = client.request(method, url, json=body, headers=headers)
    return response.status_code


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_endpoint_by_role(client: TestClient, endpoint: str, role: Role) -> None:
    status = _request(client, endpoint, role)
    if EXPECTED[(endpoint, role)]:
        assert 200 <= status < 300, f"{role.value} should be allowed to {endpoint}, got {status}"
    else:
        assert status == 403, f"{role.value} should be refused {endpoint}, got {status}"


def test_department_of_another_department_is_refused(client: TestClient) -> None:
    # another department's complaint does not exist for it: 404, as for an unknown id (issue 12)
    cid = dispatched(app_of(client))
    r = client.post(
        f"/v1/complaints/{cid}/resolve", json={"result": "已办理"}, headers=auth(Role.department, department="tax")
    )
    assert r.status_code == 404
    assert r.json()["code"] == "complaint_not_found"
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_no_token_is_401(client: TestClient, endpoint: str) -> None:
    _, method, path, body = ENDPOINTS[endpoint]
    unknown = "00000000-0000-0000-0000-000000000001"
    url = QUERIES.get(endpoint, path).format(
        complaint_id=unknown,
        entry_id=unknown,
        case_id=unknown,
        order_id=unknown,
        task_id=unknown,
        slip_no="YS1",
        external_ref="HL-1",
    )
    r = client.request(method, url, json=body)
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-jwt", "Basic abc", "Bearer " + "e30.e30.e30"],
)
def test_bad_tokens_are_401(client: TestClient, header: str) -> None:
    r = client.get(DUE_URL, headers={"Authorization": header})
    assert r.status_code == 401


def test_token_signed_with_another_secret_is_401(client: TestClient) -> None:
    forged = mint_token(
        secret="another-secret-0123456789-abcdefghij",
        sub="x",
        name="x",
        roles=[Role.admin],
        department=None,
        now=datetime.now(tz=CST),
    )
    r = client.get("/healthz", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 200  # health needs no token
    r = client.get(DUE_URL, headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
