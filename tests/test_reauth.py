"""Reauthentication: a refused OAuth2 client asks for a new ID and secret."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
from typing import Any

from aiohttp import web
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scene_http_request import profile as profile_module
from custom_components.scene_http_request.const import DOMAIN
from custom_components.scene_http_request.profile import (
    async_client_error,
    profile_from_entry,
)
from custom_components.scene_http_request.runtime import shared

from .helpers import (
    AddProfile,
    add_entry,
    send,
    send_error,
    suggested_values,
    top_level,
)
from .proxy import ForwardProxy
from .server import RecordingServer

OLD_SECRET = "old-SECRET-value"
NEW_SECRET = "new-SECRET-value"


@dataclass
class CheckingEndpoint:
    """A token endpoint that knows one client; its refusal can be tuned."""

    server: RecordingServer
    secret: str = NEW_SECRET
    refusal: tuple[int, bytes] = (400, b'{"error": "invalid_client"}')
    forms: list[dict[str, str]] = field(default_factory=list)

    def install(self, api: RecordingServer) -> None:
        """Route /token here and /api/data on the API (any token of ours works)."""

        @self.server.route("/token")
        async def token(request: web.Request) -> web.Response:
            form = dict(await request.post())
            self.forms.append(form)
            if form.get("client_id") != "ha" or form.get("client_secret") != (
                self.secret
            ):
                status, body = self.refusal
                return web.Response(
                    status=status, body=body, content_type="application/json"
                )
            return web.json_response(
                {"access_token": "tok-SECRET", "token_type": "Bearer"}
            )

        @api.route("/api/data")
        async def data(request: web.Request) -> web.Response:
            if request.headers.get("Authorization") != "Bearer tok-SECRET":
                return web.json_response({"error": "unauthorized"}, status=401)
            return web.json_response({"ok": True})


@pytest.fixture
def endpoint(
    token_server: RecordingServer, server: RecordingServer
) -> CheckingEndpoint:
    """A token endpoint that accepts NEW_SECRET only."""
    tokens = CheckingEndpoint(token_server)
    tokens.install(server)
    return tokens


def _oauth(endpoint: CheckingEndpoint, secret: str = OLD_SECRET) -> dict[str, Any]:
    return {
        "auth_type": "oauth2_client_credentials",
        "token_url": endpoint.server.url("/token"),
        "client_id": "ha",
        "client_secret": secret,
        "scope": "read",
    }


def _reauth_flows(hass: HomeAssistant) -> list[Any]:
    return hass.config_entries.flow.async_progress_by_handler(
        DOMAIN, match_context={"source": SOURCE_REAUTH}
    )


async def _refused_profile(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    endpoint: CheckingEndpoint,
    **extra: Any,
) -> tuple[MockConfigEntry, Any]:
    """Add a profile whose secret is refused; call it; return it and its reauth."""
    entry = await add_profile("Cloud", server.url("/api/"), **_oauth(endpoint), **extra)
    err = await send_error(hass, config_entry_id=entry.entry_id, url="data")
    assert err.translation_key == "oauth_failed"
    await hass.async_block_till_done()
    flows = _reauth_flows(hass)
    assert len(flows) == 1
    return entry, flows[0]


@pytest.mark.parametrize(
    "refusal",
    [
        (400, b'{"error": "invalid_client"}'),
        (400, b'{"error": "unauthorized_client", "error_description": "no"}'),
        (401, b'{"error": "invalid_client"}'),
        (401, b"not json"),
    ],
)
async def test_refused_client_starts_one_reauth(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: CheckingEndpoint,
    refusal: tuple[int, bytes],
    add_profile: AddProfile,
) -> None:
    """Calls still fail with oauth_failed, and one reauth flow asks for the client."""
    endpoint.refusal = refusal
    entry, flow = await _refused_profile(hass, add_profile, server, endpoint)
    assert flow["context"]["entry_id"] == entry.entry_id
    assert flow["step_id"] == "reauth_confirm"
    # More refused calls, some at once: still one flow.
    errors = await asyncio.gather(
        *(
            send_error(hass, config_entry_id=entry.entry_id, url="data")
            for _ in range(3)
        )
    )
    assert {err.translation_key for err in errors} == {"oauth_failed"}
    await hass.async_block_till_done()
    assert len(_reauth_flows(hass)) == 1
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    "refusal",
    [
        (400, b'{"error": "invalid_scope"}'),
        (400, b'{"error": ["invalid_client"]}'),
        (400, b'["invalid_client"]'),
        (400, b"invalid_client"),
        (400, b"[" * 100_000),
        (403, b'{"error": "invalid_client"}'),
        (500, b'{"error": "invalid_client"}'),
    ],
)
async def test_other_token_errors_start_no_reauth(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: CheckingEndpoint,
    refusal: tuple[int, bytes],
    add_profile: AddProfile,
) -> None:
    """A bad scope, a server fault or an odd answer is no refusal of the client."""
    endpoint.refusal = refusal
    entry = await add_profile("Cloud", server.url("/api/"), **_oauth(endpoint))
    err = await send_error(hass, config_entry_id=entry.entry_id, url="data")
    assert err.translation_key == "oauth_failed"
    await hass.async_block_till_done()
    assert _reauth_flows(hass) == []


async def test_reauth_success_reloads_the_profile(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: CheckingEndpoint,
    add_profile: AddProfile,
) -> None:
    """The new secret is tried on the token endpoint, saved, and the entry reloads."""
    entry, flow = await _refused_profile(hass, add_profile, server, endpoint)
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": "Cloud"}
    assert set(top_level(result)) == {"client_id", "client_secret"}
    assert suggested_values(result) == {"client_id": "ha"}
    before = entry.runtime_data
    tried = len(endpoint.forms)

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"client_id": " ha ", "client_secret": NEW_SECRET}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert endpoint.forms[tried]["client_secret"] == NEW_SECRET
    assert endpoint.forms[tried]["scope"] == "read"
    await hass.async_block_till_done()
    assert entry.options == _oauth(endpoint, NEW_SECRET)
    assert entry.data == {"name": "Cloud", "base_url": server.url("/api/")}
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not before
    response = await send(hass, config_entry_id=entry.entry_id, url="data")
    assert response["status"] == 200
    assert _reauth_flows(hass) == []


async def test_reauth_token_request_uses_the_profile_proxy(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: CheckingEndpoint,
    add_profile: AddProfile,
) -> None:
    """The reauth step asks for its token through the profile's proxy."""
    forward = ForwardProxy()
    await forward.start()
    try:
        _, flow = await _refused_profile(
            hass, add_profile, server, endpoint, proxy_url=forward.url
        )
        forward.seen.clear()
        result = await hass.config_entries.flow.async_configure(
            flow["flow_id"], {"client_id": "ha", "client_secret": NEW_SECRET}
        )
        assert result["reason"] == "reauth_successful"
        assert [(seen.method, seen.target) for seen in forward.seen] == [
            ("POST", endpoint.server.url("/token"))
        ]
        await hass.async_block_till_done()
    finally:
        await forward.close()


async def test_reauth_still_refused_keeps_the_entry(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: CheckingEndpoint,
    add_profile: AddProfile,
) -> None:
    """A secret the endpoint still refuses is a form error; nothing is saved."""
    entry, flow = await _refused_profile(hass, add_profile, server, endpoint)
    stored = dict(entry.options)
    for typed in ("still-SECRET-wrong", ""):  # blank tries the stored secret
        result = await hass.config_entries.flow.async_configure(
            flow["flow_id"], {"client_id": "ha", "client_secret": typed}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "invalid_client"}
        assert suggested_values(result) == {"client_id": "ha"}
        assert "SECRET" not in json.dumps(result["description_placeholders"])
    assert [form["client_secret"] for form in endpoint.forms[-2:]] == [
        "still-SECRET-wrong",
        "still-SECRET-wrong",  # the one typed earlier in this flow is kept
    ]
    assert entry.options == stored
    # Then a good secret still ends the flow.
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"client_id": "ha", "client_secret": NEW_SECRET}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()


async def test_reauth_form_errors(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: CheckingEndpoint,
    add_profile: AddProfile,
) -> None:
    """A blank client ID is a field error, checked before any token request."""
    _, flow = await _refused_profile(hass, add_profile, server, endpoint)
    tried = len(endpoint.forms)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"client_id": " ", "client_secret": NEW_SECRET}
    )
    assert result["errors"] == {"client_id": "client_id_required"}
    assert len(endpoint.forms) == tried


async def test_reauth_token_endpoint_unreachable(
    hass: HomeAssistant,
    server: RecordingServer,
    closed_port: int,
    add_profile: AddProfile,
) -> None:
    """An endpoint that can't be reached is token_failed: nothing is saved."""
    options = {
        "auth_type": "oauth2_client_credentials",
        "token_url": f"http://127.0.0.1:{closed_port}/token",
        "client_id": "ha",
        "client_secret": OLD_SECRET,
    }
    entry = await add_profile("Cloud", server.url("/api/"), **options)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"client_id": "ha", "client_secret": NEW_SECRET}
    )
    assert result["errors"] == {"base": "token_failed"}
    assert entry.options == options


@pytest.mark.parametrize(
    "options",
    [
        {"auth_type": "basic", "username": "u", "password": "p"},
        {"auth_type": "bearer", "token": "t"},
        {},
    ],
)
async def test_reauth_of_other_types_aborts(
    hass: HomeAssistant, options: dict[str, Any]
) -> None:
    """Only OAuth2 profiles sign in again here, for now."""
    entry = add_entry(hass, options=options)
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_not_supported"


async def test_client_check_and_reauth_start_without_oauth_or_entry(
    hass: HomeAssistant,
) -> None:
    """A profile without OAuth2 has no client to try; a gone entry gets no flow."""
    plain = profile_from_entry("e", "t", {}, {})
    assert await async_client_error(hass, plain, shared(hass).client) is None
    start = profile_module._reauth_starter(hass, "no-such-entry")
    assert start is not None
    start()
    await hass.async_block_till_done()
    assert _reauth_flows(hass) == []
    assert profile_module._reauth_starter(hass, "") is None
