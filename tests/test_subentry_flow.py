"""The saved request subentry flow: create, reconfigure, errors and "Try it"."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch

from aiohttp import web
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scene_http_request.client import RequestError
from custom_components.scene_http_request.const import SUBENTRY_REQUEST

from .helpers import AddProfile, profile_entry, request_data, subentry
from .login_site import LoginSite
from .server import RecordingServer

TRANSLATIONS = Path(__file__).parents[1] / (
    "custom_components/scene_http_request/translations"
)
TOKEN = "tok-SECRET-value"
HEADER_SECRET = "hdr-SECRET-value"


def assert_translated(errors: dict[str, str]) -> None:
    """Every error key the form shows has its text in English and French."""
    for language in ("en", "fr"):
        texts = json.loads((TRANSLATIONS / f"{language}.json").read_text())
        known = texts["config_subentries"]["request"]["error"]
        assert set(errors.values()) <= set(known), language


async def start(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Start the create flow and return its form."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_REQUEST), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(result)


async def submit(hass: HomeAssistant, flow_id: str, **fields: Any) -> dict[str, Any]:
    """Submit the form with defaults for the fields not given."""
    values = {
        "name": "Left home",
        "method": "GET",
        "url": "hook",
        "body_type": "none",
        "try_it": False,
    } | fields
    advanced = {"fail_on_http_error": True}
    for key in ("timeout", "retries", "fail_on_http_error"):
        if key in values:
            advanced[key] = values.pop(key)
    values["advanced"] = advanced
    result = await hass.config_entries.subentries.async_configure(flow_id, values)
    await hass.async_block_till_done()  # a saved request reloads its profile
    return dict(result)


@pytest.fixture
async def entry(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> MockConfigEntry:
    """A loaded profile on the server, with bearer auth and a header."""

    @server.route("/echo")
    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=f"{dict(request.headers)} {request.query_string}")

    @server.route("/teapot")
    async def teapot(request: web.Request) -> web.Response:
        return web.Response(status=418, body=b"\x89PNG", content_type="image/png")

    return await add_profile(
        "Hooks",
        str(server.base),
        subentry(request_data("Other", "other"), "sub-other"),
        auth_type="bearer",
        token=TOKEN,
        headers=[{"name": "X-Profile", "value": HEADER_SECRET}],
    )


async def test_create(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """A valid form creates the subentry, with every field stored."""
    form = await start(hass, entry)
    assert form["errors"] == {}
    assert form["description_placeholders"]["profile"] == "Hooks"
    assert form["description_placeholders"]["try_result"] == ""
    result = await submit(
        hass,
        form["flow_id"],
        name=" Left home ",
        method="POST",
        url=" hook/{{ who }} ",
        headers=[{"name": " X-Who ", "value": " {{ who }} "}],
        params={"name": "a", "value": "1"},
        body_type="json",
        body='{"who": "{{ who }}"}',
        timeout=5,
        retries=2,
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Left home"
    assert result["data"] == {
        "name": "Left home",
        "method": "POST",
        "url": "hook/{{ who }}",
        "headers": [{"name": "X-Who", "value": "{{ who }}"}],
        "params": [{"name": "a", "value": "1"}],
        "body_type": "json",
        "body": '{"who": "{{ who }}"}',
        "fail_on_http_error": True,
        "timeout": 5.0,
        "retries": 2,
    }
    titles = {sub.title for sub in entry.subentries.values()}
    assert titles == {"Other", "Left home"}


async def test_body_is_dropped_without_a_body_type(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """A body typed with body type none is not stored."""
    form = await start(hass, entry)
    result = await submit(hass, form["flow_id"], body="{{ ignored")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["body"] == ""
    assert "timeout" not in result["data"]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"name": "  "}, {"name": "name_required"}),
        ({"name": "OTHER"}, {"name": "name_taken"}),
        ({"url": ""}, {"url": "invalid_url"}),
        ({"url": "ftp://example.com/"}, {"url": "unsupported_scheme"}),
        ({"url": "http://elsewhere.example/"}, {"url": "url_outside_profile"}),
        ({"url": "{{ broken"}, {"url": "invalid_template"}),
        (
            {"headers": [{"name": "Bad Name", "value": "x"}]},
            {"headers": "invalid_header"},
        ),
        (
            {"headers": [{"name": "Connection", "value": "x"}]},
            {"headers": "invalid_header"},
        ),
        (
            {"headers": [{"name": "X-A", "value": "{{ x"}]},
            {"headers": "invalid_header"},
        ),
        (
            {"headers": [{"name": "X-A", "value": "a\x01"}]},
            {"headers": "invalid_header"},
        ),
        ({"params": [{"name": "", "value": "x"}]}, {"params": "invalid_param"}),
        ({"params": [{"name": "a", "value": "{% if %}"}]}, {"params": "invalid_param"}),
        ({"body_type": "json", "body": "{not json"}, {"body": "invalid_json"}),
        ({"body_type": "text", "body": "{{ x"}, {"body": "invalid_template"}),
    ],
)
async def test_form_errors_then_recovery(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    fields: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Each invalid field is flagged; the form keeps the input and then saves."""
    form = await start(hass, entry)
    result = await submit(hass, form["flow_id"], **fields)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert_translated(errors)
    result = await submit(hass, form["flow_id"], name="Fixed")
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_relative_url_without_base(
    hass: HomeAssistant, add_profile: AddProfile
) -> None:
    """A profile without a base URL needs absolute URLs."""
    entry = await add_profile("Plain", None)
    form = await start(hass, entry)
    result = await submit(hass, form["flow_id"], url="hook")
    assert result["errors"] == {"url": "relative_url_without_base"}
    assert_translated(result["errors"])
    result = await submit(hass, form["flow_id"], url="http://example.com/hook")
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_reconfigure(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Reconfigure shows the stored values, keeps its own name, and updates."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_REQUEST),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": "sub-other"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    schema = result["data_schema"].schema
    suggested = {
        str(key): key.description["suggested_value"]
        for key in schema
        if isinstance(key.description, dict)
    }
    assert suggested["url"] == "other"
    result = await submit(hass, result["flow_id"], name="other", url="renamed")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    stored = entry.subentries["sub-other"]
    assert stored.title == "other"
    assert stored.data["url"] == "renamed"


async def test_try_it_in_reconfigure_sends_the_form_not_the_stored_request(
    hass: HomeAssistant, entry: MockConfigEntry, server: RecordingServer
) -> None:
    """The stored request is built at setup; Try it sends what the form holds."""
    await hass.services.async_call(
        "scene_http_request", "send", {"request": "other"}, blocking=True
    )
    assert server.last.path == "/other"
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_REQUEST),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": "sub-other"},
    )
    result = await submit(
        hass, result["flow_id"], name="other", url="echo", try_it=True
    )
    assert result["errors"] == {}
    assert server.last.path == "/echo"


async def test_reconfigure_name_taken(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Reconfigure refuses the name of another saved request."""
    form = await start(hass, entry)
    await submit(hass, form["flow_id"], name="Second")
    await hass.async_block_till_done()  # the profile reloads with its new request
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_REQUEST),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": "sub-other"},
    )
    result = await submit(hass, result["flow_id"], name="second")
    assert result["errors"] == {"name": "name_taken"}


async def test_corrupt_profile_aborts(hass: HomeAssistant) -> None:
    """A profile whose stored data is corrupt can't get saved requests."""
    entry = profile_entry("Bad", "ftp://x/")
    entry.add_to_hass(hass)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_REQUEST), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_profile"


# ----------------------------------------------------------------------- try it


async def test_try_it_shows_the_answer_without_secrets(
    hass: HomeAssistant, entry: MockConfigEntry, server: RecordingServer
) -> None:
    """Try it sends the request as the action would; the form shows no secret."""
    form = await start(hass, entry)
    result = await submit(
        hass,
        form["flow_id"],
        url="echo",
        headers=[{"name": "X-Call", "value": "call-secret-{{ 1 + 1 }}"}],
        params=[{"name": "q", "value": "1"}],
        try_it=True,
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    shown = result["description_placeholders"]["try_result"]
    assert shown.startswith("**HTTP 200 OK** · ")
    assert re.match(r"\*\*HTTP 200 OK\*\* · \d+ ms\n\n    ", shown)
    assert server.last.headers["Authorization"] == f"Bearer {TOKEN}"
    assert server.last.headers["X-Call"] == "call-secret-2"
    for secret in (TOKEN, HEADER_SECRET, "call-secret-2"):
        assert secret not in shown
    assert "***" in shown
    assert "q=1" in shown
    assert "try_it" not in {
        str(key)
        for key in result["data_schema"].schema
        if isinstance(key.description, dict)
    }
    result = await submit(hass, result["flow_id"], url="echo")
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_try_it_shows_500_characters(
    hass: HomeAssistant, entry: MockConfigEntry, server: RecordingServer
) -> None:
    """Only the first 500 characters of the content are shown; binary is not."""

    @server.route("/long")
    async def long(request: web.Request) -> web.Response:
        return web.Response(text="é" * 600)

    form = await start(hass, entry)
    result = await submit(hass, form["flow_id"], url="long", try_it=True)
    shown = result["description_placeholders"]["try_result"]
    assert shown.count("é") == 500
    result = await submit(
        hass, form["flow_id"], url="teapot", fail_on_http_error=True, try_it=True
    )
    assert result["errors"] == {}
    shown = result["description_placeholders"]["try_result"]
    assert shown.startswith("**HTTP 418 I'm a Teapot**")
    assert "\n" not in shown


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"url": "hook/{{ who }}"}, "template_error"),
        ({"url": "{{ 'http://elsewhere.example/' }}"}, "invalid_request"),
    ],
)
async def test_try_it_request_errors(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    server: RecordingServer,
    fields: dict[str, Any],
    error: str,
) -> None:
    """Try it renders with no variables; a request that can't be built is shown."""
    form = await start(hass, entry)
    result = await submit(hass, form["flow_id"], try_it=True, **fields)
    assert result["errors"] == {"base": error}
    assert_translated(result["errors"])
    assert server.received == []


async def test_try_it_cannot_connect(
    hass: HomeAssistant, closed_port: int, add_profile: AddProfile
) -> None:
    """A server that can't be reached is cannot_connect."""
    entry = await add_profile("Down", f"http://127.0.0.1:{closed_port}/")
    form = await start(hass, entry)
    result = await submit(hass, form["flow_id"], try_it=True)
    assert result["errors"] == {"base": "cannot_connect"}


@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (RequestError("timeout", "h"), "timeout"),
        (RequestError("ssl_error", "h"), "ssl_error"),
        (RequestError("response_too_large", "h", limit="1"), "response_too_large"),
        (RequestError("invalid_response", "h"), "cannot_connect"),
        (RuntimeError("boom"), "unknown"),
    ],
)
async def test_try_it_failures(
    hass: HomeAssistant, entry: MockConfigEntry, raised: Exception, error: str
) -> None:
    """Client failures map to the form's errors; anything else is unknown."""
    form = await start(hass, entry)
    with patch(
        "custom_components.scene_http_request.client.HttpClient.async_request",
        side_effect=raised,
    ):
        result = await submit(hass, form["flow_id"], try_it=True)
    assert result["errors"] == {"base": error}
    assert_translated(result["errors"])


async def test_try_it_through_a_login_profile_masks_the_session(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """Try it logs in like the action; the answer shows no cookie or token of it."""

    @site.server.route("/api/echo")
    async def echo(request: web.Request) -> web.Response:
        return web.Response(
            text=f"{request.headers.get('Cookie')} {request.headers.get('X-Token')}"
        )

    entry = await add_profile(
        "Router",
        site.server.url("/api/"),
        **site.profile(
            login_header_name="X-Token",
            login_header_value="tok-{{ headers['Set-Cookie'] | length }}-SECRET",
        ),
    )
    form = await start(hass, entry)
    result = await submit(hass, form["flow_id"], url="echo", try_it=True)
    assert result["errors"] == {}
    shown = result["description_placeholders"]["try_result"]
    assert shown.startswith("**HTTP 200 OK** · ")
    assert len(site.logins) == 1
    sent = site.server.last.headers
    assert sent["Cookie"].startswith("sid=sid-SECRET-")
    assert sent["X-Token"].endswith("-SECRET")
    assert "SECRET" not in shown
    assert "***" in shown
