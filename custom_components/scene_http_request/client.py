"""HTTP work: one request with redirects, retries, a deadline and a size cap.

The client knows nothing of profiles: it takes plain values. Credentials (the
scoped headers, digest auth, the scoped query parameter, and a call's own
Authorization, Cookie and Proxy-Authorization) go only to the origin of the
request's URL; redirects are followed here, hop by hop, so they never cross to
another origin. The scoped query parameter is added to each hop as it is sent; its
value is taken out of every redirect target wherever the server echoed it (under
any name, in the path, inside another parameter, percent-encoded or not) and out
of the reason phrase, so no URL or reason the caller sees holds it.

A login profile's requests go through its own session (login.py): each hop to the
session's origin carries the session's cookies and header, and every answer from
that origin feeds its cookie jar; a hop elsewhere carries neither. Those answers'
Set-Cookie headers are session, so the final answer of a call loses them.

Nothing here logs or raises anything that holds a header value, a body, a path or a
query string: only the method, the host, the status and timings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from contextlib import AbstractAsyncContextManager, aclosing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from http.cookies import CookieError
import logging
import random
import re
import ssl
import time
from typing import NamedTuple, Protocol, TypeIs
import zlib

import aiohttp
from aiohttp import hdrs
from aiohttp.http_exceptions import DecompressSizeError
from aiohttp.payload import Payload
from awesomeversion import AwesomeVersion
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import SSRFRedirectError
from multidict import CIMultiDict, CIMultiDictProxy, MultiMapping
from yarl import URL

from .const import (
    DOMAIN,
    MAX_REDIRECTS,
    RETRY_AFTER_CAP,
    RETRY_BACKOFF_CAP,
    RETRY_BACKOFF_START,
    RETRY_STATUSES,
)
from .inflate import ACCEPT_ENCODING, Inflater
from .url import Origin, UrlError, host_for_messages, origin_of, redirect_target

_LOGGER = logging.getLogger(__name__)

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# A call's own headers that go to the first origin only.
_ORIGIN_BOUND_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_BODY_HEADERS = ("Content-Type", "Content-Length", "Content-Encoding")
# The answers from a login session's origin that end the session: log in again.
_SESSION_ENDED = frozenset({HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN})
_CHUNK_SIZE = 64 * 1024
# A longer Content-Length is not a size anyone sends: the body is read as it comes.
_MAX_LENGTH_DIGITS = 18
# A body going to a sink is read in larger pieces: fewer loop turns per byte.
_SINK_CHUNK_SIZE = 1024 * 1024
# A redirect's body is read (so the connection can be reused) up to this size.
_DRAIN_LIMIT = 64 * 1024
# The attempt's own deadline covers redirects and the body; aiohttp's is off.
_NO_CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=None)
# aiohttp < 3.14 inflates up to 32 MiB per read before anyone can count: there the
# client takes the body as sent and inflates it itself (inflate.py).
_SELF_INFLATE = AwesomeVersion(aiohttp.__version__) < AwesomeVersion("3.14")


class RequestError(HomeAssistantError):
    """A request that failed; the message names the host only."""

    def __init__(
        self, key: str, host: str, *, retryable: bool = False, **placeholders: str
    ) -> None:
        """Build a translated error; retryable says whether a retry may fix it."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"host": host, **placeholders},
        )
        self.retryable = retryable


class BodySource(Protocol):
    """A request body read from elsewhere (a file), opened afresh for each hop."""

    def open(self) -> AbstractAsyncContextManager[Payload]:
        """Return a context that opens the body for one hop and closes it after."""


class BodySink(Protocol):
    """Where a response body goes instead of memory (a file)."""

    async def async_start(self, headers: MultiMapping[str]) -> None:
        """Begin the body of a final answer, dropping what an earlier one wrote."""

    async def async_write(self, data: bytes) -> None:
        """Take the next piece of the (decompressed) body."""


class TokenSource(Protocol):
    """Gives the bearer token of a request's origin (oauth.py), fetching as needed."""

    async def async_token(self, *, stale: str | None = None) -> str:
        """Return a valid token, never the stale one; raise RequestError."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A login profile's session: its own aiohttp session, cookie jar and header.

    The cookies and the header go to origin only; answers from origin feed the jar.
    """

    http: aiohttp.ClientSession  # HA's redirect guard, no cookie jar of its own
    origin: Origin
    jar: aiohttp.CookieJar
    headers: tuple[tuple[str, str], ...] = ()  # the login's header, if any


class SessionSource(Protocol):
    """Gives a login profile's session (login.py), logging in as needed."""

    async def async_session(self, *, stale: Session | None = None) -> Session:
        """Return a logged-in session, never the stale one; raise RequestError."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """How a profile's requests travel, and the credentials that are not headers.

    One object per profile, made at setup, so a request without any of these
    costs one field.
    """

    # The profile's own TLS contexts (CA, client certificate, ciphers): one that
    # verifies the server and one that does not.
    verify_context: ssl.SSLContext | None = None
    no_verify_context: ssl.SSLContext | None = None
    # A forward proxy for every hop (https through CONNECT), and its credentials:
    # aiohttp sends those to the proxy only.
    proxy: URL | None = None
    # The proxy's Proxy-Authorization value, made at setup. aiohttp 3.14 deprecates
    # its proxy_auth; the client puts the header where each kind of hop needs it.
    proxy_authorization: str | None = None
    scoped_query: tuple[str, str] | None = None  # an API key's name and value
    # A bearer token for the request's origin; refreshed once on a 401 from it.
    token_source: TokenSource | None = None
    # A login session for the profile's origin; renewed once on a 401 or 403.
    login: SessionSource | None = None
    # The scoped query value in every spelling a server may echo it in.
    key_echo: re.Pattern[str] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Compile the pattern of the scoped query value's echoes."""
        if self.scoped_query is not None and self.scoped_query[1]:
            object.__setattr__(self, "key_echo", echo_pattern(self.scoped_query[1]))

    def without_key(self, text: str) -> str:
        """Return text (a reason phrase) with the scoped query value taken out."""
        if self.key_echo is None:
            return text
        return self.key_echo.sub("", text)

    def ssl(self, verify_ssl: bool) -> ssl.SSLContext | bool:  # noqa: FBT001
        """Return what aiohttp's ssl= takes for a request's verify_ssl."""
        context = self.verify_context if verify_ssl else self.no_verify_context
        return verify_ssl if context is None else context


# The route of a request without a profile, or of one with no transport settings.
NO_ROUTE = Route()


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """Everything needed to send one request."""

    method: str
    url: URL
    headers: Mapping[str, str]
    body: bytes | BodySource | None = None
    # With a sink, the body of the final answer goes there, not into Response.body.
    sink: BodySink | None = None
    # Sent to the origin of url only: a profile's headers and credentials.
    scoped_headers: tuple[tuple[str, str], ...] = ()
    digest_auth: tuple[str, str] | None = None  # username and password
    # A profile's TLS, proxy, query key and token source.
    route: Route = NO_ROUTE
    # A login's own request: the session it opens, which every hop goes in.
    session: Session | None = None
    timeout: float
    verify_ssl: bool
    allow_redirects: bool
    retries: int
    max_response_size: int


@dataclass(frozen=True, slots=True)
class Response:
    """The final response of a request, body capped and fully read."""

    status: int
    reason: str
    url: URL
    headers: MultiMapping[str]
    body: bytes
    attempts: int
    elapsed: float


class _Hop(NamedTuple):
    """One request on the way to the final response."""

    method: str
    url: URL  # as shown: without the scoped query parameter
    body: bytes | BodySource | None
    headers: Mapping[str, str]
    digest_auth: tuple[str, str] | None
    query: tuple[str, str] | None  # the scoped query parameter, on its origin
    http: aiohttp.ClientSession | None = None  # a login session's, else the client's
    jar: aiohttp.CookieJar | None = None  # fed by the answer (the session's origin)


class _Redirect(NamedTuple):
    """A redirect the client follows."""

    status: int
    location: str


class _Answer(NamedTuple):
    """The final answer of one attempt: the fields of a Response."""

    status: int
    reason: str
    url: URL
    headers: MultiMapping[str]
    body: bytes


def session_middlewares(
    session: aiohttp.ClientSession,
) -> tuple[aiohttp.ClientMiddlewareType, ...]:
    """Return the middlewares the session applies to every request.

    Passing middlewares to a request replaces the session's own, HA's redirect
    guard among them, so digest auth must pass them along. aiohttp has no public
    accessor: fail loudly, at setup, rather than drop the guard silently.
    """
    try:
        middlewares = session._middlewares  # noqa: SLF001
    except AttributeError:
        raise RuntimeError(
            "aiohttp.ClientSession no longer has _middlewares: digest auth would"
            " drop Home Assistant's redirect guard"
        ) from None
    return tuple(middlewares)


class HttpClient:
    """Sends requests through one aiohttp session (Home Assistant's shared one)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        """Bind to session; raise RuntimeError if its middlewares can't be read."""
        self._session = session
        self._middlewares = session_middlewares(session)

    async def async_request(self, request: Request) -> Response:
        """Send a request, retrying as asked, and return the final response.

        Each attempt, redirects and body included, has request.timeout seconds.
        """
        started = time.monotonic()
        attempt = 0
        plain = _is_plain_request(request)
        while True:
            attempt += 1
            try:
                async with asyncio.timeout(request.timeout):
                    if plain:
                        answer = await self._async_attempt(request)
                    else:
                        answer = await self._async_credited_attempt(request)
            except TimeoutError:
                host = host_for_messages(request.url)
                error = RequestError("timeout", host, retryable=True)
            except RequestError as err:
                error = err
            else:
                _LOGGER.debug(
                    "%s %s: HTTP %s in %.3f s (attempt %s)",
                    request.method,
                    host_for_messages(answer.url),
                    answer.status,
                    time.monotonic() - started,
                    attempt,
                )
                if answer.status not in RETRY_STATUSES or attempt > request.retries:
                    elapsed = time.monotonic() - started
                    return Response(*answer, attempts=attempt, elapsed=elapsed)
                delay = retry_after(answer.headers)
                if delay is None:
                    delay = _backoff(attempt)
                await _async_wait_retry(request, delay)
                continue
            _LOGGER.debug(
                "%s %s: %s (attempt %s)",
                request.method,
                host_for_messages(request.url),
                error.translation_key,
                attempt,
            )
            if not error.retryable or attempt > request.retries:
                raise error
            await _async_wait_retry(request, _backoff(attempt))

    async def _async_credited_attempt(self, request: Request) -> _Answer:
        """Send one attempt in the request's session or with its route's credentials."""
        if request.session is not None:  # a login's own request
            return await self._async_attempt(request, session=request.session)
        if (source := request.route.token_source) is not None:
            return await self._async_authorized_attempt(request, source)
        assert request.route.login is not None  # noqa: S101 - async_request checked
        return await self._async_session_attempt(request, request.route.login)

    async def _async_session_attempt(
        self, request: Request, source: SessionSource
    ) -> _Answer:
        """Send one attempt in the login session; if it ended, log in and resend once.

        The session ended when its origin answers 401 or 403. The Set-Cookie
        headers of an answer from that origin are session: they are taken out.
        """
        session = await source.async_session()
        answer = await self._async_attempt(request, session=session)
        if answer.status in _SESSION_ENDED and origin_of(answer.url) == session.origin:
            _LOGGER.debug(
                "%s: HTTP %s, logging in again",
                host_for_messages(answer.url),
                answer.status,
            )
            session = await source.async_session(stale=session)
            answer = await self._async_attempt(request, session=session)
        if (
            hdrs.SET_COOKIE in answer.headers
            and origin_of(answer.url) == session.origin
        ):
            headers = CIMultiDict(answer.headers)
            headers.popall(hdrs.SET_COOKIE)
            return answer._replace(headers=CIMultiDictProxy(headers))
        return answer

    async def _async_authorized_attempt(
        self, request: Request, source: TokenSource
    ) -> _Answer:
        """Send one attempt with the source's token; on a 401, once more with a new one.

        A call's own Authorization header replaces the token.
        """
        if any(name.lower() == "authorization" for name in request.headers):
            return await self._async_attempt(request)
        token = await source.async_token()
        answer = await self._async_attempt(request, token)
        if answer.status != HTTPStatus.UNAUTHORIZED or origin_of(
            answer.url
        ) != origin_of(request.url):
            return answer
        _LOGGER.debug("%s: HTTP 401, new token", host_for_messages(request.url))
        token = await source.async_token(stale=token)
        return await self._async_attempt(request, token)

    async def _async_attempt(
        self,
        request: Request,
        token: str | None = None,
        *,
        session: Session | None = None,
    ) -> _Answer:
        """Send one attempt, following redirects hop by hop."""
        route = request.route
        method, url, body = request.method, request.url, request.body
        call_headers = CIMultiDict(request.headers)
        same_origin = True
        for _ in range(MAX_REDIRECTS + 1):
            http = jar = None
            extra: tuple[tuple[str, str], ...] = ()
            if session is not None:
                http = session.http
                if origin_of(url) == session.origin:
                    jar, extra = session.jar, _session_headers(session, url)
            headers, digest_auth = _hop_headers(
                request, call_headers, same_origin=same_origin, token=token, extra=extra
            )
            query = route.scoped_query if same_origin else None
            answer = await self._async_hop(
                request,
                _Hop(method, url, body, headers, digest_auth, query, http, jar),
            )
            if isinstance(answer, _Answer):
                return answer
            try:
                url = redirect_target(url, answer.location)
            except UrlError:
                raise RequestError(
                    "invalid_redirect", host_for_messages(request.url)
                ) from None
            if route.scoped_query is not None:
                url = _without_key(url, route, request.url)
            same_origin = origin_of(url) == origin_of(request.url)
            if _redirect_drops_body(answer.status, method):
                method, body = "GET", None
                for name in _BODY_HEADERS:
                    call_headers.popall(name, None)
        raise RequestError("too_many_redirects", host_for_messages(request.url))

    async def _async_hop(self, request: Request, hop: _Hop) -> _Answer | _Redirect:
        """Send one hop; return its answer, or the redirect to follow.

        A body from a source (a file) is opened for this hop and closed after it.
        """
        if _is_plain(hop.body):
            return await self._async_send(request, hop, hop.body)
        async with hop.body.open() as payload:
            return await self._async_send(request, hop, payload)

    def _http_of(self, hop: _Hop) -> aiohttp.ClientSession:
        """Return a hop's aiohttp session: a login profile's own, or the client's."""
        if hop.http is None:
            return self._session
        if hop.http.closed:  # the login session closed with its profile
            raise RequestError("cannot_connect", host_for_messages(hop.url))
        return hop.http

    async def _async_send(
        self, request: Request, hop: _Hop, data: bytes | Payload | None
    ) -> _Answer | _Redirect:
        """Send one hop with its body ready to go."""
        middlewares: tuple[aiohttp.ClientMiddlewareType, ...] | None = None
        if hop.digest_auth is not None:
            digest = aiohttp.DigestAuthMiddleware(*hop.digest_auth)
            middlewares = (*self._middlewares, digest)
        route = request.route
        headers, proxy_headers = hop.headers, None
        if route.proxy_authorization is not None:
            headers, proxy_headers = _with_proxy_auth(hop, route.proxy_authorization)
        sent_url = hop.url
        if hop.query is not None and hop.query[0] not in hop.url.query:
            sent_url = hop.url.extend_query((hop.query,))
        try:
            async with self._http_of(hop).request(
                hop.method,
                sent_url,
                headers=headers,
                data=data,
                allow_redirects=False,
                ssl=route.ssl(request.verify_ssl),
                middlewares=middlewares,
                proxy=route.proxy,
                proxy_headers=proxy_headers,
                timeout=_NO_CLIENT_TIMEOUT,
                auto_decompress=not _SELF_INFLATE,
            ) as response:
                if hop.jar is not None:
                    _keep_cookies(hop.jar, response.headers, hop.url)
                location = response.headers.get(hdrs.LOCATION)
                if (
                    request.allow_redirects
                    and response.status in _REDIRECT_STATUSES
                    and location is not None
                ):
                    await _async_drain(response)
                    return _Redirect(response.status, location)
                body = await _async_read_body(response, hop.method, request, hop.url)
        except (aiohttp.ClientError, OSError, zlib.error) as err:
            raise _failure(
                err, hop.url, request.max_response_size, route.proxy
            ) from None
        # Test doubles of aiohttp's response (aioclient_mock) have no reason.
        reason = route.without_key(getattr(response, "reason", None) or "")
        return _Answer(response.status, reason, hop.url, response.headers, body)


def _is_plain_request(request: Request) -> bool:
    """Return whether a request goes in no login session and without a token."""
    route = request.route
    return (
        request.session is None and route.token_source is None and route.login is None
    )


def _is_plain(body: bytes | BodySource | None) -> TypeIs[bytes | None]:
    """Return whether a body is given as bytes (or absent), not opened from a source."""
    return body is None or isinstance(body, bytes)


async def _async_wait_retry(request: Request, delay: float) -> None:
    """Wait before the next attempt."""
    _LOGGER.debug(
        "%s %s: retrying in %.2f s",
        request.method,
        host_for_messages(request.url),
        delay,
    )
    await asyncio.sleep(delay)


def _backoff(attempt: int) -> float:
    """Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at 30 s."""
    ceiling = min(RETRY_BACKOFF_CAP, RETRY_BACKOFF_START * 2.0 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the Retry-After delay in seconds, capped, or None.

    Seconds are ASCII digits only; anything that is neither that nor an HTTP date
    means "use the normal backoff".
    """
    value = headers.get(hdrs.RETRY_AFTER, "").strip()
    if value.isascii() and value.isdigit():
        return min(float(value), RETRY_AFTER_CAP)
    try:
        when: datetime = parsedate_to_datetime(value)
    except TypeError, ValueError, IndexError, OverflowError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delay = (when - datetime.now(UTC)).total_seconds()
    return min(max(delay, 0.0), RETRY_AFTER_CAP)


def echo_pattern(value: str) -> re.Pattern[str]:
    """Return a pattern of value as a server may echo it into a URL or text.

    Each character as written or percent-encoded (once or more: a URL inside a
    parameter is encoded again), in any case; a space and a plus stand for each
    other, as in a form-encoded query.
    """
    parts = []
    for char in value:
        forms = [re.escape(char)]
        chars = (" ", "+") if char in " +" else (char,)
        for each in chars:
            encoded = each.encode("utf-8", "surrogatepass")
            forms.append("".join(f"%(?:25)*{byte:02x}" for byte in encoded))
        if char in " +":
            forms.append(r"[ +]")
        parts.append(f"(?:{'|'.join(forms)})")
    return re.compile("".join(parts), re.IGNORECASE)


def _without_key(url: URL, route: Route, first: URL) -> URL:
    """Return a redirect target with the scoped query value taken out of it.

    The parameter itself goes (the hop adds it back on its origin); the value goes
    wherever else the server echoed it: under another name, inside another
    parameter (a login page's next=), in the path, in the fragment. A host that
    holds it, or an echo left after one pass (nested on purpose), is refused.
    """
    name, _ = route.scoped_query or ("", "")
    if name in url.query:
        url = url.without_query_params(name)
    echo = route.key_echo
    if echo is None:
        return url
    if echo.search(url.raw_host or "") or echo.search(url.host or ""):
        raise RequestError("invalid_redirect", host_for_messages(first))
    tail = url.raw_path_qs
    if url.raw_fragment:
        tail = f"{tail}#{url.raw_fragment}"
    if echo.search(tail) is None:
        return url
    tail = echo.sub("", tail)
    if echo.search(tail) is not None:
        raise RequestError("invalid_redirect", host_for_messages(first))
    if not tail.startswith("/"):
        tail = f"/{tail}"
    try:
        return URL(f"{url.origin()}{tail}", encoded=True)
    except ValueError:
        raise RequestError("invalid_redirect", host_for_messages(first)) from None


def _redirect_drops_body(status: int, method: str) -> bool:
    """Return whether a redirect turns the request into a GET without a body."""
    if status == HTTPStatus.SEE_OTHER:
        return method != "HEAD"
    return status in (HTTPStatus.MOVED_PERMANENTLY, HTTPStatus.FOUND) and (
        method == "POST"
    )


def _session_headers(session: Session, url: URL) -> tuple[tuple[str, str], ...]:
    """Return the session's Cookie (the jar's cookies for url) and login header.

    url lies on the session's origin, and the jar holds only cookies that
    origin's host set (it refuses a Domain the host does not match): the host
    matches them all. What is left of the jar's filter (RFC 6265 5.4) is the
    path and Secure; reading the jar drops the expired cookies. That costs a
    fourth of filter_cookies, which builds a new SimpleCookie for every hop.
    """
    if not session.jar:  # no cookie yet: the jar is not searched
        return session.headers
    path, secure = url.path or "/", url.scheme == "https"
    cookie = "; ".join(
        f"{morsel.key}={morsel.coded_value}"
        for morsel in session.jar
        if (secure or not morsel["secure"]) and _path_matches(path, morsel["path"])
    )
    if not cookie:
        return session.headers
    return ((hdrs.COOKIE, cookie), *session.headers)


def _path_matches(path: str, cookie_path: str) -> bool:
    """Return whether a request path path-matches a cookie's path (RFC 6265 5.1.4)."""
    if cookie_path in ("/", path):
        return True
    if not path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or path[len(cookie_path)] == "/"


def _keep_cookies(jar: aiohttp.CookieJar, headers: MultiMapping[str], url: URL) -> None:
    """Put an answer's cookies in the session's jar; unparsable lines are dropped."""
    if hdrs.SET_COOKIE not in headers:
        return
    lines = headers.getall(hdrs.SET_COOKIE)
    try:
        jar.update_cookies_from_headers(lines, url)
    except CookieError, ValueError, TypeError, KeyError:
        for line in lines:  # the lines aiohttp can parse, one at a time
            with suppress(CookieError, ValueError, TypeError, KeyError):
                jar.update_cookies_from_headers([line], url)


def _hop_headers(
    request: Request,
    call_headers: CIMultiDict[str],
    *,
    same_origin: bool,
    token: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> tuple[Mapping[str, str], tuple[str, str] | None]:
    """Return the headers and digest credentials of one hop.

    A call's header replaces a scoped one of the same name; a call's own
    Authorization turns digest auth off. On another origin, only the call's
    headers that are not credentials go. A token goes as a scoped header, and
    so do the extra ones (a login session's, on its origin).
    """
    if not same_origin:
        headers = CIMultiDict(
            (name, value)
            for name, value in call_headers.items()
            if name.lower() not in _ORIGIN_BOUND_HEADERS
        )
        return _with_accept_encoding(headers), None
    digest_auth = None if hdrs.AUTHORIZATION in call_headers else request.digest_auth
    scoped = request.scoped_headers
    if token is not None:
        scoped = (*scoped, (hdrs.AUTHORIZATION, f"Bearer {token}"))
    if extra:
        scoped = (*scoped, *extra)
    if not scoped:
        return _with_accept_encoding(call_headers), digest_auth
    headers = CIMultiDict(scoped)
    for name, value in call_headers.items():
        headers[name] = value
    return _with_accept_encoding(headers), digest_auth


def _with_accept_encoding(headers: CIMultiDict[str]) -> CIMultiDict[str]:
    """Ask only for encodings the client inflates itself, where it must (inflate.py)."""
    if _SELF_INFLATE and hdrs.ACCEPT_ENCODING not in headers:
        headers = CIMultiDict(headers)
        headers[hdrs.ACCEPT_ENCODING] = ACCEPT_ENCODING
    return headers


def _with_proxy_auth(
    hop: _Hop, value: str
) -> tuple[Mapping[str, str], dict[str, str] | None]:
    """Return the hop's headers and proxy headers with the proxy's credentials.

    An https hop goes through CONNECT: the credentials go in that request only.
    A plain http hop is sent to the proxy itself, which takes them off.
    """
    if hop.url.scheme == "https":
        return hop.headers, {hdrs.PROXY_AUTHORIZATION: value}
    headers = CIMultiDict(hop.headers)
    headers[hdrs.PROXY_AUTHORIZATION] = value
    return headers, None


def _failure(
    err: BaseException, url: URL, limit: int, proxy: URL | None = None
) -> RequestError:
    """Map an aiohttp or socket error to a translated, maybe retryable, error."""
    host = host_for_messages(url)
    _LOGGER.debug("%s on %s", type(err).__name__, host)
    if proxy is not None and isinstance(
        err, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError
    ):
        # The proxy can't be reached, or refused the tunnel (407 and the like).
        status = str(getattr(err, "status", "")) or "-"
        return RequestError(
            "proxy_error",
            host,
            retryable=isinstance(err, aiohttp.ClientProxyConnectionError),
            proxy=host_for_messages(proxy),
            status=status,
        )
    if isinstance(err, SSRFRedirectError):
        # HA's shared session refuses redirects from outside to a local address.
        return RequestError("redirect_blocked", host)
    if isinstance(err, aiohttp.ClientSSLError):
        return RequestError("ssl_error", host)
    if _is_decompress_limit(err):
        # aiohttp < 3.14 inflates a whole read at once, up to 32 MiB.
        return RequestError("response_too_large", host, limit=str(limit))
    if isinstance(err, aiohttp.ClientResponseError):
        return RequestError("invalid_response", host, retryable=True)
    return RequestError("cannot_connect", host, retryable=True)


def _is_decompress_limit(err: BaseException) -> bool:
    """Return whether err comes from aiohttp's own decompression size limit."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, DecompressSizeError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _async_drain(response: aiohttp.ClientResponse) -> None:
    """Read a redirect's small body so the connection can be reused; drop a big one."""
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK_SIZE):
        size += len(chunk)
        if size > _DRAIN_LIMIT:
            response.close()
            return


async def _async_read_body(
    response: aiohttp.ClientResponse, method: str, request: Request, url: URL
) -> bytes:
    """Read the decompressed body, failing once it grows past the limit.

    With a sink, the body goes there piece by piece and b"" is returned.
    """
    limit, sink = request.max_response_size, request.sink
    if sink is not None:
        await sink.async_start(response.headers)
    if method == "HEAD":
        return b""
    if (declared := _declared_size(response)) is not None:
        if declared > limit:
            _too_large(response, url, limit)
        if sink is None:
            return await response.read()  # it can't grow past its Content-Length
    if sink is not None:
        pieces = _async_pieces(response, url, limit, _SINK_CHUNK_SIZE)
        async with aclosing(pieces):
            async for piece in pieces:
                await sink.async_write(piece)
        return b""
    pieces = _async_pieces(response, url, limit, _CHUNK_SIZE)
    return b"".join([piece async for piece in pieces])


async def _async_pieces(
    response: aiohttp.ClientResponse, url: URL, limit: int, chunk_size: int
) -> AsyncGenerator[bytes]:
    """Yield the decompressed body in pieces, failing once it grows past limit."""
    inflater = None
    if _SELF_INFLATE:
        inflater = Inflater.for_encoding(response.headers.get(hdrs.CONTENT_ENCODING))
    size = 0
    async for chunk in response.content.iter_chunked(chunk_size):
        for piece in (chunk,) if inflater is None else inflater.inflate(chunk):
            size += len(piece)
            if size > limit:
                _too_large(response, url, limit)
            yield piece


def _declared_size(response: aiohttp.ClientResponse) -> int | None:
    """Return the body size a response declares, if it binds what read() returns.

    With a Content-Encoding, Content-Length counts the compressed bytes only.
    """
    declared = response.headers.get(hdrs.CONTENT_LENGTH)
    if declared is None:
        return None
    declared = declared.lstrip("0") or "0"
    if (
        declared.isascii()
        and declared.isdigit()
        and len(declared) <= _MAX_LENGTH_DIGITS
        and hdrs.CONTENT_ENCODING not in response.headers
    ):
        return int(declared)
    return None


def _too_large(response: aiohttp.ClientResponse, url: URL, limit: int) -> None:
    """Drop the connection and raise response_too_large."""
    response.close()
    raise RequestError("response_too_large", host_for_messages(url), limit=str(limit))
