"""潮汐窗口预案 over the views: the period a plan may cover, a centre's plan (its forecast of window arrivals, the
peaks, each open day's hourly windows by Erlang C), what an acceptance records, and an accepted plan beside
what arrived (预案复盘). Reading the views and computing are separate steps: the API reads through its store
guard and computes outside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from application.plans import PlanRecord
from domain.calendar import WorkingCalendar
from domain.plans import TidalPlan
from projections import demand
from projections.db import ViewDB
from projections.forecast import MAX_HISTORY_DAYS, Forecast, Peak, forecast, peaks
from projections.staffing import (
    OPEN_HOURS,
    WEEKDAY_LABELS,
    DayPlan,
    DayReview,
    StaffingRules,
    hour_shares,
    plan,
    review_day,
)

PLAN_DAYS = 14  # the default period: two weeks from its first day
PLAN_REACH_WEEKS = 26  # as far ahead as the forecast reaches
PROFILE_DAYS = 56  # the hours are shared out by the window arrivals of the last eight weeks


class PlanPeriodInvalid(ValueError):
    """A plan's period that cannot be planned: the field at fault and why, in Chinese."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def plan_period(today: date, start: date | None, end: date | None) -> tuple[date, date]:
    """(from, to): by default the next two weeks; never in the past, within the forecast's reach (26 weeks)."""
    start = start or today
    end = end or start + timedelta(days=PLAN_DAYS - 1)
    if start < today:
        raise PlanPeriodInvalid("from", "from 不能早于今天：潮汐预案只针对未来")
    if end < start:
        raise PlanPeriodInvalid("to", "to 不能早于 from")
    if (end - today).days >= PLAN_REACH_WEEKS * 7:
        raise PlanPeriodInvalid("to", f"to 不能超出今后 {PLAN_REACH_WEEKS} 周")
    return start, end


def series_history(
    views: ViewDB, series: demand.Series, today: date, max_days: int = MAX_HISTORY_DAYS
) -> tuple[list[date], list[int]]:
    """The series' daily counts up to yesterday (at most ``max_days``; empty when nothing was received yet)."""
    end = today - timedelta(days=1)
    first = demand.first_day(views)
    if first is None or first > end:
        return [], []
    return demand.daily(views, series, max(first, end - timedelta(days=max_days - 1)), end)


def series_forecast(
    days: list[date], counts: list[int], calendar: WorkingCalendar, horizon_weeks: int, *, with_backtest: bool
) -> Forecast:
    """The forecast of a history (it reads nothing: fit it outside the store guard)."""
    if not days:
        return Forecast("none", 0, [], {}, None, ["尚无历史诉求量，无法预测"])
    return forecast(days, counts, horizon_weeks * 7, calendar, with_backtest=with_backtest)


@dataclass(frozen=True)
class PlanInputs:
    """What a plan is computed from: the centre's daily window arrivals, and the mean arrivals a day by
    (weekday, hour) over the last eight weeks."""

    days: list[date]
    counts: list[int]
    profile: dict[tuple[int, int], float]


def plan_inputs(views: ViewDB, centre: str, today: date) -> PlanInputs:
    """Read the centre's window arrivals (not hotline or online work orders: nobody queues for those)."""
    days, counts = series_history(views, demand.Series("centre", centre, channel=demand.WINDOW), today)
    since = max(days[0], today - timedelta(days=PROFILE_DAYS)) if days else today - timedelta(days=PROFILE_DAYS)
    profile = demand.arrivals_profile(views, since, today - timedelta(days=1), centre=centre, channel=demand.WINDOW)
    return PlanInputs(days, counts, profile)


@dataclass(frozen=True)
class CentrePlan:
    """A centre's plan for a period: each open day's hours, the peaks ahead, the forecast it rests on, and the
    arrivals profile the hours were shared out by."""

    days: list[DayPlan]
    peaks: list[Peak]
    forecast: Forecast
    profile: dict[tuple[int, int], float]

    def record(self) -> PlanRecord:
        """What accepting this plan records."""
        return PlanRecord(
            windows={d.day.isoformat(): d.max_windows for d in self.days},
            extra={d.day.isoformat(): d.max_extra for d in self.days},
            hours={d.day.isoformat(): {f"{h.hour:02d}": h.windows for h in d.hours} for d in self.days},
            arrivals={d.day.isoformat(): {f"{h.hour:02d}": h.arrivals for h in d.hours} for d in self.days},
        )

    def arrivals_by_weekday_hour(self) -> dict[str, dict[str, float]]:
        """周一…周日 → hour (``HH``) → mean window arrivals a day, as the hours were shared out."""
        return {
            WEEKDAY_LABELS[wd]: {f"{h:02d}": round(v, 2) for (d, h), v in sorted(self.profile.items()) if d == wd}
            for wd in range(7)
        }


def centre_plan(
    inputs: PlanInputs,
    calendar: WorkingCalendar,
    rules: StaffingRules,
    today: date,
    period: tuple[date, date],
) -> CentrePlan:
    """The plan of ``period`` from what :func:`plan_inputs` read (computes only)."""
    start, end = period
    weeks = ((end - today).days + 7) // 7
    result = series_forecast(inputs.days, inputs.counts, calendar, weeks, with_backtest=False)
    coming = peaks(result, rules.peak_margin, today)
    days = plan(result, hour_shares(inputs.profile), start, end, rules, coming)
    return CentrePlan(days, coming, result, inputs.profile)


def reviewed_days(
    accepted: TidalPlan,
    arrived: dict[tuple[date, int], int],
    last: date,
    rules: StaffingRules,
    before_hour: int | None = None,
) -> list[DayReview]:
    """Each planned day up to ``last``: the plan's hours beside the arrivals of that day; on ``last`` only the
    hours before ``before_hour`` when given (the day under way: its hours that are over)."""
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
        if day == last and before_hour is not None:
            planned = {h: n for h, n in planned.items() if h < before_hour}
            came = {h: n for h, n in came.items() if h < before_hour}
        reviewed.append(review_day(day, planned, forecast_, came, rules))
    return reviewed


def review_inputs(views: ViewDB, centre: str, start: date, last: date) -> dict[tuple[date, int], int]:
    """The centre's window arrivals per (day, hour) from ``start`` to ``last``."""
    return demand.hourly(views, centre, start, last, channel=demand.WINDOW)
