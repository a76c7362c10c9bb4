"""Demand forecasts on generated data with known seasonality and peaks, and on flat data (no peaks invented).

Generator (``weekly``): on a regular working day the intakes are Poisson with mean 40 × the weekday factor
(Mon 1.25, Tue 1.10, Wed 1.00, Thu 0.95, Fri 0.90); on a 调休 working weekend 40; on a closed day (weekend or
holiday) Poisson(2); on the first working day after a break of three or more closed days (节后) the mean is
1.8 × the regular one. The true peaks in the horizon from 2025-09-01 are therefore the 节后 days: Thu 9 Oct
2025 (after National Day, mean 1.8 × 38 = 68.4). Flat data: Poisson(30) every working day, 1 on closed days.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from domain.calendar import WorkingCalendar
from projections.forecast import AFTER_BREAK, CLOSED, MAKE_UP, day_type, forecast, peaks

WEEKDAY = (1.25, 1.10, 1.00, 0.95, 0.90)
START, END = date(2024, 1, 1), date(2025, 8, 31)
DAYS = [START + timedelta(days=i) for i in range((END - START).days + 1)]
TODAY = END + timedelta(days=1)


def true_mean(day: date, calendar: WorkingCalendar) -> float:
    kind = day_type(day, calendar)
    if kind == CLOSED:
        return 2.0
    base = 40 * (WEEKDAY[day.weekday()] if day.weekday() < 5 else 1.0)
    return base * 1.8 if kind == AFTER_BREAK else base


def weekly(calendar: WorkingCalendar, seed: int = 3) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int(rng.poisson(true_mean(d, calendar))) for d in DAYS]


def flat(calendar: WorkingCalendar, seed: int = 5) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int(rng.poisson(1 if day_type(d, calendar) == CLOSED else 30)) for d in DAYS]


@pytest.fixture(scope="module")
def seasonal(calendar: WorkingCalendar):  # type: ignore[no-untyped-def]
    return forecast(DAYS, weekly(calendar), 84, calendar)


def test_weekly_pattern_and_holidays_are_recovered(seasonal, calendar: WorkingCalendar) -> None:  # type: ignore[no-untyped-def]
    assert seasonal.method == "ets"
    by_day = {p.day: p for p in seasonal.points}
    assert len(seasonal.points) == 84
    week = [by_day[date(2025, 9, 15) + timedelta(days=i)] for i in range(5)]  # a regular Mon–Fri
    for p in week:
        truth = true_mean(p.day, calendar)
        assert abs(p.mean - truth) / truth < 0.15, (p.day, p.mean, truth)
        assert p.lower <= truth <= p.upper
    assert week[0].mean > week[2].mean > week[4].mean  # Monday busiest, Friday quietest
    for i in range(1, 9):  # National Day and the Mid-Autumn holiday: closed
        assert by_day[date(2025, 10, i)].mean < 5
    assert by_day[date(2025, 9, 28)].kind == MAKE_UP  # the 调休 Sunday is a working day
    assert by_day[date(2025, 9, 28)].mean > 30


def test_the_true_peak_is_forecast_and_flagged_with_its_lead_time(seasonal, calendar: WorkingCalendar) -> None:  # type: ignore[no-untyped-def]
    after = next(p for p in seasonal.points if p.day == date(2025, 10, 9))
    assert after.kind == AFTER_BREAK
    assert after.lower <= true_mean(after.day, calendar) <= after.upper
    flagged = peaks(seasonal, 0.3, TODAY)
    assert [p.day for p in flagged] == [date(2025, 10, 9)]
    assert flagged[0].lead_days == 38
    assert flagged[0].ratio > 1.3


def test_backtest_reports_both_errors_beside_seasonal_naive(seasonal) -> None:  # type: ignore[no-untyped-def]
    bt = seasonal.backtest
    assert bt is not None
    assert (bt.origins, bt.horizon_days) == (3, 28)
    assert None not in (bt.mape, bt.smape, bt.naive_mape, bt.naive_smape)
    assert bt.smape is not None
    assert bt.naive_smape is not None
    assert bt.beats_baseline == (bt.smape < bt.naive_smape)


def test_flat_data_invents_no_peaks(calendar: WorkingCalendar) -> None:
    result = forecast(DAYS, flat(calendar), 84, calendar, with_backtest=False)
    open_days = [p for p in result.points if p.kind != CLOSED]
    assert all(abs(p.mean - 30) < 6 for p in open_days), [(p.day, p.mean) for p in open_days if abs(p.mean - 30) >= 6]
    assert peaks(result, 0.3, TODAY) == []


def test_a_perfectly_repeating_week_is_not_beaten_and_the_answer_says_so(calendar: WorkingCalendar) -> None:
    # 9 Jun – 21 Sep 2025: no holiday, 调休 or 节后 day, so last week repeated is exactly right
    days = [date(2025, 6, 9) + timedelta(days=i) for i in range(105)]
    assert all(day_type(d, calendar) == (CLOSED if d.weekday() >= 5 else "working") for d in days)
    counts = [(10, 20, 30, 40, 50, 0, 0)[d.weekday()] for d in days]
    result = forecast(days, counts, 28, calendar)
    bt = result.backtest
    assert bt is not None
    assert bt.naive_smape == 0.0
    assert not bt.beats_baseline
    assert "未优于季节性朴素预测" in bt.note
    assert any("未优于" in n for n in result.notes)


def test_short_history_falls_back_to_seasonal_naive(calendar: WorkingCalendar) -> None:
    days = DAYS[-10:]
    result = forecast(days, weekly(calendar)[-10:], 14, calendar)
    assert result.method == "seasonal_naive"
    assert result.backtest is None
    assert any("季节性朴素" in n for n in result.notes)
    nothing = forecast(DAYS[-3:], [1, 2, 3], 7, calendar)
    assert nothing.method == "none"
