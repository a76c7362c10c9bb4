"""诉求预测: daily demand forecasts per series with prediction intervals and a backtest beside seasonal-naive."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from api.deps import Caller, CaughtUp, Complaints, Guard, Views, require, run_query
from api.exports import download, export_responses
from api.guard import StoreGuard
from api.permissions import Action
from api.problems import ApiProblem
from api.schemas import Day, Line, OptionalText, Strict
from api.schemas_answers import AcceptedPlan, ForecastOut, PlanReview, TidalPlanOut
from api.scope import held_to, scoped_series
from application.complaints import ComplaintsApp
from application.plans import accept_plan, accepted_plan
from domain.audit import plain
from domain.centres import DEFAULT_CENTRE, check_centre
from domain.plans import TidalPlan
from domain.values import Role
from projections import demand
from projections import tidal_plan as tidal
from projections.db import ViewDB
from projections.forecast import DAY_TYPE_LABELS, MAX_HISTORY_DAYS, Forecast, Peak, peaks
from projections.period_forecast import (
    MAX_PERIOD_HISTORY_DAYS,
    PeriodForecast,
    PeriodPeak,
    forecast_periods,
    period_peaks,
)
from projections.staffing import (
    HEADINGS_ZH,
    StaffingRules,
    plan_cells,
    review_summary,
)
from projections.tidal_plan import series_forecast, series_history

router = APIRouter(prefix="/v1/insights", tags=["insights"])

# another centre's plan is answered as a centre with no plan (the scope: api.scope)
PLAN_NOT_FOUND = {"code": "plan_not_found", "detail": "该服务中心在此期间没有确认的潮汐预案"}
ForecastReader = Annotated[Role, Depends(require(Action.read_forecast))]
SeriesParam = Annotated[
    Line,
    Query(
        max_length=160,
        description="all | centre:<代码> | category:<代码> | department:<代码> | centre:<代码>,category:<代码>；"
        "除部门外可加 ,channel:window|hotline|online（窗口到达与热线工单分开计）",
    ),
]


def staffing(request: Request) -> StaffingRules:
    """YOUSU_PEAK_MARGIN and the Erlang C settings, as the composition root set them."""
    rules = getattr(request.app.state, "staffing_rules", None)
    return rules if isinstance(rules, StaffingRules) else StaffingRules()


Rules = Annotated[StaffingRules, Depends(staffing)]
PlanAccepter = Annotated[Role, Depends(require(Action.accept_plan))]
CentreParam = Annotated[Line, Query(max_length=32, description="服务中心代码")]


def forecast_body(series: demand.Series, days: list[date], result: Forecast) -> dict[str, Any]:
    """The JSON answer: points with the kind of day in Chinese, the typical weekday volumes, the backtest."""
    history = {"from": days[0].isoformat(), "to": days[-1].isoformat()} if days else {"from": None, "to": None}
    return {
        "series": series.label,
        "method": result.method,
        "history": {**history, "days": result.history_days},
        "points": [{**plain(p), "kind_label": DAY_TYPE_LABELS[p.kind]} for p in result.points],
        "interval": "80%",
        "normal_by_weekday": {str(k): v for k, v in result.normal.items()},
        "backtest": plain(result.backtest),
        "verdict": result.backtest.verdict if result.backtest else None,
        "notes": result.notes,
    }


def period_body(series: demand.Series, result: PeriodForecast, coming: list[PeriodPeak]) -> dict[str, Any]:
    """The JSON answer of a weekly or monthly forecast."""
    return {
        "series": series.label,
        "granularity": result.granularity,
        "method": result.method,
        "history": {
            "from": result.history_from.isoformat() if result.history_from else None,
            "to": result.history_to.isoformat() if result.history_to else None,
            "periods": result.history_periods,
        },
        "points": [plain(p) for p in result.points],
        "interval": "80%",
        "normal_per_effective_day": result.normal_rate,
        "closed_day_weight": round(result.closed_weight, 4),
        "backtest": plain(result.backtest),
        "verdict": result.backtest.verdict if result.backtest else None,
        "notes": result.notes,
        "peaks": [plain(p) for p in coming],
    }


def read_history(
    views: ViewDB, complaints: ComplaintsApp, series: str, granularity: str
) -> tuple[demand.Series, list[date], list[int]]:
    """The parsed series and its daily history (two years for daily forecasts, three for weeks and months)."""
    parsed = demand.Series.parse(series)
    days = MAX_HISTORY_DAYS if granularity == "day" else MAX_PERIOD_HISTORY_DAYS
    today = complaints.calendar.local_day(complaints.clock.now())
    return parsed, *series_history(views, parsed, today, days)


def forecast_answer(
    history: tuple[demand.Series, list[date], list[int]],
    complaints: ComplaintsApp,
    granularity: str,
    horizon: int,
    *,
    backtest: bool,
    margin: float,
) -> dict[str, Any]:
    """The forecast by day, week or month of a history read by :func:`read_history` (the API's and the CLI's
    answer; the fitting reads nothing, so it runs outside the store guard)."""
    parsed, days, counts = history
    today = complaints.calendar.local_day(complaints.clock.now())
    if granularity == "day":
        result = series_forecast(days, counts, complaints.calendar, horizon, with_backtest=backtest)
        coming = peaks(result, margin, today)
        return {
            **forecast_body(parsed, days, result),
            "granularity": "day",
            "peak_margin": margin,
            "peaks": peak_body(coming),
        }
    periodic = forecast_periods(days, counts, granularity, complaints.calendar, horizon, with_backtest=backtest)
    return {**period_body(parsed, periodic, period_peaks(periodic, margin, today)), "peak_margin": margin}


@router.get("/forecast", response_model=ForecastOut)
def get_forecast(  # noqa: PLR0913 — the forecast's options
    *,
    _role: ForecastReader,
    who: Caller,
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    series: SeriesParam = "all",
    granularity: Literal["day", "week", "month"] = "day",
    horizon_weeks: Annotated[int, Query(ge=1, le=26, description="day 与 week 的预测周数")] = 12,
    horizon_months: Annotated[int, Query(ge=1, le=12, description="month 的预测月数")] = 3,
    backtest: bool = True,
    rules: Rules,
) -> dict[str, Any]:
    """Forecast by ``granularity``. ``day``: ``horizon_weeks`` of days, ETS with a weekly season (two weeks of
    history or more), else seasonal-naive; holidays, 调休 and the first working day after a long break from the
    working-day calendar. ``week`` / ``month``: complete ISO weeks or months, ETS with a yearly season when there
    are two years of history, seasonal-naive (the same period a year before) with one; volume per working day, so
    a week with a holiday is a short week, not a low season. 80 % intervals; a rolling-origin backtest beside
    seasonal-naive says when the model does not beat it; ``peaks`` above normal by ``YOUSU_PEAK_MARGIN``."""
    horizon = horizon_months if granularity == "month" else horizon_weeks
    series = scoped_series(who, series)  # a centre's staff: their centre's volumes
    history = run_query(guard, lambda: read_history(views, complaints, series, granularity))
    return forecast_answer(history, complaints, granularity, horizon, backtest=backtest, margin=rules.peak_margin)


# ------------------------------------------------------------------------------------------ 潮汐窗口


def plan_period(complaints: ComplaintsApp, start: date | None, end: date | None) -> tuple[date, date, date]:
    """(today, from, to) of a plan; a period that cannot be planned is a 422 naming the field."""
    today = complaints.calendar.local_day(complaints.clock.now())
    try:
        return today, *tidal.plan_period(today, start, end)
    except tidal.PlanPeriodInvalid as exc:
        raise ApiProblem(422, "invalid_query", exc.detail, field=exc.field) from None


def centre_plan(
    guard: StoreGuard,
    views: ViewDB,
    complaints: ComplaintsApp,
    rules: StaffingRules,
    centre: str,
    period: tuple[date, date, date],
) -> tidal.CentrePlan:
    """The centre's plan: its inputs read through the store guard, the plan computed outside it."""
    today, start, end = period
    inputs = run_query(guard, lambda: tidal.plan_inputs(views, centre, today))
    return tidal.centre_plan(inputs, complaints.calendar, rules, today, (start, end))


def peak_body(coming: list[Peak]) -> list[dict[str, Any]]:
    """高峰预警 as JSON."""
    return [{**plain(p), "kind_label": DAY_TYPE_LABELS[p.kind]} for p in coming]


@router.get(
    "/tidal-plan",
    response_model=TidalPlanOut,
    responses=export_responses("The plan as JSON, or CSV / XLSX with Chinese headings"),
)
def get_tidal_plan(
    *,
    _role: ForecastReader,
    who: Caller,
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    rules: Rules,
    centre: CentreParam = DEFAULT_CENTRE,
    from_: Annotated[Day | None, Query(alias="from", description="默认：今天")] = None,
    to: Annotated[Day | None, Query(description="默认：from 起两周")] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Any:
    """潮汐窗口: windows needed per working hour (Erlang C on the forecast) vs the normal number, with peak warnings."""
    check_centre(centre)
    held_to(who, centre, **PLAN_NOT_FOUND)
    period = plan_period(complaints, from_, to)
    found = centre_plan(guard, views, complaints, rules, centre, period)
    if format != "json":
        name = f"tidal-plan-{centre}-{period[1].isoformat()}-{period[2].isoformat()}"
        return download(format, name, "潮汐窗口预案", HEADINGS_ZH, plan_cells(found.days))
    return {
        "centre": centre,
        "from": period[1].isoformat(),
        "to": period[2].isoformat(),
        "method": found.forecast.method,
        "rules": plain(rules),
        "peaks": peak_body(found.peaks),
        "days": [
            {
                "day": d.day.isoformat(),
                "kind_label": DAY_TYPE_LABELS[d.kind],
                "forecast": d.forecast,
                "peak": d.peak,
                "max_windows": d.max_windows,
                "extra_windows": d.max_extra,
                "hours": [plain(h) for h in d.hours],
            }
            for d in found.days
        ],
        "arrivals_by_weekday_hour": found.arrivals_by_weekday_hour(),
        "notes": found.forecast.notes,
    }


class AcceptPlanIn(Strict):
    """确认潮汐预案 for a centre and period (the plan is computed now and recorded as accepted)."""

    centre: Annotated[Line, Field(min_length=1, max_length=32)]
    from_: Annotated[Day, Field(alias="from")]
    to: Day
    note: OptionalText = ""


@router.post("/tidal-plan/accept", status_code=201, response_model=AcceptedPlan)
def accept_tidal_plan(
    body: AcceptPlanIn,
    role: PlanAccepter,
    who: Caller,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    rules: Rules,
) -> dict[str, Any]:
    """The centre's duty leader accepts the plan: an event with the windows per day, for the record."""
    check_centre(body.centre, field="centre")
    held_to(who, body.centre, **PLAN_NOT_FOUND)
    period = plan_period(complaints, body.from_, body.to)
    record = centre_plan(guard, views, complaints, rules, body.centre, period).record()
    actor = who.actor(role)
    saved, notification_id = guard.call(
        lambda: accept_plan(complaints, body.centre, period[1], period[2], record, body.note, actor)
    )
    return {
        "id": str(saved.id),
        "centre": body.centre,
        "from": period[1].isoformat(),
        "to": period[2].isoformat(),
        "revision": saved.revisions,
        "windows": record.windows,
        "extra_windows": record.extra,
        "notification_id": notification_id,
    }


@router.get("/tidal-plan/review", response_model=PlanReview)
def review_tidal_plan(
    *,
    _role: ForecastReader,
    who: Caller,
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    rules: Rules,
    centre: CentreParam,
    from_: Annotated[Day, Query(alias="from", description="预案起始日")],
    to: Annotated[Day, Query(description="预案截止日")],
) -> dict[str, Any]:
    """预案复盘: an accepted plan beside what arrived — per planned day and hour the windows planned, the arrivals
    forecast and come, and the windows Erlang C needed for what came (same rules as the plan); the days up to
    yesterday and today's hours that are over (``complete`` once the period is over)."""
    check_centre(centre)
    held_to(who, centre, **PLAN_NOT_FOUND)
    now = complaints.clock.now().astimezone(complaints.calendar.zone)
    today = now.date()
    if from_ > today:
        raise ApiProblem(422, "invalid_query", "预案期限尚未开始，无从复盘", field="from")
    last = min(to, today)

    def read() -> tuple[TidalPlan, dict[tuple[date, int], int]]:
        found = accepted_plan(complaints, centre, from_, to)
        if found is None:
            raise ApiProblem(404, **PLAN_NOT_FOUND)
        return found, tidal.review_inputs(views, centre, from_, last)

    accepted, arrived = guard.call(read)
    reviewed = tidal.reviewed_days(accepted, arrived, last, rules, now.hour if last == today else None)
    return {
        "centre": centre,
        "from": from_.isoformat(),
        "to": to.isoformat(),
        "complete": to < today,
        "accepted_by": plain(accepted.accepted_by),
        "accepted_at": plain(accepted.accepted_at),
        "revision": accepted.revisions,
        "note": accepted.note,
        "rules": plain(rules),
        "days": [
            {
                "day": d.day.isoformat(),
                "planned_max": max((h.planned_windows for h in d.hours), default=0),
                "needed_max": max((h.needed_windows for h in d.hours), default=0),
                "arrivals": d.arrivals,
                "hours": [plain(h) for h in d.hours],
            }
            for d in reviewed
        ],
        "summary": review_summary(reviewed),
    }
