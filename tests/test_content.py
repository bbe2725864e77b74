"""Unit tests for turning response bodies into the action's content."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from homeassistant.helpers.json import json_bytes
from multidict import CIMultiDict
import pytest

from custom_components.scene_http_request.content import (
    MAX_JSON_DEPTH,
    SLICE,
    TEXT_CHARSETS,
    async_response_headers,
    decode_content,
    parse_content_type,
    safe_text,
    template_variables,
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, (None, None)),
        ("", (None, None)),
        ("Application/JSON", ("application/json", None)),
        ('text/plain; charset="ISO-8859-1"', ("text/plain", "iso-8859-1")),
        ("text/plain; charset=Shift_JIS", ("text/plain", "shift_jis")),
        # Codecs that are not text encodings, or not linear, are ignored.
        ("text/plain; charset=punycode", ("text/plain", None)),
        ("text/plain; charset=undefined", ("text/plain", None)),
        ("text/plain; charset=utf-7", ("text/plain", None)),
        ("text/plain; charset=rot13", ("text/plain", None)),
        ("text/plain; charset=zlib", ("text/plain", None)),
        ("text/plain; charset=base64", ("text/plain", None)),
        ("text/plain; charset=idna", ("text/plain", None)),
        ("text/plain; charset=no-such-codec", ("text/plain", None)),
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


def _content(body: bytes, content_type: str) -> tuple[Any, str | None]:
    return decode_content(body, *parse_content_type(content_type))


def test_hostile_charset_decodes_as_utf8() -> None:
    """charset=punycode (quadratic) is ignored: the body is read as UTF-8."""
    body = b"a" * 200_000
    assert _content(body, "text/plain; charset=punycode") == (body.decode(), None)
    assert _content(b"caf\xc3\xa9", "text/plain; charset=undefined") == ("café", None)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"+2D3cAA-", "text/plain; charset=utf-7"),
        (b"\x00\xd8a\x00", "text/plain; charset=utf-16le"),
        (b"\x00\x00\xd8\x00", "text/plain; charset=utf-32-be"),
        (b'"\\ud800"', "application/json"),
        (b"\xed\xa0\x80", "text/plain"),
    ],
)
def test_content_never_holds_a_lone_surrogate(body: bytes, content_type: str) -> None:
    """Whatever the charset says, the content passes HA's JSON encoder."""
    content, encoding = _content(body, content_type)
    json_bytes({"content": content})
    if encoding == "base64":
        assert base64.b64decode(content) == body


def test_every_accepted_charset_is_a_codec() -> None:
    """Each accepted label names a codec that decodes text."""
    for label in TEXT_CHARSETS:
        assert isinstance(b"abcd".decode(label), str), label


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("caf\u00e9", "caf\u00e9"),
        (b"caf\xe9".decode("utf-8", "surrogateescape"), "caf\ufffd"),
        ("\ud800x", "\ufffdx"),
    ],
)
def test_safe_text(text: str, expected: str) -> None:
    """Bytes that are not UTF-8 (kept by aiohttp as surrogates) become U+FFFD."""
    assert safe_text(text) == expected


async def test_response_headers_group_names_in_any_case() -> None:
    """X-A and x-a are one header: a list, under the name as first sent."""
    headers = await async_response_headers(
        CIMultiDict(
            [("X-A", "1"), ("Content-Type", "text/plain"), ("x-a", "2"), ("X-A", "3")]
        )
    )
    assert headers == {"X-A": ["1", "2", "3"], "Content-Type": "text/plain"}


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ([("A", "1"), ("B", "2")], {"A": "1", "B": "2"}),
        ([("A", "1"), ("A", "2")], {"A": ["1", "2"]}),
        ([("A", "caf\udce9")], {"A": "caf\ufffd"}),
        ([("\udce9", "1")], {"\ufffd": "1"}),
    ],
)
async def test_response_headers(
    sent: list[tuple[str, str]], expected: dict[str, str | list[str]]
) -> None:
    """Plain headers pass as they are; repeats become lists, bad bytes U+FFFD."""
    assert await async_response_headers(CIMultiDict(sent)) == expected


async def test_big_headers_let_other_tasks_run() -> None:
    """8 MB of headers are worked a slice at a time: the loop runs a task between."""
    value = "\udcff" * 64_000  # bytes that are not UTF-8, as aiohttp keeps them
    ran_while_working = asyncio.Event()
    working = asyncio.ensure_future(
        async_response_headers(CIMultiDict([("X-A", value)] * 126))
    )
    asyncio.get_running_loop().call_soon(ran_while_working.set)
    await asyncio.sleep(0)
    assert ran_while_working.is_set()
    assert not working.done()
    headers = await working
    assert headers["X-A"] == ["\ufffd" * 64_000] * 126


def test_big_json_is_parsed() -> None:
    """JSON of any size the call let through is parsed (it was text over 512 KiB)."""
    body = b"[" + b"1," * (3 * 1024 * 1024 // 2) + b"1]"
    content, encoding = decode_content(body, "application/json", None)
    assert encoding is None
    assert isinstance(content, list)
    assert len(content) == 3 * 1024 * 1024 // 2 + 1


def _nested(depth: int, inner: bytes = b"") -> bytes:
    return (
        b'{"a":[' * (depth // 2)
        + b"[" * (depth % 2)
        + inner
        + (b"]" * (depth % 2) + b"]}" * (depth // 2))
    )


@pytest.mark.parametrize(
    "inner",
    [b"", b"1", b'"[[[{{{"', rb'"\\"', rb'"\"]]]"', rb'"\\\"[["', rb'"\u005b"'],
)
def test_json_deeper_than_ha_can_encode_is_text(inner: bytes) -> None:
    """Nesting past MAX_JSON_DEPTH is text; up to it, parsed and encodable.

    Brackets and escapes inside strings do not count.
    """
    deep = _nested(MAX_JSON_DEPTH + 1, inner)
    assert decode_content(deep, "application/json", None) == (deep.decode(), None)
    utf16 = deep.decode().encode("utf-16-le")
    assert decode_content(utf16, "application/json", "utf-16le") == (
        deep.decode(),
        None,
    )
    fits = _nested(MAX_JSON_DEPTH, inner)
    content, encoding = decode_content(fits, "application/json", None)
    assert encoding is None
    assert not isinstance(content, str)
    json_bytes({"a": {"b": {"c": {"d": {"e": {"f": {"g": content}}}}}}})
    # Many shallow containers, strings full of brackets: parsed.
    wide = b"[" + b",".join([b'["]]]]", {"[": [[]]}]'] * 100) + b"]"
    assert isinstance(decode_content(wide, "application/json", None)[0], list)


def test_big_bodies_decode_a_slice_at_a_time() -> None:
    """Slices join into the same text and base64 as one decode, across boundaries."""
    text = "é" * (SLICE + 7)  # 2-byte characters straddle every slice boundary
    body = text.encode()
    assert decode_content(body, "text/plain", None) == (text, None)
    utf16 = text.encode("utf-16-le")
    assert decode_content(utf16, "text/plain", "utf-16le") == (text, None)
    binary = bytes(range(256)) * (SLICE // 100)
    content, encoding = decode_content(binary, "image/png", None)
    assert encoding == "base64"
    assert content == base64.b64encode(binary).decode()
    broken = body[:-1]  # cut in the middle of the last character
    assert decode_content(broken, "text/plain", None)[1] == "base64"


@pytest.mark.parametrize(
    ("charset", "expected"),
    [
        (None, "ab" * SLICE),
        ("utf-8", "ab" * SLICE),
        ("us-ascii", "ab" * SLICE),
        # In UTF-16 the same ASCII bytes are other characters: not decoded as ASCII.
        ("utf-16le", ("ab" * SLICE).encode().decode("utf-16le")),
        # ESC $ B switches ISO-2022-JP to JIS X 0208, all in ASCII bytes.
        ("iso-2022-jp", ("\x1b$B" + "F|" * SLICE).encode().decode("iso-2022-jp")),
    ],
)
def test_ascii_bodies_decode_in_their_charset(
    charset: str | None, expected: str
) -> None:
    """A body of ASCII bytes is decoded at once only where ASCII means itself."""
    body = expected.encode(charset or "utf-8")
    assert body.isascii()
    assert decode_content(body, "text/plain", charset) == (expected, None)


@pytest.mark.parametrize(
    ("text", "variables"),
    [
        ("plain", frozenset()),
        ("{{ password }}", frozenset({"password"})),
        (
            "{{ username | urlencode }}:{{ password }}",
            frozenset({"username", "password"}),
        ),
        (
            "{% for c in password %}{% break %}{% endfor %}",
            frozenset({"password"}),
        ),
        (
            "{% set x = [] %}{% do x.append(username) %}{{ x }}",
            frozenset({"x", "username"}),
        ),
        # Home Assistant's own filters and tests are not known here: syntax only.
        ("{{ password | base64_encode }}", frozenset({"password"})),
        ("{{ username | md5 }}{{ 1 is is_number }}", frozenset({"username"})),
        ("{{ password | no_such_filter }}", frozenset({"password"})),
        ("{{ password ", None),
        ("{% if %}", None),
        ("{{" * 5000 + "x" + "}}" * 5000, None),
    ],
)
def test_template_variables(text: str, variables: frozenset[str] | None) -> None:
    """A template's variables, with HA's syntax; None if it does not parse."""
    assert template_variables(text) == variables
