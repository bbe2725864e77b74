"""Profiles that log in first: the login request's settings, and the session.

The settings are parsed from a profile's options by profile.py; the templates are
kept as texts there (checked for syntax and for the variables they use) and
compiled when the profile is set up (LoginSession).

The session lives in memory only. Neither the cookies, the rendered header, nor
the credentials are logged or put in an error, which names the host and status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.cookies import Morsel
import json
import logging
from urllib.parse import urlencode

import aiohttp
from aiohttp import hdrs
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import TemplateError
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.template import Template
from yarl import URL

from .client import HttpClient, Request, RequestError, Response, Session
from .const import LOGIN_BODY_FORM, LOGIN_BODY_JSON
from .content import async_response_values
from .url import host_for_messages, origin_of
from .validation import is_header_value

_LOGGER = logging.getLogger(__name__)

_FORM = "application/x-www-form-urlencoded"
# A login answered so refuses the account: the reauth flow starts.
_REFUSALS = frozenset({HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN})
# The login's answer is read up to this size (its header template reads it).
MAX_LOGIN_RESPONSE = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginSettings:
    """A profile's login request, and what it takes from the answer."""

    url: URL  # within the profile's origin
    method: str = "POST"
    body_type: str = LOGIN_BODY_FORM
    # Rows of name and value; each value a template rendered with username and
    # password. They form the body, or the query of a GET.
    fields: tuple[tuple[str, str], ...] = ()
    username: str = ""
    password: str = ""
    # A header sent to the profile's origin, its value rendered once per login
    # from the answer (value, value_json, headers).
    header_name: str = ""
    header_value: str = ""


def _compile(hass: HomeAssistant, text: str) -> Template:
    """Return a template compiled now (a broken one fails when rendered)."""
    template = Template(text, hass)
    with suppress(TemplateError):
        template.ensure_valid()
    return template


class LoginSession:
    """One login profile's session: logs in on first use and when the session ends.

    Concurrent calls wait for one login, and a call that waited uses the session
    made meanwhile. Each login starts a new cookie jar. The aiohttp session, made
    at the first login, has no jar of its own (HA's shared one would keep the
    cookies for every integration) and keeps HA's redirect guard; close() drops
    it, when the entry unloads or a flow is done with the profile.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        client: HttpClient,
        settings: LoginSettings,
        template: Request,
        *,
        on_refused: Callable[[], None] | None = None,
    ) -> None:
        """Compile the templates; template holds the transport values and limits.

        on_refused is called when the login is answered 401 or 403; the login
        still fails with login_failed.
        """
        self._hass = hass
        self._client = client
        self._settings = settings
        self._template = template
        self._on_refused = on_refused
        self._origin = origin_of(settings.url)
        self._rows = tuple(
            (name, _compile(hass, text)) for name, text in settings.fields
        )
        self._header: Template | None = None
        if settings.header_name and settings.header_value:
            self._header = _compile(hass, settings.header_value)
        self._http: aiohttp.ClientSession | None = None
        self._session: Session | None = None
        self._closed = False
        self._lock = asyncio.Lock()

    def secret_values(self) -> list[str]:
        """Return the session's cookie values and header value (test answers' masks)."""
        if (session := self._session) is None:
            return []
        values = [text for morsel in session.jar for text in _morsel_texts(morsel)]
        for _, value in session.headers:
            values += [value, value.partition(" ")[2]]
        return [value for value in values if value]

    async def async_session(self, *, stale: Session | None = None) -> Session:
        """Return a logged-in session other than stale, logging in if needed."""
        if (session := self._session) is not None and session is not stale:
            return session
        async with self._lock:
            if (session := self._session) is not None and session is not stale:
                return session  # made while this call waited
            self._session = None
            self._session = await self._async_login()
            return self._session

    def close(self) -> None:
        """Drop the session and its aiohttp session (the shared pool stays)."""
        self._closed = True
        self._session = None
        if self._http is not None:
            self._http.detach()
            self._http = None

    def _http_session(self) -> aiohttp.ClientSession:
        """Return the profile's aiohttp session, made on first use.

        Its owner detaches it (close): HA's auto cleanup ties a session to an
        entry only while the entry's setup runs, and this one is made later.
        """
        if self._http is None:
            self._http = async_create_clientsession(
                self._hass, auto_cleanup=False, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._http

    async def _async_login(self) -> Session:
        """Send the login request; return the session it opened."""
        host = host_for_messages(self._settings.url)
        if self._closed:
            raise _failed(host, "-")
        session = Session(
            http=self._http_session(),
            origin=self._origin,
            jar=aiohttp.CookieJar(unsafe=True),
        )
        try:
            response = await self._client.async_request(self._login_request(session))
        except TemplateError:
            raise _failed(host, "template") from None
        except RequestError as err:
            raise _failed(host, str(err.translation_key)) from None
        if response.status >= HTTPStatus.BAD_REQUEST:
            if response.status in _REFUSALS and self._on_refused is not None:
                self._on_refused()
            raise _failed(host, f"HTTP {response.status}")
        headers = await self._async_login_header(response, host)
        _LOGGER.debug("Logged in to %s", host)
        return replace(session, headers=headers)

    def _login_request(self, session: Session) -> Request:
        """Return the login request, its rows rendered (raise TemplateError)."""
        settings = self._settings
        account = {"username": settings.username, "password": settings.password}
        rows = [
            (name, str(template.async_render(account, parse_result=False, strict=True)))
            for name, template in self._rows
        ]
        url, body = settings.url, None
        headers: dict[str, str] = {}
        if settings.method == "GET":
            url = url.extend_query(rows)
        elif settings.body_type == LOGIN_BODY_JSON:
            headers[hdrs.CONTENT_TYPE] = "application/json"
            body = json.dumps(dict(rows)).encode()
        else:
            headers[hdrs.CONTENT_TYPE] = _FORM
            body = urlencode(rows).encode()
        return replace(
            self._template,
            method=settings.method,
            url=url,
            headers=headers,
            body=body,
            session=session,
        )

    async def _async_login_header(
        self, response: Response, host: str
    ) -> tuple[tuple[str, str], ...]:
        """Return the login header rendered from the answer, if the profile has one.

        The template sees the answer as a value template does (content.py): a
        big body is decoded in the executor.
        """
        if self._header is None:
            return ()
        values = await async_response_values(self._hass, response)
        try:
            rendered = self._header.async_render(
                values.variables(), parse_result=False, strict=True
            )
        except TemplateError, RecursionError:
            raise _failed(host, "template") from None
        value = str(rendered).strip()
        if not value or not is_header_value(value):
            raise _failed(host, "template")
        return ((self._settings.header_name, value),)


def _morsel_texts(morsel: Morsel[str]) -> tuple[str, str]:
    """Return a cookie's value as set and as sent."""
    return morsel.value, morsel.coded_value


def _failed(host: str, status: str) -> RequestError:
    return RequestError("login_failed", host, status=status)
