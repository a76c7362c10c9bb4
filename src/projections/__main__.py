"""``python -m projections DATABASE_URL``: follow the store until SIGTERM/SIGINT; ``--rebuild`` first rebuilds."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from projections.main import build_runner, run_forever


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m projections", description=__doc__)
    parser.add_argument("database_url")
    parser.add_argument("--page-size", type=int, default=2_000)
    parser.add_argument("--poll-interval", type=float, default=0.05)
    parser.add_argument("--rebuild", action="store_true", help="rebuild every view, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.rebuild:
        runner = build_runner(args.database_url, page_size=args.page_size)
        try:
            runner.rebuild()
        finally:
            runner.db.close()
        return 0
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run_forever(args.database_url, stop, poll_interval=args.poll_interval, page_size=args.page_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
