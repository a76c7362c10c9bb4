"""Request and response bodies (pydantic); field names are snake_case, instants ISO 8601 with offset."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{4,19}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def valid_id_number(value: str) -> bool:
    """GB 11643 居民身份证号码: 17 digits and a check character."""
    if not re.fullmatch(r"\d{17}[\dXx]", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == value[17].upper()


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        msg = "不能为空"
        raise ValueError(msg)
    return value


# Control characters: NUL cannot be stored in a PostgreSQL text column (a 500 deep in the store or
# the projections), and the others have no business in a complaint. Body text keeps tab and newlines.
BODY_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LINE_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
MIN_YEAR, MAX_YEAR = 1970, 2199  # dates and instants outside these years are typos or probes


def _no_control(value: str) -> str:
    if BODY_CONTROL_RE.search(value):
        msg = "不能包含控制字符"
        raise ValueError(msg)
    return value


def _single_line(value: str) -> str:
    if LINE_CONTROL_RE.search(value):
        msg = "不能包含控制字符（含换行、制表符）"
        raise ValueError(msg)
    return value


def _year_in_range(value: date) -> None:
    # the local year: converting 0001-01-01T00:00+14:00 to UTC would itself overflow
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        msg = f"日期须在 {MIN_YEAR}–{MAX_YEAR} 年之间"
        raise ValueError(msg)


def _instant_in_range(value: datetime) -> datetime:
    _year_in_range(value)
    return value


def _day_in_range(value: date) -> date:
    _year_in_range(value)
    return value


Str = Annotated[str, AfterValidator(_no_control)]
"""Any string of a request body: no control characters other than tab and newlines."""
Line = Annotated[str, AfterValidator(_single_line)]
"""A one-line string (query parameters, codes): no control characters at all."""
Instant = Annotated[AwareDatetime, AfterValidator(_instant_in_range)]
"""An instant with its UTC offset, within MIN_YEAR..MAX_YEAR."""
Day = Annotated[date, AfterValidator(_day_in_range)]
"""A calendar day within MIN_YEAR..MAX_YEAR."""

Text = Annotated[Str, Field(max_length=10_000), AfterValidator(_stripped)]
ShortText = Annotated[Str, Field(max_length=200), AfterValidator(_stripped)]
OptionalText = Annotated[Str, Field(max_length=10_000)]


class Strict(BaseModel):
    """Unknown fields are errors, so a typo never silently drops data."""

    model_config = ConfigDict(extra="forbid")


class ComplainantIn(Strict):
    """The person or enterprise complaining."""

    type: Literal["person", "enterprise"] = "person"
    name: ShortText
    phone: Annotated[Line, Field(max_length=32)]
    id_number: Annotated[Line, Field(max_length=18)] | None = None
    enterprise_name: ShortText | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not PHONE_RE.fullmatch(value.strip()):
            msg = "电话号码格式不正确"
            raise ValueError(msg)
        return value.strip()

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not valid_id_number(value):
            msg = "身份证号码格式或校验位不正确"
            raise ValueError(msg)
        return value.upper()

    @model_validator(mode="after")
    def _enterprise(self) -> ComplainantIn:
        if self.type == "enterprise" and not self.enterprise_name:
            msg = "企业诉求须填写 enterprise_name"
            raise ValueError(msg)
        return self


HOTLINE_FIELDS = {"external_ref": "热线编号 external_ref", "received_at": "原始受理时间 received_at"}


class ReceiveIn(Strict):
    """一窗受理."""

    channel: Literal["window", "hotline", "online"]
    content: Text
    category: Annotated[Line, Field(max_length=64)]
    complainant: ComplainantIn
    # validate_default: the hotline rule below must also see these fields when they are left out
    external_ref: Annotated[Line | None, Field(min_length=1, max_length=128, validate_default=True)] = None
    received_at: Annotated[Instant | None, Field(validate_default=True)] = None
    # the service centre of a hotline work order (12345 routes it to a hall); window intakes take the
    # clerk's token centre and may not name another one
    centre: Annotated[Line | None, Field(min_length=1, max_length=32)] = None

    @field_validator("external_ref", "received_at")
    @classmethod
    def _hotline(cls, value: object, info: ValidationInfo) -> object:
        # a field validator (not a model validator) so that the 422 names the missing field itself
        if value is None and info.data.get("channel") == "hotline":
            msg = f"热线诉求须提供{HOTLINE_FIELDS[str(info.field_name)]}"
            raise ValueError(msg)
        return value


class ClassifyIn(Strict):
    """按责分类."""

    classification: Literal["general", "cannot_do", "hard_to_do", "refused_to_do"]
    reason: OptionalText = ""


class ReclassifyIn(Strict):
    """改分类: a general complaint not solved on the spot becomes a complex kind, once, with a reason."""

    classification: Literal["cannot_do", "hard_to_do", "refused_to_do"]
    reason: Text


class SignIn(Strict):
    """审核签字: as the token's one signer role, or, for a token holding both, the role named in ``as``."""

    opinion: OptionalText = ""
    as_: Literal["duty_officer", "duty_leader"] | None = Field(
        default=None, alias="as", description="以哪一身份签字（令牌同时持有两种签字角色时必填）"
    )


class DispatchIn(Strict):
    """转办."""

    departments: Annotated[list[Annotated[Line, Field(max_length=64)]], Field(min_length=1, max_length=20)]
    # the supervisor's user id (their token's `sub`): /v1/inbox matches supervisors by it, never by name
    supervisor: Annotated[ShortText, Field(description="督办专人的用户编号（即其令牌的 sub）")]
    instructions: OptionalText = ""


class ConsultIn(Strict):
    """会商."""

    participants: Annotated[list[Annotated[Str, Field(max_length=200)]], Field(max_length=50)] = []
    conclusion: Text
    opinions: Annotated[
        dict[Annotated[Str, Field(max_length=200)], Text],
        Field(max_length=50, description="各参会部门或人员的意见：参会方 → 意见（可选，仅限参会方）"),
    ] = {}


class ResolveIn(Strict):
    """限时办结."""

    result: Text
    legal_basis: Annotated[Str, Field(max_length=2000)] | None = None


class FeedbackIn(Strict):
    """及时反馈."""

    method: Annotated[Str, Field(min_length=1, max_length=64)]
    summary: OptionalText = ""


class CallbackIn(Strict):
    """回访."""

    rating: Annotated[int, Field(ge=1, le=5, strict=True)]
    comment: OptionalText = ""


Reason = Annotated[Str, Field(max_length=2000), AfterValidator(_stripped)]


class OnTheSpotIn(Strict):
    """当场答复: the answer given at the window (recorded as the result and as the 当面 feedback)."""

    result: Annotated[Text, Field(description="当场答复的内容（即办理结果，当面反馈）")]


class RatingAppealIn(Strict):
    """差评申诉."""

    reason: Annotated[Reason, Field(min_length=1, description="申诉理由：为何认为该差评不应计入")]


class AppealDecisionIn(Strict):
    """申诉审核 by the duty leader."""

    upheld: Annotated[
        bool, Field(strict=True, description="true：申诉成立，差评不计入满意率，整改结束；false：不成立，继续整改")
    ]
    opinion: Annotated[Reason, Field(min_length=1, description="审核意见")]


class AssignHandlerIn(Strict):
    """指定承办人 by a department's 负责人: the handler (业务骨干) of the department who handles the complaint."""

    department: (
        Annotated[Line, Field(min_length=1, max_length=64, description="承办部门代码；不填为本人所在部门")] | None
    ) = None
    handler_id: Annotated[
        Line,
        Field(min_length=1, max_length=200, description="承办人的用户编号（即其令牌的 sub，本地账号为 local:用户名）"),
    ]
    handler_name: Annotated[Line, Field(min_length=1, max_length=64, description="承办人姓名（不含英文逗号、冒号）")]


class MergeIn(Strict):
    """并单: merge this complaint into an earlier open one (its master) about the same matter."""

    master_id: Annotated[UUID, Field(description="主诉求（更早受理、仍在办理中）的编号")]
    reason: Annotated[Reason, Field(description="并单理由：同一诉求人或同一事项")]


class UnmergeIn(Strict):
    """取消并单."""

    reason: Reason


class ReturnIn(Strict):
    """退单: the department is not responsible."""

    reason: Reason


class RedispatchIn(Strict):
    """改派 after a return: the resolution deadline restarts."""

    departments: Annotated[list[Annotated[Line, Field(max_length=64)]], Field(min_length=1, max_length=20)]
    supervisor: Annotated[ShortText | None, Field(description="督办专人的用户编号；不填则沿用原督办专人")] = None
    instructions: OptionalText = ""


class InsistIn(Strict):
    """坚持交办: the department must handle it."""

    opinion: Reason


class ExtensionIn(Strict):
    """申请延期."""

    days: Annotated[int, Field(ge=1, le=30, strict=True, description="延长的工作日数")]
    reason: Reason


class ExtensionApproveIn(Strict):
    """批准延期."""

    opinion: Annotated[Str, Field(max_length=2000)] = ""


class ExtensionRefuseIn(Strict):
    """不予延期."""

    reason: Reason


class PauseIn(Strict):
    """中止计时: waiting for the person's materials."""

    reason: Reason


class ResumeIn(Strict):
    """恢复计时: the materials arrived."""

    note: Annotated[Str, Field(max_length=2000)] = ""


class CommandOut(BaseModel):
    """Every command's answer."""

    id: UUID
    slip_no: str
    status: str
    version: int
    notification_id: int | None
    due_at: datetime | None = None


class ActorOut(BaseModel):
    """Who did it."""

    id: str
    name: str
    role: str
    department: str | None = None


class ComplainantOut(BaseModel):
    """Personal information, masked unless the caller may see it."""

    type: str
    name: str
    phone: str
    id_number: str | None = None
    enterprise_name: str | None = None
    masked: bool


class EscalationOut(BaseModel):
    """An escalation raised on one clock."""

    clock: str
    level: int
    round: int


class ConsultationOpinion(BaseModel):
    """One participant's 意见 in a 会商."""

    participant: str
    opinion: str


class ConsultationOut(BaseModel):
    """One 会商: when, who recorded it, the participants (department codes or names) and the conclusion."""

    occurred_at: datetime
    recorded_by: str
    recorded_by_role: str
    participants: list[str]
    conclusion: str
    opinions: list[ConsultationOpinion] = Field(default=[], description="各参会方的意见，按记录顺序")


class HandlerOut(BaseModel):
    """One department's 承办人 (指定承办人): who handles the complaint for it, and its 负责人 who named them."""

    department: str = Field(description="部门代码")
    handler_id: str = Field(description="承办人的用户编号")
    handler_name: str = Field(description="承办人姓名")
    assigned_by: str = Field(description="指定承办人的部门负责人（姓名）")
    assigned_at: datetime


class AppealOut(BaseModel):
    """One 差评申诉 and its decision (``upheld`` null while the duty leader has not decided)."""

    round: int = Field(description="所申诉差评的整改轮次")
    occurred_at: datetime
    appealed_by: str
    appealed_by_role: str
    reason: str
    upheld: bool | None = Field(description="申诉成立（差评不计入）、不成立，或待审核（null）")
    decided_by: str | None
    opinion: str


class ComplaintOut(BaseModel):
    """One complaint's state (now, or at a version / instant)."""

    id: UUID
    slip_no: str
    centre: str
    version: int
    status: str
    status_label: str
    channel: str
    category: str
    content: str
    complainant: ComplainantOut
    external_ref: str | None
    received_at: datetime
    received_by: str | None = Field(None, description="受理人（姓名）")
    registered_at: datetime
    response_due_at: datetime
    classification: str | None
    classification_label: str | None
    classification_reason: str = ""
    reclassified_from: str | None = None  # the kind before 改分类
    reclassification_reason: str = ""
    departments: list[str]
    supervisor: str | None
    dispatched_at: datetime | None
    due_at: datetime | None
    due_provisional: bool
    consultations: int
    consultation_records: list[ConsultationOut] = Field(default=[], description="会商记录，按时间先后")
    appeals: list[AppealOut] = Field(default=[], description="差评申诉及审核，按时间先后")
    handlers: list[HandlerOut] = Field(default=[], description="各承办部门指定的承办人，按承办部门顺序")
    pending_appeal: bool = Field(False, description="有待带班领导审核的差评申诉")
    officer_signer: str | None = Field(None, description="当天值班人员签字人")
    officer_opinion: str = ""
    leader_signer: str | None = Field(None, description="带班领导签字人")
    leader_opinion: str = ""
    resolved_at: datetime | None
    legal_basis: str | None
    result: str | None
    signed_off_by: str | None = Field(None, description="办理结果的部门负责人签发（指定承办人者；未指定则为空）")
    fed_back_at: datetime | None
    feedback_method: str | None = Field(None, description="反馈方式：当面、电话、短信、热线")
    feedback_summary: str = ""
    rating: int | None
    called_back_at: datetime | None
    rectification_round: int
    rectification_due_at: datetime | None
    escalations: list[EscalationOut]
    merged_into: UUID | None = Field(None, description="并单：主诉求编号")
    merge_reason: str = ""
    pending_return: str | None = Field(None, description="退单待带班领导处理的部门")
    returns: int = 0
    pending_extension_days: int | None = Field(None, description="待审批的延期申请（工作日数）")
    extensions: int = 0
    paused_at: datetime | None = Field(None, description="中止计时的开始时间（等待补充材料）")
    pause_due_at: datetime | None = None


class HistoryItem(BaseModel):
    """One event of the audit trail."""

    version: int
    type: str
    label: str
    actor: ActorOut
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any]


class HistoryOut(BaseModel):
    """The audit trail of one complaint."""

    id: UUID
    slip_no: str
    events: list[HistoryItem]


class DueOut(BaseModel):
    """A computed deadline."""

    from_: datetime = Field(alias="from")
    working_days: int
    due_at: datetime
    provisional: bool

    model_config = ConfigDict(populate_by_name=True)


class ProblemError(BaseModel):
    """One invalid field (or one row of an uploaded file)."""

    field: str = Field(description="字段名（上传文件为 file）")
    label: str | None = Field(default=None, description="字段的中文名称（如 诉求人电话）")
    detail: str = Field(description="中文说明")
    row: int | None = Field(default=None, description="上传文件的行号（仅文件逐行校验时）")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[ProblemError] | None = None
    request_id: str | None = Field(default=None, description="500 only: the request's id, as in X-Request-Id")


class CodeOut(BaseModel):
    """A reference code and its Chinese name."""

    code: str
    name: str


class CentreOut(BaseModel):
    """A service centre: code, Chinese name, kind (district_hall 区级大厅 | street_centre 街道便民服务中心)."""

    code: str
    name: str
    kind: str
    kind_label: str
    signed_by: str = Field(
        description="其复杂诉求由哪个服务中心的当天值班表审核签字、由其带班领导转办（街道中心默认 district）"
    )


class ReferenceOut(BaseModel):
    """The codes the API accepts: departments (转办, view filters) and categories (受理)."""

    departments: list[CodeOut]
    categories: list[CodeOut]
    centres: list[CentreOut]
