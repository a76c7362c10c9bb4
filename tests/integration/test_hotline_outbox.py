"""The hotline outbox against the simulator (ops/hotline/simulator.py) over real HTTP: order per work order,
each message seen once, backoff while the hotline is down, replay, signatures, two outboxes at once."""

from __future__ import annotations

import importlib.util
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from api.container import Container
from application.clock import SettableClock
from application.complaints import ComplaintsApp
from domain.values import Actor, Channel, Classification, Complainant, ComplainantType, Role
from policies import hotline as outbox
from policies.hotline import HotlineOutbox
from projections.db import ViewDB
from projections.hotline import HOTLINE_MESSAGES, HOTLINE_ORDERS, HotlineView
from projections.runner import ProjectionRunner
from tests.integration.projections_reference import table_rows
from tests.readers import messages_of
from tests.support import CST, settings_for
from yousu.server import build_container, close_container
from yousu.wiring import SweepTask

SIMULATOR = Path(__file__).resolve().parents[2] / "ops" / "hotline" / "simulator.py"
NOW = datetime(2025, 9, 26, 10, 0, tzinfo=CST)
HOTLINE = Actor("h1", "热线戊", Role.hotline)
CLERK = Actor("c1", "窗口甲", Role.window_clerk)
OFFICER = Actor("o1", "值班乙", Role.duty_officer)
LEADER = Actor("l1", "带班丙", Role.duty_leader)
HOUSING = Actor("d1", "住建丁", Role.department, "housing")


def simulator_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hotline_simulator", SIMULATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SIM = simulator_module()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def hotline_at(port: int, *, secret: str | None = None, wrap: Callable[[Any], Any] | None = None) -> Iterator[Any]:
    """The simulator serving on ``port`` (state in memory) until the block ends."""
    hotline = SIM.Hotline(None, secret)
    if wrap is not None:
        wrap(hotline)
    server = ThreadingHTTPServer(("127.0.0.1", port), SIM.handler_for(hotline))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hotline
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def container(sqlite_url: str) -> Iterator[Container]:
    c = build_container(settings_for(sqlite_url), SettableClock(NOW))
    try:
        yield c
    finally:
        close_container(c)


def work_order(app: ComplaintsApp, ref: str) -> Any:
    """A hotline work order taken through 受理 → 分类 → 签字 → 转办 → 会商 → 办结 → 反馈 (seven messages, one skipped event pair)."""
    cid = app.receive(
        channel=Channel.hotline,
        content="小区电梯停运",
        category="housing",
        complainant=Complainant(ComplainantType.person, "赵六", "13900002222"),
        actor=HOTLINE,
        external_ref=ref,
    ).id
    app.classify(cid, classification=Classification.hard_to_do, reason="多部门", actor=CLERK)
    app.sign(cid, opinion="同意", actor=OFFICER)
    app.sign(cid, opinion="同意", actor=LEADER)
    app.dispatch(cid, departments=["housing"], supervisor="督办甲", instructions="限期办理", actor=LEADER)
    app.consult(cid, participants=["housing"], conclusion="住建牵头", actor=LEADER)
    app.resolve(cid, result="已修复", legal_basis=None, actor=HOUSING)
    app.feed_back(cid, method="phone", summary="已告知", actor=CLERK, message_id=None)
    return cid


EXPECTED = ["accepted", "classified", "dispatched", "consulted", "resolved", "fed_back"]


def outbox_for(container: Container, port: int, **kw: Any) -> HotlineOutbox:
    assert container.views is not None
    kw.setdefault("timeout", 2.0)
    return HotlineOutbox(container.views, container.complaints, f"http://127.0.0.1:{port}/work-orders", **kw)


def test_messages_reach_the_hotline_in_order_and_once(container: Container) -> None:
    app = container.complaints
    work_order(app, "HL-1")
    work_order(app, "HL-2")
    assert container.catch_up is not None
    container.catch_up()
    port = free_port()
    box = outbox_for(container, port)
    try:
        with hotline_at(port) as hotline:
            assert box.run_once(NOW) == 12
            assert box.run_once(NOW + timedelta(hours=1)) == 0  # acknowledged: never posted again
        assert [m["type"] for m in hotline.state["work_orders"]["HL-1"]] == EXPECTED
        assert [m["type"] for m in hotline.state["work_orders"]["HL-2"]] == EXPECTED
        assert hotline.state["refused"] == []
        assert hotline.state["duplicates"] == 0
    finally:
        box.close()
    listed = outbox.deliveries(container.views, external_ref="HL-1")  # type: ignore[arg-type]
    assert [d["state"] for d in listed] == ["delivered"] * 6
    assert [d["attempts"] for d in listed] == [1] * 6
    assert listed[0]["attempt_log"][0]["http_status"] == 200


def test_while_the_hotline_is_down_nothing_is_lost_and_order_holds(container: Container) -> None:
    app = container.complaints
    cid = work_order(app, "HL-3")
    assert container.catch_up is not None
    container.catch_up()
    port = free_port()
    box = outbox_for(container, port, base=5.0, cap=60.0)
    views = container.views
    assert views is not None
    try:
        # down: only the first message of the work order is tried, and backs off 5 s, 10 s, 20 s …
        assert box.run_once(NOW) == 1
        assert box.run_once(NOW + timedelta(seconds=4)) == 0
        assert box.run_once(NOW + timedelta(seconds=5)) == 1
        failing = outbox.deliveries(views, failed=True)
        assert [(d["seq"], d["state"], d["attempts"]) for d in failing] == [(1, "failing", 2)]
        assert failing[0]["attempt_log"][-1]["error"] == "ConnectError"
        assert failing[0]["next_attempt_at"] == NOW + timedelta(seconds=15)
        # more happens meanwhile: queued behind the first
        app.call_back(cid, rating=5, comment="满意", actor=HOTLINE, message_id="cb-1")
        container.catch_up()
        with hotline_at(port) as hotline:
            assert box.run_once(NOW + timedelta(seconds=15)) == 7
        assert [m["type"] for m in hotline.state["work_orders"]["HL-3"]] == [*EXPECTED, "called_back"]
        assert hotline.state["refused"] == []
        assert outbox.deliveries(views, failed=True) == []
    finally:
        box.close()


def test_a_receiver_refusing_every_other_post_still_gets_everything_in_order(container: Container) -> None:
    app = container.complaints
    work_order(app, "HL-4")
    work_order(app, "HL-5")
    assert container.catch_up is not None
    container.catch_up()
    port = free_port()

    def flaky(hotline: Any) -> None:
        original = hotline.receive
        count = {"n": 0}

        def receive(body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
            count["n"] += 1
            if count["n"] % 2:
                return 503, {"error": "busy"}
            result: tuple[int, dict[str, Any]] = original(body, headers)
            return result

        hotline.receive = receive

    box = outbox_for(container, port, base=1.0, cap=1.0)
    try:
        with hotline_at(port, wrap=flaky) as hotline:
            at = NOW
            for _ in range(30):
                box.run_once(at)
                at += timedelta(seconds=1)
        assert [m["type"] for m in hotline.state["work_orders"]["HL-4"]] == EXPECTED
        assert [m["type"] for m in hotline.state["work_orders"]["HL-5"]] == EXPECTED
        assert hotline.state["refused"] == []  # never out of order
    finally:
        box.close()


def test_replay_sends_one_work_order_again_with_the_same_keys(container: Container) -> None:
    app = container.complaints
    work_order(app, "HL-6")
    work_order(app, "HL-7")
    assert container.catch_up is not None
    container.catch_up()
    port = free_port()
    box = outbox_for(container, port)
    views = container.views
    assert views is not None
    try:
        with hotline_at(port) as hotline:
            box.run_once(NOW)
            assert outbox.replay(views, "HL-6", NOW + timedelta(minutes=1)) == 6
            assert box.run_once(NOW + timedelta(minutes=1)) == 6
        assert hotline.state["duplicates"] == 6  # the hotline saw each again under its key, applied once
        assert len(hotline.state["work_orders"]["HL-6"]) == 6
        assert [len(d["attempt_log"]) for d in outbox.deliveries(views, external_ref="HL-7")] == [1] * 6
    finally:
        box.close()


def test_messages_are_signed_and_a_wrong_secret_keeps_them_queued(container: Container) -> None:
    work_order(container.complaints, "HL-8")
    assert container.catch_up is not None
    container.catch_up()
    port = free_port()
    wrong = outbox_for(container, port, secret="not-the-secret")
    try:
        with hotline_at(port, secret="the-secret") as hotline:
            assert wrong.run_once(NOW) == 1
            assert hotline.state["refused"][0]["error"] == "bad_signature"
            assert hotline.state["work_orders"] == {}
            right = outbox_for(container, port, secret="the-secret")
            try:
                assert right.run_once(NOW + timedelta(hours=1)) == 6
            finally:
                right.close()
        assert len(hotline.state["work_orders"]["HL-8"]) == 6
    finally:
        wrong.close()


def test_two_outboxes_on_postgres_post_each_work_order_in_order(pg_url: str) -> None:
    container = build_container(settings_for(pg_url), SettableClock(NOW))
    boxes: list[HotlineOutbox] = []
    try:
        for i in range(4):
            work_order(container.complaints, f"HL-PG-{i}")
        assert container.catch_up is not None
        container.catch_up()
        port = free_port()
        boxes = [outbox_for(container, port), outbox_for(container, port)]
        with hotline_at(port) as hotline:
            threads = [threading.Thread(target=lambda b=b: [b.run_once(NOW) for _ in range(3)]) for b in boxes]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        for i in range(4):
            assert [m["type"] for m in hotline.state["work_orders"][f"HL-PG-{i}"]] == EXPECTED
        assert hotline.state["refused"] == []
        assert hotline.state["duplicates"] == 0  # leases: no message posted twice
    finally:
        for b in boxes:
            b.close()
        close_container(container)


def test_simulator_refuses_what_the_contract_does_not_allow() -> None:
    port = free_port()
    with hotline_at(port) as hotline:
        url = f"http://127.0.0.1:{port}/"
        message = {
            "contract": "yousu.hotline/2",
            "message_id": "yousu:X:2",
            "type": "withdrawn",
            "external_ref": "X",
            "seq": 2,
            "previous_seq": 1,
            "occurred_at": "2025-09-26T10:00:00+08:00",
            "data": {"reason": "撤诉"},
        }
        r = httpx.post(url, json=message, headers={"Idempotency-Key": "yousu:X:2"})
        assert (r.status_code, r.json()["error"]) == (409, "out_of_order")
        r = httpx.post(url, json={**message, "data": {}}, headers={"Idempotency-Key": "yousu:X:2"})
        assert (r.status_code, r.json()["error"]) == (422, "invalid")
        r = httpx.post(url, json={**message, "type": "nope"}, headers={"Idempotency-Key": "yousu:X:2"})
        assert (r.status_code, r.json()["error"]) == (422, "unknown_type")
        first = {**message, "message_id": "yousu:X:1", "seq": 1, "previous_seq": 0}
        assert httpx.post(url, json=first, headers={"Idempotency-Key": "yousu:X:1"}).status_code == 200
        assert httpx.post(url, json=first, headers={"Idempotency-Key": "other"}).status_code == 422
        assert httpx.post(url, json=first, headers={"Idempotency-Key": "yousu:X:1"}).json() == {"duplicate": True}
        assert httpx.post(url, json=message, headers={"Idempotency-Key": "yousu:X:2"}).json() == {"accepted": True}
        assert len(hotline.state["work_orders"]["X"]) == 2


def test_the_hotline_view_is_a_fold_page_by_page_as_at_once(container: Container, tmp_path: Path) -> None:
    app = container.complaints
    work_order(app, "HL-F1")
    app.receive(
        channel=Channel.window,
        content="窗口诉求",
        category="housing",
        complainant=Complainant(ComplainantType.person, "李四", "13900000000"),
        actor=CLERK,
    )
    second = work_order(app, "HL-F2")
    app.withdraw(second, reason="撤诉", actor=HOTLINE, message_id="w-1")
    assert container.catch_up is not None
    container.catch_up()  # the service's runner: whole pages
    one_by_one = ProjectionRunner(
        app, [HotlineView(app.calendar)], ViewDB.from_url(f"sqlite:///{tmp_path / 'v.db'}"), page_size=1
    )
    try:
        one_by_one.setup()
        one_by_one.run_once()
        assert container.views is not None
        for table in (HOTLINE_ORDERS, HOTLINE_MESSAGES):
            assert table_rows(one_by_one.db, table) == table_rows(container.views, table)
        # written from the rule: seq is the event's number (the two signatures are not sent), previous_seq the one before
        rows = messages_of(one_by_one.db, "HL-F2")
        assert [(r["seq"], r["previous_seq"], r["type"]) for r in rows] == [
            (1, 0, "accepted"),
            (2, 1, "classified"),
            (5, 2, "dispatched"),
            (6, 5, "consulted"),
            (7, 6, "resolved"),
            (8, 7, "fed_back"),
            (9, 8, "withdrawn"),
        ]
        assert len(table_rows(one_by_one.db, HOTLINE_ORDERS)) == 2  # the window complaint is no work order
    finally:
        one_by_one.db.close()


class BrokenSweeper:
    """A deadline sweep that fails every time (a complaint it cannot load, a connection lost mid-way)."""

    def sweep(self) -> object:
        msg = "the sweep failed"
        raise RuntimeError(msg)


def test_a_failing_sweep_does_not_hold_back_the_hotline(sqlite_url: str) -> None:
    port = free_port()
    settings = settings_for(sqlite_url, hotline_url=f"http://127.0.0.1:{port}/work-orders", hotline_timeout=2.0)
    container = build_container(settings, SettableClock(NOW))
    try:
        work_order(container.complaints, "HL-9")
        assert container.catch_up is not None
        container.catch_up()
        assert container.views is not None
        task = SweepTask(settings, container.complaints, container.views)
        task.sweeper = BrokenSweeper()  # type: ignore[assignment]
        try:
            with hotline_at(port) as hotline, pytest.raises(RuntimeError, match="the sweep failed"):
                task()  # the loop is told (it logs and counts the failure) …
            # … after the other steps ran: every update of the work order reached the hotline
            assert [m["type"] for m in hotline.state["work_orders"]["HL-9"]] == EXPECTED
        finally:
            task.close()
    finally:
        close_container(container)
