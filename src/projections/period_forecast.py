"""Weekly and monthly demand forecasts with yearly seasonality.

The daily series (from the demand view) is summed into complete ISO weeks or calendar months. Volume is
modelled per *effective day* — working days (调休 working weekends included) plus closed days weighted by
how much a closed day brings relative to a working day in the history — so a week with a holiday in it is
a short week, not a low season: the rate per effective day is forecast, then multiplied by the coming
period's effective days from the working-day calendar.

Method: ETS(A,N,A) from ``statsmodels`` with a yearly season (52 weeks, 12 months) when there are two
seasons of history; seasonal-naive (the same period a year before) with one; else the recent mean. A
rolling-origin backtest sets the method beside seasonal-naive (MAPE and sMAPE on the periods' totals) and
says when it does not beat it.

Pure computation over a daily series handed in; nothing here reads the store.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from domain.calendar import WorkingCalendar
from projections.forecast import Z80, Backtest, scored

WEEK, MONTH = "week", "month"
GRANULARITIES = ("day", WEEK, MONTH)
SEASON = {WEEK: 52, MONTH: 12}  # a year of periods
DEFAULT_HORIZON = {WEEK: 12, MONTH: 3}
BACKTEST_ORIGINS = 3
BACKTEST_HORIZON = {WEEK: 12, MONTH: 3}
MAX_PERIOD_HISTORY_DAYS = 3 * 366  # three years: two full seasons with room for the backtest's origins
MIN_CLOSED_WEIGHT = 0.02  # a fully closed week still has some weight, so its rate is defined
UNIT = {WEEK: "周", MONTH: "月"}


def period_start(day: date, granularity: str) -> date:
    """The Monday of ``day``'s ISO week, or the first of its month."""
    if granularity == WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_start(start: date, granularity: str) -> date:
    """The first day of the following period."""
    if granularity == WEEK:
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def period_label(start: date, granularity: str) -> str:
    """``2025-W37`` (ISO week) or ``2025-09``."""
    if granularity == WEEK:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.year}-{start.month:02d}"


@dataclass(frozen=True)
class Period:
    """One complete period of history or forecast: its days and how many of them are working days."""

    start: date
    end: date  # inclusive
    working_days: int
    closed_days: int

    def effective_days(self, closed_weight: float) -> float:
        """Working days plus closed days at the closed-day weight."""
        return self.working_days + max(closed_weight, MIN_CLOSED_WEIGHT) * self.closed_days


def make_period(start: date, granularity: str, calendar: WorkingCalendar) -> Period:
    """The period starting ``start``, with its working and closed days from the calendar."""
    end = next_start(start, granularity) - timedelta(days=1)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    working = sum(1 for d in days if calendar.is_working_day(d))
    return Period(start, end, working, len(days) - working)


@dataclass(frozen=True)
class PeriodPoint:
    """A coming period: forecast total, 80 % interval, the calendar's working days, the rate per working day."""

    start: date
    end: date
    label: str
    mean: float
    lower: float
    upper: float
    working_days: int
    closed_days: int
    per_working_day: float


@dataclass(frozen=True)
class PeriodForecast:
    """A series' weekly or monthly forecast."""

    granularity: str
    method: str  # ets | seasonal_naive | none
    history_periods: int
    history_from: date | None
    history_to: date | None
    points: list[PeriodPoint]
    normal_rate: float | None  # median volume per effective day over the last year of history
    closed_weight: float
    backtest: Backtest | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PeriodPeak:
    """A coming period forecast above its normal volume by more than the margin (高峰预警)."""

    start: date
    end: date
    label: str
    forecast: float
    normal: float
    ratio: float
    lead_days: int  # days from today until the period starts


def closed_weight(days: Sequence[date], counts: Sequence[float], calendar: WorkingCalendar) -> float:
    """What a closed day brings relative to a working day (means over the history; 0 without working days)."""
    work = [float(c) for d, c in zip(days, counts, strict=True) if calendar.is_working_day(d)]
    closed = [float(c) for d, c in zip(days, counts, strict=True) if not calendar.is_working_day(d)]
    level = statistics.fmean(work) if work else 0.0
    return statistics.fmean(closed) / level if closed and level > 0 else 0.0


def aggregate(
    days: Sequence[date], counts: Sequence[float], granularity: str, calendar: WorkingCalendar
) -> tuple[list[Period], list[float]]:
    """Complete periods covered by ``days`` (consecutive) and each one's total; partial ends are left out."""
    if not days:
        return [], []
    by_day = dict(zip(days, counts, strict=True))
    start = period_start(days[0], granularity)
    if start < days[0]:
        start = next_start(start, granularity)
    periods: list[Period] = []
    totals: list[float] = []
    while True:
        p = make_period(start, granularity, calendar)
        if p.end > days[-1]:
            break
        periods.append(p)
        totals.append(float(sum(by_day[p.start + timedelta(days=i)] for i in range((p.end - p.start).days + 1))))
        start = next_start(start, granularity)
    return periods, totals


def _method(n: int, season: int) -> str:
    if n >= 2 * season:
        return "ets"
    return "seasonal_naive" if n >= season else "none"


def _ets(rates: np.ndarray, season: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """ETS(A,N,A) with a yearly season; the heuristic start (classical decomposition) needs two seasons."""
    import pandas as pd  # noqa: PLC0415 — heavy imports, on the first forecast rather than at every start
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # noqa: PLC0415 — as above

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short or flat series; the backtest judges the fit
        model = ETSModel(
            pd.Series(rates),
            error="add",
            trend=None,
            seasonal="add",
            seasonal_periods=season,
            initialization_method="heuristic",
        )
        fitted = model.fit(disp=False, maxiter=200)
        frame = fitted.get_prediction(start=len(rates), end=len(rates) + horizon - 1).summary_frame(alpha=0.2)
    mean = np.nan_to_num(frame["mean"].to_numpy(dtype=float))
    half = np.nan_to_num((frame["pi_upper"] - frame["mean"]).to_numpy(dtype=float))
    return mean, half


def _naive(rates: np.ndarray, season: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The same period a year before; interval σ·√k for the k-th year ahead (residuals at the yearly lag)."""
    mean = np.array([rates[len(rates) - season + (i % season)] for i in range(horizon)])
    resid = rates[season:] - rates[:-season]
    sigma = float(np.std(resid)) if len(resid) > 1 else float(np.std(rates))
    half = np.array([Z80 * sigma * math.sqrt(i // season + 1) for i in range(horizon)])
    return mean, half


def _level(rates: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Too little history for a season: the mean of the last four periods, σ of the rates."""
    recent = rates[-4:]
    level = float(np.mean(recent)) if len(recent) else 0.0
    sigma = float(np.std(rates)) if len(rates) > 1 else 0.0
    return np.full(horizon, level), np.full(horizon, Z80 * sigma)


def _rates(periods: Sequence[Period], totals: Sequence[float], weight: float) -> np.ndarray:
    return np.array([t / p.effective_days(weight) for p, t in zip(periods, totals, strict=True)], dtype=float)


def _predict(
    periods: Sequence[Period],
    totals: Sequence[float],
    future: Sequence[Period],
    granularity: str,
    weight: float,
    method: str,
) -> tuple[np.ndarray, np.ndarray]:
    """(totals, half-widths) for ``future`` from the history's rates."""
    rates = _rates(periods, totals, weight)
    season, horizon = SEASON[granularity], len(future)
    if method == "ets":
        mean, half = _ets(rates, season, horizon)
    elif method == "seasonal_naive":
        mean, half = _naive(rates, season, horizon)
    else:
        mean, half = _level(rates, horizon)
    eff = np.array([p.effective_days(weight) for p in future])
    return np.maximum(mean, 0.0) * eff, half * eff


def backtest(
    periods: Sequence[Period], totals: Sequence[float], granularity: str, weight: float, method: str
) -> Backtest | None:
    """Rolling origin: the last ``BACKTEST_ORIGINS`` cuts, one horizon apart, each forecast one horizon ahead."""
    season, horizon = SEASON[granularity], BACKTEST_HORIZON[granularity]
    if method == "none" or len(totals) < BACKTEST_ORIGINS * horizon + season:
        return None
    folds = []
    methods = set()
    for k in range(BACKTEST_ORIGINS, 0, -1):
        cut = len(totals) - k * horizon
        future = periods[cut : cut + horizon]
        actual = np.array(totals[cut : cut + horizon], dtype=float)
        used = _method(cut, season)
        methods.add(used)
        model, _ = _predict(periods[:cut], totals[:cut], future, granularity, weight, used)
        naive, _ = _predict(periods[:cut], totals[:cut], future, granularity, weight, "seasonal_naive")
        folds.append((actual, model, naive))
    naive_only = "回测各起点的历史不足两个季节（两年），模型即季节性朴素预测" if methods == {"seasonal_naive"} else None
    return scored(folds, horizon, naive_only, "周" if granularity == WEEK else "个月")


def forecast_periods(
    days: Sequence[date],
    counts: Sequence[float],
    granularity: str,
    calendar: WorkingCalendar,
    horizon: int | None = None,
    *,
    with_backtest: bool = True,
) -> PeriodForecast:
    """Forecast ``horizon`` weeks or months after the last complete period in ``days`` (consecutive days)."""
    if granularity not in SEASON:
        msg = f"granularity must be week or month, not {granularity!r}"
        raise ValueError(msg)
    if len(days) != len(counts):
        msg = "days and counts differ in length"
        raise ValueError(msg)
    days, counts = list(days)[-MAX_PERIOD_HISTORY_DAYS:], list(counts)[-MAX_PERIOD_HISTORY_DAYS:]
    horizon = horizon or DEFAULT_HORIZON[granularity]
    season = SEASON[granularity]
    weight = closed_weight(days, counts, calendar) if days else 0.0
    periods, totals = aggregate(days, counts, granularity, calendar)
    method = _method(len(totals), season)
    notes: list[str] = []
    unit = UNIT[granularity]
    if not periods:
        notes.append(f"历史不足一个完整的{unit}，无法预测")
        return PeriodForecast(granularity, "none", 0, None, None, [], None, weight, None, notes)
    if method == "none":
        notes.append(f"历史不足一年（{season} 个{unit}），仅给出近期平均水平")
    elif method == "seasonal_naive":
        notes.append(f"历史不足两年（{2 * season} 个{unit}），使用季节性朴素预测（去年同期）")
    first = next_start(periods[-1].start, granularity)
    future: list[Period] = []
    for _ in range(horizon):
        future.append(make_period(first, granularity, calendar))
        first = next_start(first, granularity)
    mean, half = _predict(periods, totals, future, granularity, weight, method)
    points = []
    for p, raw, h in zip(future, mean, half, strict=True):
        m = max(0.0, float(raw))
        points.append(
            PeriodPoint(
                p.start,
                p.end,
                period_label(p.start, granularity),
                round(m, 2),
                round(max(0.0, m - float(h)), 2),
                round(m + float(h), 2),
                p.working_days,
                p.closed_days,
                round(m / p.working_days, 2) if p.working_days else 0.0,
            )
        )
    rates = _rates(periods, totals, weight)
    normal = round(float(statistics.median(rates[-season:])), 4)
    test = backtest(periods, totals, granularity, weight, method) if with_backtest else None
    if test is not None and not test.beats_baseline and method == "ets":
        notes.append(test.verdict)
    return PeriodForecast(
        granularity, method, len(totals), periods[0].start, periods[-1].end, points, normal, weight, test, notes
    )


def period_peaks(result: PeriodForecast, margin: float, today: date) -> list[PeriodPeak]:
    """Coming periods whose forecast exceeds the normal rate × their effective days by more than ``margin``."""
    if not result.normal_rate:
        return []
    out: list[PeriodPeak] = []
    for p in result.points:
        eff = Period(p.start, p.end, p.working_days, p.closed_days).effective_days(result.closed_weight)
        normal = result.normal_rate * eff
        if normal > 0 and p.mean > normal * (1 + margin):
            out.append(
                PeriodPeak(
                    p.start, p.end, p.label, p.mean, round(normal, 2), round(p.mean / normal, 2), (p.start - today).days
                )
            )
    return out
