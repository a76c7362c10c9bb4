"""Read-model queries: 工作台账 (JSON, CSV, XLSX), overdue clocks, metrics, inboxes; ``?after=`` reads own writes."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

import xlsxwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type hints
from fastapi import FastAPI, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from api.auth import Principal
from api.container import Container
from api.deps import Caller
from api.permissions import Action, allowed
from api.problems import ApiProblem
from domain.audit import plain as _plain
from projections import queries
from projections.db import as_datetime
from projections.inbox import INBOX
from projections.queries import LEDGER_COLUMNS_ZH, LedgerFilter, QueryError

AFTER_TIMEOUT = 3.0  # below the store guard's deadline
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
After = Annotated[
    int | None, Query(ge=0, le=2**62, description="wait (≤3 s) until the views include this notification")
]


def add_view_routes(app: FastAPI, container: Container) -> None:  # noqa: PLR0915 — the routes
    """Register the read-model routes (needs ``container.views``)."""
    guard = container.guard

    def views() -> Any:
        if container.views is None:
            raise ApiProblem(503, "views_unavailable", "统计视图未配置")
        return container.views

    def readable(who: Principal) -> None:
        if allowed(Action.read_views, who.roles) is None:
            raise ApiProblem(403, "forbidden", "您的角色无权查看台账与统计")

    def caught_up(after: int | None) -> None:
        if after is None:
            return
        if after > guard.call(container.complaints.max_notification_id):
            raise ApiProblem(422, "invalid_query", f"通知编号 {after} 尚不存在", field="after")
        if queries.wait_until(views(), after, timeout=0.2):
            return
        if container.catch_up is not None:  # apply the missing events here (exactly once, as any runner)
            guard.call(container.catch_up)
        if not guard.call(lambda: queries.wait_until(views(), after, timeout=AFTER_TIMEOUT)):
            raise ApiProblem(503, "views_lagging", f"视图尚未追上通知 {after}，请稍后重试")

    def run(fn: Any) -> Any:
        try:
            return guard.call(fn)
        except QueryError as exc:
            raise ApiProblem(422, "invalid_query", str(exc)) from exc

    @app.get(
        "/v1/ledger",
        tags=["views"],
        responses={
            200: {
                "description": "JSON page, or the whole filtered ledger as CSV / XLSX",
                "content": {
                    "application/json": {},
                    "text/csv": {"schema": {"type": "string"}},
                    XLSX: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
    )
    def ledger(  # noqa: PLR0913 — the ledger's filters
        *,
        who: Caller,
        received_from: AwareDatetime | None = None,
        received_to: AwareDatetime | None = None,
        status: Annotated[str | None, Query(max_length=32)] = None,
        classification: Annotated[str | None, Query(max_length=32)] = None,
        department: Annotated[str | None, Query(max_length=64)] = None,
        channel: Annotated[str | None, Query(max_length=32)] = None,
        overdue: bool | None = None,
        q: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        format: Literal["json", "csv", "xlsx"] = "json",
        after: After = None,
    ) -> Any:
        """工作台账: one row per complaint, personal information masked; CSV/XLSX with Chinese headings."""
        readable(who)
        caught_up(after)
        f = LedgerFilter(received_from, received_to, status, classification, department, channel, overdue, q)
        if format == "json":
            page = run(lambda: queries.ledger_page(views(), f, limit=limit, offset=offset, cursor=cursor))
            return {
                "items": [{k: _plain(v) for k, v in r.items()} for r in page.rows],
                "total": page.total,
                "next_cursor": page.next_cursor,
            }
        ref = container.reference
        cal = container.complaints.calendar
        run(lambda: queries.ledger_page(views(), f, limit=1))  # validate filters before streaming

        def cells() -> Iterator[list[str]]:
            for row in queries.ledger_iter(views(), f):
                yield queries.ledger_export_values(row, cal, departments=ref.departments, categories=ref.categories)

        if format == "csv":
            return StreamingResponse(
                _csv_stream(cells()),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="ledger.csv"'},
            )
        return StreamingResponse(
            _xlsx_stream(cells()),
            media_type=XLSX,
            headers={"Content-Disposition": 'attachment; filename="ledger.xlsx"'},
        )

    @app.get("/v1/sla/overdue", tags=["views"])
    def sla_overdue(
        *,
        who: Caller,
        clock: Annotated[str | None, Query(max_length=32)] = None,
        department: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
        after: After = None,
    ) -> dict[str, Any]:
        """Open clocks past their due instant now, most overdue first, with working hours late."""
        readable(who)
        caught_up(after)
        now = container.complaints.clock.now()
        page = run(
            lambda: queries.overdue(
                views(),
                now,
                container.complaints.calendar,
                clock=clock,
                department=department,
                limit=limit,
                offset=offset,
            )
        )
        return {"items": [{k: _plain(v) for k, v in r.items()} for r in page.rows], "total": page.total}

    @app.get("/v1/metrics", tags=["views"])
    def metrics(
        who: Caller,
        from_: Annotated[date, Query(alias="from")],
        to: date,
        group_by: Literal["department", "classification", "channel", "category", "month"] | None = None,
        department: Annotated[str | None, Query(max_length=64)] = None,
        classification: Annotated[str | None, Query(max_length=32)] = None,
        channel: Annotated[str | None, Query(max_length=32)] = None,
        category: Annotated[str | None, Query(max_length=64)] = None,
        after: After = None,
    ) -> dict[str, Any]:
        """Response, closure, on-time, satisfaction, 差评 and call-back rates with numerators and denominators."""
        readable(who)
        caught_up(after)
        if to < from_:
            raise ApiProblem(422, "invalid_query", "to 不能早于 from", field="to")
        now = container.complaints.clock.now()
        groups = run(
            lambda: queries.metrics(
                views(),
                from_,
                to,
                group_by,
                now,
                department=department,
                classification=classification,
                channel=channel,
                category=category,
            )
        )
        return {
            "from": from_.isoformat(),
            "to": to.isoformat(),
            "group_by": group_by,
            "groups": [g.as_dict() for g in groups],
        }

    def inbox(who: Principal, where: str, params: list[Any], limit: int) -> dict[str, Any]:
        def q() -> list[Any]:
            with views().transaction(write=False) as tx:
                found: list[Any] = tx.query(
                    f"SELECT i.complaint_id, l.slip_no, i.clock, i.round, i.level, i.due_at, i.escalated_at, i.reason, "  # noqa: S608 — fixed columns, parameterised filter
                    f"i.recipients, l.supervisor FROM {INBOX.name} i LEFT JOIN yousu_ledger l ON l.id = i.complaint_id "
                    f"WHERE {where} ORDER BY i.escalated_at DESC LIMIT ?",
                    [*params, limit],
                )
                return found

        rows = run(q)
        keys = (
            "complaint_id",
            "slip_no",
            "clock",
            "round",
            "level",
            "due_at",
            "escalated_at",
            "reason",
            "recipients",
            "supervisor",
        )
        items = []
        for r in rows:
            item = dict(zip(keys, r, strict=True))
            item["complaint_id"] = str(item["complaint_id"])
            item["due_at"] = _plain(as_datetime(item["due_at"]))
            item["escalated_at"] = _plain(as_datetime(item["escalated_at"]))
            item["recipients"] = [x for x in str(item["recipients"]).split(",") if x]
            items.append(item)
        return {"items": items}

    @app.get("/v1/liaison/inbox", tags=["views"])
    def liaison_inbox(
        who: Caller, limit: Annotated[int, Query(ge=1, le=1000)] = 100, after: After = None
    ) -> dict[str, Any]:
        """抄送纪检: escalations copied to discipline inspection."""
        if allowed(Action.read_audit, who.roles) is None:
            raise ApiProblem(403, "forbidden", "仅纪检监察联络员可查看")
        caught_up(after)
        return inbox(who, "i.to_liaison = ?", [True], limit)

    @app.get("/v1/inbox", tags=["views"])
    def my_inbox(who: Caller, limit: Annotated[int, Query(ge=1, le=1000)] = 100, after: After = None) -> dict[str, Any]:
        """The caller's escalation notices: duty leaders see theirs; supervisors those of complaints they supervise."""
        caught_up(after)
        from domain.values import Role  # noqa: PLC0415 — local to keep the module's imports light

        if Role.duty_leader in who.roles:
            return inbox(who, "i.to_duty_leader = ?", [True], limit)
        if Role.supervisor in who.roles:
            return inbox(
                who, "i.to_supervisor = ? AND (l.supervisor = ? OR l.supervisor = ?)", [True, who.name, who.sub], limit
            )
        raise ApiProblem(403, "forbidden", "只有带班领导与督办专人有升级通知收件箱")


def _csv_stream(cells: Iterator[list[str]]) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(LEDGER_COLUMNS_ZH.values())
    yield ("\ufeff" + buf.getvalue()).encode()  # BOM: Excel opens UTF-8 CSV correctly
    buf.seek(0)
    buf.truncate()
    for n, values in enumerate(cells, 1):
        writer.writerow(values)
        if n % 500 == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode()


def _xlsx_stream(cells: Iterator[list[str]]) -> Iterator[bytes]:
    # constant_memory writes rows straight to disk; the finished file is then streamed in chunks
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        book = xlsxwriter.Workbook(tmp.name, {"constant_memory": True})
        sheet = book.add_worksheet("工作台账")
        sheet.write_row(0, 0, list(LEDGER_COLUMNS_ZH.values()))
        for n, values in enumerate(cells, 1):
            sheet.write_row(n, 0, values)
        book.close()
        with open(tmp.name, "rb") as f:
            while chunk := f.read(64 * 1024):
                yield chunk
