"""Property tests: random action data is either a clean request or a clean refusal.

Hypothesis runs derandomized with no example database, so every run (and CI)
tries the same examples. The validation property calls the schema and
`request.prepare` directly (no network); the network property sends through the real
client to a raw server on 127.0.0.1 that records the bytes it receives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import math
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.json import json_bytes
from homeassistant.setup import async_setup_component
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
import voluptuous as vol
from yarl import URL

from custom_components.scene_http_request import services
from custom_components.scene_http_request.client import Request
from custom_components.scene_http_request.const import (
    DOMAIN,
    MAX_RESPONSE_SIZE_LIMIT,
    MAX_RETRIES,
    MAX_TIMEOUT,
    METHODS,
    MIN_TIMEOUT,
    SERVICE_SEND,
)
from custom_components.scene_http_request.request import Prepared, prepare
from custom_components.scene_http_request.validation import header_value_to_str

from .helpers import AddProfile
from .server import RawServer

TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# What RFC 9110 forbids in a field value: controls other than HTAB, and DEL.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

pytestmark = pytest.mark.filterwarnings(
    # Hypothesis 6.170 warns about its own thread-local PRNG when @given runs in a
    # worker thread (test_network_never_sends_crlf); nothing of ours is involved.
    "ignore:It looks like `register_random`:hypothesis.errors.HypothesisWarning"
)

COMMON = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}

# --------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------

# Text with what matters here: CR, LF, NUL, TAB, space, DEL, URL separators,
# non-ASCII, a lone surrogate (a valid str that UTF-8 cannot encode) and
# ready-made injections.
NASTY = st.sampled_from(
    [
        *("\r", "\n", "\0", "\t", " ", ":", "/", "?", "#", "@", "%", "é", "☃"),
        *("\x01", "\x0b", "\x1f", "\x7f", "\x85", "\u2028", "\ud800", "\U0001f600"),
        *("%0d%0a", "\r\nInjected: 1", "\nInjected: 1"),
    ]
)
TEXT = st.lists(st.one_of(st.characters(), st.characters(), NASTY), max_size=16).map(
    "".join
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
)
ANY_VALUE = st.recursive(
    st.one_of(SCALARS, st.binary(max_size=4)),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(TEXT, st.integers()), children, max_size=3),
    ),
    max_leaves=8,
)
HEADER_NAMES = st.one_of(
    st.from_regex(r"\A[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}\Z"),
    st.sampled_from(["Content-Type", "Authorization", "Host", "X Bad", "", "é"]),
    TEXT,
    st.integers(),
    st.booleans(),
)
HEADER_VALUES = st.one_of(
    TEXT,
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(TEXT, max_size=2),
)
SCHEMES = st.one_of(
    st.sampled_from(["http", "https", "HTTP", "ftp", "file", "javascript", "ws"]),
    TEXT,
)
HOSTS = st.one_of(
    st.sampled_from(
        ["127.0.0.1", "example.com", "[::1]", "exa mple.com", "", "-x-", "例え.jp"]
    ),
    TEXT,
)
PORTS = st.one_of(st.none(), st.integers(min_value=-1, max_value=70000))
USERINFO = st.one_of(
    st.none(), st.none(), st.just("user"), st.just("user:pass"), st.just(":"), TEXT
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    """Plausible http(s) URLs, relative paths, odd absolute URLs and raw text."""
    kind = draw(st.sampled_from(["http", "http", "relative", "absolute", "raw"]))
    if kind == "raw":
        return draw(TEXT)
    path = draw(st.one_of(st.just(""), TEXT.map(lambda text: "/" + text)))
    query = draw(st.one_of(st.just(""), TEXT.map(lambda text: "?" + text)))
    if kind == "relative":
        prefix = draw(st.sampled_from(["", "/", "//", "./", "../", "/v1/"]))
        return prefix + path.lstrip("/") + query
    if kind == "http":
        scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
        host = draw(st.sampled_from(["127.0.0.1", "api.example.com", "[::1]"]))
        port = draw(st.sampled_from(["", ":8123", ":443"]))
        return f"{scheme}://{host}{port}{path}{query}"
    scheme = draw(SCHEMES)
    separator = draw(st.sampled_from(["://", "://", ":", ":/", "//"]))
    userinfo = draw(USERINFO)
    host = draw(st.one_of(st.sampled_from(["127.0.0.1", "api.example.com"]), HOSTS))
    port = draw(PORTS)
    netloc = (f"{userinfo}@" if userinfo is not None else "") + host
    if port is not None:
        netloc += f":{port}"
    return f"{scheme}{separator}{netloc}{path}{query}"


JUNK = st.one_of(ANY_VALUE, st.sampled_from([[], {}, "", "yes", -1, 1e400]))
PARAM_VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), ANY_VALUE)


def typed_fields(entry_ids: list[str]) -> dict[str, st.SearchStrategy[Any]]:
    """Each field's values of the expected type (edge cases and all)."""
    return {
        "config_entry_id": st.one_of(
            st.sampled_from([*entry_ids, "unknown-entry"]), st.none()
        ),
        "method": st.sampled_from([*METHODS, "get", "Post", "CONNECT", "get "]),
        "url": urls(),
        "headers": st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4),
        "params": st.dictionaries(TEXT, PARAM_VALUES, max_size=4),
        "json": ANY_VALUE,
        "form": st.dictionaries(TEXT, PARAM_VALUES, max_size=3),
        "body": st.one_of(TEXT, st.integers(), st.floats()),
        "timeout": st.one_of(
            st.floats(min_value=MIN_TIMEOUT, max_value=MAX_TIMEOUT),
            st.sampled_from([0.09, 0.1, 300, 300.1, "5", math.inf, math.nan, 10**400]),
        ),
        "verify_ssl": st.one_of(st.booleans(), st.sampled_from(["on", "off", 0, 1])),
        "allow_redirects": st.booleans(),
        "fail_on_http_error": st.booleans(),
        "retries": st.one_of(
            st.integers(min_value=0, max_value=MAX_RETRIES),
            st.sampled_from([-1, 11, 2.5, "3", math.inf, -math.inf, math.nan]),
        ),
        "max_response_size": st.one_of(
            st.integers(min_value=1, max_value=MAX_RESPONSE_SIZE_LIMIT),
            st.sampled_from([0, MAX_RESPONSE_SIZE_LIMIT + 1, math.inf, 10**400]),
        ),
    }


@st.composite
def action_data(draw: st.DrawFn, entry_ids: list[str]) -> dict[str, Any]:
    """Random data for scene_http_request.send.

    Most examples have fields of the right type (so they reach prepare);
    the rest carry junk in some fields, or an unknown field, for the schema.
    """
    fields = typed_fields(entry_ids)
    junk = draw(st.integers(min_value=0, max_value=5)) == 0
    data: dict[str, Any] = {"url": draw(fields.pop("url") if not junk else JUNK)}
    body_fields = ["json", "form", "body"]
    bodies = draw(st.sampled_from([0, 0, 1, 1, 1, 2]))
    for name in draw(st.permutations(body_fields))[:bodies]:
        data[name] = draw(fields[name])
    for name, strategy in fields.items():
        if name in body_fields or not draw(st.booleans()):
            continue
        data[name] = draw(JUNK if junk and draw(st.booleans()) else strategy)
    if junk and draw(st.booleans()):
        data[draw(TEXT)] = draw(SCALARS)  # an unknown field
    return data


# --------------------------------------------------------------------------------
# Validation property (no network)
# --------------------------------------------------------------------------------


@pytest.fixture
async def profiles(hass: HomeAssistant, add_profile: AddProfile) -> list[str]:
    """Set up the integration with a plain profile and one with a base URL."""
    assert await async_setup_component(hass, DOMAIN, {})
    entries = [
        await add_profile("Plain"),
        await add_profile(
            "Api",
            "https://api.example.com/v1/",
            auth_type="bearer",
            token="t0ken",
            timeout=5,
        ),
    ]
    return [entry.entry_id for entry in entries]


def has_lone_surrogate(value: Any) -> bool:
    """Return whether a str (or a key or value inside) holds a lone surrogate."""
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(
            has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(has_lone_surrogate(item) for item in value)
    return False


def assert_well_formed(built: Prepared, data: dict[str, Any]) -> None:
    """Check a request the validation path accepted."""
    options, profile = built.request, built.profile
    url = options.url
    assert isinstance(url, URL)
    assert url.absolute
    assert url.scheme in ("http", "https")
    assert url.host
    assert url.user is None
    assert url.password is None
    assert not any(char in str(url) for char in "\r\n\0 \t")
    if profile is not None:
        assert profile.covers(url)
    assert options.method in METHODS
    for name, value in options.headers.items():
        assert isinstance(name, str)
        assert TOKEN.match(name), name
        assert isinstance(value, str)
        assert not CONTROL.search(value), name
        assert not has_lone_surrogate(value), name
    assert options.body is None or isinstance(options.body, bytes)
    bodies = [
        field for field in ("json", "form", "body") if data.get(field) is not None
    ]
    assert len(bodies) <= 1
    if bodies:
        assert options.body is not None
        assert any(name.lower() == "content-type" for name in options.headers)
        if bodies == ["json"]:
            assert options.body == json_bytes(data["json"])
    else:
        assert options.body is None
    assert MIN_TIMEOUT <= options.timeout <= MAX_TIMEOUT
    assert 0 <= options.retries <= MAX_RETRIES
    assert 1 <= options.max_response_size <= MAX_RESPONSE_SIZE_LIMIT
    assert isinstance(options.verify_ssl, bool)
    assert isinstance(options.allow_redirects, bool)


async def test_validation_accepts_clean_requests_only(
    hass: HomeAssistant, profiles: list[str]
) -> None:
    """SEND_SCHEMA + prepare give a clean request or a validation error.

    Hypothesis runs synchronously inside this test's event loop: the schema and
    prepare are synchronous and do no I/O, so nothing needs the loop.
    """
    outcomes: dict[str, int] = {}
    examples = 500

    @settings(max_examples=examples, **COMMON)
    @given(data=action_data(profiles))
    def check(data: dict[str, Any]) -> None:
        try:
            validated = services.SEND_SCHEMA(data)
            options = prepare(hass, validated)
        except ServiceValidationError as err:
            outcome = f"refused:{err.translation_key or 'no key'}"
        except vol.Invalid:
            outcome = "refused:schema"
        else:
            assert_well_formed(options, validated)
            outcome = "accepted"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    check()
    assert "refused:no key" not in outcomes
    # The generator reaches both sides and most refusals: it is not all noise.
    assert outcomes.get("accepted", 0) >= examples // 20, outcomes
    refusals = {key for key in outcomes if key.startswith("refused:")}
    assert len(refusals) >= 8, outcomes


# --------------------------------------------------------------------------------
# Network property: what reaches the server
# --------------------------------------------------------------------------------


async def answer_every_request(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Record each request of a connection and answer it with a small JSON body.

    Bodies are framed by Content-Length only: a request that also says
    Transfer-Encoding would be ambiguous, and the test checks none is sent.
    """
    while True:
        raw = await server.request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\n\r\n"
        )
        if not raw.startswith(b"HEAD "):
            writer.write(b"{}")
        await writer.drain()


@pytest.fixture
async def raw_server(socket_enabled: None) -> AsyncGenerator[RawServer]:
    """A recording raw server."""
    server = RawServer(answer_every_request)
    await server.start()
    yield server
    await server.close()


SAFE_HEADER_VALUES = st.one_of(
    TEXT,
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
)
# Headers that set the framing of the message: see test_framing_headers_are_refused.
FRAMING_HEADERS = ("content-length", "transfer-encoding")


@st.composite
def network_data(draw: st.DrawFn, base: str) -> dict[str, Any]:
    """Schema-valid calls to base with random headers, path, params and bodies."""
    data: dict[str, Any] = {
        "method": draw(st.sampled_from(METHODS)),
        "url": base + draw(TEXT),
        "headers": draw(
            st.dictionaries(
                st.one_of(
                    st.from_regex(r"\AX-[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,10}\Z"),
                    st.sampled_from(
                        ["Content-Type", "Host", "Connection", "Authorization"]
                    ),
                    TEXT,
                ),
                SAFE_HEADER_VALUES,
                max_size=4,
            )
        ),
        "params": draw(st.dictionaries(TEXT, SCALARS, max_size=3)),
        "timeout": 5,
    }
    body = draw(st.sampled_from(["json", "form", "body", None]))
    if body == "json":
        data["json"] = draw(ANY_VALUE)
    elif body == "form":
        data["form"] = draw(st.dictionaries(TEXT, SCALARS, max_size=3))
    elif body == "body":
        data["body"] = draw(TEXT)
    return data


def header_lines(head: bytes) -> list[bytes]:
    """Split a request head on CRLF, checking no bare CR, LF or NUL is left."""
    assert head.endswith(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    for line in lines:
        assert b"\r" not in line
        assert b"\n" not in line
        assert b"\0" not in line
    return lines


def check_received(
    data: dict[str, Any], options: Request, head: bytes, body: bytes
) -> None:
    """Check one request as it arrived against the call that sent it."""
    lines = header_lines(head)
    method, target, version = lines[0].split(b" ")
    assert method.decode() == options.method
    assert target.startswith(b"/")
    # Lone surrogates vanish from the target (yarl or aiohttp's writer drops them).
    assert target == options.url.raw_path_qs.encode(errors="ignore")
    assert version == b"HTTP/1.1"
    received: dict[str, list[bytes]] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        assert colon
        assert TOKEN.match(name.decode("ascii"))
        received.setdefault(name.decode("ascii").lower(), []).append(
            value.strip(b" \t")
        )
    # One unambiguous framing, and the body exactly as encoded.
    assert "transfer-encoding" not in received
    assert len(received.get("content-length", [b"0"])) == 1
    assert body == (options.body or b"")
    expected = {name.lower(): value for name, value in data["headers"].items()}
    for name, value in expected.items():
        text = header_value_to_str(value)
        assert received[name] == [text.encode().strip(b" \t")], name


async def test_network_never_sends_crlf(
    hass: HomeAssistant, raw_server: RawServer
) -> None:
    """Through the real client: no CR/LF reaches the wire inside a header.

    Also: the request line, headers and body arrive as the call asked, framed
    by one Content-Length. Hypothesis runs in a worker thread and hands each call
    to the event loop, which this test leaves free by awaiting the worker.
    """
    assert await async_setup_component(hass, DOMAIN, {})
    loop = asyncio.get_running_loop()
    base = f"http://127.0.0.1:{raw_server.port}/"
    unexpected: list[BaseException] = []
    sent = 0

    async def call(data: dict[str, Any]) -> Request:
        # The same validation the action runs, to know what should be sent.
        options = prepare(hass, services.SEND_SCHEMA(data)).request
        await hass.services.async_call(
            DOMAIN, SERVICE_SEND, data, blocking=True, return_response=True
        )
        return options

    @settings(max_examples=120, **COMMON)
    @given(data=network_data(base))
    def check(data: dict[str, Any]) -> None:
        nonlocal sent
        before = len(raw_server.requests)
        try:
            options = asyncio.run_coroutine_threadsafe(call(data), loop).result(30)
        except ServiceValidationError:
            assert len(raw_server.requests) == before  # refused: nothing was sent
            return
        except Exception as err:
            unexpected.append(err)
            raise
        sent += 1
        assert len(raw_server.requests) == before + 1
        head, end_of_head, body = raw_server.requests[-1].partition(b"\r\n\r\n")
        check_received(data, options, head + end_of_head, body)

    await hass.async_add_executor_job(check)
    assert not unexpected
    assert sent >= 30  # enough calls got through to mean something


# --------------------------------------------------------------------------------
# Regressions: what the properties found (each escaped as a bare exception or
# reached the wire before validation refused it)
# --------------------------------------------------------------------------------


@pytest.mark.usefixtures("profiles")
@pytest.mark.parametrize(
    "value", ["\x01", "a\x0bb", "\x1f", "x\x7f", "\ud800", "a\udfffb"]
)
async def test_header_value_with_control_character_is_refused(
    hass: HomeAssistant, raw_server: RawServer, value: str
) -> None:
    """A header value with a control character or a lone surrogate is refused.

    Found here: aiohttp 3.14 raised a bare ValueError for the controls, aiohttp
    3.13 sent them, and both dropped a surrogate silently.
    """
    with pytest.raises(ServiceValidationError) as info:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_SEND,
            {
                "url": f"http://127.0.0.1:{raw_server.port}/",
                "headers": {"X-Test": value},
            },
            blocking=True,
            return_response=True,
        )
    assert info.value.translation_key == "invalid_header_value"
    assert not raw_server.requests


@pytest.mark.usefixtures("profiles")
@pytest.mark.parametrize(
    "body",
    [{"body": "\ud800"}, {"form": {"a": "\ud800"}}, {"form": {"\udc80": "a"}}],
)
def test_body_with_lone_surrogate_is_refused(
    hass: HomeAssistant, body: dict[str, Any]
) -> None:
    """A body UTF-8 cannot encode is a validation error (was UnicodeEncodeError)."""
    data = services.SEND_SCHEMA({"url": "http://127.0.0.1/", "method": "POST", **body})
    with pytest.raises(ServiceValidationError) as info:
        prepare(hass, data)
    assert info.value.translation_domain == DOMAIN
    assert info.value.translation_key


@pytest.mark.usefixtures("profiles")
@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Transfer-Encoding": "chunked"}, {"body": "hello"}),
        ({"Transfer-Encoding": "gzip"}, {"json": {"a": 1}}),
        ({"Content-Length": "1"}, {"body": "hello"}),
        ({"content-length": "100"}, {}),
    ],
)
async def test_framing_headers_are_refused(
    hass: HomeAssistant,
    raw_server: RawServer,
    headers: dict[str, str],
    body: dict[str, Any],
) -> None:
    """A call may not set the message framing: that is the client's job.

    Found here: aiohttp sent both Transfer-Encoding and Content-Length (ambiguous
    framing, RFC 9112 section 6.3), or cut the body to the given Content-Length.
    """
    with pytest.raises(ServiceValidationError) as info:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_SEND,
            {
                "method": "POST",
                "url": f"http://127.0.0.1:{raw_server.port}/",
                "headers": headers,
                "timeout": 1,
                **body,
            },
            blocking=True,
            return_response=True,
        )
    assert info.value.translation_domain == DOMAIN
    assert not raw_server.requests


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("retries", math.inf, id="retries-inf"),
        pytest.param("max_response_size", math.inf, id="size-inf"),
        pytest.param("max_response_size", -math.inf, id="size--inf"),
        pytest.param("max_response_size", math.nan, id="size-nan"),
        pytest.param("timeout", math.inf, id="timeout-inf"),
        pytest.param("timeout", 10**400, id="timeout-10e400"),
        pytest.param("retries", 10**400, id="retries-10e400"),
    ],
)
def test_infinite_numbers_are_schema_errors(field: str, value: float) -> None:
    """An infinite or huge number fails the schema like any other bad number.

    Found here: vol.Coerce let OverflowError out (inf to int on voluptuous, an
    int past float range to float on probatio too).
    """
    with pytest.raises(vol.Invalid):
        services.SEND_SCHEMA({"url": "http://127.0.0.1/", field: value})


@pytest.mark.usefixtures("profiles")
@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"params": {"a": "\ud800"}}, id="params-value"),
        pytest.param({"params": {"\ud800": 1}}, id="params-key"),
        pytest.param({"url": "http://127.0.0.1/x\ud800y"}, id="url-path"),
        pytest.param({"url": "http://127.0.0.1/?q=\ud800"}, id="url-query"),
    ],
)
def test_lone_surrogate_in_url_or_params_is_refused(
    hass: HomeAssistant, data: dict[str, Any]
) -> None:
    """Text that UTF-8 cannot encode in the URL or params is refused, not dropped."""
    validated = services.SEND_SCHEMA({"url": "http://127.0.0.1/", **data})
    with pytest.raises(ServiceValidationError):
        prepare(hass, validated)
