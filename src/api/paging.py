"""Paging query parameters, bounded in one place: every list route's ``offset`` and ``limit``.

An integer past what SQL's bigint holds (``offset=1e20``) would fail in the database as a 500; bounded
here it is a Chinese 422 problem naming the parameter. A route with a smaller page uses its own
``Annotated[int, Query(ge=1, le=N)]``; none takes an unbounded one (tests/integration/test_paging_bounds.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_OFFSET = 1_000_000
MAX_LIMIT = 1000

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"跳过的条数（0–{MAX_OFFSET}）")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"最多返回的条数（1–{MAX_LIMIT}）")]
