"""Errors the application adds to the domain's (same base class, so one mapping serves all)."""

from __future__ import annotations

from uuid import UUID

from domain.errors import ComplaintError


class ComplaintNotFound(ComplaintError):
    """No complaint has this id."""

    code = "complaint_not_found"
    detail = "未找到该诉求"


class VersionMismatch(ComplaintError):
    """``If-Match`` named a version other than the current one."""

    code = "version_mismatch"
    detail = "诉求已被他人更新，请刷新后重试"

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"诉求已被他人更新（期望版本 {expected}，当前版本 {actual}），请刷新后重试")


class ConcurrentChange(ComplaintError):
    """Another command on the same complaint was saved first."""

    code = "concurrent_change"
    detail = "另一操作同时修改了该诉求，请刷新后重试"


class IntakeConflict(ComplaintError):
    """The same idempotency key or external reference was used with a different request."""

    code = "intake_conflict"
    detail = "该幂等键或外部编号已用于另一份不同的诉求"

    def __init__(self, complaint_id: UUID, detail: str | None = None) -> None:
        self.complaint_id = complaint_id
        super().__init__(detail)


class StoreUnavailable(ComplaintError):
    """The event store cannot be reached; retry later."""

    code = "store_unavailable"
    detail = "数据库暂时不可用，请稍后重试"


class DeadlineExceeded(StoreUnavailable):
    """The request's store deadline passed (or its 503 was already sent) before the write committed: rolled back."""

    detail = "数据库未能在时限内完成本次操作（未保存），请稍后重试"


class OutcomeUnknown(StoreUnavailable):
    """The connection was lost while the write was committing: it may or may not be stored."""

    code = "outcome_unknown"
    detail = (
        "数据库连接在提交时中断：本次操作可能已经保存。受理请用同一 Idempotency-Key 重试（不会重复受理）；"
        "其他操作请先查询诉求的当前版本再决定是否重做"
    )
