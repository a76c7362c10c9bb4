"""A small 12345 hotline receiver: validates every work-order update against the contract and checks order.

    python ops/hotline/simulator.py --port 8412 --state var/hotline-sim.json [--secret KEY]

POST any path with a message (see README.md here). The answer:

- 200 ``{"accepted": true}``: valid, the next message of its work order (``previous_seq`` is the
  ``seq`` it saw last for that ``external_ref``, 0 for the first); remembered.
- 200 ``{"duplicate": true}``: a message id already accepted (at-least-once delivery: counted, not applied twice).
- 401 a wrong or missing ``X-Yousu-Signature`` (when started with ``--secret``).
- 409 ``{"error": "out_of_order", "expected_previous_seq": n}``: a message whose predecessor was not received.
- 422 not JSON, an unknown ``type``, a body its schema refuses, or ``Idempotency-Key`` ≠ ``message_id``.

``GET /state`` answers what it received: every accepted message per work order, the duplicates and
the refusals. The state is written to ``--state`` after every accepted message and read back at start,
so the checks hold across a restart (the e2e tests stop it and start it again).
Only the standard library and ``jsonschema`` are needed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE / "schemas"


def load_validators(directory: Path = SCHEMAS) -> dict[str, Draft202012Validator]:
    """One validator per message type, from ``<type>.schema.json``."""
    out = {}
    for path in sorted(directory.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        out[path.name.removesuffix(".schema.json")] = Draft202012Validator(schema, format_checker=FormatChecker())
    return out


class Hotline:
    """What the simulated hotline has accepted, and the checks."""

    def __init__(self, state_path: Path | None, secret: str | None) -> None:
        self.validators = load_validators()
        self.state_path = state_path
        self.secret = secret
        self.lock = threading.Lock()
        self.state: dict[str, Any] = {"work_orders": {}, "seen": [], "duplicates": 0, "refused": []}
        if state_path is not None and state_path.is_file():
            self.state = json.loads(state_path.read_text(encoding="utf-8"))

    def receive(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Check one POST; answers (status, JSON body)."""
        with self.lock:
            status, answer = self._check(body, headers)
            if status >= 400:
                self.state["refused"].append({"status": status, **answer})
            self._save()
            return status, answer

    def _check(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:  # noqa: PLR0911 — one answer per check
        if self.secret is not None:
            expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, headers.get("x-yousu-signature", "")):
                return 401, {"error": "bad_signature"}
        try:
            message = json.loads(body)
        except ValueError:
            return 422, {"error": "not_json"}
        if not isinstance(message, dict):
            return 422, {"error": "not_an_object"}
        validator = self.validators.get(str(message.get("type")))
        if validator is None:
            return 422, {"error": "unknown_type", "type": message.get("type")}
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(message)]
        if problems:
            return 422, {"error": "invalid", "type": message["type"], "problems": problems}
        if headers.get("idempotency-key") != message["message_id"]:
            return 422, {"error": "idempotency_key_mismatch"}
        if message["message_id"] in self.state["seen"]:
            self.state["duplicates"] += 1
            return 200, {"duplicate": True}
        ref = message["external_ref"]
        received = self.state["work_orders"].setdefault(ref, [])
        last = received[-1]["seq"] if received else 0
        if message["previous_seq"] != last or message["seq"] <= last:
            return 409, {"error": "out_of_order", "external_ref": ref, "expected_previous_seq": last}
        received.append(message)
        self.state["seen"].append(message["message_id"])
        return 200, {"accepted": True}

    def _save(self) -> None:
        if self.state_path is None:
            return
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.state_path)


def handler_for(hotline: Hotline) -> type[BaseHTTPRequestHandler]:
    """The request handler bound to one simulated hotline."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            self._answer(*hotline.receive(body, headers))

        def do_GET(self) -> None:
            if self.path != "/state":
                self._answer(404, {"error": "not_found"})
                return
            with hotline.lock:
                self._answer(200, hotline.state)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: /state tells what happened."""

    return Handler


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8412)
    parser.add_argument("--state", type=Path, default=None, help="JSON file kept across restarts")
    parser.add_argument("--secret", default=os.environ.get("HOTLINE_SECRET"), help="HMAC key of X-Yousu-Signature")
    args = parser.parse_args(argv)
    hotline = Hotline(args.state, args.secret)
    server = ThreadingHTTPServer((args.host, args.port), handler_for(hotline))
    sys.stdout.write(f"hotline simulator listening on http://{args.host}:{server.server_address[1]}/\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
