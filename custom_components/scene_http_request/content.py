"""Turn what a server sent into values HA's JSON encoder accepts.

Everything here is hostile input: a charset may name any codec, a header may hold
bytes that are not UTF-8. Work is linear in the size of the input, nothing raises,
and no string that comes out holds a lone surrogate.
"""

from __future__ import annotations

from array import array
import asyncio
import base64
import codecs
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import gc
from http import HTTPStatus
from itertools import accumulate
import json
import re
from typing import Any, Final
from urllib.parse import quote, quote_plus

from aiohttp import hdrs
from homeassistant.core import HomeAssistant
from homeassistant.util.json import json_loads
import jinja2
from jinja2 import nodes
from multidict import MultiMapping

from .client import Response
from .const import MAX_REASON_LENGTH

# The syntax of Home Assistant's templates: Jinja with these two extensions (the
# others add filters and globals, which a parse does not look up).
_SYNTAX = jinja2.Environment(  # noqa: S701 - parsed only, never rendered
    extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"]
)

CONTENT_BASE64 = "base64"
# JSON nested deeper comes back as text. orjson parses 1024 levels but writes 254
# at most, and its writer corrupts memory (the process aborts) from about 140
# levels on, counting what wraps the response (a websocket message, a trace): 64
# leaves room for both. No real API nests that deep.
MAX_JSON_DEPTH = 64
# orjson parses in one call that holds the GIL (the slowest JSON there is takes
# about 40 ms per MiB here, see docs/performance.md): a JSON body over this size is
# turned into the response in the executor, where the depth check and the parse
# are separate holds of the GIL.
JSON_INLINE_LIMIT = 256 * 1024
# The most bytes one decoding step works on.
SLICE = 256 * 1024
_UTF8 = frozenset({"utf-8", "utf8"})
# Charsets in which ASCII bytes stand for themselves, whatever follows.
_ASCII_SUPERSETS = _UTF8 | {"us-ascii", "ascii"}
# Text encodings a body may be declared in (WHATWG labels that Python decodes in
# linear time). Any other charset (utf-7, punycode, rot13, zlib, ...) is ignored.
TEXT_CHARSETS = frozenset(
    {
        *_UTF8,
        *("utf-16", "utf-16le", "utf-16be", "us-ascii", "ascii"),
        *("iso-8859-1", "latin1", "latin-1", "iso-8859-2", "iso-8859-3"),
        *("iso-8859-4", "iso-8859-5", "iso-8859-6", "iso-8859-7", "iso-8859-8"),
        *("iso-8859-9", "iso-8859-10", "iso-8859-11", "iso-8859-13"),
        *("iso-8859-14", "iso-8859-15", "iso-8859-16", "koi8-r", "koi8-u"),
        *(f"windows-{page}" for page in range(1250, 1259)),
        *("windows-874", "ibm866", "macintosh"),
        *("shift_jis", "windows-31j", "euc-jp", "iso-2022-jp"),
        *("gb2312", "gbk", "gb18030", "big5", "big5-hkscs", "euc-kr"),
    }
)
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
# A reason phrase comes from the remote server: keep plain words only, so it cannot
# inject Markdown into a form's description.
_UNSAFE_REASON_CHARS = re.compile(r"[^A-Za-z0-9 .,'()/-]+")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

_JSON_TYPES = frozenset({"application/json", "text/json"})
# The bytes that nest JSON, and those that delimit its strings (kept to skip them).
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'[]{}"\\')
_OPENERS = bytes.maketrans(b"{}", b"[]")
# JSON with more arrays and objects comes back as text: orjson would hold the GIL
# (and so the event loop) about 20 ms for these (docs/performance.md).
MAX_JSON_CONTAINERS = 131_072
_STRING = re.compile(rb'"[^"]*"')
_STEP = bytes.maketrans(b"[]", b"\x01\xff")  # +1 and -1 as signed bytes
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


def parse_content_type(header: str | None) -> tuple[str | None, str | None]:
    """Return the lower-case media type and charset of a Content-Type value.

    A charset that is not a known text encoding is left out (None).
    """
    if not header:
        return None, None
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            label = value.strip().strip('"').lower()
            charset = label if label in TEXT_CHARSETS else None
    return media_type.strip().lower() or None, charset


def _is_json(media_type: str | None) -> bool:
    return media_type is not None and (
        media_type in _JSON_TYPES or media_type.endswith("+json")
    )


def _is_binary(media_type: str | None) -> bool:
    return media_type is not None and (
        media_type in _BINARY_TYPES or media_type.startswith(_BINARY_PREFIXES)
    )


def decode_content(
    body: bytes, media_type: str | None, charset: str | None
) -> tuple[Any, str | None]:
    """Return (content, content_encoding) for a body; never raises.

    JSON types come back parsed (text if parsing fails, or the JSON nests deeper
    than MAX_JSON_DEPTH or holds more than MAX_JSON_CONTAINERS), textual types as
    text, binary types and undecodable bytes as base64. An empty body gives None.
    charset must come from parse_content_type (a known text encoding, or None).

    Big bodies are worked on a slice at a time: in the executor, the event loop
    gets the GIL back between slices.
    """
    if not body:
        return None, None
    if _is_binary(media_type):
        return _base64(body)
    if _is_json(media_type):
        # orjson reads UTF-8 bytes directly; other charsets are decoded first.
        source: bytes | None = body
        if charset is not None and charset not in _UTF8:
            text = _decode_text(body, charset)
            source = None if text is None else text.encode()
        if source is not None and not _too_big_a_tree(source):
            try:
                return _loads(source), None
            except ValueError:
                pass
    if charset is None or charset in _ASCII_SUPERSETS:
        try:  # all ASCII: one copy at memory speed, no slices
            return body.decode("ascii"), None
        except UnicodeDecodeError:
            pass  # stops at the first other byte
    text = _decode_text(body, charset)
    if text is None:
        return _base64(body)
    return text, None


def _loads(source: bytes) -> Any:
    """Parse JSON; a big body with the cyclic GC held off.

    For a body over JSON_INLINE_LIMIT (parsed in the executor), the GC, set off
    every 2,000 new containers, ran inside orjson's hold of the GIL again and
    again (40 % of it for 1 MiB of tiny lists). It is held off, then the young
    containers are collected at once, in a GIL hold of their own.
    """
    if len(source) <= JSON_INLINE_LIMIT:
        return json_loads(source)
    enabled = gc.isenabled()
    gc.disable()
    try:
        return json_loads(source)
    finally:
        if enabled:
            gc.enable()
            gc.collect(0)


def _too_big_a_tree(source: bytes) -> bool:
    """Return whether JSON has too many containers, or nests too deep, to parse.

    orjson holds the GIL for the whole parse, about 0.14 us per array or object:
    more than MAX_JSON_CONTAINERS would keep the event loop waiting past its
    budget. Nesting deeper than MAX_JSON_DEPTH is more than HA's encoder writes.
    """
    containers = source.count(b"[") + source.count(b"{")
    return containers > MAX_JSON_CONTAINERS or (
        containers > MAX_JSON_DEPTH and _too_deep(source)
    )


def is_json(content_type: str | None) -> bool:
    """Return whether a Content-Type value names a JSON media type."""
    return _is_json(parse_content_type(content_type)[0])


def _too_deep(source: bytes) -> bool:
    """Return whether UTF-8 JSON nests deeper than MAX_JSON_DEPTH; linear, in C.

    Strings are skipped, escapes first; for valid JSON the result is exact.
    """
    structure = source.translate(_OPENERS, _NOT_STRUCTURE)
    if b"\\" in structure:
        structure = structure.replace(b"\\\\", b"").replace(b'\\"', b"")
        structure = structure.replace(b"\\", b"")
    if b'"' in structure:
        structure = _STRING.sub(b"", structure.replace(b'""', b""))
    steps = array("b", structure.translate(_STEP))
    return max(accumulate(steps), default=0) > MAX_JSON_DEPTH


def _base64(body: bytes) -> tuple[str, str]:
    view = memoryview(body)
    step = 3 * (SLICE // 3)  # whole 3-byte groups: the pieces join into one
    pieces = (
        base64.b64encode(view[at : at + step]) for at in range(0, len(body), step)
    )
    return b"".join(pieces).decode("ascii"), CONTENT_BASE64


def _decode_text(body: bytes, charset: str | None) -> str | None:
    """Return body as text in charset, else UTF-8, or None.

    The codecs of TEXT_CHARSETS decode strictly: they never yield a surrogate.
    """
    view = memoryview(body)
    for encoding in (charset, "utf-8") if charset else ("utf-8",):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            pieces = [
                decoder.decode(view[at : at + SLICE])
                for at in range(0, len(body), SLICE)
            ]
            pieces.append(decoder.decode(b"", final=True))
        except UnicodeDecodeError:
            continue
        return "".join(pieces)
    return None


def safe_text(text: str) -> str:
    """Return a header value or reason phrase with undecodable bytes replaced.

    aiohttp keeps bytes that are not UTF-8 as lone surrogates.
    """
    if _SURROGATE_RE.search(text) is None:
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte
        return _SURROGATE_RE.sub("\ufffd", text)


async def async_response_headers(
    headers: MultiMapping[str],
) -> dict[str, str | list[str]]:
    """Return headers as a dict; a repeated name (any case) has a list of values.

    The key is the name as first sent. Big headers are worked on a slice at a time,
    here on the event loop, which runs other work between slices: in the executor
    the loop would wait for the GIL instead (126 x 64 KB of non-UTF-8 bytes held it
    45 to 55 ms).
    """
    grouped: dict[str, str | list[str]] = {}
    keys: dict[str, str] = {}  # lower-case name -> key in grouped
    worked = 0
    for raw_name, raw_value in headers.items():
        name, value = safe_text(raw_name), safe_text(raw_value)
        key = keys.setdefault(name.lower(), name)
        if key not in grouped:
            grouped[key] = value
        elif isinstance(existing := grouped[key], list):
            existing.append(value)
        else:
            grouped[key] = [existing, value]
        worked += len(raw_name) + len(raw_value)
        if worked >= SLICE:
            worked = 0
            await asyncio.sleep(0)
    return grouped


def status_line(status: int, reason: str) -> str:
    """Return e.g. "HTTP 200 OK", with a reason phrase safe to show in Markdown."""
    words = _UNSAFE_REASON_CHARS.sub(" ", reason).split()
    phrase = " ".join(words)[:MAX_REASON_LENGTH].rstrip()
    if not phrase:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
    return f"HTTP {status} {phrase}".strip()


def content_preview(body: bytes, content_type: str | None, limit: int) -> str:
    """Return the first limit characters of a textual body; "" for a binary one.

    Undecodable bytes and control characters become U+FFFD.
    """
    media_type, charset = parse_content_type(content_type)
    if not body or _is_binary(media_type):
        return ""
    # limit characters take at most 4 * limit bytes in any charset we decode.
    text = body[: 4 * limit].decode(charset or "utf-8", errors="replace")[:limit]
    return _CONTROL_CHARS.sub("\ufffd", safe_text(text))


# Shorter values (such as "1" or "yes") would hide ordinary words of the content.
_MIN_SECRET_LENGTH: Final = 4
_MASK: Final = "***"


def secret_forms(secrets: Iterable[str]) -> list[str]:
    """Return the forms in which a server may echo the secrets, longest first.

    A secret counts as written, percent-encoded and JSON-escaped.
    """
    forms: set[str] = set()
    for secret in secrets:
        if len(secret) >= _MIN_SECRET_LENGTH:
            forms |= {
                secret,
                quote(secret, safe=""),
                quote_plus(secret, safe=""),
                json.dumps(secret)[1:-1],
            }
    return sorted(forms, key=len, reverse=True)


def mask(text: str, forms: list[str]) -> str:
    """Return text with every form of secret_forms masked."""
    for form in forms:
        text = text.replace(form, _MASK)
    return text


def masked_preview(
    body: bytes, content_type: str | None, limit: int, forms: list[str]
) -> str:
    """Return content_preview masked with the forms of secret_forms, then cut.

    Masking comes first, so a secret across the cut shows no part of itself.
    """
    longest = len(forms[0]) if forms else 0
    return mask(content_preview(body, content_type, limit + longest), forms)[:limit]


def template_variables(text: str) -> frozenset[str] | None:
    """Return the names a template text reads, or None if it does not parse.

    Its own names (loop and set variables) count too: this tells whether it may
    read a variable (the password of a login row, the headers of a response).
    Filters and tests are not looked up (Home Assistant adds its own), so the
    syntax alone is checked.
    """
    try:
        tree = _SYNTAX.parse(text)
    except jinja2.TemplateSyntaxError, RecursionError:
        return None
    return frozenset(
        name.name for name in tree.find_all(nodes.Name) if name.ctx == "load"
    )


@dataclass(frozen=True, slots=True)
class ResponseValues:
    """What a value template sees of one response."""

    status: int
    headers: Mapping[str, str | list[str]]
    text: str
    json: Any

    def variables(self) -> dict[str, Any]:
        """Return what a template over the response sees (value, value_json...)."""
        return {
            "value": self.text,
            "value_json": self.json,
            "status": self.status,
            "headers": self.headers,
        }


async def async_response_values(
    hass: HomeAssistant, response: Response, *, with_headers: bool = True
) -> ResponseValues:
    """Return a response's values; a big body is decoded in the executor.

    Without with_headers (a template that does not read them), headers is empty.
    """
    headers = await async_response_headers(response.headers) if with_headers else {}
    content_type = response.headers.get(hdrs.CONTENT_TYPE)
    if len(response.body) > JSON_INLINE_LIMIT:
        return await hass.async_add_executor_job(
            _values, response.status, headers, response.body, content_type
        )
    return _values(response.status, headers, response.body, content_type)


def _values(
    status: int,
    headers: Mapping[str, str | list[str]],
    body: bytes,
    content_type: str | None,
) -> ResponseValues:
    """Decode a body as text and, when it is JSON, as parsed JSON."""
    media_type, charset = parse_content_type(content_type)
    content, encoding = decode_content(body, media_type, charset)
    if encoding is not None or content is None:  # binary (base64), or empty
        return ResponseValues(status, headers, "", None)
    if not isinstance(content, str):  # parsed, as its type said
        text = decode_content(body, "text/plain", charset)[0]
        return ResponseValues(status, headers, str(text or ""), content)
    parsed = None
    if content.lstrip()[:1] in ("{", "["):  # JSON sent as another type
        parsed = decode_content(body, "application/json", charset)[0]
    return ResponseValues(
        status, headers, content, None if isinstance(parsed, str) else parsed
    )
