"""Serving freezes what start-up built: full collections then skip it (they paused requests for up to 1.4 s)."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from yousu.server import settle_heap


def test_settle_heap_moves_start_up_objects_out_of_the_collector() -> None:
    kept = [{"start-up": i} for i in range(1000)]  # objects alive at start-up, as reference data would be
    try:
        settle_heap(FastAPI())
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
