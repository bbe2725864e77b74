"""OAuth2 client credentials: a profile's token source.

The token is fetched on first use and kept in memory until shortly before it
expires (30 s, or half its lifetime if that is shorter). Concurrent calls wait for
one fetch, and a call that waited uses the token fetched meanwhile. The token
request goes through the same client, with the profile's TLS and proxy settings;
neither the token nor the secret is logged or put in an error, which names the
token host and status only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
import json
import logging
import math
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp import hdrs
from yarl import URL

from .client import HttpClient, Request, RequestError
from .url import host_for_messages
from .validation import is_header_value

_LOGGER = logging.getLogger(__name__)

# A token is renewed this long before it expires (at most half its lifetime).
EXPIRY_MARGIN = 30.0
# A longer expires_in in digits is no lifetime anyone sends (and int() would refuse
# over 4300 digits): it counts as none given.
_MAX_LIFETIME_DIGITS = 18
# int() refuses more digits than 4300 (sys.get_int_max_str_digits()).
_MAX_JSON_INT_DIGITS = 4000
_MAX_TOKEN_RESPONSE = 64 * 1024
_FORM = "application/x-www-form-urlencoded"
# The token endpoint's error codes that refuse the client's ID or secret.
_REFUSALS = frozenset({"invalid_client", "unauthorized_client"})


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthSettings:
    """A profile's OAuth2 client credentials."""

    token_url: URL
    client_id: str
    client_secret: str
    scope: str = ""
    audience: str = ""

    def form(self) -> bytes:
        """Return the token request's body (client_secret_post)."""
        fields = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        if self.scope:
            fields["scope"] = self.scope
        if self.audience:
            fields["audience"] = self.audience
        return urlencode(fields).encode()


class ClientCredentials:
    """Fetches, caches and renews one profile's token."""

    def __init__(
        self,
        client: HttpClient,
        settings: OAuthSettings,
        template: Request,
        *,
        on_refused: Callable[[], None] | None = None,
    ) -> None:
        """Bind to a client; template holds the transport values and limits.

        on_refused is called when the token endpoint refuses the client itself
        (its ID or secret); the fetch still fails with oauth_failed.
        """
        self._client = client
        self._settings = settings
        self._on_refused = on_refused
        self._request = replace(
            template,
            method="POST",
            url=settings.token_url,
            headers={hdrs.CONTENT_TYPE: _FORM, hdrs.ACCEPT: "application/json"},
            body=settings.form(),
            allow_redirects=False,
            retries=0,
            max_response_size=_MAX_TOKEN_RESPONSE,
        )
        self._token: str | None = None
        self._expires = 0.0
        self._fetches = 0  # tokens fetched so far
        self._lock = asyncio.Lock()

    @property
    def token(self) -> str | None:
        """Return the token held now, if any (what test answers must mask)."""
        return self._token

    def _cached(self, stale: str | None) -> str | None:
        if self._token is None or self._token == stale:
            return None
        if time.monotonic() >= self._expires:
            return None
        return self._token

    async def async_token(self, *, stale: str | None = None) -> str:
        """Return a valid token other than stale, fetching one if needed."""
        if (token := self._cached(stale)) is not None:
            return token
        fetches = self._fetches
        async with self._lock:
            token = self._token
            if fetches != self._fetches and token is not None and token != stale:
                return token  # fetched while this call waited: still fresh
            if (token := self._cached(stale)) is not None:
                return token
            self._token, self._expires = await self._async_fetch()
            self._fetches += 1
            return self._token

    async def _async_fetch(self) -> tuple[str, float]:
        """Request a token; return it and when (monotonic) to renew it."""
        host = host_for_messages(self._settings.token_url)
        try:
            response = await self._client.async_request(self._request)
        except RequestError as err:
            raise _failed(host, str(err.translation_key)) from None
        if response.status != 200:  # noqa: PLR2004
            if self._on_refused is not None and _refused(
                response.status, response.body
            ):
                self._on_refused()
            raise _failed(host, f"HTTP {response.status}")
        token, lifetime = _parse_token(response.body)
        if token is None:
            raise _failed(host, "invalid token response")
        _LOGGER.debug("New token from %s, valid for %s s", host, lifetime)
        if lifetime is None:
            return token, float("inf")
        margin = min(EXPIRY_MARGIN, lifetime / 2)
        return token, time.monotonic() + lifetime - margin


def _failed(host: str, status: str) -> RequestError:
    return RequestError("oauth_failed", host, status=status)


def _refused(status: int, body: bytes) -> bool:
    """Return whether a token endpoint's error answer refuses the client (RFC 6749).

    That is a 401, or a 400 whose JSON error is invalid_client or
    unauthorized_client; other errors (a bad scope, a server fault) are not.
    """
    if status == HTTPStatus.UNAUTHORIZED:
        return True
    if status != HTTPStatus.BAD_REQUEST:
        return False
    try:
        data: Any = json.loads(body)
    except ValueError, RecursionError:
        return False
    error = data.get("error") if isinstance(data, dict) else None
    return isinstance(error, str) and error in _REFUSALS


def _parse_token(body: bytes) -> tuple[str | None, float | None]:
    """Return the access token and its lifetime in seconds, from a JSON answer."""
    try:
        data: Any = json.loads(body, parse_int=_json_int)
    except ValueError, RecursionError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    token = data.get("access_token")
    token_type = data.get("token_type", "bearer")
    if not isinstance(token, str) or not token or not is_header_value(token):
        return None, None
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        return None, None
    return token, _lifetime(data.get("expires_in"))


def _json_int(digits: str) -> int | float:
    """Return a JSON integer; one too long for int() is a float (inf)."""
    if len(digits) > _MAX_JSON_INT_DIGITS:
        return float(digits)
    return int(digits)


def _lifetime(value: Any) -> float | None:
    """Return expires_in in seconds (some servers send it as text), else None.

    A value too big for a float (a 400-digit number, 5000 digits in a string)
    counts as none given, like a negative or non-numeric one.
    """
    if isinstance(value, str) and value.isascii() and value.isdigit():
        digits = value.lstrip("0") or "0"
        if len(digits) > _MAX_LIFETIME_DIGITS:
            return None
        value = int(digits)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds
