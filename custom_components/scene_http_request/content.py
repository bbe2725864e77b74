"""Turn a response body into the action's `content` value."""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from homeassistant.util.json import json_loads

CONTENT_BASE64 = "base64"
_UTF8 = frozenset({"utf-8", "utf8"})

_JSON_TYPES = frozenset({"application/json", "text/json"})
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/")
_BINARY_TYPES = frozenset(
    {
        "application/octet-stream",
        "application/pdf",
        "application/zip",
        "application/gzip",
        "application/x-protobuf",
        "application/protobuf",
        "application/cbor",
        "application/msgpack",
    }
)


@lru_cache(maxsize=64)
def parse_content_type(header: str | None) -> tuple[str | None, str | None]:
    """Return the lower-case media type and the charset of a Content-Type value.

    Cached: a server sends the same few values again and again.
    """
    if not header:
        return None, None
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
    return media_type.strip().lower() or None, charset


_JSON, _BINARY, _TEXT = "json", "binary", "text"


@lru_cache(maxsize=64)
def _kind(media_type: str | None) -> str:
    """Return how a media type's body is returned: json, binary or text."""
    if media_type is None:
        return _TEXT
    if media_type in _JSON_TYPES or media_type.endswith("+json"):
        return _JSON
    if media_type in _BINARY_TYPES or media_type.startswith(_BINARY_PREFIXES):
        return _BINARY
    return _TEXT


def decode_content(
    body: bytes, media_type: str | None, charset: str | None
) -> tuple[Any, str | None]:
    """Return (content, content_encoding) for a body; never raises.

    JSON types come back parsed (text if parsing fails), textual types as text,
    binary types and undecodable bytes as base64. An empty body gives None.
    """
    if not body:
        return None, None
    kind = _kind(media_type)
    if kind == _BINARY:
        return base64.b64encode(body).decode("ascii"), CONTENT_BASE64
    if kind == _JSON:
        # orjson reads UTF-8 bytes directly; other charsets are decoded first.
        utf8 = charset is None or charset.lower() in _UTF8
        source = body if utf8 else _decode_text(body, charset)
        if source is not None:
            try:
                return json_loads(source), None
            except ValueError:
                pass
    text = _decode_text(body, charset)
    if text is None:
        return base64.b64encode(body).decode("ascii"), CONTENT_BASE64
    return text, None


def _decode_text(body: bytes, charset: str | None) -> str | None:
    for encoding in (charset, "utf-8") if charset else ("utf-8",):
        try:
            return body.decode(encoding)
        except LookupError, UnicodeDecodeError:
            continue
    return None
