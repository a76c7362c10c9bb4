"""GET /v1/insights/forecast over a real SQLite store: the demand view counts intakes by local day, the
forecast reads it; bad series are 422 problems naming the parameter."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from uuid import UUID

from fastapi.testclient import TestClient

from application.clock import SettableClock
from application.complaints import ComplaintsApp
from domain.values import Actor, Channel, Complainant, ComplainantType, Role
from projections import demand
from tests.conftest import CST
from tests.support import auth, client_for

CLERK = Actor("c1", "窗口甲", Role.window_clerk)
NOW = datetime(2025, 9, 26, 10, 0, tzinfo=CST)  # Friday


def seed(client: TestClient) -> dict[str, int]:
    """Three weeks of intakes at 10:00 on working days: 3 housing + 1 tax each (nothing on weekends)."""
    per_day = seed_app(client.app.state.container.complaints)  # type: ignore[attr-defined]
    client.app.state.container.catch_up()  # type: ignore[attr-defined]
    return per_day


def seed_app(app: ComplaintsApp) -> dict[str, int]:
    """What :func:`seed` records, on the application itself (the CLI test's store has no HTTP app)."""
    per_day: dict[str, int] = {}
    day = NOW - timedelta(days=21)
    while day < NOW.replace(hour=0):
        if day.weekday() < 5:
            for category in ("housing", "housing", "housing", "tax"):
                app.receive(
                    channel=Channel.window,
                    content="压测诉求",
                    category=category,
                    complainant=Complainant(ComplainantType.person, "王五", "13900002222"),
                    actor=CLERK,
                    received_at=day,
                )
            per_day[day.date().isoformat()] = 4
        day += timedelta(days=1)
    return per_day


def test_forecast_from_the_demand_view(sqlite_url: str) -> None:
    with client_for(sqlite_url, SettableClock(NOW)) as client:
        per_day = seed(client)
        views = client.app.state.container.views  # type: ignore[attr-defined]
        days, counts = demand.daily(
            views, demand.Series("category", "housing"), (NOW - timedelta(days=21)).date(), NOW.date()
        )
        assert dict(zip((d.isoformat() for d in days), counts, strict=True)) == {
            d.isoformat(): (3 if d.isoformat() in per_day else 0) for d in days
        }
        profile = demand.arrivals_profile(views, (NOW - timedelta(days=21)).date(), (NOW - timedelta(days=1)).date())
        assert profile[(0, 10)] == 4.0  # Mondays at ten: four intakes each
        r = client.get("/v1/insights/forecast?series=category:housing&horizon_weeks=2", headers=auth(Role.analyst))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["method"] == "ets"  # three weeks: two seasons of history
        assert body["history"] == {"from": "2025-09-05", "to": "2025-09-25", "days": 21}
        assert len(body["points"]) == 14
        first = body["points"][0]
        assert (first["day"], first["kind"], first["kind_label"]) == ("2025-09-26", "working", "工作日")
        assert abs(first["mean"] - 3) < 0.5
        assert body["backtest"] is None  # too short for three 28-day origins
        sunday = next(p for p in body["points"] if p["day"] == "2025-09-28")
        assert sunday["kind_label"] == "调休上班"


def test_bad_series_and_roles(sqlite_url: str) -> None:
    with client_for(sqlite_url, SettableClock(NOW)) as client:
        r = client.get("/v1/insights/forecast?series=planet:mars", headers=auth(Role.analyst))
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "series" in r.json()["detail"]
        r = client.get("/v1/insights/forecast", headers=auth(Role.analyst))
        assert r.status_code == 200  # nothing received yet: no forecast, and the answer says why
        assert (r.json()["method"], r.json()["points"], r.json()["notes"]) == ("none", [], ["尚无历史诉求量，无法预测"])
        assert r.json()["history"] == {"from": None, "to": None, "days": 0}
        r = client.get("/v1/insights/forecast?horizon_weeks=27", headers=auth(Role.analyst))
        assert r.status_code == 422
        assert client.get("/v1/insights/forecast", headers=auth(Role.window_clerk)).status_code == 403


def test_tidal_plan_hours_windows_xlsx_and_acceptance(sqlite_url: str) -> None:
    with client_for(sqlite_url, SettableClock(NOW), normal_windows=1) as client:
        seed(client)
        analyst, leader = auth(Role.analyst), auth(Role.duty_leader)
        r = client.get("/v1/insights/tidal-plan?centre=district&from=2025-09-29&to=2025-10-03", headers=analyst)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["rules"]["normal_windows"] == 1
        assert [d["day"] for d in body["days"]] == ["2025-09-29", "2025-09-30"]  # 1–3 Oct: National Day, closed
        monday = body["days"][0]
        # every intake came at 10:00: four an hour, 15 minutes each = 1 erlang → two windows (see test_staffing)
        assert [(h["hour"], h["windows"], h["normal"], h["extra"]) for h in monday["hours"]] == [(10, 2, 1, 1)]
        assert monday["extra_windows"] == 1
        assert body["peaks"] == []  # flat history: no peak invented
        assert body["arrivals_by_weekday_hour"]["周一"] == {"10": 4.0}  # four a Monday, all at ten
        assert body["arrivals_by_weekday_hour"]["周六"] == {}
        r = client.get(
            "/v1/insights/tidal-plan?centre=district&from=2025-09-29&to=2025-10-03&format=xlsx", headers=analyst
        )
        assert r.status_code == 200
        with zipfile.ZipFile(io.BytesIO(r.content)) as book:
            strings = "".join(book.read(n).decode() for n in book.namelist() if n.startswith("xl/"))
        for heading in ("日期", "时段", "需开窗口数", "常设窗口数", "需增开窗口", "高峰预警"):
            assert heading in strings
        r = client.get("/v1/insights/tidal-plan?from=2025-09-01", headers=analyst)
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "from"
        r = client.get("/v1/insights/tidal-plan?centre=Bad-Code", headers=analyst)
        assert r.status_code == 422
        accept = {"centre": "district", "from": "2025-09-29", "to": "2025-10-03", "note": "国庆前增开一个窗口"}
        assert client.post("/v1/insights/tidal-plan/accept", json=accept, headers=analyst).status_code == 403
        r = client.post("/v1/insights/tidal-plan/accept", json=accept, headers=leader)
        assert r.status_code == 201, r.text
        assert r.json()["extra_windows"] == {"2025-09-29": 1, "2025-09-30": 1}
        assert r.json()["revision"] == 1
        again = client.post("/v1/insights/tidal-plan/accept", json=accept, headers=leader).json()
        assert (again["id"], again["revision"]) == (r.json()["id"], 2)  # a revision of the same plan, on record
        app = client.app.state.container.complaints  # type: ignore[attr-defined]
        events = list(app.events.get(UUID(again["id"])))
        assert [type(e).__name__ for e in events] == ["Opened", "Accepted", "Accepted"]
        assert events[1].actor.role is Role.duty_leader


def receive_at(client: TestClient, when: datetime, n: int) -> None:
    app = client.app.state.container.complaints  # type: ignore[attr-defined]
    for _ in range(n):
        app.receive(
            channel=Channel.window,
            content="复盘诉求",
            category="housing",
            complainant=Complainant(ComplainantType.person, "王五", "13900002222"),
            actor=CLERK,
            received_at=when,
        )


def test_an_accepted_plan_is_compared_with_what_arrived(sqlite_url: str) -> None:
    clock = SettableClock(NOW)
    with client_for(sqlite_url, clock, normal_windows=1) as client:
        seed(client)
        analyst, leader = auth(Role.analyst), auth(Role.duty_leader)
        period = "centre=district&from=2025-09-29&to=2025-10-03"
        planned = client.get(f"/v1/insights/tidal-plan?{period}", headers=analyst).json()
        forecast_10 = {d["day"]: d["hours"][0]["arrivals"] for d in planned["days"]}  # what the plan expected at ten
        accept = {"centre": "district", "from": "2025-09-29", "to": "2025-10-03"}
        assert client.post("/v1/insights/tidal-plan/accept", json=accept, headers=leader).status_code == 201
        r = client.get(f"/v1/insights/tidal-plan/review?{period}", headers=analyst)
        assert r.status_code == 422  # the period has not begun
        assert r.json()["errors"][0]["field"] == "from"
        clock.set(datetime(2025, 10, 9, 10, 0, tzinfo=CST))  # after National Day
        receive_at(client, datetime(2025, 9, 29, 10, 5, tzinfo=CST), 10)  # Monday: ten at ten …
        receive_at(client, datetime(2025, 9, 29, 14, 5, tzinfo=CST), 2)  # … and two at two, an unplanned hour
        receive_at(client, datetime(2025, 9, 30, 10, 5, tzinfo=CST), 4)  # Tuesday: four at ten, as planned
        client.app.state.container.catch_up()  # type: ignore[attr-defined]
        r = client.get(f"/v1/insights/tidal-plan/review?{period}", headers=analyst)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["complete"] is True
        assert body["accepted_by"]["role"] == "duty_leader"
        # Erlang C, 15 minutes each, 80 % within 10 minutes: 10 an hour = 2.5 erlangs → 4 windows (3 serve only
        # 49.7 %, 4 serve 88.2 %); 2 an hour = 0.5 erlang → 2 (one serves 64.2 %); 4 an hour = 1 erlang → 2
        hours = [
            (d["day"], h["hour"], h["planned_windows"], h["arrivals"], h["needed_windows"], h["difference"])
            for d in body["days"]
            for h in d["hours"]
        ]
        assert hours == [
            ("2025-09-29", 10, 2, 10, 4, -2),
            ("2025-09-29", 14, 0, 2, 2, -2),
            ("2025-09-30", 10, 2, 4, 2, 0),
        ]
        assert [h["forecast_arrivals"] for d in body["days"] for h in d["hours"]] == [
            forecast_10["2025-09-29"],
            None,
            forecast_10["2025-09-30"],
        ]
        assert [(d["planned_max"], d["needed_max"], d["arrivals"]) for d in body["days"]] == [(2, 4, 12), (2, 2, 4)]
        summary = body["summary"]
        assert (summary["hours"], summary["hours_short"], summary["hours_matched"], summary["hours_over"]) == (
            3,
            2,
            1,
            0,
        )
        assert summary["arrivals"] == 16
        expected = round(forecast_10["2025-09-29"] + forecast_10["2025-09-30"], 2)
        assert summary["forecast_arrivals"] == expected
        assert summary["forecast_error_pct"] == round(100 * (expected - 16) / 16, 2)
        r = client.get("/v1/insights/tidal-plan/review?centre=district&from=2025-09-22&to=2025-09-26", headers=analyst)
        assert r.status_code == 404
        assert r.json()["code"] == "plan_not_found"
        assert "潮汐预案" in r.json()["detail"]
        r = client.get(f"/v1/insights/tidal-plan/review?{period}", headers=auth(Role.window_clerk))
        assert r.status_code == 403


def test_weekly_and_monthly_forecasts_and_combined_series(sqlite_url: str) -> None:
    with client_for(sqlite_url, SettableClock(NOW)) as client:
        seed(client)  # 5 … 25 Sep, 4 a working day: whole ISO weeks 8–14 and 15–21 Sep, 20 intakes each
        analyst = auth(Role.analyst)
        r = client.get("/v1/insights/forecast?granularity=week&horizon_weeks=2&backtest=false", headers=analyst)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["granularity"], body["method"]) == ("week", "none")
        assert body["history"] == {"from": "2025-09-08", "to": "2025-09-21", "periods": 2}
        assert body["notes"] == ["历史不足一年（52 个周），仅给出近期平均水平"]
        # no closed-day intakes: a closed day weighs the floor 0.02, so each week had 20 / 5.04 a day;
        # 22–28 Sep has six working days (the 调休 Sunday) and one closed, 29 Sep – 5 Oct two and five
        assert [(p["label"], p["working_days"], p["mean"]) for p in body["points"]] == [
            ("2025-W39", 6, round(20 / 5.04 * 6.02, 2)),
            ("2025-W40", 2, round(20 / 5.04 * 2.10, 2)),
        ]
        assert body["peaks"] == []
        r = client.get("/v1/insights/forecast?granularity=month", headers=analyst)
        assert r.status_code == 200, r.text
        assert (r.json()["points"], r.json()["notes"]) == ([], ["历史不足一个完整的月，无法预测"])
        r = client.get(
            "/v1/insights/forecast?series=centre:district,category:tax&granularity=week&backtest=false",
            headers=analyst,
        )
        assert r.status_code == 200, r.text
        assert r.json()["series"] == "centre:district,category:tax"
        assert r.json()["points"][0]["mean"] == round(5 / 5.04 * 6.02, 2)  # one tax intake a working day
        r = client.get("/v1/insights/forecast?series=department:x,category:tax", headers=analyst)
        assert r.status_code == 422
        assert "series" in r.json()["detail"]
        r = client.get("/v1/insights/forecast?granularity=year", headers=analyst)
        assert r.status_code == 422


def test_a_plan_is_reviewed_on_its_first_day_over_the_hours_that_are_over(sqlite_url: str) -> None:
    clock = SettableClock(NOW)
    with client_for(sqlite_url, clock, normal_windows=1) as client:
        seed(client)
        leader, analyst = auth(Role.duty_leader), auth(Role.analyst)
        accept = {"centre": "district", "from": "2025-09-29", "to": "2025-09-30"}
        assert client.post("/v1/insights/tidal-plan/accept", json=accept, headers=leader).status_code == 201
        clock.set(datetime(2025, 9, 29, 15, 30, tzinfo=CST))  # the plan's first day, half past three
        receive_at(client, datetime(2025, 9, 29, 10, 5, tzinfo=CST), 3)
        receive_at(client, datetime(2025, 9, 29, 15, 10, tzinfo=CST), 1)  # the hour under way: not yet reviewed
        app = client.app.state.container.complaints  # type: ignore[attr-defined]
        app.receive(
            channel=Channel.hotline,
            content="热线工单",
            category="housing",
            complainant=Complainant(ComplainantType.person, "王五", "13900002222"),
            actor=CLERK,
            received_at=datetime(2025, 9, 29, 10, 10, tzinfo=CST),
            external_ref="H-0929-1",
        )  # a hotline work order: nobody queued at a window for it
        client.app.state.container.catch_up()  # type: ignore[attr-defined]
        r = client.get("/v1/insights/tidal-plan/review?centre=district&from=2025-09-29&to=2025-09-30", headers=analyst)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["complete"] is False
        # the hours before 15:00 that were planned or had window arrivals: ten o'clock, three people
        assert [
            (d["day"], [(h["hour"], h["planned_windows"], h["arrivals"]) for h in d["hours"]]) for d in body["days"]
        ] == [("2025-09-29", [(10, 2, 3)])]
        r = client.get("/v1/insights/tidal-plan/review?centre=district&from=2025-09-30&to=2025-09-30", headers=analyst)
        assert r.status_code == 422  # tomorrow's plan: not begun
