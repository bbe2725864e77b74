"""Files the action reads: who may use them, checked paths, bodies streamed from disk.

Every file operation runs in an executor job, never on the event loop: resolving a
path, Home Assistant's allow-list check (hass.config.is_allowed_path, which touches
the disk), opening, reading, closing. The bytes of an upload are read by aiohttp's
own file payload, which reads each piece in an executor job while the previous
one is sent: the body is never whole in memory. Executor jobs need no dependency;
aiofiles would run the same thread-pool calls behind another API.

What is opened is checked, not only its name: a file is opened without following
a last symlink and without blocking on a FIFO, must be a regular file, and the
allow list is checked again on the path the open descriptor really has.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from functools import partial
import mimetypes
import os
from pathlib import Path, PurePath
import stat
from typing import IO, Any

from aiohttp import MultipartWriter
from aiohttp.payload import BufferedReaderPayload, BytesPayload, Payload
from homeassistant.core import Context, HomeAssistant
from homeassistant.core_config import Config
from homeassistant.exceptions import HomeAssistantError, Unauthorized, UnknownUser

from .const import ATTR_BODY_FILE, ATTR_MULTIPART, ATTR_SAVE_TO, DOMAIN, PART_FILE
from .validation import printable, validation_error

OCTET_STREAM = "application/octet-stream"
TEXT_PLAIN = "text/plain; charset=utf-8"
# Messages show a path of at most this many characters (its end: the file's name).
_SHOWN_PATH = 64
# A FIFO swapped in must not block the open, nor a symlink lead elsewhere.
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK


def uses_files(data: Mapping[str, Any]) -> bool:
    """Return whether call data reads or writes a file (body_file, save_to, file)."""
    if data.get(ATTR_BODY_FILE) is not None or data.get(ATTR_SAVE_TO) is not None:
        return True
    return any(
        isinstance(part, Mapping) and part.get(PART_FILE) is not None
        for part in data.get(ATTR_MULTIPART) or ()
    )


async def async_check_file_access(
    hass: HomeAssistant, context: Context, data: Mapping[str, Any]
) -> None:
    """Let only admins, and calls without a user, read or write files.

    Automations and scripts started by the system have no user. Like core's admin
    actions, raise Unauthorized for any other user (UnknownUser for an unknown one).
    """
    if context.user_id is None or not uses_files(data):
        return
    user = await hass.auth.async_get_user(context.user_id)
    if user is None:
        raise UnknownUser(context=context)
    if not user.is_admin:
        raise Unauthorized(context=context)


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
        translation_placeholders={
            "path": printable(shown_path(path)),
            "reason": printable(reason),
        },
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


def after_check(path: Path) -> None:
    """Do nothing: runs between a path's check and its opening (tests race here)."""


def opened_path(fd: int, path: Path) -> str | None:
    """Return the path an open descriptor really has, None if it can't be told.

    Linux names it in /proc/self/fd. Elsewhere, path must still resolve to the
    very file that was opened. Blocking: executor only.
    """
    with suppress(OSError):
        return str(Path(f"/proc/self/fd/{fd}").readlink())
    try:
        real = path.resolve()
        opened, current = os.fstat(fd), real.stat()
    except OSError:
        return None
    if (opened.st_dev, opened.st_ino) != (current.st_dev, current.st_ino):
        return None
    return str(real)


def check_opened(config: Config, fd: int, path: Path, raw: str) -> str:
    """Check the allow list on the path an open descriptor really has; return it.

    Blocking: executor only.
    """
    real = opened_path(fd, path)
    if real is None or not config.is_allowed_path(real):
        raise validation_error("path_not_allowed", path=shown_path(raw))
    return real


def _check_regular(fd: int, raw: str) -> None:
    """Refuse a directory, or a FIFO or device whose reads would block or not end."""
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise file_error(raw, IsADirectoryError(0, "not a regular file"))


def open_upload(config: Config, raw: str) -> IO[bytes]:
    """Open an allowed regular file for reading. Blocking: executor only."""
    path = resolve_allowed(config, raw)
    after_check(path)
    try:
        fd = os.open(path, _READ_FLAGS)
    except FileNotFoundError:
        raise validation_error("file_not_found", path=shown_path(raw)) from None
    except OSError as err:  # ELOOP: a symlink was swapped in after the check
        raise file_error(raw, err) from None
    try:
        _check_regular(fd, raw)
        check_opened(config, fd, path, raw)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except OSError as err:
        os.close(fd)
        raise file_error(raw, err) from None
    except BaseException:
        os.close(fd)
        raise


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
        file, content_type = await async_open(
            self.hass, self._open, lambda opened: close_all([opened[0]])
        )
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
        files, payloads = await async_open(
            self.hass, self._open, lambda opened: close_all(opened[0])
        )
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


async def async_open[T](
    hass: HomeAssistant, opener: Callable[[], T], closer: Callable[[T], None]
) -> T:
    """Return what opener opens in an executor job.

    If the call is cancelled meanwhile, the job still runs: closer then closes what
    it opened, in another executor job, rather than leaving it to the garbage
    collector.
    """
    job = hass.async_add_executor_job(opener)
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        job.add_done_callback(partial(_close_abandoned, hass, closer))
        raise


def _close_abandoned[T](
    hass: HomeAssistant, closer: Callable[[T], None], job: asyncio.Future[T]
) -> None:
    """Close what a job whose caller was cancelled opened."""
    if not job.cancelled() and job.exception() is None:
        hass.async_add_executor_job(closer, job.result())


async def _async_close(hass: HomeAssistant, files: list[IO[bytes]]) -> None:
    """Close files in an executor job, even when the call is being cancelled."""
    if files:
        await asyncio.shield(hass.async_add_executor_job(close_all, files))
