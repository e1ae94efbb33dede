"""One HTTP/1.1 request on its own connection, parsed by httptools (llhttp), timed from
request sent to first response byte and to the end of the body."""

from __future__ import annotations

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


class ResponseReader:
    """A conversation's reader: the bytes received into the parser, until the response is
    complete."""

    def __init__(self, head: bool = False) -> None:
        self.head = head  # a HEAD response ends with its headers
        self.response = Response()
        self.done = False
        self.parser = httptools.HttpResponseParser(self)

    def feed(self, data: bytes) -> bool:
        if self.response.first_byte is None:
            self.response.first_byte = time.perf_counter()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise ConnectionError(f"invalid HTTP response: {exc}") from None
        return self.done

    def closed(self) -> None:
        """The peer closed: the end of a body delimited by the close, or too early."""
        headers = self.response.headers
        delimited_by_close = (
            self.response.status and "content-length" not in headers
            and "chunked" not in headers.get("transfer-encoding", "").lower())
        if not delimited_by_close:  # RFC 9112 §6.3: otherwise the body ends at close
            raise ConnectionError("connection closed before the response ended")
        self.on_message_complete()

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
        if not self.done:
            self.response.complete = time.perf_counter()
            self.done = True


def build_request(method: str, target: str, host: str, headers: dict[str, str],
                  body: bytes) -> bytes:
    """The request's bytes. A configured header replaces the default of its name (a second
    `Host` makes nginx answer 400); the body's length is always computed here."""
    given = {k.lower(): (k, v) for k, v in headers.items() if k.lower() != "content-length"}
    fields = {"host": ("Host", host), "user-agent": ("User-Agent", "spbe-monitor"),
              "connection": ("Connection", "close"), **given}
    if body or method in ("POST", "PUT"):
        fields["content-length"] = ("Content-Length", str(len(body)))
    lines = [f"{method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in fields.values())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
