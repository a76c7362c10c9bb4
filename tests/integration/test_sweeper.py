"""The deadline sweeper over real stores: levels at the right instants, inbox copies, exactly once under races."""

from __future__ import annotations

import threading
from datetime import datetime

from fastapi.testclient import TestClient

from application.clock import SettableClock
from domain.rules import ClockKind
from domain.values import Role
from policies.sweeper import Sweeper
from tests.conftest import CST
from tests.support import auth, client_for, receive_body
from yousu.wiring import build_runner

CLERK, OFFICER, LEADER = auth(Role.window_clerk), auth(Role.duty_officer), auth(Role.duty_leader)


def dispatched_cannot_do(client: TestClient) -> str:
    cid: str = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
    client.post(f"/v1/complaints/{cid}/classify", json={"classification": "cannot_do"}, headers=CLERK)
    client.post(f"/v1/complaints/{cid}/sign", json={}, headers=OFFICER)
    client.post(f"/v1/complaints/{cid}/sign", json={}, headers=LEADER)
    r = client.post(
        f"/v1/complaints/{cid}/dispatch", json={"departments": ["housing"], "supervisor": "李督办"}, headers=LEADER
    )
    assert r.json()["due_at"].startswith("2025-09-28T17:30")  # Friday + 1 working day = the 调休 Sunday
    return cid


def sweeper_of(client: TestClient) -> Sweeper:
    container = client.app.state.container  # type: ignore[attr-defined]
    container.catch_up()
    return Sweeper(container.complaints, container.views)


def escalations(client: TestClient, cid: str) -> list[tuple[str, int]]:
    state = client.get(f"/v1/complaints/{cid}", headers=auth(Role.liaison)).json()
    return sorted((e["clock"], e["level"]) for e in state["escalations"])


def test_cannot_do_left_unresolved_escalates_then_reaches_the_liaison(pg_url: str) -> None:
    """End to end over HTTP with an injected clock (docs/design.md §1: level 1, then 抄送纪检 at level 2)."""
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))
    with client_for(pg_url, clock) as client:
        cid = dispatched_cannot_do(client)
        sweeper = sweeper_of(client)
        clock.set(datetime(2025, 9, 28, 17, 0, tzinfo=CST))  # before the deadline
        sweeper.sweep()
        assert ("resolution", 1) not in escalations(client, cid)
        clock.set(datetime(2025, 9, 28, 17, 31, tzinfo=CST))
        sweeper.sweep()
        assert ("resolution", 1) in escalations(client, cid)
        assert ("resolution", 2) not in escalations(client, cid)
        client.app.state.container.catch_up()  # type: ignore[attr-defined]
        leader_inbox = client.get("/v1/inbox", headers=LEADER).json()["items"]
        assert any(i["complaint_id"] == cid and i["level"] == 1 for i in leader_inbox)
        clock.set(datetime(2025, 9, 29, 17, 31, tzinfo=CST))  # one working day later, still unresolved
        sweeper.sweep()
        assert ("resolution", 2) in escalations(client, cid)
        client.app.state.container.catch_up()  # type: ignore[attr-defined]
        inbox = client.get("/v1/liaison/inbox", headers=auth(Role.liaison)).json()["items"]
        mine = [i for i in inbox if i["complaint_id"] == cid]
        assert [(i["clock"], i["level"]) for i in mine] == [("resolution", 2)]
        assert "liaison" in mine[0]["recipients"]
        ledger = client.get("/v1/ledger", headers=auth(Role.analyst)).json()["items"]
        row = next(r for r in ledger if r["id"] == cid)
        assert row["overdue"] is True
        assert row["overdue_level"] == 2
        history = client.get(f"/v1/complaints/{cid}/history", headers=auth(Role.liaison)).json()["events"]
        raised = [e for e in history if e["type"] == "Escalated" and e["payload"]["clock"] == "resolution"]
        assert all(e["actor"]["role"] == "system" for e in raised)
        assert {e["payload"]["level"] for e in raised} == {1, 2}
        sweeper.sweep()  # nothing more to do
        assert len([e for e in escalations(client, cid) if e[0] == "resolution"]) == 2


def test_bad_rating_raises_a_rectification_notice(pg_url: str) -> None:
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))
    with client_for(pg_url, clock) as client:
        cid = client.post("/v1/complaints", json=receive_body(), headers=CLERK).json()["id"]
        for verb, body in [
            ("classify", {"classification": "general"}),
            ("resolve", {"result": "当场解答"}),
            ("feedback", {"method": "当面"}),
            ("callback", {"rating": 1}),
        ]:
            assert client.post(f"/v1/complaints/{cid}/{verb}", json=body, headers=CLERK).status_code == 200
        sweeper_of(client).sweep()
        assert ("rectification", 0) in escalations(client, cid)
        client.app.state.container.catch_up()  # type: ignore[attr-defined]
        inbox = client.get("/v1/liaison/inbox", headers=auth(Role.liaison)).json()["items"]
        assert any(i["complaint_id"] == cid and i["clock"] == "rectification" for i in inbox)


def test_racing_sweepers_raise_each_escalation_once(pg_url: str) -> None:
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))
    with client_for(pg_url, clock) as client:
        ids = [dispatched_cannot_do(client) for _ in range(6)]
        client.app.state.container.catch_up()  # type: ignore[attr-defined]
        clock.set(datetime(2025, 10, 20, 9, 0, tzinfo=CST))  # long past level 2
        settings_url = pg_url
        from tests.support import settings_for  # noqa: PLC0415 — imported where used, in a test or helper run rarely
        from yousu.wiring import build_complaints  # noqa: PLC0415 — imported where used, in a test or helper run rarely

        sweepers = []
        for _ in range(4):  # four independent sweepers, each with its own application and pool
            app = build_complaints(settings_for(settings_url), clock)
            sweepers.append(Sweeper(app, build_runner(settings_for(settings_url), app).db))
        barrier = threading.Barrier(len(sweepers))

        def run(s: Sweeper) -> None:
            barrier.wait()
            s.sweep()

        threads = [threading.Thread(target=run, args=(s,)) for s in sweepers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for cid in ids:
            assert [e for e in escalations(client, cid) if e[0] == ClockKind.resolution.value] == [
                ("resolution", 1),
                ("resolution", 2),
            ]
            state = client.get(f"/v1/complaints/{cid}", headers=auth(Role.liaison)).json()
            keys = [(e["clock"], e["level"], e["round"]) for e in state["escalations"]]
            assert len(keys) == len(set(keys))
        for s in sweepers:
            s.app.close()
            s.views.close()


def test_racing_sweep_processes_raise_each_escalation_once(pg_url: str) -> None:
    """Three `yousu sweep --once` processes started together on one PostgreSQL."""
    import os  # noqa: PLC0415 — imported where used, in a test or helper run rarely
    import subprocess  # noqa: PLC0415 — imported where used, in a test or helper run rarely
    from pathlib import Path  # noqa: PLC0415 — imported where used, in a test or helper run rarely

    from tests.support import CIPHER_KEY, SECRET  # noqa: PLC0415 — imported where used, in a test or helper run rarely

    root = Path(__file__).resolve().parents[2]
    clock = SettableClock(datetime(2025, 9, 26, 10, 0, tzinfo=CST))
    with client_for(pg_url, clock) as client:
        ids = [dispatched_cannot_do(client) for _ in range(5)]
        client.app.state.container.catch_up()  # type: ignore[attr-defined]
        env = {
            **os.environ,
            "YOUSU_DATABASE_URL": pg_url,
            "YOUSU_AUTH_SECRET": SECRET,
            "YOUSU_CIPHER_KEY": CIPHER_KEY,
            "YOUSU_FIXED_CLOCK": "2025-10-20T09:00:00+08:00",
        }
        procs = [
            subprocess.Popen(
                [str(root / ".venv" / "bin" / "yousu"), "sweep", "--once"],
                env=env,
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        raised = sum(int(out.split("新发起升级 ")[1].split(" 个")[0]) for out, _ in outs)
        assert raised == 2 * len(ids)  # level 1 and level 2 for each, across all three processes
        for cid in ids:
            assert [e for e in escalations(client, cid) if e[0] == "resolution"] == [
                ("resolution", 1),
                ("resolution", 2),
            ]
