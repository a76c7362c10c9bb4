"""潮汐窗口: Erlang C staffing per working hour from forecast arrivals, against the normal number of windows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from projections.forecast import CLOSED, DAY_TYPE_LABELS, Forecast, Peak

OPEN_HOURS = tuple(range(9, 18))  # 09:00–17:30: the hour slots a window serves
MAX_WINDOWS = 200
WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class StaffingRules:
    """Service assumptions (settings): mean handling time, target wait and share answered within it, normal windows."""

    service_minutes: float = 15.0
    target_wait_minutes: float = 10.0
    service_level: float = 0.8
    normal_windows: int = 4
    peak_margin: float = 0.3


def erlang_c(servers: int, load: float) -> float:
    """Probability an arrival waits (Erlang C) with ``servers`` and offered ``load`` in erlangs (needs load < servers).

    Via the Erlang B recursion B(0)=1, B(n) = A·B(n−1) / (n + A·B(n−1)), then C = N·B / (N − A·(1 − B)):
    stable for hundreds of servers, unlike the factorial sums.
    """
    if load <= 0:
        return 0.0
    if servers <= load:
        return 1.0
    b = 1.0
    for n in range(1, servers + 1):
        b = load * b / (n + load * b)
    return servers * b / (servers - load * (1 - b))


def service_level(servers: int, arrivals_per_minute: float, rules: StaffingRules) -> float:
    """Share of arrivals waiting no longer than the target: 1 − C·e^(−(N−A)·T/S)."""
    load = arrivals_per_minute * rules.service_minutes
    if load <= 0:
        return 1.0
    if servers <= load:
        return 0.0
    wait = math.exp(-(servers - load) * rules.target_wait_minutes / rules.service_minutes)
    return 1 - erlang_c(servers, load) * wait


def windows_needed(arrivals_per_hour: float, rules: StaffingRules) -> int:
    """The fewest windows meeting the service level for this hour's arrivals (0 when nobody comes)."""
    if arrivals_per_hour <= 0:
        return 0
    rate = arrivals_per_hour / 60
    n = max(1, math.ceil(rate * rules.service_minutes))
    while n < MAX_WINDOWS and service_level(n, rate, rules) < rules.service_level:
        n += 1
    return n


@dataclass(frozen=True)
class HourPlan:
    """One hour of one working day."""

    day: date
    hour: int
    arrivals: float
    windows: int
    normal: int
    extra: int


@dataclass(frozen=True)
class DayPlan:
    """One working day: its forecast, peak flag, hours and the most windows any hour needs."""

    day: date
    kind: str
    forecast: float
    peak: bool
    hours: list[HourPlan]

    @property
    def max_windows(self) -> int:
        """The most windows any hour needs."""
        return max((h.windows for h in self.hours), default=0)

    @property
    def max_extra(self) -> int:
        """The most windows beyond normal any hour needs (潮汐 windows to open)."""
        return max((h.extra for h in self.hours), default=0)


def hour_shares(profile: dict[tuple[int, int], float]) -> dict[int, dict[int, float]]:
    """Weekday → hour → share of the day's arrivals (uniform over opening hours where history has none)."""
    uniform = {h: 1 / len(OPEN_HOURS) for h in OPEN_HOURS}
    out: dict[int, dict[int, float]] = {}
    weekdays: dict[int, float] = {}
    for wd in range(7):
        total = sum(v for (d, _), v in profile.items() if d == wd)
        if total > 0:
            out[wd] = {h: v / total for (d, h), v in profile.items() if d == wd}
            weekdays[wd] = total
    workdays = [out[wd] for wd in range(5) if wd in out]
    average = {h: sum(s.get(h, 0.0) for s in workdays) / len(workdays) for h in range(24)} if workdays else uniform
    for wd in range(7):
        out.setdefault(wd, average if wd >= 5 else uniform)
    return out


def plan(
    result: Forecast,
    shares: dict[int, dict[int, float]],
    start: date,
    end: date,
    rules: StaffingRules,
    peaks: list[Peak],
) -> list[DayPlan]:
    """Each open day from ``start`` to ``end`` with hourly windows needed vs the normal number."""
    peak_days = {p.day for p in peaks}
    out: list[DayPlan] = []
    for p in result.points:
        if not start <= p.day <= end or p.kind == CLOSED:
            continue
        share = shares[p.day.weekday()]
        hours = []
        for hour in sorted(h for h, s in share.items() if s > 0):
            arrivals = p.mean * share[hour]
            need = windows_needed(arrivals, rules)
            hours.append(
                HourPlan(
                    p.day, hour, round(arrivals, 2), need, rules.normal_windows, max(0, need - rules.normal_windows)
                )
            )
        out.append(DayPlan(p.day, p.kind, p.mean, p.day in peak_days, hours))
    return out


HEADINGS_ZH = ["日期", "星期", "时段", "预计到达量", "需开窗口数", "常设窗口数", "需增开窗口", "日类型", "高峰预警"]


def plan_cells(days: list[DayPlan]) -> list[list[str | int | float | None]]:
    """The plan as export rows under :data:`HEADINGS_ZH`."""
    rows: list[list[str | int | float | None]] = []
    for d in days:
        for h in d.hours:
            rows.append(
                [
                    d.day.isoformat(),
                    WEEKDAY_LABELS[d.day.weekday()],
                    f"{h.hour:02d}:00–{h.hour + 1:02d}:00",
                    h.arrivals,
                    h.windows,
                    h.normal,
                    h.extra,
                    DAY_TYPE_LABELS[d.kind],
                    "是" if d.peak else "",
                ]
            )
    return rows


@dataclass(frozen=True)
class HourReview:
    """One planned hour after the fact: the windows planned, the arrivals forecast and come, the windows needed."""

    hour: int
    planned_windows: int
    forecast_arrivals: float | None
    arrivals: int
    needed_windows: int
    difference: int  # planned − needed: below 0 too few windows were planned, above 0 too many


@dataclass(frozen=True)
class DayReview:
    """One planned day after the fact."""

    day: date
    hours: list[HourReview]

    @property
    def arrivals(self) -> int:
        """Intakes that day within the reviewed hours."""
        return sum(h.arrivals for h in self.hours)


def review_day(
    day: date,
    planned: dict[int, int],
    forecast: dict[int, float],
    arrived: dict[int, int],
    rules: StaffingRules,
) -> DayReview:
    """Compare a day's plan (hour → windows) with its arrivals (hour → intakes): the windows Erlang C would have
    needed for what came, hour by hour, over the planned hours and any hour people came in."""
    hours = []
    for hour in sorted(set(planned) | {h for h, n in arrived.items() if n > 0}):
        came = arrived.get(hour, 0)
        need = windows_needed(came, rules)
        windows = planned.get(hour, 0)
        hours.append(HourReview(hour, windows, forecast.get(hour), came, need, windows - need))
    return DayReview(day, hours)


def review_summary(days: list[DayReview]) -> dict[str, int | float | None]:
    """Over the reviewed days: hours with too few / enough / too many windows, arrivals forecast and come."""
    hours = [h for d in days for h in d.hours]
    forecast = [h.forecast_arrivals for h in hours if h.forecast_arrivals is not None]
    came = sum(h.arrivals for h in hours)
    total_forecast = round(sum(forecast), 2) if forecast else None
    return {
        "hours": len(hours),
        "hours_short": sum(1 for h in hours if h.difference < 0),
        "hours_matched": sum(1 for h in hours if h.difference == 0),
        "hours_over": sum(1 for h in hours if h.difference > 0),
        "arrivals": came,
        "forecast_arrivals": total_forecast,
        "forecast_error_pct": round(100 * (total_forecast - came) / came, 2)
        if total_forecast is not None and came
        else None,
    }
