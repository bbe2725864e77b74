"""Checks shared by the action and the config flow: URLs and headers."""

from __future__ import annotations

from functools import lru_cache
import ipaddress
import re
from typing import Any

from homeassistant.exceptions import ServiceValidationError
from yarl import URL

from .const import DOMAIN

# RFC 9110 section 5.6.2: token = 1*tchar.
# Always used with fullmatch: "$" would also match before a trailing newline.
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HOST_RE = re.compile(r"[A-Za-z0-9._\-]+")
# RFC 9110 section 5.5: field values hold no control character but HTAB; a lone
# surrogate can't be encoded at all.
_FORBIDDEN_VALUE_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
_URL_FORBIDDEN_RE = re.compile(r"[\r\n\0\t\ud800-\udfff]")
# Framing and connection headers belong to the client: a caller's value would make
# the message ambiguous (RFC 9112 section 6.3) or break the connection.
RESERVED_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated validation error of this integration.

    Placeholders echo the caller's input: they are shortened and made printable.
    """
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={
            name: _printable(value) for name, value in placeholders.items()
        }
        or None,
    )


def _printable(text: str) -> str:
    """Return text shortened, with surrogates and control characters escaped."""
    text = text[:64].encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL_RE.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def is_header_name(name: str) -> bool:
    """Return whether name is an RFC 9110 token."""
    return _TOKEN_RE.fullmatch(name) is not None


def is_header_value(value: str) -> bool:
    """Return whether value has no control character (but HTAB) nor surrogate."""
    return _FORBIDDEN_VALUE_RE.search(value) is None


def is_allowed_header(name: str, value: str) -> bool:
    """Return whether a profile may store this header (name, value and not reserved)."""
    return (
        is_header_name(name) and not is_reserved_header(name) and is_header_value(value)
    )


def is_encodable(text: str) -> bool:
    """Return whether UTF-8 can encode text (it has no lone surrogate)."""
    return _SURROGATE_RE.search(text) is None


def is_reserved_header(name: str) -> bool:
    """Return whether the client alone may set this header (framing, connection)."""
    return name.lower() in RESERVED_HEADERS


def header_value_to_str(value: Any) -> str:
    """Stringify a header value given as text, number or boolean."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise TypeError


def checked_headers(headers: dict[Any, Any]) -> dict[str, str]:
    """Return headers as strings, or raise a translated validation error."""
    checked: dict[str, str] = {}
    for raw_name, raw_value in headers.items():
        name = str(raw_name)
        if not is_header_name(name):
            raise validation_error("invalid_header_name", name=name)
        if is_reserved_header(name):
            raise validation_error("reserved_header", name=name)
        try:
            value = header_value_to_str(raw_value)
        except TypeError:
            raise validation_error("invalid_header_value", name=name) from None
        if not is_header_value(value):
            raise validation_error("invalid_header_value", name=name)
        checked[name] = value
    return checked


@lru_cache(maxsize=256)
def parse_http_url(raw: str) -> URL | None:
    """Parse raw as a URL, or return None when it is not one.

    Cached: automations send to the same few URLs again and again, and URLs are
    immutable.
    """
    if _URL_FORBIDDEN_RE.search(raw) or raw != raw.strip():
        return None
    try:
        url = URL(raw)
        # Touch the parts that yarl computes lazily so bad hosts/ports fail here.
        _ = (url.host, url.port, url.raw_path)
    except ValueError:
        return None
    host = url.raw_host
    if host is not None and not _HOST_RE.fullmatch(host) and not _is_ip(host):
        return None
    return url


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def origin_of(url: URL) -> tuple[str, str, int | None]:
    """Return scheme, host and port that make the URL's origin."""
    return (url.scheme, (url.host or "").lower(), url.port)


def normalize_base_url(raw: str) -> URL:
    """Normalize a profile's base URL or raise ValueError with a reason key.

    The result has a lower-case host, no default port and a path that ends in "/".
    """
    url = parse_http_url(raw)
    if url is None or not url.absolute:
        raise ValueError("invalid_url")
    if url.scheme not in _DEFAULT_PORTS:
        raise ValueError("unsupported_scheme")
    if url.user is not None or url.password is not None:
        raise ValueError("url_has_credentials")
    if url.raw_query_string or url.raw_fragment:
        raise ValueError("base_url_has_query")
    path = url.raw_path if url.raw_path.endswith("/") else url.raw_path + "/"
    normalized = url.with_path(path, encoded=True)
    if url.explicit_port == _DEFAULT_PORTS[url.scheme]:
        normalized = normalized.with_port(None)
    return normalized
