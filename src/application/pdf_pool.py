"""PDF rendering in a few worker processes, each document under a time limit, none holding up the server.

A document is checked against the size limits in the caller's thread (refused at once, no worker taken);
then it waits at most ``queue_wait`` seconds for one of ``workers`` processes (else ``PdfBusy``) and gets
``timeout`` seconds there (else the worker is killed and replaced: ``PdfTimeout``). Two documents never wait
for each other beyond that, and no lock is held across requests. ``close`` kills the workers, so a server
stopping does not wait for a document being rendered: its request ends at once with ``PdfUnavailable``.

The workers are all started on first use and stay (imports and the font's coverage are paid once). When the
cached base font (``documents.build_base_font``) is missing, the first document starts its build in a
process of its own, detached: it finishes (~30 s of CPU) even if this server stops meanwhile, and one
build at a time runs per directory. Documents rendered before it is ready instance every glyph they use.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from application.pdf_worker import HEADER, OK, encode

if TYPE_CHECKING:  # the renderer (fpdf, fontTools) loads with the first document, not with the settings that name
    # this pool's defaults
    from application import documents

log = structlog.get_logger("yousu.pdf")

WORKER = [sys.executable, "-m", "application.pdf_worker"]
REBUILD_AFTER = 600.0  # seconds before a failed or killed base-font build is tried again


class PdfBusy(Exception):
    """Every worker stayed busy longer than the queue wait."""


class PdfTimeout(Exception):
    """The document took longer than the time limit; its worker was killed."""


class PdfUnavailable(Exception):
    """The pool is closing, or the worker failed."""


PDF_WORKERS = 2  # YOUSU_PDF_WORKERS's default: worker processes
PDF_TIMEOUT = 15.0  # YOUSU_PDF_TIMEOUT's default: seconds one document may take


class PdfPool:
    """``workers`` PDF worker processes; ``render`` one document at a time in each."""

    def __init__(
        self,
        *,
        workers: int = PDF_WORKERS,
        timeout: float = PDF_TIMEOUT,
        queue_wait: float = 5.0,
        font_dir: Path | None = None,
    ) -> None:
        self.timeout = timeout
        self.queue_wait = queue_wait
        self.font_dir = font_dir
        self._slots: queue.LifoQueue[subprocess.Popen[bytes] | None] = queue.LifoQueue()  # warm first
        for _ in range(workers):
            self._slots.put(None)  # started on first use
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._build_started: float | None = None
        self._started_all = False

    def render(self, doc: documents.Document) -> bytes:
        """The PDF of ``doc``; ``DocumentTooLarge``, ``PdfBusy``, ``PdfTimeout`` or ``PdfUnavailable``."""
        from application import documents  # noqa: PLC0415 — see TYPE_CHECKING above

        documents.check(doc)
        self._ensure_base_font()
        if not self._started_all:
            self._start_all()
        try:
            worker = self._slots.get(timeout=self.queue_wait)
        except queue.Empty:
            raise PdfBusy from None
        try:
            if worker is None or worker.poll() is not None:
                worker = self._start()
            answer = self._exchange(worker, encode(doc, self.font_dir))
        except BaseException:
            if worker is not None:
                self._kill(worker)
            self._slots.put(None)
            raise
        self._slots.put(worker)
        return answer

    def close(self) -> None:
        """Kill every worker: whatever is rendering ends now (its caller gets ``PdfUnavailable``)."""
        self._closed.set()
        with self._lock:
            running = list(self._running)
        for worker in running:
            self._kill(worker)

    def _start_all(self) -> None:
        """On first use, start every idle worker at once: they load in parallel, each ready when needed."""
        self._started_all = True
        idle: list[subprocess.Popen[bytes] | None] = []
        with contextlib.suppress(queue.Empty):
            while True:
                idle.append(self._slots.get_nowait())
        for slot in idle:
            started = slot
            if started is None:
                with contextlib.suppress(PdfUnavailable, OSError):
                    started = self._start()
            self._slots.put(started)

    def _start(self) -> subprocess.Popen[bytes]:
        if self._closed.is_set():
            raise PdfUnavailable
        worker = subprocess.Popen(  # noqa: S603 — our own interpreter and module, no shell
            WORKER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        with self._lock:
            self._running.add(worker)
        if self._closed.is_set():  # closed while starting
            self._kill(worker)
            raise PdfUnavailable
        return worker

    def _kill(self, worker: subprocess.Popen[bytes]) -> None:
        worker.kill()
        worker.wait()
        for pipe in (worker.stdin, worker.stdout):
            if pipe is not None:
                pipe.close()
        with self._lock:
            self._running.discard(worker)

    def _exchange(self, worker: subprocess.Popen[bytes], request: bytes) -> bytes:
        if worker.stdin is None or worker.stdout is None:  # never: started with both pipes
            raise PdfUnavailable
        deadline = time.monotonic() + self.timeout
        try:
            worker.stdin.write(request)
            worker.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise PdfUnavailable from None
        fd = worker.stdout.fileno()
        data = b""
        need = 1 + HEADER.size
        while len(data) < need:
            if self._closed.is_set():
                raise PdfUnavailable
            left = deadline - time.monotonic()
            if left <= 0:
                log.warning("pdf_timeout", timeout=self.timeout)
                raise PdfTimeout
            ready, _, _ = select.select([fd], [], [], min(left, 0.2))
            if not ready:
                continue
            chunk = os.read(fd, max(need - len(data), 65536))
            if not chunk:  # the worker died (or was killed by close)
                if not self._closed.is_set():
                    log.error("pdf_worker_died", returncode=worker.wait())
                raise PdfUnavailable
            data += chunk
            if len(data) >= 1 + HEADER.size:
                need = 1 + HEADER.size + HEADER.unpack(data[1 : 1 + HEADER.size])[0]
        status, payload = data[:1], data[1 + HEADER.size : need]
        if status == OK:
            return payload
        failure = json.loads(payload)
        if failure.get("error") == "DocumentTooLarge":
            from application import documents  # noqa: PLC0415 — see TYPE_CHECKING above

            raise documents.DocumentTooLarge(str(failure["detail"]))
        log.error("pdf_failed", error=failure.get("error"))
        raise PdfUnavailable

    def _ensure_base_font(self) -> None:
        """Start building the base font if it is missing and no build was started lately."""
        from application import documents  # noqa: PLC0415 — see TYPE_CHECKING above

        if self.font_dir is None or documents.base_font(self.font_dir) is not None:
            return
        with self._lock:
            now = time.monotonic()
            if self._build_started is not None and now - self._build_started < REBUILD_AFTER:
                return
            self._build_started = now
        try:
            self.font_dir.mkdir(parents=True, exist_ok=True)
            subprocess.Popen(  # noqa: S603 — our own interpreter and module, no shell
                [*WORKER, "--build-font", str(self.font_dir)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # detached: finishes even if this server stops first
            )
        except OSError as exc:  # documents are still rendered, each instancing its own glyphs
            log.warning("pdf_font_cache_unusable", font_dir=str(self.font_dir), error=type(exc).__name__)
            return
        log.info("pdf_font_build_started", font_dir=str(self.font_dir))
