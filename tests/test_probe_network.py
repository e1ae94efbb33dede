"""tcp, tls, dns and icmp probers against real loopback peers."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import ClassVar

import dns.message
import dns.rcode
import dns.rrset
import pytest

from spbe_monitor.monitor.runner import run_once
from spbe_monitor.probers import dns as dns_probe
from spbe_monitor.probers import icmp, tcp, tls
from spbe_monitor.probers.base import ErrorKind
from spbe_monitor.probers.context import ProbeContext
from tests.certs import LoopbackCA
from tests.pg import free_port


@pytest.fixture
async def echo_server() -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 spbe-test ready\r\n")
        data = await reader.read(100)
        writer.write(b"echo: " + data)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_tcp_connect_send_expect(echo_server):
    ctx = ProbeContext()
    r = await run_once(tcp.Config(id="t", host="127.0.0.1", port=echo_server), ctx)
    assert r.ok and "connect" in r.phases
    r = await run_once(tcp.Config(id="t", host="127.0.0.1", port=echo_server, send="PING\n",
                                  expect=r"echo: PING"), ctx)
    assert r.ok
    r = await run_once(tcp.Config(id="t", host="127.0.0.1", port=echo_server, send="PING\n",
                                  expect=r"PONG"), ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.BODY_MISMATCH)
    r = await run_once(tcp.Config(id="t", host="127.0.0.1", port=free_port()), ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.REFUSED)
    r = await run_once(tcp.Config(id="t", host="no-such-host.invalid", port=80), ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.RESOLVE)


@pytest.fixture
async def tls_server(tmp_path) -> AsyncIterator[tuple[int, LoopbackCA]]:
    ca = LoopbackCA(tmp_path)

    async def handle(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0,
                                        ssl=ca.server_context(days=10))
    yield server.sockets[0].getsockname()[1], ca
    server.close()


async def test_tls_probe_verifies_and_warns_before_expiry(tls_server):
    port, ca = tls_server
    ctx = ProbeContext()
    r = await run_once(tls.Config(id="t", host="127.0.0.1", port=port,
                                  ca_file=str(ca.ca_file), expiry_warning=timedelta(days=5)), ctx)
    assert r.ok and r.degraded is None and "tls" in r.phases
    r = await run_once(tls.Config(id="t", host="127.0.0.1", port=port, ca_file=str(ca.ca_file),
                                  expiry_warning=timedelta(days=14)), ctx)
    assert r.ok and r.degraded is not None and "expires in 10.0 days" in r.degraded
    r = await run_once(tls.Config(id="t", host="127.0.0.1", port=port), ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.TLS_INVALID)
    r = await run_once(tls.Config(id="t", host="127.0.0.1", port=port, ca_file=str(ca.ca_file),
                                  server_name="perizinan.example"), ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.TLS_INVALID)
    r = await run_once(tcp.Config(id="t", host="127.0.0.1", port=port, tls=True,
                                  ca_file=str(ca.ca_file)), ctx)
    assert r.ok and r.values["tls_cert_expiry_timestamp_seconds"] > 0


async def test_tcp_dialogue_over_tls_and_on_ipv6_loopback(tmp_path):
    """The whole conversation (handshake, send, read until the reply matches) on one TLS
    socket; the same on ::1."""
    ca = LoopbackCA(tmp_path)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK IMAP4rev1 ready\r\n")
        line = await reader.readline()
        writer.write(b"a1 OK " + line)
        await writer.drain()
        writer.close()

    served = [await asyncio.start_server(handle, "127.0.0.1", 0,
                                         ssl=ca.server_context(days=30)),
              await asyncio.start_server(handle, "::1", 0)]
    tls_port = served[0].sockets[0].getsockname()[1]
    v6_port = served[1].sockets[0].getsockname()[1]
    ctx = ProbeContext()
    try:
        r = await run_once(tcp.Config(id="t", host="127.0.0.1", port=tls_port, tls=True,
                                      ca_file=str(ca.ca_file), send="a1 NOOP\r\n",
                                      expect=r"a1 OK a1 NOOP"), ctx)
        assert r.ok and {"connect", "tls"} <= set(r.phases), r.message
        r = await run_once(tcp.Config(id="t", host="127.0.0.1", port=tls_port, tls=True,
                                      ca_file=str(ca.ca_file), send="a1 NOOP\r\n",
                                      expect=r"BYE"), ctx)
        assert (r.ok, r.error_kind) == (False, ErrorKind.BODY_MISMATCH)
        assert "a1 OK" in r.message
        r = await run_once(tcp.Config(id="t", host="127.0.0.1", port=tls_port, tls=True,
                                      send="a1 NOOP\r\n", expect="OK"), ctx)
        assert (r.ok, r.error_kind) == (False, ErrorKind.TLS_INVALID)  # no CA given: refused
        r = await run_once(tcp.Config(id="t", host="::1", port=v6_port, send="a1 NOOP\r\n",
                                      expect=r"a1 OK"), ctx)
        assert r.ok, r.message
    finally:
        for server in served:
            server.close()


class ZoneServer(asyncio.DatagramProtocol):
    """A tiny authoritative server, answering from a dict; `slow.` never answers."""

    ZONE: ClassVar[dict[tuple[str, str], list[str]]] = {
        ("perizinan.test.", "A"): ["10.10.1.20", "10.10.1.21"]}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        q = query.question[0]
        name, rtype = q.name.to_text(), dns.rdatatype.to_text(q.rdtype)
        if name.startswith("slow."):
            return
        resp = dns.message.make_response(query)
        answers = self.ZONE.get((name, rtype))
        if answers is None:
            resp.set_rcode(dns.rcode.NXDOMAIN)
        else:
            resp.answer.append(dns.rrset.from_text_list(name, 60, "IN", rtype, answers))
        self.transport.sendto(resp.to_wire(), addr)  # type: ignore[attr-defined]


@pytest.fixture
async def dns_server() -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(ZoneServer, local_addr=("127.0.0.1", 0))
    yield transport.get_extra_info("sockname")[1]
    transport.close()


async def test_dns_answers_rcode_and_timeout(dns_server):
    ctx = ProbeContext()

    def cfg(**kw: object) -> dns_probe.Config:
        return dns_probe.Config(id="t", server="127.0.0.1", port=dns_server, **kw)

    r = await run_once(cfg(name="perizinan.test", expected_answers=("10.10.1.20",)), ctx)
    assert r.ok and r.values["answers"] == 2
    r = await run_once(cfg(name="perizinan.test", expected_answers=("10.10.9.9",)), ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.BAD_ANSWER) and "lack" in r.message
    r = await run_once(cfg(name="nothing.test"), ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.BAD_ANSWER) and "NXDOMAIN" in r.message
    r = await run_once(cfg(name="nothing.test", expected_rcode="NXDOMAIN"), ctx)
    assert r.ok
    r = await run_once(cfg(name="slow.test", timeout=timedelta(milliseconds=300)), ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.TIMEOUT)
    with pytest.raises(ValueError, match="unknown record type"):
        cfg(name="x", type="AAAAA")


async def test_icmp_loopback_and_unresolvable_name():
    r = await run_once(icmp.Config(id="t", host="127.0.0.1", count=3), ProbeContext())
    assert r.ok and r.values["packet_loss_ratio"] == 0 and r.values["rtt_avg_seconds"] < 0.1
    r = await run_once(icmp.Config(id="t", host="no-such-host.invalid"), ProbeContext())
    assert (r.ok, r.error_kind) == (False, ErrorKind.RESOLVE)
