"""Secrets in test answers, saved headers across origins, and template limits.

Every case runs against real loopback servers: a hostile server echoes whatever it
was sent, or whatever it likes, and nothing secret may come back to the form.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
import json
from typing import Any
from urllib.parse import quote

from aiohttp import web
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
import pytest

from custom_components.scene_http_request.const import (
    DOMAIN,
    SERVICE_SEND,
    SUBENTRY_REQUEST,
    TRY_IT_CONTENT_LENGTH,
)

from .helpers import AddProfile, request_data, subentry
from .proxy import ForwardProxy
from .server import RecordingServer

PASSWORD = "pw-SECRET-1/+ é"
TOKEN = "tok-SECRET-2"
QUERY_KEY = "qk-SECRET-3"
CLIENT_SECRET = "cs-SECRET-4"
OAUTH_TOKEN = "oauth-SECRET-5"
PROXY_PASSWORD = "px-SECRET-6"
HEADER_VALUE = "hdr-SECRET-7"
ALL_SECRETS = (
    PASSWORD,
    TOKEN,
    QUERY_KEY,
    CLIENT_SECRET,
    OAUTH_TOKEN,
    PROXY_PASSWORD,
    HEADER_VALUE,
)


def _forms(secret: str) -> list[str]:
    """The ways a server may echo a secret back: as is, encoded, JSON-escaped."""
    return [secret, quote(secret, safe=""), json.dumps(secret)[1:-1]]


@pytest.fixture
async def proxy(socket_enabled: None) -> AsyncGenerator[ForwardProxy]:
    """A forward proxy that asks for no credentials (it ignores them)."""
    forward = ForwardProxy()
    await forward.start()
    yield forward
    await forward.close()


def _profiles(server: RecordingServer, proxy: ForwardProxy) -> dict[str, Any]:
    """Profile options per kind of secret."""
    return {
        "basic": {"auth_type": "basic", "username": "alice", "password": PASSWORD},
        "bearer": {"auth_type": "bearer", "token": TOKEN},
        "query": {
            "auth_type": "api_key_query",
            "query_name": "key",
            "query_value": QUERY_KEY,
        },
        "oauth2": {
            "auth_type": "oauth2_client_credentials",
            "token_url": server.url("/token"),
            "client_id": "client",
            "client_secret": CLIENT_SECRET,
        },
        "proxy": {
            "proxy_url": proxy.url,
            "proxy_username": "bob",
            "proxy_password": PROXY_PASSWORD,
        },
        "header": {"headers": [{"name": "X-Api-Key", "value": HEADER_VALUE}]},
    }


async def _try(hass: HomeAssistant, entry_id: str, url: str) -> dict[str, Any]:
    """Fill the saved-request form and submit it with Try it on."""
    result = await hass.config_entries.subentries.async_init(
        (entry_id, SUBENTRY_REQUEST), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Leak",
            "method": "GET",
            "url": url,
            "body_type": "none",
            "advanced": {"fail_on_http_error": True},
            "try_it": True,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    return dict(result)


@pytest.mark.parametrize(
    "kind", ["basic", "bearer", "query", "oauth2", "proxy", "header"]
)
async def test_try_it_masks_every_secret_of_the_profile(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    proxy: ForwardProxy,
    kind: str,
) -> None:
    """Try it shows no secret of the profile, whatever the server echoes.

    The server sends back what it was sent and every secret in every form; the
    current OAuth token counts too.
    """

    @server.route("/token")
    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": OAUTH_TOKEN, "expires_in": 3600})

    @server.route("/api/leak")
    async def leak(request: web.Request) -> web.Response:
        sent = f"{dict(request.headers)} {request.query_string}"
        echoed = " ".join(form for secret in ALL_SECRETS for form in _forms(secret))
        return web.Response(text=f"{sent} | {echoed}")

    options = _profiles(server, proxy)[kind]
    entry = await add_profile(f"Leaky {kind}", server.url("/api/"), **options)
    result = await _try(hass, entry.entry_id, "leak")
    shown = result["description_placeholders"]["try_result"]
    assert shown.startswith("**HTTP 200 OK**")
    assert "***" in shown
    masked = {
        "basic": [PASSWORD],
        "bearer": [TOKEN],
        "query": [QUERY_KEY],
        "oauth2": [CLIENT_SECRET, OAUTH_TOKEN],
        "proxy": [PROXY_PASSWORD],
        "header": [HEADER_VALUE],
    }[kind]
    for secret in masked:
        for form in _forms(secret):
            assert form not in shown, (kind, form)


async def test_a_secret_across_the_cut_shows_nothing_of_itself(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """Masking comes before the 500-character cut: no start of a secret shows."""

    @server.route("/api/edge")
    async def edge(request: web.Request) -> web.Response:
        return web.Response(text="a" * (TRY_IT_CONTENT_LENGTH - 5) + TOKEN)

    entry = await add_profile(
        "Edge", server.url("/api/"), auth_type="bearer", token=TOKEN
    )
    result = await _try(hass, entry.entry_id, "edge")
    shown = result["description_placeholders"]["try_result"]
    assert TOKEN[:5] not in shown
    assert shown.endswith("*")


async def test_saved_headers_stay_on_the_profile_origin(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    other_server: RecordingServer,
) -> None:
    """A saved header never follows a redirect to another origin.

    It replaces the profile's header of the same name, and is sent on the
    profile's own origin, redirects there included.
    """

    @server.route("/api/away")
    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(other_server.url("/landing"))

    @server.route("/api/here")
    async def here(request: web.Request) -> web.Response:
        raise web.HTTPFound(server.url("/api/landing"))

    @other_server.route("/landing")
    @server.route("/api/landing")
    async def landing(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    headers = [{"name": "X-Api-Key", "value": "saved-{{ 1 + 1 }}-" + HEADER_VALUE}]
    await add_profile(
        "Hooks",
        server.url("/api/"),
        subentry(request_data("Away", "away", headers=headers), "sub-away"),
        subentry(request_data("Here", "here", headers=headers), "sub-here"),
        headers=[{"name": "x-api-key", "value": "profile-value"}],
    )
    for name in ("away", "here"):
        await hass.services.async_call(
            DOMAIN, SERVICE_SEND, {"request": name}, blocking=True
        )
    assert other_server.last.path == "/landing"
    assert "X-Api-Key" not in other_server.last.headers
    first, then = server.received[0], server.received[-1]
    assert first.headers["X-Api-Key"] == f"saved-2-{HEADER_VALUE}"
    assert then.path == "/api/landing"
    assert then.headers["X-Api-Key"] == f"saved-2-{HEADER_VALUE}"


async def _send_saved(hass: HomeAssistant, **data: Any) -> HomeAssistantError:
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN, SERVICE_SEND, data, blocking=True, return_response=True
        )
    return info.value


async def test_deep_variable_in_a_json_body_is_a_template_error(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """A variable nested too deep to render is template_error; nothing is sent."""
    await add_profile(
        "Hooks",
        server.url("/api/"),
        subentry(
            request_data("Deep", "deep", body_type="json", body="{{ payload }}"),
            "sub-deep",
        ),
    )
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    err = await _send_saved(hass, request="deep", variables={"payload": deep})
    assert err.translation_key == "template_error"
    assert err.translation_placeholders["field"] == "body"
    assert server.received == []


async def test_deep_static_json_body_is_a_form_error(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """A static JSON body too deep to parse is invalid_json in the form."""
    entry = await add_profile("Hooks", server.url("/api/"))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_REQUEST), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Deep",
            "method": "POST",
            "url": "deep",
            "body_type": "json",
            "body": "[" * 100_000 + "]" * 100_000,
            "advanced": {"fail_on_http_error": True},
            "try_it": False,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"body": "invalid_json"}


async def test_body_over_the_template_output_cap_is_template_too_large(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """A rendered body over Home Assistant's 256 KiB template cap says so."""
    await add_profile(
        "Hooks",
        server.url("/api/"),
        subentry(
            request_data(
                "Big", "big", method="POST", body_type="text", body="{{ 'x' * n }}"
            ),
            "sub-big",
        ),
    )
    err = await _send_saved(hass, request="big", variables={"n": 300_000})
    assert err.translation_key == "template_too_large"
    assert err.translation_placeholders == {
        "field": "body",
        "request": "Big",
        "limit": str(256 * 1024),
    }
    assert "262144" in str(err)
    assert server.received == []
