"""Unit tests for the HTTP client's helpers and protocol-level failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any
from unittest.mock import patch

import aiohttp
from aiohttp.http_exceptions import DecompressSizeError
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import (
    SSRFRedirectError,
    async_get_clientsession,
)
from homeassistant.setup import async_setup_component
from multidict import CIMultiDict, CIMultiDictProxy
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from yarl import URL

from custom_components.scene_http_request import client
from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND

from .helpers import AddProfile


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 7 ", 7.0),
        ("3600", 60.0),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 0.0),
        ("garbage", None),
        ("-5", None),
        ("", None),
        ("\u00b2", None),  # superscript two: isdigit() but not a number
        ("\u2460", None),  # circled one
        ("\u0663", None),  # Arabic-Indic three
        ("1\u00b2", None),
        ("Wed, 21 Oct 2015 07:28:00 +9999", None),
        ("Mon, 99 Foo 99999 99:99:99 GMT", None),
    ],
)
def test_retry_after(value: str, expected: float | None) -> None:
    """Retry-After in ASCII seconds or as a date, capped at 60 s; else None."""
    headers = CIMultiDictProxy(CIMultiDict({"Retry-After": value}))
    assert client.retry_after(headers) == expected


def test_retry_after_absent() -> None:
    """No Retry-After means the normal backoff."""
    assert client.retry_after(CIMultiDictProxy(CIMultiDict())) is None


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


def _get(url: str, *, retries: int = 0, **changes: Any) -> client.Request:
    fields: dict[str, Any] = {
        "method": "GET",
        "url": URL(url),
        "headers": {},
        "timeout": 5,
        "verify_ssl": True,
        "allow_redirects": True,
        "retries": retries,
        "max_response_size": 1024,
    }
    return client.Request(**(fields | changes))


async def _request(hass: HomeAssistant, url: str, retries: int = 0) -> client.Response:
    http = client.HttpClient(async_get_clientsession(hass))
    return await http.async_request(_get(url, retries=retries))


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
    with pytest.raises(client.RequestError) as info:
        await _request(hass, url)
    assert info.value.translation_key == "invalid_response"
    assert "secret-path" not in str(info.value)


async def test_server_closes_without_answer(
    hass: HomeAssistant, raw_server: tuple[str, list[bytes]]
) -> None:
    """A server that hangs up before answering is cannot_connect."""
    url, _ = raw_server
    with pytest.raises(client.RequestError) as info:
        await _request(hass, url)
    assert info.value.translation_key == "cannot_connect"


async def test_blocked_redirect_is_not_retried(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """HA's SSRF guard becomes redirect_blocked, without retries."""
    aioclient_mock.get(
        "http://example.com/hook", exc=SSRFRedirectError("to a blocked address")
    )
    with pytest.raises(client.RequestError) as info:
        await _request(hass, "http://example.com/hook", retries=3)
    assert info.value.translation_key == "redirect_blocked"
    assert info.value.translation_placeholders == {"host": "example.com"}
    assert not info.value.retryable
    assert aioclient_mock.call_count == 1


async def test_session_middlewares_are_kept(hass: HomeAssistant) -> None:
    """Digest auth goes after the session's own middlewares (HA's redirect guard)."""
    session = async_get_clientsession(hass)
    middlewares = client.session_middlewares(session)
    assert middlewares == tuple(session._middlewares)
    assert middlewares  # HA's redirect guard is there to keep


async def test_missing_session_middlewares_fail_loudly() -> None:
    """If aiohttp renames the attribute, the client refuses to start."""

    class _Renamed:
        pass

    with pytest.raises(RuntimeError, match="_middlewares"):
        client.HttpClient(_Renamed())  # type: ignore[arg-type]


async def test_setup_fails_when_session_middlewares_are_missing(
    hass: HomeAssistant,
) -> None:
    """The integration does not load rather than drop HA's redirect guard."""
    with patch.object(
        client,
        "session_middlewares",
        side_effect=RuntimeError("no _middlewares"),
    ):
        assert not await async_setup_component(hass, DOMAIN, {})
    assert not hass.services.has_service(DOMAIN, SERVICE_SEND)


def test_decompress_limit_of_old_aiohttp_is_too_large() -> None:
    """Aiohttp's own inflate limit (aiohttp < 3.14) is response_too_large."""
    err = aiohttp.ClientPayloadError("Response payload is not completed")
    err.__cause__ = DecompressSizeError("Decompressed data exceeds the limit")
    error = client._failure(err, URL("http://example.com/secret"), 1024)
    assert error.translation_key == "response_too_large"
    assert not error.retryable
    assert error.translation_placeholders == {"host": "example.com", "limit": "1024"}


def test_other_payload_errors_are_retryable() -> None:
    """A body cut short is cannot_connect, and may be retried."""
    error = client._failure(
        aiohttp.ClientPayloadError("Response payload is not completed"),
        URL("http://example.com/"),
        1024,
    )
    assert error.retryable
    assert error.translation_key == "cannot_connect"


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


async def test_client_through_aioclient_mock(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """HA's own test double works: a response without a reason phrase is fine."""
    aioclient_mock.get(
        "http://example.com/items", status=200, json={"a": 1}, headers={"X-A": "1"}
    )
    response = await _request(hass, "http://example.com/items")
    assert response.status == 200
    assert response.reason == ""
    assert response.body == b'{"a":1}'
    assert response.headers["x-a"] == "1"
    assert response.attempts == 1


async def test_scoped_headers_through_aioclient_mock(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Scoped headers reach the request's origin; a call's header replaces one."""
    aioclient_mock.get("http://example.com/items", text="ok")
    http = client.HttpClient(async_get_clientsession(hass))
    await http.async_request(
        _get(
            "http://example.com/items",
            headers={"x-key": "call"},
            scoped_headers=(("X-Key", "profile"), ("Authorization", "Bearer t")),
        )
    )
    sent = aioclient_mock.mock_calls[0][3]
    assert sent.getall("X-Key") == ["call"]
    assert sent["Authorization"] == "Bearer t"


async def test_retries_through_aioclient_mock(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A connection error is retried, then reported as cannot_connect."""
    aioclient_mock.get("http://example.com/", exc=aiohttp.ClientConnectionError())
    with (
        patch.object(client.asyncio, "sleep") as sleep,
        pytest.raises(client.RequestError) as info,
    ):
        await _request(hass, "http://example.com/", retries=2)
    assert info.value.translation_key == "cannot_connect"
    assert aioclient_mock.call_count == 3
    assert sleep.await_count == 2


async def test_action_through_aioclient_mock(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, add_profile: AddProfile
) -> None:
    """The whole action runs on HA's test double: what is sent, what comes back."""
    aioclient_mock.post(
        "https://api.example.com/v1/items",
        status=201,
        json={"id": 7},
        headers={"Content-Type": "application/json", "X-A": "1"},
    )
    assert await async_setup_component(hass, DOMAIN, {})
    await add_profile(
        "API", "https://api.example.com/v1/", auth_type="bearer", token="tok"
    )
    response = await hass.services.async_call(
        DOMAIN,
        SERVICE_SEND,
        {"url": "https://api.example.com/v1/items", "method": "post", "json": {"a": 1}},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["status"] == 201
    assert response["reason"] == ""
    assert response["content"] == {"id": 7}
    assert response["headers"]["X-A"] == "1"
    assert response["profile"] == "API"
    method, url, data, headers = aioclient_mock.mock_calls[0]
    assert (method, str(url), data) == (
        "POST",
        "https://api.example.com/v1/items",
        b'{"a":1}',
    )
    assert headers["Authorization"] == "Bearer tok"
    assert headers["Content-Type"] == "application/json"


async def test_action_http_error_through_aioclient_mock(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """A 500 from the test double fails the action with http_error, host only."""
    aioclient_mock.get("http://example.com/secret-path", status=500, text="boom")
    assert await async_setup_component(hass, DOMAIN, {})
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_SEND,
            {"url": "http://example.com/secret-path"},
            blocking=True,
        )
    assert info.value.translation_key == "http_error"
    assert info.value.translation_placeholders == {
        "status": "500",
        "reason": "",
        "host": "example.com",
    }
