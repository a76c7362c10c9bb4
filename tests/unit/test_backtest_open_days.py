"""The daily backtest is scored over the days the hall is open: a closed day with nobody coming would score
200 % sMAPE against any forecast a hair above zero, and so condemn the smoother model for what nobody plans.

Series over 9 Jun – 21 Sep 2025 (105 days, no holiday, 调休 or 节后 day; weekends closed with 0 intakes):
- seasonal: Mon–Fri 60, 45, 40, 35, 30 plus a three-week noise pattern — the fitted model averages the noise
  out, seasonal-naive (last week repeated) carries last week's noise forward, so the model must win;
- flat: 30 every working day — last week repeated is exactly right, so nothing can beat it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.calendar import WorkingCalendar
from projections.forecast import BEATEN, CLOSED, NOT_BEATEN, day_type, forecast

DAYS = [date(2025, 6, 9) + timedelta(days=i) for i in range(105)]
NOISE = (5, -4, 7, -6, 2, 0, 0, -3, 6, -7, 4, -2, 0, 0, 3, -5, -1, 6, -4, 0, 0)
SEASONAL = [0 if d.weekday() >= 5 else (60, 45, 40, 35, 30)[d.weekday()] + NOISE[i % 21] for i, d in enumerate(DAYS)]
FLAT = [0 if d.weekday() >= 5 else 30 for d in DAYS]
OPEN_SCORED = 3 * 20  # three 28-day windows of four weeks, five open days a week


@pytest.mark.parametrize(
    ("name", "counts", "beats", "note"), [("seasonal", SEASONAL, True, BEATEN), ("flat", FLAT, False, NOT_BEATEN)]
)
def test_the_verdict_follows_the_series(
    name: str, counts: list[int], beats: bool, note: str, calendar: WorkingCalendar
) -> None:
    assert all(day_type(d, calendar) == (CLOSED if d.weekday() >= 5 else "working") for d in DAYS)
    result = forecast(DAYS, counts, 28, calendar)
    assert result.method == "ets"
    bt = result.backtest
    assert bt is not None, name
    assert bt.scored == OPEN_SCORED
    assert bt.beats_baseline is beats, bt
    assert bt.note == note
    assert bt.smape is not None
    assert bt.naive_smape is not None
    assert bt.verdict.startswith(note)
    assert f"sMAPE {bt.smape:g}%" in bt.verdict
    assert f"季节性朴素 {bt.naive_smape:g}%" in bt.verdict
    assert "60 个开放日" in bt.verdict
    assert (bt.verdict in result.notes) is not beats  # a model that loses says so beside the forecast


def test_no_error_above_what_an_open_day_can_score(calendar: WorkingCalendar) -> None:
    # The seasonal series' open days are never zero and the model's forecasts for them never near zero, so no
    # scored day reaches 200 %: a mean sMAPE under 30 % shows the closed days stayed out of the score.
    bt = forecast(DAYS, SEASONAL, 28, calendar).backtest
    assert bt is not None
    assert bt.smape is not None
    assert bt.smape < 30
