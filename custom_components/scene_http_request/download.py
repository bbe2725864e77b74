"""Responses saved to disk (save_to), never half-written, never over another file.

The body goes to a temporary file in the target's directory as it arrives, in
executor jobs of up to WRITE_BATCH bytes, and takes its final name only once it is
complete, within the limit, and accepted by the action. On any failure the
temporary file is removed and an existing target is left as it was.

The directory is opened once, checked on the path its descriptor really has, and
every name is created, renamed and removed relative to that descriptor: swapping
the directory for a symlink after the check changes nothing. A file path given in
full is replaced (an atomic rename, both names in one directory). A name the
response picks (a directory target) never replaces anything: it is linked under
the first free name (report.txt, report_2.txt...), and in a directory Home
Assistant serves at /local it never keeps an active-content extension.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from email.message import Message
import errno
from functools import partial
import os
from pathlib import Path
import re
import secrets
import stat
from typing import IO, Any

from aiohttp import hdrs
from homeassistant.core import HomeAssistant
from homeassistant.core_config import Config
from multidict import MultiMapping
from yarl import URL

from .const import MIB
from .files import async_open, check_opened, file_error, resolve_allowed, shown_path
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
# What a browser would run from /local: such a name the response picks gets .txt.
ACTIVE_EXTENSIONS = frozenset({"html", "htm", "xhtml", "svg", "js", "mjs"})
INERT_SUFFIX = ".txt"
# Free names tried after the response's own: report_2.txt ... report_<N>.txt.
_MAX_NUMBER = 10_000
# Not O_DIRECTORY: it reports a symlink swapped in as "not a directory".
_DIRECTORY_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
# A filesystem without hard links (FAT, some network shares) refuses os.link so.
_NO_LINK = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EXDEV}
)


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


def after_check(path: Path) -> None:
    """Do nothing: runs between a directory's check and its opening (tests race)."""


def open_directory(config: Config, target: Target) -> int:
    """Open the target's directory, checked on its descriptor's real path.

    Blocking: run in an executor job.
    """
    after_check(target.directory)
    missing = validation_error("file_not_found", path=shown_path(target.given))
    try:
        fd = os.open(target.directory, _DIRECTORY_FLAGS)
    except FileNotFoundError, NotADirectoryError:
        raise missing from None
    except OSError as err:  # ELOOP: a symlink was swapped in after the check
        raise file_error(target.given, err) from None
    try:
        is_directory = stat.S_ISDIR(os.fstat(fd).st_mode)
        if is_directory:
            check_opened(config, fd, target.directory, target.given)
    except BaseException:
        os.close(fd)
        raise
    if not is_directory:  # a file or a FIFO swapped in
        os.close(fd)
        raise missing
    return fd


def open_target(config: Config, raw: str) -> tuple[Target, int]:
    """Resolve and check a save_to path; open its directory. Executor only."""
    target = resolve_target(config, raw)
    return target, open_directory(config, target)


def is_served(config: Config, target: Target, real: str) -> bool:
    """Return whether HA serves the target's directory at /local (config/www).

    Both the path as given and the directory's real path are looked at.
    Blocking: run in an executor job.
    """
    www = os.path.join(config.config_dir, "www")  # noqa: PTH118 - plain strings
    given = os.path.normpath(os.path.join(config.config_dir, target.given))  # noqa: PTH118
    real_www = os.path.realpath(www)
    candidates = [(given, www), (str(target.directory), real_www), (real, real_www)]
    return any(
        path == root or path.startswith(root.rstrip(os.sep) + os.sep)
        for path, root in candidates
    )


def _fit(stem: str, tail: str) -> str:
    """Return stem cut so that stem + tail fits in _NAME_MAX bytes, then tail."""
    room = max(_NAME_MAX - len(tail.encode()), 0)
    return stem.encode()[:room].decode(errors="ignore") + tail


def inert_name(name: str) -> str:
    """Return name with .txt added if its extension is active content."""
    stem, dot, extension = name.rpartition(".")
    if dot and extension.lower() in ACTIVE_EXTENSIONS:
        return _fit(stem, f".{extension}{INERT_SUFFIX}")
    return name


def free_names(name: str) -> Iterator[str]:
    """Yield name, then name_2, name_3... (before the extension), each fitting."""
    yield name
    stem, extension = os.path.splitext(name)  # noqa: PTH122 - a bare name
    if len(extension.encode()) > _EXTENSION_MAX + 1:
        stem, extension = name, ""
    for number in range(2, _MAX_NUMBER + 1):
        yield _fit(stem, f"_{number}{extension}")


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

    def __init__(
        self, hass: HomeAssistant, target: Target, url: URL, directory_fd: int
    ) -> None:
        """Write to target, whose directory is open as directory_fd (now ours).

        url names the file when target is a directory.
        """
        self._hass = hass
        self._target = target
        self._url = url
        self._dir_fd: int | None = directory_fd
        self._file: IO[bytes] | None = None
        self._temp: str | None = None  # a name in the directory
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
        """Remove the temporary file, if any, close the directory; safe any time."""
        await self._async_settle()
        if self._file is not None or self._temp is not None or self._dir_fd is not None:
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
                handle, self._temp = create_temp(self._directory())
                self._file = os.fdopen(handle, "wb")
            else:
                self._file.seek(0)
                self._file.truncate()
        except OSError as err:
            raise file_error(self._target.given, err) from None

    def _directory(self) -> int:
        assert self._dir_fd is not None  # noqa: S101 - open until _discard
        return self._dir_fd

    def _write(self, batch: list[bytes]) -> None:
        assert self._file is not None  # noqa: S101 - _start ran first
        try:
            self._file.writelines(batch)
        except OSError as err:
            raise file_error(self._target.given, err) from None

    def _commit(self) -> Path:
        assert self._file is not None  # noqa: S101
        assert self._temp is not None  # noqa: S101
        directory, config = self._directory(), self._hass.config
        name = self._target.name
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            os.fchmod(self._file.fileno(), 0o644)
            self._file.close()
            # The directory may have moved since it was opened: check it again.
            real = check_opened(
                config, directory, self._target.directory, self._target.given
            )
            if name is not None:  # the caller's own name: replaced
                os.replace(self._temp, name, src_dir_fd=directory, dst_dir_fd=directory)
            else:
                name = download_name(self._disposition, self._url)
                if is_served(config, self._target, real):
                    name = inert_name(name)
                name = link_free(directory, self._temp, name)
        except OSError as err:
            raise file_error(self._target.directory / (name or ""), err) from None
        self._file = self._temp = None
        return self._target.directory / name

    def _discard(self) -> None:
        if self._file is not None:
            with suppress(OSError):
                self._file.close()
            self._file = None
        if self._temp is not None:
            with suppress(OSError):
                os.unlink(self._temp, dir_fd=self._dir_fd)
            self._temp = None
        if self._dir_fd is not None:
            with suppress(OSError):
                os.close(self._dir_fd)
            self._dir_fd = None


def create_temp(directory: int) -> tuple[int, str]:
    """Create a new temporary file in an open directory; return its fd and name."""
    for _ in range(100):
        name = f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"
        try:
            return os.open(name, _TEMP_FLAGS, 0o600, dir_fd=directory), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))


def link_free(directory: int, temp: str, name: str) -> str:
    """Give the complete temp file the first free name of free_names(name).

    Nothing is ever replaced: os.link fails on a name that exists (a file, a
    directory, a symlink), so concurrent saves each get their own name. Where the
    filesystem has no hard links, the name is first created empty (O_EXCL) and the
    temporary file renamed over it. Returns the name given.
    """
    for candidate in free_names(name):
        try:
            os.link(temp, candidate, src_dir_fd=directory, dst_dir_fd=directory)
        except FileExistsError:
            continue
        except OSError as err:
            if err.errno not in _NO_LINK:
                raise
            return _reserve_free(directory, temp, name)
        with suppress(OSError):
            os.unlink(temp, dir_fd=directory)
        return candidate
    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))


def _reserve_free(directory: int, temp: str, name: str) -> str:
    """Create the first free name empty and exclusively, then rename temp over it."""
    for candidate in free_names(name):
        try:
            os.close(os.open(candidate, _TEMP_FLAGS, 0o600, dir_fd=directory))
        except FileExistsError:
            continue
        try:
            os.replace(temp, candidate, src_dir_fd=directory, dst_dir_fd=directory)
        except OSError:
            with suppress(OSError):
                os.unlink(candidate, dir_fd=directory)
            raise
        return candidate
    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))


async def async_prepare_download(hass: HomeAssistant, raw: str, url: URL) -> Download:
    """Check a save_to path and return the download that writes there."""
    target, directory = await async_open(
        hass, partial(open_target, hass.config, raw), _close_target
    )
    return Download(hass, target, url, directory)


def _close_target(opened: tuple[Target, int]) -> None:
    """Close the directory of a target whose call was cancelled. Executor only."""
    with suppress(OSError):
        os.close(opened[1])
