"""The liaison digest's answer (纪检联络摘要): typed, personal information never part of it."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field

from api.schemas_views import Instant, Out


class DigestComplaint(Out):
    """A complaint named in the digest: its slip and where it stands, never the person."""

    complaint_id: UUID
    slip_no: str
    centre: str
    category: str
    classification: str | None
    status: str
    departments: list[str] = Field(description="承办部门代码")


class DigestOverdue(DigestComplaint):
    """A clock that fell due in the period and was missed (``met_at`` later than ``due_at``, or still open)."""

    clock: str = Field(
        description="时限代码（response 接诉响应、resolution 办结、feedback 反馈、callback 回访、"
        "rectification 整改、pause 中止）"
    )
    round: int = Field(description="0，或整改轮次")
    due_at: Instant
    met_at: Instant | None = Field(description="完成时间；为空表示至期末（或此刻）仍未完成")
    escalation_level: int


class DigestBadRating(DigestComplaint):
    """A complaint whose latest call-back, made in the period, rated 1 or 2 (差评)."""

    called_back_at: Instant
    rating: int
    rectification_rounds: int


class DigestRefused(DigestComplaint):
    """A complaint received in the period and classified 不给办."""

    received_at: Instant
    resolved_at: Instant | None


class DigestOrder(Out):
    """A rectification order issued in the period, or issued earlier and not accepted by its start."""

    order_id: UUID
    unit: str
    finding_kind: str
    issued_at: Instant
    due_at: Instant
    status: str
    round: int
    late_rounds: int = Field(description="报告晚于该轮期限的轮次数")
    escalation_level: int
    accepted_at: Instant | None


class DigestCounts(Out):
    """How many of each."""

    received: int = Field(description="本期受理量")
    overdue: int = Field(description="逾期时限数")
    overdue_open: int = Field(description="其中至期末仍未完成")
    bad_ratings: int
    refused: int
    orders: int
    orders_open: int = Field(description="整改中（已下发、已签收）")
    orders_late: int = Field(description="有逾期轮次的整改单")


class LiaisonDigestOut(Out):
    """纪检联络摘要：one week (Monday to Sunday) or one calendar month, in Beijing time."""

    period: Literal["week", "month"]
    title: str = Field(description="如「2026年11月 纪检联络月报」")
    start: date
    end: date = Field(description="期末日（含）")
    centre: str | None
    counts: DigestCounts
    overdue: list[DigestOverdue]
    bad_ratings: list[DigestBadRating]
    refused: list[DigestRefused]
    orders: list[DigestOrder]
