"""structlog JSON logs to stderr; stdlib loggers (uvicorn, eventsourcing) routed through the same renderer."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

import structlog


def add_pid(_logger: object, _method: str, event_dict: structlog.types.EventDict) -> structlog.types.EventDict:
    """The process id: `yousu serve --workers N` writes N processes' lines to one stderr."""
    event_dict["pid"] = os.getpid()
    return event_dict


class StderrWriter:
    """structlog's line writer: one rendered line to the process's current stderr, named like a stdlib logger.

    ``sys.stderr`` is looked up at each line (a test may swap it); a closed or broken stream never fails
    the caller, as with ``logging.StreamHandler``. One lock for every writer keeps lines whole.
    """

    def __init__(self, name: str, lock: threading.Lock) -> None:
        self.name = name  # read by ``add_logger_name``
        self._lock = lock

    def msg(self, message: str) -> None:
        """Write and flush one line."""
        stream = sys.stderr
        with self._lock:
            try:
                stream.write(message + "\n")
                stream.flush()
            except (ValueError, OSError):
                return

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


class StderrWriterFactory:
    """A :class:`StderrWriter` per logger name, all behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, *args: Any) -> StderrWriter:
        return StderrWriter(str(args[0]) if args else "", self._lock)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines with timestamp, level, logger, pid, request id (when bound) and the event's fields."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_pid,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # structlog's own lines (the request log above all: one per request) are rendered and written
    # directly, without a stdlib LogRecord and a second formatting pass; stdlib loggers (uvicorn,
    # eventsourcing) still go through the handler below, with the same fields and renderer.
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        logger_factory=StderrWriterFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log would duplicate our request line (and carry query strings): silence it.
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = False
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
