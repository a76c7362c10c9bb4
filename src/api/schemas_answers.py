"""Response bodies of the audit trail, the 值班表, 未诉先办 (repeats, topics, forecasts, the 潮汐 plan), the
knowledge base, the guidance cases, the 整改通知 and /readyz (pydantic).

As in ``api.schemas_views``: every field is typed, the console's types are generated from these, and a model
forbids the fields it does not name, so an answer that grows a field fails the tests instead of drifting.
Days are ISO dates and instants ISO 8601 strings, as the routes wrote them before they had a model.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from api.schemas import ActorOut
from api.schemas_views import Instant, Out

DayText = Annotated[str, Field(json_schema_extra={"format": "date"})]
DayCounts = Annotated[dict[str, int], Field(description="日期（YYYY-MM-DD）→ 数量")]

# ------------------------------------------------------------------------------------------ 审计


class VerifyFinding(Out):
    """A chain that does not verify: the first bad version of one complaint."""

    complaint_id: str
    version: int
    problem: str
    detail: str


class CoveringAnchor(Out):
    """The newest anchor committing to the complaint."""

    number: int
    anchored_at: Instant
    version: int = Field(description="锚点覆盖到的版本号")


class VerifyReport(Out):
    """哈希链核验: 200 when every chain and anchor verify, 409 (the same body) otherwise."""

    ok: bool
    complaints_checked: int
    events_checked: int
    anchors_checked: int
    findings: list[VerifyFinding]
    anchor: CoveringAnchor | None = Field(
        default=None, description="仅在指定 complaint_id 时给出：覆盖该诉求的最新锚点（null：尚未锚定）"
    )
    head: str | None = Field(
        default=None, description="仅在指定 complaint_id 时给出：哈希链当前链头（最新事件的 row_hash）"
    )
    anchor_digest: str | None = Field(
        default=None,
        description="仅在指定 complaint_id 时给出：覆盖该诉求的最新锚点的摘要（verify_bundle.py --digest）",
    )


class AccessRecordOut(Out):
    """One recorded read of a complaint's history or personal information."""

    id: int = Field(description="通知编号")
    reader: ActorOut
    complaint_id: str
    endpoint: str
    personal_info: bool
    read_at: Instant


class AccessLog(Out):
    """The access log, oldest first."""

    items: list[AccessRecordOut]


class AnchorRecord(Out):
    """One anchor's digest record (for keeping outside the system)."""

    number: int
    anchored_at: Instant
    position: int = Field(description="锚点覆盖到的最新通知编号")
    complaints: int
    digest: str
    prev_digest: str


class AnchorList(Out):
    """Every anchor, oldest first."""

    items: list[AnchorRecord]


# ------------------------------------------------------------------------------------------ 值班表


class RosterImported(Out):
    """值班表导入: the month and the days imported per centre (with ``dry_run``: what would be imported)."""

    month: str
    centres: dict[str, int] = Field(description="中心代码 → 导入天数")
    days: int
    dry_run: bool = Field(default=False, description="仅预览：未导入任何内容")
    preview: list[PreviewDayOut] = Field(default=[], description="预览：将导入的每个值班日（仅 dry_run）")


class RosterPersonOut(Out):
    """A person on the roster."""

    sub: str
    name: str


class DutyDayOut(Out):
    """One duty day."""

    day: DayText
    officers: list[RosterPersonOut]
    leader: RosterPersonOut
    officer_substitutes: list[RosterPersonOut]
    leader_substitutes: list[RosterPersonOut]


class PreviewDayOut(DutyDayOut):
    """One duty day of an import's preview, with its centre."""

    centre: str


class ImporterOut(Out):
    """Who imported the roster."""

    id: str
    name: str


class RosterOut(Out):
    """A centre's roster for a month."""

    centre: str
    month: str
    imported_by: ImporterOut
    imported_at: Instant
    days: list[DutyDayOut]


# ------------------------------------------------------------------------------------------ 重复诉求、高频事项


class RepeatLink(Out):
    """An earlier complaint this one repeats."""

    repeat_of: str
    slip_no: str
    received_at: Instant | None
    score: float
    why: str


class ComplaintRepeats(Out):
    """重复诉求 of one complaint, best first."""

    complaint_id: str
    items: list[RepeatLink]
    repeat: bool


class SimilarComplaint(Out):
    """A complaint about the same matter."""

    complaint_id: str
    slip_no: str
    received_at: Instant | None
    category: str
    score: float


class SimilarComplaints(Out):
    """相似事项 of one complaint, most alike first."""

    complaint_id: str
    items: list[SimilarComplaint]


class RepeatRate(Out):
    """重复诉求率 of a period."""

    from_: DayText = Field(alias="from")
    to: DayText
    label: str
    received: int
    repeats: int
    same_person: int = Field(description="诉求人此前（任何事项）诉求过的诉求数")
    rule: str
    rate: float | None


class TopicOut(Out):
    """One 高频事项."""

    category: str
    label: list[str]
    count: int
    previous: int
    growth: float | None
    departments: dict[str, int] = Field(description="部门代码 → 诉求数")
    trend: DayCounts
    samples: list[str] = Field(description="最新的受理单号（至多 5 个）")
    key: str = Field(description="话题的 key（用于 /v1/insights/topics/members）")
    category_label: str
    title: str


class TopicsOut(Out):
    """The period's 高频事项 and the period before it."""

    from_: DayText = Field(alias="from")
    to: DayText
    previous_from: DayText
    previous_to: DayText
    topics: list[TopicOut]


class TopicMembers(Out):
    """A page of one topic's slip numbers, newest first."""

    key: str
    label: list[str]
    total: int
    offset: int
    members: list[str]


# ------------------------------------------------------------------------------------------ 诉求预测


class DayHistory(Out):
    """The days a daily forecast was fitted on."""

    from_: DayText | None = Field(alias="from")
    to: DayText | None
    days: int


class PeriodHistory(Out):
    """The weeks or months a periodic forecast was fitted on."""

    from_: DayText | None = Field(alias="from")
    to: DayText | None
    periods: int


class DayPoint(Out):
    """One day's forecast with its 80 % interval."""

    day: DayText
    mean: float
    lower: float
    upper: float
    kind: str
    kind_label: str


class PeriodPoint(Out):
    """One week's or month's forecast with its 80 % interval."""

    start: DayText
    end: DayText
    label: str
    mean: float
    lower: float
    upper: float
    working_days: int
    closed_days: int
    per_working_day: float


class BacktestOut(Out):
    """The rolling-origin backtest beside seasonal-naive."""

    origins: int
    horizon_days: int
    mape: float | None
    smape: float | None
    naive_mape: float | None
    naive_smape: float | None
    beats_baseline: bool
    note: str
    scored: int
    verdict: str


class DayPeak(Out):
    """高峰预警: a day above normal by the margin."""

    day: DayText
    forecast: float
    normal: float
    ratio: float
    lead_days: int
    kind: str
    kind_label: str


class PeriodPeak(Out):
    """高峰预警: a week or month above normal by the margin."""

    start: DayText
    end: DayText
    label: str
    forecast: float
    normal: float
    ratio: float
    lead_days: int


class DayForecastOut(Out):
    """诉求预测 by day."""

    series: str
    granularity: Literal["day"]
    method: str
    history: DayHistory
    points: list[DayPoint]
    interval: str
    normal_by_weekday: dict[str, float] = Field(description="星期（0 为周一）→ 常态工作日量")
    backtest: BacktestOut | None
    verdict: str | None
    notes: list[str]
    peak_margin: float
    peaks: list[DayPeak]


class PeriodForecastOut(Out):
    """诉求预测 by week or month (volume per working day: a week with a holiday is a short week)."""

    series: str
    granularity: Literal["week", "month"]
    method: str
    history: PeriodHistory
    points: list[PeriodPoint]
    interval: str
    normal_per_effective_day: float | None
    closed_day_weight: float
    backtest: BacktestOut | None
    verdict: str | None
    notes: list[str]
    peak_margin: float
    peaks: list[PeriodPeak]


ForecastOut = Annotated[DayForecastOut | PeriodForecastOut, Field(discriminator="granularity")]


# ------------------------------------------------------------------------------------------ 潮汐窗口


class StaffingRulesOut(Out):
    """The service assumptions the plan was computed with."""

    service_minutes: float
    target_wait_minutes: float
    service_level: float
    normal_windows: int
    peak_margin: float


class HourPlanOut(Out):
    """One working hour of a planned day."""

    day: DayText
    hour: int
    arrivals: float
    windows: int
    normal: int
    extra: int


class DayPlanOut(Out):
    """One open day of the plan."""

    day: DayText
    kind_label: str
    forecast: float
    peak: bool
    max_windows: int
    extra_windows: int
    hours: list[HourPlanOut]


class TidalPlanOut(Out):
    """潮汐窗口预案: windows per working hour against the normal number, with peak warnings."""

    centre: str
    from_: DayText = Field(alias="from")
    to: DayText
    method: str
    rules: StaffingRulesOut
    peaks: list[DayPeak]
    days: list[DayPlanOut]
    arrivals_by_weekday_hour: dict[str, dict[str, float]] = Field(
        description="星期（周一…周日）→ 时段（09…17）→ 近八周平均到达量"
    )
    notes: list[str]


class AcceptedPlan(Out):
    """The plan as accepted (recorded as an event)."""

    id: str
    centre: str
    from_: DayText = Field(alias="from")
    to: DayText
    revision: int
    windows: DayCounts
    extra_windows: DayCounts
    notification_id: int | None


class HourReviewOut(Out):
    """One reviewed hour: planned, forecast, come and needed."""

    hour: int
    planned_windows: int
    forecast_arrivals: float | None
    arrivals: int
    needed_windows: int
    difference: int = Field(description="计划 − 所需：负数为窗口不足，正数为窗口富余")


class DayReviewOut(Out):
    """One reviewed day."""

    day: DayText
    planned_max: int
    needed_max: int
    arrivals: int
    hours: list[HourReviewOut]


class ReviewSummary(Out):
    """Over the reviewed days."""

    hours: int
    hours_short: int
    hours_matched: int
    hours_over: int
    arrivals: int
    forecast_arrivals: float | None
    forecast_error_pct: float | None


class PlanReview(Out):
    """预案复盘: the accepted plan beside what arrived."""

    centre: str
    from_: DayText = Field(alias="from")
    to: DayText
    complete: bool
    accepted_by: ActorOut
    accepted_at: Instant
    revision: int
    note: str
    rules: StaffingRulesOut
    days: list[DayReviewOut]
    summary: ReviewSummary


# ------------------------------------------------------------------------------------------ 知识库


class KnowledgeEntryOut(Out):
    """A knowledge entry at one revision, free text masked as the caller may see it."""

    id: str
    version: int
    status: str
    status_label: str
    revision: int
    revisions: int
    published_revision: int | None
    pending_revision: int | None
    question: str
    answer: str
    policy_basis: str
    departments: list[str]
    tags: list[str]
    sources: list[str]
    uses: int
    updated_at: Instant


class KnowledgeHit(Out):
    """A published entry found, with its score."""

    entry_id: str
    revision: int
    question: str
    answer: str
    policy_basis: str
    departments: list[str]
    tags: list[str]
    uses: int
    updated_at: Instant | None
    score: float


class KnowledgeHits(Out):
    """Published entries, best first."""

    items: list[KnowledgeHit]


class KnowledgeUsage(Out):
    """知识库答复次数."""

    label: str
    uses: int
    entries_used: int


# ------------------------------------------------------------------------------------------ 指导案例


class CaseSource(Out):
    """A complaint the case was drafted from (liaisons only)."""

    complaint_id: str
    slip_no: str


class Replacement(Out):
    """What the drafting stripped, masked: for the drafter to check."""

    kind: str
    label: str
    placeholder: str
    shown: str
    count: int


class CaseOut(Out):
    """A guidance case as the caller may see it."""

    id: str
    version: int
    status: str
    status_label: str
    title: str
    details: str
    handling: str
    steps: list[str]
    conclusion: str
    legal_basis: str
    updated_at: Instant
    source: str = Field(default="", description="案例来源（不经本系统的事项）；取材于本系统诉求的为空")
    replacements: list[Replacement] | None = Field(default=None, description="仅起草、发布者可见")
    sources: list[CaseSource] | None = Field(default=None, description="仅纪检联络员可见")


class CaseHit(Out):
    """A published case found."""

    id: str
    title: str
    summary: str
    conclusion: str
    score: float


class CaseHits(Out):
    """Published cases, best match first."""

    items: list[CaseHit]


# ------------------------------------------------------------------------------------------ 整改通知


class OrderAnswer(Out):
    """Every 整改通知 command's answer."""

    id: str
    unit: str
    status: str
    round: int
    due_at: Instant
    version: int
    notification_id: int | None


class ReferredOrder(OrderAnswer):
    """A call's finding issued as an order: the order and the call it records."""

    callback_task_id: str


class OrderRow(Out):
    """One order in the 整改通知台账."""

    id: str
    unit: str
    finding_kind: str
    finding_label: str
    finding_text: str
    complaint_id: str | None
    callback_task_id: str | None
    issuer_id: str
    issued_at: Instant
    round: int
    status: str
    status_label: str
    due_at: Instant
    acknowledged_at: Instant | None
    reported_at: Instant | None
    accepted_at: Instant | None
    late_rounds: int
    escalation_level: int
    last_notification_id: int
    overdue: bool


class OnTimeRate(Out):
    """整改按期完成率 with numerator and denominator."""

    label: str
    from_: DayText = Field(alias="from")
    to: DayText
    rate: float | None
    numerator: int
    denominator: int
    pending: int


class OrdersPage(Out):
    """The 整改通知台账 (newest first) and 整改按期完成率."""

    items: list[OrderRow]
    total: int
    finding_labels: dict[str, str] = Field(description="问题类型代码 → 中文名")
    on_time_rate: OnTimeRate


# ------------------------------------------------------------------------------------------ /readyz


class Readiness(Out):
    """/readyz: 200 ready, 503 (the same body) when the store is unreachable or a contributor says not ready."""

    status: str = Field(description="ready | not ready | unavailable")
    store: str = Field(description="ok | unreachable")
    degraded: bool | None = Field(default=None, description="某项就绪检查本身失败（此时不计入）")
    detail: str | None = Field(default=None, description="不就绪的原因（中文）")
    views_lag: dict[str, int] | None = Field(default=None, description="视图名 → 落后的通知数")
    views_lagging: dict[str, int] | None = Field(default=None, description="落后超过上限的视图 → 落后的通知数")
    meaning: str | None = Field(default=None, description="loaded：词向量已载入")
