"""Tests for the scene_http_request.send action against a real local server."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web
from homeassistant.components import automation
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.json import json_bytes
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
import voluptuous as vol

from custom_components.scene_http_request import client
from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND

from .helpers import AddProfile, send, send_error
from .retry_sleep import patched_retry_sleep
from .server import (
    RecordingServer,
    ThreadedServer,
    make_self_signed_cert,
    start_server,
)


@pytest.fixture
async def setup_integration(add_profile: AddProfile) -> MockConfigEntry:
    """Set up the integration with one profile that has no base URL."""
    return await add_profile("Plain")


pytestmark = pytest.mark.usefixtures("setup_integration")


async def test_get_json(hass: HomeAssistant, server: RecordingServer) -> None:
    """A GET returns parsed JSON and the response metadata."""
    response = await send(hass, url=server.url("/hello"))
    assert server.last.method == "GET"
    assert response["status"] == 200
    assert response["reason"] == "OK"
    assert response["ok"] is True
    assert response["content"] == {"ok": True, "path": "/hello"}
    assert response["content_type"] == "application/json"
    assert response["content_encoding"] is None
    assert response["attempts"] == 1
    assert response["profile"] is None
    assert response["url"] == server.url("/hello")
    assert response["headers"]["Content-Type"].startswith("application/json")
    assert 0 < response["elapsed"] < 5
    json_bytes(response)  # Home Assistant can encode the response


@pytest.mark.parametrize(
    "method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "head", "post"]
)
async def test_methods(
    hass: HomeAssistant, server: RecordingServer, method: str
) -> None:
    """Every method is sent as asked, in any case."""
    response = await send(hass, url=server.url("/m"), method=method)
    assert server.last.method == method.upper()
    if method.upper() == "HEAD":
        assert response["content"] is None
    else:
        assert response["content"]["path"] == "/m"


async def test_unknown_method_is_rejected(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """A method outside the list fails schema validation."""
    with pytest.raises(vol.Invalid):
        await send(hass, url=server.url("/"), method="TRACE")
    assert server.received == []


async def test_headers_and_params(hass: HomeAssistant, server: RecordingServer) -> None:
    """Headers are stringified; params merge with the URL's own query."""
    await send(
        hass,
        url=server.url("/q?a=1"),
        headers={"X-Num": 5, "X-Flag": True, "X-Off": False, "X-Text": "t"},
        params={"b": 2, "tag": ["x", "y"], "flag": True, "empty": None, "f": 1.5},
    )
    headers = server.last.headers
    assert headers["X-Num"] == "5"
    assert headers["X-Flag"] == "true"
    assert headers["X-Off"] == "false"
    assert headers["X-Text"] == "t"
    assert server.last.query == [
        ("a", "1"),
        ("b", "2"),
        ("tag", "x"),
        ("tag", "y"),
        ("flag", "true"),
        ("empty", ""),
        ("f", "1.5"),
    ]


@pytest.mark.parametrize(
    ("headers", "key"),
    [
        ({"Bad Name": "x"}, "invalid_header_name"),
        ({"X-Évil": "x"}, "invalid_header_name"),
        ({"": "x"}, "invalid_header_name"),
        ({"X-Inject": "a\r\nX-Other: b"}, "invalid_header_value"),
        ({"X-Nul": "a\x00b"}, "invalid_header_value"),
        ({"X-Nested": {"a": 1}}, "invalid_header_value"),
    ],
)
async def test_invalid_headers(
    hass: HomeAssistant,
    server: RecordingServer,
    headers: dict[str, Any],
    key: str,
) -> None:
    """Bad header names and values are refused before any request."""
    err = await send_error(
        hass, ServiceValidationError, url=server.url("/"), headers=headers
    )
    assert err.translation_key == key
    assert err.translation_domain == DOMAIN
    assert server.received == []


async def test_invalid_params(hass: HomeAssistant, server: RecordingServer) -> None:
    """A nested params value is refused."""
    err = await send_error(
        hass, ServiceValidationError, url=server.url("/"), params={"p": {"x": 1}}
    )
    assert err.translation_key == "invalid_params"
    assert err.translation_placeholders == {"name": "p"}
    assert server.received == []


async def test_json_body(hass: HomeAssistant, server: RecordingServer) -> None:
    """A JSON body of any JSON value is sent as application/json."""
    payload = {"value1": "Alice", "nested": [1, 2.5, None, True, {"é": "ü"}]}
    await send(hass, url=server.url("/j"), method="POST", json=payload)
    assert server.last.headers["Content-Type"] == "application/json"
    assert json.loads(server.last.body) == payload
    await send(hass, url=server.url("/j"), method="POST", json=[1, "two"])
    assert json.loads(server.last.body) == [1, "two"]
    await send(hass, url=server.url("/j"), method="POST", json="text")
    assert json.loads(server.last.body) == "text"


async def test_json_body_keeps_given_content_type(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """A Content-Type header (any case) wins over the body's default."""
    await send(
        hass,
        url=server.url("/j"),
        method="POST",
        json={"a": 1},
        headers={"content-type": "application/vnd.api+json"},
    )
    assert server.last.headers["Content-Type"] == "application/vnd.api+json"


async def test_json_body_not_serializable(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """A JSON value that cannot be encoded is a validation error."""
    err = await send_error(
        hass, ServiceValidationError, url=server.url("/"), json={"a": object()}
    )
    assert err.translation_key == "invalid_json"


async def test_profile_content_type_is_kept(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """A profile's Content-Type header is not replaced by the body's default."""
    entry = await add_profile(
        "Typed",
        server.url("/"),
        headers=[{"name": "Content-Type", "value": "application/vnd.x+json"}],
    )
    await send(hass, config_entry_id=entry.entry_id, url="t", json={"a": 1})
    assert server.last.headers.getall("Content-Type") == ["application/vnd.x+json"]


async def test_form_body(hass: HomeAssistant, server: RecordingServer) -> None:
    """A form body is sent urlencoded; a list repeats its key."""
    await send(
        hass,
        url=server.url("/f"),
        method="POST",
        form={"name": "Alice & Bob", "n": 3, "tag": ["a", "b"]},
    )
    assert server.last.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert server.last.body == b"name=Alice+%26+Bob&n=3&tag=a&tag=b"


async def test_invalid_form(hass: HomeAssistant, server: RecordingServer) -> None:
    """A nested form value is refused."""
    err = await send_error(
        hass, ServiceValidationError, url=server.url("/"), form={"f": [{"x": 1}]}
    )
    assert err.translation_key == "invalid_form"


async def test_text_body(hass: HomeAssistant, server: RecordingServer) -> None:
    """A text body is sent as is, text/plain unless a Content-Type is given."""
    await send(hass, url=server.url("/t"), method="PUT", body="héllo")
    assert server.last.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert server.last.body == "héllo".encode()
    await send(
        hass,
        url=server.url("/t"),
        method="PUT",
        body="<a/>",
        headers={"Content-Type": "application/xml"},
    )
    assert server.last.headers["Content-Type"] == "application/xml"
    assert server.last.body == b"<a/>"


async def test_two_bodies_rejected(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """At most one of json, form and body."""
    err = await send_error(
        hass,
        ServiceValidationError,
        url=server.url("/"),
        json={"a": 1},
        body="x",
    )
    assert err.translation_key == "multiple_bodies"
    assert err.translation_placeholders == {"fields": "json, body"}
    assert server.received == []


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("ftp://example.com/file", "unsupported_scheme"),
        ("file:///etc/passwd", "unsupported_scheme"),
        ("http://user:pw@example.com/", "url_has_credentials"),
        ("http://user@example.com/", "url_has_credentials"),
        ("relative/path", "relative_url_without_base"),
        ("/absolute/path", "relative_url_without_base"),
        ("//example.com/x", "invalid_url"),
        ("http://example.com:99999/", "invalid_url"),
        ("http:///nohost", "invalid_url"),
        ("http://exa mple.com/", "invalid_url"),
        (" http://example.com/", "invalid_url"),
        ("http://example.com/\r\nX: y", "invalid_url"),
    ],
)
async def test_invalid_urls(hass: HomeAssistant, url: str, key: str) -> None:
    """URLs that cannot be sent give a translated validation error."""
    err = await send_error(hass, ServiceValidationError, url=url)
    assert err.translation_key == key
    assert err.translation_domain == DOMAIN
    assert "pw" not in str(err.translation_placeholders)


async def test_http_error_fails(hass: HomeAssistant, server: RecordingServer) -> None:
    """A status >= 400 raises by default, naming status, reason and host only."""

    @server.route("/secret-path")
    async def fail(request: web.Request) -> web.Response:
        return web.Response(status=500, reason="Internal Server Error")

    err = await send_error(hass, url=server.url("/secret-path?key=abc"))
    assert err.translation_key == "http_error"
    assert err.translation_placeholders == {
        "status": "500",
        "reason": "Internal Server Error",
        "host": f"127.0.0.1:{server.server.port}",
    }
    assert "secret-path" not in str(err)
    assert "abc" not in str(err)


async def test_http_error_returned_when_not_failing(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """With fail_on_http_error false any status is a normal response."""

    @server.route("/missing")
    async def missing(request: web.Request) -> web.Response:
        return web.json_response({"error": "nope"}, status=404)

    response = await send(hass, url=server.url("/missing"), fail_on_http_error=False)
    assert response["status"] == 404
    assert response["ok"] is False
    assert response["content"] == {"error": "nope"}


async def test_no_response_requested_reads_body(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """Without a response variable the call returns nothing but still completes."""
    result = await hass.services.async_call(
        DOMAIN, SERVICE_SEND, {"url": server.url("/x")}, blocking=True
    )
    assert result is None
    assert server.last.path == "/x"


async def test_response_content_kinds(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """Binary, invalid JSON, text, non-UTF-8, empty and +json bodies."""
    png = b"\x89PNG\r\n\x1a\n\x00\xff"

    @server.route("/png")
    async def image(request: web.Request) -> web.Response:
        return web.Response(body=png, content_type="image/png")

    @server.route("/badjson")
    async def bad_json(request: web.Request) -> web.Response:
        return web.Response(text="{not json", content_type="application/json")

    @server.route("/problem")
    async def problem(request: web.Request) -> web.Response:
        return web.Response(
            text='{"title": "x"}', content_type="application/problem+json"
        )

    @server.route("/latin1")
    async def latin1(request: web.Request) -> web.Response:
        return web.Response(
            body="café".encode("latin-1"), content_type="text/plain", charset="latin-1"
        )

    @server.route("/undecodable")
    async def undecodable(request: web.Request) -> web.Response:
        return web.Response(
            body="café".encode("latin-1"), headers={"Content-Type": "text/plain"}
        )

    @server.route("/unknown-charset")
    async def unknown_charset(request: web.Request) -> web.Response:
        return web.Response(
            body=b"plain", headers={"Content-Type": "text/plain; charset=nope"}
        )

    @server.route("/empty")
    async def empty(request: web.Request) -> web.Response:
        return web.Response(status=204)

    @server.route("/octets")
    async def octets(request: web.Request) -> web.Response:
        return web.Response(body=b"raw bytes")

    @server.route("/vendor")
    async def vendor(request: web.Request) -> web.Response:
        return web.Response(body=b"a,b", content_type="application/vnd.csv")

    response = await send(hass, url=server.url("/png"))
    assert response["content_encoding"] == "base64"
    assert base64.b64decode(response["content"]) == png
    assert response["content_type"] == "image/png"

    response = await send(hass, url=server.url("/badjson"))
    assert response["content"] == "{not json"
    assert response["content_encoding"] is None

    response = await send(hass, url=server.url("/problem"))
    assert response["content"] == {"title": "x"}

    response = await send(hass, url=server.url("/latin1"))
    assert response["content"] == "café"

    response = await send(hass, url=server.url("/undecodable"))
    assert response["content_encoding"] == "base64"
    assert base64.b64decode(response["content"]) == "café".encode("latin-1")

    response = await send(hass, url=server.url("/unknown-charset"))
    assert response["content"] == "plain"

    response = await send(hass, url=server.url("/empty"))
    assert response["content"] is None
    assert response["status"] == 204

    response = await send(hass, url=server.url("/octets"))
    assert response["content_type"] == "application/octet-stream"
    assert base64.b64decode(response["content"]) == b"raw bytes"
    assert response["content_encoding"] == "base64"

    response = await send(hass, url=server.url("/vendor"))
    assert response["content"] == "a,b"


async def test_repeated_response_headers(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """A header sent more than once comes back as a list."""

    @server.route("/cookies")
    async def cookies(request: web.Request) -> web.Response:
        response = web.Response(text="ok")
        for value in ("a", "b", "c"):
            response.headers.add("X-Repeat", value)
        return response

    response = await send(hass, url=server.url("/cookies"))
    assert response["headers"]["X-Repeat"] == ["a", "b", "c"]


async def test_timeout_slow_headers(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """A server that answers too late times out."""

    @server.route("/slow")
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    err = await send_error(hass, url=server.url("/slow"), timeout=0.3)
    assert err.translation_key == "timeout"
    assert err.translation_placeholders == {"host": f"127.0.0.1:{server.server.port}"}


async def test_timeout_slow_body(hass: HomeAssistant, server: RecordingServer) -> None:
    """The timeout covers reading the whole body."""

    @server.route("/drip")
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(50):
            await response.write(b"x")
            await asyncio.sleep(0.05)
        return response

    loop = asyncio.get_running_loop()
    started = loop.time()
    err = await send_error(hass, url=server.url("/drip"), timeout=0.5)
    assert err.translation_key == "timeout"
    assert loop.time() - started < 1.5


async def test_reset_mid_body(hass: HomeAssistant, server: RecordingServer) -> None:
    """A connection cut in the middle of the body is cannot_connect."""

    @server.route("/cut")
    async def cut(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b"x" * 10)
        assert request.transport is not None
        request.transport.close()
        return response

    err = await send_error(hass, url=server.url("/cut"))
    assert err.translation_key == "cannot_connect"


async def test_connection_refused(hass: HomeAssistant, socket_enabled: None) -> None:
    """A closed port is cannot_connect."""
    closed = await start_server()
    url = closed.url("/")
    await closed.server.close()
    err = await send_error(hass, url=url)
    assert err.translation_key == "cannot_connect"


async def test_size_limit(hass: HomeAssistant, server: RecordingServer) -> None:
    """Bodies over the limit fail, whether declared or streamed."""

    @server.route("/big")
    async def big(request: web.Request) -> web.Response:
        return web.Response(text="x" * 2000)

    @server.route("/stream")
    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(40):
            await response.write(b"y" * 100)
        return response

    err = await send_error(hass, url=server.url("/big"), max_response_size=1000)
    assert err.translation_key == "response_too_large"
    assert err.translation_placeholders is not None
    assert err.translation_placeholders["limit"] == "1000"
    err = await send_error(hass, url=server.url("/stream"), max_response_size=1000)
    assert err.translation_key == "response_too_large"
    response = await send(hass, url=server.url("/big"), max_response_size=2000)
    assert response["content"] == "x" * 2000
    # Without a response variable the limit still applies.
    with pytest.raises(HomeAssistantError, match=r"larger than 1000 bytes|") as info:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_SEND,
            {"url": server.url("/big"), "max_response_size": 1000},
            blocking=True,
        )
    assert info.value.translation_key == "response_too_large"


async def test_gzip_bomb(hass: HomeAssistant, server: RecordingServer) -> None:
    """The limit counts decompressed bytes."""
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100_000

    @server.route("/bomb")
    async def serve_bomb(request: web.Request) -> web.Response:
        return web.Response(
            body=bomb,
            headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"},
        )

    err = await send_error(hass, url=server.url("/bomb"))
    assert err.translation_key == "response_too_large"
    assert err.translation_placeholders is not None
    assert err.translation_placeholders["limit"] == str(1024 * 1024)


async def test_retries_after_503(hass: HomeAssistant, server: RecordingServer) -> None:
    """503 then 200 succeeds on the second attempt after a backoff."""
    statuses = [503, 200]

    @server.route("/flaky")
    async def flaky(request: web.Request) -> web.Response:
        return web.Response(status=statuses.pop(0), text="body")

    with patched_retry_sleep() as sleep:
        response = await send(hass, url=server.url("/flaky"), retries=2)
    assert response["status"] == 200
    assert response["attempts"] == 2
    sleep.assert_awaited_once()
    delay = sleep.await_args.args[0]
    assert 0.5 <= delay <= 1.0


async def test_retry_after_seconds_and_exhaustion(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """Retry-After is honoured (capped); the last status wins when retries run out."""

    @server.route("/busy")
    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "120"})

    with patched_retry_sleep() as sleep:
        err = await send_error(hass, url=server.url("/busy"), retries=2)
    assert err.translation_key == "http_error"
    assert err.translation_placeholders is not None
    assert err.translation_placeholders["status"] == "429"
    assert [call.args[0] for call in sleep.await_args_list] == [60.0, 60.0]
    assert len(server.received) == 3


async def test_retry_after_http_date(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """Retry-After as an HTTP date (past, future or garbage)."""
    values = [
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Fri, 01 Jan 9999 00:00:00 GMT",
        "not a date",
    ]

    @server.route("/dated")
    async def dated(request: web.Request) -> web.Response:
        if values:
            return web.Response(status=503, headers={"Retry-After": values.pop(0)})
        return web.Response(text="done")

    with patched_retry_sleep() as sleep:
        response = await send(hass, url=server.url("/dated"), retries=3)
    assert response["attempts"] == 4
    delays = [call.args[0] for call in sleep.await_args_list]
    assert delays[0] == 0.0
    assert delays[1] == 60.0
    assert 2.0 <= delays[2] <= 4.0  # garbage: exponential backoff, third attempt


async def test_retry_after_connection_error(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """Connection errors are retried, then reported."""
    closed = await start_server()
    url = closed.url("/")
    await closed.server.close()
    with patched_retry_sleep() as sleep:
        err = await send_error(hass, url=url, retries=2)
    assert err.translation_key == "cannot_connect"
    assert sleep.await_count == 2


async def test_retry_after_timeout(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """A timeout is retried and the next attempt can succeed."""
    delays = [2.0, 0.0]

    @server.route("/sometimes-slow")
    async def sometimes_slow(request: web.Request) -> web.Response:
        await asyncio.sleep(delays.pop(0))
        return web.Response(text="ok")

    with patched_retry_sleep():
        response = await send(
            hass, url=server.url("/sometimes-slow"), retries=1, timeout=0.3
        )
    assert response["attempts"] == 2
    assert response["content"] == "ok"


async def test_backoff_is_capped() -> None:
    """Backoff doubles from 1 s with jitter and stays under the cap."""
    assert 0.5 <= client._backoff(1) <= 1.0
    assert 4.0 <= client._backoff(4) <= 8.0
    assert 15.0 <= client._backoff(10) <= 30.0


async def test_redirects(hass: HomeAssistant, server: RecordingServer) -> None:
    """Redirects are followed; 303 and POST 302 switch to GET, 307 keeps the body."""

    @server.route("/see-other")
    async def see_other(request: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/target")

    @server.route("/temporary")
    async def temporary(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/target")

    @server.route("/found")
    async def found(request: web.Request) -> web.Response:
        raise web.HTTPFound("/target")

    response = await send(
        hass, url=server.url("/see-other"), method="POST", json={"a": 1}
    )
    assert response["url"] == server.url("/target")
    assert server.last.method == "GET"
    assert server.last.body == b""
    assert "Content-Type" not in server.last.headers

    await send(hass, url=server.url("/temporary"), method="POST", json={"a": 1})
    assert server.last.path == "/target"
    assert server.last.method == "POST"
    assert json.loads(server.last.body) == {"a": 1}

    await send(hass, url=server.url("/found"), method="POST", body="x")
    assert server.last.method == "GET"

    await send(hass, url=server.url("/found"), method="PUT", body="x")
    assert server.last.method == "PUT"
    assert server.last.body == b"x"

    response = await send(hass, url=server.url("/see-other"), method="HEAD")
    assert server.last.method == "HEAD"
    assert response["content"] is None


async def test_redirect_not_followed(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """With allow_redirects false the 3xx answer is the response."""

    @server.route("/moved")
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/elsewhere")

    response = await send(hass, url=server.url("/moved"), allow_redirects=False)
    assert response["status"] == 301
    assert response["headers"]["Location"] == "/elsewhere"
    assert len(server.received) == 1


async def test_redirect_with_large_body_is_followed(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """A redirect's own body is dropped, whatever its size."""

    @server.route("/fat-redirect")
    async def fat_redirect(request: web.Request) -> web.Response:
        return web.Response(
            status=302, headers={"Location": "/target"}, body=b"z" * 200_000
        )

    @server.route("/fat-chunked-redirect")
    async def fat_chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=302, headers={"Location": "/target"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(10):
            await response.write(b"z" * 20_000)
        return response

    response = await send(hass, url=server.url("/fat-redirect"))
    assert response["content"]["path"] == "/target"
    response = await send(hass, url=server.url("/fat-chunked-redirect"))
    assert response["content"]["path"] == "/target"


async def test_redirect_loop(hass: HomeAssistant, server: RecordingServer) -> None:
    """More than 10 hops fails with too_many_redirects."""

    @server.route("/loop")
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    err = await send_error(hass, url=server.url("/loop"))
    assert err.translation_key == "too_many_redirects"
    assert len(server.received) == 11


@pytest.mark.parametrize(
    "location",
    [
        "ftp://example.com/x",
        "javascript:alert(1)",
        "http://u:p@example.com/",
        "http://:0",
    ],
)
async def test_invalid_redirect(
    hass: HomeAssistant, server: RecordingServer, location: str
) -> None:
    """A redirect to something other than a plain http(s) URL fails."""

    @server.route("/bad-redirect")
    async def bad_redirect(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": location})

    err = await send_error(hass, url=server.url("/bad-redirect"))
    assert err.translation_key == "invalid_redirect"


async def test_tls_verification(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path
) -> None:
    """A self-signed certificate fails verification unless verify_ssl is false."""
    cert = make_self_signed_cert(tmp_path)
    with ThreadedServer(cert.server_context()) as tls_server:
        err = await send_error(hass, url=tls_server.url("/secure"))
        assert err.translation_key == "ssl_error"
        assert err.translation_placeholders == {"host": f"127.0.0.1:{tls_server.port}"}
        response = await send(hass, url=tls_server.url("/secure"), verify_ssl=False)
        assert response["content"]["path"] == "/secure"
        assert response["url"].startswith("https://")


async def test_profile_without_base_url_is_explicit_only(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """A profile with no base URL applies only when chosen, to any URL."""
    entry = await add_profile(
        "Anywhere",
        headers=[{"name": "X-Key", "value": "k1"}],
        timeout=5,
    )
    await send(hass, url=server.url("/a"))
    assert "X-Key" not in server.last.headers
    response = await send(hass, url=server.url("/a"), config_entry_id=entry.entry_id)
    assert server.last.headers["X-Key"] == "k1"
    assert response["profile"] == "Anywhere"


async def test_profile_explicit_relative_and_merge(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """Relative URLs resolve against the base; call headers win case-insensitively."""
    entry = await add_profile(
        "API",
        str(server.base.join(server.base.with_path("/api/"))),
        headers=[
            {"name": "X-Api-Key", "value": "profile-key"},
            {"name": "Accept", "value": "application/json"},
        ],
        auth_type="bearer",
        token="tok",
    )
    response = await send(
        hass,
        config_entry_id=entry.entry_id,
        url="items/3",
        headers={"x-api-key": "call-key"},
        params={"q": "1"},
    )
    assert server.last.path == "/api/items/3"
    assert server.last.query == [("q", "1")]
    assert server.last.headers.getall("X-Api-Key") == ["call-key"]
    assert server.last.headers["Accept"] == "application/json"
    assert server.last.headers["Authorization"] == "Bearer tok"
    assert response["profile"] == "API"


@pytest.mark.parametrize("url", ["/other", "../outside", "http://example.com/api/"])
async def test_profile_outside_url(
    hass: HomeAssistant, server: RecordingServer, url: str, add_profile: AddProfile
) -> None:
    """An explicit profile refuses URLs outside its base URL."""
    entry = await add_profile("API", server.url("/api/"))
    err = await send_error(
        hass, ServiceValidationError, config_entry_id=entry.entry_id, url=url
    )
    assert err.translation_key == "url_outside_profile"
    assert err.translation_placeholders is not None
    assert err.translation_placeholders["profile"] == "API"
    assert server.received == []


async def test_profile_base_path_itself_is_inside(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """The base path without its trailing slash still belongs to the profile."""
    entry = await add_profile("API", server.url("/api/"))
    await send(hass, config_entry_id=entry.entry_id, url=server.url("/api"))
    assert server.last.path == "/api"


async def test_unknown_profile(hass: HomeAssistant, server: RecordingServer) -> None:
    """An unknown config entry id is a validation error."""
    with pytest.raises(ServiceValidationError):
        await send(hass, config_entry_id="nope", url=server.url("/"))


async def test_implicit_profile_longest_prefix(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """Without a profile, the longest matching base URL (on segments) applies."""
    await add_profile(
        "Root", server.url("/"), headers=[{"name": "X-Who", "value": "root"}]
    )
    await add_profile(
        "Deep", server.url("/v1/"), headers=[{"name": "X-Who", "value": "deep"}]
    )
    response = await send(hass, url=server.url("/v1/things"))
    assert server.last.headers["X-Who"] == "deep"
    assert response["profile"] == "Deep"
    response = await send(hass, url=server.url("/v10/things"))
    assert server.last.headers["X-Who"] == "root"
    assert response["profile"] == "Root"


async def test_implicit_profile_none_matches(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """A URL outside every base URL gets no defaults."""
    await add_profile(
        "Other", "http://example.com/", headers=[{"name": "X-K", "value": "v"}]
    )
    response = await send(hass, url=server.url("/"))
    assert "X-K" not in server.last.headers
    assert response["profile"] is None


async def test_profile_defaults_apply(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """Timeout and size limit come from the profile unless the call sets them."""
    entry = await add_profile(
        "Small", server.url("/"), max_response_size=10, timeout=0.3
    )

    @server.route("/long")
    async def long_body(request: web.Request) -> web.Response:
        return web.Response(text="x" * 100)

    @server.route("/slow")
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.Response(text="late")

    err = await send_error(hass, config_entry_id=entry.entry_id, url="long")
    assert err.translation_key == "response_too_large"
    response = await send(
        hass, config_entry_id=entry.entry_id, url="long", max_response_size=100
    )
    assert response["content"] == "x" * 100
    err = await send_error(hass, config_entry_id=entry.entry_id, url="slow")
    assert err.translation_key == "timeout"


async def test_profile_verify_ssl_default(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path, add_profile: AddProfile
) -> None:
    """A profile may turn certificate verification off; a call may turn it on."""
    cert = make_self_signed_cert(tmp_path)
    with ThreadedServer(cert.server_context()) as tls_server:
        entry = await add_profile("Device", tls_server.url("/"), verify_ssl=False)
        response = await send(hass, config_entry_id=entry.entry_id, url="x")
        assert response["status"] == 200
        err = await send_error(
            hass, config_entry_id=entry.entry_id, url="x", verify_ssl=True
        )
        assert err.translation_key == "ssl_error"


async def test_basic_auth_and_call_override(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """Basic credentials come from the profile; a call's Authorization wins."""
    entry = await add_profile(
        "Basic", server.url("/"), auth_type="basic", username="u", password="p"
    )
    await send(hass, config_entry_id=entry.entry_id, url="x")
    expected = "Basic " + base64.b64encode(b"u:p").decode()
    assert server.last.headers["Authorization"] == expected
    await send(
        hass,
        config_entry_id=entry.entry_id,
        url="x",
        headers={"authorization": "Token abc"},
    )
    assert server.last.headers.getall("Authorization") == ["Token abc"]


async def test_digest_auth(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """Digest credentials answer the server's challenge."""
    realm, nonce = "test", "abc123"

    @server.route("/digest")
    async def digest(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            return web.Response(
                status=401,
                headers={
                    "WWW-Authenticate": (
                        f'Digest realm="{realm}", nonce="{nonce}", qop="auth"'
                    )
                },
            )
        fields = dict(
            part.strip().split("=", 1) for part in header[7:].split(",") if "=" in part
        )
        fields = {key: value.strip('"') for key, value in fields.items()}

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()  # noqa: S324

        ha1 = md5(f"u:{realm}:secret")
        ha2 = md5(f"GET:{fields['uri']}")
        expected = md5(f"{ha1}:{nonce}:{fields['nc']}:{fields['cnonce']}:auth:{ha2}")
        if fields.get("response") != expected:
            return web.Response(status=403)
        return web.Response(text="welcome")

    entry = await add_profile(
        "Digest",
        server.url("/"),
        auth_type="digest",
        username="u",
        password="secret",
    )
    response = await send(hass, config_entry_id=entry.entry_id, url="digest")
    assert response["content"] == "welcome"
    assert [r.headers.get("Authorization", "")[:7] for r in server.received] == [
        "",
        "Digest ",
    ]


async def test_same_origin_redirect_keeps_profile(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """A redirect on the same origin keeps the profile's headers."""
    entry = await add_profile(
        "API",
        server.url("/"),
        headers=[{"name": "X-Api-Key", "value": "k"}],
        auth_type="bearer",
        token="t",
    )

    @server.route("/old")
    async def old(request: web.Request) -> web.Response:
        raise web.HTTPFound("/new")

    await send(hass, config_entry_id=entry.entry_id, url="old")
    assert server.last.path == "/new"
    assert server.last.headers["X-Api-Key"] == "k"
    assert server.last.headers["Authorization"] == "Bearer t"


@pytest.mark.parametrize("explicit", [True, False])
async def test_cross_origin_redirect_strips_secrets(
    hass: HomeAssistant,
    server: RecordingServer,
    other_server: RecordingServer,
    explicit: bool,
    add_profile: AddProfile,
) -> None:
    """A hop to another origin gets no profile header, token or call credential."""
    entry = await add_profile(
        "API",
        server.url("/"),
        headers=[{"name": "X-Api-Key", "value": "profile-secret"}],
        auth_type="bearer",
        token="token-secret",
    )

    @server.route("/away")
    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(other_server.url("/landing"))

    data: dict[str, Any] = {
        "url": server.url("/away"),
        "headers": {"Cookie": "c=1", "X-Call": "kept"},
    }
    if explicit:
        data["config_entry_id"] = entry.entry_id
    response = await send(hass, **data)
    assert server.last.headers["X-Api-Key"] == "profile-secret"
    assert server.last.headers["Authorization"] == "Bearer token-secret"
    landed = other_server.last
    assert landed.path == "/landing"
    assert "X-Api-Key" not in landed.headers
    assert "Authorization" not in landed.headers
    assert "Cookie" not in landed.headers
    assert landed.headers["X-Call"] == "kept"
    for value in landed.headers.values():
        assert "secret" not in value
    assert response["url"] == other_server.url("/landing")


async def test_cross_origin_redirect_strips_call_authorization(
    hass: HomeAssistant, server: RecordingServer, other_server: RecordingServer
) -> None:
    """Without a profile, a call's own Authorization stays on its origin too."""

    @server.route("/away")
    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(other_server.url("/landing"))

    await send(hass, url=server.url("/away"), headers={"Authorization": "Bearer x"})
    assert server.last.headers["Authorization"] == "Bearer x"
    assert "Authorization" not in other_server.last.headers


async def test_no_secret_in_logs_or_errors(
    hass: HomeAssistant,
    server: RecordingServer,
    caplog: pytest.LogCaptureFixture,
    add_profile: AddProfile,
) -> None:
    """At DEBUG, no header value, path, query or body secret reaches logs or errors."""
    caplog.set_level(logging.DEBUG)
    secrets = ["hdr-s3cret", "path-s3cret", "query-s3cret", "body-s3cret", "tok-s3cret"]
    entry = await add_profile(
        "API",
        server.url("/"),
        headers=[{"name": "X-Api-Key", "value": "hdr-s3cret"}],
        auth_type="bearer",
        token="tok-s3cret",
    )

    @server.route("/trigger/path-s3cret/fail")
    async def fail(request: web.Request) -> web.Response:
        return web.Response(status=500)

    @server.route("/trigger/path-s3cret/slow")
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response()

    errors: list[str] = []
    for path, extra in (
        ("trigger/path-s3cret/ok", {}),
        ("trigger/path-s3cret/fail", {}),
        ("trigger/path-s3cret/slow", {"timeout": 0.2}),
        ("trigger/path-s3cret/ok", {"max_response_size": 1}),
    ):
        data = {
            "config_entry_id": entry.entry_id,
            "url": f"{path}?key=query-s3cret",
            "method": "POST",
            "json": {"value1": "body-s3cret"},
            "headers": {"X-Call": "hdr-s3cret"},
            **extra,
        }
        try:
            await send(hass, **data)
        except HomeAssistantError as err:
            errors.append(str(err))
            errors.append(repr(err.translation_placeholders))
    assert len(errors) == 6
    with patched_retry_sleep():
        try:
            await send(
                hass,
                url=server.url("/trigger/path-s3cret/fail?key=query-s3cret"),
                retries=1,
                headers={"Authorization": "Bearer tok-s3cret"},
            )
        except HomeAssistantError as err:
            errors.append(str(err))
    # The test server's own access log (aiohttp.access) is not ours.
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("aiohttp.")
    )
    for secret in secrets:
        assert secret not in logged, secret
        for message in errors:
            assert secret not in message, secret
    assert "POST 127.0.0.1" in logged


async def test_automation_uses_response(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """An automation reads content from response_variable in a later step."""
    calls: list[ServiceCall] = []

    async def record(call: ServiceCall) -> None:
        calls.append(call)

    hass.services.async_register("test", "record", record)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "trigger": {"platform": "event", "event_type": "go"},
                "action": [
                    {
                        "action": f"{DOMAIN}.{SERVICE_SEND}",
                        "data": {"url": server.url("/data")},
                        "response_variable": "reply",
                    },
                    {
                        "action": "test.record",
                        "data": {"path": "{{ reply.content.path }}"},
                    },
                ],
            }
        },
    )
    hass.bus.async_fire("go")
    await hass.async_block_till_done()
    assert [call.data["path"] for call in calls] == ["/data"]


@pytest.mark.parametrize(("continue_on_error", "expected"), [(False, 0), (True, 1)])
async def test_automation_stops_on_http_error(
    hass: HomeAssistant,
    server: RecordingServer,
    continue_on_error: bool,
    expected: int,
) -> None:
    """An HTTP 500 stops the automation unless continue_on_error is set."""
    calls: list[ServiceCall] = []

    async def record(call: ServiceCall) -> None:
        calls.append(call)

    @server.route("/boom")
    async def boom(request: web.Request) -> web.Response:
        return web.Response(status=500)

    hass.services.async_register("test", "record", record)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "trigger": {"platform": "event", "event_type": "go"},
                "action": [
                    {
                        "action": f"{DOMAIN}.{SERVICE_SEND}",
                        "data": {"url": server.url("/boom")},
                        "continue_on_error": continue_on_error,
                    },
                    {"action": "test.record"},
                ],
            }
        },
    )
    hass.bus.async_fire("go")
    await hass.async_block_till_done()
    assert len(calls) == expected


@pytest.mark.parametrize(
    "data",
    [
        {"url": "http://device.local/x", "headers": {"Bad Name": "v"}},
        {"url": "http://device.local/x", "json": {"a": 1}, "form": {"b": 2}},
        {"url": "ftp://device.local/x"},
        {"url": "relative"},
        {"url": "http://device.local/x", "params": {"p": {"nested": 1}}},
    ],
)
async def test_validation_does_no_io(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, data: dict[str, Any]
) -> None:
    """Validation errors are raised before anything is sent."""
    aioclient_mock.get("http://device.local/x", json={"on": True})
    with pytest.raises(ServiceValidationError):
        await send(hass, **data)
    assert aioclient_mock.call_count == 0


async def test_placeholders_echo_input_safely(hass: HomeAssistant) -> None:
    """Echoed names are shortened, with control characters and surrogates escaped."""
    err = await send_error(
        hass,
        ServiceValidationError,
        url="http://example.com/",
        headers={"X-Évil\r\n\ud800" + "a" * 100: "v"},
    )
    assert err.translation_key == "invalid_header_name"
    assert err.translation_placeholders is not None
    name = err.translation_placeholders["name"]
    assert name.startswith("X-Évil\\x0d\\x0a\\ud800a")
    assert "\r" not in name
    assert len(name) < 90
    name.encode()  # a surrogate would make the message unencodable
