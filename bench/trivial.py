"""The ceiling: a trivial FastAPI app under the same uvicorn as `yousu serve` (same options, same worker count).

Usage: python bench/trivial.py --port 8001 [--workers 2]
"""

from __future__ import annotations

import argparse
import socket

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def root() -> dict[str, str]:
    """Nothing: what uvicorn + FastAPI answer here at all."""
    return {"status": "ok"}


def main() -> None:
    """Serve ``app`` as `yousu serve` serves its own (TCP_NODELAY on the shared socket with workers)."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workers", type=int, default=1)
    args = p.parse_args()
    if args.workers == 1:
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False)
        return
    from uvicorn.supervisors.multiprocess import Multiprocess  # noqa: PLC0415 — only with workers

    config = uvicorn.Config(
        "bench.trivial:app", workers=args.workers, host="127.0.0.1", port=args.port, log_config=None, access_log=False
    )
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


if __name__ == "__main__":
    main()
