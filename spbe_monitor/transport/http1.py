"""One HTTP/1.1 request on its own connection, parsed by httptools (llhttp), timed from
request sent to first response byte and to the end of the body."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httptools

MAX_BODY = 1 << 20  # keep at most 1 MiB of body for matching


@dataclass
class Response:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    size: int = 0
    first_byte: float | None = None
    complete: float | None = None


class Exchange(asyncio.Protocol):
    """Writes the request when connected; resolves `done` when the response is complete."""

    def __init__(self, request: bytes, head: bool = False) -> None:
        self.request = request
        self.head = head  # a HEAD response ends with its headers
        self.response = Response()
        self.done: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self.parser = httptools.HttpResponseParser(self)
        self.sent = 0.0
        self._header: bytes = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.sent = time.perf_counter()
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if self.response.first_byte is None:
            self.response.first_byte = time.perf_counter()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"invalid HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done.done():
            return
        headers = self.response.headers
        delimited_by_close = (
            self.response.status and "content-length" not in headers
            and "chunked" not in headers.get("transfer-encoding", "").lower())
        if exc is None and delimited_by_close:  # RFC 9112 §6.3: the body ends at close
            self.on_message_complete()
            return
        self._fail(exc or ConnectionError("connection closed before the response ended"))

    def _fail(self, exc: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(exc)

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.response.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.response.status = self.parser.get_status_code()
        if self.head:
            self.on_message_complete()

    def on_body(self, body: bytes) -> None:
        if self.response.size < MAX_BODY:
            self.response.body += body
        self.response.size += len(body)

    def on_message_complete(self) -> None:
        self.response.complete = time.perf_counter()
        if not self.done.done():
            self.done.set_result(self.response)


def build_request(method: str, target: str, host: str, headers: dict[str, str],
                  body: bytes) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "User-Agent: spbe-monitor",
             "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
