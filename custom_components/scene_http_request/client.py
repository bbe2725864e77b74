"""HTTP work of the action: one request with redirects, retries and a size cap.

Nothing here logs or raises anything that holds a header value, a body, a path or a
query string: only the method, the host, the status and timings.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
import logging
import random
import time
import zlib

import aiohttp
from aiohttp import hdrs
from aiohttp.http_exceptions import DecompressSizeError
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import SSRFRedirectError
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .const import (
    AUTH_BASIC,
    AUTH_BEARER,
    AUTH_DIGEST,
    DOMAIN,
    MAX_REDIRECTS,
    RETRY_AFTER_CAP,
    RETRY_BACKOFF_CAP,
    RETRY_BACKOFF_START,
    RETRY_STATUSES,
)
from .deadline import Deadlines
from .inflate import ACCEPT_ENCODING, Inflater
from .profile import Profile
from .validation import origin_of

_LOGGER = logging.getLogger(__name__)

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers a per-call value may carry to the first origin only.
_ORIGIN_BOUND_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")
_BODY_HEADERS = ("Content-Type", "Content-Length", "Content-Encoding")
_CHUNK_SIZE = 64 * 1024
# Each attempt has a deadline that covers redirects and the body too.
_NO_CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=None)
_async_sleep = asyncio.sleep  # replaced by tests that check retry delays
# aiohttp < 3.14 inflates up to 32 MiB per read before anyone can count: there the
# client takes the body as sent and inflates it itself (inflate.py).
_AIOHTTP_VERSION = tuple(int(part) for part in aiohttp.__version__.split(".")[:2])
_SELF_INFLATE = _AIOHTTP_VERSION < (3, 14)


class HttpRequestError(HomeAssistantError):
    """A request that failed; the message names the host only."""

    def __init__(self, key: str, host: str, **placeholders: str) -> None:
        """Build a translated error for key about host."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"host": host, **placeholders},
        )


class _RetryableError(Exception):
    """An attempt that failed in a way a retry may fix."""

    def __init__(self, error: HttpRequestError) -> None:
        super().__init__()
        self.error = error


# Not frozen: a frozen dataclass's __init__ costs three times as much, on every call.
@dataclass(slots=True, kw_only=True)
class RequestOptions:
    """Everything needed to send one request."""

    method: str
    url: URL
    headers: Mapping[str, str]
    body: bytes | None = None
    timeout: float
    verify_ssl: bool
    allow_redirects: bool = True
    retries: int = 0
    max_response_size: int
    profile: Profile | None = None


@dataclass(slots=True)
class HttpResult:
    """The final response of a request, body capped and fully read."""

    status: int
    reason: str
    url: URL
    headers: CIMultiDictProxy[str]
    body: bytes
    attempts: int
    elapsed: float


def host_of(url: URL) -> str:
    """Return the host (with a non-default port) for messages and logs."""
    host = url.raw_host or ""
    if ":" in host:
        host = f"[{host}]"
    if url.explicit_port is not None and not url.is_default_port():
        host = f"{host}:{url.explicit_port}"
    return host


async def async_request(
    session: aiohttp.ClientSession, options: RequestOptions, deadlines: Deadlines
) -> HttpResult:
    """Send a request, retrying as asked, and return the final response.

    Each attempt, redirects and body included, has options.timeout seconds.
    """
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        failure: HttpRequestError | None = None
        retry_after: float | None = None
        deadline = deadlines.start(options.timeout)
        try:
            status, reason, url, headers, body = await _async_attempt(session, options)
        except asyncio.CancelledError:
            if not deadline.finish(cancelled=True):
                raise
            failure = HttpRequestError("timeout", host_of(options.url))
        except _RetryableError as err:
            failure = err.error
        else:
            if _LOGGER.isEnabledFor(logging.DEBUG):
                _LOGGER.debug(
                    "%s %s: HTTP %s in %.3f s (attempt %s)",
                    options.method,
                    host_of(url),
                    status,
                    time.monotonic() - started,
                    attempt,
                )
            if status not in RETRY_STATUSES or attempt > options.retries:
                return HttpResult(
                    status=status,
                    reason=reason,
                    url=url,
                    headers=headers,
                    body=body,
                    attempts=attempt,
                    elapsed=time.monotonic() - started,
                )
            retry_after = _retry_after(headers)
        finally:
            deadline.finish()
        if failure is not None:
            _LOGGER.debug(
                "%s %s: %s after %.3f s (attempt %s)",
                options.method,
                host_of(options.url),
                failure.translation_key,
                time.monotonic() - started,
                attempt,
            )
            if attempt > options.retries:
                raise failure
        delay = retry_after if retry_after is not None else _backoff(attempt)
        _LOGGER.debug(
            "%s %s: retrying in %.2f s", options.method, host_of(options.url), delay
        )
        await _async_sleep(delay)


def _backoff(attempt: int) -> float:
    """Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at 30 s."""
    ceiling = min(RETRY_BACKOFF_CAP, RETRY_BACKOFF_START * 2.0 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto


def _retry_after(headers: CIMultiDictProxy[str]) -> float | None:
    """Return the Retry-After delay in seconds, capped, or None."""
    raw = headers.get(hdrs.RETRY_AFTER)
    if raw is None:
        return None
    value = raw.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP)
    try:
        when: datetime = parsedate_to_datetime(value)
    except TypeError, ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delay = (when - datetime.now(UTC)).total_seconds()
    return min(max(delay, 0.0), RETRY_AFTER_CAP)


async def _async_attempt(
    session: aiohttp.ClientSession, options: RequestOptions
) -> tuple[int, str, URL, CIMultiDictProxy[str], bytes]:
    """Send one attempt, following redirects by hand so secrets stay scoped."""
    method = options.method
    url = options.url
    body = options.body
    origin: tuple[str, str, int | None] | None = None  # computed on a redirect
    call_headers = CIMultiDict(options.headers)
    hops = 0
    same_origin = True
    while True:
        headers, digest = _hop_headers(
            call_headers, options.profile, same_origin=same_origin
        )
        if _SELF_INFLATE and (headers is None or "Accept-Encoding" not in headers):
            headers = CIMultiDict(headers or {})
            headers["Accept-Encoding"] = ACCEPT_ENCODING
        try:
            async with session.request(
                method,
                url,
                headers=headers,
                data=body,
                allow_redirects=False,
                ssl=options.verify_ssl,
                middlewares=_with_digest(session, digest),
                timeout=_NO_CLIENT_TIMEOUT,
                auto_decompress=not _SELF_INFLATE,
            ) as response:
                if (
                    options.allow_redirects
                    and response.status in _REDIRECT_STATUSES
                    and (location := response.headers.get(hdrs.LOCATION)) is not None
                ):
                    # Drain a small body so the connection can be reused.
                    await _read_capped(response, method, 64 * 1024, url, lenient=True)
                    hops += 1
                    if hops > MAX_REDIRECTS:
                        raise HttpRequestError(
                            "too_many_redirects", host_of(options.url)
                        )
                    url = _redirect_target(url, location, options.url)
                    if origin is None:
                        origin = origin_of(options.url)
                    same_origin = origin_of(url) == origin
                    if (
                        response.status == HTTPStatus.SEE_OTHER and method != "HEAD"
                    ) or (
                        response.status
                        in (HTTPStatus.MOVED_PERMANENTLY, HTTPStatus.FOUND)
                        and method == "POST"
                    ):
                        method = "GET"
                        body = None
                        for name in _BODY_HEADERS:
                            call_headers.popall(name, None)
                    continue
                if method != "HEAD" and _fits(response, options.max_response_size):
                    content = await response.read()  # bounded by Content-Length
                else:
                    content = await _read_capped(
                        response, method, options.max_response_size, url
                    )
                return (
                    response.status,
                    response.reason or "",
                    url,
                    response.headers,
                    content,
                )
        except (aiohttp.ClientError, OSError, zlib.error) as err:
            raise _failure(err, url, options.max_response_size) from None


def _failure(err: BaseException, url: URL, limit: int) -> Exception:
    """Map an aiohttp or socket error to the error to raise (retryable or not)."""
    host = host_of(url)
    _LOGGER.debug("%s on %s", type(err).__name__, host)
    if isinstance(err, SSRFRedirectError):
        # HA's shared session refuses redirects from outside to a local address.
        return HttpRequestError("redirect_blocked", host)
    if isinstance(err, aiohttp.ClientSSLError):
        return HttpRequestError("ssl_error", host)
    if _is_decompress_limit(err):
        # aiohttp < 3.14 inflates a whole read at once, up to 32 MiB.
        return HttpRequestError("response_too_large", host, limit=str(limit))
    if isinstance(err, aiohttp.ClientResponseError):
        return _RetryableError(HttpRequestError("invalid_response", host))
    return _RetryableError(HttpRequestError("cannot_connect", host))


def _is_decompress_limit(err: BaseException) -> bool:
    """Return whether err comes from aiohttp's own decompression size limit."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, DecompressSizeError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _with_digest(
    session: aiohttp.ClientSession, digest: aiohttp.DigestAuthMiddleware | None
) -> tuple[aiohttp.ClientMiddlewareType, ...] | None:
    """Return the session's middlewares plus digest auth, or None to keep them.

    Passing middlewares replaces the session's own (HA's redirect guard among
    them), so they are kept in front of the digest middleware.
    """
    if digest is None:
        return None
    session_middlewares: tuple[aiohttp.ClientMiddlewareType, ...] = tuple(
        getattr(session, "_middlewares", ())
    )
    return (*session_middlewares, digest)


def _hop_headers(
    call_headers: CIMultiDict[str], profile: Profile | None, *, same_origin: bool
) -> tuple[CIMultiDict[str] | None, aiohttp.DigestAuthMiddleware | None]:
    """Return the headers (and digest middleware) for one hop.

    Profile headers and credentials only go to the first request's origin; so do
    per-call credentials (Authorization, Proxy-Authorization, Cookie).
    """
    if profile is None or not same_origin or not profile.supplies_secrets:
        if not call_headers:
            return None, None  # nothing to add to aiohttp's default headers
        if same_origin:
            return call_headers, None  # aiohttp copies them
    headers: CIMultiDict[str] = CIMultiDict()
    digest = None
    if profile is not None and same_origin:
        for name, value in profile.headers:
            headers[name] = value
        if "Authorization" not in call_headers:
            digest = _add_credentials(headers, profile)
    for name, value in call_headers.items():
        if same_origin or name.title() not in _ORIGIN_BOUND_HEADERS:
            headers[name] = value
    return headers, digest


def _add_credentials(
    headers: CIMultiDict[str], profile: Profile
) -> aiohttp.DigestAuthMiddleware | None:
    """Add the profile's bearer or basic credentials; return digest auth, if any."""
    if profile.auth_type == AUTH_BEARER:
        headers["Authorization"] = f"Bearer {profile.token}"
    elif profile.auth_type == AUTH_BASIC:
        credentials = f"{profile.username}:{profile.password}".encode()
        headers["Authorization"] = (
            f"Basic {base64.b64encode(credentials).decode('ascii')}"
        )
    elif profile.auth_type == AUTH_DIGEST:
        return aiohttp.DigestAuthMiddleware(profile.username, profile.password)
    return None


def _redirect_target(current: URL, location: str, first: URL) -> URL:
    """Resolve a Location header, refusing anything but plain http(s)."""
    try:
        target = current.join(URL(location))
        _ = (target.host, target.port)
    except ValueError:
        raise HttpRequestError("invalid_redirect", host_of(first)) from None
    if (
        target.scheme not in ("http", "https")
        or not target.host
        or target.user is not None
        or target.password is not None
    ):
        raise HttpRequestError("invalid_redirect", host_of(first))
    return target


async def _read_capped(
    response: aiohttp.ClientResponse,
    method: str,
    limit: int,
    url: URL,
    *,
    lenient: bool = False,
) -> bytes:
    """Read the decompressed body, failing once it grows past limit.

    With lenient, a body past limit is dropped instead (redirect bodies).
    """
    if method == "HEAD":
        return b""
    if (declared := _declared_size(response)) is not None:
        if declared > limit:
            return _too_large(response, url, limit, lenient=lenient)
        return await response.read()  # it can't grow past its Content-Length
    inflater = None
    if _SELF_INFLATE and not lenient:  # a dropped redirect body needs no inflating
        inflater = Inflater.for_encoding(response.headers.get(hdrs.CONTENT_ENCODING))
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK_SIZE):
        for piece in (chunk,) if inflater is None else inflater.inflate(chunk):
            size += len(piece)
            if size > limit:
                return _too_large(response, url, limit, lenient=lenient)
            chunks.append(piece)
    return b"".join(chunks)


def _declared_size(response: aiohttp.ClientResponse) -> int | None:
    """Return the body size a response declares, if it binds what read() returns.

    With a Content-Encoding, Content-Length counts the compressed bytes only.
    """
    declared = response.headers.get(hdrs.CONTENT_LENGTH, "")
    if declared.isdigit() and hdrs.CONTENT_ENCODING not in response.headers:
        return int(declared)
    return None


def _fits(response: aiohttp.ClientResponse, limit: int) -> bool:
    """Return whether the body is declared, and within limit: read() is then safe."""
    size = _declared_size(response)
    return size is not None and size <= limit


def _too_large(
    response: aiohttp.ClientResponse, url: URL, limit: int, *, lenient: bool
) -> bytes:
    """Drop the connection; return nothing when lenient, else raise."""
    response.close()
    if lenient:
        return b""
    raise HttpRequestError("response_too_large", host_of(url), limit=str(limit))
