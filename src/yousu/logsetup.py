"""structlog JSON logs to stderr; stdlib loggers (uvicorn, eventsourcing) routed through the same renderer."""

from __future__ import annotations

import logging
import os
import sys

import structlog


def add_pid(_logger: object, _method: str, event_dict: structlog.types.EventDict) -> structlog.types.EventDict:
    """The process id: `yousu serve --workers N` writes N processes' lines to one stderr."""
    event_dict["pid"] = os.getpid()
    return event_dict


def configure_logging(level: str = "INFO") -> None:
    """JSON lines with timestamp, level, logger, pid, request id (when bound) and the event's fields."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_pid,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
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
