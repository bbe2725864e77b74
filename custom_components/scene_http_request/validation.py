"""Checks of what a caller gives: header names and values, text, and their errors."""

from __future__ import annotations

import re
from typing import Any

from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN

# RFC 9110 section 5.6.2: token = 1*tchar.
# Always used with fullmatch: "$" would also match before a trailing newline.
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 section 5.5: field values hold no control character but HTAB; a lone
# surrogate can't be encoded at all.
_FORBIDDEN_VALUE_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
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


def validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated validation error of this integration.

    Placeholders echo the caller's input: they are shortened and made printable.
    """
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={
            name: printable(value) for name, value in placeholders.items()
        }
        or None,
    )


def printable(text: str) -> str:
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
