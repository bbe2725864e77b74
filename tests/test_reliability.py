"""Faults of real servers on loopback, and what the send action makes of them.

Every fault is served by a real server on 127.0.0.1: aiohttp handlers where HTTP is
well-formed, raw `asyncio.start_server` sockets where it is not. Each case ends in a
translated error naming the host (or a correct response) within the timeout plus a
small margin, and no secret of the call shows up in the error or in any log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
import functools
import gc
import logging
from pathlib import Path
import socket
import ssl
import threading
import time
import traceback
import tracemalloc
from typing import Any, Self
import zlib

from aiohttp import web
from aiohttp.resolver import AsyncResolver
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.json import json_bytes
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

from custom_components.scene_http_request import client
from custom_components.scene_http_request.const import (
    DEFAULT_MAX_RESPONSE_SIZE,
    DOMAIN,
    MAX_REDIRECTS,
    MIB,
    RETRY_AFTER_CAP,
    RETRY_BACKOFF_CAP,
    SERVICE_SEND,
)

from .helpers import AddProfile, send
from .retry_sleep import patched_retry_sleep
from .server import RawHandler, RawServer, make_self_signed_cert, read_request

# How much later than the timeout a timed-out call may end. Generous: this machine
# is shared and noisy; a hang (no deadline) would still take far longer.
MARGIN = 5.0
# Timeout of the calls that are expected to time out.
SHORT_TIMEOUT = 0.5
# Timeout of the calls that are expected to fail fast: a hang shows as "timeout".
LONG_TIMEOUT = 5.0

SECRET_HEADER = "hdr-5ecret-a1b2c3"
SECRET_PATH = "path-5ecret-d4e5f6"
SECRET_QUERY = "query-5ecret-g7h8i9"
SECRET_BODY = "body-5ecret-j0k1l2"
SECRET_TOKEN = "token-5ecret-m3n4o5"
SECRET_REDIRECT = "redir-5ecret-p6q7r8"
SECRETS = (
    SECRET_HEADER,
    SECRET_PATH,
    SECRET_QUERY,
    SECRET_BODY,
    SECRET_TOKEN,
    SECRET_REDIRECT,
)

OK_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: 11\r\nConnection: close\r\n\r\n"
    b'{"ok":true}'
)


# --------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------


@dataclass
class AppServer:
    """An aiohttp application on loopback, without an access log."""

    runner: web.AppRunner
    host: str
    port: int
    hits: dict[str, int] = field(default_factory=dict)
    bodies: list[bytes] = field(default_factory=list)

    @property
    def netloc(self) -> str:
        """Return host:port as the action's messages spell it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """Return the http URL of path on this server."""
        return f"http://{self.netloc}{path}"


type Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Servers:
    """Starts servers for one test and stops them all at its end."""

    def __init__(self, tmp_path: Path) -> None:
        """Start with no servers."""
        self.tmp_path = tmp_path
        self._raw: list[RawServer] = []
        self._apps: list[AppServer] = []
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Run closer when the test ends (last registered, first run)."""
        self._closers.append(closer)

    async def raw(self, handler: RawHandler, host: str = "127.0.0.1") -> RawServer:
        """Start a raw server running handler for each connection."""
        server = RawServer(handler, host=host)
        await server.start()
        self._raw.append(server)
        return server

    async def app(self, routes: dict[str, Route], host: str = "127.0.0.1") -> AppServer:
        """Start an aiohttp server with routes (path -> handler, any method)."""
        holder: list[AppServer] = []

        @web.middleware
        async def record(request: web.Request, handler: Route) -> web.StreamResponse:
            server = holder[0]
            server.hits[request.path] = server.hits.get(request.path, 0) + 1
            server.bodies.append(await request.read())
            return await handler(request)

        app = web.Application(middlewares=[record])
        for path, route in routes.items():
            app.router.add_route("*", path, route)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, 0)
        await site.start()
        listening = site._server  # the only way to read the bound port
        assert isinstance(listening, asyncio.Server)
        server = AppServer(runner, host, listening.sockets[0].getsockname()[1])
        holder.append(server)
        self._apps.append(server)
        return server

    async def close(self) -> None:
        """Stop every server started."""
        for closer in reversed(self._closers):
            await closer()
        for raw in self._raw:
            await raw.close()
        for app in self._apps:
            await app.runner.cleanup()


class ThreadedTlsServer:
    """A TLS server on its own event loop in a thread.

    A failed handshake raises in the server's loop; in HA's loop that would fail
    the test through the loop's exception handler, so it runs apart.
    """

    def __init__(self, context: ssl.SSLContext) -> None:
        """Prepare a server presenting context's certificate."""
        self._context = context
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(lambda _loop, _context: None)
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0
        self.requests = 0

    def url(self, path: str = "/") -> str:
        """Return the https URL of path on this server."""
        return f"https://127.0.0.1:{self.port}{path}"

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            await read_request(reader)
            self.requests += 1
            writer.write(OK_RESPONSE)
            await writer.drain()
        except ConnectionError, asyncio.IncompleteReadError, ssl.SSLError:
            pass
        finally:
            writer.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", 0, ssl=self._context
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        self._server.close_clients()
        await self._server.wait_closed()

    def __enter__(self) -> Self:
        """Start the thread and wait until the server listens."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server and join its thread."""
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


class NxDomainServer(asyncio.DatagramProtocol):
    """A DNS server on loopback that answers every query with NXDOMAIN."""

    def __init__(self) -> None:
        """Start with no queries seen."""
        self.transport: asyncio.DatagramTransport | None = None
        self.names: list[str] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to answer on."""
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        """Answer a query: same id and question, QR and RA set, RCODE 3."""
        labels: list[str] = []
        end = 12
        while data[end]:
            labels.append(data[end + 1 : end + 1 + data[end]].decode("ascii"))
            end += data[end] + 1
        end += 5  # the root label, QTYPE and QCLASS
        self.names.append(".".join(labels))
        recursion_desired = data[2] & 0x01
        flags = 0x8000 | recursion_desired << 8 | 0x0080 | 3
        answer = data[:2] + flags.to_bytes(2) + b"\x00\x01" + b"\x00" * 6
        assert self.transport is not None
        self.transport.sendto(answer + data[12:end], addr)


# --------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------


@pytest.fixture
async def servers(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[Servers]:
    """Start servers on loopback for one test; stop them all afterwards."""
    started = Servers(tmp_path)
    yield started
    await started.close()


@pytest.fixture
async def integration(hass: HomeAssistant) -> None:
    """Set up the integration (no profiles)."""
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every logger at DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@dataclass
class SleepRecorder:
    """Stands in for the client's retry sleep and records each delay asked for."""

    really_sleep: bool
    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        """Record delay; sleep it if asked to, else just yield to the loop."""
        self.delays.append(delay)
        await asyncio.sleep(delay if self.really_sleep else 0)


@contextmanager
def record_retry_sleeps(*, really_sleep: bool) -> Generator[SleepRecorder]:
    """Record the delays of the client's retry sleeps."""
    recorder = SleepRecorder(really_sleep)
    with patched_retry_sleep(recorder):
        yield recorder


@dataclass(frozen=True, slots=True)
class Failure:
    """A call that raised, and how long it took."""

    error: HomeAssistantError
    elapsed: float


async def send_failing(hass: HomeAssistant, **data: Any) -> Failure:
    """Call the action, expecting a HomeAssistantError (not a validation error)."""
    started = time.monotonic()
    with pytest.raises(HomeAssistantError) as info:
        await send(hass, **data)
    elapsed = time.monotonic() - started
    assert not isinstance(info.value, ServiceValidationError)
    return Failure(info.value, elapsed)


def assert_failure(failure: Failure, key: str, host: str, budget: float) -> None:
    """Check the translation key, that the message names host, and the time taken."""
    assert failure.error.translation_key == key, str(failure.error)
    assert failure.error.translation_domain == DOMAIN
    assert host in str(failure.error)
    assert failure.elapsed < budget, f"took {failure.elapsed:.3f} s > {budget} s"


async def stall(server: RawServer, reader: asyncio.StreamReader, _writer: Any) -> None:
    """Read the request, then never answer."""
    await server.request(reader)
    await asyncio.sleep(3600)


# --------------------------------------------------------------------------------
# Fault catalogue: each builds a misbehaving server and says what the call must give
# --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault served somewhere, and the outcome the action must give."""

    base: str  # scheme://host[:port] the call goes to
    host: str  # how messages must name the host
    key: str  # the translation key expected
    timeout: float = LONG_TIMEOUT
    retries: int = 0
    requests: list[bytes] | None = None  # what a raw server received


type FaultBuilder = Callable[[HomeAssistant, Servers], Awaitable[Fault]]

FAULTS: dict[str, FaultBuilder] = {}


def fault(name: str) -> Callable[[FaultBuilder], FaultBuilder]:
    """Register a fault builder under name."""

    def register(builder: FaultBuilder) -> FaultBuilder:
        FAULTS[name] = builder
        return builder

    return register


def raw_fault(
    name: str, key: str, *, timeout: float = LONG_TIMEOUT, retries: int = 0
) -> Callable[[RawHandler], RawHandler]:
    """Register a raw handler as a fault that ends in key (called with retries)."""

    def register(handler: RawHandler) -> RawHandler:
        async def build(_hass: HomeAssistant, servers: Servers) -> Fault:
            server = await servers.raw(handler)
            return Fault(
                server.url(""),
                server.netloc,
                key,
                timeout,
                retries=retries,
                requests=server.requests,
            )

        FAULTS[name] = build
        return handler

    return register


@raw_fault("slow_headers", "timeout", timeout=SHORT_TIMEOUT)
async def _slow_headers(server: RawServer, reader: Any, writer: Any) -> None:
    await stall(server, reader, writer)


@raw_fault("slow_headers_after_status_line", "timeout", timeout=SHORT_TIMEOUT)
async def _slow_headers_partial(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
    await writer.drain()
    await asyncio.sleep(3600)


@raw_fault("slow_body_stalled", "timeout", timeout=SHORT_TIMEOUT)
async def _slow_body_stalled(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
    await writer.drain()
    await asyncio.sleep(3600)


@raw_fault("slow_body_trickle", "timeout", timeout=SHORT_TIMEOUT)
async def _slow_body_trickle(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """A byte every 20 ms: no read ever waits long, but the whole never ends."""
    await server.request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while True:
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(0.02)


@raw_fault("close_on_accept", "cannot_connect")
async def _close_on_accept(_server: RawServer, _reader: Any, _writer: Any) -> None:
    return


@raw_fault("close_before_answering", "cannot_connect")
async def _close_before_answering(
    server: RawServer, reader: asyncio.StreamReader, _writer: Any
) -> None:
    await server.request(reader)


@raw_fault("reset_before_answering", "cannot_connect")
async def _reset_before_answering(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    reset(writer)


def reset(writer: asyncio.StreamWriter) -> None:
    """Close the connection with a TCP RST (SO_LINGER 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)
    writer.transport.abort()


@raw_fault("reset_mid_body", "cannot_connect")
async def _reset_mid_body(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 5000)
    await writer.drain()
    await asyncio.sleep(0.05)
    reset(writer)


@raw_fault("content_length_too_long", "cannot_connect")
async def _content_length_too_long(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Promise 500 bytes, send 5, close: the body is cut off."""
    await server.request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nhello")
    await writer.drain()


@raw_fault("broken_chunked_encoding", "invalid_response")
async def _broken_chunked(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    writer.write(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n"
    )
    await writer.drain()


@raw_fault("chunked_cut_off", "cannot_connect")
async def _chunked_cut_off(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
    await writer.drain()


@raw_fault("bad_status_line", "invalid_response")
async def _bad_status_line(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    writer.write(b"HTTP/1.1 OK-ish\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()


@raw_fault("not_http_at_all", "invalid_response")
async def _not_http(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
    await writer.drain()


# Over the header limit of HA's session on every supported version (8190 bytes up
# to HA 2026.9, 65536 since); test_huge_response_header covers the boundary.
HUGE_HEADER = 100 * 1024


@raw_fault("huge_header", "invalid_response")
async def _huge_header(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * HUGE_HEADER + b"\r\n\r\n")
    await writer.drain()


@raw_fault("corrupt_gzip", "cannot_connect")
async def _corrupt_gzip(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    body = b"\x1f\x8b\x08\x00garbage, not deflate data at all" * 4
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    await writer.drain()


@functools.cache
def gzip_bomb(size: int = 200 * MIB) -> bytes:
    """Return size bytes of zeros, gzip-compressed (about size / 1000 bytes)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MIB)
    parts = [compressor.compress(block) for _ in range(size // MIB)]
    parts.append(compressor.flush())
    return b"".join(parts)


@raw_fault("gzip_bomb", "response_too_large")
async def _gzip_bomb(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    body = gzip_bomb()
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    writer.write(body)
    await writer.drain()


@raw_fault("declared_too_large", "response_too_large")
async def _declared_too_large(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Announce 1 GiB and send it slowly: the call must not wait for it."""
    await server.request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (1024 * MIB))
    await writer.drain()
    await asyncio.sleep(3600)


@raw_fault("chunked_too_large", "response_too_large")
async def _chunked_too_large(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """An endless chunked body: the cap must end it."""
    await server.request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"y" * 64 * 1024)
    while True:
        writer.write(chunk)
        await writer.drain()


@raw_fault("http_500", "http_error")
async def _http_500(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops")
    await writer.drain()


@raw_fault("retries_exhausted_429", "http_error", retries=2)
async def _always_429(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    await server.request(reader)
    writer.write(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n"
    )
    await writer.drain()


@fault("connection_refused")
async def _connection_refused(_hass: HomeAssistant, _servers: Servers) -> Fault:
    with socket.socket() as sock:  # a port that was just free, now closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return Fault(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}", "cannot_connect")


def redirect_route(location: str) -> Route:
    """Return a handler that redirects (302) to location."""

    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": location})

    return handler


async def loop_forever(request: web.Request) -> web.StreamResponse:
    """Redirect to the same URL, query and all."""
    return web.Response(status=302, headers={"Location": str(request.rel_url)})


@fault("redirect_loop")
async def _redirect_loop(_hass: HomeAssistant, servers: Servers) -> Fault:
    server = await servers.app({"/{tail:.*}": loop_forever})
    return Fault(server.url(""), server.netloc, "too_many_redirects")


for _name, _location in {
    "redirect_to_ftp": f"ftp://127.0.0.1/{SECRET_REDIRECT}",
    "redirect_to_javascript": f"javascript:alert('{SECRET_REDIRECT}')",
    "redirect_to_file": f"file:///etc/{SECRET_REDIRECT}",
    "redirect_with_credentials": f"http://user:{SECRET_REDIRECT}@127.0.0.1:1/",
    "redirect_to_bad_port": f"http://127.0.0.1:99999/{SECRET_REDIRECT}",
}.items():

    @fault(_name)
    async def _redirect(
        _hass: HomeAssistant, servers: Servers, location: str = _location
    ) -> Fault:
        server = await servers.app({"/{tail:.*}": redirect_route(location)})
        return Fault(server.url(""), server.netloc, "invalid_redirect")


async def start_tls_server(servers: Servers, host: str) -> ThreadedTlsServer:
    """Start a TLS server presenting a self-signed certificate for host."""
    directory = servers.tmp_path / host
    directory.mkdir(exist_ok=True)
    context = make_self_signed_cert(directory, host).server_context()
    tls = ThreadedTlsServer(context).__enter__()

    async def stop() -> None:
        tls.__exit__(None, None, None)

    servers.on_close(stop)
    return tls


@fault("tls_certificate_for_wrong_host")
async def _tls_wrong_host(_hass: HomeAssistant, servers: Servers) -> Fault:
    tls = await start_tls_server(servers, "wrong.example")
    return Fault(f"https://127.0.0.1:{tls.port}", f"127.0.0.1:{tls.port}", "ssl_error")


@fault("tls_to_plain_http_server")
async def _tls_to_plain(_hass: HomeAssistant, servers: Servers) -> Fault:
    server = await servers.app({"/{tail:.*}": redirect_route("/")})
    return Fault(f"https://{server.netloc}", server.netloc, "ssl_error")


async def use_nxdomain_resolver(
    hass: HomeAssistant, servers: Servers
) -> NxDomainServer:
    """Point HA's shared session at a loopback DNS server that knows no names.

    phcc's session-wide resolver belongs to another event loop, and its patched
    getaddrinfo raises RuntimeError for names; neither is a DNS failure. This
    resolver is the aiodns one HA uses, asking a real (fake) DNS server.
    """
    dns = NxDomainServer()
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: dns, local_addr=("127.0.0.1", 0)
    )
    port = transport.get_extra_info("sockname")[1]
    resolver = AsyncResolver(nameservers=[f"127.0.0.1:{port}"], tries=1, timeout=2)
    connector = async_get_clientsession(hass).connector
    assert connector is not None
    original = connector._resolver  # type: ignore[attr-defined]
    connector._resolver = resolver  # type: ignore[attr-defined]

    async def restore() -> None:
        connector._resolver = original  # type: ignore[attr-defined]
        await resolver.close()
        transport.close()

    servers.on_close(restore)
    return dns


@fault("dns_name_does_not_resolve")
async def _dns(hass: HomeAssistant, servers: Servers) -> Fault:
    await use_nxdomain_resolver(hass, servers)
    host = "does-not-exist.invalid"
    return Fault(f"http://{host}", host, "cannot_connect")


# --------------------------------------------------------------------------------
# Every fault: the documented error, in time, naming the host, leaking no secret
# --------------------------------------------------------------------------------


def assert_no_secrets(caplog: pytest.LogCaptureFixture, error: BaseException) -> None:
    """Check no secret is in the logs, the message or the printed traceback."""
    places = {
        "logs": caplog.text,
        "message": str(error),
        "repr": repr(error),
        "traceback": "".join(traceback.format_exception(error)),
        "placeholders": repr(getattr(error, "translation_placeholders", None)),
    }
    for place, text in places.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret} leaked into the {place}"
    # The check means something only if debug logs were captured.
    assert logging.getLogger(client.__name__).isEnabledFor(logging.DEBUG)
    assert any(record.levelno == logging.DEBUG for record in caplog.records)


async def add_secret_profile(add_profile: AddProfile, base: str) -> MockConfigEntry:
    """Add a profile for base whose bearer token is a secret."""
    return await add_profile(
        "Faulty", f"{base}/", auth_type="bearer", token=SECRET_TOKEN
    )


def secret_call(base: str, timeout: float) -> dict[str, Any]:
    """Return action data with a secret in a header, the path, the query and body."""
    return {
        "method": "POST",
        "url": f"{base}/{SECRET_PATH}/item",
        "params": {"token": SECRET_QUERY},
        "headers": {"X-Api-Key": SECRET_HEADER},
        "json": {"password": SECRET_BODY},
        "timeout": timeout,
    }


@pytest.mark.usefixtures("integration")
@pytest.mark.parametrize("name", sorted(FAULTS))
async def test_fault(
    hass: HomeAssistant,
    servers: Servers,
    debug_logs: pytest.LogCaptureFixture,
    name: str,
    add_profile: AddProfile,
) -> None:
    """Each fault ends in its translated error, in time, and leaks no secret."""
    await check_fault(hass, add_profile, servers, debug_logs, name)


@pytest.mark.usefixtures("inflating")
@pytest.mark.parametrize("name", ["corrupt_gzip", "gzip_bomb"])
async def test_compression_fault(
    hass: HomeAssistant,
    servers: Servers,
    debug_logs: pytest.LogCaptureFixture,
    name: str,
    add_profile: AddProfile,
) -> None:
    """Compressed faults end the same whichever inflater the client uses."""
    await check_fault(hass, add_profile, servers, debug_logs, name)


async def check_fault(
    hass: HomeAssistant,
    add_profile: AddProfile,
    servers: Servers,
    debug_logs: pytest.LogCaptureFixture,
    name: str,
) -> None:
    """Run fault name: its translated error, in time, with no secret leaked."""
    built = await FAULTS[name](hass, servers)
    await add_secret_profile(add_profile, built.base)
    data = secret_call(built.base, built.timeout)
    failure = await send_failing(hass, retries=built.retries, **data)

    assert_failure(failure, built.key, built.host, built.timeout + MARGIN)
    if built.key == "timeout":
        assert failure.elapsed >= built.timeout - 0.05  # it did wait that long
    assert_no_secrets(debug_logs, failure.error)
    if built.requests:
        # The secrets did reach the server: they were there to leak.
        request = built.requests[0]
        for secret in (SECRET_HEADER, SECRET_PATH, SECRET_QUERY, SECRET_BODY):
            assert secret.encode() in request
        assert f"Bearer {SECRET_TOKEN}".encode() in request
        assert len(built.requests) == built.retries + 1


# --------------------------------------------------------------------------------
# Faults that need more than the common checks
# --------------------------------------------------------------------------------


async def serve_keep_alive(
    server: RawServer,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    answers: list[bytes],
) -> None:
    """Answer requests on one connection with answers, in turn, keeping it open."""
    for answer in answers:
        await server.request(reader)
        writer.write(answer)
        await writer.drain()
    await asyncio.sleep(3600)


@pytest.mark.usefixtures("integration")
async def test_content_length_too_short(hass: HomeAssistant, servers: Servers) -> None:
    """Bytes past a short Content-Length never reach a response.

    The server declares 5 bytes and sends 16 in one write, then answers a second
    request on the same connection. The surplus is a malformed next message, so
    aiohttp fails the read (invalid_response) and drops the connection; the next
    call gets a new connection and exactly its own body.
    """
    lying = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
    honest = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n"

    async def handler(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if server.connections == 1:
            await serve_keep_alive(server, reader, writer, [lying + b"helloEXTRA"])
        await serve_keep_alive(server, reader, writer, [honest + b"second"])

    server = await servers.raw(handler)
    failure = await send_failing(hass, url=server.url("/a"), timeout=LONG_TIMEOUT)
    assert_failure(failure, "invalid_response", server.netloc, 1.0)

    second = await send(hass, url=server.url("/b"), timeout=LONG_TIMEOUT)
    assert second["content"] == "second"
    assert server.connections == 2


@pytest.mark.usefixtures("integration")
async def test_content_length_exact_keeps_connection(
    hass: HomeAssistant, servers: Servers
) -> None:
    """The control case: honest lengths reuse one connection for both calls."""
    honest = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"

    async def handler(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await serve_keep_alive(server, reader, writer, [honest + b"hello"] * 2)

    server = await servers.raw(handler)
    for path in ("/a", "/b"):
        response = await send(hass, url=server.url(path), timeout=LONG_TIMEOUT)
        assert response["content"] == "hello"
    assert server.connections == 1


@pytest.mark.usefixtures("integration", "inflating")
async def test_gzip_bomb_fails_fast_in_little_memory(
    hass: HomeAssistant, servers: Servers
) -> None:
    """200 MiB of zeros, gzip-compressed, stop at the 1 MiB default in ~1 MiB."""
    server = await servers.raw(_gzip_bomb)
    assert len(gzip_bomb()) < MIB  # built before measuring: ~200 KiB on the wire
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        failure = await send_failing(hass, url=server.url("/"), timeout=LONG_TIMEOUT)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert_failure(failure, "response_too_large", server.netloc, 2.0)
    assert str(DEFAULT_MAX_RESPONSE_SIZE) in str(failure.error)
    # The cap (1 MiB) plus aiohttp's read-ahead of decompressed chunks and the
    # response's own buffers; inflating it all would take 200 MiB.
    assert peak < 4 * MIB, f"peak {peak / MIB:.1f} MiB"


@pytest.mark.usefixtures("integration", "inflating")
async def test_size_cap_counts_decompressed_bytes(
    hass: HomeAssistant, servers: Servers
) -> None:
    """A 4 KiB gzip body that inflates to 2 MiB passes only a limit of 2 MiB."""
    body = zlib.compress(bytes(2 * MIB), wbits=31)

    async def handler(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await server.request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body)
        )
        await writer.drain()

    server = await servers.raw(handler)
    failure = await send_failing(
        hass, url=server.url("/"), max_response_size=2 * MIB - 1
    )
    assert_failure(failure, "response_too_large", server.netloc, 2.0)
    response = await send(hass, url=server.url("/"), max_response_size=2 * MIB)
    assert response["content_encoding"] == "base64"
    assert len(response["content"]) == (2 * MIB + 2) // 3 * 4


def chain_routes(length: int) -> dict[str, Route]:
    """Routes /hop/0 -> /hop/1 -> ... -> /hop/<length>, which answers JSON."""

    async def hop(request: web.Request) -> web.StreamResponse:
        number = int(request.match_info["number"])
        if number == length:
            return web.json_response({"hops": number})
        return web.Response(status=302, headers={"Location": f"/hop/{number + 1}"})

    return {"/hop/{number}": hop}


@pytest.mark.usefixtures("integration")
async def test_redirects_up_to_the_limit(hass: HomeAssistant, servers: Servers) -> None:
    """Exactly MAX_REDIRECTS hops are followed; one more is too many."""
    server = await servers.app(chain_routes(MAX_REDIRECTS))
    response = await send(hass, url=server.url("/hop/0"))
    assert response["content"] == {"hops": MAX_REDIRECTS}
    assert response["url"] == server.url(f"/hop/{MAX_REDIRECTS}")

    server = await servers.app(chain_routes(MAX_REDIRECTS + 1))
    failure = await send_failing(hass, url=server.url("/hop/0"))
    assert_failure(failure, "too_many_redirects", server.netloc, 2.0)
    assert sum(server.hits.values()) == MAX_REDIRECTS + 1


@pytest.mark.usefixtures("integration")
async def test_redirect_loop_counts_hops(hass: HomeAssistant, servers: Servers) -> None:
    """A loop ends after MAX_REDIRECTS + 1 requests; without redirects, one 302."""
    server = await servers.app({"/{tail:.*}": loop_forever})
    failure = await send_failing(hass, url=server.url("/loop?x=1"))
    assert_failure(failure, "too_many_redirects", server.netloc, 2.0)
    assert server.hits == {"/loop": MAX_REDIRECTS + 1}

    response = await send(hass, url=server.url("/loop"), allow_redirects=False)
    assert response["status"] == 302
    assert response["headers"]["Location"] == "/loop"


def scripted_route(answers: list[Callable[[], web.Response]]) -> Route:
    """Return a handler that gives answers in turn, then 200 {"done": true}."""
    remaining = list(answers)

    async def handler(_request: web.Request) -> web.StreamResponse:
        if remaining:
            return remaining.pop(0)()
        return web.json_response({"done": True})

    return handler


def unavailable() -> web.Response:
    """Return a fresh 503 (a response object can be sent only once)."""
    return web.Response(status=503)


def http_date(delta: timedelta) -> str:
    """Return an IMF-fixdate delta from now."""
    return format_datetime(datetime.now(UTC) + delta, usegmt=True)


@pytest.mark.usefixtures("integration")
@pytest.mark.parametrize(
    ("retry_after", "low", "high"),
    [
        pytest.param(lambda: http_date(timedelta(seconds=7)), 5.5, 7.0, id="date"),
        pytest.param(
            lambda: http_date(timedelta(hours=1)),
            RETRY_AFTER_CAP,
            RETRY_AFTER_CAP,
            id="far_date_capped",
        ),
        pytest.param(lambda: http_date(timedelta(hours=-1)), 0.0, 0.0, id="past_date"),
        pytest.param(lambda: "3", 3.0, 3.0, id="seconds"),
        pytest.param(lambda: "86400", RETRY_AFTER_CAP, RETRY_AFTER_CAP, id="capped"),
        pytest.param(lambda: "soon", 0.5, 1.0, id="invalid_uses_backoff"),
    ],
)
async def test_429_retry_after(
    hass: HomeAssistant,
    servers: Servers,
    retry_after: Callable[[], str],
    low: float,
    high: float,
) -> None:
    """A 429's Retry-After (seconds or HTTP date) is the delay, capped at 60 s."""
    value = retry_after()

    def too_many() -> web.Response:
        return web.Response(status=429, headers={"Retry-After": value})

    server = await servers.app({"/limited": scripted_route([too_many])})
    with record_retry_sleeps(really_sleep=False) as sleeps:
        response = await send(hass, url=server.url("/limited"), retries=1)
    assert response["status"] == 200
    assert response["attempts"] == 2
    assert server.hits == {"/limited": 2}
    assert len(sleeps.delays) == 1
    assert low <= sleeps.delays[0] <= high


@pytest.mark.usefixtures("integration")
async def test_retry_after_delay_is_really_waited(
    hass: HomeAssistant, servers: Servers
) -> None:
    """The capped delay is slept for real (cap lowered to 0.3 s to keep it short)."""
    value = http_date(timedelta(days=1))

    def too_many() -> web.Response:
        return web.Response(status=429, headers={"Retry-After": value})

    server = await servers.app({"/limited": scripted_route([too_many])})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(client, "RETRY_AFTER_CAP", 0.3)
        started = time.monotonic()
        response = await send(hass, url=server.url("/limited"), retries=1)
        elapsed = time.monotonic() - started
    assert response["attempts"] == 2
    assert 0.3 <= elapsed < 0.3 + MARGIN


@pytest.mark.usefixtures("integration")
async def test_503_then_200(hass: HomeAssistant, servers: Servers) -> None:
    """A 503 is retried after the backoff; the 200 that follows is the response."""
    server = await servers.app({"/flaky": scripted_route([unavailable])})
    with (
        pytest.MonkeyPatch.context() as patch,
        record_retry_sleeps(really_sleep=True) as sleeps,
    ):
        patch.setattr(client, "RETRY_BACKOFF_START", 0.05)
        response = await send(hass, url=server.url("/flaky"), retries=1)
    assert response["status"] == 200
    assert response["content"] == {"done": True}
    assert response["attempts"] == 2
    assert server.hits == {"/flaky": 2}
    assert len(sleeps.delays) == 1
    assert 0.025 <= sleeps.delays[0] <= 0.05
    assert response["elapsed"] >= 0.025


@pytest.mark.usefixtures("integration")
async def test_503_without_retries_is_http_error(
    hass: HomeAssistant, servers: Servers
) -> None:
    """Without retries a 503 fails once; with fail_on_http_error false it returns."""
    server = await servers.app({"/down": scripted_route([unavailable] * 2)})
    failure = await send_failing(hass, url=server.url("/down"))
    assert_failure(failure, "http_error", server.netloc, 2.0)
    assert "503" in str(failure.error)
    response = await send(hass, url=server.url("/down"), fail_on_http_error=False)
    assert response["status"] == 503
    assert response["ok"] is False
    assert response["attempts"] == 1


@pytest.mark.usefixtures("integration")
async def test_backoff_doubles_up_to_the_cap(
    hass: HomeAssistant, servers: Servers
) -> None:
    """Ten retries of a 503: delays in [c/2, c] for c = 1, 2, 4 … capped at 30 s."""
    server = await servers.app({"/down": scripted_route([unavailable] * 20)})
    with record_retry_sleeps(really_sleep=False) as sleeps:
        response = await send(
            hass, url=server.url("/down"), retries=10, fail_on_http_error=False
        )
    assert response["status"] == 503
    assert response["attempts"] == 11
    ceilings = [min(RETRY_BACKOFF_CAP, 2.0**n) for n in range(10)]
    assert len(sleeps.delays) == 10
    for delay, ceiling in zip(sleeps.delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling


@pytest.mark.usefixtures("integration")
async def test_connection_failures_are_retried(
    hass: HomeAssistant, servers: Servers
) -> None:
    """A cut connection and then a timeout are retried; the third attempt answers."""

    async def handler(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await server.request(reader)
        if server.connections == 1:
            return  # closed before answering
        if server.connections == 2:
            await asyncio.sleep(3600)  # times out
        writer.write(OK_RESPONSE)
        await writer.drain()

    server = await servers.raw(handler)
    with record_retry_sleeps(really_sleep=False) as sleeps:
        started = time.monotonic()
        response = await send(
            hass,
            method="POST",
            url=server.url("/"),
            json={"n": 1},
            retries=2,
            timeout=SHORT_TIMEOUT,
        )
        elapsed = time.monotonic() - started
    assert response["content"] == {"ok": True}
    assert response["attempts"] == 3
    assert len(sleeps.delays) == 2
    assert server.connections == 3
    assert all(request.endswith(b'{"n":1}') for request in server.requests)
    # Each attempt has its own timeout: one timed out, the others were quick.
    assert SHORT_TIMEOUT <= elapsed < SHORT_TIMEOUT + MARGIN


@pytest.mark.usefixtures("integration")
@pytest.mark.parametrize(("method", "requests"), [("GET", 2), ("POST", 1)])
async def test_only_idempotent_requests_are_resent_silently(
    hass: HomeAssistant, servers: Servers, method: str, requests: int
) -> None:
    """With retries=0 a POST is sent once; aiohttp re-sends a GET once by itself.

    aiohttp (RFC 9112 section 9.3.1) repeats an idempotent request once on a new
    connection when the server closes before answering: one attempt, two requests.
    """

    async def handler(
        server: RawServer, reader: asyncio.StreamReader, _writer: Any
    ) -> None:
        await server.request(reader)

    server = await servers.raw(handler)
    failure = await send_failing(hass, method=method, url=server.url("/"))
    assert_failure(failure, "cannot_connect", server.netloc, 2.0)
    assert len(server.requests) == requests


@pytest.fixture
def trust_certificates(hass: HomeAssistant, servers: Servers) -> Callable[[Path], None]:
    """Make this test's shared session trust a certificate (the system CAs don't)."""

    def trust(cert_path: Path) -> None:
        context = ssl.create_default_context(cafile=str(cert_path))
        connector = async_get_clientsession(hass).connector
        assert connector is not None
        original = connector._ssl  # type: ignore[attr-defined]
        connector._ssl = context  # type: ignore[attr-defined]

        async def restore() -> None:
            connector._ssl = original  # type: ignore[attr-defined]

        servers.on_close(restore)

    return trust


@pytest.mark.usefixtures("integration")
async def test_tls_certificate_for_another_host(
    hass: HomeAssistant,
    servers: Servers,
    trust_certificates: Callable[[Path], None],
) -> None:
    """A trusted certificate for wrong.example fails on 127.0.0.1 unless unverified.

    The control, a trusted certificate for 127.0.0.1, passes: so the failure is the
    host name, not the trust.
    """
    wrong = await start_tls_server(servers, "wrong.example")
    right = await start_tls_server(servers, "127.0.0.1")
    trust_certificates(servers.tmp_path / "wrong.example" / "cert.pem")

    failure = await send_failing(hass, url=wrong.url("/"))
    assert_failure(failure, "ssl_error", f"127.0.0.1:{wrong.port}", 2.0)
    assert wrong.requests == 0

    response = await send(hass, url=wrong.url("/"), verify_ssl=False)
    assert response["content"] == {"ok": True}
    assert wrong.requests == 1

    trust_certificates(servers.tmp_path / "127.0.0.1" / "cert.pem")
    response = await send(hass, url=right.url("/"))
    assert response["content"] == {"ok": True}


@pytest.mark.usefixtures("integration")
async def test_dns_failure_is_cannot_connect(
    hass: HomeAssistant, servers: Servers, debug_logs: pytest.LogCaptureFixture
) -> None:
    """A name the resolver does not know fails as a DNS error, not a blocked socket."""
    dns = await use_nxdomain_resolver(hass, servers)
    failure = await send_failing(hass, url="http://does-not-exist.invalid/x")
    assert_failure(failure, "cannot_connect", "does-not-exist.invalid", 2.0)
    assert "does-not-exist.invalid" in dns.names
    assert "ClientConnectorDNSError" in debug_logs.text
    assert "SocketBlocked" not in debug_logs.text
    assert "DNS resolution disabled" not in debug_logs.text


def ipv6_loopback_usable() -> bool:
    """Return whether this machine can listen on ::1."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
def allow_ipv6_loopback(socket_enabled: None) -> Generator[None]:
    """Let this test connect to ::1 too (phcc allows 127.0.0.1 only)."""
    socket_class = socket.socket
    guarded_connect = socket_class.connect
    pytest_socket.socket_allow_hosts(["127.0.0.1", "::1"], allow_unix_socket=True)
    yield
    socket_class.connect = guarded_connect  # type: ignore[method-assign]


@pytest.mark.skipif(not ipv6_loopback_usable(), reason="::1 cannot be bound here")
@pytest.mark.usefixtures("integration", "allow_ipv6_loopback")
async def test_ipv6_loopback(hass: HomeAssistant, servers: Servers) -> None:
    """[::1] works, and errors name the host in brackets with its port."""
    server = await servers.app(
        {"/v6": scripted_route([lambda: web.json_response({"v": 6})])}, host="::1"
    )
    response = await send(hass, url=server.url("/v6"))
    assert response["content"] == {"v": 6}
    assert response["url"] == f"http://[::1]:{server.port}/v6"

    refusing = await servers.raw(_close_before_answering, host="::1")
    failure = await send_failing(hass, url=refusing.url("/"))
    assert_failure(failure, "cannot_connect", f"[::1]:{refusing.port}", 2.0)


@pytest.mark.usefixtures("integration")
async def test_huge_response_header(hass: HomeAssistant, servers: Servers) -> None:
    """A header over the session's limit is invalid_response; under it, fine.

    aiohttp's limit is 8190 bytes; HA's shared session raises it to 64 KiB from
    HA 2026.10 on. The test reads the limit off the session.
    """
    limit = async_get_clientsession(hass)._max_field_size  # type: ignore[attr-defined]
    assert limit >= 8190

    def header_of(size: int) -> RawHandler:
        async def handler(
            server: RawServer,
            reader: asyncio.StreamReader,
            writer: asyncio.StreamWriter,
        ) -> None:
            await server.request(reader)
            writer.write(
                b"HTTP/1.1 200 OK\r\nX-Big: %s\r\nContent-Length: 2\r\n\r\nok"
                % (b"a" * size)
            )
            await writer.drain()

        return handler

    over = await servers.raw(header_of(limit + 1))
    failure = await send_failing(hass, url=over.url("/"))
    assert_failure(failure, "invalid_response", over.netloc, 2.0)

    nine_kib = await servers.raw(header_of(9 * 1024))
    if limit < 9 * 1024:
        failure = await send_failing(hass, url=nine_kib.url("/"))
        assert_failure(failure, "invalid_response", nine_kib.netloc, 2.0)
    else:
        response = await send(hass, url=nine_kib.url("/"))
        assert len(response["headers"]["X-Big"]) == 9 * 1024

    under = await servers.raw(header_of(limit - len("X-Big: ") - 16))
    response = await send(hass, url=under.url("/"))
    assert response["content"] == "ok"


@pytest.mark.usefixtures("integration")
@pytest.mark.parametrize(
    ("content_type", "content", "encoding"),
    [
        ("text/plain", "Y2Fm6SDgIGxhIGNy6G1l", "base64"),
        ("text/plain; charset=latin-1", "café à la crème", None),
        ("text/plain; charset=ISO-8859-1", "café à la crème", None),
        ("text/plain; charset=no-such-charset", "Y2Fm6SDgIGxhIGNy6G1l", "base64"),
    ],
)
async def test_non_utf8_text(
    hass: HomeAssistant,
    servers: Servers,
    content_type: str,
    content: str,
    encoding: str | None,
) -> None:
    """Latin-1 text without a charset is base64; with one, it is decoded."""
    body = "café à la crème".encode("latin-1")

    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, headers={"Content-Type": content_type})

    server = await servers.app({"/text": handler})
    response = await send(hass, url=server.url("/text"))
    assert response["content"] == content
    assert response["content_encoding"] == encoding
    assert response["content_type"] == "text/plain"


# --------------------------------------------------------------------------------
# What a hostile server sends back (defects found by review, each reproduced)
# --------------------------------------------------------------------------------


def raw_answer(head: bytes, body: bytes = b"") -> RawHandler:
    """Return a handler that answers every request with head and body."""

    async def handler(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await server.request(reader)
        length = f"Content-Length: {len(body)}\r\n".encode()
        writer.write(head + length + b"Connection: close\r\n\r\n" + body)
        await writer.drain()

    return handler


@pytest.mark.usefixtures("integration")
@pytest.mark.parametrize(
    ("charset", "body", "content"),
    [
        ("undefined", b"caf\xc3\xa9", "caf\u00e9"),  # its codec always raises
        ("utf-7", b"+2D3cAA-", "+2D3cAA-"),  # would decode to a lone surrogate
        ("rot13", b"uryyb", "uryyb"),  # not a text encoding
    ],
)
async def test_non_text_charsets_are_ignored(
    hass: HomeAssistant, servers: Servers, charset: str, body: bytes, content: str
) -> None:
    """Only real text encodings are decoded; the response passes HA's encoder."""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset={charset}\r\n"
    server = await servers.raw(raw_answer(head.encode(), body))
    response = await send(hass, url=server.url("/"))
    assert response["content"] == content
    json_bytes(response)


@pytest.mark.usefixtures("integration")
@pytest.mark.parametrize("value", ["\u00b2", "\u2460", "\u0663"])
async def test_retry_after_with_non_ascii_digits_uses_backoff(
    hass: HomeAssistant, servers: Servers, value: str
) -> None:
    """'²' passes str.isdigit() but is no number: the normal backoff is used."""
    head = b"HTTP/1.1 503 Busy\r\nRetry-After: " + value.encode() + b"\r\n"

    async def busy_then_ok(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if server.connections == 1:
            await raw_answer(head)(server, reader, writer)
        else:
            await server.request(reader)
            writer.write(OK_RESPONSE)
            await writer.drain()

    server = await servers.raw(busy_then_ok)
    with record_retry_sleeps(really_sleep=False) as sleeps:
        response = await send(hass, url=server.url("/"), retries=1)
    assert response["content"] == {"ok": True}
    assert len(sleeps.delays) == 1
    assert 0.5 <= sleeps.delays[0] <= 1.0  # the first backoff step

    server = await servers.raw(raw_answer(head))
    response = await send(hass, url=server.url("/"), fail_on_http_error=False)
    assert response["status"] == 503
    assert response["headers"]["Retry-After"] == value


@pytest.mark.usefixtures("integration")
async def test_repeated_header_in_any_case_is_one_list(
    hass: HomeAssistant, servers: Servers
) -> None:
    """X-A: 1 and x-a: 2 come back as one key with a list, as the README says."""
    head = b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nX-B: \xff\r\n"
    server = await servers.raw(raw_answer(head))
    response = await send(hass, url=server.url("/"))
    assert response["headers"]["X-A"] == ["1", "2"]
    assert "x-a" not in response["headers"]
    assert response["headers"]["X-B"] == "\ufffd"  # not UTF-8: replaced
    json_bytes(response)


@pytest.mark.parametrize("status", [307, 308])
async def test_body_content_type_crosses_origins_with_the_body(
    hass: HomeAssistant, servers: Servers, status: int, add_profile: AddProfile
) -> None:
    """The profile's Content-Type is the body's media type, not a credential."""
    received: list[web.Request] = []

    async def landing(request: web.Request) -> web.Response:
        received.append(request)
        await request.read()
        return web.json_response({"ok": True})

    other = await servers.app({"/landing": landing})

    async def away(request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": other.url("/landing")})

    origin = await servers.app({"/away": away})
    await add_profile(
        "API",
        origin.url("/"),
        headers=[
            {"name": "Content-Type", "value": "application/vnd.x+json"},
            {"name": "X-Key", "value": "profile-secret"},
        ],
    )
    response = await send(hass, method="POST", url=origin.url("/away"), json={"a": 1})
    assert response["content"] == {"ok": True}
    assert received[0].headers["Content-Type"] == "application/vnd.x+json"
    assert "X-Key" not in received[0].headers
    assert other.bodies == [b'{"a":1}']


# --------------------------------------------------------------------------------
# JSON: big, deep, and numbers no float holds
# --------------------------------------------------------------------------------


def json_server_route(body: bytes) -> Route:
    """Return a handler answering body as application/json."""

    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, content_type="application/json")

    return handler


@pytest.mark.usefixtures("integration")
async def test_big_json_is_parsed_when_the_limit_allows_it(
    hass: HomeAssistant, servers: Servers
) -> None:
    """A 3 MiB JSON answer is a mapping when max_response_size lets it through.

    Over 512 KiB it was text: an automation reading content.items got nothing.
    """
    items = [{"id": n, "name": f"item {n}", "on": n % 2 == 0} for n in range(75_000)]
    body = json_bytes({"items": items})
    assert 3 * MIB <= len(body) < 4 * MIB
    server = await servers.app({"/big": json_server_route(body)})
    response = await send(hass, url=server.url("/big"), max_response_size=4 * MIB)
    assert isinstance(response["content"], dict)
    assert response["content"]["items"][74_999] == items[74_999]
    assert response["content_encoding"] is None
    failure = await send_failing(hass, url=server.url("/big"))
    assert_failure(failure, "response_too_large", server.netloc, LONG_TIMEOUT)
    assert len(body) > DEFAULT_MAX_RESPONSE_SIZE


def nested_json(depth: int, count: int = 1) -> bytes:
    """A list of count lists nested depth levels deep."""
    item = b"[" * depth + b"]" * depth
    return b"[" + b",".join([item] * count) + b"]"


DEEP_ANSWERS = {
    "300-levels": (nested_json(299), str),  # 600 bytes: HA's encoder refused it
    "200-levels-100-times": (nested_json(199, 100), str),  # aborted orjson's writer
    "1025-levels": (nested_json(1024), str),  # more than orjson parses
    "64-levels": (nested_json(63), list),
}


@pytest.mark.usefixtures("integration")
@pytest.mark.parametrize(("body", "kind"), DEEP_ANSWERS.values(), ids=DEEP_ANSWERS)
async def test_deep_json_goes_through_the_websocket_api(
    hass: HomeAssistant,
    servers: Servers,
    hass_ws_client: Any,
    body: bytes,
    kind: type,
) -> None:
    """JSON nested deeper than HA can write comes back as text, not an error.

    A 300-level list (600 bytes) was parsed, and the websocket API answered
    "Invalid JSON in response"; 200 levels 100 times over (40 KB) aborted Home
    Assistant in orjson's writer. 64 levels are parsed and go through.
    """
    server = await servers.app({"/deep": json_server_route(body)})
    client_ws = await hass_ws_client(hass)
    await client_ws.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": SERVICE_SEND,
            "service_data": {"url": server.url("/deep")},
            "return_response": True,
        }
    )
    message = await client_ws.receive_json()
    assert message["success"], message
    response = message["result"]["response"]
    assert isinstance(response["content"], kind)
    assert response["content_encoding"] is None
    if kind is str:
        assert response["content"] == body.decode()


HUGE_JSON_NUMBERS = {
    "400-digits": b'{"n": ' + b"9" * 400 + b"}",
    "minus-400-digits": b'{"n": -' + b"9" * 400 + b"}",
    "5000-digits": b'{"n": ' + b"9" * 5000 + b"}",
    "1e400": b'{"n": 1e400}',
    "past-64-bits": b'{"n": 18446744073709551616}',
}


@pytest.mark.usefixtures("integration")
@pytest.mark.parametrize("body", HUGE_JSON_NUMBERS.values(), ids=HUGE_JSON_NUMBERS)
async def test_huge_numbers_in_json(
    hass: HomeAssistant, servers: Servers, body: bytes
) -> None:
    """A number no float holds leaves the JSON as text; past 64 bits, a float."""
    server = await servers.app({"/n": json_server_route(body)})
    response = await send(hass, url=server.url("/n"))
    json_bytes(response)
    if body == HUGE_JSON_NUMBERS["past-64-bits"]:
        assert response["content"] == {"n": 18446744073709551616.0}
    else:
        assert response["content"] == body.decode()


HUGE_EXPIRES_IN = {
    "400-digits": b"9" * 400,
    "5000-digit-string": b'"' + b"9" * 5000 + b'"',
    "5000-digits": b"9" * 5000,
}


@pytest.mark.usefixtures("integration")
@pytest.mark.parametrize("expires_in", HUGE_EXPIRES_IN.values(), ids=HUGE_EXPIRES_IN)
async def test_oauth_token_with_a_huge_expires_in(
    hass: HomeAssistant, servers: Servers, expires_in: bytes, add_profile: AddProfile
) -> None:
    """An expires_in no float holds is no expiry: the token is used and kept.

    It raised OverflowError (400 digits) or ValueError (5000 digits in a string),
    untranslated.
    """
    tokens: list[int] = []

    async def token(_request: web.Request) -> web.StreamResponse:
        tokens.append(len(tokens))
        body = b'{"access_token": "t-%d", "expires_in": %s}' % (tokens[-1], expires_in)
        return web.Response(body=body, content_type="application/json")

    async def api(request: web.Request) -> web.StreamResponse:
        return web.json_response({"auth": request.headers.get("Authorization")})

    server = await servers.app({"/token": token, "/api/data": api})
    entry = await add_profile(
        "Cloud",
        server.url("/api/"),
        auth_type="oauth2_client_credentials",
        token_url=server.url("/token"),
        client_id="ha",
        client_secret=SECRET_TOKEN,
    )
    for _ in range(2):
        response = await send(hass, config_entry_id=entry.entry_id, url="data")
        assert response["content"] == {"auth": "Bearer t-0"}
    assert tokens == [0]
