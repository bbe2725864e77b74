"""API keys in the query string, and URLs sent exactly as written.

The key lives in the URL, so every place a URL can show is checked: the response's
url, error messages, logs and diagnostics.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote, unquote_plus

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .helpers import (
    AddProfile,
    add_entry,
    assert_setup_fails_on_field,
    configure_flow,
    send,
    send_error,
    settings_step,
    suggested_values,
    user_step,
)
from .server import RecordingServer

KEY = "key-SECRET-value"
LOGGER_NAME = "custom_components.scene_http_request"
API_KEY = {"auth_type": "api_key_query", "query_name": "api_key", "query_value": KEY}


@pytest.fixture
async def setup_integration(hass: HomeAssistant, add_profile: AddProfile) -> None:
    """Set up the integration (the action) with no profile."""
    await add_profile("Plain")


pytestmark = pytest.mark.usefixtures("setup_integration")


def _client_log(caplog: pytest.LogCaptureFixture) -> str:
    """Return what Home Assistant logged (the test server's access log left out)."""
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name != "aiohttp.access"
    )


def _exposed(*values: Any) -> str:
    return json.dumps(values, default=str)


async def test_key_goes_to_the_profile_origin_only(
    hass: HomeAssistant,
    server: RecordingServer,
    other_server: RecordingServer,
    caplog: pytest.LogCaptureFixture,
    add_profile: AddProfile,
) -> None:
    """The key is added on the profile's origin; the response URL never shows it."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    entry = await add_profile("Keyed", server.url("/api/"), **API_KEY)
    response = await send(
        hass, url="items?a=1", config_entry_id=entry.entry_id, params={"b": "2"}
    )
    assert server.last.query == [("a", "1"), ("b", "2"), ("api_key", KEY)]
    assert response["url"] == server.url("/api/items?a=1&b=2")
    # A call to another origin with the profile explicitly chosen is refused, and
    # without it, the profile does not apply.
    await send(hass, url=other_server.url("/x"))
    assert other_server.last.query == []
    assert KEY not in _exposed(response)
    assert KEY not in _client_log(caplog)


async def test_key_is_removed_before_a_cross_origin_redirect(
    hass: HomeAssistant,
    server: RecordingServer,
    other_server: RecordingServer,
    caplog: pytest.LogCaptureFixture,
    add_profile: AddProfile,
) -> None:
    """A redirect elsewhere never carries the key, even when Location echoes it."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)

    @server.route("/api/same")
    async def same(request: web.Request) -> web.Response:
        # Echo the query (the key included) into a same-origin redirect.
        raise web.HTTPFound(f"/api/final?{request.query_string}")

    @server.route("/api/away")
    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(other_server.url(f"/landing?{request.query_string}"))

    @server.route("/api/bare")
    async def bare(request: web.Request) -> web.Response:
        raise web.HTTPFound("/api/final")

    entry = await add_profile("Keyed", server.url("/api/"), **API_KEY)
    response = await send(hass, url="bare", config_entry_id=entry.entry_id)
    assert server.last.query == [("api_key", KEY)]
    assert response["url"] == server.url("/api/final")
    response = await send(hass, url="same?x=1", config_entry_id=entry.entry_id)
    assert server.last.path == "/api/final"
    assert server.last.query == [("x", "1"), ("api_key", KEY)]
    assert response["url"] == server.url("/api/final?x=1")

    response = await send(hass, url="away?x=2", config_entry_id=entry.entry_id)
    assert other_server.last.path == "/landing"
    assert other_server.last.query == [("x", "2")]
    assert response["url"] == other_server.url("/landing?x=2")
    assert KEY not in _exposed(response)
    assert KEY not in _client_log(caplog)


# A key with characters that percent-encoding changes, and one without.
KEYS = {"plain": KEY, "b64": "b64/SECRET+k3y=="}


def _leaks(text: str, key: str) -> bool:
    """Return whether key shows in text, as written or percent-decoded (3 times)."""
    for _ in range(4):
        if key.lower() in text.lower() or key.lower().replace("+", " ") in (
            text.lower()
        ):
            return True
        text = unquote_plus(text)
    return False


def _echoes(key: str, query: str) -> dict[str, str]:
    """Return redirect targets (after the other origin) that echo the key.

    query is the query string as the keyed origin received it.
    """
    coded = quote(key, safe="")
    return {
        "next-raw": f"/login?next=/api/x?{query}",
        "next-encoded": "/login?next=" + quote(f"/api/x?{query}", safe=""),
        "next-encoded-twice": "/login?next="
        + quote(quote(f"/api/x?{query}", safe=""), safe=""),
        "other-name": f"/landing?token={coded}&a=1",
        "other-case": f"/landing?API_KEY={coded}",
        "upper-case-value": f"/landing?k={quote(key.upper(), safe='')}",
        "path": f"/landing/{coded}/x",
        "after-semicolon-path": f"/landing;{query}",
        "after-semicolon-query": f"/landing?a=1;{query}",
        "fragment": f"/landing#{query}",
    }


@pytest.mark.parametrize("form", list(_echoes(KEY, "")))
@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS)
async def test_key_echoed_anywhere_in_a_redirect_is_taken_out(
    hass: HomeAssistant,
    server: RecordingServer,
    other_server: RecordingServer,
    add_profile: AddProfile,
    *,
    caplog: pytest.LogCaptureFixture,
    form: str,
    key: str,
) -> None:
    """A redirect that echoes the key in any form takes it neither away nor back.

    Only name=value at the top level was taken out: inside next= (percent-encoded
    or not), under another name or case, in the path or after a ";", the key
    went to the other origin and stayed in the response's url.
    """
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    seen: list[str] = []

    @server.route("/api/echo")
    async def echo(request: web.Request) -> web.Response:
        target = _echoes(key, request.rel_url.raw_query_string)[form]
        raise web.HTTPFound(other_server.url("/").rstrip("/") + target)

    for path in ("/login", "/landing", f"/landing/{key}/x", "/landing;"):

        @other_server.route(path)
        async def landing(request: web.Request) -> web.Response:
            seen.append(request.raw_path)
            return web.json_response({"ok": True})

    options = {**API_KEY, "query_value": key}
    entry = await add_profile("Keyed", server.url("/api/"), **options)
    response = await send(hass, url="echo", config_entry_id=entry.entry_id)
    assert server.received[0].query == [("api_key", key)]
    assert other_server.received, "the redirect was not followed"
    received = other_server.last
    assert not _leaks(received.path, key)
    assert not _leaks(str(received.query), key)
    assert not any(_leaks(raw, key) for raw in seen)
    assert response["status"] == 200
    assert not _leaks(response["url"], key)
    assert response["url"].startswith(other_server.url("/").rstrip("/"))
    assert not _leaks(_exposed(response), key)
    assert not _leaks(_client_log(caplog), key)


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS)
async def test_key_echoed_in_a_same_origin_redirect(
    hass: HomeAssistant, server: RecordingServer, key: str, add_profile: AddProfile
) -> None:
    """On the key's own origin the key is sent again, but the url never shows it."""

    @server.route("/api/same")
    async def same(request: web.Request) -> web.Response:
        query = request.rel_url.raw_query_string
        raise web.HTTPFound("/api/final?next=" + quote(f"/api/x?{query}", safe=""))

    options = {**API_KEY, "query_value": key}
    entry = await add_profile("Keyed", server.url("/api/"), **options)
    response = await send(hass, url="same", config_entry_id=entry.entry_id)
    assert server.last.path == "/api/final"
    assert ("api_key", key) in server.last.query
    assert not _leaks(response["url"], key)


async def test_redirect_to_a_host_that_holds_the_key_is_refused(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """A Location whose host name holds the key can't be followed without it."""

    @server.route("/api/host")
    async def host(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://{KEY}.invalid/x")

    entry = await add_profile("Keyed", server.url("/api/"), **API_KEY)
    err = await send_error(hass, url="host", config_entry_id=entry.entry_id)
    assert err.translation_key == "invalid_redirect"
    assert not _leaks(_exposed(str(err), err.translation_placeholders), KEY)


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS)
async def test_key_echoed_in_the_reason_phrase_is_taken_out(
    hass: HomeAssistant, server: RecordingServer, key: str, add_profile: AddProfile
) -> None:
    """A reason phrase that echoes the key: gone from http_error and from reason."""

    @server.route("/api/denied")
    async def denied(request: web.Request) -> web.Response:
        query = request.rel_url.raw_query_string
        return web.Response(status=403, reason=f"Bad key {key} in {query}")

    options = {**API_KEY, "query_value": key}
    entry = await add_profile("Keyed", server.url("/api/"), **options)
    err = await send_error(hass, url="denied", config_entry_id=entry.entry_id)
    assert err.translation_key == "http_error"
    assert "403" in str(err)
    assert not _leaks(_exposed(str(err), err.translation_placeholders), key)
    response = await send(
        hass, url="denied", config_entry_id=entry.entry_id, fail_on_http_error=False
    )
    assert response["reason"].startswith("Bad key")
    assert not _leaks(_exposed(response), key)


async def test_key_never_shows_in_errors(
    hass: HomeAssistant,
    server: RecordingServer,
    closed_port: int,
    caplog: pytest.LogCaptureFixture,
    add_profile: AddProfile,
) -> None:
    """Failed calls name the host only."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)

    @server.route("/api/denied")
    async def denied(request: web.Request) -> web.Response:
        return web.Response(status=403, text=f"bad key {request.query_string}")

    entry = await add_profile("Keyed", server.url("/api/"), **API_KEY)
    err = await send_error(hass, url="denied", config_entry_id=entry.entry_id)
    assert err.translation_key == "http_error"
    down = await add_profile("Down", f"http://127.0.0.1:{closed_port}/", **API_KEY)
    err2 = await send_error(hass, url="x", config_entry_id=down.entry_id)
    assert err2.translation_key == "cannot_connect"
    for error in (err, err2):
        assert KEY not in _exposed(str(error), error.translation_placeholders)
    assert KEY not in _client_log(caplog)


async def test_key_is_redacted_in_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    server: RecordingServer,
    add_profile: AddProfile,
) -> None:
    """Diagnostics show the parameter's name, not its value."""
    entry = await add_profile("Keyed", server.url("/api/"), **API_KEY)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["entry"]["options"]["query_name"] == "api_key"
    assert diagnostics["entry"]["options"]["query_value"] == "**REDACTED**"
    assert KEY not in _exposed(diagnostics)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"auth_type": "api_key_query", "query_value": KEY}, "query_name"),
        ({**API_KEY, "query_name": ""}, "query_name"),
        ({**API_KEY, "query_value": 5}, "query_value"),
        ({**API_KEY, "query_value": "\ud800"}, "query_value"),
    ],
)
async def test_bad_stored_key_fails_setup(
    hass: HomeAssistant, options: dict[str, Any], field: str
) -> None:
    """A stored API key profile without a name or a value fails the entry."""
    await assert_setup_fails_on_field(hass, options, field)


async def test_flow_api_key_errors_and_kept_value(hass: HomeAssistant) -> None:
    """The flow needs a name and a value; a blank value keeps the stored one."""
    result = await user_step(hass, "Keyed", "https://api.example.com/")
    result = await configure_flow(
        hass, result, {"auth_type": "api_key_query", "query_name": " "}
    )
    assert result["errors"] == {
        "query_name": "query_name_required",
        "query_value": "query_value_required",
    }
    result = await configure_flow(hass, result, {**API_KEY, "query_name": " api_key "})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"]["query_name"] == "api_key"
    assert result["options"]["query_value"] == KEY

    entry = add_entry(hass, "Other", "https://other.example.com/", options=API_KEY)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await settings_step(hass, result, {"auth_type": "api_key_query"})
    assert suggested_values(result)["query_name"] == "api_key"
    assert "query_value" not in suggested_values(result)
    result = await configure_flow(hass, result, {"query_name": "key"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["query_value"] == KEY
    assert result["data"]["query_name"] == "key"


# --------------------------------------------------------- skip_url_encoding


async def test_skip_url_encoding_sends_the_url_as_written(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """With skip_url_encoding the path and query go out byte for byte."""
    seen: list[str] = []

    @server.route("/rpc/Script.Eval")
    async def raw(request: web.Request) -> web.Response:
        seen.append(request.raw_path)
        return web.json_response({})

    written = "/rpc/Script.Eval?id=1&code=print(%22hi%22)&list=[1,2]&path=a%2fb"
    origin = str(server.base).rstrip("/")  # server.url() would normalize the path
    await send(hass, url=origin + written, skip_url_encoding=True)
    assert seen[-1] == written
    await send(hass, url=origin + written)
    assert seen[-1] != written  # normally the URL is normalized (%2f → %2F, …)

    entry = await add_profile("Shelly", server.url("/rpc/"), **API_KEY)
    response = await send(
        hass,
        url="Script.Eval?id=1&code=print(%22hi%22)",
        params={"p": "a b"},
        config_entry_id=entry.entry_id,
        skip_url_encoding=True,
    )
    assert seen[-1] == f"/rpc/Script.Eval?id=1&code=print(%22hi%22)&p=a+b&api_key={KEY}"
    assert response["url"] == server.url(
        "/rpc/Script.Eval?id=1&code=print(%22hi%22)&p=a+b"
    )


@pytest.mark.parametrize("url", ["http://127.0.0.1/a b", "http://127.0.0.1/é"])
async def test_skip_url_encoding_refuses_what_cant_go_as_written(
    hass: HomeAssistant, url: str
) -> None:
    """Spaces and non-ASCII can't go into a request line as written."""
    err = await send_error(hass, url=url, skip_url_encoding=True)
    assert err.translation_key == "invalid_url"
