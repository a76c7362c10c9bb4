"""Response bodies of the read models (工作台账, overdue clocks, metrics) and the 回访中心 (pydantic).

Every field is typed: the console's types are generated from these (``console/src/api/schema.d.ts``).
The models forbid fields they do not name, so a row that grows a column fails loudly in the tests instead
of vanishing from the answer. Maps keyed by a code (counts, rates, labels) are typed maps, not free objects.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import ActorOut

# Instants as the views write them (ISO 8601 with the offset they were stored with): typed as date-time
# strings so that the answer is byte for byte what it was before it had a model.
Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Out(BaseModel):
    """An answer: only the fields it names."""

    model_config = ConfigDict(extra="forbid")


class LedgerRow(Out):
    """One complaint in the 工作台账, personal information masked."""

    id: UUID
    slip_no: str
    received_at: Instant
    channel: str
    complainant_type: str
    complainant_masked: str
    category: str
    classification: str | None
    status: str
    departments: list[str] = Field(description="承办部门代码（转办前为空）")
    supervisor: str | None
    dispatched_at: Instant | None
    due_at: Instant | None
    due_provisional: bool
    overdue: bool
    overdue_level: int
    resolved_at: Instant | None
    fed_back_at: Instant | None
    called_back_at: Instant | None
    rating: int | None
    rectification_rounds: int
    centre: str
    received_by: str
    reclassified_from: str | None
    content_masked: str
    classification_reason: str
    reclassification_reason: str
    officer_signer: str | None
    leader_signer: str | None
    officer_opinion: str = Field(description="值班人员签字意见")
    leader_opinion: str = Field(description="带班领导签字意见")
    received_by_name: str = Field(description="受理人")
    consulted_with: str = Field(description="最近一次会商的参会部门（代码）或人员，逗号分隔")
    consultation: str = Field(description="最近一次会商的结论")
    feedback_method: str | None = Field(description="反馈方式：当面、电话、短信、热线")
    result: str | None
    legal_basis: str | None
    merged_into: UUID | None
    pending: str = Field(description="待带班领导决定：return 退单、extension 延期申请、appeal 差评申诉；空为无")
    returns: int
    extensions: int
    paused: bool
    handlers: str = Field(
        description="指定承办人：部门代码:承办人姓名，多个以英文逗号分隔（按承办部门顺序），未指定为空"
    )
    appeal: Literal["", "pending", "upheld", "refused"] = Field(
        description="最近一次差评申诉：pending 申诉中、upheld 申诉成立（差评不计入满意率）、refused 申诉不成立；空为无"
    )
    last_version: int
    last_notification_id: int


class LedgerPage(Out):
    """One page of the ledger, the number of rows matching, and the cursor of the next page.

    ``total`` is exact up to 10,000; beyond, it is 10,000 and ``more`` is true (more than that match)."""

    items: list[LedgerRow]
    total: int
    next_cursor: str | None = None
    more: bool = False


class OverdueRow(Out):
    """An open clock past its due instant, with working hours late."""

    complaint_id: UUID
    clock: str
    round: int
    started_at: Instant
    due_at: Instant
    due_provisional: bool
    escalation_level: int
    slip_no: str | None
    status: str | None
    classification: str | None
    departments: list[str]
    supervisor: str | None
    centre: str | None
    late_hours: float


class OverduePage(Out):
    """Overdue clocks, most overdue first."""

    items: list[OverdueRow]
    total: int


class RateOut(Out):
    """A rate with what it is made of; ``rate`` is null when nothing is due yet."""

    numerator: int
    denominator: int
    rate: float | None


class MetricsGroupOut(Out):
    """One group: its key, its Chinese name, the raw counts and the rates by name."""

    label: str
    group: str
    counts: dict[str, int]
    rates: dict[str, RateOut]


class MetricsOut(Out):
    """The rates per group, and what was counted (period, centre, ratings, escalation levels)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", description="统计起始日（含）")
    to: str
    group_by: str | None
    centre: str | None
    satisfied_ratings: list[int]
    bad_ratings: list[int]
    escalation_levels: list[int]
    rate_labels: dict[str, str]
    groups: list[MetricsGroupOut]


# ------------------------------------------------------------------------------------------ 回访中心


class CallbackRow(Out):
    """One call-back in the queue, the person masked."""

    complaint_id: UUID
    slip_no: str
    centre: str
    category: str
    departments: list[str] = Field(description="承办部门代码")
    complainant_masked: str
    status: str
    round: int
    fed_back_at: Instant | None
    callback_due_at: Instant | None
    closed_at: Instant | None
    assignee: str | None
    attempts: int
    next_try_at: Instant | None
    task_state: str
    task_rating: int | None
    finding: str
    answered: int = Field(description="此诉求已记录的回访次数（含整改后再回访）")
    kind: str
    overdue: bool


class CallbackQueue(Out):
    """One page of the queue; ``total`` is exact up to a cap, ``more`` says there are more."""

    items: list[CallbackRow]
    total: int
    more: bool


class CallbackSummary(Out):
    """Call-backs by kind and state, the states' Chinese names, and the policy."""

    counts: dict[str, dict[str, int]]
    state_labels: dict[str, str]
    max_attempts: int
    spot_check_share: float


class CallbackAnswer(Out):
    """What assign, attempt and 主动回访 registration answer."""

    complaint_id: UUID
    kind: str
    state: str
    state_label: str
    assignee: str | None
    attempts: int
    next_try_at: Instant | None
    complaint_status: str | None
    notification_id: int | None


class Enrolled(Out):
    """登记回访员: the agent on record."""

    agent: str
    name: str
    enrolled: bool


class ProactivePerson(Out):
    """Who was served: in clear for roles that read personal information, masked for the others."""

    name: str
    phone: str
    masked: bool


class ProactiveOut(Out):
    """A 主动回访 contact."""

    id: UUID
    centre: str
    category: str
    service: str
    person: ProactivePerson
    registered_at: Instant
    registered_by: ActorOut = Field(description="登记人")
    state: str
    state_label: str
    assignee: str | None
    attempts: int
    finding: str
    order_id: UUID | None


# ------------------------------------------------------------------------------------------ inboxes


class InboxItem(Out):
    """An escalation notice (抄送): a complaint's clock, or a rectification order's."""

    complaint_id: str | None
    order_id: str | None
    unit: str | None
    slip_no: str | None
    clock: str
    round: int
    level: int
    due_at: Instant
    escalated_at: Instant
    reason: str
    recipients: list[str]
    supervisor: str | None
    centre: str | None


class AwaitingSignature(Out):
    """A complaint the duty officer signed that waits for the duty leader."""

    complaint_id: str
    slip_no: str
    centre: str
    classification: str | None
    received_at: Instant


class InboxOut(Out):
    """The caller's escalation notices; a duty leader's also the complaints awaiting their signature."""

    items: list[InboxItem]
    awaiting_signature: list[AwaitingSignature] | None = None


class LiaisonInbox(Out):
    """抄送纪检."""

    items: list[InboxItem]


# ------------------------------------------------------------------------------------------ worklists


class DispatchedRow(LedgerRow):
    """A department's dispatched complaint, with working hours left to its deadline (negative: overdue)."""

    working_hours_left: float | None


class QueueItem(Out):
    """An open 反馈 or 回访 clock at the clerk's centre."""

    complaint_id: UUID
    clock: str
    round: int
    due_at: Instant
    due_provisional: bool
    slip_no: str | None
    status: str | None
    complainant_masked: str | None


class WorklistOut(Out):
    """The caller's own list: a window clerk's ``intake``, ``intake_total`` and ``queue``; a department handler's
    ``dispatched`` and ``total``; a duty leader's ``decisions`` and ``total``. Only the caller's fields are sent."""

    intake: list[LedgerRow] | None = None
    intake_total: int | None = None
    queue: list[QueueItem] | None = None
    dispatched: list[DispatchedRow] | None = None
    decisions: list[LedgerRow] | None = None
    total: int | None = None
