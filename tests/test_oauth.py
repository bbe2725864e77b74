"""OAuth2 client credentials against a real token endpoint on loopback."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
import logging
from pathlib import Path
import time
from typing import Any
from unittest.mock import patch

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.scene_http_request import config_flow, oauth
from custom_components.scene_http_request.const import DOMAIN
from custom_components.scene_http_request.profile import InvalidProfileError

from .certs import TestCA
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
from .proxy import ForwardProxy
from .server import RecordingServer, start_server

SECRET = "client-SECRET-value"
LOGGER_NAME = "custom_components.scene_http_request"


@dataclass
class TokenEndpoint:
    """Issues numbered tokens; the API accepts only the ones still valid."""

    server: RecordingServer
    expires_in: Any = 3600
    status: int = 200
    delay: float = 0.0
    issued: list[str] = field(default_factory=list)
    valid: set[str] = field(default_factory=set)
    forms: list[dict[str, str]] = field(default_factory=list)

    @property
    def calls(self) -> int:
        """Return how many tokens were asked for."""
        return len(self.forms)

    def install(self, api: RecordingServer) -> None:
        """Route /token on the token server and /api/ on the API server."""

        @self.server.route("/token")
        async def token(request: web.Request) -> web.Response:
            self.forms.append(dict(await request.post()))
            await asyncio.sleep(self.delay)
            if self.status != 200:
                return web.json_response(
                    {"error": "invalid_client"}, status=self.status
                )
            issued = f"tok-SECRET-{len(self.issued)}"
            self.issued.append(issued)
            self.valid.add(issued)
            answer = {"access_token": issued, "token_type": "Bearer"}
            if self.expires_in is not None:
                answer["expires_in"] = self.expires_in
            return web.json_response(answer)

        @api.route("/api/data")
        async def data(request: web.Request) -> web.Response:
            header = request.headers.get("Authorization", "")
            if header.removeprefix("Bearer ") not in self.valid:
                return web.json_response({"error": "unauthorized"}, status=401)
            return web.json_response({"ok": True})


@pytest.fixture
def endpoint(token_server: RecordingServer, server: RecordingServer) -> TokenEndpoint:
    """A token endpoint for the API on `server`."""
    tokens = TokenEndpoint(token_server)
    tokens.install(server)
    return tokens


@pytest.fixture
async def setup_integration(hass: HomeAssistant, add_profile: AddProfile) -> None:
    """Set up the integration (the action) with no profile."""
    await add_profile("Plain")


pytestmark = pytest.mark.usefixtures("setup_integration")


def _oauth(token_url: str, **extra: str) -> dict[str, Any]:
    return {
        "auth_type": "oauth2_client_credentials",
        "token_url": token_url,
        "client_id": "ha",
        "client_secret": SECRET,
        **extra,
    }


async def _profile(
    add_profile: AddProfile,
    server: RecordingServer,
    endpoint: TokenEndpoint,
    **extra: str,
) -> str:
    options = _oauth(endpoint.server.url("/token"), **extra)
    entry = await add_profile("Cloud", server.url("/api/"), **options)
    return entry.entry_id


async def test_token_fetched_on_first_use_and_cached(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: TokenEndpoint,
    caplog: pytest.LogCaptureFixture,
    add_profile: AddProfile,
) -> None:
    """One token serves many calls; the request has the form RFC 6749 asks for."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    entry_id = await _profile(
        add_profile, server, endpoint, scope="read write", audience="a"
    )
    assert endpoint.calls == 0  # nothing is fetched at setup
    for _ in range(3):
        response = await send(hass, config_entry_id=entry_id, url="data")
        assert response["status"] == 200
    assert endpoint.calls == 1
    assert endpoint.forms[0] == {
        "grant_type": "client_credentials",
        "client_id": "ha",
        "client_secret": SECRET,
        "scope": "read write",
        "audience": "a",
    }
    assert server.last.headers["Authorization"] == "Bearer tok-SECRET-0"
    for secret in (SECRET, "tok-SECRET-0"):
        assert secret not in caplog.text
        assert secret not in json.dumps(response)


class FakeClock:
    """Stands in for oauth.time: monotonic() is a value the test sets."""

    def __init__(self) -> None:
        """Start at the real monotonic time."""
        self.now = time.monotonic()

    def monotonic(self) -> float:
        """Return the time the test set."""
        return self.now


@pytest.mark.parametrize(
    ("expires_in", "kept"),
    [(3600, 3570.0), (60, 30.0), (30, 15.0), (10, 5.0), ("10", 5.0), (1, 0.5)],
)
async def test_token_renewed_before_expiry(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: TokenEndpoint,
    expires_in: Any,
    kept: float,
    *,
    add_profile: AddProfile,
) -> None:
    """A token is renewed 30 s before it expires, or at half its lifetime if sooner.

    (It was always 30 s: a token of 30 s or less was fetched for every call.)
    """
    endpoint.expires_in = expires_in
    entry_id = await _profile(add_profile, server, endpoint)
    clock = FakeClock()
    with patch.object(oauth, "time", clock):
        started = clock.now
        await send(hass, config_entry_id=entry_id, url="data")
        clock.now = started + kept - 0.01
        await send(hass, config_entry_id=entry_id, url="data")
        assert endpoint.calls == 1
        clock.now = started + kept
        await send(hass, config_entry_id=entry_id, url="data")
    assert endpoint.calls == 2
    assert server.last.headers["Authorization"] == "Bearer tok-SECRET-1"


@pytest.mark.parametrize("expires_in", [10, 0])
async def test_concurrent_calls_with_a_short_lifetime_share_one_fetch(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: TokenEndpoint,
    expires_in: int,
    add_profile: AddProfile,
) -> None:
    """20 calls at once make one token request, however short its lifetime.

    A call that waited for the fetch uses the token fetched meanwhile (with
    expires_in 10 they made 20 token requests, one after the other).
    """
    endpoint.expires_in = expires_in
    endpoint.delay = 0.05
    entry_id = await _profile(add_profile, server, endpoint)
    responses = await asyncio.gather(
        *(send(hass, config_entry_id=entry_id, url="data") for _ in range(20))
    )
    assert [response["status"] for response in responses] == [200] * 20
    assert endpoint.calls == 1


async def test_slow_token_endpoint_with_a_short_lifetime(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: TokenEndpoint,
    add_profile: AddProfile,
) -> None:
    """15 calls at once, a 0.4 s token endpoint, a 3 s timeout: all succeed.

    8 of them timed out when each fetched its own token in turn.
    """
    endpoint.expires_in = 10
    endpoint.delay = 0.4
    entry_id = await _profile(add_profile, server, endpoint)
    started = time.monotonic()
    responses = await asyncio.gather(
        *(
            send(hass, config_entry_id=entry_id, url="data", timeout=3)
            for _ in range(15)
        )
    )
    assert [response["status"] for response in responses] == [200] * 15
    assert endpoint.calls == 1
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("expires_in", [None, 10])
async def test_concurrent_401s_refresh_the_token_once(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: TokenEndpoint,
    expires_in: int | None,
    add_profile: AddProfile,
) -> None:
    """A token revoked under 10 calls at once: one new token serves them all."""
    endpoint.expires_in = expires_in
    entry_id = await _profile(add_profile, server, endpoint)
    await send(hass, config_entry_id=entry_id, url="data")
    endpoint.valid.clear()
    endpoint.delay = 0.1
    responses = await asyncio.gather(
        *(send(hass, config_entry_id=entry_id, url="data") for _ in range(10))
    )
    assert [response["status"] for response in responses] == [200] * 10
    assert endpoint.calls == 2
    stale = [r for r in server.received if r.headers["Authorization"].endswith("-0")]
    assert len(stale) == 11  # the first call, then each of the 10 once


HUGE_NUMBERS = {
    "400-digit-number": b"9" * 400,
    "negative-400-digit-number": b"-" + b"9" * 400,
    "5000-digit-number": b"9" * 5000,
    "5000-digit-string": b'"' + b"9" * 5000 + b'"',
    "1e400": b"1e400",
    "leading-zeros-string": b'"' + b"0" * 5000 + b'60"',
}


@pytest.mark.parametrize("expires_in", HUGE_NUMBERS.values(), ids=HUGE_NUMBERS)
async def test_huge_expires_in_means_no_expiry(
    hass: HomeAssistant,
    server: RecordingServer,
    token_server: RecordingServer,
    expires_in: bytes,
    add_profile: AddProfile,
) -> None:
    """An expires_in no float holds is taken as none given: the token is used.

    A 400-digit number raised OverflowError, a 5000-digit string ValueError
    (int's digit limit), both untranslated. The token is then kept until a 401;
    5000 zeros before 60 are 60 s.
    """
    issued: list[str] = []

    @token_server.route("/token")
    async def token(request: web.Request) -> web.Response:
        issued.append(f"big-{len(issued)}")
        body = b'{"access_token": "%s", "expires_in": %s}' % (
            issued[-1].encode(),
            expires_in,
        )
        return web.Response(body=body, content_type="application/json")

    options = _oauth(token_server.url("/token"))
    entry = await add_profile("Cloud", server.url("/api/"), **options)
    for _ in range(2):
        response = await send(hass, config_entry_id=entry.entry_id, url="x")
        assert response["status"] == 200
    assert server.last.headers["Authorization"] == "Bearer big-0"
    assert issued == ["big-0"]


async def test_401_fetches_a_new_token_and_retries_once(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: TokenEndpoint,
    add_profile: AddProfile,
) -> None:
    """A revoked token: one new token, one retry; a second 401 is the answer."""
    endpoint.expires_in = None  # no lifetime: kept until a 401
    entry_id = await _profile(add_profile, server, endpoint)
    await send(hass, config_entry_id=entry_id, url="data")
    endpoint.valid.clear()
    response = await send(hass, config_entry_id=entry_id, url="data")
    assert response["status"] == 200
    assert endpoint.calls == 2
    assert len(server.received) == 3

    endpoint.status = 200
    server.routes.pop("/api/data")  # now answers 200 to anyone: not a 401 path

    @server.route("/api/denied")
    async def denied(request: web.Request) -> web.Response:
        return web.Response(status=401)

    err = await send_error(hass, config_entry_id=entry_id, url="denied")
    assert err.translation_placeholders["status"] == "401"
    assert endpoint.calls == 3  # one renewal, then the 401 stands
    assert [r.path for r in server.received[-2:]] == ["/api/denied", "/api/denied"]


async def test_concurrent_calls_share_one_fetch(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: TokenEndpoint,
    add_profile: AddProfile,
) -> None:
    """50 calls at once wait for the same token request."""
    endpoint.delay = 0.2
    entry_id = await _profile(add_profile, server, endpoint)
    responses = await asyncio.gather(
        *(send(hass, config_entry_id=entry_id, url="data") for _ in range(50))
    )
    assert {response["status"] for response in responses} == {200}
    assert endpoint.calls == 1


async def test_failing_token_server(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: TokenEndpoint,
    closed_port: int,
    add_profile: AddProfile,
) -> None:
    """A token endpoint that refuses, or can't be reached, is oauth_failed."""
    endpoint.status = 400
    entry_id = await _profile(add_profile, server, endpoint)
    err = await send_error(hass, config_entry_id=entry_id, url="data")
    assert err.translation_key == "oauth_failed"
    assert err.translation_placeholders == {
        "host": endpoint.server.base.host + f":{endpoint.server.base.port}",
        "status": "HTTP 400",
    }
    assert server.received == []

    options = _oauth(f"http://127.0.0.1:{closed_port}/token")
    down = await add_profile("Down", server.url("/other/"), **options)
    err = await send_error(hass, config_entry_id=down.entry_id, url="x")
    assert err.translation_key == "oauth_failed"
    assert err.translation_placeholders["status"] == "cannot_connect"
    assert SECRET not in str(err)


@pytest.mark.parametrize(
    "answer",
    [
        b"not json",
        b"[]",
        b'{"token_type": "bearer"}',
        b'{"access_token": "a\\nb"}',
        b'{"access_token": "t", "token_type": "mac"}',
        b"[" * 60000,
    ],
    ids=["text", "list", "no-token", "bad-token", "mac", "deep"],
)
async def test_invalid_token_answers(
    hass: HomeAssistant,
    server: RecordingServer,
    token_server: RecordingServer,
    answer: bytes,
    add_profile: AddProfile,
) -> None:
    """A token answer that isn't a usable bearer token is oauth_failed."""

    @token_server.route("/token")
    async def token(request: web.Request) -> web.Response:
        return web.Response(body=answer, content_type="application/json")

    options = _oauth(token_server.url("/token"))
    entry = await add_profile("Cloud", server.url("/api/"), **options)
    err = await send_error(hass, config_entry_id=entry.entry_id, url="x")
    assert err.translation_key == "oauth_failed"
    assert err.translation_placeholders["status"] == "invalid token response"


@pytest.mark.parametrize(
    ("value", "lifetime"),
    [
        (60, 60.0),
        (1.5, 1.5),
        ("60", 60.0),
        ("6x", None),
        (True, None),
        (-1, None),
        (10**400, None),
        (-(10**400), None),
        ("9" * 5000, None),
        ("9" * 19, None),
        ("0" * 5000 + "60", 60.0),
        (float("inf"), None),
        (1e308, 1e308),
    ],
    ids=lambda value: repr(value)[:24],
)
def test_lifetime(value: Any, lifetime: float | None) -> None:
    """expires_in is seconds, as a number or digits."""
    assert oauth._lifetime(value) == lifetime


async def test_token_stays_on_the_profile_origin(
    hass: HomeAssistant,
    server: RecordingServer,
    other_server: RecordingServer,
    endpoint: TokenEndpoint,
    add_profile: AddProfile,
) -> None:
    """A redirect to another origin never carries the token; a call's own wins."""

    @server.route("/api/away")
    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(other_server.url("/landing"))

    entry_id = await _profile(add_profile, server, endpoint)
    await send(hass, config_entry_id=entry_id, url="away")
    assert server.last.headers["Authorization"] == "Bearer tok-SECRET-0"
    assert "Authorization" not in other_server.last.headers
    await send(
        hass, config_entry_id=entry_id, url="x", headers={"authorization": "Mine"}
    )
    assert server.last.headers["Authorization"] == "Mine"
    assert endpoint.calls == 1


async def test_token_request_uses_the_profile_tls(
    hass: HomeAssistant,
    server: RecordingServer,
    tmp_path: Path,
    add_profile: AddProfile,
) -> None:
    """The token endpoint is verified with the profile's own CA."""
    ca = TestCA()
    secure = await start_server(ssl_context=ca.server_context(tmp_path))
    try:

        @secure.route("/token")
        async def token(request: web.Request) -> web.Response:
            return web.json_response({"access_token": "tls-token"})

        options = _oauth(secure.url("/token"))
        entry = await add_profile(
            "Cloud", server.url("/api/"), ca_pem=ca.cert_pem, **options
        )
        await send(hass, config_entry_id=entry.entry_id, url="x")
        assert server.last.headers["Authorization"] == "Bearer tls-token"
    finally:
        await secure.server.close()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"token_url": "ftp://x"}, "token_url"),
        ({"client_id": ""}, "client_id"),
        ({"client_secret": None}, "client_secret"),
        ({"scope": 5}, "scope"),
    ],
)
async def test_bad_stored_oauth_fails_setup(
    hass: HomeAssistant, options: dict[str, Any], field: str
) -> None:
    """Stored OAuth2 settings that can't be used fail the entry."""
    await assert_setup_fails_on_field(
        hass, _oauth("https://auth.example.com/token") | options, field
    )


async def test_flow_oauth_errors_kept_secret_and_test_request(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: TokenEndpoint,
) -> None:
    """Field errors, a kept secret, and a test request that gets a token."""
    result = await user_step(hass, "Cloud", server.url("/api/"))
    result = await configure_flow(
        hass, result, {"auth_type": "oauth2_client_credentials"}
    )
    assert result["step_id"] == "credentials"
    assert result["errors"] == {
        "token_url": "invalid_token_url",
        "client_id": "client_id_required",
        "client_secret": "client_secret_required",
    }
    endpoint.status = 401
    options = _oauth(endpoint.server.url("/token"))
    result = await configure_flow(hass, result, {**options, "test_request": True})
    assert result["errors"] == {"base": "oauth_failed"}
    assert "client_secret" not in suggested_values(result)
    endpoint.status = 200
    blank = {**options, "client_secret": ""}
    result = await configure_flow(hass, result, {**blank, "test_request": True})
    # The test request reached the API root with a token (the API's 404 is fine).
    assert result["errors"] == {}
    assert endpoint.calls == 2
    assert server.last.headers["Authorization"] == "Bearer tok-SECRET-0"
    result = await configure_flow(hass, result, blank)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"]["client_secret"] == SECRET
    # A refused client in a flow's test request starts no reauthentication.
    await hass.async_block_till_done()
    assert not hass.config_entries.flow.async_progress_by_handler(
        DOMAIN, match_context={"source": "reauth"}
    )

    entry = add_entry(hass, "Other", "https://other.example.com/", options=options)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await settings_step(
        hass, result, {"auth_type": "oauth2_client_credentials"}
    )
    assert suggested_values(result)["client_id"] == "ha"
    assert "client_secret" not in suggested_values(result)


async def test_oauth_secrets_redacted_in_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    server: RecordingServer,
    add_profile: AddProfile,
) -> None:
    """Diagnostics keep the token URL, never the client ID or secret."""
    options = _oauth("https://auth.example.com/token")
    entry = await add_profile("Cloud", server.url("/api/"), **options)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    stored = diagnostics["entry"]["options"]
    assert stored["token_url"] == "https://auth.example.com/token"
    assert stored["client_id"] == "**REDACTED**"
    assert stored["client_secret"] == "**REDACTED**"


async def test_token_request_goes_through_the_profile_proxy(
    hass: HomeAssistant,
    server: RecordingServer,
    endpoint: TokenEndpoint,
    add_profile: AddProfile,
) -> None:
    """The token request, like the API call, goes through the profile's proxy."""
    forward = ForwardProxy(credentials=("ha", "proxy-pw"))
    await forward.start()
    try:
        options = _oauth(endpoint.server.url("/token")) | {
            "proxy_url": forward.url,
            "proxy_username": "ha",
            "proxy_password": "proxy-pw",
        }
        entry = await add_profile("Cloud", server.url("/api/"), **options)
        response = await send(hass, config_entry_id=entry.entry_id, url="data")
        assert response["status"] == 200
        assert [(seen.method, seen.target) for seen in forward.seen] == [
            ("POST", endpoint.server.url("/token")),
            ("GET", server.url("/api/data")),
        ]
        assert all(seen.proxy_authorization for seen in forward.seen)
    finally:
        await forward.close()


async def test_flow_text_that_cant_be_stored(hass: HomeAssistant) -> None:
    """A lone surrogate in a field the form takes as is is an error on that field."""
    result = await user_step(hass, "Cloud", "https://api.example.com/")
    options = _oauth("https://auth.example.com/token", scope="read \ud800")
    result = await configure_flow(hass, result, options)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"scope": "invalid_text"}


async def test_flow_unstorable_profile_without_a_field(hass: HomeAssistant) -> None:
    """A stored-profile error that names no form field is a form-wide error."""
    result = await user_step(hass, "Cloud", "https://api.example.com/")
    with patch.object(
        config_flow, "profile_from_entry", side_effect=InvalidProfileError("x")
    ):
        result = await configure_flow(hass, result, {})
    assert result["errors"] == {"base": "invalid_value"}
