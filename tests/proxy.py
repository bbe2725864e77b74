"""A forward HTTP proxy on loopback: CONNECT tunnels and absolute-form requests.

It checks Proxy-Authorization when it has credentials, answers 407 otherwise, and
records what it saw: the method, the target and the Proxy-Authorization header.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from dataclasses import dataclass, field

from yarl import URL


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as the proxy saw it."""

    method: str
    target: str
    proxy_authorization: str | None


@dataclass
class ForwardProxy:
    """Tunnels CONNECT and forwards plain HTTP requests to 127.0.0.1."""

    credentials: tuple[str, str] | None = None
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Return the proxy's URL."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on an ephemeral port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and end every tunnel."""
        assert self._server is not None
        self._server.close()
        await self.drop_connections()
        await self._server.wait_closed()

    async def drop_connections(self) -> None:
        """End every connection and tunnel, so upstream servers can stop cleanly."""
        assert self._server is not None
        self._server.close_clients()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        self._writers.clear()

    def _authorized(self, value: str | None) -> bool:
        if self.credentials is None:
            return True
        expected = base64.b64encode(":".join(self.credentials).encode()).decode()
        return value == f"Basic {expected}"

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.append(writer)
        try:
            await self._handle(reader, writer)
        except ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError:
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, target, version = request_line.split(" ")
        headers = [line for line in lines if line]
        auth = next(
            (
                line.partition(":")[2].strip()
                for line in headers
                if line.lower().startswith("proxy-authorization:")
            ),
            None,
        )
        self.seen.append(Seen(method, target, auth))
        if not self._authorized(auth):
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\n'
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream_reader, upstream_writer = await asyncio.open_connection(
                host, int(port)
            )
            self._writers.append(upstream_writer)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
        else:
            url = URL(target)
            upstream_reader, upstream_writer = await asyncio.open_connection(
                url.host, url.port
            )
            self._writers.append(upstream_writer)
            kept = [
                line
                for line in headers
                if not line.lower().startswith(("proxy-", "connection:"))
            ]
            forwarded = [f"{method} {url.raw_path_qs} {version}", *kept]
            forwarded.append("Connection: close")
            upstream_writer.write(("\r\n".join(forwarded) + "\r\n\r\n").encode())
        await _pipe_both(reader, writer, upstream_reader, upstream_writer)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def _pipe_both(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    upstream_writer: asyncio.StreamWriter,
) -> None:
    await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
