"""Saved requests: the stored model, templates, and send with request/variables."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
import voluptuous as vol

from custom_components.scene_http_request.const import (
    DOMAIN,
    SERVICE_SEND,
    SUBENTRY_REQUEST,
)
from custom_components.scene_http_request.profile import InvalidProfileError
from custom_components.scene_http_request.saved_request import (
    request_key,
    saved_request_from_data,
)

from .helpers import AddProfile, profile_entry, request_data, subentry
from .server import RecordingServer

SECRET = "hdr-SECRET-value"


async def call(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call the action with a response."""
    response = await hass.services.async_call(
        DOMAIN, SERVICE_SEND, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def call_error(hass: HomeAssistant, **data: Any) -> HomeAssistantError:
    """Call the action, expect a translated error and return it."""
    with pytest.raises(HomeAssistantError) as info:
        await call(hass, **data)
    return info.value


# ------------------------------------------------------------------------ model


async def test_stored_data_round_trip(hass: HomeAssistant) -> None:
    """Stored data becomes a SavedRequest with every part, templates compiled."""
    saved = saved_request_from_data(
        hass,
        "entry",
        "sub",
        request_data(
            "Left home",
            "hook/{{ who }}",
            method="POST",
            headers=[{"name": "X-Key", "value": "k"}],
            params=[{"name": "a", "value": "1"}],
            body_type="json",
            body='{"who": "{{ who }}"}',
            timeout=5,
            retries=2,
        ),
    )
    assert saved.key == "left_home"
    assert saved.method == "POST"
    assert saved.headers == (("X-Key", "k"),)
    assert saved.params == (("a", "1"),)
    assert saved.timeout == 5.0
    assert saved.retries == 2
    assert saved.fail_on_http_error is True
    assert set(saved.templates) == {"hook/{{ who }}", '{"who": "{{ who }}"}'}


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"name": ""}, "name"),
        ({"name": 3}, "name"),
        ({"method": "BREW"}, "method"),
        ({"url": ""}, "url"),
        ({"body_type": "xml"}, "body_type"),
        ({"body": 3}, "body_type"),
        ({"headers": "X: y"}, "headers"),
        ({"headers": ["X"]}, "headers"),
        ({"headers": [{"name": "", "value": "v"}]}, "headers"),
        ({"headers": [{"name": "Content-Length", "value": "1"}]}, "headers"),
        ({"headers": [{"name": "Bad Name", "value": "1"}]}, "headers"),
        ({"params": [{"name": "a", "value": 1}]}, "params"),
        ({"timeout": "5"}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"timeout": 0}, "timeout"),
        ({"fail_on_http_error": "yes"}, "fail_on_http_error"),
        ({"retries": 1.5}, "retries"),
        ({"retries": 11}, "retries"),
    ],
)
async def test_corrupt_stored_data(
    hass: HomeAssistant, fields: dict[str, Any], key: str
) -> None:
    """Each corrupt field is named."""
    with pytest.raises(InvalidProfileError, match=key):
        saved_request_from_data(hass, "e", "s", request_data("x", "/") | fields)


async def test_rows_may_be_absent(hass: HomeAssistant) -> None:
    """Stored data without headers or params has none."""
    data = request_data("x", "/") | {"headers": None}
    del data["params"]
    saved = saved_request_from_data(hass, "e", "s", data)
    assert saved.headers == saved.params == ()


def test_request_key() -> None:
    """A saved request is called by the slug of its name."""
    assert request_key(" Left home ") == "left_home"
    assert request_key("left_home") == "left_home"


async def test_corrupt_subentry_fails_setup(hass: HomeAssistant) -> None:
    """A corrupt saved request fails its profile's setup with a translated error."""
    entry = profile_entry(
        "P", None, subentry(request_data("x", "/", method="BREW"), "s1")
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "invalid_profile"


# ----------------------------------------------------------------- send by name


@pytest.fixture
async def profile(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> Any:
    """A profile on the server with saved requests."""
    return await add_profile(
        "Hooks",
        str(server.base),
        subentry(
            request_data(
                "Left home",
                "hook/{{ who | lower }}",
                method="POST",
                headers=[
                    {"name": "X-Key", "value": SECRET},
                    {"name": "X-Who", "value": "{{ who }}"},
                ],
                params=[
                    {"name": "tag", "value": "a"},
                    {"name": "tag", "value": "{{ tag }}"},
                    {"name": "tag", "value": "c"},
                    {"name": "n", "value": "{{ 1 + 1 }}"},
                ],
                body_type="json",
                body='{"value1": {{ who | tojson }}, "n": {{ n }}}',
            ),
            "sub-left",
        ),
        subentry(
            request_data(
                "Form",
                "form",
                method="POST",
                body_type="form",
                body="name={{ who | urlencode }}&room=1&room=2",
            ),
            "sub-form",
        ),
        subentry(
            request_data("Text", "text", method="PUT", body_type="text", body="Hi"),
            "sub-text",
        ),
        subentry(request_data("Broken", "missing", fail_on_http_error=False), "s-b"),
        headers=[{"name": "X-Profile", "value": "p"}],
    )


@pytest.fixture
def missing_route(server: RecordingServer) -> None:
    """Answer 404 on /missing."""

    @server.route("/missing")
    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404)


VARS = {"who": "Alice", "tag": "b", "n": 3}


@pytest.mark.usefixtures("profile")
async def test_send_renders_every_template(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """URL, header and param values and the JSON body are rendered with variables."""
    response = await call(hass, request="left_home", variables=VARS)
    assert response["status"] == 200
    assert response["profile"] == "Hooks"
    received = server.last
    assert received.method == "POST"
    assert received.path == "/hook/alice"
    assert received.query == [("tag", "a"), ("tag", "b"), ("tag", "c"), ("n", "2")]
    assert received.headers["X-Who"] == "Alice"
    assert received.headers["X-Key"] == SECRET
    assert received.headers["X-Profile"] == "p"
    assert received.headers["Content-Type"] == "application/json"
    assert json.loads(received.body) == {"value1": "Alice", "n": 3}


@pytest.mark.usefixtures("profile")
async def test_send_by_name_or_slug(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """The name works as typed, or as its slug, in any case."""
    await call(hass, request="Left Home", variables=VARS)
    await call(hass, request="TEXT")
    assert server.last.method == "PUT"
    assert server.last.body == b"Hi"
    assert server.last.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.usefixtures("profile")
async def test_form_body(hass: HomeAssistant, server: RecordingServer) -> None:
    """A form body renders to urlencoded text, sent as a form."""
    await call(hass, request="form", variables={"who": "A&B é"})
    assert server.last.body == b"name=A%26B+%C3%A9&room=1&room=2"
    assert server.last.headers["Content-Type"] == "application/x-www-form-urlencoded"


@pytest.mark.usefixtures("profile")
async def test_call_fields_override_saved_values(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """Fields given in the call replace the saved ones; headers/params by name."""
    await call(
        hass,
        request="left_home",
        variables=VARS,
        method="PUT",
        headers={"x-who": "Bob", "X-New": "1"},
        params={"n": "9"},
        body="plain",
    )
    received = server.last
    assert received.method == "PUT"
    assert received.headers.getall("X-Who") == ["Bob"]
    assert received.headers["X-New"] == "1"
    assert received.headers["X-Key"] == SECRET
    assert received.query == [("tag", "a"), ("tag", "b"), ("tag", "c"), ("n", "9")]
    assert received.body == b"plain"
    await call(hass, request="text", url="other", json={"a": 1})
    assert server.last.path == "/other"
    assert json.loads(server.last.body) == {"a": 1}


@pytest.mark.usefixtures("profile", "missing_route")
async def test_fail_on_http_error_saved_and_overridden(hass: HomeAssistant) -> None:
    """The saved fail_on_http_error applies, and the call may override it."""
    response = await call(hass, request="broken")
    assert response["status"] == 404
    err = await call_error(hass, request="broken", fail_on_http_error=True)
    assert err.translation_key == "http_error"


@pytest.mark.usefixtures("profile")
@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"tag": "b", "n": 3}, "url"),
        ({"who": "A", "n": 3}, "params.tag"),
        ({"who": "A", "tag": "b"}, "body"),
        ({"who": "A", "tag": "b", "n": "not json"}, "body"),
    ],
)
async def test_template_errors_name_the_field(
    hass: HomeAssistant,
    server: RecordingServer,
    variables: dict[str, Any],
    field: str,
) -> None:
    """An undefined variable or invalid JSON is template_error naming the field."""
    err = await call_error(hass, request="left_home", variables=variables)
    assert isinstance(err, ServiceValidationError)
    assert err.translation_key == "template_error"
    assert err.translation_placeholders == {"field": field, "request": "Left home"}
    assert SECRET not in str(err)
    assert server.received == []


async def test_header_and_form_template_errors(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """A header's error names the header; a form body must be urlencoded."""
    await add_profile(
        "P",
        str(server.base),
        subentry(
            request_data("h", "/", headers=[{"name": "X-A", "value": "{{ key }}"}]),
            "s",
        ),
        subentry(
            request_data("f", "/", body_type="form", body="{{ raw }}"),
            "f",
        ),
    )
    err = await call_error(hass, request="h")
    assert err.translation_placeholders == {"field": "headers.X-A", "request": "h"}
    err = await call_error(hass, request="f", variables={"raw": "no pairs"})
    assert err.translation_placeholders == {"field": "body", "request": "f"}
    await call(hass, request="f", variables={"raw": ""})
    assert server.last.body == b""


async def test_unknown_and_ambiguous_requests(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """A missing name is unknown_request; one in two profiles is ambiguous_request."""
    first = await add_profile(
        "One",
        str(server.base),
        subentry(request_data("ping", "one"), "s1"),
        subentry(request_data("One only", "only"), "s3"),
    )
    await add_profile(
        "Two", None, subentry(request_data("Ping", server.url("two")), "s2")
    )
    err = await call_error(hass, request="pong")
    assert err.translation_key == "unknown_request"
    assert err.translation_placeholders == {"request": "pong"}
    err = await call_error(hass, request="ping")
    assert err.translation_key == "ambiguous_request"
    assert err.translation_placeholders == {"request": "ping", "profiles": "One, Two"}
    await call(hass, request="ping", config_entry_id=first.entry_id)
    assert server.last.path == "/one"
    # An empty profile (a blueprint's default) is no profile.
    await call(hass, request="one_only", config_entry_id="")
    assert server.last.path == "/only"
    err = await call_error(hass, request="nope", config_entry_id=first.entry_id)
    assert err.translation_key == "unknown_request"


async def test_plain_call_still_needs_a_url(
    hass: HomeAssistant, add_profile: AddProfile
) -> None:
    """Without request, url is required as before."""
    await add_profile("P", None)
    with pytest.raises(vol.Invalid):
        await call(hass, method="GET")


async def test_saved_url_outside_profile(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """A rendered URL outside the profile's scope is refused like a call's."""
    await add_profile(
        "P",
        server.url("api/"),
        subentry(request_data("out", "{{ target }}"), "s"),
    )
    err = await call_error(hass, request="out", variables={"target": "/elsewhere"})
    assert err.translation_key == "url_outside_profile"
    assert server.received == []


# Quotes, backslashes, control characters, non-ASCII, HTML and an injection try.
HOSTILE = (
    'say "hi" \\ back\\slash\ttab\nnew line\r\x00 é ✓ </b> & \''
    '"}, "admin": true, "x": "'
)


async def test_json_body_with_tojson_keeps_any_value(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """`{{ who | tojson }}` quotes and escapes: the value arrives intact, alone."""
    await add_profile(
        "P",
        str(server.base),
        subentry(
            request_data(
                "Left home",
                "hook",
                method="POST",
                body_type="json",
                body='{"who": {{ who | tojson }}}',
            ),
            "s",
        ),
    )
    for who in (HOSTILE, "Alice", "", "  two  spaces  "):
        await call(hass, request="left_home", variables={"who": who})
        assert json.loads(server.last.body) == {"who": who}


async def test_reconfigured_request_applies_without_restart(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """Reconfiguring a saved request reloads its profile: the next send uses it."""
    entry = await add_profile(
        "P", str(server.base), subentry(request_data("Ping", "before"), "s")
    )
    await call(hass, request="ping")
    assert server.last.path == "/before"
    flow = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_REQUEST),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": "s"},
    )
    result = await hass.config_entries.subentries.async_configure(
        flow["flow_id"],
        {
            "name": "Ping",
            "method": "GET",
            "url": "after",
            "body_type": "none",
            "advanced": {"fail_on_http_error": False},
            "try_it": False,
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await call(hass, request="ping")
    assert server.last.path == "/after"
