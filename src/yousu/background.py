"""Background work inside `yousu serve` on the embedded default: loops that never take the service down."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger("yousu.background")


@dataclass
class Periodic:
    """Runs ``task`` every ``interval`` seconds until stopped; a failure is logged and retried next time."""

    name: str
    interval: float
    task: Callable[[], object]
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    runs: int = 0
    failures: int = 0

    def start(self) -> Periodic:
        """Start the loop in a daemon thread."""
        self.thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self.thread.start()
        return self

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                self.task()
                self.runs += 1
            except Exception:
                self.failures += 1
                log.exception("background_task_failed", task=self.name)
            self.stop.wait(self.interval)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the loop and wait for it."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout)
