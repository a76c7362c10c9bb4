"""诉求预测: daily demand forecasts per series with prediction intervals and a backtest beside seasonal-naive."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from api.deps import Caller, CaughtUp, Complaints, Guard, Views, require, run_query
from api.exports import download, export_responses
from api.guard import StoreGuard
from api.permissions import Action
from api.problems import ApiProblem
from api.schemas import Day, Line, OptionalText, Strict
from application.complaints import ComplaintsApp, store_errors
from domain.audit import plain
from domain.calendar import WorkingCalendar
from domain.centres import DEFAULT_CENTRE, check_centre
from domain.plans import TidalPlan, plan_id
from domain.values import Role
from projections import demand
from projections.db import ViewDB
from projections.forecast import DAY_TYPE_LABELS, MAX_HISTORY_DAYS, Forecast, Peak, forecast, peaks
from projections.period_forecast import (
    MAX_PERIOD_HISTORY_DAYS,
    PeriodForecast,
    PeriodPeak,
    forecast_periods,
    period_peaks,
)
from projections.staffing import (
    HEADINGS_ZH,
    OPEN_HOURS,
    WEEKDAY_LABELS,
    DayPlan,
    DayReview,
    StaffingRules,
    hour_shares,
    plan,
    plan_cells,
    review_day,
    review_summary,
)

router = APIRouter(prefix="/v1/insights", tags=["insights"])

ForecastReader = Annotated[Role, Depends(require(Action.read_forecast))]
SeriesParam = Annotated[
    Line,
    Query(
        max_length=160,
        description="all | centre:<代码> | category:<代码> | department:<代码> | centre:<代码>,category:<代码>",
    ),
]


def staffing(request: Request) -> StaffingRules:
    """YOUSU_PEAK_MARGIN and the Erlang C settings, as the composition root set them."""
    rules = getattr(request.app.state, "staffing_rules", None)
    return rules if isinstance(rules, StaffingRules) else StaffingRules()


Rules = Annotated[StaffingRules, Depends(staffing)]
PlanAccepter = Annotated[Role, Depends(require(Action.accept_plan))]
CentreParam = Annotated[Line, Query(max_length=32, description="服务中心代码")]


def series_history(
    views: ViewDB, complaints: ComplaintsApp, series: demand.Series, max_days: int = MAX_HISTORY_DAYS
) -> tuple[list[date], list[int]]:
    """The series' daily counts up to yesterday (at most ``max_days``; empty when nothing was received yet)."""
    today = complaints.calendar.local_day(complaints.clock.now())
    end = today - timedelta(days=1)
    first = demand.first_day(views)
    if first is None or first > end:
        return [], []
    return demand.daily(views, series, max(first, end - timedelta(days=max_days - 1)), end)


def series_forecast(
    days: list[date], counts: list[int], calendar: WorkingCalendar, horizon_weeks: int, *, with_backtest: bool
) -> Forecast:
    """The forecast of a history (fitting runs outside the store guard: it reads nothing)."""
    if not days:
        return Forecast("none", 0, [], {}, None, ["尚无历史诉求量，无法预测"])
    return forecast(days, counts, horizon_weeks * 7, calendar, with_backtest=with_backtest)


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
        "notes": result.notes,
        "peaks": [plain(p) for p in coming],
    }


def read_history(
    views: ViewDB, complaints: ComplaintsApp, series: str, granularity: str
) -> tuple[demand.Series, list[date], list[int]]:
    """The parsed series and its daily history (two years for daily forecasts, three for weeks and months)."""
    parsed = demand.Series.parse(series)
    days = MAX_HISTORY_DAYS if granularity == "day" else MAX_PERIOD_HISTORY_DAYS
    return parsed, *series_history(views, complaints, parsed, days)


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


@router.get("/forecast")
def get_forecast(
    *,
    _role: ForecastReader,
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
    history = run_query(guard, lambda: read_history(views, complaints, series, granularity))
    return forecast_answer(history, complaints, granularity, horizon, backtest=backtest, margin=rules.peak_margin)


# ------------------------------------------------------------------------------------------ 潮汐窗口


def plan_period(complaints: ComplaintsApp, start: date | None, end: date | None) -> tuple[date, date, date]:
    """(today, from, to): by default the next two weeks; within the forecast's reach (26 weeks)."""
    today = complaints.calendar.local_day(complaints.clock.now())
    start = start or today
    end = end or start + timedelta(days=13)
    if start < today:
        raise ApiProblem(422, "invalid_query", "from 不能早于今天：潮汐预案只针对未来", field="from")
    if end < start:
        raise ApiProblem(422, "invalid_query", "to 不能早于 from", field="to")
    if (end - today).days >= 26 * 7:
        raise ApiProblem(422, "invalid_query", "to 不能超出今后 26 周", field="to")
    return today, start, end


def tidal_plan(
    guard: StoreGuard,
    views: ViewDB,
    complaints: ComplaintsApp,
    rules: StaffingRules,
    centre: str,
    period: tuple[date, date, date],
) -> tuple[list[DayPlan], list[Peak], Forecast, dict[tuple[int, int], float]]:
    """The centre's forecast, its peaks, each open day's hourly windows (Erlang C) in the period, and the
    arrivals by weekday and hour (mean a day over the last eight weeks) the hours were shared out by.

    The history is read through the store guard; the fitting runs outside it (it reads nothing).
    """
    today, start, end = period
    series = demand.Series("centre", centre)

    def read() -> tuple[list[date], list[int], dict[tuple[int, int], float]]:
        days, counts = series_history(views, complaints, series)
        since = max(days[0], today - timedelta(days=56)) if days else today - timedelta(days=56)
        return days, counts, demand.arrivals_profile(views, since, today - timedelta(days=1), centre=centre)

    days, counts, profile = run_query(guard, read)
    result = series_forecast(days, counts, complaints.calendar, ((end - today).days + 7) // 7, with_backtest=False)
    coming = peaks(result, rules.peak_margin, today)
    return plan(result, hour_shares(profile), start, end, rules, coming), coming, result, profile


def peak_body(coming: list[Peak]) -> list[dict[str, Any]]:
    """高峰预警 as JSON."""
    return [{**plain(p), "kind_label": DAY_TYPE_LABELS[p.kind]} for p in coming]


@router.get("/tidal-plan", responses=export_responses("The plan as JSON, or CSV / XLSX with Chinese headings"))
def get_tidal_plan(
    *,
    _role: ForecastReader,
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
    period = plan_period(complaints, from_, to)
    days, coming, result, profile = tidal_plan(guard, views, complaints, rules, centre, period)
    if format != "json":
        name = f"tidal-plan-{centre}-{period[1].isoformat()}-{period[2].isoformat()}"
        return download(format, name, "潮汐窗口预案", HEADINGS_ZH, plan_cells(days))
    return {
        "centre": centre,
        "from": period[1].isoformat(),
        "to": period[2].isoformat(),
        "method": result.method,
        "rules": plain(rules),
        "peaks": peak_body(coming),
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
            for d in days
        ],
        "arrivals_by_weekday_hour": {
            WEEKDAY_LABELS[wd]: {f"{h:02d}": round(v, 2) for (d, h), v in sorted(profile.items()) if d == wd}
            for wd in range(7)
        },
        "notes": result.notes,
    }


class AcceptPlanIn(Strict):
    """确认潮汐预案 for a centre and period (the plan is computed now and recorded as accepted)."""

    centre: Annotated[Line, Field(min_length=1, max_length=32)]
    from_: Annotated[Day, Field(alias="from")]
    to: Day
    note: OptionalText = ""


@router.post("/tidal-plan/accept", status_code=201)
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
    period = plan_period(complaints, body.from_, body.to)
    days, _, _, _ = tidal_plan(guard, views, complaints, rules, body.centre, period)
    windows = {d.day.isoformat(): d.max_windows for d in days}
    extra = {d.day.isoformat(): d.max_extra for d in days}
    hours = {d.day.isoformat(): {f"{h.hour:02d}": h.windows for h in d.hours} for d in days}
    arrivals = {d.day.isoformat(): {f"{h.hour:02d}": h.arrivals for h in d.hours} for d in days}
    actor = who.actor(role)

    def record() -> tuple[TidalPlan, int | None]:
        pid = plan_id(body.centre, period[1], period[2])
        try:
            plan_: object = complaints.repository.get(pid)
        except AggregateNotFoundError:
            plan_ = TidalPlan.open(body.centre, period[1], period[2])
        assert isinstance(plan_, TidalPlan)  # noqa: S101 — the id space is the plans'
        plan_.accept(
            centre=body.centre,
            start=period[1],
            end=period[2],
            windows=windows,
            extra=extra,
            note=body.note,
            actor=actor,
            now=complaints.clock.now(),
            hours=hours,
            arrivals=arrivals,
        )
        with store_errors():
            recordings = complaints.save(plan_)
        return plan_, recordings[-1].notification.id if recordings else None

    saved, notification_id = guard.call(record)
    return {
        "id": str(saved.id),
        "centre": body.centre,
        "from": period[1].isoformat(),
        "to": period[2].isoformat(),
        "revision": saved.revisions,
        "windows": windows,
        "extra_windows": extra,
        "notification_id": notification_id,
    }


def reviewed_days(
    accepted: TidalPlan, arrived: dict[tuple[date, int], int], last: date, rules: StaffingRules
) -> list[DayReview]:
    """Each planned day up to ``last``: the plan's hours beside the arrivals of that day."""
    reviewed = []
    for key in sorted(accepted.windows):
        day = date.fromisoformat(key)
        if day > last:
            continue
        planned = {int(h): n for h, n in accepted.hours.get(key, {}).items()}
        if key not in accepted.hours:  # accepted before hours were kept: the day's most for its open hours
            planned = dict.fromkeys(OPEN_HOURS, accepted.windows[key])
        forecast_ = {int(h): a for h, a in accepted.arrivals.get(key, {}).items()}
        came = {h: n for (d, h), n in arrived.items() if d == day}
        reviewed.append(review_day(day, planned, forecast_, came, rules))
    return reviewed


@router.get("/tidal-plan/review")
def review_tidal_plan(
    *,
    _role: ForecastReader,
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
    forecast and come, and the windows Erlang C needed for what came (same rules as the plan); days up to
    yesterday (``complete`` once the period is over)."""
    check_centre(centre)
    today = complaints.calendar.local_day(complaints.clock.now())
    if from_ >= today:
        raise ApiProblem(422, "invalid_query", "预案期限尚未开始，无从复盘", field="from")

    def read() -> tuple[TidalPlan, dict[tuple[date, int], int]]:
        try:
            found: object = complaints.repository.get(plan_id(centre, from_, to))
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, TidalPlan) or found.accepted_by is None:
            raise ApiProblem(404, "plan_not_found", "该服务中心在此期间没有确认的潮汐预案")
        return found, demand.hourly(views, centre, from_, min(to, today - timedelta(days=1)))

    accepted, arrived = guard.call(read)
    reviewed = reviewed_days(accepted, arrived, min(to, today - timedelta(days=1)), rules)
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
