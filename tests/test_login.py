"""Profiles that log in first, against real login pages on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

import aiohttp
from aiohttp import web
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from multidict import CIMultiDict
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.scene_http_request import client, login as login_module
from custom_components.scene_http_request.client import RequestError
from custom_components.scene_http_request.const import DOMAIN
from custom_components.scene_http_request.content import JSON_INLINE_LIMIT
from custom_components.scene_http_request.profile import (
    Profile,
    async_client_error,
    async_release,
    async_with_transport,
    profile_from_entry,
)
from custom_components.scene_http_request.runtime import shared

from .helpers import AddProfile, send, send_error
from .login_site import PASSWORD, LoginSite
from .server import RawServer, RecordingServer

LOGGER_NAME = "custom_components.scene_http_request"


async def _add(
    add_profile: AddProfile, site: LoginSite, **extra: Any
) -> tuple[Any, Profile]:
    entry = await add_profile(
        "Router", site.server.url("/api/"), **site.profile(**extra)
    )
    return entry, entry.runtime_data


def _json_login(site: LoginSite, **extra: Any) -> dict[str, Any]:
    return {
        "login_url": site.server.url("/login-json"),
        "login_body_type": "json",
        "login_header_name": "Authorization",
        "login_header_value": "Bearer {{ value_json.token }}",
        **extra,
    }


def _api(site: LoginSite) -> list[Any]:
    return [seen for seen in site.server.received if seen.path.startswith("/api/")]


# ----------------------------------------------------------------------- logging in


async def test_form_login_session_cookie(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """The first call logs in with a form; the cookie goes with every call."""
    await _add(add_profile, site)
    assert site.logins == []  # setting up does not log in
    for _ in range(3):
        response = await send(hass, url=site.server.url("/api/data"))
        assert response["status"] == 200
    assert site.logins == [{"user": "admin", "pass": PASSWORD}]
    login = site.server.received[0]
    assert login.method == "POST"
    assert login.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Cookie" not in login.headers
    calls = _api(site)
    assert [seen.headers["Cookie"].split("; ")[0] for seen in calls] == [
        "sid=sid-SECRET-1"
    ] * 3
    # A later answer's cookie (last=) is kept and sent too.
    assert "last=seen-SECRET-1" in calls[1].headers["Cookie"]


async def test_json_login_bearer_token(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """A JSON login's answer gives the token; the header template makes the header."""
    await _add(add_profile, site, **_json_login(site))
    response = await send(hass, url=site.server.url("/api/data"))
    assert response["status"] == 200
    login = site.server.received[0]
    assert login.headers["Content-Type"] == "application/json"
    assert json.loads(login.body) == {"user": "admin", "pass": PASSWORD}
    assert _api(site)[0].headers["Authorization"] == "Bearer tok-SECRET-1"


async def test_get_login_rows_in_query(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """A GET login puts the rows in the query, next to the login URL's own."""
    await _add(
        add_profile,
        site,
        login_method="GET",
        login_url=site.server.url("/login?lang=en"),
    )
    assert (await send(hass, url=site.server.url("/api/data")))["status"] == 200
    login = site.server.received[0]
    assert (login.method, login.body) == ("GET", b"")
    assert login.query == [("lang", "en"), ("user", "admin"), ("pass", PASSWORD)]


async def test_login_cookie_set_on_redirect(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """A login page that sets its cookie on a redirect: every hop's cookies count."""
    await _add(add_profile, site, login_url=site.server.url("/login-redirect"))
    assert (await send(hass, url=site.server.url("/api/data")))["status"] == 200
    welcome = next(seen for seen in site.server.received if seen.path == "/welcome")
    assert welcome.method == "GET"  # a 302 after a POST
    assert welcome.headers["Cookie"] == "sid=sid-SECRET-1"
    cookie = _api(site)[0].headers["Cookie"]
    assert "sid=sid-SECRET-1" in cookie
    assert "seen=welcome-SECRET" in cookie


# ------------------------------------------------------------ the session ending


@pytest.mark.parametrize("status", [401, 403])
async def test_session_expiry_logs_in_again(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite, status: int
) -> None:
    """A session that ended (401 or 403) logs in again once; the call succeeds."""
    site.ended_status = status
    await _add(add_profile, site)
    await send(hass, url=site.server.url("/api/data"))
    site.expire()
    response = await send(hass, url=site.server.url("/api/data"))
    assert response["status"] == 200
    assert len(site.logins) == 2
    calls = _api(site)
    assert [seen.headers["Cookie"].split("; ")[0] for seen in calls] == [
        "sid=sid-SECRET-1",
        "sid=sid-SECRET-1",
        "sid=sid-SECRET-2",
    ]
    # The new session starts a new jar: the old cookies are gone.
    assert "sid-SECRET-1" not in calls[2].headers["Cookie"]


async def test_still_refused_after_new_login_is_returned(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """A page the new session may not see either: its 403 is the answer (no loop)."""
    site.ended_status = 403

    @site.server.route("/api/forbidden")
    async def forbidden(request: web.Request) -> web.Response:
        return web.json_response({"error": "no"}, status=403)

    await _add(add_profile, site)
    response = await send(
        hass, url=site.server.url("/api/forbidden"), fail_on_http_error=False
    )
    assert response["status"] == 403
    assert len(site.logins) == 2
    assert [seen.path for seen in site.server.received].count("/api/forbidden") == 2


async def test_concurrent_calls_share_one_login(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """20 calls at once make exactly one login; after an expiry, one more."""
    site.login_delay = 0.1
    await _add(add_profile, site)
    url = site.server.url("/api/data")
    responses = await asyncio.gather(*(send(hass, url=url) for _ in range(20)))
    assert [response["status"] for response in responses] == [200] * 20
    assert len(site.logins) == 1
    site.expire()
    responses = await asyncio.gather(*(send(hass, url=url) for _ in range(20)))
    assert [response["status"] for response in responses] == [200] * 20
    assert len(site.logins) == 2


async def test_cancelled_first_caller_leaves_the_others_working(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """The caller logging in is cancelled while 5 wait: the next one logs in."""
    site.gate = asyncio.Event()
    _, profile = await _add(add_profile, site)
    login_session = profile.login_session
    assert login_session is not None
    first = hass.async_create_task(login_session.async_session())
    while not site.logins:  # noqa: ASYNC110 - the server's handler appends
        await asyncio.sleep(0.01)
    others = [hass.async_create_task(login_session.async_session()) for _ in range(5)]
    await asyncio.sleep(0.05)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    site.gate.set()
    sessions = await asyncio.gather(*others)
    assert len({id(session) for session in sessions}) == 1
    assert len(site.logins) == 2  # the cancelled one, and one for the five
    # Calls go in that session.
    assert (await send(hass, url=site.server.url("/api/data")))["status"] == 200
    assert _api(site)[0].headers["Cookie"].startswith("sid=sid-SECRET-2")
    assert len(site.logins) == 2


async def test_body_file_sent_again_after_new_login(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite, tmp_path: Path
) -> None:
    """A body from a file is opened again for the request sent after the login."""
    source = tmp_path / "upload.bin"
    source.write_bytes(b"x" * 70_000)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    await _add(add_profile, site)
    await send(hass, url=site.server.url("/api/data"))
    site.expire()
    response = await send(
        hass, method="POST", url=site.server.url("/api/upload"), body_file=str(source)
    )
    assert response["content"] == {"ok": True, "received": 70_000}
    uploads = [seen for seen in site.server.received if seen.path == "/api/upload"]
    assert [len(seen.body) for seen in uploads] == [70_000, 70_000]
    assert len(site.logins) == 2


# ------------------------------------------------------------------- failures


async def test_wrong_password_login_failed_and_reauth(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """A refused login: translated login_failed naming host and status, and reauth."""
    entry, _ = await _add(add_profile, site, password="wrong-SECRET")
    started: list[str] = []
    real_start = ConfigEntry.async_start_reauth

    def spy(self: ConfigEntry, *args: Any, **kwargs: Any) -> None:
        started.append(self.entry_id)
        real_start(self, *args, **kwargs)

    with patch.object(ConfigEntry, "async_start_reauth", spy):
        err = await send_error(hass, url=site.server.url("/api/data"))
    assert err.translation_key == "login_failed"
    assert err.translation_placeholders == {
        "host": f"127.0.0.1:{site.server.base.port}",
        "status": "HTTP 401",
    }
    assert "SECRET" not in str(err)
    assert _api(site) == []
    # The reauth flow for the profile's entry starts (the config flow asks
    # for the username and password).
    assert started == [entry.entry_id]
    await hass.async_block_till_done()


async def test_login_server_error_is_login_failed_without_reauth(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """A login answered 500 is login_failed; no reauth starts."""
    await _add(add_profile, site, login_url=site.server.url("/broken"))
    err = await send_error(hass, url=site.server.url("/api/data"))
    assert err.translation_key == "login_failed"
    assert err.translation_placeholders["status"] == "HTTP 500"
    await hass.async_block_till_done()
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_unreachable_login_is_login_failed(
    hass: HomeAssistant, add_profile: AddProfile, closed_port: int
) -> None:
    """A login URL nothing listens on: login_failed, naming the connection error."""
    base = f"http://127.0.0.1:{closed_port}/"
    site_options = {
        "auth_type": "login",
        "login_url": f"{base}login",
        "login_fields": [{"name": "pass", "value": "{{ password }}"}],
        "password": PASSWORD,
    }
    await add_profile("Down", f"{base}api/", **site_options)
    err = await send_error(hass, url=f"{base}api/data")
    assert err.translation_key == "login_failed"
    assert err.translation_placeholders == {
        "host": f"127.0.0.1:{closed_port}",
        "status": "cannot_connect",
    }


@pytest.mark.parametrize(
    "template",
    [
        "Bearer {{ value_json.missing }}",  # strict: an undefined value fails
        "{{ value_json.token ~ '\\n' ~ 'X-Evil: 1' }}",  # not a header value
        "{{ 1 / 0 }}",
        "   ",
    ],
)
async def test_header_template_failure_is_login_failed(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite, template: str
) -> None:
    """A header template that fails, or renders no valid value, fails the login."""
    await _add(add_profile, site, **_json_login(site, login_header_value=template))
    err = await send_error(hass, url=site.server.url("/api/data"))
    assert err.translation_key == "login_failed"
    assert err.translation_placeholders["status"] == "template"
    assert "SECRET" not in str(err)
    assert _api(site) == []


async def test_header_template_reads_value_and_headers(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """The header template reads the answer's text and headers too."""

    @site.server.route("/login-text")
    async def login_text(request: web.Request) -> web.Response:
        site.valid.add("txt-SECRET")
        return web.Response(text="txt-SECRET", headers={"X-Kind": "Bearer"})

    await _add(
        add_profile,
        site,
        **_json_login(
            site,
            login_url=site.server.url("/login-text"),
            login_header_value="{{ headers['X-Kind'] }} {{ value }}",
        ),
    )
    assert (await send(hass, url=site.server.url("/api/data")))["status"] == 200
    assert _api(site)[0].headers["Authorization"] == "Bearer txt-SECRET"


async def test_header_template_reads_a_big_json_answer(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """A login answer over JSON_INLINE_LIMIT is parsed (in the executor) as well."""

    @site.server.route("/login-big")
    async def login_big(request: web.Request) -> web.Response:
        site.valid.add("big-SECRET")
        padding = ["x" * 100] * (JSON_INLINE_LIMIT // 100)
        return web.json_response({"padding": padding, "auth": {"token": "big-SECRET"}})

    await _add(
        add_profile,
        site,
        **_json_login(
            site,
            login_url=site.server.url("/login-big"),
            login_header_value="Bearer {{ value_json.auth.token }}",
        ),
    )
    assert (await send(hass, url=site.server.url("/api/data")))["status"] == 200
    assert _api(site)[0].headers["Authorization"] == "Bearer big-SECRET"


# ------------------------------------------------------------ where the session goes


async def test_redirect_elsewhere_carries_no_session(
    hass: HomeAssistant,
    add_profile: AddProfile,
    site: LoginSite,
    other_server: RecordingServer,
) -> None:
    """A hop to another port of the same host gets no cookie and no header.

    Cookies that origin sets are not kept: they never reach the profile's origin.
    """

    @site.server.route("/api/away")
    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(other_server.url("/collect"))

    @other_server.route("/collect")
    async def collect(request: web.Request) -> web.Response:
        response = web.HTTPFound(site.server.url("/api/data"))
        response.set_cookie("planted", "other-SECRET")
        raise response

    _, profile = await _add(add_profile, site, **_json_login(site))
    # The JSON login gives a token; a cookie session too, to check both.
    login_session = profile.login_session
    assert login_session is not None
    await send(hass, url=site.server.url("/api/data"))
    response = await send(hass, url=site.server.url("/api/away"))
    assert response["status"] == 200
    hop = other_server.last
    assert "Cookie" not in hop.headers
    assert "Authorization" not in hop.headers
    back = site.server.last
    assert back.path == "/api/data"
    assert back.headers["Authorization"] == "Bearer tok-SECRET-1"
    assert "planted" not in back.headers.get("Cookie", "")
    assert "other-SECRET" not in profile.secret_values()
    session = login_session._session
    assert session is not None
    assert {morsel.key for morsel in session.jar} == {"last"}


async def test_cookie_of_another_port_is_not_sent(
    hass: HomeAssistant,
    add_profile: AddProfile,
    site: LoginSite,
    other_server: RecordingServer,
) -> None:
    """A jar alone sends a host's cookies to every port: the client does not."""
    await _add(add_profile, site)
    await send(hass, url=site.server.url("/api/data"))
    # A call to the same host on another port, with no profile of its own.
    await send(hass, url=other_server.url("/plain"))
    assert "Cookie" not in other_server.last.headers


async def test_set_cookie_not_in_action_response(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """The session's Set-Cookie headers are never returned; others' headers are."""
    await _add(add_profile, site)
    response = await send(hass, url=site.server.url("/api/data"))
    assert "set-cookie" not in {name.lower() for name in response["headers"]}
    assert "SECRET" not in json.dumps(response)
    assert response["url"] == site.server.url("/api/data")


async def test_secret_values_hold_the_cookies_and_the_token(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """Test answers are masked with the session's cookies and header value."""
    _, profile = await _add(add_profile, site, **_json_login(site))
    assert "tok-SECRET-1" not in profile.secret_values()
    await send(hass, url=site.server.url("/api/data"))
    values = profile.secret_values()
    assert {"Bearer tok-SECRET-1", "tok-SECRET-1", "seen-SECRET-1", PASSWORD} <= set(
        values
    )
    _, cookies = await _add_cookie_profile(hass, add_profile, site)
    assert "sid-SECRET-2" in cookies.secret_values()


async def _add_cookie_profile(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> tuple[Any, Profile]:
    """Add a second, cookie, profile of the site under /api/upload; log it in."""
    entry = await add_profile(
        "Cookies", site.server.url("/api/upload/"), **site.profile()
    )
    await send(hass, url=site.server.url("/api/upload/x"))
    return entry, entry.runtime_data


async def test_secrets_never_logged(
    hass: HomeAssistant,
    add_profile: AddProfile,
    site: LoginSite,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At DEBUG, no log line holds the password, a cookie or the token."""
    caplog.set_level(logging.DEBUG)
    for name in (LOGGER_NAME, "homeassistant", "aiohttp"):
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test
    await _add(add_profile, site, **_json_login(site))
    await send(hass, url=site.server.url("/api/data"))
    site.expire()
    await send(hass, url=site.server.url("/api/data"))
    await _add_cookie_profile(hass, add_profile, site)
    site.expire()
    await send(hass, url=site.server.url("/api/upload/x"))
    await add_profile(
        "Wrong", site.server.url("/wrong/"), **site.profile(password="no")
    )
    await send_error(hass, url=site.server.url("/wrong/x"))
    assert "logging in again" in caplog.text
    assert "Logged in to" in caplog.text
    assert PASSWORD not in caplog.text
    assert "SECRET" not in caplog.text


async def test_diagnostics_redact_login_rows_and_header(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    add_profile: AddProfile,
    site: LoginSite,
) -> None:
    """Diagnostics keep the rows' names, never their values nor the header template."""
    entry, _ = await _add(
        add_profile,
        site,
        **_json_login(site, login_header_value="Bearer fixed-SECRET"),
        login_fields=[
            {"name": "user", "value": "{{ username }}"},
            {"name": "apikey", "value": "key-SECRET"},
        ],
    )
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    options = diagnostics["entry"]["options"]
    assert [row["name"] for row in options["login_fields"]] == ["user", "apikey"]
    assert "SECRET" not in json.dumps(diagnostics)
    assert PASSWORD not in json.dumps(diagnostics)


# ------------------------------------------------------------------- hostile cookies


_HOSTILE = [
    b"Set-Cookie: \xff\xfe\x80=\xc3\x28; Path=/\r\n",
    b"Set-Cookie: ===;;;=;\r\n",
    b"Set-Cookie: a\x01b=c\x7f\r\n",
    b"Set-Cookie: huge=" + b"h" * 6000 + b"\r\n",
    b"Set-Cookie: " + b"; ".join(b"k%d=v" % n for n in range(500)) + b"\r\n",
    b"Set-Cookie: x=y; Expires=Thu, 99 Foo 99999 99:99:99 GMT; Max-Age=1e999\r\n",
    b"Set-Cookie: \r\n",
    b"Set-Cookie: bad=\xff\xfe\xc3\x28; Path=/\r\n",
    b"Set-Cookie: ctl=a\x01b\x7f; Path=/\r\n",
    b'Set-Cookie: quoted="a\\"b\\\\"; Path=/\r\n',
    b"Set-Cookie: sid=good-SECRET; Path=/\r\n",
]
# aiohttp's HTTP parser refuses a NUL in a header on the newest leg, not on the
# minimum one: there it reaches the cookie parser.
_NUL = b"Set-Cookie: y=z; Domain=..; Path=\x00\r\n"


@pytest.mark.parametrize("nul", [False, True], ids=["parsed", "nul"])
async def test_hostile_set_cookie_lines(
    hass: HomeAssistant, add_profile: AddProfile, socket_enabled: None, nul: bool
) -> None:
    """Garbage, huge and non-UTF-8 Set-Cookie lines never raise untranslated.

    The login answers with all of them at once; the good cookie still goes. With
    a NUL too, the answer may be refused whole: then the login fails, translated.
    """
    seen: list[bytes] = []
    hostile = b"".join(_HOSTILE) + (_NUL if nul else b"")

    async def handler(
        raw: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            request = await raw.request(reader)
            seen.append(request)
            lines = hostile if request.startswith(b"POST") else b""
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + lines + b"\r\nok"
            )
            await writer.drain()

    raw = RawServer(handler)
    await raw.start()
    try:
        options = {
            "auth_type": "login",
            "login_url": raw.url("/login"),
            "password": PASSWORD,
            "login_fields": [{"name": "pass", "value": "{{ password }}"}],
        }
        await add_profile("Hostile", raw.url("/api/"), **options)
        error: RequestError | None = None
        try:
            response = await send(hass, url=raw.url("/api/data"))
        except RequestError as err:
            error = err
        if error is None:
            assert response["status"] == 200
            assert b"sid=good-SECRET" in seen[-1]
        else:
            assert nul
            assert error.translation_key == "login_failed"
            assert error.translation_placeholders["status"] == "invalid_response"
    finally:
        await raw.close()


async def test_each_hostile_line_alone(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """Every hostile line, alone, in a jar: kept or dropped, never an exception."""
    _, profile = await _add(add_profile, site)
    await send(hass, url=site.server.url("/api/data"))
    assert profile.login_session is not None
    session = profile.login_session._session
    assert session is not None
    url = site.server.base
    for line in [*_HOSTILE, _NUL, b"Set-Cookie: " + b"z" * 200_000]:
        text = line.removeprefix(b"Set-Cookie: ").rstrip().decode("latin-1")
        client._keep_cookies(session.jar, CIMultiDict({"Set-Cookie": text}), url)
        client._session_headers(session, url)
    assert "sid" in {morsel.key for morsel in session.jar}


# ------------------------------------------------------- lifecycle and the flows


async def test_unload_closes_the_session(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """The profile's own aiohttp session is closed when its entry unloads."""
    entry, profile = await _add(add_profile, site)
    login_session = profile.login_session
    assert login_session is not None
    assert login_session._http is None  # made at the first login
    await send(hass, url=site.server.url("/api/data"))
    http = login_session._http
    assert http is not None
    assert not http.closed
    assert http is not shared(hass).client._session
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert http.closed
    assert login_session._session is None
    assert profile.secret_values() == [PASSWORD]
    # HA's shared session still works.
    assert not shared(hass).client._session.closed


async def test_a_request_in_a_closed_session_is_cannot_connect(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """A request that got its session before the profile closed it fails translated.

    And a later call through the closed profile does not log in again.
    """
    _, profile = await _add(add_profile, site)
    login_session = profile.login_session
    assert login_session is not None
    session = await login_session.async_session()
    login_session.close()
    request = client.Request(
        method="GET",
        url=URL(site.server.url("/api/data")),
        headers={},
        session=session,
        timeout=5,
        verify_ssl=True,
        allow_redirects=True,
        retries=0,
        max_response_size=1024,
    )
    with pytest.raises(RequestError) as err:
        await shared(hass).client.async_request(request)
    assert err.value.translation_key == "cannot_connect"
    failed = await send_error(hass, url=site.server.url("/api/data"))
    assert failed.translation_key == "login_failed"
    assert failed.translation_placeholders["status"] == "-"
    assert len(site.logins) == 1


async def test_row_that_fails_to_render_is_login_failed(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """A login row whose template fails when rendered fails the login, translated."""
    rows = [{"name": "pass", "value": "{{ password | no_such_filter }}"}]
    await _add(add_profile, site, login_fields=rows)
    err = await send_error(hass, url=site.server.url("/api/data"))
    assert err.translation_key == "login_failed"
    assert err.translation_placeholders["status"] == "template"
    assert PASSWORD not in str(err)
    assert site.logins == []


async def test_release_closes_a_flow_profile_session(
    hass: HomeAssistant, site: LoginSite
) -> None:
    """A flow's profile: its login works, then async_release closes its session."""
    built = profile_from_entry(
        "", "Flow", {"base_url": site.server.url("/api/")}, site.profile()
    )
    profile = await async_with_transport(hass, built, shared(hass).client)
    login_session = profile.login_session
    assert login_session is not None
    await login_session.async_session()
    assert len(site.logins) == 1
    http = login_session._http
    assert http is not None
    await async_release(profile)
    assert http.closed
    with pytest.raises(RequestError) as info:
        await login_session.async_session()
    assert info.value.translation_key == "login_failed"
    await async_release(profile)  # twice is fine
    await async_release(built)  # a profile never set up: nothing to close


async def test_client_error_of_a_login_profile(
    hass: HomeAssistant, site: LoginSite, closed_port: int
) -> None:
    """The reauth flow's check: None, invalid_auth or login_failed; session closed."""
    http = shared(hass).client
    closed: list[bool] = []
    real_close = login_module.LoginSession.close

    def spy(self: login_module.LoginSession) -> None:
        closed.append(self._http is None or not self._http.closed)
        real_close(self)

    async def error(base: str = site.server.url("/api/"), **options: Any) -> Any:
        built = profile_from_entry(
            "", "Flow", {"base_url": base}, site.profile(**options)
        )
        profile = await async_with_transport(hass, built, http)
        return await async_client_error(hass, profile, http)

    down = f"http://127.0.0.1:{closed_port}/"
    with patch.object(login_module.LoginSession, "close", spy):
        assert await error() is None
        assert await error(password="wrong") == "invalid_auth"
        assert await error(**_json_login(site, password="wrong")) == "invalid_auth"
        assert await error(login_url=site.server.url("/broken")) == "login_failed"
        assert await error(down, login_url=f"{down}login") == "login_failed"
    assert closed == [True] * 5
    await hass.async_block_till_done()
    # A flow's check starts no reauth flow.
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


_COOKIES = [
    "root=1; Path=/",
    "api=2; Path=/api",
    "apislash=3; Path=/api/",
    "deep=4; Path=/api/v1",
    "nopath=5",  # its path defaults to the answer's directory
    "secure=6; Secure; Path=/",
    "gone=7; Max-Age=0",
    "later=8; Max-Age=3600; Path=/",
    "domain=9; Domain=127.0.0.1; Path=/",
]
_PATHS = ["/", "/api", "/api/", "/api/x", "/apix", "/api/v1/y", "/api/v10", "/other"]


@pytest.mark.parametrize("answer_path", ["/login", "/api/login", "/api/v1/login"])
async def test_cookie_selection_matches_the_jar_filter(
    hass: HomeAssistant, answer_path: str
) -> None:
    """The client's own pick of cookies is what aiohttp's filter_cookies picks."""
    for scheme in ("http", "https"):
        origin = f"{scheme}://127.0.0.1:8443"
        jar = aiohttp.CookieJar(unsafe=True)
        jar.update_cookies_from_headers(_COOKIES, URL(origin + answer_path))
        session = client.Session(
            http=None,  # type: ignore[arg-type]
            origin=("https", "127.0.0.1", 8443),
            jar=jar,
        )
        for path in _PATHS:
            url = URL(origin + path)
            sent = dict(session.headers) | dict(client._session_headers(session, url))
            ours = sorted(
                pair.split("=")[0]
                for pair in sent.get("Cookie", "").split("; ")
                if pair
            )
            assert ours == sorted(jar.filter_cookies(url)), (scheme, path)
