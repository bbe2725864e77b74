"""Unit tests for the HTTP client's helpers and protocol-level failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import aiohttp
from aiohttp.http_exceptions import DecompressSizeError
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import (
    SSRFRedirectError,
    async_get_clientsession,
)
from multidict import CIMultiDict, CIMultiDictProxy
import pytest
from yarl import URL

from custom_components.scene_http_request import client
from custom_components.scene_http_request.deadline import (
    Deadlines,
    async_get_deadlines,
)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://example.com/a?b=c", "example.com"),
        ("http://example.com:80/", "example.com"),
        ("https://example.com:8443/", "example.com:8443"),
        ("http://[::1]:8123/path", "[::1]:8123"),
        ("http://[::1]/", "[::1]"),
    ],
)
def test_host_of(url: str, host: str) -> None:
    """Messages name the host and a non-default port, never the path."""
    assert client.host_of(URL(url)) == host


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 7 ", 7.0),
        ("3600", 60.0),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 0.0),
        ("garbage", None),
        ("-5", None),
    ],
)
def test_retry_after(value: str, expected: float | None) -> None:
    """Retry-After in seconds or as a date, capped at 60 s."""
    headers = CIMultiDictProxy(CIMultiDict({"Retry-After": value}))
    assert client._retry_after(headers) == expected


@pytest.fixture
async def raw_server(
    socket_enabled: None,
) -> AsyncGenerator[tuple[str, list[bytes]]]:
    """A TCP server on loopback that answers every request with given bytes."""
    replies: list[bytes] = []

    async def answer(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(replies.pop(0) if replies else b"")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/secret-path", replies
    server.close()
    await server.wait_closed()


async def _request(hass: HomeAssistant, url: str, retries: int = 0) -> None:
    await client.async_request(
        async_get_clientsession(hass),
        client.RequestOptions(
            method="GET",
            url=URL(url),
            headers={},
            timeout=5,
            verify_ssl=True,
            retries=retries,
            max_response_size=1024,
        ),
        async_get_deadlines(hass),
    )


@pytest.mark.parametrize(
    "reply",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Huge: " + b"a" * 300_000 + b"\r\n\r\n",
    ],
    ids=["not-http", "huge-header"],
)
async def test_malformed_response(
    hass: HomeAssistant, raw_server: tuple[str, list[bytes]], reply: bytes
) -> None:
    """A response that is not HTTP is invalid_response, naming the host only."""
    url, replies = raw_server
    replies.append(reply)
    with pytest.raises(client.HttpRequestError) as info:
        await _request(hass, url)
    assert info.value.translation_key == "invalid_response"
    assert "secret-path" not in str(info.value)


async def test_server_closes_without_answer(
    hass: HomeAssistant, raw_server: tuple[str, list[bytes]]
) -> None:
    """A server that hangs up before answering is cannot_connect."""
    url, _ = raw_server
    with pytest.raises(client.HttpRequestError) as info:
        await _request(hass, url)
    assert info.value.translation_key == "cannot_connect"


class _SsrfBlockingSession:
    """Stands in for HA's session when its redirect guard refuses a hop."""

    def request(self, *_args: object, **_kwargs: object) -> None:
        raise SSRFRedirectError("Redirect to a blocked address")


async def test_blocked_redirect_is_not_retried() -> None:
    """HA's SSRF guard becomes redirect_blocked, without retries."""
    deadlines = Deadlines(asyncio.get_running_loop())
    with pytest.raises(client.HttpRequestError) as info:
        await client.async_request(
            _SsrfBlockingSession(),  # type: ignore[arg-type]
            client.RequestOptions(
                method="GET",
                url=URL("http://example.com/hook"),
                headers={},
                timeout=5,
                verify_ssl=True,
                retries=3,
                max_response_size=1024,
            ),
            deadlines,
        )
    deadlines.close()
    assert info.value.translation_key == "redirect_blocked"
    assert info.value.translation_placeholders == {"host": "example.com"}


async def test_digest_keeps_session_middlewares(hass: HomeAssistant) -> None:
    """Digest auth is added after the session's own middlewares, not instead."""
    session = async_get_clientsession(hass)
    digest = aiohttp.DigestAuthMiddleware("u", "p")
    middlewares = client._with_digest(session, digest)
    assert middlewares is not None
    assert middlewares[-1] is digest
    assert tuple(middlewares[:-1]) == tuple(session._middlewares)
    assert len(middlewares) > 1  # HA's redirect guard is kept
    assert client._with_digest(session, None) is None


def test_decompress_limit_of_old_aiohttp_is_too_large() -> None:
    """Aiohttp's own inflate limit (aiohttp < 3.14) is response_too_large."""
    err = aiohttp.ClientPayloadError("Response payload is not completed")
    err.__cause__ = DecompressSizeError("Decompressed data exceeds the limit")
    error = client._failure(err, URL("http://example.com/secret"), 1024)
    assert isinstance(error, client.HttpRequestError)
    assert error.translation_key == "response_too_large"
    assert error.translation_placeholders == {"host": "example.com", "limit": "1024"}


def test_other_payload_errors_are_retryable() -> None:
    """A body cut short is cannot_connect, and may be retried."""
    error = client._failure(
        aiohttp.ClientPayloadError("Response payload is not completed"),
        URL("http://example.com/"),
        1024,
    )
    assert isinstance(error, client._RetryableError)
    assert error.error.translation_key == "cannot_connect"


async def test_cancelled_request_stays_cancelled(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """Cancelling the caller (a script stopped) is not reported as a timeout."""
    release = asyncio.Event()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await release.wait()
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    task = asyncio.create_task(_request(hass, f"http://127.0.0.1:{port}/"))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    server.close()
    await server.wait_closed()
