"""Every URL rule of the integration: parsing, base URLs, scope, origin and hosts.

A URL may carry an API key in its path or query: nothing here caches a URL, and
messages show host_for_messages(url), never the URL itself.
"""

from __future__ import annotations

import ipaddress
import re

from yarl import URL

type Origin = tuple[str, str, int | None]

_HOST_RE = re.compile(r"[A-Za-z0-9._\-]+")
# Characters that can't be in a URL we send: they would split the request line.
_FORBIDDEN_RE = re.compile(r"[\r\n\0\t\ud800-\udfff]")
# What a URL sent as written can't hold: spaces, controls and non-ASCII.
_RAW_UNSAFE_RE = re.compile(r"[^!-~]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class UrlError(ValueError):
    """A URL that breaks a rule; str(err) is the translation key."""

    def __init__(self, key: str, **placeholders: str) -> None:
        """Name the broken rule (a translation key) and its placeholders."""
        super().__init__(key)
        self.key = key
        self.placeholders = placeholders


def parse_url(raw: str, *, encoded: bool = False) -> URL:
    """Parse raw as a URL (absolute or relative), or raise UrlError.

    With encoded, the path and query are kept exactly as written: they must then
    be printable ASCII without spaces, since they go into the request line as is.
    """
    if _FORBIDDEN_RE.search(raw) or raw != raw.strip():
        raise UrlError("invalid_url")
    if encoded and _RAW_UNSAFE_RE.search(raw):
        raise UrlError("invalid_url")
    try:
        url = URL(raw, encoded=encoded)
        # Touch the parts that yarl computes lazily so bad hosts and ports fail here.
        _ = (url.host, url.port, url.raw_path)
    except ValueError:
        raise UrlError("invalid_url") from None
    host = url.raw_host
    if host is not None and not _HOST_RE.fullmatch(host) and not _is_ip(host):
        raise UrlError("invalid_url")
    return url


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_http_url(url: URL) -> URL:
    """Return url if it is absolute http(s) with a host and no user info."""
    if url.scheme not in _DEFAULT_PORTS:
        raise UrlError("unsupported_scheme", scheme=url.scheme)
    if not url.host:
        raise UrlError("invalid_url")
    if url.user is not None or url.password is not None:
        raise UrlError("url_has_credentials")
    return url


def resolve_url(raw: str, base: URL | None, *, encoded: bool = False) -> URL:
    """Return the absolute http(s) URL raw stands for, relative ones joined to base.

    With encoded, the path and query are sent exactly as written (parse_url).
    """
    url = parse_url(raw, encoded=encoded)
    if not url.scheme:
        if url.absolute:  # "//host/path" has no scheme to go with its host
            raise UrlError("invalid_url")
        if base is None:
            raise UrlError("relative_url_without_base")
        url = base.join(url)
    return check_http_url(url)


def normalize_base_url(raw: str) -> URL:
    """Return a profile's base URL normalized, or raise UrlError.

    The result has a lower-case host, no default port and a path ending in "/".
    """
    url = parse_url(raw)
    if not url.absolute:
        raise UrlError("invalid_url")
    check_http_url(url)
    if url.raw_query_string or url.raw_fragment:
        raise UrlError("base_url_has_query")
    path = url.raw_path if url.raw_path.endswith("/") else url.raw_path + "/"
    normalized = url.with_path(path, encoded=True)
    if url.explicit_port == _DEFAULT_PORTS[url.scheme]:
        normalized = normalized.with_port(None)
    return normalized


def normalize_proxy_url(raw: str) -> URL:
    """Return a proxy URL, http(s)://host[:port], or raise UrlError.

    Its credentials are separate settings: a URL may show in messages.
    """
    try:
        url = check_http_url(parse_url(raw))
    except UrlError:
        raise UrlError("invalid_proxy_url") from None
    if url.raw_path not in ("", "/") or url.raw_query_string or url.raw_fragment:
        raise UrlError("invalid_proxy_url")
    return url.with_path("")


def in_scope(url: URL, base: URL) -> bool:
    """Return whether an absolute URL lies under a base URL (whole path segments)."""
    if origin_of(url) != origin_of(base):
        return False
    path = url.raw_path or "/"
    return path == base.raw_path.rstrip("/") or path.startswith(base.raw_path)


def origin_of(url: URL) -> Origin:
    """Return the scheme, host and port that make a URL's origin."""
    return (url.scheme, (url.host or "").lower(), url.port)


def host_for_messages(url: URL) -> str:
    """Return the host, with a non-default port: all that messages and logs show."""
    host = url.raw_host or ""
    if ":" in host:
        host = f"[{host}]"
    if url.explicit_port is not None and not url.is_default_port():
        host = f"{host}:{url.explicit_port}"
    return host


def redirect_target(current: URL, location: str) -> URL:
    """Resolve a Location header against the current URL; plain http(s) only.

    Bytes that are not UTF-8 (lone surrogates from aiohttp) are refused: yarl
    drops or keeps them depending on its version.
    """
    if _FORBIDDEN_RE.search(location):
        raise UrlError("invalid_redirect")
    try:
        target = current.join(URL(location))
        _ = (target.host, target.port)
    except ValueError:
        raise UrlError("invalid_redirect") from None
    try:
        return check_http_url(target)
    except UrlError:
        raise UrlError("invalid_redirect") from None
