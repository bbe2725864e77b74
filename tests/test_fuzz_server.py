"""Property tests: whatever a server answers, the action copes.

The project rule: every value a server sends is hostile (the status line, every
header and every parameter in it, and the body). The outcomes allowed are a correct
response or a translated error; never an untranslated exception, never a blocked
event loop (decoding included), never a response HA's JSON encoder refuses.

Each example scripts the exact bytes a raw server on 127.0.0.1 answers with, then
calls the action through HA. Hypothesis runs derandomized with no example database,
in a worker thread that hands each call to the event loop (as in test_fuzz.py).
A monitor task ticks every 5 ms on the loop during the call; its worst lateness,
less the time the loop's thread waited for a CPU, must stay under 50 ms.

Then: deterministic regressions for what was known or found on 5a7b152 (all fixed
by 948ba98), and for what the fuzz then found on 948ba98 (fixed by 8a34b31).
"""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import AsyncGenerator, Callable, Generator, Iterable
from compression import zstd
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
import encodings.aliases
import gzip
import math
import os
import re
import socket
import time
from typing import Any
import zlib

from aiohttp.abc import AbstractResolver, ResolveResult
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.json import json_bytes
from homeassistant.setup import async_setup_component
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.scene_http_request.const import (
    DEFAULT_MAX_RESPONSE_SIZE,
    DOMAIN,
    RETRY_AFTER_CAP,
    RETRY_BACKOFF_CAP,
    SERVICE_SEND,
)
from custom_components.scene_http_request.content import (
    MAX_JSON_CONTAINERS,
    MAX_JSON_DEPTH,
)

from .retry_sleep import patched_retry_sleep
from .server import RawServer, read_request

pytestmark = pytest.mark.filterwarnings(
    # Hypothesis warns about its own thread-local PRNG when @given runs in a
    # worker thread; nothing of ours is involved (see test_fuzz.py).
    "ignore:It looks like `register_random`:hypothesis.errors.HypothesisWarning"
)

COMMON = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
}
# Worst lateness of a 5 ms tick of the loop during one call. A decode that blocks
# is far above it (a 64 KiB punycode body: ~200 ms); loopback I/O and HA are far
# below it (a few ms on a noisy 2-core VM).
MAX_LAG = 0.050
# What the client may wait before a retry: the Retry-After cap, or the backoff cap.
MAX_RETRY_DELAY = max(RETRY_AFTER_CAP, RETRY_BACKOFF_CAP)

# --------------------------------------------------------------------------------
# The scripted server
# --------------------------------------------------------------------------------

# Headers the reply builder sets itself for the framing: left out of the checks.
FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
CR_LF = re.compile(rb"[\r\n]")


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP response, as the exact bytes the server writes."""

    status: int | None  # None when the status line is garbage
    wire: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()
    # No CR or LF inside a line, header names are tokens: where each header ends
    # is not up to the parser.
    well_formed: bool = True


def reply(
    status: int | None,
    headers: Iterable[tuple[bytes, bytes]] = (),
    body: bytes = b"",
    *,
    reason: bytes = b"OK",
    framing: str = "length",
    status_line: bytes | None = None,
) -> Reply:
    """Build a reply; framing is "length", "close" (read to EOF) or "chunked".

    Every reply ends its connection (Connection: close, then the server closes):
    no example leaves a connection that a later one could reuse.
    """
    headers = tuple(headers)
    if status_line is None:
        status_line = b"HTTP/1.1 %d %s" % (status or 0, reason)
    lines = [status_line, b"Connection: close"]
    lines += [name + b": " + value for name, value in headers]
    if framing == "length":
        lines.append(b"Content-Length: %d" % len(body))
    elif framing == "chunked":
        lines.append(b"Transfer-Encoding: chunked")
        size = 4096
        pieces = [body[i : i + size] for i in range(0, len(body), size)]
        body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    well_formed = CR_LF.search(status_line) is None and all(
        TOKEN.fullmatch(name) and CR_LF.search(value) is None for name, value in headers
    )
    wire = b"\r\n".join(lines) + b"\r\n\r\n" + body
    return Reply(status, wire, headers, well_formed=well_formed)


OK = reply(200, [(b"Content-Type", b"application/json")], b'{"done":true}')


@dataclass
class Script:
    """What the server answers: each request takes the next reply, the last repeats."""

    replies: list[Reply] = field(default_factory=lambda: [OK])
    served: list[Reply] = field(default_factory=list)
    port: int = 0

    def load(self, replies: Iterable[Reply]) -> None:
        """Answer the next requests with replies."""
        self.replies = list(replies)
        self.served = []

    async def serve(
        self, server: RawServer, reader: asyncio.StreamReader, writer: Any
    ) -> None:
        """Answer one request, then close the connection (RawServer does)."""
        first = await reader.readexactly(1)
        if first == b"\x16":
            return  # a TLS hello (a redirect to https here): close, the client fails
        server.requests.append(first + await read_request(reader))
        answer = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        self.served.append(answer)
        writer.write(answer.wire)
        await writer.drain()


class NoNames(AbstractResolver):
    """Resolves no name, at once, as a DNS failure (OSError) would.

    phcc's resolver raises RuntimeError for names, which no real client sees; a
    Location may name any host, and the action must then fail as cannot_connect.
    """

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Fail like NXDOMAIN."""
        del port, family
        raise OSError(f"no DNS in this test ({host!r})")

    async def close(self) -> None:
        """Nothing to close."""


@pytest.fixture
async def script(hass: HomeAssistant, socket_enabled: None) -> AsyncGenerator[Script]:
    """Set up the integration and a scripted raw server on 127.0.0.1."""
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    scripted = Script()
    server = RawServer(scripted.serve)
    await server.start()
    scripted.port = server.port
    connector = async_get_clientsession(hass).connector
    assert connector is not None
    original = connector._resolver  # type: ignore[attr-defined]
    connector._resolver = NoNames()  # type: ignore[attr-defined]
    yield scripted
    connector._resolver = original  # type: ignore[attr-defined]
    await server.close()


# --------------------------------------------------------------------------------
# One call, measured
# --------------------------------------------------------------------------------


@dataclass
class SleepRecorder:
    """Stands in for the client's retry sleep: records the delay, sleeps 0."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        """Record delay and only yield to the loop."""
        self.delays.append(delay)
        await asyncio.sleep(0)


@contextmanager
def retry_sleeps() -> Generator[SleepRecorder]:
    """Record the client's retry sleeps instead of waiting them."""
    recorder = SleepRecorder()
    with patched_retry_sleep(recorder):
        yield recorder


class RunDelay:
    """Seconds the calling thread has waited for a CPU (Linux schedstat), or 0.

    Opened in the thread to measure (the event loop's); os.pread, not open(), so
    HA's blocking-call guard has nothing to say.
    """

    def __init__(self) -> None:
        """Open this thread's schedstat, if there is one."""
        try:
            self._fd: int | None = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        except OSError:
            self._fd = None

    def __call__(self) -> float:
        """Return the total wait so far, in seconds."""
        if self._fd is None:
            return 0.0
        return int(os.pread(self._fd, 128, 0).split()[1]) / 1e9

    def close(self) -> None:
        """Close the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass
class LagMonitor:
    """Records how long the event loop was kept from a 5 ms tick, at worst.

    A tick's lag is how late it fired, less the time the loop's thread meanwhile
    waited for a CPU: work on the loop (a decode) or a blocking call counts in
    full, preemption by other processes does not. Tests of other worktrees share
    this 2-core VM and preempt the loop for 100 ms and more; wall time alone made
    tiny responses look like blocking ones.
    """

    interval: float = 0.005
    worst: float = 0.0
    worst_wall: float = 0.0  # how late a tick fired, preemption included
    _due: float = math.inf
    _waited: float = 0.0
    _run_delay: RunDelay | None = None

    async def run(self) -> None:
        """Tick until cancelled."""
        loop = asyncio.get_running_loop()
        self._run_delay = RunDelay()
        try:
            while True:
                self._due = loop.time() + self.interval
                self._waited = self._run_delay()
                await asyncio.sleep(self.interval)
                self._measure(loop)
        finally:
            self._run_delay.close()

    def _measure(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._run_delay is None:
            return
        late = loop.time() - self._due
        waited = self._run_delay() - self._waited
        self.worst = max(self.worst, late - waited)
        self.worst_wall = max(self.worst_wall, late)

    def stop(self, task: asyncio.Task[None]) -> None:
        """Cancel the ticking task, counting a tick that is late but not yet run.

        The call may end right after a blocking stretch, before the tick that was
        due during it could run and measure it.
        """
        self._measure(asyncio.get_running_loop())
        task.cancel()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one call gave: a response or an exception, and the worst loop lag."""

    response: dict[str, Any] | None
    error: BaseException | None
    lag: float
    served: tuple[Reply, ...] = field(repr=False)


async def call_once(
    hass: HomeAssistant, script: Script, replies: Iterable[Reply], data: dict[str, Any]
) -> Outcome:
    """Serve replies to the action called with data; measure the loop meanwhile."""
    script.load(replies)
    async_get_clientsession(hass).cookie_jar.clear()  # no state between examples
    data = {"url": f"http://127.0.0.1:{script.port}/fuzz", "timeout": 5, **data}
    monitor = LagMonitor()
    ticking = asyncio.create_task(monitor.run())
    await asyncio.sleep(0)
    response: dict[str, Any] | None = None
    error: BaseException | None = None
    try:
        result = await hass.services.async_call(
            DOMAIN, SERVICE_SEND, data, blocking=True, return_response=True
        )
        assert isinstance(result, dict)
        response = result
    except Exception as err:  # noqa: BLE001 - judged by check_outcome
        error = err
    finally:
        monitor.stop(ticking)
        with suppress(asyncio.CancelledError):
            await ticking
    if isinstance(error, HomeAssistantError):
        try:
            str(error)  # HA renders (and keeps) the message in the loop only
        except Exception as err:  # noqa: BLE001 - judged by check_outcome
            error = err
    return Outcome(response, error, monitor.worst, tuple(script.served))


async def call(
    hass: HomeAssistant,
    script: Script,
    replies: Iterable[Reply],
    data: dict[str, Any],
    sleeps: SleepRecorder | None = None,
) -> Outcome:
    """Make one call; if the loop lagged, make it twice more and keep the least lag.

    Work on the loop costs the same each time; a stray stall (a CPU taken away
    from the VM itself, which the guest cannot see) does not come back three times.
    """
    replies = list(replies)
    outcome: Outcome | None = None
    for _ in range(3):
        if sleeps is not None:
            sleeps.delays.clear()
        again = await call_once(hass, script, replies, data)
        if outcome is None or again.lag < outcome.lag:
            outcome = again
        if outcome.lag < MAX_LAG:
            break
    assert outcome is not None
    return outcome


def surrogate_paths(value: Any, path: str = "response") -> list[str]:
    """Return where a lone surrogate hides in a JSON-like value."""
    if isinstance(value, str):
        return [path] if re.search("[\ud800-\udfff]", value) else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            found += surrogate_paths(key, f"{path} key {key!a}")
            found += surrogate_paths(item, f"{path}[{key!a}]")
        return found
    if isinstance(value, list | tuple):
        return [
            hit
            for index, item in enumerate(value)
            for hit in surrogate_paths(item, f"{path}[{index}]")
        ]
    return []


def assert_json_safe(value: Any, what: str) -> None:
    """Check HA's JSON encoder takes value, as its websocket API sends a response.

    The action's response goes inside a result message ({"id", "type", "success",
    "result": {"context", "response"}}): three levels more than the value itself.
    (The stdlib's json took what orjson refuses: a 300-level list, for one.)
    """
    message = {"id": 1, "type": "result", "success": True}
    try:
        json_bytes({**message, "result": {"context": None, "response": value}})
    except (TypeError, ValueError) as err:
        where = ", ".join(surrogate_paths(value, what)) or what
        message_text = f"not JSON-encodable: {where}: {type(err).__name__}: {err}"
        raise AssertionError(message_text) from None


def check_headers(headers: Any, sent: Reply | None) -> None:
    """Values are str or lists of str; a name sent twice (any case) is one key."""
    assert isinstance(headers, dict)
    for name, value in headers.items():
        assert isinstance(name, str), name
        assert isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ), name
    if sent is None or not sent.well_formed:
        return  # where one header ends is up to the parser
    groups: dict[bytes, list[bytes]] = {}
    for name, value in sent.headers:
        if name.lower().decode() not in FRAMING:
            groups.setdefault(name.lower(), []).append(value)
    for name, values in groups.items():
        keys = [key for key in headers if key.lower() == name.decode()]
        assert len(keys) == 1, f"{name!r} sent {len(values)}x comes back as {keys}"
        if len(values) > 1:
            got = headers[keys[0]]
            assert isinstance(got, list), f"{name!r} sent {len(values)}x: {got!r}"
            assert len(got) == len(values), f"{name!r}: {got!r}"


def check_outcome(outcome: Outcome) -> None:
    """Apply the rule to one call's outcome (raises what the call raised, if bad)."""
    if outcome.error is not None:
        error = outcome.error
        if not (
            isinstance(error, HomeAssistantError)
            and error.translation_key
            and error.translation_domain == DOMAIN
        ):
            raise error  # untranslated: the finding itself, with its traceback
        assert_json_safe(error.translation_placeholders, "error placeholders")
        assert_json_safe(str(error), "error message")
    else:
        response = outcome.response
        assert response is not None
        assert_json_safe(response, "response")
        last = outcome.served[-1] if outcome.served else None
        if last is not None and last.status is not None:
            assert response["status"] == last.status
        check_headers(response["headers"], last)
    assert outcome.lag < MAX_LAG, f"event loop blocked {outcome.lag * 1000:.0f} ms"


# --------------------------------------------------------------------------------
# Strategies: bytes a hostile server sends
# --------------------------------------------------------------------------------


SIZES = st.one_of(
    st.sampled_from([16 * 1024, 64 * 1024]),
    st.sampled_from([1, 7, 100, 4096]),
    st.integers(min_value=1, max_value=64 * 1024),
)


def repeated(
    piece: st.SearchStrategy[bytes], max_size: int = 64 * 1024
) -> st.SearchStrategy[bytes]:
    """Up to max_size bytes: a short drawn piece repeated (cheap to draw)."""
    return st.builds(
        lambda data, size: (data * (size // max(len(data), 1) + 1))[:size],
        piece,
        SIZES.map(lambda size: min(size, max_size)),
    )


LATIN1 = st.binary(max_size=24).map(
    lambda data: data.replace(b"\r", b"").replace(b"\n", b"")
)
NASTY_BYTES = st.sampled_from(
    [
        b"",
        b" ",
        b"\t",
        b"\x00",
        b"\x01",
        b"\x7f",
        b"\xff",
        b"\xe9",  # é in latin-1, invalid UTF-8
        "é".encode(),
        "☃".encode(),
        b"\xed\xa0\x80",  # a surrogate, UTF-8-encoded (invalid UTF-8)
        b"\xc3",  # a truncated UTF-8 sequence
        b"\r",
        b"\n",
        b"\r\n X",  # obs-fold
        b"\"'<>\\;,=",
    ]
)
VALUE = st.lists(st.one_of(LATIN1, NASTY_BYTES), max_size=4).map(b"".join)
ASCII_VALUE = st.from_regex(rb"\A[!-~]([ -~]{0,10}[!-~])?\Z")
NAME = st.one_of(
    st.from_regex(rb"\A[xX]-[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,10}\Z"),
    st.sampled_from(
        [
            b"Server",
            b"Date",
            b"ETag",
            b"Link",
            b"Vary",
            b"WWW-Authenticate",
            b"Set-Cookie",
            b"Content-Disposition",
            b"X Bad",
            b"X\xffBad",
            "X-É".encode(),
            b"",
            b":",
        ]
    ),
)


def case_variants(name: bytes) -> st.SearchStrategy[bytes]:
    """The same name in another case mix."""
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda upper: bytes(
            (bytes([char]).upper() if up else bytes([char]).lower())[0]
            for char, up in zip(name, upper, strict=True)
        )
    )


@st.composite
def repeated_header(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
    """One header name sent 2 to 4 times in different cases (X-A: 1, x-a: 2)."""
    name = draw(st.from_regex(rb"\A[xX]-[A-Za-z]{1,6}\Z"))
    count = draw(st.integers(min_value=2, max_value=4))
    return [
        (draw(case_variants(name)), draw(st.one_of(ASCII_VALUE, VALUE)))
        for _ in range(count)
    ]


COOKIE = st.one_of(
    st.sampled_from(
        [
            b"a=b",
            b"a=b; Path=/; HttpOnly; Secure; SameSite=Strict",
            b"a=b; Domain=127.0.0.1; Max-Age=99999999999999999999999",
            b"a=b; Expires=Wed, 99 Foo 99999 99:99:99 GMT",
            b"a=b; Max-Age=-1",
            b"=; ;;",
            b'a="\xff',
            b"\xff=\xfe",
            "ключ=значение".encode(),
            b"a" * 5000 + b"=" + b"b" * 5000,
        ]
    ),
    VALUE,
)
COOKIES = st.lists(COOKIE, max_size=40).map(
    lambda values: [(b"Set-Cookie", value) for value in values]
)

FILENAME = st.one_of(
    st.sampled_from(
        [
            b"report.pdf",
            b'"report.pdf"',
            b"../../etc/passwd",
            b'"..\\..\\boot.ini"',
            b'"a\x00b"',
            b'"\x1b[31mred"',
            b"\xff\xfe.txt",
            "résumé.txt".encode(),
            b'"' + b"a" * 9000 + b'"',
            b"",
        ]
    ),
    VALUE,
)
FILENAME_STAR = st.one_of(
    st.sampled_from(
        [
            b"UTF-8''%e2%82%ac%20rates.txt",
            b"UTF-8''..%2F..%2Fetc%2Fpasswd",
            b"iso-8859-1'en'%A3%20rates",
            b"punycode''abc",
            b"utf-7''+2AA-",
            b"UTF-8''%ff%fe",
            b"''",
            b"x'y'z'",
        ]
    ),
    VALUE,
)


@st.composite
def content_disposition(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
    """A Content-Disposition with odd filename and filename* parameters."""
    kind = draw(st.sampled_from([b"attachment", b"inline", b"", b"form-data", b"\xff"]))
    params = draw(
        st.lists(
            st.one_of(
                FILENAME.map(lambda value: b"filename=" + value),
                FILENAME_STAR.map(lambda value: b"filename*=" + value),
                VALUE,
            ),
            max_size=3,
        )
    )
    return [(b"Content-Disposition", b"; ".join([kind, *params]))]


EXTRA_HEADERS = st.lists(
    st.one_of(
        st.tuples(NAME, st.one_of(ASCII_VALUE, VALUE)),
        repeated_header(),
        content_disposition(),
        COOKIES,
    ).map(lambda item: [item] if isinstance(item, tuple) else item),
    max_size=4,
).map(lambda groups: [header for group in groups for header in group])

# --- status line -----------------------------------------------------------------

STATUS = st.one_of(
    st.integers(min_value=100, max_value=999),
    st.sampled_from(
        [200, 201, 202, 203, 204, 205, 206, 299, 300, 304, 400, 404, 418, 500, 599]
    ),
    st.sampled_from([600, 700, 999, 100, 101, 102, 103, 199]),
)
REASON = st.one_of(
    st.sampled_from(
        [
            b"",
            b"OK",
            "Réussi".encode("latin-1"),
            "Réussi".encode(),
            "成功".encode(),
            "成功".encode("shift_jis"),
            b"\xff\xfe",
            b"\x00",
            b"\x7f",
            b"Tab\there",
            b"x" * 5000,
            b"\r",
        ]
    ),
    VALUE,
)
GARBAGE_STATUS_LINES = st.sampled_from(
    [
        b"HTTP/1.1 1000 Too Big",
        b"HTTP/1.1 099 Too Small",
        b"HTTP/1.1 2OO OK",
        b"HTTP/1.1 -200 OK",
        b"HTTP/1.1 +200 OK",
        b"HTTP/1.1 200",
        b"HTTP/1.1  200 OK",
        b"HTTP/2 200 OK",
        b"HTTP/9.9 200 OK",
        b"ICY 200 OK",
        b"http/1.1 200 OK",
        b"HTTP/1.1 \xd9\xa2\xd9\xa0\xd9\xa0 OK",  # ٢٠٠
        b"HTTP/1.1 \xc2\xb2\xc2\xb2\xc2\xb2 OK",  # ²²²
        b"",
        b"\xff\xfe",
    ]
)


@st.composite
def status_line(draw: st.DrawFn) -> tuple[int | None, bytes]:
    """A status line: a code 100 to 999 with any reason, or garbage."""
    if draw(st.integers(min_value=0, max_value=7)) == 0:
        return None, draw(GARBAGE_STATUS_LINES)
    status = draw(STATUS)
    version = draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0"]))
    reason = draw(REASON)
    return status, b"%s %d %s" % (version, status, reason)


# --- Content-Type, charset and body ----------------------------------------------

CODECS = sorted(
    set(encodings.aliases.aliases.values())
    | {
        *("punycode", "idna", "utf_7", "undefined", "rot_13", "base64_codec"),
        *("hex_codec", "zlib_codec", "uu_codec", "bz2_codec", "quopri_codec"),
        *("unicode_escape", "raw_unicode_escape", "utf_16", "utf_32", "cp037"),
        *("latin_1", "shift_jis", "utf_8", "utf_8_sig", "mbcs", "oem", "charmap"),
        *("palmos", "cp65001", "ascii", "big5", "gb18030", "iso2022_jp_2", "hz"),
    }
)
# Codecs that decode in more than linear time, raise something other than
# UnicodeDecodeError, give lone surrogates, or are not text codecs at all.
RISKY_CHARSETS = st.sampled_from(
    [
        *(b"punycode", b"undefined", b"utf-7", b"UTF-7", b"unicode_escape"),
        *(b"raw_unicode_escape", b"idna", b"rot13", b"base64", b"hex", b"zlib"),
        *(b"uu", b"bz2", b"quopri", b"utf-16", b"utf-32", b"cp037", b"hz"),
        *(b'"punycode"', b'"undefined"', b"PUNYCODE", b"utf_7", b"x-user-defined"),
    ]
)
CHARSET_NAMES = st.one_of(
    RISKY_CHARSETS,
    RISKY_CHARSETS,
    st.sampled_from(CODECS).map(str.encode),
    st.sampled_from(
        [
            *(b"latin-1", b"shift_jis", b"UTF-8", b"utf8", b"", b"garbage"),
            *(b'"utf-8"', b"'utf-8'", b" utf-8 ", b"utf-8, latin-1", b"aliases"),
            *(b"encodings", b"..", b".", b"__init__", b"x" * 300, b"utf-8\x00"),
            *(b"latin_1\xff", b"\xff", "ütf-8".encode(), b"os", b"sys.path"),
            *(b"../utf_8", b"string_escape", b"utf-8*", b"mbcs", b"oem"),
        ]
    ),
    LATIN1,
)
MEDIA_TYPES = st.one_of(
    st.sampled_from(
        [
            b"text/plain",
            b"application/json",
            b"text/json",
            b"application/problem+json",
            b"text/html",
            b"application/xml",
            b"application/octet-stream",
            b"image/png",
            b"TEXT/PLAIN",
            b"Application/JSON",
            b"multipart/form-data",
            b"*/*",
            b"text",
            b"",
            b"garbage",
            "tëxt/plain".encode("latin-1"),
            "application/jsön".encode(),
            b"application/json\x00",
        ]
    ),
    st.from_regex(rb"\A[a-z]{1,8}/[a-z0-9.+\-]{1,12}\Z"),
)


@st.composite
def content_type(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """A Content-Type: a media type and parameters, charset= above all."""
    media = draw(MEDIA_TYPES)
    params = draw(
        st.lists(st.tuples(st.sampled_from([b"boundary", b"q", b"x", b""]), VALUE)).map(
            lambda extra: extra[:2]
        )
    )
    if draw(st.integers(min_value=0, max_value=4)):  # a charset, most of the time
        name = draw(st.sampled_from([b"charset", b"charset", b"CHARSET", b" Charset "]))
        charset = draw(CHARSET_NAMES)
        params.insert(draw(st.integers(0, len(params))), (name, charset))
    if draw(st.integers(min_value=0, max_value=5)) == 0:  # two, or a charset*
        params.append(
            (draw(st.sampled_from([b"charset", b"charset*"])), draw(CHARSET_NAMES))
        )
    value = media + b"".join(
        draw(st.sampled_from([b"; ", b";", b" ; "])) + name + b"=" + param
        for name, param in params
    )
    charsets = [param for name, param in params if name.strip().lower() == b"charset"]
    return value, charsets[-1] if charsets else b""


def encoded_text(charset: bytes) -> st.SearchStrategy[bytes]:
    """Text encoded in charset when it is a text codec, else as UTF-8."""

    def encode(text: str) -> bytes:
        try:
            return text.encode(charset.decode("latin-1").strip(" \"'"))
        except LookupError, UnicodeError, ValueError, TypeError:
            return text.encode("utf-8", "surrogatepass")

    return st.text(max_size=32).map(encode)


# Pieces that hurt a decoder of each risky charset: slow, surrogates, odd errors.
HOSTILE_PIECES = {
    "punycode": [b"a", b"abc", b"xn--abc-", b"a-b", b"zz9"],
    "utf_7": [b"+2AA-", b"+2D0-", b"+3AA-", b"+AGEAYgBj-", b"+", b"+-"],
    "unicode_escape": [b"\\ud800", b"\\udfff", b"\\N{DIGIT ONE}", b"\\x"],
    "raw_unicode_escape": [b"\\ud800", b"\\udc80", b"\\U0010ffff", b"\\u"],
    "idna": [b"xn--", b"xn--zz.", b"a" * 64 + b".", b".", b"\xff"],
    "utf_16": [b"\x00\xd8", b"\xff\xfe", b"\xfe\xff", b"a"],
    "utf_32": [b"\x00\xd8\x00\x00", b"\xff\xfe\x00\x00", b"\x00\x00\x11\x00"],
}


def _codec(charset: bytes) -> str:
    """Return Python's name for a charset label, or "" when it names none."""
    try:
        return codecs.lookup(charset.decode("ascii").strip(" \"'")).name.replace(
            "-", "_"
        )
    except LookupError, UnicodeError, ValueError:
        return ""


def nested(depth: int, inner: bytes = b"") -> bytes:
    """JSON nested depth levels deep: lists, or objects of lists."""
    return b"[" * depth + inner + b"]" * depth


# orjson parses 1024 levels but writes 254 at most, and corrupts memory writing
# 140 levels and more (200 levels 100 times over aborted the process).
DEEP_JSON = [
    nested(MAX_JSON_DEPTH),
    nested(MAX_JSON_DEPTH + 1),
    nested(300),  # 600 bytes that HA's encoder refused
    b'{"a":' * 300 + b"1" + b"}" * 300,
    nested(300, b'"\\"]]]"'),
    b"[" + b",".join([nested(200)] * 100) + b"]",
    nested(1024),
    nested(1025),
]
# Numbers no float holds, no int() takes from text, or past 64 bits.
HUGE_NUMBERS = [
    b"9" * 400,
    b"-" + b"9" * 400,
    b"[1e400, -1e400]",
    b'{"expires_in": ' + b"9" * 5000 + b"}",
    b'{"expires_in": "' + b"9" * 5000 + b'"}',
    b"[18446744073709551616, -9223372036854775809]",
    b"0." + b"0" * 5000 + b"1",
]


def bodies(charset: bytes) -> st.SearchStrategy[bytes]:
    """Bodies valid and invalid in charset, and JSON-ish ones; up to 64 KiB."""
    hostile = HOSTILE_PIECES.get(_codec(charset), [b"abc", b"\xff", b"+2AA-"])
    return st.one_of(
        st.just(b""),
        repeated(st.sampled_from(hostile)),
        repeated(st.sampled_from(hostile)),
        repeated(encoded_text(charset)),
        repeated(st.sampled_from([b"abc", b"x", b"a-b", b"Zz9"])),  # ASCII
        repeated(st.binary(min_size=1, max_size=64)),
        st.sampled_from(
            [
                b'{"a": 1}',
                b'"\\ud800"',
                b'{"\\udc80": 1}',
                b"[" * 5000 + b"]" * 5000,
                b"1" * 5000,
                b"1e999",
                b"NaN",
                b"\xef\xbb\xbf{}",
                b'{"a": "\xff"}',
                b"\xff\xfe{\x00}\x00",
                b'{"a": 1, "a": 2}',
                *DEEP_JSON,
                *HUGE_NUMBERS,
            ]
        ),
    )


# --- Content-Encoding ------------------------------------------------------------


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


ENCODERS = {
    b"gzip": _gzip,
    b"x-gzip": _gzip,
    b"deflate": zlib.compress,
    b"zstd": zstd.compress,
}


@st.composite
def content_encoding(draw: st.DrawFn, body: bytes) -> tuple[bytes | None, bytes]:
    """A Content-Encoding (or none) and the body as sent: encoded right or not."""
    value = draw(
        st.one_of(
            st.none(),
            st.none(),
            st.sampled_from(
                [
                    *(b"gzip", b"deflate", b"br", b"zstd", b"identity", b"x-gzip"),
                    *(b"GZIP", b" gzip ", b"compress", b"garbage", b"", b"\xff"),
                    *(b"gzip, deflate", b"deflate, gzip", b"gzip, gzip"),
                    *(b"identity, gzip", b"gzip, br", b"gzip;q=1", b"zstd, gzip"),
                ]
            ),
        )
    )
    if value is None:
        return None, body
    how = draw(
        st.sampled_from(["right", "right", "raw", "truncated", "bomb", "raw-deflate"])
    )
    if how == "bomb":
        size = draw(st.sampled_from([64 * 1024, 1024 * 1024 + 1, 2 * 1024 * 1024]))
        body = b"\0" * size
    if how == "raw":
        return value, body
    if how == "raw-deflate":
        return value, _raw_deflate(body)
    codings = [part.strip().lower() for part in value.split(b",")]
    for coding in codings:  # applied in the order listed
        encoder = ENCODERS.get(coding)
        if encoder is not None:
            body = encoder(body)
    if how == "truncated":
        body = body[: len(body) // 2]
    return value, body


# --- Location and Retry-After ----------------------------------------------------


def locations(port: int) -> st.SearchStrategy[bytes]:
    """Location values: relative, absolute, other schemes, garbage, long, non-ASCII.

    Hosts are 127.0.0.1 or names (which NoNames fails at once): a redirect never
    leaves loopback, where pytest-socket would raise RuntimeError.
    """
    here = b"127.0.0.1:%d" % port
    return st.one_of(
        st.sampled_from(
            [
                b"/next",
                b"next",
                b"../../x",
                b"?q=1",
                b"#frag",
                b"",
                b" ",
                b"/",
                b"//" + here + b"/x",
                b"http://" + here + b"/abs",
                b"HTTP://" + here + b"/abs",
                b"https://" + here + b"/tls",
                b"http://127.0.0.1:1/refused",
                b"http://127.0.0.1:99999/",
                b"http://127.0.0.1:-1/",
                b"http://user:pw@" + here + b"/",
                b"http://example.invalid/",
                b"http://xn--nxasmq6b/",
                "http://例え.テスト/".encode(),
                b"http://[::1/",
                b"http://%41/",
                b"http:///x",
                b"http:x",
                b"ftp://" + here + b"/",
                b"file:///etc/passwd",
                b"javascript:alert(1)",
                b"data:,x",
                b"mailto:a@b",
                b"ws://" + here + b"/",
                b"\\\\host\\share",
                b"/\xff\xfe",
                "/é".encode(),
                "/é".encode("latin-1"),
                b"/a\x00b",
                b"/a\tb",
                b"/" + b"a" * 9000,
                b"http://" + b"a" * 300 + b".invalid/",
            ]
        ),
        st.lists(st.one_of(LATIN1, NASTY_BYTES), max_size=4).map(b"".join),
        st.from_regex(rb"\A/[ -~]{0,20}\Z"),
    )


RETRY_AFTER = st.one_of(
    st.sampled_from(
        [
            "0",
            "1",
            "120",
            "86400",
            "9" * 400,
            "-1",
            "1.5",
            " 5 ",
            "²",
            "①",
            "٣",
            "¹²",
            "\N{MATHEMATICAL DOUBLE-STRUCK DIGIT ONE}",
            "Ⅻ",
            "1e3",
            "inf",
            "nan",
            "0x10",
            "",
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Mon, 01 Jan 99999 00:00:00 GMT",
            "Mon, 32 Foo 2024 25:61:61 GMT",
            "Mon, 01 Jan 0001 00:00:00 -2359",
            format_datetime(datetime(2100, 1, 1, tzinfo=UTC), usegmt=True),
        ]
    ).map(str.encode),
    # Digits that are not ASCII: str.isdigit() takes them all, float() some.
    st.lists(
        st.one_of(
            st.sampled_from(
                ["²", "³", "①", "⑳", "٣", "\N{DEVANAGARI DIGIT FIVE}", "๓", "Ⅻ"]
            ),
            st.characters(categories=["Nd", "No", "Nl"], min_codepoint=128),
            st.sampled_from("0123456789"),
        ),
        min_size=1,
        max_size=4,
    ).map(lambda chars: "".join(chars).encode()),
    st.integers(min_value=-(10**30), max_value=10**30).map(lambda n: b"%d" % n),
    VALUE,
)


# --------------------------------------------------------------------------------
# The properties
# --------------------------------------------------------------------------------


@st.composite
def http_options(draw: st.DrawFn) -> dict[str, Any]:
    """The action's knobs that change how a response is handled."""
    data = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "method": st.sampled_from(["GET", "GET", "POST", "HEAD"]),
                "fail_on_http_error": st.booleans(),
                "allow_redirects": st.booleans(),
            },
        )
    )
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        data.update(retries=1, timeout=2)
    return data


type Example = tuple[list[Reply], dict[str, Any]]


async def run_property(
    hass: HomeAssistant,
    script: Script,
    examples: int,
    strategy: st.SearchStrategy[Example],
    also: Callable[[Example, Outcome, SleepRecorder], None] | None = None,
) -> dict[str, int]:
    """Run a property: each example serves its replies to one call, then checks it.

    Hypothesis runs in a worker thread and hands each call to the event loop (as
    in test_fuzz.py); retry sleeps are recorded, not slept. Returns how many
    examples ended in each outcome, for a sanity check.
    """
    loop = asyncio.get_running_loop()
    outcomes: dict[str, int] = {}
    with retry_sleeps() as sleeps:

        @settings(max_examples=examples, **COMMON)
        @given(example=strategy)
        def check(example: Example) -> None:
            replies, data = example
            outcome = asyncio.run_coroutine_threadsafe(
                call(hass, script, replies, data, sleeps), loop
            ).result(60)
            check_outcome(outcome)
            for delay in sleeps.delays:
                assert math.isfinite(delay), delay
                assert 0 <= delay <= MAX_RETRY_DELAY, delay
            if also is not None:
                also(example, outcome, sleeps)
            key = (
                f"error:{getattr(outcome.error, 'translation_key', '?')}"
                if outcome.error is not None
                else "response"
            )
            outcomes[key] = outcomes.get(key, 0) + 1

        await hass.async_add_executor_job(check)
    return outcomes


@st.composite
def status_and_headers(draw: st.DrawFn) -> Example:
    """Any status line, any extra headers (repeats, cookies, dispositions)."""
    status, line = draw(status_line())
    headers = draw(EXTRA_HEADERS)
    body = draw(repeated(st.binary(min_size=1, max_size=16), 4096) | st.just(b""))
    framing = draw(st.sampled_from(["length", "close", "chunked"]))
    answer = reply(status, headers, body, framing=framing, status_line=line)
    return [answer], draw(http_options())


async def test_any_status_line_and_headers(hass: HomeAssistant, script: Script) -> None:
    """Status 100-999 with any reason bytes, and any extra headers."""
    outcomes = await run_property(hass, script, 50, status_and_headers())
    # Most of these replies are malformed on purpose. The mix moves with the code:
    # Hypothesis also draws constants found in the integration's modules (16, 13,
    # 5 and 3 responses of 50 have been seen); this only checks the property is not
    # vacuous: enough replies were read as HTTP (a response, or an http_error).
    parsed = outcomes.get("response", 0) + outcomes.get("error:http_error", 0)
    assert parsed >= 10, outcomes


@st.composite
def typed_bodies(draw: st.DrawFn) -> Example:
    """Any Content-Type (charset= of any codec) and Content-Encoding, any body."""
    type_header, charset = draw(content_type())
    body = draw(bodies(charset))
    encoding, sent = draw(content_encoding(body))
    headers = [(b"Content-Type", type_header)]
    if encoding is not None:
        headers.append((b"Content-Encoding", encoding))
    status = draw(st.sampled_from([200, 200, 200, 201, 404, 500]))
    framing = draw(st.sampled_from(["length", "length", "close", "chunked"]))
    data = draw(http_options())
    data["fail_on_http_error"] = data.get("fail_on_http_error", False)
    return [reply(status, headers, sent, framing=framing)], data


async def test_any_content_type_charset_and_encoding(
    hass: HomeAssistant, script: Script
) -> None:
    """Content-Type with any media type and charset, Content-Encoding, any body."""
    outcomes = await run_property(hass, script, 60, typed_bodies())
    assert outcomes.get("response", 0) >= 20, outcomes


@st.composite
def redirects(draw: st.DrawFn, port: int) -> Example:
    """A 3xx with any Location, then a plain 200."""
    status = draw(st.sampled_from([301, 302, 303, 307, 308, 300, 304, 305, 399]))
    location = draw(locations(port))
    headers = [(b"Location", location), *draw(EXTRA_HEADERS.map(lambda h: h[:2]))]
    return [reply(status, headers), OK], draw(http_options())


async def test_any_location(hass: HomeAssistant, script: Script) -> None:
    """A redirect's Location: relative, absolute, other schemes, garbage, long."""
    outcomes = await run_property(hass, script, 35, redirects(script.port))
    assert outcomes.get("response", 0) >= 10, outcomes


@st.composite
def retry_afters(draw: st.DrawFn) -> Example:
    """A 429 or 503 (or another retryable status) with any Retry-After, then 200."""
    status = draw(st.sampled_from([429, 503, 429, 503, 500, 502, 504, 408, 425]))
    value = draw(RETRY_AFTER)
    data: dict[str, Any] = {"retries": draw(st.sampled_from([1, 1, 0])), "timeout": 2}
    if draw(st.booleans()):
        data["fail_on_http_error"] = False
    return [reply(status, [(b"Retry-After", value)]), OK], data


def retried_once(example: Example, outcome: Outcome, sleeps: SleepRecorder) -> None:
    """With a retry allowed, the 200 that follows is the response (one sleep)."""
    _, data = example
    if data["retries"] and outcome.error is None:
        assert outcome.response is not None
        assert outcome.response["status"] == 200
        assert outcome.response["attempts"] == 2
        assert len(sleeps.delays) == 1


async def test_any_retry_after(hass: HomeAssistant, script: Script) -> None:
    """A retryable status with any Retry-After: a retry, or the response itself.

    Each recorded retry delay is a number between 0 and the larger cap.
    """
    outcomes = await run_property(hass, script, 30, retry_afters(), retried_once)
    assert outcomes.get("response", 0) >= 10, outcomes


CONTENT_LENGTHS = st.one_of(
    # 5, in more digits than int() takes from a str
    st.sampled_from([b"0" * 5000 + b"5", b"0" * 4301 + b"5", b"0" * 64000 + b"5"]),
    st.sampled_from(
        [
            b"00005",
            b" 5",
            b"5 ",
            b"+5",
            b"-5",
            b"0x5",
            b"5, 5",
            b"5.0",
            b"\xd9\xa5",  # ARABIC-INDIC DIGIT FIVE
            b"\xc2\xb2",  # SUPERSCRIPT TWO
            b"99999999999999999999999",
            b"18446744073709551615",
            b"",
        ]
    ),
    st.integers(min_value=0, max_value=12).map(lambda n: b"%d" % n),
)


@st.composite
def content_lengths(draw: st.DrawFn) -> Example:
    """A 5-byte body under any Content-Length (some repeated, in another case)."""
    values = [draw(CONTENT_LENGTHS)]
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        values.append(draw(CONTENT_LENGTHS))
    names = draw(
        st.lists(
            st.sampled_from([b"Content-Length", b"content-length", b"CONTENT-LENGTH"]),
            min_size=len(values),
            max_size=len(values),
        )
    )
    headers = list(zip(names, values, strict=True))
    if draw(st.booleans()):
        headers.append((b"Content-Type", b"text/plain"))
    answer = reply(200, headers, b"hello", framing="close")
    return [answer], draw(http_options())


async def test_any_content_length(hass: HomeAssistant, script: Script) -> None:
    """A Content-Length in any spelling: the body, or invalid_response.

    Found "Content-Length: 000...005" (over 4300 digits) on 948ba98: aiohttp takes
    it as 5, and _declared_size's int() raised ValueError (see the regression).
    """
    outcomes = await run_property(hass, script, 25, content_lengths())
    assert outcomes.get("response", 0) >= 5, outcomes


async def test_lag_monitor_sees_a_busy_loop() -> None:
    """The monitor reports 100 ms of CPU work on the loop, even as the last thing."""
    monitor = LagMonitor()
    ticking = asyncio.create_task(monitor.run())
    await asyncio.sleep(0.02)
    busy_until = time.thread_time() + 0.1  # CPU time: preemption does not count
    while time.thread_time() < busy_until:
        pass
    monitor.stop(ticking)
    with suppress(asyncio.CancelledError):
        await ticking
    assert monitor.worst_wall >= 0.09
    assert monitor.worst >= 0.09


# --------------------------------------------------------------------------------
# Regressions: the defects known when this file was written. Each failed, for the
# reason in its docstring, on 5a7b152 (before "Simplify the client", 948ba98).
# --------------------------------------------------------------------------------


async def send(
    hass: HomeAssistant,
    script: Script,
    replies: list[Reply],
    sleeps: SleepRecorder | None = None,
    **data: Any,
) -> Outcome:
    """Serve replies to one call and return its outcome."""
    return await call(hass, script, replies, data, sleeps)


def text_reply(charset: bytes, body: bytes) -> Reply:
    """A 200 text/plain reply in charset."""
    return reply(200, [(b"Content-Type", b"text/plain; charset=" + charset)], body)


async def test_punycode_body_does_not_block_the_loop(
    hass: HomeAssistant, script: Script
) -> None:
    """charset=punycode with 200 KB of letters: was a quadratic decode in the loop.

    0.5 to 0.9 s of lag on 5a7b152.
    """
    outcome = await send(hass, script, [text_reply(b"punycode", b"a" * 200_000)])
    assert outcome.error is None, repr(outcome.error)
    assert outcome.response is not None
    assert outcome.response["content"] == "a" * 200_000  # ignored: UTF-8 is used
    assert outcome.lag < MAX_LAG, f"event loop blocked {outcome.lag * 1000:.0f} ms"
    check_outcome(outcome)


async def test_undefined_charset_returns_a_response(
    hass: HomeAssistant, script: Script
) -> None:
    """charset=undefined: bytes.decode raised UnicodeError (not ...DecodeError)."""
    outcome = await send(hass, script, [text_reply(b"undefined", b"hello")])
    assert outcome.error is None, repr(outcome.error)
    check_outcome(outcome)


@pytest.mark.parametrize("body", [b"+2AA-", b"+2D0-", b"a+3AA-b"])
async def test_utf7_lone_surrogate_is_json_safe(
    hass: HomeAssistant, script: Script, body: bytes
) -> None:
    """charset=utf-7 that decodes to a lone surrogate: json_bytes refused it.

    (b"+2D3cAA-" is a valid pair, U+1F400, on Python 3.14: not one of these.)
    """
    assert re.search("[\ud800-\udfff]", body.decode("utf-7"))
    outcome = await send(hass, script, [text_reply(b"utf-7", body)])
    assert outcome.error is None, repr(outcome.error)
    check_outcome(outcome)


@pytest.mark.parametrize("value", ["²", "①", "٣"])
async def test_unicode_digit_retry_after_uses_the_backoff(
    hass: HomeAssistant, script: Script, value: str
) -> None:
    """Retry-After: ² is isdigit() but not float(): was a bare ValueError.

    Not ASCII digits, not a date: the normal backoff, then the 200.
    """
    unavailable = reply(503, [(b"Retry-After", value.encode())])
    with retry_sleeps() as sleeps:
        outcome = await send(hass, script, [unavailable, OK], sleeps, retries=1)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.response is not None
    assert outcome.response["status"] == 200
    assert outcome.response["attempts"] == 2
    assert len(sleeps.delays) == 1
    assert 0.5 <= sleeps.delays[0] <= 1.0  # the first backoff: 1 s, half jittered


@pytest.mark.parametrize("value", ["²", "①"])
async def test_unicode_digit_retry_after_without_retries(
    hass: HomeAssistant, script: Script, value: str
) -> None:
    """Without retries the 503 is the response (passed on 5a7b152 too)."""
    unavailable = reply(503, [(b"Retry-After", value.encode())])
    with retry_sleeps() as sleeps:
        outcome = await send(
            hass, script, [unavailable, OK], sleeps, retries=0, fail_on_http_error=False
        )
    check_outcome(outcome)
    assert outcome.response is not None
    assert outcome.response["status"] == 503
    assert outcome.response["attempts"] == 1
    assert not sleeps.delays


async def test_header_repeated_in_another_case_is_one_list(
    hass: HomeAssistant, script: Script
) -> None:
    """X-A: 1 and x-a: 2 come back under one key as ["1", "2"] (were two keys)."""
    outcome = await send(hass, script, [reply(200, [(b"X-A", b"1"), (b"x-a", b"2")])])
    assert outcome.response is not None
    headers = outcome.response["headers"]
    keys = [key for key in headers if key.lower() == "x-a"]
    assert len(keys) == 1, keys
    assert headers[keys[0]] == ["1", "2"]


@pytest.mark.parametrize(
    ("status", "reason", "headers"),
    [
        pytest.param(200, b"\x80", [], id="reason"),
        pytest.param(503, b"\xff\xfe", [], id="reason-in-http-error"),
        pytest.param(200, b"OK", [(b"X-A", b"\xe9t\xe9")], id="latin-1-value"),
        pytest.param(200, b"OK", [(b"Location", b"/\xff")], id="location-unfollowed"),
        pytest.param(
            200, b"OK", [(b"Content-Type", b"t\xebxt/plain")], id="media-type"
        ),
        pytest.param(
            200,
            b"OK",
            [(b"Content-Type", b"text/plain; charset=\x80")],
            id="charset-byte",
        ),
        pytest.param(
            200,
            b"OK",
            [(b"Content-Type", b"text/plain; charset=raw_unicode_escape")],
            id="raw-unicode-escape",
        ),
    ],
)
async def test_bytes_that_are_not_utf8(
    hass: HomeAssistant,
    script: Script,
    status: int,
    reason: bytes,
    headers: list[tuple[bytes, bytes]],
) -> None:
    """What the fuzz found on 5a7b152 besides the known defects.

    aiohttp keeps bytes that are not UTF-8 as lone surrogates (surrogateescape):
    a reason phrase or any header value made a response json_bytes refused, or an
    http_error whose placeholders it refused; a charset with such a byte raised a
    bare UnicodeEncodeError in codecs.lookup, and raw_unicode_escape decoded a
    backslash-u escape to a lone surrogate.
    """
    answer = reply(status, headers, b"\\ud800", reason=reason)
    outcome = await send(hass, script, [answer])
    check_outcome(outcome)


# --------------------------------------------------------------------------------
# Found by this fuzz on 948ba98, fixed since
# --------------------------------------------------------------------------------


async def test_content_length_with_many_leading_zeros(
    hass: HomeAssistant, script: Script
) -> None:
    """Content-Length: 000...005 (4301+ digits) is the 5-byte body, or an error.

    aiohttp's parser takes it as 5; _declared_size's int() of the header value
    raised "ValueError: Exceeds the limit (4300 digits) for integer string
    conversion", untranslated (5a7b152 too).
    """
    answer = reply(
        200, [(b"Content-Length", b"0" * 4301 + b"5")], b"hello", framing="close"
    )
    outcome = await send(hass, script, [answer], fail_on_http_error=False)
    check_outcome(outcome)


async def test_redirect_to_bytes_that_are_not_utf8(
    hass: HomeAssistant, script: Script
) -> None:
    """A Location of bytes that are not UTF-8 is invalid_redirect on every yarl.

    aiohttp hands those bytes over as lone surrogates; yarl 1.22 (HA 2026.3) kept
    them in the joined URL, and response["url"] was a string json_bytes refused.
    """
    moved = reply(303, [(b"Location", b"/\xff\xfe")])
    outcome = await send(hass, script, [moved, OK])
    check_outcome(outcome)
    assert getattr(outcome.error, "translation_key", None) == "invalid_redirect"


def densest(item: bytes) -> bytes:
    """Return a default-limit body with as many containers as are parsed.

    item is repeated up to MAX_JSON_CONTAINERS arrays and objects, then a string
    fills the body up to the default response size limit.
    """
    per_item = item.count(b"[") + item.count(b"{")
    items = b",".join([item] * ((MAX_JSON_CONTAINERS - 1) // per_item))
    filler = DEFAULT_MAX_RESPONSE_SIZE - len(items) - 5
    return b"[" + items + b',"' + b"x" * filler + b'"]'


WORST_JSON = {
    # Tiny containers: the slowest JSON per byte there is for orjson. A whole MiB
    # of them is more containers than are parsed.
    "objects-of-lists": b'{"":[]}',
    "lists-of-lists": b"[[]]",
    # As deep as is parsed, over and over: the depth check's worst case too.
    "deepest-parsed": nested(MAX_JSON_DEPTH - 1),
    "too-deep": nested(MAX_JSON_DEPTH),
}
# The slowest JSON that is parsed: as many containers as are allowed.
DENSEST_JSON = {
    "densest-objects-of-lists": densest(b'{"":[]}'),
    "densest-deepest": densest(nested(MAX_JSON_DEPTH - 1)),
}


def _worst_bodies() -> dict[str, bytes]:
    bodies = dict(DENSEST_JSON)
    for name, item in WORST_JSON.items():
        count = (DEFAULT_MAX_RESPONSE_SIZE - 2) // (len(item) + 1)
        bodies[name] = b"[" + b",".join([item] * count) + b"]"
    return bodies


WORST_BODIES = _worst_bodies()


@pytest.mark.parametrize("body", WORST_BODIES.values(), ids=WORST_BODIES)
async def test_big_json_does_not_block_the_loop(
    hass: HomeAssistant, script: Script, body: bytes
) -> None:
    """The slowest JSON there is, as big as the default limit lets through.

    Up to MAX_JSON_CONTAINERS arrays and objects it is parsed (it was text over
    512 KiB); with more, or nested too deep, it is text. The parse holds the GIL
    (about 20 ms for the densest here): over 256 KiB it runs in the executor,
    apart from the depth check. The loop-lag rule holds whatever the limit.
    """
    assert len(body) <= DEFAULT_MAX_RESPONSE_SIZE
    answer = reply(200, [(b"Content-Type", b"application/json")], body)
    outcome = await send(hass, script, [answer])
    check_outcome(outcome)
    assert outcome.response is not None
    content = outcome.response["content"]
    containers = body.count(b"[") + body.count(b"{")
    too_deep = nested(MAX_JSON_DEPTH) in body
    as_text = too_deep or containers > MAX_JSON_CONTAINERS
    assert isinstance(content, str if as_text else list)


@pytest.mark.parametrize("body", DEEP_JSON + HUGE_NUMBERS, ids=lambda b: b[:12])
async def test_deep_json_and_huge_numbers(
    hass: HomeAssistant, script: Script, body: bytes
) -> None:
    """JSON nested too deep for HA's encoder, or numbers no float holds: text.

    A 300-level list (600 bytes) was parsed, and HA's websocket API then answered
    "Invalid JSON in response"; 200 levels 100 times over aborted the process in
    orjson's writer. Up to MAX_JSON_DEPTH levels the JSON is parsed.
    """
    answer = reply(200, [(b"Content-Type", b"application/json")], body)
    outcome = await send(hass, script, [answer])
    check_outcome(outcome)
    assert outcome.response is not None
    if body == nested(MAX_JSON_DEPTH):
        assert isinstance(outcome.response["content"], list)
    elif body in DEEP_JSON:
        assert outcome.response["content"] == body.decode()


async def test_big_headers_do_not_block_the_loop(
    hass: HomeAssistant, script: Script
) -> None:
    """The most header bytes aiohttp 3.14 lets through (128 x 64 KiB), none UTF-8.

    safe_text re-decoded 8 MB on the loop (55 to 91 ms); in the executor the loop
    still waited 45 to 55 ms for the GIL. The headers are now worked on the loop a
    slice at a time (8 to 10 ms). (aiohttp 3.13 takes any number of headers
    and spends 60 to 110 ms parsing 5000 x 8 KB by itself, before the action sees
    them: out of the action's reach, so not asserted here.)
    """
    answer = reply(200, [(b"X-A", b"\xff" * 64_000)] * 126)
    outcome = await send(hass, script, [answer], fail_on_http_error=False)
    check_outcome(outcome)
    if outcome.response is not None:  # aiohttp 3.13 refuses 64 KB headers
        assert len(outcome.response["headers"]["X-A"]) == 126
