"""Profiles: the defaults a config entry holds for one remote API."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    CONF_HEADERS,
    CONF_PASSWORD,
    CONF_TIMEOUT,
    CONF_TOKEN,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from yarl import URL

from .client import NO_ROUTE, HttpClient, Request, Route
from .const import (
    AUTH_API_KEY_QUERY,
    AUTH_BASIC,
    AUTH_BEARER,
    AUTH_DIGEST,
    AUTH_NONE,
    AUTH_OAUTH2,
    AUTH_TYPES,
    CONF_AUDIENCE,
    CONF_AUTH_TYPE,
    CONF_BASE_URL,
    CONF_CA_PEM,
    CONF_CLIENT_CERT_PEM,
    CONF_CLIENT_ID,
    CONF_CLIENT_KEY_PASSWORD,
    CONF_CLIENT_KEY_PEM,
    CONF_CLIENT_SECRET,
    CONF_HEADER_NAME,
    CONF_HEADER_VALUE,
    CONF_LEGACY_CIPHERS,
    CONF_MAX_RESPONSE_SIZE,
    CONF_PROXY_PASSWORD,
    CONF_PROXY_URL,
    CONF_PROXY_USERNAME,
    CONF_QUERY_NAME,
    CONF_QUERY_VALUE,
    CONF_SCOPE,
    CONF_TOKEN_URL,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
    DEFAULT_VERIFY_SSL,
    MAX_RESPONSE_SIZE_LIMIT,
    MAX_TIMEOUT,
    MIN_TIMEOUT,
)
from .oauth import ClientCredentials, OAuthSettings
from .transport import SslContexts, TlsSettings, build_contexts
from .url import (
    UrlError,
    check_http_url,
    in_scope,
    normalize_base_url,
    normalize_proxy_url,
    parse_url,
)
from .validation import is_allowed_header, is_encodable, is_header_value

if TYPE_CHECKING:
    from .saved_request import SavedRequest

_CT: Final = "content-type"

type SceneHttpRequestConfigEntry = ConfigEntry["Profile"]

# The options a profile keeps secret: never sent back to a form (a blank field
# keeps the stored value), redacted in diagnostics, masked in test answers.
SECRET_OPTIONS: Final = frozenset(
    {
        CONF_PASSWORD,
        CONF_TOKEN,
        CONF_CLIENT_SECRET,
        CONF_CLIENT_KEY_PEM,
        CONF_CLIENT_KEY_PASSWORD,
        CONF_QUERY_VALUE,
        CONF_PROXY_PASSWORD,
    }
)
# Not secrets, but they name an account: redacted in diagnostics as well.
ACCOUNT_OPTIONS: Final = frozenset({CONF_USERNAME, CONF_CLIENT_ID, CONF_PROXY_USERNAME})


class InvalidProfileError(ValueError):
    """Stored profile data that cannot be used."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """A profile's defaults, parsed once when its config entry is set up.

    What a call needs of them (the scoped headers, the Content-Type, the defaults
    a call may leave out) is worked out here once, not on every call.
    """

    entry_id: str
    title: str
    base_url: URL | None = None
    headers: tuple[tuple[str, str], ...] = ()
    auth_type: str = AUTH_NONE
    username: str = ""
    password: str = ""
    token: str = ""
    query: tuple[str, str] | None = None  # api_key_query: the name and the value
    timeout: float | None = None
    verify_ssl: bool | None = None
    max_response_size: int | None = None
    tls: TlsSettings = field(default_factory=TlsSettings)
    # Built in the executor by async_with_transport; None when tls.is_default.
    ssl_contexts: SslContexts | None = None
    proxy: URL | None = None
    proxy_auth: tuple[str, str] | None = None  # username and password
    oauth: OAuthSettings | None = None
    # Made by async_with_transport for an OAuth2 profile: it caches the token.
    token_source: ClientCredentials | None = None
    # What the client needs of all that; empty when the profile uses none of it.
    route: Route = NO_ROUTE
    # The values of SECRET_OPTIONS the profile holds (masks of test answers).
    secrets: tuple[str, ...] = ()
    # The saved requests, by key (saved_request.request_key).
    requests: Mapping[str, SavedRequest] = field(default_factory=dict)
    # Derived from the fields above.
    scoped_headers: tuple[tuple[str, str], ...] = field(init=False, compare=False)
    digest_auth: tuple[str, str] | None = field(init=False, compare=False)
    content_type: str | None = field(init=False, compare=False)
    defaults: Mapping[str, Any] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        """Work out what calls use: headers with credentials, and defaults."""
        derived = {
            "scoped_headers": self._scoped_headers(),
            "digest_auth": (
                (self.username, self.password)
                if self.auth_type == AUTH_DIGEST
                else None
            ),
            "content_type": next(
                (value for name, value in self.headers if name.lower() == _CT),
                None,
            ),
            "defaults": {
                key: value
                for key, value in (
                    (CONF_TIMEOUT, self.timeout),
                    (CONF_VERIFY_SSL, self.verify_ssl),
                    (CONF_MAX_RESPONSE_SIZE, self.max_response_size),
                )
                if value is not None
            },
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def _scoped_headers(self) -> tuple[tuple[str, str], ...]:
        """Return the headers to send to the profile's origin, credentials included."""
        if self.auth_type == AUTH_BEARER:
            return (*self.headers, ("Authorization", f"Bearer {self.token}"))
        if self.auth_type == AUTH_BASIC:
            pair = base64.b64encode(f"{self.username}:{self.password}".encode())
            return (*self.headers, ("Authorization", f"Basic {pair.decode('ascii')}"))
        return self.headers

    def covers(self, url: URL) -> bool:
        """Return whether an absolute URL lies inside the base URL (if any)."""
        return self.base_url is None or in_scope(url, self.base_url)

    def secret_values(self) -> list[str]:
        """Return every secret the profile holds now, and every header value.

        An Authorization value counts whole and without its scheme; the current
        OAuth token counts too.
        """
        values = [*self.secrets, *(value for _, value in self.scoped_headers)]
        values += [
            value.partition(" ")[2]
            for name, value in self.scoped_headers
            if name.lower() == "authorization"
        ]
        if self.token_source is not None and self.token_source.token:
            values.append(self.token_source.token)
        return values


def profile_from_entry(
    entry_id: str, title: str, data: Mapping[str, Any], options: Mapping[str, Any]
) -> Profile:
    """Build a Profile from stored entry data, or raise InvalidProfileError."""
    try:
        base_url = _stored_base_url(data.get(CONF_BASE_URL))
        headers = _stored_headers(options.get(CONF_HEADERS))
        auth_type, username, password, token = _stored_credentials(options)
        query = _stored_query(options) if auth_type == AUTH_API_KEY_QUERY else None
        oauth = _stored_oauth(options) if auth_type == AUTH_OAUTH2 else None
        timeout = stored_number(options, CONF_TIMEOUT, MIN_TIMEOUT, MAX_TIMEOUT)
        size = stored_number(
            options, CONF_MAX_RESPONSE_SIZE, 1, MAX_RESPONSE_SIZE_LIMIT
        )
        verify_ssl = options.get(CONF_VERIFY_SSL)
        if verify_ssl is not None and not isinstance(verify_ssl, bool):
            raise InvalidProfileError(CONF_VERIFY_SSL)
        tls = _stored_tls(options)
        proxy, proxy_auth = _stored_proxy(options)
    except (TypeError, ValueError, AttributeError) as err:
        if isinstance(err, InvalidProfileError):
            raise
        raise InvalidProfileError(str(err)) from None
    return Profile(
        entry_id=entry_id,
        title=title,
        base_url=base_url,
        headers=headers,
        auth_type=auth_type,
        username=username,
        password=password,
        token=token,
        query=query,
        timeout=None if timeout is None else float(timeout),
        verify_ssl=verify_ssl,
        max_response_size=None if size is None else int(size),
        tls=tls,
        proxy=proxy,
        proxy_auth=proxy_auth,
        oauth=oauth,
        secrets=tuple(str(options[key]) for key in SECRET_OPTIONS if options.get(key)),
    )


async def async_with_transport(
    hass: HomeAssistant, profile: Profile, client: HttpClient
) -> Profile:
    """Return the profile with its TLS contexts, token source and route.

    The contexts are built in the executor; the token source sends through client.
    Raises transport.TlsError when a certificate or key can't be loaded.
    """
    if not profile.tls.is_default:
        contexts = await hass.async_add_executor_job(build_contexts, profile.tls)
        profile = replace(profile, ssl_contexts=contexts)
    transport = _route_of(profile)
    source = None
    if profile.oauth is not None:
        source = _token_source(client, profile, profile.oauth, transport)
    route = replace(transport, scoped_query=profile.query, token_source=source)
    return replace(profile, token_source=source, route=route)


def _token_source(
    client: HttpClient, profile: Profile, settings: OAuthSettings, transport: Route
) -> ClientCredentials:
    """Return the token source; its requests use the profile's TLS and proxy."""
    verify = DEFAULT_VERIFY_SSL if profile.verify_ssl is None else profile.verify_ssl
    template = Request(
        method="POST",
        url=settings.token_url,
        headers={},
        timeout=profile.timeout or DEFAULT_TIMEOUT,
        verify_ssl=verify,
        route=transport,
        allow_redirects=False,
        retries=0,
        max_response_size=DEFAULT_MAX_RESPONSE_SIZE,
    )
    return ClientCredentials(client, settings, template)


def _route_of(profile: Profile) -> Route:
    """Return the profile's TLS contexts and proxy (what its token request uses)."""
    contexts = profile.ssl_contexts
    proxy_auth = None
    if profile.proxy_auth is not None:
        proxy_auth = aiohttp.BasicAuth(*profile.proxy_auth, encoding="utf-8")
    return Route(
        verify_context=None if contexts is None else contexts.verify,
        no_verify_context=None if contexts is None else contexts.no_verify,
        proxy=profile.proxy,
        proxy_auth=proxy_auth,
    )


def _stored_oauth(options: Mapping[str, Any]) -> OAuthSettings:
    """Return the OAuth2 client credentials settings."""
    try:
        token_url = check_http_url(parse_url(str(options.get(CONF_TOKEN_URL) or "")))
    except UrlError:
        raise InvalidProfileError(CONF_TOKEN_URL) from None
    texts: dict[str, str] = {}
    for key in (CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_SCOPE, CONF_AUDIENCE):
        value = options.get(key) or ""
        if not isinstance(value, str) or not is_encodable(value):
            raise InvalidProfileError(key)
        texts[key] = value
    for key in (CONF_CLIENT_ID, CONF_CLIENT_SECRET):
        if not texts[key]:
            raise InvalidProfileError(key)
    return OAuthSettings(token_url=token_url, **texts)


_TLS_TEXTS = (CONF_CA_PEM, CONF_CLIENT_CERT_PEM, CONF_CLIENT_KEY_PEM)


def _stored_tls(options: Mapping[str, Any]) -> TlsSettings:
    """Return the TLS settings; PEM texts are checked when contexts are built."""
    texts: dict[str, str] = {}
    for key in (*_TLS_TEXTS, CONF_CLIENT_KEY_PASSWORD):
        value = options.get(key) or ""
        if not isinstance(value, str):
            raise InvalidProfileError(key)
        texts[key] = value
    legacy = options.get(CONF_LEGACY_CIPHERS, False)
    if not isinstance(legacy, bool):
        raise InvalidProfileError(CONF_LEGACY_CIPHERS)
    return TlsSettings(**texts, legacy_ciphers=legacy)


def _stored_proxy(
    options: Mapping[str, Any],
) -> tuple[URL | None, tuple[str, str] | None]:
    """Return the proxy URL and its credentials (a username is needed for them)."""
    raw = options.get(CONF_PROXY_URL)
    if not raw:
        return None, None
    try:
        proxy = normalize_proxy_url(str(raw))
    except ValueError:
        raise InvalidProfileError(CONF_PROXY_URL) from None
    username = options.get(CONF_PROXY_USERNAME) or ""
    password = options.get(CONF_PROXY_PASSWORD) or ""
    if not isinstance(username, str) or ":" in username:
        raise InvalidProfileError(CONF_PROXY_USERNAME)
    if not is_header_value(username):
        raise InvalidProfileError(CONF_PROXY_USERNAME)
    if not isinstance(password, str) or not is_encodable(password):
        raise InvalidProfileError(CONF_PROXY_PASSWORD)
    return proxy, (username, password) if username else None


def _stored_base_url(raw: Any) -> URL | None:
    if not raw:
        return None
    try:
        return normalize_base_url(str(raw))
    except ValueError:
        raise InvalidProfileError(CONF_BASE_URL) from None


def _stored_credentials(options: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """Return auth type, username, password and token, checked together."""
    auth_type = str(options.get(CONF_AUTH_TYPE) or AUTH_NONE)
    if auth_type not in AUTH_TYPES:
        raise InvalidProfileError(CONF_AUTH_TYPE)
    username = str(options.get(CONF_USERNAME) or "")
    password = str(options.get(CONF_PASSWORD) or "")
    token = str(options.get(CONF_TOKEN) or "")
    if auth_type in (AUTH_BASIC, AUTH_DIGEST) and not username:
        raise InvalidProfileError(CONF_USERNAME)
    if ":" in username or not is_header_value(username):
        raise InvalidProfileError(CONF_USERNAME)
    if auth_type == AUTH_BEARER and not token:
        raise InvalidProfileError(CONF_TOKEN)
    if not is_header_value(token):
        raise InvalidProfileError(CONF_TOKEN)
    return auth_type, username, password, token


def _stored_query(options: Mapping[str, Any]) -> tuple[str, str]:
    """Return the API key query parameter's name and value."""
    name = options.get(CONF_QUERY_NAME)
    value = options.get(CONF_QUERY_VALUE)
    if not isinstance(name, str) or not name or not is_encodable(name):
        raise InvalidProfileError(CONF_QUERY_NAME)
    if not isinstance(value, str) or not value or not is_encodable(value):
        raise InvalidProfileError(CONF_QUERY_VALUE)
    return (name, value)


def _stored_headers(raw: Any) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        raise InvalidProfileError(CONF_HEADERS)
    return tuple(_stored_header(item) for item in raw)


def _stored_header(item: Any) -> tuple[str, str]:
    if not isinstance(item, Mapping):
        raise InvalidProfileError(CONF_HEADERS)
    name = item.get(CONF_HEADER_NAME)
    value = item.get(CONF_HEADER_VALUE)
    if not isinstance(name, str) or not isinstance(value, str):
        raise InvalidProfileError(CONF_HEADERS)
    if not is_allowed_header(name, value):
        raise InvalidProfileError(CONF_HEADERS)
    return (name, value)


def stored_number(
    options: Mapping[str, Any], key: str, low: float, high: float
) -> float | None:
    """Return a stored number within [low, high], None if absent, else raise."""
    value = options.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidProfileError(key)
    if not low <= value <= high:
        raise InvalidProfileError(key)
    return value
