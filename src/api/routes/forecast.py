"""诉求预测: daily demand forecasts per series with prediction intervals and a backtest beside seasonal-naive."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import CaughtUp, Complaints, Guard, Views, require, run_query
from api.permissions import Action
from api.schemas import Line
from application.complaints import ComplaintsApp
from domain.audit import plain
from domain.calendar import WorkingCalendar
from domain.values import Role
from projections import demand
from projections.db import ViewDB
from projections.forecast import DAY_TYPE_LABELS, MAX_HISTORY_DAYS, Forecast, forecast

router = APIRouter(prefix="/v1/insights", tags=["insights"])

ForecastReader = Annotated[Role, Depends(require(Action.read_forecast))]
SeriesParam = Annotated[
    Line, Query(max_length=80, description="all | centre:<代码> | category:<代码> | department:<代码>")
]


def series_history(views: ViewDB, complaints: ComplaintsApp, series: demand.Series) -> tuple[list[date], list[int]]:
    """The series' daily counts up to yesterday (at most two years; empty when nothing was received yet)."""
    today = complaints.calendar.local_day(complaints.clock.now())
    end = today - timedelta(days=1)
    first = demand.first_day(views)
    if first is None or first > end:
        return [], []
    return demand.daily(views, series, max(first, end - timedelta(days=MAX_HISTORY_DAYS - 1)), end)


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


@router.get("/forecast")
def get_forecast(
    *,
    _role: ForecastReader,
    _caught_up: CaughtUp,
    views: Views,
    guard: Guard,
    complaints: Complaints,
    series: SeriesParam = "all",
    horizon_weeks: Annotated[int, Query(ge=1, le=26)] = 12,
    backtest: bool = True,
) -> dict[str, Any]:
    """Daily forecast for ``horizon_weeks``: ETS with two weeks of history or more, else seasonal-naive; 80 % intervals;
    holidays, 调休 and the first working day after a long break from the working-day calendar."""
    parsed = run_query(guard, lambda: demand.Series.parse(series))
    days, counts = run_query(guard, lambda: series_history(views, complaints, parsed))
    result = series_forecast(days, counts, complaints.calendar, horizon_weeks, with_backtest=backtest)
    return forecast_body(parsed, days, result)
