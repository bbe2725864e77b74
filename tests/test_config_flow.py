"""Tests for the config, options and reconfigure flows of Scene HTTP Request."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import json
import logging
from pathlib import Path
import socket
from typing import Any
from unittest.mock import patch

from aiohttp import web
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    CONF_HEADERS,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_TIMEOUT,
    CONF_TOKEN,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scene_http_request import client, config_flow
from custom_components.scene_http_request.client import RequestError
from custom_components.scene_http_request.const import (
    AUTH_TYPES,
    CONF_AUTH_TYPE,
    CONF_BASE_URL,
    CONF_MAX_RESPONSE_SIZE,
    CONF_TEST_REQUEST,
    DOMAIN,
    MAX_REASON_LENGTH,
)
from custom_components.scene_http_request.content import status_line

from .server import RecordingServer, ThreadedServer, make_self_signed_cert

LOGGER_NAME = "custom_components.scene_http_request"
TRANSLATIONS = Path(__file__).parents[1] / (
    "custom_components/scene_http_request/translations"
)
GOOD_TOKEN = "tok-SECRET-good"
BAD_TOKEN = "tok-SECRET-bad"
HEADER_SECRET = "hdr-SECRET-value"
PASSWORD_SECRET = "pw-SECRET-value"


# --------------------------------------------------------------------------- server


@pytest.fixture
def routes(server: RecordingServer) -> Iterator[asyncio.Event]:
    """Add the answers the test requests need; yield an event that frees /slow/."""
    release = asyncio.Event()

    @server.route("/private/")
    async def private(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {GOOD_TOKEN}":
            return web.Response(status=401, text="who are you?")
        return web.Response(text="welcome")

    @server.route("/slow/")
    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late")

    @server.route("/big/")
    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 4096)

    @server.route("/redirect/")
    async def redirect(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "ftp://example.com/"})

    @server.route("/odd/")
    async def odd_reason(request: web.Request) -> web.Response:
        return web.Response(status=299, reason="Fine **bold** [x](y) <b>")

    yield release
    release.set()


@pytest.fixture
def closed_port(socket_enabled: None) -> int:
    """Return a port on 127.0.0.1 that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -------------------------------------------------------------------------- helpers


def _suggested(result: Any) -> dict[str, Any]:
    """Return the suggested values of a form."""
    values: dict[str, Any] = {}
    for key in result["data_schema"].schema:
        description = getattr(key, "description", None)
        if isinstance(description, dict) and "suggested_value" in description:
            values[str(key.schema)] = description["suggested_value"]
    return values


async def _user_step(
    hass: HomeAssistant, name: str = "Example", base_url: str | None = None
) -> Any:
    """Run the user step and return the settings form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {
        "example_url": "https://api.example.com/v1/"
    }
    user_input = {CONF_NAME: name}
    if base_url is not None:
        user_input[CONF_BASE_URL] = base_url
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "settings"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"test_result": ""}
    return result


def _entry(
    hass: HomeAssistant,
    name: str = "Example",
    base_url: str | None = "https://api.example.com/",
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    data = {CONF_NAME: name}
    if base_url is not None:
        data[CONF_BASE_URL] = base_url
    entry = MockConfigEntry(domain=DOMAIN, title=name, data=data, options=options or {})
    entry.add_to_hass(hass)
    return entry


BASIC_OPTIONS = {
    CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
    CONF_AUTH_TYPE: "basic",
    CONF_USERNAME: "alice",
    CONF_PASSWORD: PASSWORD_SECRET,
    CONF_VERIFY_SSL: True,
}


# ------------------------------------------------------------------ the user flow


async def test_user_flow_creates_profile(hass: HomeAssistant) -> None:
    """A profile with every setting is created, its base URL normalized."""
    result = await _user_step(hass, "  Example API ", "HTTPS://API.Example.com:443/v1")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HEADERS: [
                {"name": "X-Api-Key", "value": " abc "},
                {"name": "Accept", "value": "application/json"},
            ],
            CONF_AUTH_TYPE: "basic",
            CONF_USERNAME: " alice ",
            CONF_PASSWORD: " pass word ",
            CONF_TOKEN: "ignored-token",
            CONF_TIMEOUT: 5,
            CONF_VERIFY_SSL: False,
            CONF_MAX_RESPONSE_SIZE: 2048,
            CONF_TEST_REQUEST: False,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Example API"
    assert result["data"] == {
        CONF_NAME: "Example API",
        CONF_BASE_URL: "https://api.example.com/v1/",
    }
    assert result["options"] == {
        CONF_HEADERS: [
            {"name": "X-Api-Key", "value": "abc"},
            {"name": "Accept", "value": "application/json"},
        ],
        CONF_AUTH_TYPE: "basic",
        CONF_USERNAME: "alice",
        CONF_PASSWORD: " pass word ",
        CONF_VERIFY_SSL: False,
        CONF_TIMEOUT: 5.0,
        CONF_MAX_RESPONSE_SIZE: 2048,
    }
    assert isinstance(result["options"][CONF_MAX_RESPONSE_SIZE], int)
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.headers == (
        ("X-Api-Key", "abc"),
        ("Accept", "application/json"),
    )


async def test_user_flow_minimal_profile(hass: HomeAssistant) -> None:
    """A name alone makes a profile; the settings keep their defaults."""
    result = await _user_step(hass, "Bare")
    assert _suggested(result) == {}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_NAME: "Bare"}
    assert result["options"] == {
        CONF_HEADERS: [],
        CONF_AUTH_TYPE: "none",
        CONF_VERIFY_SSL: True,
    }


async def test_user_flow_single_header_object(hass: HomeAssistant) -> None:
    """A single header row given as an object (not a list) is accepted."""
    result = await _user_step(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HEADERS: {"name": "X-One", "value": "1"}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_HEADERS] == [{"name": "X-One", "value": "1"}]


@pytest.mark.parametrize(
    ("base_url", "error"),
    [
        ("not a url", "invalid_url"),
        ("/relative/path", "invalid_url"),
        ("http://", "invalid_url"),
        ("ftp://files.example.com/", "unsupported_scheme"),
        ("https://user:pw@api.example.com/", "url_has_credentials"),
        ("https://api.example.com/?key=1", "base_url_has_query"),
        ("https://api.example.com/#top", "base_url_has_query"),
    ],
)
async def test_user_flow_base_url_errors(
    hass: HomeAssistant, base_url: str, error: str
) -> None:
    """An unusable base URL is shown on its field, then fixed."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Example", CONF_BASE_URL: base_url}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {CONF_BASE_URL: error}
    assert _suggested(result) == {CONF_NAME: "Example", CONF_BASE_URL: base_url}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Example", CONF_BASE_URL: "http://host.lan"}
    )
    assert result["step_id"] == "settings"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_BASE_URL] == "http://host.lan/"


async def test_user_flow_blank_name(hass: HomeAssistant) -> None:
    """A name made of spaces is refused, then fixed."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "   "}
    )
    assert result["errors"] == {CONF_NAME: "name_required"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Named"}
    )
    assert result["step_id"] == "settings"


@pytest.mark.parametrize(
    ("user_input", "existing_name", "existing_url"),
    [
        ({CONF_NAME: "Example"}, "Example", None),
        (
            {CONF_NAME: "Other", CONF_BASE_URL: "https://API.example.com:443"},
            "Example",
            "https://api.example.com/",
        ),
    ],
    ids=["name", "base_url"],
)
async def test_user_flow_duplicate_aborts(
    hass: HomeAssistant,
    user_input: dict[str, str],
    existing_name: str,
    existing_url: str | None,
) -> None:
    """A second profile with the same name or normalized base URL aborts."""
    _entry(hass, existing_name, existing_url)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_user_flow_other_base_url_is_not_duplicate(hass: HomeAssistant) -> None:
    """Another path on the same host is a different profile."""
    _entry(hass, "Example", "https://api.example.com/v1/")
    result = await _user_step(hass, "V2", "https://api.example.com/v2")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_duplicate_created_meanwhile(hass: HomeAssistant) -> None:
    """A profile created while the settings form was open aborts the flow."""
    result = await _user_step(hass, "Example", "https://api.example.com/")
    _entry(hass, "Example 2", "https://api.example.com/")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("bad_input", "error"),
    [
        (
            {CONF_HEADERS: [{"name": "Bad Header", "value": "1"}]},
            {CONF_HEADERS: "invalid_header"},
        ),
        (
            {CONF_HEADERS: [{"name": "X-Ok", "value": "line\r\nX-Evil: 1"}]},
            {CONF_HEADERS: "invalid_header"},
        ),
        (
            {CONF_HEADERS: [{"name": "", "value": "1"}]},
            {CONF_HEADERS: "invalid_header"},
        ),
        ({CONF_AUTH_TYPE: "basic"}, {CONF_USERNAME: "username_required"}),
        (
            {CONF_AUTH_TYPE: "digest", CONF_USERNAME: "  ", CONF_PASSWORD: "p"},
            {CONF_USERNAME: "username_required"},
        ),
        (
            {CONF_AUTH_TYPE: "basic", CONF_USERNAME: "a:b"},
            {CONF_USERNAME: "invalid_username"},
        ),
        (
            {CONF_AUTH_TYPE: "digest", CONF_USERNAME: "a\nb"},
            {CONF_USERNAME: "invalid_username"},
        ),
        ({CONF_AUTH_TYPE: "bearer"}, {CONF_TOKEN: "token_required"}),
        (
            {CONF_AUTH_TYPE: "bearer", CONF_TOKEN: "ab\ncd"},
            {CONF_TOKEN: "invalid_token"},
        ),
    ],
)
async def test_settings_errors_and_recovery(
    hass: HomeAssistant, bad_input: dict[str, Any], error: dict[str, str]
) -> None:
    """Each settings error is shown, then fixed input saves the profile."""
    result = await _user_step(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], bad_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "settings"
    assert result["errors"] == error
    assert result["description_placeholders"] == {"test_result": ""}
    assert CONF_PASSWORD not in _suggested(result)
    assert CONF_TOKEN not in _suggested(result)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HEADERS: [{"name": "X-Ok", "value": "fine"}],
            CONF_AUTH_TYPE: "bearer",
            CONF_TOKEN: GOOD_TOKEN,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"] == {
        CONF_HEADERS: [{"name": "X-Ok", "value": "fine"}],
        CONF_AUTH_TYPE: "bearer",
        CONF_TOKEN: GOOD_TOKEN,
        CONF_VERIFY_SSL: True,
    }


async def test_settings_invalid_input_keeps_form_values(hass: HomeAssistant) -> None:
    """After an error the form shows what was typed, except secrets."""
    result = await _user_step(hass)
    user_input = {
        CONF_HEADERS: [{"name": "Bad Header", "value": "v"}],
        CONF_AUTH_TYPE: "basic",
        CONF_USERNAME: "alice",
        CONF_PASSWORD: PASSWORD_SECRET,
        CONF_TIMEOUT: 3,
        CONF_VERIFY_SSL: False,
        CONF_TEST_REQUEST: True,
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["errors"] == {CONF_HEADERS: "invalid_header"}
    assert _suggested(result) == {
        CONF_HEADERS: [{"name": "Bad Header", "value": "v"}],
        CONF_AUTH_TYPE: "basic",
        CONF_USERNAME: "alice",
        CONF_TIMEOUT: 3,
        CONF_VERIFY_SSL: False,
    }
    # The password typed before the error is kept when its field is left blank.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_AUTH_TYPE: "basic", CONF_USERNAME: "alice"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_PASSWORD] == PASSWORD_SECRET


async def test_settings_test_request_needs_base_url(hass: HomeAssistant) -> None:
    """A profile without base URL can't be tested but can be saved."""
    result = await _user_step(hass, "No URL")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_AUTH_TYPE: "bearer", CONF_TOKEN: GOOD_TOKEN, CONF_TEST_REQUEST: True},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TEST_REQUEST: "no_base_url"}
    assert result["description_placeholders"] == {"test_result": ""}
    assert _suggested(result) == {CONF_AUTH_TYPE: "bearer", CONF_VERIFY_SSL: True}
    # The token stays in the flow: a blank field keeps it.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AUTH_TYPE: "bearer"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_TOKEN] == GOOD_TOKEN


# --------------------------------------------------------------- the test request


async def test_test_request_success_then_save(
    hass: HomeAssistant, server: RecordingServer, routes: asyncio.Event
) -> None:
    """A test request shows the status, sends the profile's headers and auth."""
    result = await _user_step(hass, "Local", server.url("/private"))
    settings = {
        CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
        CONF_AUTH_TYPE: "bearer",
        CONF_TOKEN: GOOD_TOKEN,
        CONF_TEST_REQUEST: True,
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], settings)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "settings"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"test_result": "HTTP 200 OK"}
    assert _suggested(result) == {
        CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
        CONF_AUTH_TYPE: "bearer",
        CONF_VERIFY_SSL: True,
    }
    assert len(server.received) == 1
    received = server.received[0]
    assert received.method == "GET"
    assert received.path == "/private/"
    assert received.headers["X-Api-Key"] == HEADER_SECRET
    assert received.headers["Authorization"] == f"Bearer {GOOD_TOKEN}"

    # Saving needs no new test and no retyped token.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
            CONF_AUTH_TYPE: "bearer",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_TOKEN] == GOOD_TOKEN
    assert len(server.received) == 1


async def test_test_request_unauthorized_then_fixed(
    hass: HomeAssistant, server: RecordingServer, routes: asyncio.Event
) -> None:
    """A 401 answer shows invalid_auth; a new token then passes and saves."""
    result = await _user_step(hass, "Local", server.url("/private/"))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_AUTH_TYPE: "bearer", CONF_TOKEN: BAD_TOKEN, CONF_TEST_REQUEST: True},
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert result["description_placeholders"] == {
        "test_result": "HTTP 401 Unauthorized"
    }
    assert server.last.headers["Authorization"] == f"Bearer {BAD_TOKEN}"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_AUTH_TYPE: "bearer", CONF_TOKEN: GOOD_TOKEN, CONF_TEST_REQUEST: True},
    )
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"test_result": "HTTP 200 OK"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AUTH_TYPE: "bearer"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_TOKEN] == GOOD_TOKEN


async def test_test_request_failure_does_not_block_saving(
    hass: HomeAssistant, closed_port: int
) -> None:
    """A refused connection shows cannot_connect; the profile still saves."""
    result = await _user_step(hass, "Down", f"http://127.0.0.1:{closed_port}/")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TEST_REQUEST: True}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert result["description_placeholders"] == {"test_result": ""}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TEST_REQUEST: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("routes")
@pytest.mark.parametrize(
    ("path", "settings", "expected"),
    [
        ("/slow/", {CONF_TIMEOUT: 0.1}, ({"base": "timeout"}, "")),
        ("/big/", {CONF_MAX_RESPONSE_SIZE: 16}, ({"base": "response_too_large"}, "")),
        ("/redirect/", {}, ({"base": "cannot_connect"}, "")),
        ("/big/", {CONF_MAX_RESPONSE_SIZE: 4096}, ({}, "HTTP 200 OK")),
        ("/odd/", {}, ({}, "HTTP 299 Fine bold x (y) b")),
    ],
    ids=["timeout", "too_large", "bad_redirect", "small_enough", "odd_reason"],
)
async def test_test_request_outcomes(
    hass: HomeAssistant,
    server: RecordingServer,
    path: str,
    settings: dict[str, Any],
    expected: tuple[dict[str, str], str],
) -> None:
    """Timeouts, size limits and redirects apply to the test as at runtime."""
    result = await _user_step(hass, "Local", server.url(path))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**settings, CONF_TEST_REQUEST: True}
    )
    assert (result["errors"], result["description_placeholders"]["test_result"]) == (
        expected
    )


async def test_test_request_tls(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path
) -> None:
    """A self-signed certificate fails the test unless verification is off."""
    context = make_self_signed_cert(tmp_path).server_context()
    with ThreadedServer(context) as tls_server:
        result = await _user_step(hass, "TLS", tls_server.url("/tls/"))
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TEST_REQUEST: True}
        )
        assert result["errors"] == {"base": "ssl_error"}
        assert tls_server.received == []

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_VERIFY_SSL: False, CONF_TEST_REQUEST: True}
        )
        assert result["errors"] == {}
        assert result["description_placeholders"] == {"test_result": "HTTP 200 OK"}
        assert tls_server.received == ["/tls/"]


async def test_test_request_unexpected_error(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception is logged and shown as unknown."""
    result = await _user_step(hass, "Example", "https://api.example.com/")
    with patch.object(
        client.HttpClient,
        "async_request",
        autospec=True,
        side_effect=RuntimeError("boom"),
    ) as request:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TEST_REQUEST: True}
        )
    assert request.call_count == 1
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error in the test request of Example" in caplog.text


@pytest.mark.parametrize(
    ("key", "error"),
    [
        ("timeout", "timeout"),
        ("ssl_error", "ssl_error"),
        ("response_too_large", "response_too_large"),
        ("cannot_connect", "cannot_connect"),
        ("too_many_redirects", "cannot_connect"),
        ("invalid_redirect", "cannot_connect"),
        ("invalid_response", "cannot_connect"),
    ],
)
async def test_test_request_error_mapping(
    hass: HomeAssistant, key: str, error: str
) -> None:
    """Every client error maps to a form error."""
    result = await _user_step(hass, "Example", "https://api.example.com/")
    with patch.object(
        client.HttpClient,
        "async_request",
        autospec=True,
        side_effect=RequestError(key, "api.example.com"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TEST_REQUEST: True}
        )
    assert result["errors"] == {"base": error}


async def test_test_request_uses_profile_defaults(hass: HomeAssistant) -> None:
    """The test request is built from the profile like a runtime request."""
    result = await _user_step(hass, "Example", "https://api.example.com/v1")
    with patch.object(
        client.HttpClient,
        "async_request",
        autospec=True,
        side_effect=RequestError("timeout", "x"),
    ) as request:
        await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_AUTH_TYPE: "digest",
                CONF_USERNAME: "alice",
                CONF_PASSWORD: PASSWORD_SECRET,
                CONF_TEST_REQUEST: True,
            },
        )
        options = request.call_args.args[1]
        assert options.method == "GET"
        assert str(options.url) == "https://api.example.com/v1/"
        assert options.headers == {}
        assert options.body is None
        assert options.timeout == 10.0
        assert options.verify_ssl is True
        assert options.max_response_size == 1024 * 1024
        assert options.retries == 0
        assert options.allow_redirects is True
        assert options.scoped_headers == ()
        assert options.digest_auth == ("alice", PASSWORD_SECRET)

        await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_AUTH_TYPE: "digest",
                CONF_USERNAME: "alice",
                CONF_TIMEOUT: 2.5,
                CONF_VERIFY_SSL: False,
                CONF_MAX_RESPONSE_SIZE: 100,
                CONF_TEST_REQUEST: True,
            },
        )
        options = request.call_args.args[1]
        assert options.timeout == 2.5
        assert options.verify_ssl is False
        assert options.max_response_size == 100
        assert options.digest_auth == ("alice", PASSWORD_SECRET)


def test_status_line() -> None:
    """The status line falls back to the standard phrase, or none."""
    assert status_line(200, "OK") == "HTTP 200 OK"
    assert status_line(204, "") == "HTTP 204 No Content"
    assert status_line(404, "***") == "HTTP 404 Not Found"
    assert status_line(599, "") == "HTTP 599"
    long_reason = "A" * (MAX_REASON_LENGTH + 10)
    expected = f"HTTP 200 {'A' * MAX_REASON_LENGTH}"
    assert status_line(200, long_reason) == expected


# ------------------------------------------------------------------ options flow


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_options_form_is_prefilled_without_secrets(hass: HomeAssistant) -> None:
    """The options form shows the stored settings, never a password or token."""
    entry = _entry(
        hass,
        options={**BASIC_OPTIONS, CONF_TIMEOUT: 4.0, CONF_MAX_RESPONSE_SIZE: 500},
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"test_result": ""}
    assert _suggested(result) == {
        CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
        CONF_AUTH_TYPE: "basic",
        CONF_USERNAME: "alice",
        CONF_VERIFY_SSL: True,
        CONF_TIMEOUT: 4.0,
        CONF_MAX_RESPONSE_SIZE: 500,
    }


async def test_options_edit_headers_keeps_blank_password(
    hass: HomeAssistant,
) -> None:
    """Editing headers with a blank password keeps the stored one."""
    entry = _entry(hass, options=BASIC_OPTIONS)
    await _setup(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_HEADERS: [
                {"name": "X-Api-Key", "value": "new-key"},
                {"name": "X-Extra", "value": "1"},
            ],
            CONF_AUTH_TYPE: "basic",
            CONF_USERNAME: "bob",
            CONF_PASSWORD: "",
            CONF_TIMEOUT: 30,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = {
        CONF_HEADERS: [
            {"name": "X-Api-Key", "value": "new-key"},
            {"name": "X-Extra", "value": "1"},
        ],
        CONF_AUTH_TYPE: "basic",
        CONF_USERNAME: "bob",
        CONF_PASSWORD: PASSWORD_SECRET,
        CONF_VERIFY_SSL: True,
        CONF_TIMEOUT: 30.0,
    }
    assert result["data"] == expected
    await hass.async_block_till_done()
    assert entry.options == expected
    # OptionsFlowWithReload reloaded the entry with the new profile.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.username == "bob"
    assert entry.runtime_data.password == PASSWORD_SECRET
    assert entry.runtime_data.timeout == 30.0


async def test_options_typed_password_replaces_stored(hass: HomeAssistant) -> None:
    """A typed password replaces the stored one."""
    entry = _entry(hass, options=BASIC_OPTIONS)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_AUTH_TYPE: "digest", CONF_USERNAME: "alice", CONF_PASSWORD: "n3w"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_HEADERS: [],
        CONF_AUTH_TYPE: "digest",
        CONF_USERNAME: "alice",
        CONF_PASSWORD: "n3w",
        CONF_VERIFY_SSL: True,
    }


async def test_options_basic_to_bearer_drops_password(hass: HomeAssistant) -> None:
    """Switching to bearer needs a token and drops the username and password."""
    entry = _entry(hass, options=BASIC_OPTIONS)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_AUTH_TYPE: "bearer", CONF_USERNAME: "alice"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TOKEN: "token_required"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_AUTH_TYPE: "bearer", CONF_USERNAME: "alice", CONF_TOKEN: GOOD_TOKEN},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_HEADERS: [],
        CONF_AUTH_TYPE: "bearer",
        CONF_TOKEN: GOOD_TOKEN,
        CONF_VERIFY_SSL: True,
    }


async def test_options_bearer_keeps_blank_token(hass: HomeAssistant) -> None:
    """A stored token survives an edit that leaves its field blank."""
    entry = _entry(
        hass,
        options={CONF_AUTH_TYPE: "bearer", CONF_TOKEN: GOOD_TOKEN, CONF_HEADERS: []},
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert CONF_TOKEN not in _suggested(result)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_AUTH_TYPE: "bearer", CONF_VERIFY_SSL: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TOKEN] == GOOD_TOKEN
    assert result["data"][CONF_VERIFY_SSL] is False


async def test_options_auth_none_clears_credentials(hass: HomeAssistant) -> None:
    """Setting authentication to none removes every stored credential."""
    entry = _entry(hass, options={**BASIC_OPTIONS, CONF_TOKEN: "stale"})
    await _setup(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
            CONF_AUTH_TYPE: "none",
            CONF_USERNAME: "alice",
            CONF_PASSWORD: "typed-but-unused",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
        CONF_AUTH_TYPE: "none",
        CONF_VERIFY_SSL: True,
    }
    await hass.async_block_till_done()
    assert entry.runtime_data.auth_type == "none"
    assert entry.runtime_data.password == ""


async def test_options_error_and_recovery(hass: HomeAssistant) -> None:
    """An options error is shown with the typed values, then fixed."""
    entry = _entry(hass, options=BASIC_OPTIONS)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_HEADERS: [{"name": "X Bad", "value": "1"}],
            CONF_AUTH_TYPE: "basic",
            CONF_USERNAME: "",
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {
        CONF_HEADERS: "invalid_header",
        CONF_USERNAME: "username_required",
    }
    assert _suggested(result)[CONF_HEADERS] == [{"name": "X Bad", "value": "1"}]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_AUTH_TYPE: "basic", CONF_USERNAME: "carol"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_USERNAME] == "carol"
    assert result["data"][CONF_PASSWORD] == PASSWORD_SECRET


async def test_options_test_request_without_base_url(hass: HomeAssistant) -> None:
    """The options test request needs a base URL; saving still works."""
    entry = _entry(hass, base_url=None)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_TEST_REQUEST: True}
    )
    assert result["errors"] == {CONF_TEST_REQUEST: "no_base_url"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_options_test_request_uses_stored_secrets(
    hass: HomeAssistant, server: RecordingServer, routes: asyncio.Event
) -> None:
    """A test from the options flow sends the stored token and headers."""
    entry = _entry(
        hass,
        base_url=server.url("/private/"),
        options={
            CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
            CONF_AUTH_TYPE: "bearer",
            CONF_TOKEN: GOOD_TOKEN,
        },
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
            CONF_AUTH_TYPE: "bearer",
            CONF_TEST_REQUEST: True,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"test_result": "HTTP 200 OK"}
    assert server.last.headers["Authorization"] == f"Bearer {GOOD_TOKEN}"
    assert server.last.headers["X-Api-Key"] == HEADER_SECRET

    # A wrong token typed for a test is reported, and not saved by accident.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_AUTH_TYPE: "bearer", CONF_TOKEN: BAD_TOKEN, CONF_TEST_REQUEST: True},
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_AUTH_TYPE: "bearer", CONF_TOKEN: GOOD_TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TOKEN] == GOOD_TOKEN
    assert result["data"][CONF_HEADERS] == []


# -------------------------------------------------------------- reconfigure flow


async def test_reconfigure_changes_name_and_base_url(hass: HomeAssistant) -> None:
    """Reconfigure renames the profile and normalizes the new base URL."""
    entry = _entry(hass, options=BASIC_OPTIONS)
    await _setup(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {
        CONF_NAME: "Example",
        "example_url": "https://api.example.com/v1/",
    }
    assert _suggested(result) == {
        CONF_NAME: "Example",
        CONF_BASE_URL: "https://api.example.com/",
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_NAME: "Renamed", CONF_BASE_URL: "http://LAN.example:8080/api"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.title == "Renamed"
    assert entry.data == {
        CONF_NAME: "Renamed",
        CONF_BASE_URL: "http://lan.example:8080/api/",
    }
    assert entry.options == BASIC_OPTIONS
    assert entry.state is ConfigEntryState.LOADED
    assert str(entry.runtime_data.base_url) == "http://lan.example:8080/api/"


async def test_reconfigure_removes_base_url(hass: HomeAssistant) -> None:
    """Clearing the base URL removes it; keeping the name is no duplicate."""
    entry = _entry(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Example"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_NAME: "Example"}


async def test_reconfigure_error_and_recovery(hass: HomeAssistant) -> None:
    """An invalid base URL is shown, then a valid one is saved."""
    entry = _entry(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: " ", CONF_BASE_URL: "https://u:p@x.example/"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {
        CONF_NAME: "name_required",
        CONF_BASE_URL: "url_has_credentials",
    }
    assert _suggested(result) == {
        CONF_NAME: " ",
        CONF_BASE_URL: "https://u:p@x.example/",
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Fixed", CONF_BASE_URL: "https://x.example"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_NAME: "Fixed", CONF_BASE_URL: "https://x.example/"}


@pytest.mark.parametrize(
    "user_input",
    [
        {CONF_NAME: "Other", CONF_BASE_URL: "https://api.example.com/"},
        {CONF_NAME: "Example", CONF_BASE_URL: "https://OTHER.example.com:443"},
    ],
    ids=["name", "base_url"],
)
async def test_reconfigure_duplicate_aborts(
    hass: HomeAssistant, user_input: dict[str, str]
) -> None:
    """Reconfigure can't take another profile's name or base URL."""
    entry = _entry(hass)
    _entry(hass, "Other", "https://other.example.com/")
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == {
        CONF_NAME: "Example",
        CONF_BASE_URL: "https://api.example.com/",
    }


# ---------------------------------------------------------------- secrets & text


async def test_secrets_never_leak(
    hass: HomeAssistant,
    server: RecordingServer,
    routes: asyncio.Event,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No secret reaches the log, the placeholders, the errors or secret fields."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    secrets = (HEADER_SECRET, PASSWORD_SECRET, GOOD_TOKEN, BAD_TOKEN)
    results: list[Any] = []

    async def configure(manager: Any, flow_id: str, data: dict[str, Any]) -> Any:
        result = await manager.async_configure(flow_id, data)
        results.append(result)
        return result

    flow = hass.config_entries.flow
    result = await _user_step(hass, "Leak", server.url("/private/"))
    results.append(result)
    headers = [{"name": "X-Api-Key", "value": HEADER_SECRET}]
    for token in (BAD_TOKEN, GOOD_TOKEN):
        result = await configure(
            flow,
            result["flow_id"],
            {
                CONF_HEADERS: headers,
                CONF_AUTH_TYPE: "bearer",
                CONF_TOKEN: token,
                CONF_TEST_REQUEST: True,
            },
        )
    result = await configure(
        flow, result["flow_id"], {CONF_HEADERS: headers, CONF_AUTH_TYPE: "bearer"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = result["result"]

    options = hass.config_entries.options
    result = await options.async_init(entry.entry_id)
    results.append(result)
    for settings in (
        {CONF_AUTH_TYPE: "basic", CONF_USERNAME: "u:x", CONF_PASSWORD: PASSWORD_SECRET},
        {
            CONF_AUTH_TYPE: "basic",
            CONF_USERNAME: "alice",
            CONF_PASSWORD: PASSWORD_SECRET,
            CONF_TEST_REQUEST: True,
        },
    ):
        result = await configure(
            options, result["flow_id"], {CONF_HEADERS: headers, **settings}
        )
    result = await configure(
        options,
        result["flow_id"],
        {CONF_HEADERS: headers, CONF_AUTH_TYPE: "basic", CONF_USERNAME: "alice"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_PASSWORD] == PASSWORD_SECRET

    assert len(server.received) == 3
    assert "Test request for profile Leak" in caplog.text
    for result in results:
        exposed = json.dumps(
            [
                result.get("description_placeholders"),
                result.get("errors"),
                result.get("description"),
                result.get("title"),
            ]
        )
        if result["type"] is FlowResultType.FORM:
            suggested = _suggested(result)
            assert CONF_PASSWORD not in suggested
            assert CONF_TOKEN not in suggested
        for secret in secrets:
            assert secret not in exposed
    for secret in secrets:
        assert secret not in caplog.text


TRANSPORT_AUTH_ERRORS = (
    "query_name_required",
    "invalid_text",
    "invalid_token_url",
    "client_id_required",
    "client_secret_required",
    "oauth_failed",
    "invalid_proxy_url",
    "proxy_error",
    "query_value_required",
    "invalid_pem",
    "client_cert_required",
    "client_key_required",
    "key_mismatch",
    "key_password_required",
    "invalid_key_password",
)


def _load(language: str) -> dict[str, Any]:
    return json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_translations_cover_the_flows(language: str) -> None:
    """Every step, field, error and abort of the flows has text."""
    strings = _load(language)
    settings_fields = {str(key.schema) for key in config_flow.SETTINGS_SCHEMA.schema}
    identity_fields = {str(key.schema) for key in config_flow.IDENTITY_SCHEMA.schema}
    steps = {
        ("config", "user"): identity_fields,
        ("config", "settings"): settings_fields,
        ("config", "reconfigure"): identity_fields,
        ("options", "init"): settings_fields,
    }
    for (section, step_id), fields in steps.items():
        step = strings[section]["step"][step_id]
        assert step["title"]
        assert step["description"]
        assert set(step["data"]) == fields
        assert set(step["data_description"]) == fields
        assert all(step["data"].values())
        assert all(step["data_description"].values())
    for step_id in ("settings",):
        assert "{test_result}" in strings["config"]["step"][step_id]["description"]
    assert "{test_result}" in strings["options"]["step"]["init"]["description"]
    assert "{name}" in strings["config"]["step"]["reconfigure"]["description"]
    for step_id in ("user", "reconfigure"):
        step = strings["config"]["step"][step_id]
        assert "{example_url}" in step["data_description"][CONF_BASE_URL]
    assert "{example_url}" in strings["config"]["error"]["invalid_url"]

    settings_errors = {
        "invalid_header",
        "username_required",
        "invalid_username",
        "token_required",
        "invalid_token",
        "no_base_url",
        "cannot_connect",
        "ssl_error",
        "timeout",
        "response_too_large",
        "invalid_auth",
        "unknown",
        *TRANSPORT_AUTH_ERRORS,
    }
    identity_errors = {
        "name_required",
        "invalid_url",
        "unsupported_scheme",
        "url_has_credentials",
        "base_url_has_query",
    }
    assert set(strings["config"]["error"]) == settings_errors | identity_errors
    assert set(strings["options"]["error"]) == settings_errors
    # HA 2026.3 looks reconfigure_successful up in the integration's own strings.
    assert set(strings["config"]["abort"]) == {
        "already_configured",
        "reconfigure_successful",
    }
    assert set(strings["selector"]["auth_type"]["options"]) == set(AUTH_TYPES)


def test_translations_have_the_same_keys() -> None:
    """French has exactly the English keys and placeholders in the flows."""

    def flatten(value: Any, prefix: str = "") -> dict[str, str]:
        if isinstance(value, dict):
            flat: dict[str, str] = {}
            for key, item in value.items():
                flat |= flatten(item, f"{prefix}.{key}")
            return flat
        return {prefix: value}

    english = {
        key: value
        for section in ("config", "options")
        for key, value in flatten(_load("en")[section], section).items()
    } | flatten(_load("en")["selector"]["auth_type"], "auth_type")
    french = {
        key: value
        for section in ("config", "options")
        for key, value in flatten(_load("fr")[section], section).items()
    } | flatten(_load("fr")["selector"]["auth_type"], "auth_type")
    assert set(english) == set(french)
    for key, text in english.items():
        assert ("{" in text) == ("{" in french[key]), key
