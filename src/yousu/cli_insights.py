"""``yousu insights …``: demand forecasts and the 潮汐 window plan from the command line."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from api.routes.forecast import forecast_body, series_forecast, series_history
from application.clock import SettableClock
from projections import demand
from projections.view import QueryError
from yousu.logsetup import configure_logging
from yousu.settings import Settings
from yousu.wiring import build_complaints, build_runner, store_line

insights_app = typer.Typer(help="Demand forecasts and window plans (诉求预测、潮汐窗口)", no_args_is_help=True)


@insights_app.command("forecast")
def forecast_command(
    series: Annotated[str, typer.Option(help="all | centre:<code> | category:<code> | department:<code>")] = "all",
    horizon_weeks: Annotated[int, typer.Option(min=1, max=26)] = 12,
    backtest: Annotated[bool, typer.Option(help="rolling-origin backtest beside seasonal-naive")] = True,
) -> None:
    """Forecast daily volumes (JSON on stdout), from the demand view kept by `yousu project`."""
    settings = Settings()
    configure_logging(settings.log_level)
    typer.echo(store_line(settings), err=True)
    fixed = datetime.fromisoformat(settings.fixed_clock) if settings.fixed_clock else None
    complaints = build_complaints(settings, SettableClock(fixed) if fixed else None)
    runner = build_runner(settings, complaints)
    try:
        runner.setup()
        runner.run_once()  # the demand view up to the newest event
        parsed = demand.Series.parse(series)
        days, counts = series_history(runner.db, complaints, parsed)
        result = series_forecast(days, counts, complaints.calendar, horizon_weeks, with_backtest=backtest)
    except QueryError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        runner.db.close()
        complaints.close()
    typer.echo(json.dumps(forecast_body(parsed, days, result), ensure_ascii=False, indent=1))
