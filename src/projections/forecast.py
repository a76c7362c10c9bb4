"""Demand forecasts: ETS (Holt-Winters, additive weekly seasonality) from ``statsmodels`` when there are two
seasons of history, seasonal-naive otherwise, with prediction intervals; the working-day calendar adjusts
both (holidays, 调休 working weekends, the first working day after a long break); a rolling-origin
backtest compares the model with seasonal-naive over the days the hall is open (a closed day with nobody
coming would score 200 % sMAPE for any forecast a hair above zero, and so punish the smoother model for
what nobody plans for) and says so, with its numbers, when the model does not beat it.

Pure computation over a daily series handed in (from the demand view); nothing here reads the store.
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

SEASON = 7  # weekly seasonality on daily data
LONG_BREAK = 3  # consecutive non-working days that make the next working day a 节后 day
Z80 = 1.2815515655446004  # two-sided 80 % prediction interval
BACKTEST_ORIGINS = 3
BACKTEST_HORIZON = 28
HEURISTIC_FROM = 10 * SEASON
MAX_HISTORY_DAYS = 730  # fits use at most two years (older demand says little about next quarter)

WORKING, CLOSED, MAKE_UP, AFTER_BREAK = "working", "closed", "make_up", "after_break"
DAY_TYPE_LABELS = {WORKING: "工作日", CLOSED: "休息日/节假日", MAKE_UP: "调休上班", AFTER_BREAK: "长假后首个工作日"}


def day_type(day: date, calendar: WorkingCalendar) -> str:
    """How the calendar makes ``day`` differ from a regular week."""
    if not calendar.is_working_day(day):
        return CLOSED
    back = day - timedelta(days=1)
    closed = 0
    while closed <= LONG_BREAK and not calendar.is_working_day(back):
        closed += 1
        back -= timedelta(days=1)
    if closed >= LONG_BREAK:
        return AFTER_BREAK
    return MAKE_UP if day.weekday() >= 5 else WORKING


def _regular(day: date, kind: str) -> bool:
    """A day that behaves as its weekday usually does (weekdays working, weekends closed)."""
    return (kind == WORKING and day.weekday() < 5) or (kind == CLOSED and day.weekday() >= 5)


@dataclass(frozen=True)
class DayForecast:
    """One future day: the forecast, its 80 % interval, and the calendar's kind of day."""

    day: date
    mean: float
    lower: float
    upper: float
    kind: str


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin accuracy of the method beside seasonal-naive (percent), over ``scored`` days or periods
    (for daily forecasts the open days only), and the verdict in words with its numbers."""

    origins: int
    horizon_days: int
    mape: float | None
    smape: float | None
    naive_mape: float | None
    naive_smape: float | None
    beats_baseline: bool
    note: str
    scored: int = 0
    verdict: str = ""


@dataclass(frozen=True)
class Forecast:
    """A series' forecast."""

    method: str  # ets | seasonal_naive | none
    history_days: int
    points: list[DayForecast]
    normal: dict[int, float]  # weekday → typical working-day volume (median of recent regular days)
    backtest: Backtest | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Adjust:
    """Calendar factors estimated from the history: closed-day and after-break volume relative to regular."""

    closed: float
    after_break: float | None


def _adjusted(days: Sequence[date], y: np.ndarray, calendar: WorkingCalendar) -> tuple[np.ndarray, _Adjust]:
    """The series as a regular week would have had it (irregular days replaced by last week's), and the factors."""
    kinds = [day_type(d, calendar) for d in days]
    adj = y.astype(float).copy()
    working = [y[i] for i, d in enumerate(days) if kinds[i] == WORKING and d.weekday() < 5]
    work_level = statistics.fmean(working) if working else 0.0
    closed = [y[i] for i, d in enumerate(days) if kinds[i] == CLOSED]
    after: list[float] = []
    for i, d in enumerate(days):
        if _regular(d, kinds[i]):
            continue
        if i >= SEASON:
            adj[i] = adj[i - SEASON]
        else:
            same = [y[j] for j in range(i % SEASON, len(days), SEASON) if _regular(days[j], kinds[j])]
            adj[i] = statistics.fmean(same) if same else work_level
        if kinds[i] == AFTER_BREAK:
            ref = adj[i] if d.weekday() < 5 else _week_level(days, adj, i, before=True)
            if ref > 0:
                after.append(float(y[i] / ref))
    closed_factor = statistics.fmean(closed) / work_level if closed and work_level > 0 else 0.0
    return adj, _Adjust(closed_factor, statistics.fmean(after) if after else None)


def _week_level(days: Sequence[date], values: np.ndarray, i: int, *, before: bool = False) -> float:
    """The mean over the weekdays around ``i`` (the week before ``i`` when ``before``): a working day's level."""
    span = range(max(0, i - SEASON), i) if before else range(max(0, i - 3), min(len(values), i + 4))
    week = [float(values[j]) for j in span if days[j].weekday() < 5]
    return statistics.fmean(week) if week else float(values[i])


def _calendarise(
    start: date, mean: np.ndarray, half: np.ndarray, calendar: WorkingCalendar, factors: _Adjust
) -> list[DayForecast]:
    """Regular-week forecasts turned into the calendar's days."""
    out: list[DayForecast] = []
    future = [start + timedelta(days=i) for i in range(len(mean))]
    for i, d in enumerate(future):
        kind = day_type(d, calendar)
        m, h = float(mean[i]), float(half[i])
        if kind == CLOSED and d.weekday() < 5:  # a holiday on a weekday: closed-day volume
            m, h = m * factors.closed, h * factors.closed
        if kind in (MAKE_UP, AFTER_BREAK) and d.weekday() >= 5:  # a working weekend: the week's working level
            m = _week_level(future, mean, i)
        if kind == AFTER_BREAK and factors.after_break is not None:
            m, h = m * factors.after_break, h * factors.after_break
        m = max(0.0, m)
        out.append(DayForecast(d, round(m, 2), round(max(0.0, m - h), 2), round(max(0.0, m + h), 2), kind))
    return out


def _naive(adj: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal-naive: last week repeated; interval σ·√k for the k-th week ahead (residuals of lag 7)."""
    last = adj[-SEASON:]
    mean = np.array([last[i % SEASON] for i in range(horizon)])
    resid = adj[SEASON:] - adj[:-SEASON]
    sigma = float(np.std(resid)) if len(resid) > 1 else 0.0
    half = np.array([Z80 * sigma * math.sqrt(i // SEASON + 1) for i in range(horizon)])
    return mean, half


def _ets(adj: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """ETS(A,N,A) — additive error, no trend, additive weekly season — with analytic 80 % intervals."""
    import pandas as pd  # noqa: PLC0415 — heavy imports, on the first forecast rather than at every start
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # noqa: PLC0415 — as above

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short or flat series; the backtest judges the fit
        # With ten seasons or more the initial level and season are set by the classical decomposition
        # (``heuristic``) and only the smoothing parameters are estimated: a third of the fitting time.
        init = "heuristic" if len(adj) >= HEURISTIC_FROM else "estimated"
        model = ETSModel(
            pd.Series(adj), error="add", trend=None, seasonal="add", seasonal_periods=SEASON, initialization_method=init
        )
        fitted = model.fit(disp=False, maxiter=200)
        frame = fitted.get_prediction(start=len(adj), end=len(adj) + horizon - 1).summary_frame(alpha=0.2)
    mean = np.nan_to_num(frame["mean"].to_numpy(dtype=float))
    half = np.nan_to_num((frame["pi_upper"] - frame["mean"]).to_numpy(dtype=float))
    return mean, half


def _method(n: int) -> str:
    if n >= 2 * SEASON:
        return "ets"
    return "seasonal_naive" if n >= SEASON else "none"


def _predict(
    days: Sequence[date], y: np.ndarray, horizon: int, calendar: WorkingCalendar, method: str
) -> list[DayForecast]:
    adj, factors = _adjusted(days, y, calendar)
    start = days[-1] + timedelta(days=1)
    if method == "ets":
        mean, half = _ets(adj, horizon)
    elif method == "seasonal_naive":
        mean, half = _naive(adj, horizon)
    else:
        level = float(np.mean(adj)) if len(adj) else 0.0
        mean, half = np.full(horizon, level), np.zeros(horizon)
    return _calendarise(start, mean, half, calendar, factors)


def _errors(actual: np.ndarray, predicted: np.ndarray) -> tuple[list[float], list[float]]:
    ape = [abs(a - p) / a for a, p in zip(actual, predicted, strict=True) if a > 0]
    sape = [2 * abs(a - p) / (abs(a) + abs(p)) for a, p in zip(actual, predicted, strict=True) if abs(a) + abs(p) > 0]
    return ape, sape


def _pct(values: list[float]) -> float | None:
    return round(100 * statistics.fmean(values), 2) if values else None


NOT_BEATEN = "模型未优于季节性朴素预测（sMAPE 不低于基准），请以基准为参考"
BEATEN = "模型优于季节性朴素预测"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def verdict_text(note: str, smape: float | None, naive_smape: float | None, scored_n: int, unit: str) -> str:
    """The verdict with the numbers it rests on, e.g.
    ``模型优于季节性朴素预测：回测 sMAPE 8.1% 对 季节性朴素 12.4%（60 个开放日）``."""
    return f"{note}：回测 sMAPE {_num(smape)} 对 季节性朴素 {_num(naive_smape)}（{scored_n} {unit}）"


def scored(
    folds: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    horizon: int,
    naive_only_note: str | None,
    unit: str = "个开放日",
) -> Backtest:
    """The backtest from its folds (actual, model, seasonal-naive per origin, over the points to be scored);
    ``naive_only_note`` when the model was seasonal-naive itself at every origin; ``unit`` names the points."""
    ape: list[float] = []
    sape: list[float] = []
    n_ape: list[float] = []
    n_sape: list[float] = []
    for actual, model, naive in folds:
        a, s = _errors(actual, model)
        na, ns = _errors(actual, naive)
        ape += a
        sape += s
        n_ape += na
        n_sape += ns
    smape, naive_smape = _pct(sape), _pct(n_sape)
    beats = smape is not None and naive_smape is not None and smape < naive_smape
    if naive_only_note is not None:
        note = naive_only_note
    elif beats:
        note = BEATEN
    else:
        note = NOT_BEATEN
    n = sum(len(actual) for actual, _, _ in folds)
    return Backtest(
        len(folds),
        horizon,
        _pct(ape),
        smape,
        _pct(n_ape),
        naive_smape,
        beats,
        note,
        n,
        verdict_text(note, smape, naive_smape, n, unit),
    )


def backtest(days: Sequence[date], y: np.ndarray, calendar: WorkingCalendar, method: str) -> Backtest | None:
    """Rolling origin: the last ``BACKTEST_ORIGINS`` cuts, ``BACKTEST_HORIZON`` days apart, each forecast ahead;
    scored over the open days (working days, 调休 and 节后 days) of each window only."""
    need = BACKTEST_ORIGINS * BACKTEST_HORIZON + 2 * SEASON
    if method == "none" or len(y) < need:
        return None
    folds = []
    for k in range(BACKTEST_ORIGINS, 0, -1):
        cut = len(y) - k * BACKTEST_HORIZON
        actual = y[cut : cut + BACKTEST_HORIZON].astype(float)
        model = _predict(days[:cut], y[:cut], BACKTEST_HORIZON, calendar, method)
        naive = _predict(days[:cut], y[:cut], BACKTEST_HORIZON, calendar, "seasonal_naive")
        open_ = np.array([p.kind != CLOSED for p in model], dtype=bool)
        folds.append(
            (actual[open_], np.array([p.mean for p in model])[open_], np.array([p.mean for p in naive])[open_])
        )
    return scored(
        folds, BACKTEST_HORIZON, "历史不足两个季节，使用季节性朴素预测" if method == "seasonal_naive" else None
    )


def typical_weekday(days: Sequence[date], y: np.ndarray, calendar: WorkingCalendar, weeks: int = 8) -> dict[int, float]:
    """Weekday → median of the recent regular working days of that weekday (what a normal day brings)."""
    recent = [(d, float(v)) for d, v in zip(days[-weeks * SEASON :], y[-weeks * SEASON :], strict=True)]
    out: dict[int, float] = {}
    for wd in range(5):
        values = [v for d, v in recent if d.weekday() == wd and day_type(d, calendar) == WORKING]
        if values:
            out[wd] = statistics.median(values)
    return out


def forecast(
    days: Sequence[date],
    counts: Sequence[float],
    horizon_days: int,
    calendar: WorkingCalendar,
    *,
    with_backtest: bool = True,
) -> Forecast:
    """Forecast ``horizon_days`` after the last of ``days`` (consecutive days, counts per day)."""
    if len(days) != len(counts):
        msg = "days and counts differ in length"
        raise ValueError(msg)
    days = list(days)[-MAX_HISTORY_DAYS:]
    y = np.asarray(list(counts)[-MAX_HISTORY_DAYS:], dtype=float)
    method = _method(len(y))
    notes: list[str] = []
    if method == "none":
        notes.append("历史不足一周，仅给出平均水平")
        if not days:
            return Forecast(method, 0, [], {}, None, notes)
    elif method == "seasonal_naive":
        notes.append("历史不足两个季节（两周），使用季节性朴素预测")
    points = _predict(days, y, horizon_days, calendar, method)
    _, factors = _adjusted(days, y, calendar)
    if factors.after_break is None and any(p.kind == AFTER_BREAK for p in points):
        notes.append("历史中没有长假后首个工作日，节后未作调整")
    test = backtest(days, y, calendar, method) if with_backtest else None
    if test is not None and not test.beats_baseline and method == "ets":
        notes.append(test.verdict)
    return Forecast(method, len(y), points, typical_weekday(days, y, calendar), test, notes)


@dataclass(frozen=True)
class Peak:
    """A coming day forecast above normal by more than the margin (高峰预警)."""

    day: date
    forecast: float
    normal: float
    ratio: float
    lead_days: int  # days from today until the peak
    kind: str


def peaks(result: Forecast, margin: float, today: date) -> list[Peak]:
    """Open days whose forecast exceeds the typical volume of their weekday by more than ``margin`` (0.3 = 30 %)."""
    if not result.normal:
        return []
    usual = statistics.median(result.normal.values())
    out: list[Peak] = []
    for p in result.points:
        if p.kind == CLOSED:
            continue
        normal = result.normal.get(p.day.weekday(), usual)
        if normal > 0 and p.mean > normal * (1 + margin):
            out.append(Peak(p.day, p.mean, normal, round(p.mean / normal, 2), (p.day - today).days, p.kind))
    return out
