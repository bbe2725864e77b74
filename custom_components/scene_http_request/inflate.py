"""Inflate gzip and deflate bodies a bounded piece at a time.

aiohttp before 3.14 (Home Assistant before 2026.10) inflates a whole network read
at once, up to 32 MiB, before the client can count the bytes: a 200 KiB gzip bomb
then takes 64 MiB. On those versions the client asks aiohttp for the body as sent
and inflates it here, in pieces of at most PIECE bytes, so it can stop at the size
limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final
import zlib

PIECE: Final = 64 * 1024
# What the client can inflate, in the order it asks for them.
ACCEPT_ENCODING: Final = "gzip, deflate"
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS
_ZLIB_METHOD_DEFLATE: Final = 8


class Inflater:
    """Inflates one gzip or deflate body."""

    __slots__ = ("_decoder", "_encoding")

    def __init__(self, encoding: str) -> None:
        """Inflate a body sent with this Content-Encoding (gzip or deflate)."""
        self._encoding = encoding
        self._decoder: zlib._Decompress | None = None

    @staticmethod
    def for_encoding(content_encoding: str | None) -> Inflater | None:
        """Return an inflater for a Content-Encoding, or None when there is none."""
        encoding = (content_encoding or "").strip().lower()
        if encoding in ("gzip", "deflate"):  # what aiohttp 3.14 inflates too
            return Inflater(encoding)
        return None

    def inflate(self, data: bytes) -> Iterator[bytes]:
        """Yield the inflated bytes of data, at most PIECE at a time.

        Raises zlib.error for data that is not in the encoding.
        """
        if not data:
            return
        decoder = self._decoder
        if decoder is None:
            decoder = self._decoder = zlib.decompressobj(self._wbits(data))
        while not decoder.eof:
            piece = decoder.decompress(data, PIECE)
            data = decoder.unconsumed_tail
            if piece:
                yield piece
            # Input used up: stop, unless a full piece says zlib holds more back.
            if not data and len(piece) < PIECE:
                break

    def _wbits(self, first: bytes) -> int:
        """Return zlib's wbits for the body: gzip, zlib, or raw deflate."""
        if self._encoding != "deflate":
            return _GZIP_WBITS
        # "deflate" means zlib-wrapped, but some servers send raw deflate data.
        if first[0] & 0x0F == _ZLIB_METHOD_DEFLATE:
            return zlib.MAX_WBITS
        return -zlib.MAX_WBITS
