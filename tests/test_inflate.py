"""Tests for bounded inflating of compressed bodies, and the action using it."""

from __future__ import annotations

import gzip
import zlib

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest

from custom_components.scene_http_request import client
from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND
from custom_components.scene_http_request.inflate import PIECE, Inflater

from .server import RecordingServer

TEXT = b"The quick brown fox jumps over the lazy dog. " * 4000  # 180 KB


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


ENCODED = {
    "gzip": gzip.compress(TEXT),
    "deflate (zlib)": zlib.compress(TEXT),
    "deflate (raw)": _raw_deflate(TEXT),
}


def _inflate_all(inflater: Inflater, body: bytes, chunk: int) -> list[bytes]:
    pieces: list[bytes] = []
    for start in range(0, len(body), chunk):
        pieces.extend(inflater.inflate(body[start : start + chunk]))
    return pieces


@pytest.mark.parametrize("name", ENCODED)
@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
def test_inflate_in_bounded_pieces(name: str, chunk: int) -> None:
    """Any split of the body inflates to the text, never more than PIECE at once."""
    inflater = Inflater.for_encoding(name.split(maxsplit=1)[0].upper())
    assert inflater is not None
    pieces = _inflate_all(inflater, ENCODED[name], chunk)
    assert b"".join(pieces) == TEXT
    assert max(len(piece) for piece in pieces) <= PIECE


def test_bomb_is_inflated_a_piece_at_a_time() -> None:
    """64 MiB of zeros in 64 KiB of gzip: the caller can stop after any piece."""
    bomb = gzip.compress(bytes(64 << 20), compresslevel=9)
    inflater = Inflater.for_encoding("gzip")
    assert inflater is not None
    pieces = inflater.inflate(bomb)
    total = 0
    for piece in pieces:
        assert len(piece) <= PIECE
        total += len(piece)
        if total > 1 << 20:
            break
    assert total <= (1 << 20) + PIECE


@pytest.mark.parametrize(
    "encoding", [None, "", "identity", "br", "zstd", "compress", "x-gzip"]
)
def test_no_inflater_for_other_encodings(encoding: str | None) -> None:
    """Only gzip and deflate are inflated; other bodies are kept as sent."""
    assert Inflater.for_encoding(encoding) is None


def test_trailing_data_and_empty_input() -> None:
    """Bytes after the end of the stream, and empty reads, are ignored."""
    inflater = Inflater.for_encoding("gzip")
    assert inflater is not None
    assert list(inflater.inflate(b"")) == []
    body = gzip.compress(b"hello") + b"trailing garbage"
    assert b"".join(inflater.inflate(body)) == b"hello"
    assert list(inflater.inflate(b"more")) == []


@pytest.mark.parametrize("size", [PIECE, 4 * PIECE, PIECE + 1])
def test_output_held_back_at_a_piece_boundary(size: int) -> None:
    """Output that fills a piece exactly is drained without waiting for input."""
    inflater = Inflater.for_encoding("gzip")
    assert inflater is not None
    body = gzip.compress(bytes(size))
    pieces = list(inflater.inflate(body[:-8]))  # all but the gzip trailer
    assert sum(len(piece) for piece in pieces) == size
    assert list(inflater.inflate(body[-8:])) == []


def test_corrupt_body_raises_zlib_error() -> None:
    """A body that is not in its encoding raises zlib.error (cannot_connect)."""
    inflater = Inflater.for_encoding("gzip")
    assert inflater is not None
    with pytest.raises(zlib.error):
        list(inflater.inflate(b"\x1f\x8b\x08\x00 not deflate data"))


# ------------------------------------------------------------------ through the action


async def _send(hass: HomeAssistant, url: str, **data: object) -> dict[str, object]:
    response = await hass.services.async_call(
        DOMAIN, SERVICE_SEND, {"url": url, **data}, blocking=True, return_response=True
    )
    assert response is not None
    return response


@pytest.mark.usefixtures("inflating")
@pytest.mark.parametrize("name", ENCODED)
async def test_action_inflates(
    hass: HomeAssistant, server: RecordingServer, name: str
) -> None:
    """Gzip and both kinds of deflate come back inflated, with either inflater."""

    @server.route("/text")
    async def text(_request: web.Request) -> web.Response:
        return web.Response(
            body=ENCODED[name],
            headers={
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Encoding": name.split(maxsplit=1)[0],
            },
        )

    assert await async_setup_component(hass, DOMAIN, {})
    response = await _send(hass, server.url("/text"))
    assert response["content"] == TEXT.decode()
    assert response["content_encoding"] is None


@pytest.mark.usefixtures("inflating")
async def test_action_size_limit_counts_inflated_bytes(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """A body under the limit compressed but over it inflated is too large."""

    @server.route("/text")
    async def text(_request: web.Request) -> web.Response:
        return web.Response(
            body=ENCODED["gzip"],
            headers={"Content-Type": "text/plain", "Content-Encoding": "gzip"},
        )

    assert await async_setup_component(hass, DOMAIN, {})
    assert len(ENCODED["gzip"]) < 10_000 < len(TEXT)
    with pytest.raises(HomeAssistantError) as info:
        await _send(hass, server.url("/text"), max_response_size=len(TEXT) - 1)
    assert info.value.translation_key == "response_too_large"
    response = await _send(hass, server.url("/text"), max_response_size=len(TEXT))
    assert response["content"] == TEXT.decode()


async def test_self_inflating_client_asks_for_gzip_and_deflate(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """Inflating by itself, the client asks only for what it can inflate."""
    assert await async_setup_component(hass, DOMAIN, {})
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(client, "_SELF_INFLATE", True)
        await _send(hass, server.url("/default"))
        assert server.last.headers["Accept-Encoding"] == "gzip, deflate"
        await _send(hass, server.url("/own"), headers={"Accept-Encoding": "br"})
        assert server.last.headers["Accept-Encoding"] == "br"
        await _send(hass, server.url("/json"), json={"a": 1})
        assert server.last.headers["Accept-Encoding"] == "gzip, deflate"
        assert server.last.headers["Content-Type"] == "application/json"


async def test_self_inflating_client_keeps_other_encodings(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """A body in an encoding it can't inflate is returned as sent (base64)."""
    body = b"\x0b\x02\x80hello\x03"  # what a brotli body looks like: opaque bytes

    @server.route("/br")
    async def brotli(_request: web.Request) -> web.Response:
        return web.Response(
            body=body,
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Encoding": "br",
            },
        )

    assert await async_setup_component(hass, DOMAIN, {})
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(client, "_SELF_INFLATE", True)
        response = await _send(
            hass, server.url("/br"), headers={"Accept-Encoding": "br"}
        )
    assert response["content_encoding"] == "base64"
    assert response["headers"]["Content-Encoding"] == "br"  # type: ignore[index]
