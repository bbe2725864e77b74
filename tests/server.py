"""A real HTTP(S) server on loopback that records what it receives."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import datetime as dt
import ipaddress
from pathlib import Path
import ssl
import threading
from typing import Self

from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from multidict import CIMultiDict
from yarl import URL

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: CIMultiDict[str]
    body: bytes


@dataclass
class RecordingServer:
    """Routes requests to handlers by path and keeps every request received."""

    server: TestServer
    routes: dict[str, Handler] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def url(self, path: str = "/") -> str:
        """Return the absolute URL of path on this server."""
        return str(self.base.join(URL(path.lstrip("/"))))

    @property
    def base(self) -> URL:
        """Return the server's base URL (ends with /)."""
        return self.server.make_url("/")

    @property
    def last(self) -> Received:
        """Return the last request received."""
        return self.received[-1]

    def route(self, path: str) -> Callable[[Handler], Handler]:
        """Register a handler for path (decorator)."""

        def register(handler: Handler) -> Handler:
            self.routes[path] = handler
            return handler

        return register


async def start_server(
    *, ssl_context: ssl.SSLContext | None = None, host: str = "127.0.0.1"
) -> RecordingServer:
    """Start a recording server; requests to unknown paths answer JSON."""
    recording: RecordingServer

    async def dispatch(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        recording.received.append(
            Received(
                method=request.method,
                path=request.path,
                query=list(request.query.items()),
                headers=CIMultiDict(request.headers),
                body=body,
            )
        )
        handler = recording.routes.get(request.path)
        if handler is not None:
            return await handler(request)
        return web.json_response({"ok": True, "path": request.path})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", dispatch)
    server = TestServer(app, host=host, scheme="https" if ssl_context else "http")
    await server.start_server(ssl=ssl_context)
    recording = RecordingServer(server=server)
    return recording


@dataclass(frozen=True, slots=True)
class SelfSignedCert:
    """A self-signed certificate and key written to files."""

    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        """Return a server-side TLS context that presents this certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def make_self_signed_cert(directory: Path, host: str = "127.0.0.1") -> SelfSignedCert:
    """Generate a self-signed certificate for host (an IP or a DNS name)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, host)])
    try:
        alt_name: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt_name = x509.DNSName(host)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([alt_name]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return SelfSignedCert(cert_path, key_path)


class ThreadedServer:
    """A server on its own event loop in a thread.

    Failed TLS handshakes raise in the server's loop; keeping that loop apart
    stops them from failing the test through HA's loop exception handler.
    """

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        """Prepare a server; start it with `with`."""
        self._ssl_context = ssl_context
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(lambda _loop, _context: None)
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.received: list[str] = []

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        """Return the URL of path on this server."""
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    async def _start(self) -> None:
        async def handle(request: web.Request) -> web.Response:
            self.received.append(request.path)
            return web.json_response({"path": request.path})

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._ssl_context)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]

    def __enter__(self) -> Self:
        """Start the server thread and wait until it listens."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server and join its thread."""
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(
                10
            )
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """Read one HTTP/1.1 request (head and Content-Length body) off a stream."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return head + body


type RawHandler = Callable[
    ["RawServer", asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]
]


@dataclass
class RawServer:
    """A TCP server on loopback that answers with whatever bytes a test scripts."""

    handler: RawHandler
    host: str = "127.0.0.1"
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> None:
        """Listen on an ephemeral port."""
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def netloc(self) -> str:
        """Return host:port as the action's messages spell it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """Return the http URL of path on this server."""
        return f"http://{self.netloc}{path}"

    async def request(self, reader: asyncio.StreamReader) -> bytes:
        """Read and record one request."""
        raw = await read_request(reader)
        self.requests.append(raw)
        return raw

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            await self.handler(self, reader, writer)
        except ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError:
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def close(self) -> None:
        """Stop listening, cut every connection and end every handler."""
        assert self._server is not None
        self._server.close()
        self._server.close_clients()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
