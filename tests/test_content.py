"""Unit tests for turning response bodies into the action's content."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from custom_components.scene_http_request.content import (
    decode_content,
    parse_content_type,
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, (None, None)),
        ("", (None, None)),
        ("Application/JSON", ("application/json", None)),
        ('text/plain; charset="ISO-8859-1"', ("text/plain", "ISO-8859-1")),
        ("text/html; q=1; Charset=utf-8", ("text/html", "utf-8")),
        ("text/plain; charset=", ("text/plain", None)),
    ],
)
def test_parse_content_type(
    header: str | None, expected: tuple[str | None, str | None]
) -> None:
    """Media type is lower-cased; the charset parameter is found in any case."""
    assert parse_content_type(header) == expected


@pytest.mark.parametrize(
    ("body", "media_type", "charset", "expected"),
    [
        (b"", "application/json", None, (None, None)),
        (b'{"a": 1}', "application/json", None, ({"a": 1}, None)),
        (b'{"a": 1}', "application/json", "UTF-8", ({"a": 1}, None)),
        (b"[1, 2]", "application/geo+json", None, ([1, 2], None)),
        (b'"\xe9t\xe9"', "application/json", "latin-1", ("été", None)),
        (b"{bad", "application/json", "latin-1", ("{bad", None)),
        (b"{bad", "text/json", None, ("{bad", None)),
        (b"caf\xc3\xa9", "text/plain", None, ("café", None)),
        (b"caf\xe9", "text/plain", "windows-1252", ("café", None)),
        (b"<a/>", "application/xml", None, ("<a/>", None)),
    ],
)
def test_decode_text_and_json(
    body: bytes,
    media_type: str,
    charset: str | None,
    expected: tuple[Any, str | None],
) -> None:
    """JSON parses (else text), text decodes by charset, else UTF-8."""
    assert decode_content(body, media_type, charset) == expected


@pytest.mark.parametrize(
    ("body", "media_type", "charset"),
    [
        (b"\x89PNG\r\n", "image/png", None),
        (b"ID3", "audio/mpeg", None),
        (b"%PDF", "application/pdf", None),
        (b"plain", "application/octet-stream", None),
        (b"caf\xe9", "text/plain", None),
        (b"\xff\xfe{", "application/json", None),
        (b"\xff{", "application/json", "ascii"),
        (b"caf\xe9", None, None),
    ],
)
def test_decode_binary(
    body: bytes, media_type: str | None, charset: str | None
) -> None:
    """Binary types and undecodable bytes come back as base64, never an error."""
    content, encoding = decode_content(body, media_type, charset)
    assert encoding == "base64"
    assert base64.b64decode(content) == body
