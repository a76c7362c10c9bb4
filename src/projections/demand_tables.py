"""The demand view's tables (诉求量历史, by hour and by department): read by the view and by the history import,
which finds where a centre's own intakes begin."""

from __future__ import annotations

from projections.db import Column, Table
from projections.db import ColumnType as T

DEMAND_HOURLY = Table(
    "yousu_demand_hourly",
    (
        Column("day", T.day),
        Column("hour", T.integer),
        Column("centre", T.text),
        Column("channel", T.text),
        Column("category", T.text),
        Column("n", T.integer, nullable=False),
    ),
    key=("day", "hour", "centre", "channel", "category"),
)
DEMAND_DEPARTMENTS = Table(
    "yousu_demand_departments",
    (Column("day", T.day), Column("department", T.text), Column("n", T.integer, nullable=False)),
    key=("day", "department"),
)
