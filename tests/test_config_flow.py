"""Tests for the config, options and reconfigure flows of Scene HTTP Request."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import json
import logging
from pathlib import Path
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
from homeassistant.data_entry_flow import FlowResultType, section
import pytest

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
from custom_components.scene_http_request.profile import SECRET_OPTIONS

from .helpers import (
    SETTINGS_STEPS,
    add_entry,
    configure_flow,
    settings_step,
    setup_entry,
    suggested_values,
    top_level,
    user_step,
)
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
    result = await user_step(hass, "  Example API ", "HTTPS://API.Example.com:443/v1")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HEADERS: [
                {"name": "X-Api-Key", "value": " abc "},
                {"name": "Accept", "value": "application/json"},
            ],
            CONF_AUTH_TYPE: "basic",
            "connection": {
                CONF_TIMEOUT: 5,
                CONF_VERIFY_SSL: False,
                CONF_MAX_RESPONSE_SIZE: 2048,
            },
            "tls": {},
            "proxy": {},
            CONF_TEST_REQUEST: False,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"test_result": ""}
    assert suggested_values(result) == {}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_USERNAME: " alice ", CONF_PASSWORD: " pass word "},
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
    result = await user_step(hass, "Bare")
    assert suggested_values(result) == {}
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
    result = await user_step(hass)
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
    assert suggested_values(result) == {CONF_NAME: "Example", CONF_BASE_URL: base_url}

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
    add_entry(hass, existing_name, existing_url)
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
    add_entry(hass, "Example", "https://api.example.com/v1/")
    result = await user_step(hass, "V2", "https://api.example.com/v2")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("auth", [{}, {CONF_AUTH_TYPE: "bearer", CONF_TOKEN: "t"}])
async def test_user_flow_duplicate_created_meanwhile(
    hass: HomeAssistant, auth: dict[str, str]
) -> None:
    """A profile created while the form was open aborts the flow when it saves."""
    result = await user_step(hass, "Example", "https://api.example.com/")
    add_entry(hass, "Example 2", "https://api.example.com/")
    result = await configure_flow(hass, result, auth)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# ------------------------------------------------------- which fields each step shows

CREDENTIAL_FIELDS = {
    "basic": {CONF_USERNAME, CONF_PASSWORD},
    "digest": {CONF_USERNAME, CONF_PASSWORD},
    "bearer": {CONF_TOKEN},
    "api_key_query": {"query_name", "query_value"},
    "oauth2_client_credentials": {
        "token_url",
        "client_id",
        "client_secret",
        "scope",
        "audience",
    },
}


async def test_settings_step_shows_sections_folded(hass: HomeAssistant) -> None:
    """Headers and the auth type, then folded connection, TLS and proxy sections."""
    result = await user_step(hass)
    top = top_level(result)
    assert list(top) == [
        CONF_HEADERS,
        CONF_AUTH_TYPE,
        "connection",
        "tls",
        "proxy",
        CONF_TEST_REQUEST,
    ]
    sections = {name: top[name] for name in ("connection", "tls", "proxy")}
    assert all(isinstance(part, section) for part in sections.values())
    assert all(part.options["collapsed"] for part in sections.values())
    assert {
        name: {str(key.schema) for key in part.schema.schema}
        for name, part in sections.items()
    } == {
        "connection": {CONF_TIMEOUT, CONF_VERIFY_SSL, CONF_MAX_RESPONSE_SIZE},
        "tls": {
            "ca_pem",
            "client_cert_pem",
            "client_key_pem",
            "client_key_password",
            "legacy_ciphers",
        },
        "proxy": {"proxy_url", "proxy_username", "proxy_password"},
    }
    # Without authentication the settings are the last step.
    assert result["last_step"] is True


@pytest.mark.parametrize("auth_type", sorted(CREDENTIAL_FIELDS))
async def test_credentials_step_shows_the_chosen_type_only(
    hass: HomeAssistant, auth_type: str
) -> None:
    """The credentials step shows the chosen type's fields and the test request."""
    result = await user_step(hass, "Example", "https://api.example.com/")
    result = await settings_step(hass, result, {CONF_AUTH_TYPE: auth_type})
    assert result["step_id"] == "credentials"
    assert set(top_level(result)) == {*CREDENTIAL_FIELDS[auth_type], CONF_TEST_REQUEST}
    assert suggested_values(result) == {}


async def test_credentials_step_skipped_for_none(hass: HomeAssistant) -> None:
    """Without authentication the settings step saves: no credentials step."""
    result = await user_step(hass)
    result = await settings_step(hass, result, {CONF_AUTH_TYPE: "none"})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_settings_step_for_credentials_has_no_test_request(
    hass: HomeAssistant,
) -> None:
    """With authentication, the settings step leads on and holds no test toggle."""
    entry = add_entry(hass, options=BASIC_OPTIONS)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert CONF_TEST_REQUEST not in top_level(result)
    assert result["last_step"] is False
    # Shown again after an error, with the type just chosen.
    result = await settings_step(
        hass, result, {CONF_AUTH_TYPE: "none", "proxy_url": "ftp://x"}
    )
    assert CONF_TEST_REQUEST in top_level(result)
    assert result["last_step"] is True
    result = await settings_step(
        hass, result, {CONF_AUTH_TYPE: "bearer", "proxy_url": "ftp://x"}
    )
    assert CONF_TEST_REQUEST not in top_level(result)


async def test_test_request_toggle_moves_to_the_credentials(
    hass: HomeAssistant,
) -> None:
    """A test asked for on the settings step is kept for the credentials step."""
    result = await user_step(hass, "Example", "https://api.example.com/")
    result = await settings_step(
        hass, result, {CONF_AUTH_TYPE: "bearer", CONF_TEST_REQUEST: True}
    )
    assert result["step_id"] == "credentials"
    assert suggested_values(result) == {CONF_TEST_REQUEST: True}


# ------------------------------------------------------------- errors on the forms


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
        ({"proxy_url": "http://proxy.lan/x"}, {"proxy": "invalid_proxy_url"}),
        (
            {"proxy_url": "http://proxy.lan", "proxy_username": "a:b"},
            {"proxy": "invalid_proxy_username"},
        ),
        ({"ca_pem": "x" * (256 * 1024 + 1)}, {"tls": "pem_too_large"}),
        ({"ca_pem": "junk"}, {"tls": "invalid_ca_pem"}),
    ],
)
async def test_settings_errors_and_recovery(
    hass: HomeAssistant, bad_input: dict[str, Any], error: dict[str, str]
) -> None:
    """A settings error shows on its field or section, which unfolds; then saves."""
    result = await user_step(hass)
    result = await settings_step(hass, result, {CONF_AUTH_TYPE: "bearer", **bad_input})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "settings"
    assert result["errors"] == error
    assert result["description_placeholders"] == {"test_result": ""}
    folded = {
        name: part.options["collapsed"]
        for name, part in top_level(result).items()
        if isinstance(part, section)
    }
    assert folded == {
        name: name not in error for name in ("connection", "tls", "proxy")
    }

    result = await configure_flow(
        hass,
        result,
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


async def test_pem_cap_is_inclusive(hass: HomeAssistant) -> None:
    """A PEM text of exactly 256 KiB is parsed (and refused as PEM, not size)."""
    result = await user_step(hass)
    result = await settings_step(hass, result, {"ca_pem": "x" * (256 * 1024)})
    assert result["errors"] == {"tls": "invalid_ca_pem"}


@pytest.mark.parametrize(
    ("auth_type", "bad_input", "error", "good_input"),
    [
        ("basic", {}, {CONF_USERNAME: "username_required"}, {CONF_USERNAME: "a"}),
        (
            "digest",
            {CONF_USERNAME: "  ", CONF_PASSWORD: "p"},
            {CONF_USERNAME: "username_required"},
            {CONF_USERNAME: "a"},
        ),
        (
            "basic",
            {CONF_USERNAME: "a:b"},
            {CONF_USERNAME: "invalid_username"},
            {CONF_USERNAME: "a"},
        ),
        (
            "digest",
            {CONF_USERNAME: "a\nb"},
            {CONF_USERNAME: "invalid_username"},
            {CONF_USERNAME: "a"},
        ),
        ("bearer", {}, {CONF_TOKEN: "token_required"}, {CONF_TOKEN: "t"}),
        (
            "bearer",
            {CONF_TOKEN: "ab\ncd"},
            {CONF_TOKEN: "invalid_token"},
            {CONF_TOKEN: "t"},
        ),
    ],
)
async def test_credentials_errors_and_recovery(
    hass: HomeAssistant,
    auth_type: str,
    bad_input: dict[str, Any],
    error: dict[str, str],
    good_input: dict[str, str],
) -> None:
    """Each credentials error is shown on its field, then fixed input saves."""
    result = await user_step(hass)
    result = await configure_flow(
        hass, result, {CONF_AUTH_TYPE: auth_type, **bad_input}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert result["errors"] == error
    assert result["description_placeholders"] == {"test_result": ""}
    assert CONF_PASSWORD not in suggested_values(result)
    assert CONF_TOKEN not in suggested_values(result)
    result = await configure_flow(hass, result, good_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_AUTH_TYPE] == auth_type


async def test_credentials_error_keeps_form_values(hass: HomeAssistant) -> None:
    """After an error the form shows what was typed, except secrets."""
    result = await user_step(hass)
    result = await configure_flow(
        hass,
        result,
        {
            CONF_AUTH_TYPE: "basic",
            CONF_TIMEOUT: 3,
            CONF_VERIFY_SSL: False,
            CONF_USERNAME: "al:ice",
            CONF_PASSWORD: PASSWORD_SECRET,
            CONF_TEST_REQUEST: True,
        },
    )
    assert result["errors"] == {CONF_USERNAME: "invalid_username"}
    assert suggested_values(result) == {CONF_USERNAME: "al:ice"}
    # The password typed before the error is kept when its field is left blank.
    result = await configure_flow(hass, result, {CONF_USERNAME: "alice"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_PASSWORD] == PASSWORD_SECRET
    assert result["options"][CONF_TIMEOUT] == 3.0
    assert result["options"][CONF_VERIFY_SSL] is False


async def test_settings_error_keeps_form_values(hass: HomeAssistant) -> None:
    """A settings error shows the typed values, sections included, no secret."""
    result = await user_step(hass)
    result = await settings_step(
        hass,
        result,
        {
            CONF_HEADERS: [{"name": "Bad Header", "value": "v"}],
            CONF_AUTH_TYPE: "basic",
            CONF_TIMEOUT: 3,
            CONF_VERIFY_SSL: False,
            "proxy_url": "http://proxy.lan:3128",
            "proxy_username": "ha",
            "proxy_password": PASSWORD_SECRET,
            CONF_TEST_REQUEST: True,
        },
    )
    assert result["errors"] == {CONF_HEADERS: "invalid_header"}
    assert suggested_values(result) == {
        CONF_HEADERS: [{"name": "Bad Header", "value": "v"}],
        CONF_AUTH_TYPE: "basic",
        CONF_TIMEOUT: 3,
        CONF_VERIFY_SSL: False,
        "proxy_url": "http://proxy.lan:3128",
        "proxy_username": "ha",
    }
    result = await configure_flow(
        hass,
        result,
        {
            CONF_AUTH_TYPE: "basic",
            "proxy_url": "http://proxy.lan:3128",
            "proxy_username": "ha",
            CONF_USERNAME: "alice",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"]["proxy_password"] == PASSWORD_SECRET


async def test_settings_test_request_needs_base_url(hass: HomeAssistant) -> None:
    """A profile without base URL can't be tested but can be saved."""
    result = await user_step(hass, "No URL")
    result = await configure_flow(
        hass,
        result,
        {CONF_AUTH_TYPE: "bearer", CONF_TOKEN: GOOD_TOKEN, CONF_TEST_REQUEST: True},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert result["errors"] == {CONF_TEST_REQUEST: "no_base_url"}
    assert result["description_placeholders"] == {"test_result": ""}
    assert suggested_values(result) == {}
    # The token stays in the flow: a blank field keeps it.
    result = await configure_flow(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_TOKEN] == GOOD_TOKEN


# --------------------------------------------------------------- the test request


async def test_test_request_success_then_save(
    hass: HomeAssistant, server: RecordingServer, routes: asyncio.Event
) -> None:
    """A test request shows the status, sends the profile's headers and auth."""
    result = await user_step(hass, "Local", server.url("/private"))
    settings = {
        CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
        CONF_AUTH_TYPE: "bearer",
        CONF_TOKEN: GOOD_TOKEN,
        CONF_TEST_REQUEST: True,
    }
    result = await configure_flow(hass, result, settings)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"test_result": "HTTP 200 OK"}
    assert suggested_values(result) == {}
    assert len(server.received) == 1
    received = server.received[0]
    assert received.method == "GET"
    assert received.path == "/private/"
    assert received.headers["X-Api-Key"] == HEADER_SECRET
    assert received.headers["Authorization"] == f"Bearer {GOOD_TOKEN}"

    # Saving needs no new test and no retyped token.
    result = await configure_flow(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_TOKEN] == GOOD_TOKEN
    assert result["options"][CONF_HEADERS] == settings[CONF_HEADERS]
    assert len(server.received) == 1


async def test_test_request_unauthorized_then_fixed(
    hass: HomeAssistant, server: RecordingServer, routes: asyncio.Event
) -> None:
    """A 401 answer shows invalid_auth; a new token then passes and saves."""
    result = await user_step(hass, "Local", server.url("/private/"))
    result = await configure_flow(
        hass,
        result,
        {CONF_AUTH_TYPE: "bearer", CONF_TOKEN: BAD_TOKEN, CONF_TEST_REQUEST: True},
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert result["description_placeholders"] == {
        "test_result": "HTTP 401 Unauthorized"
    }
    assert server.last.headers["Authorization"] == f"Bearer {BAD_TOKEN}"

    result = await configure_flow(
        hass, result, {CONF_TOKEN: GOOD_TOKEN, CONF_TEST_REQUEST: True}
    )
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"test_result": "HTTP 200 OK"}

    result = await configure_flow(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_TOKEN] == GOOD_TOKEN


async def test_test_request_failure_does_not_block_saving(
    hass: HomeAssistant, closed_port: int
) -> None:
    """A refused connection shows cannot_connect; the profile still saves."""
    result = await user_step(hass, "Down", f"http://127.0.0.1:{closed_port}/")
    result = await configure_flow(hass, result, {CONF_TEST_REQUEST: True})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "settings"
    assert result["errors"] == {"base": "cannot_connect"}
    assert result["description_placeholders"] == {"test_result": ""}

    result = await configure_flow(hass, result, {CONF_TEST_REQUEST: False})
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
    result = await user_step(hass, "Local", server.url(path))
    result = await configure_flow(hass, result, {**settings, CONF_TEST_REQUEST: True})
    assert (result["errors"], result["description_placeholders"]["test_result"]) == (
        expected
    )


async def test_test_request_tls(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path
) -> None:
    """A self-signed certificate fails the test unless verification is off."""
    context = make_self_signed_cert(tmp_path).server_context()
    with ThreadedServer(context) as tls_server:
        result = await user_step(hass, "TLS", tls_server.url("/tls/"))
        result = await configure_flow(hass, result, {CONF_TEST_REQUEST: True})
        assert result["errors"] == {"base": "ssl_error"}
        assert tls_server.received == []

        result = await configure_flow(
            hass, result, {CONF_VERIFY_SSL: False, CONF_TEST_REQUEST: True}
        )
        assert result["errors"] == {}
        assert result["description_placeholders"] == {"test_result": "HTTP 200 OK"}
        assert tls_server.received == ["/tls/"]


async def test_test_request_unexpected_error(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception is logged and shown as unknown."""
    result = await user_step(hass, "Example", "https://api.example.com/")
    with patch.object(
        client.HttpClient,
        "async_request",
        autospec=True,
        side_effect=RuntimeError("boom"),
    ) as request:
        result = await configure_flow(hass, result, {CONF_TEST_REQUEST: True})
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
    result = await user_step(hass, "Example", "https://api.example.com/")
    with patch.object(
        client.HttpClient,
        "async_request",
        autospec=True,
        side_effect=RequestError(key, "api.example.com"),
    ):
        result = await configure_flow(hass, result, {CONF_TEST_REQUEST: True})
    assert result["errors"] == {"base": error}


async def test_test_request_uses_profile_defaults(hass: HomeAssistant) -> None:
    """The test request is built from the profile like a runtime request."""
    result = await user_step(hass, "Example", "https://api.example.com/v1")
    with patch.object(
        client.HttpClient,
        "async_request",
        autospec=True,
        side_effect=RequestError("timeout", "x"),
    ) as request:
        result = await configure_flow(
            hass,
            result,
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

    result = await hass.config_entries.options.async_init(
        (await configure_flow(hass, result, {CONF_USERNAME: "alice"}))[
            "result"
        ].entry_id
    )
    with patch.object(
        client.HttpClient,
        "async_request",
        autospec=True,
        side_effect=RequestError("timeout", "x"),
    ) as request:
        await configure_flow(
            hass,
            result,
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


async def test_options_form_is_prefilled_without_secrets(hass: HomeAssistant) -> None:
    """The options forms show the stored settings, never a password or token."""
    entry = add_entry(
        hass,
        options={**BASIC_OPTIONS, CONF_TIMEOUT: 4.0, CONF_MAX_RESPONSE_SIZE: 500},
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"test_result": ""}
    assert suggested_values(result) == {
        CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
        CONF_AUTH_TYPE: "basic",
        CONF_VERIFY_SSL: True,
        CONF_TIMEOUT: 4.0,
        CONF_MAX_RESPONSE_SIZE: 500,
    }
    result = await settings_step(
        hass, result, {**suggested_values(result), CONF_PASSWORD: "not here"}
    )
    assert result["step_id"] == "credentials"
    assert suggested_values(result) == {CONF_USERNAME: "alice"}


async def test_options_edit_headers_keeps_blank_password(
    hass: HomeAssistant,
) -> None:
    """Editing headers with a blank password keeps the stored one."""
    entry = add_entry(hass, options=BASIC_OPTIONS)
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await configure_flow(
        hass,
        result,
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
    entry = add_entry(hass, options=BASIC_OPTIONS)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await configure_flow(
        hass,
        result,
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
    entry = add_entry(hass, options=BASIC_OPTIONS)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await configure_flow(
        hass, result, {CONF_AUTH_TYPE: "bearer", CONF_USERNAME: "alice"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TOKEN: "token_required"}
    result = await configure_flow(hass, result, {CONF_TOKEN: GOOD_TOKEN})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_HEADERS: [],
        CONF_AUTH_TYPE: "bearer",
        CONF_TOKEN: GOOD_TOKEN,
        CONF_VERIFY_SSL: True,
    }


async def test_options_bearer_keeps_blank_token(hass: HomeAssistant) -> None:
    """A stored token survives an edit that leaves its field blank."""
    entry = add_entry(
        hass,
        options={CONF_AUTH_TYPE: "bearer", CONF_TOKEN: GOOD_TOKEN, CONF_HEADERS: []},
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert CONF_TOKEN not in suggested_values(result)
    result = await settings_step(
        hass, result, {CONF_AUTH_TYPE: "bearer", CONF_VERIFY_SSL: False}
    )
    assert result["step_id"] == "credentials"
    assert CONF_TOKEN not in suggested_values(result)
    result = await configure_flow(hass, result, {CONF_TOKEN: ""})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TOKEN] == GOOD_TOKEN
    assert result["data"][CONF_VERIFY_SSL] is False


async def test_options_auth_none_clears_credentials(hass: HomeAssistant) -> None:
    """Setting authentication to none removes every stored credential."""
    entry = add_entry(hass, options={**BASIC_OPTIONS, CONF_TOKEN: "stale"})
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await configure_flow(
        hass,
        result,
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
    entry = add_entry(hass, options=BASIC_OPTIONS)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await configure_flow(
        hass,
        result,
        {CONF_HEADERS: [{"name": "X Bad", "value": "1"}], CONF_AUTH_TYPE: "basic"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert result["errors"] == {CONF_HEADERS: "invalid_header"}
    assert suggested_values(result)[CONF_HEADERS] == [{"name": "X Bad", "value": "1"}]
    result = await configure_flow(
        hass, result, {CONF_AUTH_TYPE: "basic", CONF_USERNAME: ""}
    )
    assert result["step_id"] == "credentials"
    assert result["errors"] == {CONF_USERNAME: "username_required"}
    result = await configure_flow(hass, result, {CONF_USERNAME: "carol"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_USERNAME] == "carol"
    assert result["data"][CONF_PASSWORD] == PASSWORD_SECRET


async def test_options_test_request_without_base_url(hass: HomeAssistant) -> None:
    """The options test request needs a base URL; saving still works."""
    entry = add_entry(hass, base_url=None)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await configure_flow(hass, result, {CONF_TEST_REQUEST: True})
    assert result["errors"] == {CONF_TEST_REQUEST: "no_base_url"}
    result = await configure_flow(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_options_test_request_uses_stored_secrets(
    hass: HomeAssistant, server: RecordingServer, routes: asyncio.Event
) -> None:
    """A test from the options flow sends the stored token and headers."""
    entry = add_entry(
        hass,
        base_url=server.url("/private/"),
        options={
            CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
            CONF_AUTH_TYPE: "bearer",
            CONF_TOKEN: GOOD_TOKEN,
        },
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await configure_flow(
        hass,
        result,
        {
            CONF_HEADERS: [{"name": "X-Api-Key", "value": HEADER_SECRET}],
            CONF_AUTH_TYPE: "bearer",
            CONF_TEST_REQUEST: True,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"test_result": "HTTP 200 OK"}
    assert server.last.headers["Authorization"] == f"Bearer {GOOD_TOKEN}"
    assert server.last.headers["X-Api-Key"] == HEADER_SECRET

    # A wrong token typed for a test is reported, and not saved by accident.
    result = await configure_flow(
        hass, result, {CONF_TOKEN: BAD_TOKEN, CONF_TEST_REQUEST: True}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await configure_flow(hass, result, {CONF_TOKEN: GOOD_TOKEN})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TOKEN] == GOOD_TOKEN
    assert result["data"][CONF_HEADERS] == [
        {"name": "X-Api-Key", "value": HEADER_SECRET}
    ]


# -------------------------------------------------------------- reconfigure flow


async def test_reconfigure_changes_name_and_base_url(hass: HomeAssistant) -> None:
    """Reconfigure renames the profile and normalizes the new base URL."""
    entry = add_entry(hass, options=BASIC_OPTIONS)
    await setup_entry(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {
        CONF_NAME: "Example",
        "example_url": "https://api.example.com/v1/",
    }
    assert suggested_values(result) == {
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
    entry = add_entry(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Example"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_NAME: "Example"}


async def test_reconfigure_error_and_recovery(hass: HomeAssistant) -> None:
    """An invalid base URL is shown, then a valid one is saved."""
    entry = add_entry(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: " ", CONF_BASE_URL: "https://u:p@x.example/"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {
        CONF_NAME: "name_required",
        CONF_BASE_URL: "url_has_credentials",
    }
    assert suggested_values(result) == {
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
    entry = add_entry(hass)
    add_entry(hass, "Other", "https://other.example.com/")
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

    async def configure(result: Any, data: dict[str, Any]) -> Any:
        if result["step_id"] in SETTINGS_STEPS:
            result = await settings_step(hass, result, data)
            results.append(result)
            if result["step_id"] != "credentials":
                return result
        result = await configure_flow(hass, result, data)
        results.append(result)
        return result

    result = await user_step(hass, "Leak", server.url("/private/"))
    results.append(result)
    headers = [{"name": "X-Api-Key", "value": HEADER_SECRET}]
    for token in (BAD_TOKEN, GOOD_TOKEN):
        result = await configure(
            result,
            {
                CONF_HEADERS: headers,
                CONF_AUTH_TYPE: "bearer",
                CONF_TOKEN: token,
                CONF_TEST_REQUEST: True,
            },
        )
    result = await configure(result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = result["result"]

    result = await hass.config_entries.options.async_init(entry.entry_id)
    results.append(result)
    for settings in (
        {CONF_AUTH_TYPE: "basic", CONF_USERNAME: "u:x", CONF_PASSWORD: PASSWORD_SECRET},
        {
            CONF_USERNAME: "alice",
            CONF_PASSWORD: PASSWORD_SECRET,
            CONF_TEST_REQUEST: True,
        },
    ):
        result = await configure(result, {CONF_HEADERS: headers, **settings})
    result = await configure(result, {CONF_USERNAME: "alice"})
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
            suggested = suggested_values(result)
            assert not set(suggested) & SECRET_OPTIONS
        for secret in secrets:
            assert secret not in exposed
    for secret in secrets:
        assert secret not in caplog.text


TRANSPORT_AUTH_ERRORS = (
    "query_name_required",
    "invalid_text",
    "invalid_value",
    "invalid_token_url",
    "client_id_required",
    "client_secret_required",
    "oauth_failed",
    "invalid_proxy_url",
    "invalid_proxy_username",
    "proxy_error",
    "query_value_required",
    "invalid_pem",
    "invalid_ca_pem",
    "invalid_client_cert_pem",
    "invalid_client_key_pem",
    "pem_too_large",
    "client_cert_required",
    "client_key_required",
    "key_mismatch",
    "key_password_required",
    "invalid_key_password",
)


def _load(language: str) -> dict[str, Any]:
    return json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))


def _assert_texts(step: dict[str, Any], fields: set[str]) -> None:
    """Every field has a label and a description, and nothing else has."""
    assert set(step["data"]) == fields
    assert set(step["data_description"]) == fields
    assert all(step["data"].values())
    assert all(step["data_description"].values())


LOGIN_ERRORS = {
    "login_base_url_required",
    "login_url_required",
    "invalid_login_url",
    "login_url_outside_origin",
    "invalid_login_field",
    "invalid_login_template",
    "login_header_name_required",
    "invalid_login_header_name",
    "password_required",
    "login_failed",
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_translations_cover_the_flows(language: str) -> None:
    """Every step, section, field, error and abort of the flows has text."""
    strings = _load(language)
    identity_fields = {str(key.schema) for key in config_flow.IDENTITY_SCHEMA.schema}
    credential_fields = {
        str(key.schema)
        for schema in config_flow.CREDENTIALS.values()
        for key in schema.schema
    } | {CONF_TEST_REQUEST}
    for flow, settings_id in (("config", "settings"), ("options", "init")):
        steps = strings[flow]["step"]
        settings = steps[settings_id]
        _assert_texts(settings, {CONF_HEADERS, CONF_AUTH_TYPE, CONF_TEST_REQUEST})
        assert set(settings["sections"]) == set(config_flow.SECTIONS)
        for name, schema in config_flow.SECTIONS.items():
            texts = settings["sections"][name]
            assert texts["name"]
            assert texts["description"]
            _assert_texts(texts, {str(key.schema) for key in schema.schema})
        _assert_texts(steps["credentials"], credential_fields)
        sections = {
            name: schema
            for by_type in config_flow.CREDENTIAL_SECTIONS.values()
            for name, schema in by_type.items()
        }
        assert set(steps["credentials"]["sections"]) == set(sections)
        for name, schema in sections.items():
            texts = steps["credentials"]["sections"][name]
            assert texts["name"]
            assert texts["description"]
            _assert_texts(texts, {str(key.schema) for key in schema.schema})
        for step_id in (settings_id, "credentials"):
            assert steps[step_id]["title"]
            assert "{test_result}" in steps[step_id]["description"]
    steps = strings["config"]["step"]
    for step_id in ("user", "reconfigure"):
        assert steps[step_id]["title"]
        assert steps[step_id]["description"]
        _assert_texts(steps[step_id], identity_fields)
        assert "{example_url}" in steps[step_id]["data_description"][CONF_BASE_URL]
    _assert_texts(
        steps["reauth_confirm"],
        {key for fields in config_flow.REAUTH_FIELDS.values() for key in fields},
    )
    assert "{name}" in steps["reauth_confirm"]["description"]
    assert "{name}" in steps["reconfigure"]["description"]
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
        *LOGIN_ERRORS,
    }
    identity_errors = {
        "name_required",
        "invalid_url",
        "unsupported_scheme",
        "url_has_credentials",
        "base_url_has_query",
    }
    reauth_errors = {"invalid_client", "token_failed"}
    assert set(strings["config"]["error"]) == (
        settings_errors | identity_errors | reauth_errors
    )
    assert set(strings["options"]["error"]) == settings_errors
    # HA 2026.3 looks the success reasons up in the integration's own strings.
    assert set(strings["config"]["abort"]) == {
        "already_configured",
        "reconfigure_successful",
        "reauth_successful",
        "reauth_not_supported",
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
