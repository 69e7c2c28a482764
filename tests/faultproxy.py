"""A fault-injecting HTTP proxy for tests: it stands between boto3 and moto server on loopback.

Point `AWS_ENDPOINT_URL` at `FaultProxy.endpoint` and a chosen fraction of requests fails the
way real AWS fails: HTTP 500/503, 429 throttling, a connection reset in the middle of a body,
or a slow answer. Everything it does is counted, so tests can report what they survived.
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

KINDS = ("500", "503", "429", "reset", "slow")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate"}  # fmt: skip


@dataclass
class FaultPlan:
    """Which requests fail and how: each eligible request fails with probability `rate`."""

    rate: float = 0.0
    kinds: tuple[str, ...] = KINDS
    slow_seconds: float = 0.2
    seed: int = 1
    eligible: Callable[[str, str], bool] = field(default=lambda method, path: True)


class FaultProxy:
    def __init__(self, upstream: str, plan: FaultPlan | None = None) -> None:
        target = urlsplit(upstream)
        self.upstream = (target.hostname or "127.0.0.1", target.port or 80)
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.set_plan(plan or FaultPlan())
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def set_plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self.plan = plan
            self._random = random.Random(plan.seed)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def choose_fault(self, method: str, path: str) -> str | None:
        """Count the request and decide (reproducibly, by seed) whether it fails and how."""
        with self._lock:
            self.stats["requests"] += 1
            plan = self.plan
            if not plan.rate or not plan.eligible(method, path):
                return None
            if self._random.random() >= plan.rate:
                return None
            kind = self._random.choice(plan.kinds)
            self.stats[kind] += 1
            self.stats["injected"] += 1
            return kind


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet: tests print the counters instead
            pass

        def _any(self) -> None:
            body = self._read_body()
            fault = proxy.choose_fault(self.command, self.path)
            if fault == "slow":
                time.sleep(proxy.plan.slow_seconds)
            elif fault in ("500", "503", "429"):
                self._send_error(int(fault))
                return
            status, reason, headers, payload = self._forward(body)
            if fault == "reset":
                self._reset_midway(status, reason, headers, payload)
                return
            self.send_response(status, reason)
            for name, value in headers:
                self.send_header(name, value)
            if self.command != "HEAD":
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = _any

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
            upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            try:
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                payload = response.read()
                # A HEAD answer has no body but announces the object's length: keep it.
                drop = HOP_BY_HOP | ({"content-length"} if self.command != "HEAD" else set())
                kept = [(k, v) for k, v in response.getheaders() if k.lower() not in drop]
                return response.status, response.reason, kept, payload
            finally:
                upstream.close()

        def _send_error(self, status: int) -> None:
            if self.path.startswith("/v1/"):  # Batch's REST-JSON API
                kind = "TooManyRequestsException" if status == 429 else "ServerException"
                payload = json.dumps({"__type": kind, "message": f"injected {status}"}).encode()
                extra = [("Content-Type", "application/json"), ("x-amzn-ErrorType", kind)]
            elif self.headers.get("X-Amz-Target"):  # JSON-1.1 APIs (CloudWatch Logs)
                kind = "ThrottlingException" if status == 429 else "ServiceUnavailableException"
                payload = json.dumps({"__type": kind, "message": f"injected {status}"}).encode()
                extra = [("Content-Type", "application/x-amz-json-1.1")]
            else:  # S3's XML errors
                code = {500: "InternalError", 503: "ServiceUnavailable", 429: "SlowDown"}[status]
                payload = (
                    f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                    f"<Message>injected {status}</Message></Error>"
                ).encode()
                extra = [("Content-Type", "application/xml")]
            self.send_response(status)
            for name, value in extra:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _reset_midway(self, status, reason, headers, payload) -> None:
            """Promise the whole body, send half of it, then reset the connection (RST)."""
            self.send_response(status, reason)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))  # fmt: skip
            self.close_connection = True
            self.connection.close()

    return Handler
