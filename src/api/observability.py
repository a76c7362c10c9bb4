"""Prometheus metrics: HTTP requests, commands by outcome, projection lag, webhook and hotline backlogs (`/metrics`).

Labels are route templates, command kinds and problem codes only — never a complaint id, actor,
name or phone — so the scrape needs no token and carries no personal information.

With ``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts: prometheus_client chooses its
value store at import), every process writes its counters and histograms to files there and a
scrape of any one of them sums all (``multiprocess.MultiProcessCollector``). Projection lag and
webhook backlog are read from the database at scrape time, so they need no sharing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import Scope

from api.container import Container
from policies.delivery import backlog
from policies.hotline import HOTLINE_DELIVERIES
from projections import tracking

HTTP_REQUESTS = Counter(
    "yousu_http_requests_total", "HTTP requests by method, route template and status", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "yousu_http_request_duration_seconds",
    "HTTP request duration by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
COMMANDS = Counter(
    "yousu_commands_total",
    "Complaint commands by kind and outcome (ok, refused, conflict, unavailable, error) with the problem code",
    ["kind", "outcome", "code"],
)


@cache
def _group_commit_metrics() -> tuple[Histogram, Histogram]:
    """The group-commit histograms, made on first use: a histogram without labels writes its files in
    ``PROMETHEUS_MULTIPROC_DIR`` when made, and made at import it would fail before the start-up check
    could name a missing directory."""
    batch = Histogram(
        "yousu_group_commit_batch_size",
        "Commands and audited reads committed together in one transaction (group commit)",
        buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
    )
    seconds = Histogram(
        "yousu_group_commit_seconds",
        "Time one group commit took, from taking the batch to answering its members",
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    )
    return batch, seconds


COMMAND_PREFIX = "/v1/complaints"
CONFLICT_CODES = frozenset({"concurrent_change", "version_mismatch"})  # someone else changed it first: retry
UNMATCHED = "unmatched"  # any path no route knows: one label, whatever the client sent
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})  # others: "other", one series


def command_kind(method: str, route: str) -> str | None:
    """``receive`` for POST /v1/complaints, the last segment for POST /v1/complaints/{id}/<command>, else None."""
    if method != "POST" or not route.startswith(COMMAND_PREFIX):
        return None
    if route == COMMAND_PREFIX:
        return "receive"
    return route.rsplit("/", 1)[1]


def command_outcome(status: int, code: str | None) -> tuple[str, str]:
    """(outcome, code) of a command's answer."""
    if 200 <= status < 300:
        return "ok", ""
    if status == 503:
        return "unavailable", code or "store_unavailable"
    if code in CONFLICT_CODES:
        return "conflict", code
    if status >= 500:
        return "error", code or "internal_error"
    return "refused", code or {413: "body_too_large"}.get(status, f"http_{status}")


def observe_batch(size: int, seconds: float) -> None:
    """Record one group commit (ComplaintsApp.group_commit's observer)."""
    batch, took = _group_commit_metrics()
    batch.observe(size)
    took.observe(seconds)


def count(scope: Scope, status: int, seconds: float) -> None:
    """Count one HTTP request by route template and final status, and a command by outcome.

    Called last by :class:`api.middleware.RequestMiddleware`, so it sees the status the client got, the
    body limit's 413 and the error boundary's 500 included. The problem code comes from
    ``scope["state"]["problem_code"]``, which ``api.problems.problem`` sets.
    """
    method = str(scope.get("method", ""))
    method = method if method in METHODS else "other"
    route = str(getattr(scope.get("route"), "path", UNMATCHED))
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)
    kind = command_kind(method, route)
    if kind is not None:
        code = (scope.get("state") or {}).get("problem_code")
        outcome, label = command_outcome(status, code if isinstance(code, str) else None)
        COMMANDS.labels(kind, outcome, label).inc()


class StoreCollector:
    """Projection lag per view and the webhook backlog, read at scrape time within the store guard's deadline."""

    def __init__(self, container: Container) -> None:
        self.container = container

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Gauges from the database; ``yousu_store_up`` 0 (and nothing else) when it cannot be read in time."""
        container = self.container
        up = GaugeMetricFamily("yousu_store_up", "1 when the scrape could read the store and the views")
        views = container.views
        if views is None:
            up.add_metric([], 1.0)
            yield up
            return
        try:
            newest = container.guard.call(container.complaints.max_notification_id)
            lags = container.guard.call(lambda: tracking.lag(views, newest))
            undelivered = container.guard.call(lambda: backlog(views))
            hotline = container.guard.call(lambda: backlog(views, HOTLINE_DELIVERIES))
        except Exception:  # a scrape never fails on a database outage: it says so
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        lag = GaugeMetricFamily("yousu_projection_lag_events", "Events the view has not applied yet", labels=["view"])
        for name, behind in sorted(lags.items()):
            lag.add_metric([name], float(behind))
        yield lag
        yield GaugeMetricFamily(
            "yousu_webhook_backlog", "Escalation notices queued for a webhook and not yet delivered", value=undelivered
        )
        yield GaugeMetricFamily(
            "yousu_hotline_backlog",
            "12345 work-order updates queued and not yet acknowledged by the hotline",
            value=hotline,
        )


class _ProcessMetrics:
    """This process's own metrics (the default registry), for a scrape outside multiprocess mode."""

    def collect(self) -> Iterator[Any]:
        """Everything registered in the default registry."""
        yield from REGISTRY.collect()


def multiprocess_dir() -> str | None:
    """``PROMETHEUS_MULTIPROC_DIR`` when set: several worker processes share their metrics there."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def check_multiprocess_dir() -> None:
    """Refuse to start when PROMETHEUS_MULTIPROC_DIR names no directory: no request could be counted."""
    path = multiprocess_dir()
    if path is not None and not os.path.isdir(path):
        msg = f"PROMETHEUS_MULTIPROC_DIR={path} is not a directory: create it (empty) before starting"
        raise ValueError(msg)


def exposition(container: Container) -> bytes:
    """The text exposition of one scrape: process (or all processes') metrics plus the store's gauges."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
    else:
        registry.register(_ProcessMetrics())
    store: Collector = StoreCollector(container)
    registry.register(store)
    return generate_latest(registry)


router = APIRouter(tags=["ops"])


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus scrape (no token: the intranet's scraper; no personal information in any label)."""
    container: Container = request.app.state.container
    return Response(exposition(container), media_type=CONTENT_TYPE_LATEST)
