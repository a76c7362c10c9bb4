"""Forecast throughput: 500 series, 12 weeks ahead by day, 12 weeks by week, 3 months by month. Target: < 30 s each.

    .venv/bin/python bench/forecast.py                   # 500 series at each granularity, all cores
    .venv/bin/python bench/forecast.py --series 20 --workers 1 --backtest --granularity week

Series are generated (weekly pattern, a November peak, holidays closed, 节后 surge; levels 5–200 a day) and
forecast with the same functions the API uses, in a process pool (fits are CPU-bound and single-threaded
each). Daily series get ``--history-days`` (a year); weekly and monthly ones three years, so that the yearly
season has two cycles and the model is ETS.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread per fit: the pool gives the parallelism
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

import numpy as np  # noqa: E402 — imports follow the sys.path set-up above
from yardstick import anchor_line, quiet_logs  # noqa: E402 — bench/yardstick.py, beside this script

from application.calendar_loader import load_calendar  # noqa: E402 — imports follow the sys.path set-up above
from projections.forecast import AFTER_BREAK, CLOSED, day_type, forecast  # noqa: E402 — imports follow the sys.path set-up above
from projections.period_forecast import MAX_PERIOD_HISTORY_DAYS, forecast_periods  # noqa: E402 — as above

TARGET_S = 30.0
END = date(2025, 8, 31)
WEEKDAY = (1.25, 1.10, 1.00, 0.95, 0.90)
_CAL = load_calendar(ROOT / "ops" / "calendar")


def _series(seed: int, days: list[date]) -> list[int]:
    rng = np.random.default_rng(seed)
    level = rng.uniform(5, 200)
    out = []
    for d in days:
        kind = day_type(d, _CAL)
        season = 1.5 if d.month == 11 else 1.0
        mean = 0.05 * level if kind == CLOSED else level * season * (WEEKDAY[d.weekday()] if d.weekday() < 5 else 1.0)
        out.append(int(rng.poisson(mean * (1.8 if kind == AFTER_BREAK else 1.0))))
    return out


def one(args: tuple[int, int, bool, str]) -> str:
    """Generate and forecast one series; returns its method."""
    seed, history, backtest, granularity = args
    days = [END - timedelta(days=history - 1 - i) for i in range(history)]
    if granularity == "day":
        return forecast(days, _series(seed, days), 84, _CAL, with_backtest=backtest).method
    return forecast_periods(days, _series(seed, days), granularity, _CAL, with_backtest=backtest).method


def main() -> None:
    """Forecast and time."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--series", type=int, default=500)
    p.add_argument("--history-days", type=int, default=365)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--backtest", action="store_true", help="also run the rolling-origin backtest (7 fits a series)")
    p.add_argument("--granularity", default="day,week,month", help="comma-separated: day, week, month")
    args = p.parse_args()
    quiet_logs()
    ahead = {"day": "84 days", "week": "12 weeks", "month": "3 months"}
    for granularity in args.granularity.split(","):
        history = args.history_days if granularity == "day" else MAX_PERIOD_HISTORY_DAYS
        jobs = [(seed, history, args.backtest, granularity) for seed in range(args.series)]
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            methods = list(pool.map(one, jobs, chunksize=max(1, args.series // (args.workers * 4))))
        took = time.perf_counter() - started
        verdict = "meets" if took < TARGET_S else "MISSES"
        print(
            f"forecasts for {args.series} series by {granularity} ({history} days of history, {ahead[granularity]} "
            f"ahead, {'with' if args.backtest else 'without'} backtest, {args.workers} workers): {took:.1f} s, "
            f"{1000 * took / args.series:.0f} ms a series; methods {sorted(set(methods))} "
            f"({verdict} the {TARGET_S:.0f} s target)"
        )
    print(anchor_line())


if __name__ == "__main__":
    main()
