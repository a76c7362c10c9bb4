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
