"""The form of a login profile: its credentials step, options, test request, reauth.

The tests that send a test request or try new credentials log in for real,
against a loopback server with a login page (the `site` fixture, a LoginSite).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData, section
import pytest

from custom_components.scene_http_request import config_flow
from custom_components.scene_http_request.profile import Profile

from .helpers import (
    AddProfile,
    add_entry,
    configure_flow,
    settings_step,
    suggested_values,
    top_level,
    user_step,
)
from .login_site import PASSWORD, USERNAME, LoginSite
from .server import RecordingServer

NEW_PASSWORD = "new-SECRET-word"
CLASSIC_ROWS = [
    {"name": "username", "value": "{{ username }}"},
    {"name": "password", "value": "{{ password }}"},
]


def _login(**changes: Any) -> dict[str, Any]:
    """Return a login profile's credentials, as typed in the form (flat)."""
    return {
        "login_url": "login",
        "login_method": "POST",
        "login_body_type": "form",
        "login_fields": [
            {"name": "user", "value": "{{ username }}"},
            {"name": "pass", "value": "{{ password }}"},
        ],
        "username": USERNAME,
        "password": PASSWORD,
        **changes,
    }


async def _credentials_form(hass: HomeAssistant, base_url: str | None) -> Any:
    """Run the flow up to the credentials step of a login profile."""
    result = await user_step(hass, "Router", base_url)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"auth_type": "login"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    return result


# ------------------------------------------------------------ the credentials step


async def test_credentials_step_suggests_a_classic_login_form(
    hass: HomeAssistant,
) -> None:
    """A new login profile starts as a form login: only URL and account to fill."""
    result = await _credentials_form(hass, "http://router.lan/")
    assert result["errors"] == {}
    assert result["description_placeholders"] == {
        "test_result": "",
        "login_field_example": "{{ password }}",
        "login_header_example": "Bearer {{ value_json.token }}",
    }
    shown = top_level(result)
    assert list(shown) == [
        "login_url",
        "login_method",
        "login_body_type",
        "login_fields",
        "username",
        "password",
        "login_header",
        "test_request",
    ]
    header = shown["login_header"]
    assert isinstance(header, section)
    assert header.options["collapsed"] is True
    assert suggested_values(result) == {"login_fields": CLASSIC_ROWS}
    schema = result["data_schema"]
    defaults = schema({"login_header": {}})
    assert defaults["login_method"] == "POST"
    assert defaults["login_body_type"] == "form"
    assert defaults["test_request"] is False


async def test_login_profile_is_stored_as_typed(hass: HomeAssistant) -> None:
    """Names are trimmed, empty rows dropped, no header keys when none is set."""
    result = await _credentials_form(hass, "http://router.lan/")
    result = await configure_flow(
        hass,
        result,
        _login(
            login_url=" login ",
            login_fields=[
                {"name": " user ", "value": "{{ username }}"},
                {"name": " ", "value": " "},
                {"name": "pass", "value": " {{ password }}"},
            ],
            username=" alice ",
            password=" p w ",
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"] == {
        "headers": [],
        "auth_type": "login",
        "verify_ssl": True,
        "login_url": "login",
        "login_method": "POST",
        "login_body_type": "form",
        "login_fields": [
            {"name": "user", "value": "{{ username }}"},
            {"name": "pass", "value": " {{ password }}"},
        ],
        "username": "alice",
        "password": " p w ",
    }
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_login_profile_with_a_header_from_the_answer(
    hass: HomeAssistant,
) -> None:
    """A JSON login with a bearer header: the section's fields are stored flat."""
    result = await _credentials_form(hass, "https://cloud.example.com/v1/")
    typed = _login(
        login_url="https://cloud.example.com/auth",
        login_method="PUT",
        login_body_type="json",
        login_header_name=" Authorization ",
        login_header_value="Bearer {{ value_json.token }}",
    )
    result = await configure_flow(hass, result, typed)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = result["options"]
    assert options["login_url"] == "https://cloud.example.com/auth"
    assert options["login_method"] == "PUT"
    assert options["login_body_type"] == "json"
    assert options["login_header_name"] == "Authorization"
    assert options["login_header_value"] == "Bearer {{ value_json.token }}"
    assert "login_header" not in options


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"login_url": ""}, {"login_url": "login_url_required"}),
        ({"login_url": "ftp://router.lan/"}, {"login_url": "invalid_login_url"}),
        (
            {"login_url": "http://router.lan:8080/login"},
            {"login_url": "login_url_outside_origin"},
        ),
        (
            {"login_fields": [{"name": "", "value": "x"}]},
            {"login_fields": "invalid_login_field"},
        ),
        (
            {"login_fields": [{"name": "u", "value": "{{ username"}]},
            {"login_fields": "invalid_login_template"},
        ),
        ({"password": ""}, {"password": "password_required"}),
        ({"username": ""}, {"username": "username_required"}),
        ({"username": "\ud800"}, {"username": "invalid_text"}),
        (
            {"login_header_value": "{{ value }}"},
            {"login_header": "login_header_name_required"},
        ),
        (
            {"login_header_name": "Bad Name", "login_header_value": "{{ value }}"},
            {"login_header": "invalid_login_header_name"},
        ),
    ],
)
async def test_login_form_errors_reach_their_field(
    hass: HomeAssistant, changes: dict[str, Any], errors: dict[str, str]
) -> None:
    """Each unusable setting is shown on its field (on the section inside one)."""
    result = await _credentials_form(hass, "http://router.lan/")
    result = await configure_flow(hass, result, _login(**changes))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert result["errors"] == errors
    suggested = suggested_values(result)
    assert "password" not in suggested
    shown = top_level(result)
    # A section holding an error, or a value, is unfolded.
    folded = not ({"login_header_name", "login_header_value"} & set(changes))
    assert shown["login_header"].options["collapsed"] is folded
    # Fixed, the same flow saves.
    result = await configure_flow(hass, result, _login())
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_login_needs_a_base_url(hass: HomeAssistant) -> None:
    """Without a base URL, the login URL field says a base URL is needed."""
    result = await _credentials_form(hass, None)
    result = await configure_flow(hass, result, _login())
    assert result["errors"] == {"login_url": "login_base_url_required"}


async def test_a_header_template_that_does_not_parse_is_refused(
    hass: HomeAssistant,
) -> None:
    """The header value is a template field: HA refuses a broken template."""
    result = await _credentials_form(hass, "http://router.lan/")
    with pytest.raises(InvalidData):
        await configure_flow(
            hass,
            result,
            _login(login_header_name="Authorization", login_header_value="{{ x"),
        )


# ----------------------------------------------------------------- the options flow


STORED = {
    "headers": [],
    "auth_type": "login",
    "verify_ssl": True,
    "login_url": "login",
    "login_method": "POST",
    "login_body_type": "json",
    "login_fields": [{"name": "user", "value": "{{ username }}"}],
    "username": "alice",
    "password": PASSWORD,
    "login_header_name": "Authorization",
    "login_header_value": "Bearer {{ value_json.token }}",
}


async def test_options_flow_shows_the_stored_login_and_keeps_the_password(
    hass: HomeAssistant,
) -> None:
    """The stored rows and header are suggested; a blank password keeps it."""
    entry = add_entry(hass, "Router", "http://router.lan/", STORED)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await settings_step(hass, result, {"auth_type": "login"})
    assert result["step_id"] == "credentials"
    suggested = suggested_values(result)
    assert suggested == {
        key: value
        for key, value in STORED.items()
        if key.startswith("login_") or key == "username"
    }
    assert top_level(result)["login_header"].options["collapsed"] is False
    assert PASSWORD not in json.dumps(result, default=str)

    result = await configure_flow(
        hass, result, {**suggested, "password": "", "login_method": "GET"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == STORED | {"login_method": "GET"}


async def test_options_flow_from_basic_to_login_suggests_the_classic_form(
    hass: HomeAssistant,
) -> None:
    """Switching another profile to login starts from the classic rows."""
    entry = add_entry(
        hass,
        "Router",
        "http://router.lan/",
        {"auth_type": "basic", "username": "alice", "password": PASSWORD},
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await settings_step(hass, result, {"auth_type": "login"})
    assert suggested_values(result) == {
        "username": "alice",
        "login_fields": CLASSIC_ROWS,
    }
    # The rows left as suggested, the stored password kept.
    result = await configure_flow(
        hass,
        result,
        {"login_url": "login", "login_fields": CLASSIC_ROWS, "username": "alice"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["password"] == PASSWORD
    assert entry.options["login_fields"] == CLASSIC_ROWS


async def test_each_profile_the_flow_builds_is_released(
    hass: HomeAssistant,
    site: LoginSite,
    server: RecordingServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The test request's login profile is released, error or not."""
    released: list[Profile] = []
    release = config_flow.async_release

    async def spy(profile: Profile) -> None:
        released.append(profile)
        await release(profile)

    monkeypatch.setattr(config_flow, "async_release", spy)
    result = await _credentials_form(hass, server.url("/api/"))
    await configure_flow(hass, result, _login(test_request=True))
    assert [profile.auth_type for profile in released] == ["none", "login"]
    assert released[-1].login is not None


# ---------------------------------------------------- with a real login (runtime)


async def test_test_request_logs_in_first(
    hass: HomeAssistant, site: LoginSite, server: RecordingServer
) -> None:
    """The test request logs in with the rows, then calls with the cookie."""
    result = await _credentials_form(hass, server.url("/api/"))
    result = await configure_flow(hass, result, _login(test_request=True))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    assert result["description_placeholders"]["test_result"] == "HTTP 200 OK"
    assert site.logins == [{"user": USERNAME, "pass": PASSWORD}]
    login, call = server.received
    assert (login.method, login.path) == ("POST", "/api/login")
    assert (call.method, call.path) == ("GET", "/api/")
    assert "sid=" in call.headers.get("Cookie", "")
    assert PASSWORD not in json.dumps(result, default=str)


async def test_test_request_with_a_json_login_and_a_bearer_header(
    hass: HomeAssistant, site: LoginSite, server: RecordingServer
) -> None:
    """A JSON login's token goes into the header the template makes."""
    result = await _credentials_form(hass, server.url("/api/"))
    typed = _login(
        login_body_type="json",
        login_header_name="Authorization",
        login_header_value="Bearer {{ value_json.token }}",
        test_request=True,
    )
    result = await configure_flow(hass, result, typed)
    assert result["errors"] == {}
    assert result["description_placeholders"]["test_result"] == "HTTP 200 OK"
    assert server.last.headers["Authorization"].startswith("Bearer ")


@pytest.mark.parametrize("refusal", [401, 403, 500])
async def test_failed_login_is_shown_on_the_login_url(
    hass: HomeAssistant, site: LoginSite, server: RecordingServer, refusal: int
) -> None:
    """A login answered with an error is login_failed, on the login URL field."""
    site.refusal = refusal
    result = await _credentials_form(hass, server.url("/api/"))
    result = await configure_flow(
        hass, result, _login(password="wrong", test_request=True)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"login_url": "login_failed"}
    assert result["description_placeholders"]["test_result"] == ""
    assert [received.path for received in server.received] == ["/api/login"]


async def test_refused_after_the_login_is_invalid_auth(
    hass: HomeAssistant, site: LoginSite, server: RecordingServer
) -> None:
    """A 401 of the tested URL after a good login is invalid_auth, on top."""

    @server.route("/api/")
    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"error": "no"}, status=403)

    result = await _credentials_form(hass, server.url("/api/"))
    result = await configure_flow(hass, result, _login(test_request=True))
    assert result["errors"] == {"base": "invalid_auth"}
    assert result["description_placeholders"]["test_result"] == "HTTP 403 Forbidden"


# ------------------------------------------------------------------------- reauth


def _stored(password: str = PASSWORD) -> dict[str, Any]:
    return {
        "auth_type": "login",
        "login_url": "login",
        "login_fields": [
            {"name": "user", "value": "{{ username }}"},
            {"name": "pass", "value": "{{ password }}"},
        ],
        "username": USERNAME,
        "password": password,
    }


async def test_reauth_asks_for_username_and_password(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """A login profile signs in again with its username and password."""
    entry = add_entry(hass, "Router", server.url("/api/"), _stored())
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": "Router"}
    assert set(top_level(result)) == {"username", "password"}
    assert suggested_values(result) == {"username": USERNAME}


async def test_reauth_form_error_on_a_field(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """A username the rows need, left blank, is an error on its field."""
    entry = add_entry(hass, "Router", server.url("/api/"), _stored())
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": " ", "password": NEW_PASSWORD}
    )
    assert result["errors"] == {"username": "username_required"}


async def test_reauth_with_the_right_password_saves_and_reloads(
    hass: HomeAssistant,
    site: LoginSite,
    server: RecordingServer,
    add_profile: AddProfile,
) -> None:
    """The new password logs in before it is saved; the profile reloads."""
    site.password = NEW_PASSWORD
    entry = await add_profile("Router", server.url("/api/"), **_stored())
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": USERNAME, "password": NEW_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert site.logins[-1] == {"user": USERNAME, "pass": NEW_PASSWORD}
    await hass.async_block_till_done()
    assert entry.options == _stored(NEW_PASSWORD)
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("refusal", [401, 403])
async def test_reauth_with_a_refused_password(
    hass: HomeAssistant,
    site: LoginSite,
    server: RecordingServer,
    add_profile: AddProfile,
    refusal: int,
) -> None:
    """A refused password is invalid_auth; nothing is saved."""
    site.refusal = refusal
    entry = await add_profile("Router", server.url("/api/"), **_stored())
    result = await entry.start_reauth_flow(hass)
    for typed in ("still-wrong", ""):  # blank tries the one typed earlier
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"username": USERNAME, "password": typed}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "invalid_auth"}
    assert [login["pass"] for login in site.logins[-2:]] == ["still-wrong"] * 2
    assert entry.options == _stored()


async def test_reauth_login_answering_an_error_is_login_failed(
    hass: HomeAssistant,
    site: LoginSite,
    server: RecordingServer,
    add_profile: AddProfile,
) -> None:
    """A login that fails otherwise (a 500) is login_failed on the reauth form."""
    site.refusal = 500
    entry = await add_profile("Router", server.url("/api/"), **_stored())
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": USERNAME, "password": "x"}
    )
    assert result["errors"] == {"base": "login_failed"}
    assert entry.options == _stored()
