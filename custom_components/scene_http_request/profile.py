"""Profiles: the defaults a config entry holds for one remote API."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    CONF_HEADERS,
    CONF_PASSWORD,
    CONF_TIMEOUT,
    CONF_TOKEN,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant, callback
from yarl import URL

from .client import NO_ROUTE, HttpClient, Request, RequestError, Route
from .const import (
    AUTH_API_KEY_QUERY,
    AUTH_BASIC,
    AUTH_BEARER,
    AUTH_DIGEST,
    AUTH_LOGIN,
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
    CONF_LOGIN_BODY_TYPE,
    CONF_LOGIN_FIELDS,
    CONF_LOGIN_HEADER_NAME,
    CONF_LOGIN_HEADER_VALUE,
    CONF_LOGIN_METHOD,
    CONF_LOGIN_URL,
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
    LOGIN_BODY_FORM,
    LOGIN_BODY_TYPES,
    LOGIN_METHODS,
    MAX_RESPONSE_SIZE_LIMIT,
    MAX_TIMEOUT,
    MIN_TIMEOUT,
)
from .content import template_variables
from .login import MAX_LOGIN_RESPONSE, LoginSession, LoginSettings
from .oauth import ClientCredentials, OAuthSettings
from .transport import SslContexts, TlsSettings, build_contexts
from .url import (
    UrlError,
    check_http_url,
    in_scope,
    normalize_base_url,
    normalize_proxy_url,
    origin_of,
    parse_url,
    resolve_url,
)
from .validation import (
    is_allowed_header,
    is_encodable,
    is_header_name,
    is_header_value,
)

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


# A pasted PEM text longer than this is refused: parsing it holds the GIL (a 2 MiB
# CA bundle stalls the event loop for ~130 ms at every setup, even in the executor).
MAX_PEM_LENGTH: Final = 256 * 1024
# The field named when a stored value fails in an unforeseen way.
_UNEXPECTED: Final = "options"


class InvalidProfileError(ValueError):
    """Stored profile data that cannot be used.

    str(err) names the first field at fault. errors maps every field found at
    fault to its reason, a form error key (config.error in the translations), so
    a form shows them all at once.
    """

    def __init__(
        self,
        field: str,
        key: str = "invalid_value",
        *,
        errors: Mapping[str, str] | None = None,
    ) -> None:
        """Name the field at fault and why (or every field, with errors)."""
        super().__init__(field)
        self.field = field
        self.key = key
        self.errors: dict[str, str] = dict(errors) if errors else {field: key}


class BuiltRequest(NamedTuple):
    """A saved request without templates, and the request it always stands for."""

    saved: SavedRequest
    request: Request
    fail_on_http_error: bool


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
    login: LoginSettings | None = None
    # Made by async_with_transport for an OAuth2 profile: it caches the token.
    token_source: ClientCredentials | None = None
    # Made by async_with_transport for a login profile: it holds the session.
    login_session: LoginSession | None = None
    # What the client needs of all that; empty when the profile uses none of it.
    route: Route = NO_ROUTE
    # The values of SECRET_OPTIONS the profile holds (masks of test answers).
    secrets: tuple[str, ...] = ()
    # The saved requests, by key (saved_request.request_key).
    requests: Mapping[str, SavedRequest] = field(default_factory=dict)
    # Filled once at setup (request.build_saved_requests), by subentry ID.
    built: dict[str, BuiltRequest] = field(
        default_factory=dict, compare=False, repr=False
    )
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

        An Authorization or Proxy-Authorization value counts whole and without its
        scheme; the current OAuth token counts too, and a login session's cookies
        and header value.
        """
        values = [*self.secrets, *(value for _, value in self.scoped_headers)]
        values += [
            value.partition(" ")[2]
            for name, value in self.scoped_headers
            if name.lower() == "authorization"
        ]
        if (proxy := self.route.proxy_authorization) is not None:
            values += [proxy, proxy.partition(" ")[2]]
        if self.token_source is not None and self.token_source.token:
            values.append(self.token_source.token)
        if self.login_session is not None:
            values += self.login_session.secret_values()
        return values


def profile_from_entry(
    entry_id: str, title: str, data: Mapping[str, Any], options: Mapping[str, Any]
) -> Profile:
    """Build a Profile from stored entry data, or raise InvalidProfileError.

    Every rule of a profile's stored data lives here: the flows build the options
    they would store and call this, so setup and forms apply the same checks. The
    error lists every field at fault.
    """
    errors: dict[str, str] = {}
    try:
        base_url = _stored_base_url(data.get(CONF_BASE_URL), errors)
        headers = _stored_headers(options.get(CONF_HEADERS), errors)
        auth_type, username, password, token = _stored_credentials(options, errors)
        query = (
            _stored_query(options, errors) if auth_type == AUTH_API_KEY_QUERY else None
        )
        oauth = _stored_oauth(options, errors) if auth_type == AUTH_OAUTH2 else None
        login = (
            _stored_login(options, base_url, (username, password), errors)
            if auth_type == AUTH_LOGIN
            else None
        )
        timeout = _number(options, CONF_TIMEOUT, MIN_TIMEOUT, MAX_TIMEOUT, errors)
        size = _number(
            options, CONF_MAX_RESPONSE_SIZE, 1, MAX_RESPONSE_SIZE_LIMIT, errors
        )
        verify_ssl = options.get(CONF_VERIFY_SSL)
        if verify_ssl is not None and not isinstance(verify_ssl, bool):
            _flag(errors, CONF_VERIFY_SSL, "invalid_value")
        tls = _stored_tls(options, errors)
        proxy, proxy_auth = _stored_proxy(options, errors)
    except TypeError, ValueError, AttributeError:
        _flag(errors, _UNEXPECTED, "invalid_value")
    if errors:
        field, key = next(iter(errors.items()))
        raise InvalidProfileError(field, key, errors=errors)
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
        login=login,
        secrets=tuple(str(options[key]) for key in SECRET_OPTIONS if options.get(key)),
    )


async def async_with_transport(
    hass: HomeAssistant, profile: Profile, client: HttpClient
) -> Profile:
    """Return the profile with its TLS contexts, token source or login, and route.

    The contexts are built in the executor; the token source and the login send
    through client. Raises transport.TlsError when a certificate or key can't be
    loaded. A login session must be closed: see async_release.
    """
    if not profile.tls.is_default:
        contexts = await hass.async_add_executor_job(build_contexts, profile.tls)
        profile = replace(profile, ssl_contexts=contexts)
    transport = _route_of(profile)
    source = login = None
    if profile.oauth is not None:
        source = _token_source(hass, client, profile, profile.oauth, transport)
    if profile.login is not None:
        login = _login_session(hass, client, profile, profile.login, transport)
    route = replace(
        transport, scoped_query=profile.query, token_source=source, login=login
    )
    return replace(profile, token_source=source, login_session=login, route=route)


async def async_release(profile: Profile) -> None:
    """Close what async_with_transport opened for a profile (a login session).

    A flow that built a profile to test it calls this when done; a set-up
    profile's entry calls it when it unloads.
    """
    if profile.login_session is not None:
        profile.login_session.close()


async def async_client_error(
    hass: HomeAssistant, profile: Profile, client: HttpClient
) -> str | None:
    """Try the profile's OAuth2 client or login on the server.

    The profile comes from async_with_transport: the request uses its TLS and
    proxy. Return None when a token comes back, invalid_client when the endpoint
    refuses the client, else token_failed. A login profile: see _async_login_error.
    """
    if profile.login is not None:
        return await _async_login_error(hass, profile, profile.login, client)
    if profile.oauth is None:
        return None
    refused: list[bool] = []
    source = _token_source(
        hass,
        client,
        profile,
        profile.oauth,
        _route_of(profile),
        on_refused=lambda: refused.append(True),
    )
    try:
        await source.async_token()
    except RequestError:
        return "invalid_client" if refused else "token_failed"
    return None


async def _async_login_error(
    hass: HomeAssistant, profile: Profile, settings: LoginSettings, client: HttpClient
) -> str | None:
    """Log in with the profile, in a session of its own closed after.

    Return None on success, invalid_auth when the login is answered 401 or 403,
    else login_failed.
    """
    refused: list[bool] = []
    session = _login_session(
        hass,
        client,
        profile,
        settings,
        _route_of(profile),
        on_refused=lambda: refused.append(True),
    )
    try:
        await session.async_session()
    except RequestError:
        return "invalid_auth" if refused else "login_failed"
    finally:
        session.close()
    return None


def _login_session(  # noqa: PLR0913 - the parts of one login session
    hass: HomeAssistant,
    client: HttpClient,
    profile: Profile,
    settings: LoginSettings,
    transport: Route,
    *,
    on_refused: Callable[[], None] | None = None,
) -> LoginSession:
    """Return the login session; its login uses the profile's TLS, proxy, timeout.

    The login follows redirects but is not retried. By default a login answered
    401 or 403 starts the entry's reauth flow.
    """
    template = _credentials_request(
        profile, transport, settings.url, redirects=True, limit=MAX_LOGIN_RESPONSE
    )
    if on_refused is None:
        on_refused = _reauth_starter(hass, profile.entry_id)
    return LoginSession(hass, client, settings, template, on_refused=on_refused)


def _reauth_starter(hass: HomeAssistant, entry_id: str) -> Callable[[], None] | None:
    """Return what starts the reauth flow of a loaded profile's entry."""
    if not entry_id:  # a profile built by a flow, not set up
        return None

    @callback
    def start() -> None:
        if (entry := hass.config_entries.async_get_entry(entry_id)) is not None:
            entry.async_start_reauth(hass)

    return start


def _token_source(  # noqa: PLR0913 - the parts of one token source
    hass: HomeAssistant,
    client: HttpClient,
    profile: Profile,
    settings: OAuthSettings,
    transport: Route,
    *,
    on_refused: Callable[[], None] | None = None,
) -> ClientCredentials:
    """Return the token source; its requests use the profile's TLS and proxy.

    When the endpoint refuses the client, on_refused is called; by default
    that starts the entry's reauth flow (HA starts one per entry at most).
    """
    template = _credentials_request(
        profile,
        transport,
        settings.token_url,
        redirects=False,
        limit=DEFAULT_MAX_RESPONSE_SIZE,
    )
    if on_refused is None:
        on_refused = _reauth_starter(hass, profile.entry_id)
    return ClientCredentials(client, settings, template, on_refused=on_refused)


def _credentials_request(
    profile: Profile, transport: Route, url: URL, *, redirects: bool, limit: int
) -> Request:
    """Return the request a profile sends for its credentials (a token, a login).

    It goes with the profile's TLS, proxy and timeout, is never retried, and
    reads at most limit bytes; its owner sets the method, headers and body.
    """
    verify = DEFAULT_VERIFY_SSL if profile.verify_ssl is None else profile.verify_ssl
    return Request(
        method="POST",
        url=url,
        headers={},
        timeout=profile.timeout or DEFAULT_TIMEOUT,
        verify_ssl=verify,
        route=transport,
        allow_redirects=redirects,
        retries=0,
        max_response_size=limit,
    )


def _route_of(profile: Profile) -> Route:
    """Return the profile's TLS contexts and proxy (what its token request uses)."""
    contexts = profile.ssl_contexts
    authorization = None
    if profile.proxy_auth is not None:
        pair = base64.b64encode(":".join(profile.proxy_auth).encode())
        authorization = f"Basic {pair.decode('ascii')}"
    return Route(
        verify_context=None if contexts is None else contexts.verify,
        no_verify_context=None if contexts is None else contexts.no_verify,
        proxy=profile.proxy,
        proxy_authorization=authorization,
    )


def _flag(errors: dict[str, str], field: str, key: str) -> None:
    """Record why field can't be used (its first reason wins)."""
    errors.setdefault(field, key)


def _stored_oauth(
    options: Mapping[str, Any], errors: dict[str, str]
) -> OAuthSettings | None:
    """Return the OAuth2 client credentials settings (None if they can't be used)."""
    try:
        token_url = check_http_url(parse_url(str(options.get(CONF_TOKEN_URL) or "")))
    except UrlError:
        _flag(errors, CONF_TOKEN_URL, "invalid_token_url")
        token_url = None
    texts: dict[str, str] = {}
    for key in (CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_SCOPE, CONF_AUDIENCE):
        value = options.get(key) or ""
        if not isinstance(value, str):
            _flag(errors, key, "invalid_value")
        elif not is_encodable(value):
            _flag(errors, key, "invalid_text")
        elif not value and key in (CONF_CLIENT_ID, CONF_CLIENT_SECRET):
            _flag(errors, key, f"{key}_required")
        else:
            texts[key] = value
    if token_url is None or len(texts) < 4:  # noqa: PLR2004 - the four texts above
        return None
    return OAuthSettings(token_url=token_url, **texts)


def _stored_login(
    options: Mapping[str, Any],
    base_url: URL | None,
    account: tuple[str, str],
    errors: dict[str, str],
) -> LoginSettings | None:
    """Return the login request's settings (None if they can't be used).

    The login URL lies within the base URL's origin; each template parses; a
    header value has its header name; a row that uses the username or the
    password has it.
    """
    url = _stored_login_url(options.get(CONF_LOGIN_URL), base_url, errors)
    method = options.get(CONF_LOGIN_METHOD) or "POST"
    if method not in LOGIN_METHODS:
        _flag(errors, CONF_LOGIN_METHOD, "invalid_value")
    body_type = options.get(CONF_LOGIN_BODY_TYPE) or LOGIN_BODY_FORM
    if body_type not in LOGIN_BODY_TYPES:
        _flag(errors, CONF_LOGIN_BODY_TYPE, "invalid_value")
    fields = _stored_login_fields(options.get(CONF_LOGIN_FIELDS), account, errors)
    header_name = options.get(CONF_LOGIN_HEADER_NAME) or ""
    header_value = options.get(CONF_LOGIN_HEADER_VALUE) or ""
    if not isinstance(header_name, str) or not isinstance(header_value, str):
        _flag(errors, CONF_LOGIN_HEADER_NAME, "invalid_value")
        return None
    if header_value and not header_name:
        _flag(errors, CONF_LOGIN_HEADER_NAME, "login_header_name_required")
    elif header_name and not is_header_name(header_name):
        _flag(errors, CONF_LOGIN_HEADER_NAME, "invalid_login_header_name")
    if template_variables(header_value) is None:
        _flag(errors, CONF_LOGIN_HEADER_VALUE, "invalid_login_template")
    if url is None or fields is None or errors:
        return None
    return LoginSettings(
        url=url,
        method=method,
        body_type=body_type,
        fields=fields,
        username=account[0],
        password=account[1],
        header_name=header_name,
        header_value=header_value,
    )


def _stored_login_url(
    raw: Any, base_url: URL | None, errors: dict[str, str]
) -> URL | None:
    """Return the login URL: relative to the base URL, or absolute in its origin."""
    if base_url is None:
        _flag(errors, CONF_LOGIN_URL, "login_base_url_required")
        return None
    if not raw or not isinstance(raw, str):
        _flag(errors, CONF_LOGIN_URL, "login_url_required")
        return None
    try:
        url = resolve_url(raw, base_url)
    except UrlError:
        _flag(errors, CONF_LOGIN_URL, "invalid_login_url")
        return None
    if origin_of(url) != origin_of(base_url):
        _flag(errors, CONF_LOGIN_URL, "login_url_outside_origin")
        return None
    return url


def _stored_login_fields(
    raw: Any, account: tuple[str, str], errors: dict[str, str]
) -> tuple[tuple[str, str], ...] | None:
    """Return the login rows; each value parses and has what it uses."""
    if raw is None:
        return ()
    rows = [_stored_row(item) for item in raw] if isinstance(raw, list) else [None]
    if any(row is None for row in rows):
        _flag(errors, CONF_LOGIN_FIELDS, "invalid_login_field")
        return None
    used: set[str] = set()
    for row in rows:
        assert row is not None  # noqa: S101 - checked above
        variables = template_variables(row[1])
        if variables is None:
            _flag(errors, CONF_LOGIN_FIELDS, "invalid_login_template")
            return None
        used |= variables
    for name, value in zip(("username", "password"), account, strict=True):
        if name in used and not value:
            _flag(errors, _ACCOUNT_FIELDS[name], f"{name}_required")
    return tuple(row for row in rows if row is not None)


_ACCOUNT_FIELDS: Final = {"username": CONF_USERNAME, "password": CONF_PASSWORD}


def _stored_row(item: Any) -> tuple[str, str] | None:
    """Return a login row's name and value, both encodable text, name not empty."""
    if not isinstance(item, Mapping):
        return None
    name = item.get(CONF_HEADER_NAME)
    value = item.get(CONF_HEADER_VALUE, "")
    if not isinstance(name, str) or not name or not is_encodable(name):
        return None
    if not isinstance(value, str) or not is_encodable(value):
        return None
    return (name, value)


_TLS_TEXTS = (CONF_CA_PEM, CONF_CLIENT_CERT_PEM, CONF_CLIENT_KEY_PEM)


def _stored_tls(options: Mapping[str, Any], errors: dict[str, str]) -> TlsSettings:
    """Return the TLS settings; PEM texts are parsed when contexts are built."""
    texts: dict[str, str] = {}
    for key in (*_TLS_TEXTS, CONF_CLIENT_KEY_PASSWORD):
        value = options.get(key) or ""
        if not isinstance(value, str):
            _flag(errors, key, "invalid_value")
        elif key in _TLS_TEXTS and len(value) > MAX_PEM_LENGTH:
            _flag(errors, key, "pem_too_large")
        else:
            texts[key] = value
    legacy = options.get(CONF_LEGACY_CIPHERS, False)
    if not isinstance(legacy, bool):
        _flag(errors, CONF_LEGACY_CIPHERS, "invalid_value")
        legacy = False
    return TlsSettings(**texts, legacy_ciphers=legacy)


def _stored_proxy(
    options: Mapping[str, Any], errors: dict[str, str]
) -> tuple[URL | None, tuple[str, str] | None]:
    """Return the proxy URL and its credentials (a username is needed for them)."""
    raw = options.get(CONF_PROXY_URL)
    if not raw:
        return None, None
    try:
        proxy = normalize_proxy_url(str(raw))
    except UrlError as err:
        _flag(errors, CONF_PROXY_URL, err.key)
        proxy = None
    username = options.get(CONF_PROXY_USERNAME) or ""
    password = options.get(CONF_PROXY_PASSWORD) or ""
    if not isinstance(username, str) or not _is_username(username):
        _flag(errors, CONF_PROXY_USERNAME, "invalid_proxy_username")
    if not isinstance(password, str) or not is_encodable(password):
        _flag(errors, CONF_PROXY_PASSWORD, "invalid_text")
    return proxy, (str(username), str(password)) if username else None


def _is_username(username: str) -> bool:
    """Return whether a Basic, Digest or proxy username can be sent (no colon)."""
    return ":" not in username and is_header_value(username)


def _stored_base_url(raw: Any, errors: dict[str, str]) -> URL | None:
    if not raw:
        return None
    try:
        return normalize_base_url(str(raw))
    except UrlError as err:
        _flag(errors, CONF_BASE_URL, err.key)
        return None


def _stored_credentials(
    options: Mapping[str, Any], errors: dict[str, str]
) -> tuple[str, str, str, str]:
    """Return auth type, username, password and token, checked together."""
    auth_type = str(options.get(CONF_AUTH_TYPE) or AUTH_NONE)
    if auth_type not in AUTH_TYPES:
        _flag(errors, CONF_AUTH_TYPE, "invalid_value")
    username = str(options.get(CONF_USERNAME) or "")
    password = str(options.get(CONF_PASSWORD) or "")
    token = str(options.get(CONF_TOKEN) or "")
    if auth_type in (AUTH_BASIC, AUTH_DIGEST) and not username:
        _flag(errors, CONF_USERNAME, "username_required")
    elif auth_type == AUTH_LOGIN:  # sent in a body or query, not a header
        if not is_encodable(username):
            _flag(errors, CONF_USERNAME, "invalid_text")
    elif not _is_username(username):
        _flag(errors, CONF_USERNAME, "invalid_username")
    if not is_encodable(password):
        _flag(errors, CONF_PASSWORD, "invalid_text")
    if auth_type == AUTH_BEARER and not token:
        _flag(errors, CONF_TOKEN, "token_required")
    elif not is_header_value(token):
        _flag(errors, CONF_TOKEN, "invalid_token")
    return auth_type, username, password, token


def _stored_query(
    options: Mapping[str, Any], errors: dict[str, str]
) -> tuple[str, str] | None:
    """Return the API key query parameter's name and value."""
    name = options.get(CONF_QUERY_NAME)
    value = options.get(CONF_QUERY_VALUE)
    if not isinstance(name, str) or not name or not is_encodable(name):
        _flag(errors, CONF_QUERY_NAME, "query_name_required")
    if not isinstance(value, str) or not value or not is_encodable(value):
        _flag(errors, CONF_QUERY_VALUE, "query_value_required")
    if isinstance(name, str) and isinstance(value, str):
        return (name, value)
    return None


def _stored_headers(raw: Any, errors: dict[str, str]) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        _flag(errors, CONF_HEADERS, "invalid_header")
        return ()
    headers = tuple(header for item in raw if (header := _stored_header(item)))
    if len(headers) != len(raw):
        _flag(errors, CONF_HEADERS, "invalid_header")
    return headers


def _stored_header(item: Any) -> tuple[str, str] | None:
    if not isinstance(item, Mapping):
        return None
    name = item.get(CONF_HEADER_NAME)
    value = item.get(CONF_HEADER_VALUE)
    if not isinstance(name, str) or not isinstance(value, str):
        return None
    if not is_allowed_header(name, value):
        return None
    return (name, value)


def _number(
    options: Mapping[str, Any],
    key: str,
    low: float,
    high: float,
    errors: dict[str, str],
) -> float | None:
    """Return stored_number's answer, or None with the field flagged."""
    try:
        return stored_number(options, key, low, high)
    except InvalidProfileError:
        _flag(errors, key, "invalid_value")
        return None


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
