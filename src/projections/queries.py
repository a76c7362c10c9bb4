"""Transitional re-exports: each view module now owns its queries, and tracking.py the positions.

Kept only for callers outside src/projections (api/, yousu/) until they import from the view modules;
no SQL lives here.
"""

from __future__ import annotations

from projections.ledger import (
    LEDGER_COLUMNS_ZH,
    LedgerFilter,
    LedgerPage,
    decode_cursor,
    encode_cursor,
    ledger_export_values,
    ledger_get,
    ledger_iter,
    ledger_page,
)
from projections.metrics import MetricsGroup, metrics, split_period
from projections.sla import OverduePage, complaint_clocks, overdue
from projections.tracking import lag, positions, wait_until
from projections.view import QueryError

__all__ = [
    "LEDGER_COLUMNS_ZH",
    "LedgerFilter",
    "LedgerPage",
    "MetricsGroup",
    "OverduePage",
    "QueryError",
    "complaint_clocks",
    "decode_cursor",
    "encode_cursor",
    "lag",
    "ledger_export_values",
    "ledger_get",
    "ledger_iter",
    "ledger_page",
    "metrics",
    "overdue",
    "positions",
    "split_period",
    "wait_until",
]
