"""Erlang C staffing of the 潮汐 plan: the formula against hand-computed and closed-form values."""

from __future__ import annotations

import math

import pytest

from projections.staffing import StaffingRules, erlang_c, hour_shares, service_level, windows_needed


def closed_form_c(n: int, a: float) -> float:
    """Erlang C from its textbook sum: (Aⁿ/n!)·n/(n−A) ÷ (Σₖ<ₙ Aᵏ/k! + (Aⁿ/n!)·n/(n−A))."""
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def test_erlang_c_by_hand_and_by_the_closed_form() -> None:
    # N = 3, A = 2: B = (8/6)/(1 + 2 + 2 + 8/6) = 4/19; C = 3B / (3 − 2(1 − B)) = (12/19)/(27/19) = 4/9
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    for n, a in ((11, 10.0), (25, 20.0), (5, 1.5)):
        assert erlang_c(n, a) == pytest.approx(closed_form_c(n, a))
    assert erlang_c(4, 4.0) == 1.0  # no spare capacity: everyone waits
    assert erlang_c(3, 0.0) == 0.0


def test_windows_needed_meets_the_service_level_with_the_fewest_windows() -> None:
    rules = StaffingRules(service_minutes=15, target_wait_minutes=10, service_level=0.8)
    # 4 arrivals an hour at 15 minutes each = 1 erlang. One window: saturated. Two windows:
    # B(2,1) = 0.2, C = 0.4/1.2 = 1/3, P(wait ≤ 10 min) = 1 − (1/3)·e^(−10/15) = 0.829 ≥ 0.8.
    assert windows_needed(4, rules) == 2
    assert service_level(2, 4 / 60, rules) == pytest.approx(1 - math.exp(-10 / 15) / 3)
    for per_hour in (10, 30, 60, 120):
        n = windows_needed(per_hour, rules)
        assert service_level(n, per_hour / 60, rules) >= 0.8
        assert service_level(n - 1, per_hour / 60, rules) < 0.8
    assert windows_needed(0, rules) == 0


def test_hour_shares_from_history_and_uniform_without() -> None:
    shares = hour_shares({(0, 9): 2.0, (0, 10): 6.0})
    assert shares[0] == {9: 0.25, 10: 0.75}
    assert sum(shares[2].values()) == pytest.approx(1.0)  # no Wednesday history: uniform over opening hours
    assert shares[6] == pytest.approx({h: (0.25 if h == 9 else 0.75 if h == 10 else 0.0) for h in range(24)})
