"""The permission matrix: who may do what. Written once; the README's table is generated from it."""

from __future__ import annotations

from enum import Enum
from typing import Protocol

from domain.values import Role


class Action(Enum):
    """Everything the API lets a caller do."""

    receive = "receive"
    classify = "classify"
    sign_officer = "sign_officer"
    sign_leader = "sign_leader"
    dispatch = "dispatch"
    consult = "consult"
    resolve = "resolve"
    feedback = "feedback"
    callback = "callback"
    read_state = "read_state"
    read_history = "read_history"
    read_calendar = "read_calendar"
    read_reference = "read_reference"
    read_views = "read_views"
    read_liaison_inbox = "read_liaison_inbox"
    read_inbox = "read_inbox"
    read_personal_info = "read_personal_info"
    read_audit = "read_audit"
    anchor = "anchor"
    reclassify = "reclassify"
    import_roster = "import_roster"
    read_roster = "read_roster"
    read_worklist = "read_worklist"
    read_insights = "read_insights"
    read_knowledge = "read_knowledge"
    draft_knowledge = "draft_knowledge"
    publish_knowledge = "publish_knowledge"
    use_knowledge = "use_knowledge"
    read_cases = "read_cases"
    draft_case = "draft_case"
    publish_case = "publish_case"
    read_case_sources = "read_case_sources"
    issue_order = "issue_order"
    handle_order = "handle_order"
    review_order = "review_order"
    read_orders = "read_orders"
    read_callbacks = "read_callbacks"
    assign_callback = "assign_callback"
    record_callback = "record_callback"
    enrol_callback_agent = "enrol_callback_agent"
    register_proactive = "register_proactive"
    read_forecast = "read_forecast"
    accept_plan = "accept_plan"
    hotline_report = "hotline_report"
    supplement = "supplement"
    withdraw = "withdraw"
    read_deliveries = "read_deliveries"
    merge = "merge"
    return_complaint = "return_complaint"
    redispatch = "redispatch"
    request_extension = "request_extension"
    decide_extension = "decide_extension"
    pause_clock = "pause_clock"
    resume_clock = "resume_clock"
    manage_accounts = "manage_accounts"
    read_account_audit = "read_account_audit"
    read_ledger = "read_ledger"
    read_people = "read_people"
    answer_on_the_spot = "answer_on_the_spot"
    appeal_rating = "appeal_rating"
    decide_appeal = "decide_appeal"
    assign_handler = "assign_handler"


ACTION_LABELS: dict[Action, str] = {
    Action.receive: "受理 receive",
    Action.classify: "分类 classify",
    Action.sign_officer: "值班人员签字 sign (officer)",
    Action.sign_leader: "带班领导签字 sign (leader)",
    Action.dispatch: "转办 dispatch",
    Action.consult: "会商 consult",
    Action.resolve: "办结 resolve",
    Action.feedback: "反馈 feed back",
    Action.callback: "回访 call back",
    Action.read_state: "查看诉求 read state",
    Action.read_history: "查看审计轨迹 read history",
    Action.read_calendar: "查询时限 calendar",
    Action.read_reference: "查询代码表 reference codes",
    Action.read_views: "台账/统计 ledger, SLA, metrics",
    Action.read_liaison_inbox: "抄送纪检收件箱 liaison inbox",
    Action.read_inbox: "升级通知收件箱 my inbox",
    Action.read_personal_info: "查看个人信息 personal info",
    Action.read_audit: "审计核验/访问日志 audit verify, access log",
    Action.anchor: "锚定 anchor now",
    Action.reclassify: "改分类 reclassify",
    Action.import_roster: "导入值班表 import roster",
    Action.read_roster: "查看值班表 read roster",
    Action.read_worklist: "我的工作清单 worklist",
    Action.read_insights: "未诉先办分析 repeats, topics",
    Action.read_knowledge: "查阅知识库 knowledge search",
    Action.draft_knowledge: "起草/修订知识条目 draft knowledge",
    Action.publish_knowledge: "审核发布/停用知识 publish knowledge",
    Action.use_knowledge: "记录采用知识答复 knowledge used",
    Action.read_cases: "查阅指导案例 guidance cases",
    Action.draft_case: "起草/修订指导案例 draft case",
    Action.publish_case: "发布指导案例 publish case",
    Action.read_case_sources: "查看案例来源诉求 case sources",
    Action.issue_order: "下发整改通知 issue rectification order",
    Action.handle_order: "签收/报送整改 acknowledge, report",
    Action.review_order: "验收/退回整改 accept, send back",
    Action.read_orders: "整改通知台账 orders ledger",
    Action.read_callbacks: "回访队列 call-back queue",
    Action.assign_callback: "分派回访 assign call-back",
    Action.record_callback: "记录回访 record call-back attempt",
    Action.enrol_callback_agent: "登记回访员 enrol as call-back agent",
    Action.register_proactive: "登记主动回访 register a proactive call-back",
    Action.read_forecast: "诉求预测/潮汐窗口 forecast, tidal plan",
    Action.accept_plan: "确认潮汐预案 accept tidal plan",
    Action.hotline_report: "热线反馈/回访结果 hotline feedback, call-back",
    Action.supplement: "补充诉求/材料 supplement",
    Action.withdraw: "撤诉 withdraw",
    Action.read_deliveries: "热线回传记录 hotline deliveries",
    Action.merge: "并单/取消并单 merge, unmerge",
    Action.return_complaint: "退单 return",
    Action.redispatch: "改派/坚持交办 re-dispatch, insist",
    Action.request_extension: "申请延期 request extension",
    Action.decide_extension: "批准/不予延期 approve, refuse extension",
    Action.pause_clock: "中止计时 pause clock",
    Action.resume_clock: "材料到达恢复计时 resume clock",
    Action.manage_accounts: "账号管理 manage accounts",
    Action.read_account_audit: "账号变更审计 account audit trail",
    Action.read_ledger: "工作台账 ledger",
    Action.read_people: "本中心人员名单 people of the centre",
    Action.answer_on_the_spot: "当场答复 answer on the spot",
    Action.appeal_rating: "差评申诉 appeal a bad rating",
    Action.decide_appeal: "申诉审核 decide an appeal",
    Action.assign_handler: "指定承办人 assign a handler",
}


def action_title(action: Action) -> str:
    """The Chinese name of ``action`` (its label without the English gloss the README's table keeps)."""
    label = ACTION_LABELS[action]
    for i, ch in enumerate(label):
        if ch.isascii() and ch.isalpha():
            return label[:i].strip()
    return label


R = Role
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.receive: frozenset({R.window_clerk, R.hotline}),
    Action.classify: frozenset({R.window_clerk}),
    Action.sign_officer: frozenset({R.duty_officer}),
    Action.sign_leader: frozenset({R.duty_leader}),
    Action.dispatch: frozenset({R.duty_leader}),
    Action.consult: frozenset({R.duty_leader, R.department}),
    # department handlers only for complaints dispatched to their department (checked per complaint);
    # the window clerk only for `general` complaints, resolved on the spot.
    Action.resolve: frozenset({R.department, R.window_clerk}),
    Action.feedback: frozenset({R.window_clerk}),
    Action.callback: frozenset({R.window_clerk, R.hotline}),
    Action.read_state: frozenset(set(Role) - {R.system}),
    Action.read_history: frozenset({R.liaison, R.duty_leader, R.admin}),
    Action.read_calendar: frozenset(set(Role) - {R.system}),
    Action.read_reference: frozenset(set(Role) - {R.system}),
    Action.read_views: frozenset({R.analyst, R.duty_leader, R.duty_officer, R.supervisor, R.liaison, R.admin}),
    Action.read_liaison_inbox: frozenset({R.liaison, R.admin}),
    # duty leaders see every notice addressed to the duty leader; supervisors only those of the
    # complaints they supervise (matched by their token's `sub`); a token with both acts as duty leader
    Action.read_inbox: frozenset({R.duty_leader, R.supervisor}),
    # the department only for complaints dispatched to it (checked per complaint)
    # the call-back agent telephones the person, so reads the number (in the complaint's state, never the queue)
    Action.read_personal_info: frozenset(
        {R.window_clerk, R.duty_officer, R.duty_leader, R.department, R.liaison, R.callback_agent}
    ),
    Action.read_audit: frozenset({R.liaison, R.admin}),
    Action.anchor: frozenset({R.liaison, R.admin}),
    Action.reclassify: frozenset({R.window_clerk, R.duty_leader}),
    Action.import_roster: frozenset({R.admin}),
    # centre staff read their own centre's roster (the scope holds them to it)
    Action.read_roster: frozenset({R.window_clerk, R.duty_officer, R.duty_leader, R.supervisor, R.liaison, R.admin}),
    # the clerk's own intake and call-back queue; a department's dispatched complaints by deadline
    # the duty leader's: the returns and extension requests awaiting a decision
    Action.read_worklist: frozenset({R.window_clerk, R.department, R.duty_leader}),
    # 未诉先办: who takes complaints (repeat hints at intake) and who reads the ledger and metrics
    Action.read_insights: frozenset(
        {R.window_clerk, R.hotline, R.analyst, R.duty_leader, R.duty_officer, R.supervisor, R.liaison, R.admin}
    ),
    Action.read_knowledge: frozenset(set(Role) - {R.system}),
    Action.draft_knowledge: frozenset({R.window_clerk, R.hotline, R.duty_officer, R.department}),
    Action.publish_knowledge: frozenset({R.duty_leader}),
    Action.use_knowledge: frozenset({R.window_clerk, R.hotline, R.department}),
    Action.read_cases: frozenset(set(Role) - {R.system}),
    Action.draft_case: frozenset({R.duty_officer, R.duty_leader, R.department}),
    Action.publish_case: frozenset({R.duty_leader}),
    # which complaints a case was drawn from would identify the people in it: discipline inspection only
    Action.read_case_sources: frozenset({R.liaison}),
    Action.issue_order: frozenset({R.duty_leader, R.liaison}),
    # only the unit the order was issued to (the token's department code), checked per order
    Action.handle_order: frozenset({R.department}),
    # the issuer, or any liaison (checked per order)
    Action.review_order: frozenset({R.duty_leader, R.liaison}),
    # a department handler sees only its own unit's orders
    Action.read_orders: frozenset(
        {R.duty_leader, R.duty_officer, R.liaison, R.supervisor, R.analyst, R.admin, R.department}
    ),
    Action.read_callbacks: frozenset({R.callback_agent, R.window_clerk, R.hotline, R.duty_officer, R.duty_leader}),
    Action.assign_callback: frozenset({R.duty_officer, R.duty_leader}),
    Action.record_callback: frozenset({R.callback_agent, R.window_clerk, R.hotline}),
    # an agent puts themselves on record (their token proves the role) before calls are assigned to them
    Action.enrol_callback_agent: frozenset({R.callback_agent}),
    # 主动回访: the window clerk who served the person registers them for a call
    Action.register_proactive: frozenset({R.window_clerk}),
    Action.read_forecast: frozenset({R.analyst, R.duty_leader, R.duty_officer, R.admin}),
    Action.accept_plan: frozenset({R.duty_leader}),
    # 12345 热线一体办理: what the hotline reports back on its own work orders (addressed by its external_ref)
    Action.hotline_report: frozenset({R.hotline}),
    Action.supplement: frozenset({R.hotline}),
    Action.withdraw: frozenset({R.hotline}),
    # what was sent to the hotline and how each attempt went (no message bodies: no personal information)
    Action.read_deliveries: frozenset({R.hotline, R.admin, R.liaison, R.duty_leader}),
    Action.merge: frozenset({R.duty_leader}),
    # only a department the complaint is dispatched to (checked per complaint), within the return window
    Action.return_complaint: frozenset({R.department}),
    Action.redispatch: frozenset({R.duty_leader}),
    Action.request_extension: frozenset({R.department}),
    Action.decide_extension: frozenset({R.duty_leader}),
    Action.pause_clock: frozenset({R.department}),
    # the clerk records the materials' arrival; a hotline supplement resumes the clock through its own command
    Action.resume_clock: frozenset({R.window_clerk}),
    # local accounts: add, list, disable/enable, change roles, reset passwords — the administrator only
    Action.manage_accounts: frozenset({R.admin}),
    # every account change, as recorded: discipline inspection and the administrator
    Action.read_account_audit: frozenset({R.liaison, R.admin}),
    # 工作台账留存窗口: the window keeps its centre's ledger, so the clerk reads it beside the view readers
    Action.read_ledger: frozenset(
        {R.window_clerk, R.analyst, R.duty_leader, R.duty_officer, R.supervisor, R.liaison, R.admin}
    ),
    # who may be named as 督办专人 or 回访员: the names and user ids of the centre's accounts (no phone numbers);
    # a department handler, who may be named as 承办人: their own department's accounts only (api.scope)
    Action.read_people: frozenset({R.duty_officer, R.duty_leader, R.admin, R.department}),
    # 一般性问题当场予以解决: the window records 办结 and 反馈（当面）as one step
    Action.answer_on_the_spot: frozenset({R.window_clerk}),
    # 差评申诉 by whoever resolved the round (a department it was dispatched to; the window for a general one)
    Action.appeal_rating: frozenset({R.department, R.window_clerk}),
    Action.decide_appeal: frozenset({R.duty_leader}),
    # 指定承办人: a department the complaint is with names its handler (checked per complaint; the assigner is the
    # department's 负责人 on record)
    Action.assign_handler: frozenset({R.department}),
}


def allowed(action: Action, roles: frozenset[Role]) -> Role | None:
    """The first of ``roles`` that may perform ``action`` (the role the actor acts in), or None."""
    permitted = PERMISSIONS[action]
    for role in sorted(roles, key=lambda r: list(Role).index(r)):
        if role in permitted:
            return role
    return None


class _HasRoles(Protocol):
    @property
    def roles(self) -> frozenset[Role]: ...


def actions_for(who: _HasRoles) -> list[Action]:
    """The actions a caller may take (``actions_of`` their roles)."""
    return actions_of(who.roles)


def actions_of(roles: frozenset[Role]) -> list[Action]:
    """Every action any of ``roles`` may take, in the matrix's order (what ``/v1/auth/me`` tells the console)."""
    return [a for a in Action if allowed(a, roles) is not None]
