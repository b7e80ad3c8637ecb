"""A tiny threaded HTTP server base for the platform fakes, with per-test fault injection.

Why not a mocking library: the publishing clients must be exercised over *real* HTTP (sockets, timeouts,
dropped connections, retries), exactly as they talk to Meta and Pinterest. Each fake listens on
127.0.0.1 with an ephemeral port, logs every request for assertions, and can be told to misbehave for
the next N requests (429/5xx, slow answers, dropped connections, expired tokens).

Routes are registered by subclasses with `route(method, regex, handler)`; a handler receives the parsed
`Request` and the regex match and returns a `Response`. Handlers run under one lock so fake state stays
consistent; latency and injected delays are slept *outside* that lock so concurrency is still real.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(slots=True)
class UploadedFile:
    """One file part of a multipart body (the fakes keep the bytes to check size and magic numbers)."""

    name: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass(slots=True)
class Request:
    """One received request, as parsed by the fake (also the entry type of `FakeServer.requests`)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    time: float = 0.0
    fault: str | None = None  # which injected fault answered it, if any ("fail", "drop", "timeout", ...)

    @property
    def params(self) -> dict[str, Any]:
        """Query, then form, then top-level JSON fields: Graph accepts parameters in any of them."""
        merged: dict[str, Any] = dict(self.query)
        merged.update(self.form)
        if isinstance(self.json, dict):
            merged.update(self.json)
        return merged

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass(slots=True)
class Response:
    status: int = 200
    body: Any = None  # dict/list → JSON; bytes/str → as is; None → empty
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, str]:
        if self.body is None:
            return b"", "application/json"
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


Handler = Callable[[Request, "re.Match[str]"], Response]


class HttpError(Exception):
    """Raised by a route handler to answer with an error `Response` (keeps validation code flat)."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"{response.status}: {response.body!r}")
        self.response = response


@dataclass(slots=True)
class Fetched:
    status: int
    content_type: str
    data: bytes


def fetch(url: str, timeout: float = 5.0, max_bytes: int = 64 * 1024 * 1024) -> Fetched | None:
    """GET a media URL the way Meta/Pinterest would (they cURL public URLs); None if unreachable."""
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers={"User-Agent": "facebookexternalhit/1.1"}), timeout=timeout
        ) as resp:
            return Fetched(resp.status, resp.headers.get("Content-Type", ""), resp.read(max_bytes + 1))
    except urllib.error.HTTPError as exc:
        return Fetched(exc.code, exc.headers.get("Content-Type", ""), b"")
    except (OSError, ValueError):
        return None


@dataclass(slots=True)
class _Fault:
    kind: str  # "fail" | "drop" | "timeout"
    remaining: int
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    seconds: float = 0.0
    after_processing: bool = False
    path: re.Pattern[str] | None = None
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        return not (self.path and not self.path.search(path))


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a multipart/form-data body into text fields and file parts (stdlib email parser)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    )
    form: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    if not message.is_multipart():
        return form, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            files[str(name)] = UploadedFile(str(name), filename, part.get_content_type(), payload)
        else:
            charset = part.get_content_charset() or "utf-8"
            form[str(name)] = payload.decode(charset, errors="replace")
    return form, files


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr noise in test output
        return

    def _handle(self) -> None:
        self.server.fake._dispatch(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:  # a dropped socket is expected
        return


class FakeServer:
    """Base fake: lifecycle, routing, request log, body parsing and fault injection.

    Use as `with FakeServer() as s:` or `start()`/`stop()`; `url` is `http://127.0.0.1:<port>`.
    """

    name = "fake"

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency  # seconds added to every response (benchmarks: "simulated latency")
        self.requests: list[Request] = []
        self.lock = threading.RLock()
        self.expired_tokens: set[str] = set()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[_Fault] = []
        self._fail_rate: tuple[float, random.Random, tuple[int, ...], str | None, float] | None = None
        self._delay = 0.0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self.name} fake is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        server = _Server(("127.0.0.1", 0), _RequestHandler)
        server.fake = self
        self._server = server
        self._stopping.clear()
        # a short poll interval: shutdown() waits for it, and fixtures stop a fake after every test
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name=f"{self.name}-fake", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in delay()/timeout_next()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- routing
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(pattern), handler))

    # ---------------------------------------------------------------- assertions helpers
    def requests_to(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """Logged requests filtered by method and a regex searched in the path."""
        rx = re.compile(path) if path else None
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper()) and (rx is None or rx.search(r.path))
            ]

    def clear_log(self) -> None:
        with self.lock:
            self.requests.clear()

    # ---------------------------------------------------------------- fault injection
    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        headers: dict[str, str] | None = None,
        body: Any = None,
        *,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next `n` matching requests with `status` (body defaults to the platform's error JSON).

        The request is *not* processed (nothing is created). `headers` default to `Retry-After: 1` for 429.
        `path` is a regex searched in the request path, `method` an HTTP verb: scope the fault to one call.
        """
        if headers is None:
            headers = {"Retry-After": "1"} if status == 429 else {}
        self._add_fault(_Fault("fail", n, status, dict(headers), body), path, method)

    def fail_rate(
        self,
        p: float,
        seed: int = 0,
        statuses: Iterable[int] = (429, 500, 503),
        *,
        path: str | None = None,
        lost_answers: float = 0.0,
    ) -> None:
        """From now on fail each (matching) request with probability `p` (seeded, reproducible); p=0 stops.

        A share `lost_answers` (0..1) of those faults are *processed* and then the connection is dropped
        (the post exists, the client never hears so) — the fault that makes naive retries post twice.
        """
        self._fail_rate = (p, random.Random(seed), tuple(statuses), path, lost_answers) if p > 0 else None

    def delay(self, seconds: float) -> None:
        """Slow every response by `seconds` from now on (0 to stop). For slow-server tests."""
        self._delay = seconds

    def timeout_next(
        self,
        n: int = 1,
        seconds: float = 3.0,
        *,
        after_processing: bool = False,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Hold the next `n` matching requests for `seconds` (longer than the client's timeout), then close.

        With `after_processing=True` the request *is* processed first (the post exists) and only the answer
        is lost — the case that makes a naive retry post twice.
        """
        self._add_fault(
            _Fault("timeout", n, seconds=seconds, after_processing=after_processing), path, method
        )

    def drop_next(
        self,
        n: int = 1,
        *,
        after_processing: bool = False,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Close the connection of the next `n` matching requests without any response.

        `after_processing=True`: the request is handled (side effects happen) and then the answer is lost.
        """
        self._add_fault(_Fault("drop", n, after_processing=after_processing), path, method)

    def expire_token(self, token: str) -> None:
        """From now on `token` is rejected as expired (Graph error 190 / Pinterest 401)."""
        with self.lock:
            self.expired_tokens.add(token)

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()
        self._fail_rate = None
        self._delay = 0.0

    def _add_fault(self, fault: _Fault, path: str | None, method: str | None) -> None:
        fault.path = re.compile(path) if path else None
        fault.method = method.upper() if method else None
        with self.lock:
            self._faults.append(fault)

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
            if self._fail_rate is not None:
                p, rng, statuses, rx, lost = self._fail_rate
                if (rx is None or re.search(rx, path)) and rng.random() < p:
                    if lost and rng.random() < lost:
                        return _Fault("drop", 1, after_processing=True)
                    status = rng.choice(statuses)
                    headers = {"Retry-After": "1"} if status == 429 else {}
                    return _Fault("fail", 1, status, headers)
        return None

    # ---------------------------------------------------------------- hooks for subclasses
    def error_body(self, status: int, message: str) -> Any:
        """The platform's error JSON for an injected failure (subclasses override)."""
        return {"error": {"message": message, "code": status}}

    def extra_headers(self, request: Request, response: Response) -> dict[str, str]:
        """Headers added to every answer (rate-limit usage headers in the platform fakes)."""
        return {}

    def not_found(self, request: Request) -> Response:
        return Response(404, self.error_body(404, f"Unknown path {request.method} {request.path}"))

    # ---------------------------------------------------------------- internals
    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops; True if it stopped meanwhile."""
        return self._stopping.wait(seconds) if seconds > 0 else False

    def _read(self, h: _RequestHandler) -> Request:
        split = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in h.headers.items()}
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked(h)
        else:
            length = int(headers.get("content-length") or 0)
            body = h.rfile.read(length) if length else b""
        req = Request(h.command, split.path, query, headers, body, time=time.time())
        ctype = headers.get("content-type", "")
        if body:
            if "json" in ctype:
                with contextlib.suppress(ValueError):
                    req.json = json.loads(body)
            elif ctype.startswith("application/x-www-form-urlencoded"):
                req.form = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            elif ctype.startswith("multipart/form-data"):
                req.form, req.files = parse_multipart(body, ctype)
        return req

    @staticmethod
    def _read_chunked(h: _RequestHandler) -> bytes:
        """Transfer-Encoding: chunked (requests uses it for generator bodies)."""
        parts = []
        while True:
            size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            parts.append(h.rfile.read(size))
            h.rfile.readline()

    def _process(self, req: Request) -> Response:
        for method, rx, handler in self._routes:
            if method != req.method:
                continue
            match = rx.match(req.path)
            if match:
                try:
                    with self.lock:
                        return handler(req, match)
                except HttpError as exc:
                    return exc.response
        return self.not_found(req)

    def _dispatch(self, h: _RequestHandler) -> None:
        req = self._read(h)
        with self.lock:
            self.requests.append(req)
        if self._sleep(self.latency + self._delay):
            return self._drop(h)
        fault = self._take_fault(req.method, req.path)
        if fault is not None:
            req.fault = fault.kind
            if fault.kind == "fail":
                body = (
                    fault.body if fault.body is not None else self.error_body(fault.status, "Injected fault")
                )
                return self._send(h, req, Response(fault.status, body, dict(fault.headers)))
            if fault.after_processing:
                self._safe_process(req)
            if fault.kind == "timeout":
                self._sleep(fault.seconds)
            return self._drop(h)
        self._send(h, req, self._safe_process(req))

    def _safe_process(self, req: Request) -> Response:
        try:
            return self._process(req)
        except Exception as exc:  # a bug in a fake must surface as a 500 the test can see, not a hang
            return Response(500, self.error_body(500, f"fake crashed: {type(exc).__name__}: {exc}"))

    def _send(self, h: _RequestHandler, req: Request, resp: Response) -> None:
        data, ctype = resp.encode()
        headers = {"Content-Type": ctype, **self.extra_headers(req, resp), **resp.headers}
        try:
            h.send_response(resp.status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            if req.method != "HEAD":
                h.wfile.write(data)
            h.wfile.flush()
        except OSError:
            h.close_connection = True

    @staticmethod
    def _drop(h: _RequestHandler) -> None:
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)
