"""Files the action reads: checked paths, and request bodies streamed from disk.

Every file operation runs in an executor job, never on the event loop: resolving a
path, Home Assistant's allow-list check (hass.config.is_allowed_path, which touches
the disk), opening, reading, closing. The bytes of an upload are read by aiohttp's
own file payload, which reads each piece in an executor job while the previous
one is sent: the body is never whole in memory. Executor jobs need no dependency;
aiofiles would run the same thread-pool calls behind another API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
import mimetypes
from pathlib import Path, PurePath
import stat
from typing import IO, Any

from aiohttp import MultipartWriter
from aiohttp.payload import BufferedReaderPayload, BytesPayload, Payload
from homeassistant.core import HomeAssistant
from homeassistant.core_config import Config
from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .validation import validation_error

OCTET_STREAM = "application/octet-stream"
TEXT_PLAIN = "text/plain; charset=utf-8"
# Messages show a path of at most this many characters (its end: the file's name).
_SHOWN_PATH = 64


def shown_path(path: str | PurePath) -> str:
    """Return a path for a message: its end, if it is long."""
    text = str(path)
    return text if len(text) <= _SHOWN_PATH else "…" + text[-(_SHOWN_PATH - 1) :]


def file_error(path: str | PurePath, err: OSError) -> HomeAssistantError:
    """Return the translated error of an I/O failure; it names the file only."""
    reason = err.strerror or type(err).__name__
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="file_error",
        translation_placeholders={"path": shown_path(path), "reason": reason},
    )


def resolve_allowed(config: Config, raw: str) -> Path:
    """Return the absolute, resolved path of raw, if Home Assistant allows it.

    A relative path is taken from the configuration directory. Symlinks and ".."
    are resolved first, so neither can lead outside the allowed directories.
    Blocking: run in an executor job.
    """
    try:
        path = Path(config.config_dir, raw).resolve()
        allowed = config.is_allowed_path(str(path))
    except (OSError, ValueError) as err:  # ValueError: a NUL character
        raise file_error(raw, OSError(str(err))) from None
    if not allowed:
        raise validation_error("path_not_allowed", path=shown_path(raw))
    return path


def guess_type(name: str, default: str) -> str:
    """Return the media type of a file name, else default.

    Blocking the first time (mimetypes reads the system's tables): executor only.
    """
    return mimetypes.guess_type(name, strict=False)[0] or default


def open_upload(config: Config, raw: str) -> IO[bytes]:
    """Open an allowed regular file for reading. Blocking: executor only."""
    path = resolve_allowed(config, raw)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise validation_error("file_not_found", path=shown_path(raw)) from None
    except OSError as err:
        raise file_error(raw, err) from None
    if not stat.S_ISREG(mode):  # a directory, or a FIFO that would block the read
        raise file_error(raw, IsADirectoryError(0, "not a regular file"))
    try:
        return path.open("rb")
    except OSError as err:
        raise file_error(raw, err) from None


def close_all(files: list[IO[bytes]]) -> None:
    """Close files. Blocking: executor only."""
    for file in files:
        with suppress(OSError):
            file.close()


@dataclass(frozen=True, slots=True)
class FileBody:
    """A body_file: the raw bytes of one file, re-opened for each hop."""

    hass: HomeAssistant
    path: str

    def _open(self) -> tuple[IO[bytes], str]:
        file = open_upload(self.hass.config, self.path)
        return file, guess_type(self.path, OCTET_STREAM)

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Payload]:
        """Open the file for one hop; aiohttp reads it in executor jobs."""
        file, content_type = await self.hass.async_add_executor_job(self._open)
        try:
            yield BufferedReaderPayload(file, content_type=content_type, filename=None)
        finally:
            await _async_close(self.hass, [file])


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a multipart body: bytes (value, content_base64) or a file."""

    name: str
    data: bytes | None
    path: str | None
    filename: str | None
    content_type: str | None


@dataclass(frozen=True, slots=True)
class MultipartBody:
    """A multipart/form-data body whose file parts are streamed from disk."""

    hass: HomeAssistant
    parts: tuple[Part, ...]
    boundary: str

    def _open(self) -> tuple[list[IO[bytes]], list[Payload]]:
        """Open every file part and build the payload of every part."""
        files: list[IO[bytes]] = []
        try:
            return files, [self._payload(part, files.append) for part in self.parts]
        except BaseException:
            close_all(files)
            raise

    def _payload(self, part: Part, keep: Callable[[IO[bytes]], Any]) -> Payload:
        filename = part.filename
        if part.path is not None:
            file = open_upload(self.hass.config, part.path)
            keep(file)
            filename = filename or PurePath(part.path).name
            default = guess_type(filename, OCTET_STREAM)
            payload: Payload = BufferedReaderPayload(
                file, content_type=part.content_type or default, filename=None
            )
        else:
            data = part.data or b""
            default = TEXT_PLAIN if filename is None else OCTET_STREAM
            if filename is not None:
                default = guess_type(filename, default)
            payload = BytesPayload(data, content_type=part.content_type or default)
        # Names go as UTF-8 quoted strings, as browsers send them: aiohttp's
        # default percent-encodes the file name, which servers don't decode.
        if filename is None:
            payload.set_content_disposition(
                "form-data", quote_fields=False, name=part.name
            )
        else:
            payload.set_content_disposition(
                "form-data", quote_fields=False, name=part.name, filename=filename
            )
        return payload

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Payload]:
        """Open the file parts for one hop; aiohttp reads them in executor jobs."""
        files, payloads = await self.hass.async_add_executor_job(self._open)
        try:
            writer = MultipartWriter("form-data", boundary=self.boundary)
            for payload in payloads:
                writer.append_payload(payload)
            yield writer
        finally:
            await _async_close(self.hass, files)

    @property
    def content_type(self) -> str:
        """Return the Content-Type of the body, boundary included."""
        return f"multipart/form-data; boundary={self.boundary}"


async def _async_close(hass: HomeAssistant, files: list[IO[bytes]]) -> None:
    """Close files in an executor job, even when the call is being cancelled."""
    if files:
        await asyncio.shield(hass.async_add_executor_job(close_all, files))
