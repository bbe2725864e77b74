"""Responses saved to disk (save_to), never half-written.

The body goes to a temporary file in the target's directory as it arrives, in
executor jobs of up to WRITE_BATCH bytes, and is renamed over the target only once
it is complete, within the limit, and accepted by the action. On any failure the
temporary file is removed and an existing target is left as it was. The rename is
atomic because both names are in the same directory (one filesystem).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from email.message import Message
import os
from pathlib import Path
import re
import tempfile
from typing import IO, Any

from aiohttp import hdrs
from homeassistant.core import HomeAssistant
from homeassistant.core_config import Config
from multidict import MultiMapping
from yarl import URL

from .const import MIB
from .files import file_error, resolve_allowed, shown_path
from .validation import validation_error

WRITE_BATCH = 1 * MIB
TEMP_PREFIX = ".scene_http_request-"
TEMP_SUFFIX = ".part"
DEFAULT_NAME = "download"
# Most filesystems take names of at most 255 bytes.
_NAME_MAX = 255
_EXTENSION_MAX = 16
# Control characters, undecodable bytes (lone surrogates, or U+FFFD once the email
# parser has replaced them), and what Windows and Samba shares refuse.
_UNSAFE_RE = re.compile(r'[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffd<>:"|?*]')


@dataclass(frozen=True, slots=True)
class Target:
    """Where a response goes: a directory and a name (None: from the response)."""

    directory: Path
    name: str | None
    given: str  # the path as the caller wrote it, for messages


def resolve_target(config: Config, raw: str) -> Target:
    """Resolve and check a save_to path. Blocking: run in an executor job."""
    path = resolve_allowed(config, raw)
    if raw.endswith(("/", os.sep)) or path.is_dir():
        directory, name = path, None
    else:
        directory, name = path.parent, path.name
    if not directory.is_dir():
        raise validation_error("file_not_found", path=shown_path(raw))
    return Target(directory, name, raw)


def safe_name(candidate: str | None) -> str | None:
    """Return candidate as a plain file name, or None if nothing usable is left.

    No directory, no "..", no hidden name, no control character; at most
    _NAME_MAX bytes, the extension kept.
    """
    if not candidate:
        return None
    name = candidate.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_RE.sub("", name).strip().strip(".").strip()
    if len(name.encode()) > _NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if not dot or len(extension) > _EXTENSION_MAX:
            stem, dot, extension = name, "", ""
        room = _NAME_MAX - len(extension.encode()) - len(dot)
        stem = stem.encode()[:room].decode(errors="ignore")
        name = stem + dot + extension
    return name or None


def disposition_filename(header: str | None) -> str | None:
    """Return the filename (or filename*) of a Content-Disposition value, if any."""
    if not header:
        return None
    message = Message()
    try:
        message[hdrs.CONTENT_DISPOSITION] = header
        filename = message.get_filename()
    except Exception:  # noqa: BLE001 - hostile input: any failure means "no name"
        return None
    return filename if isinstance(filename, str) else None


def download_name(disposition: str | None, url: URL) -> str:
    """Return the file name of a download into a directory."""
    return (
        safe_name(disposition_filename(disposition))
        or safe_name(url.name)
        or DEFAULT_NAME
    )


class Download:
    """A response body on its way to a file (the client's BodySink)."""

    def __init__(self, hass: HomeAssistant, target: Target, url: URL) -> None:
        """Write to target; url names the file when target is a directory."""
        self._hass = hass
        self._target = target
        self._url = url
        self._file: IO[bytes] | None = None
        self._temp: Path | None = None
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._pending: asyncio.Future[Any] | None = None
        self._disposition: str | None = None
        self.size = 0

    async def async_start(self, headers: MultiMapping[str]) -> None:
        """Begin a body: create the temporary file, or empty it for a retry."""
        await self._async_settle()
        self._disposition = headers.get(hdrs.CONTENT_DISPOSITION)
        self._buffer.clear()
        self._buffered = self.size = 0
        await self._async_run(self._start)

    async def async_write(self, data: bytes) -> None:
        """Take the next piece; once WRITE_BATCH bytes wait, start writing them.

        The write runs while the next batch arrives: a batch waits only for the
        write before it, whose error (a full disk) surfaces here.
        """
        self._buffer.append(data)
        self._buffered += len(data)
        self.size += len(data)
        if self._buffered >= WRITE_BATCH:
            await self._async_flush(wait=False)

    async def async_commit(self) -> Path:
        """Write what is left and rename the file into place; return its path."""
        if self._file is None:  # no body was started: an empty file
            await self._async_run(self._start)
        await self._async_flush()
        path: Path = await self._async_run(self._commit)
        return path

    async def async_discard(self) -> None:
        """Remove the temporary file, if any; safe to call at any time."""
        await self._async_settle()
        if self._file is not None or self._temp is not None:
            await asyncio.shield(self._hass.async_add_executor_job(self._discard))

    async def _async_flush(self, *, wait: bool = True) -> None:
        """Write the waiting batch after the write before it; wait for it if asked."""
        if self._pending is not None:
            await asyncio.shield(self._pending)
        if self._buffer:
            batch, self._buffer = self._buffer, []
            self._buffered = 0
            self._pending = self._hass.async_add_executor_job(self._write, batch)
        if wait and self._pending is not None:
            await asyncio.shield(self._pending)

    async def _async_run(self, job: Callable[..., Any], *args: Any) -> Any:
        """Run job in the executor; a cancelled caller leaves it to finish."""
        self._pending = self._hass.async_add_executor_job(job, *args)
        return await asyncio.shield(self._pending)

    async def _async_settle(self) -> None:
        """Wait for a job a cancelled call left running (its error is moot)."""
        if self._pending is not None:
            with suppress(Exception):
                await self._pending

    # The jobs below run in the executor.

    def _start(self) -> None:
        try:
            if self._file is None:
                handle, name = tempfile.mkstemp(
                    prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=self._target.directory
                )
                self._temp = Path(name)
                self._file = os.fdopen(handle, "wb")
            else:
                self._file.seek(0)
                self._file.truncate()
        except OSError as err:
            raise file_error(self._target.given, err) from None

    def _write(self, batch: list[bytes]) -> None:
        assert self._file is not None  # noqa: S101 - _start ran first
        try:
            self._file.writelines(batch)
        except OSError as err:
            raise file_error(self._target.given, err) from None

    def _commit(self) -> Path:
        assert self._file is not None  # noqa: S101
        assert self._temp is not None  # noqa: S101
        name = self._target.name or download_name(self._disposition, self._url)
        final = self._target.directory / name
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._temp.chmod(0o644)
            self._temp.replace(final)
        except OSError as err:
            raise file_error(final, err) from None
        self._file = self._temp = None
        return final

    def _discard(self) -> None:
        if self._file is not None:
            with suppress(OSError):
                self._file.close()
            self._file = None
        if self._temp is not None:
            with suppress(OSError):
                self._temp.unlink()
            self._temp = None


async def async_prepare_download(hass: HomeAssistant, raw: str, url: URL) -> Download:
    """Check a save_to path and return the download that writes there."""
    target = await hass.async_add_executor_job(resolve_target, hass.config, raw)
    return Download(hass, target, url)
