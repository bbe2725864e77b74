"""What is opened is checked: files swapped after the check, and cancelled calls."""

from __future__ import annotations

import asyncio
import errno
import gc
import os
from pathlib import Path
import sys
import threading
from typing import Any
from unittest.mock import patch
import warnings

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from custom_components.scene_http_request import download, files

from .files_helpers import MIB, Place, open_fds_on, place, send, send_error
from .server import RawServer, RecordingServer

__all__ = ["place"]  # a fixture

SECRET = b"outside secret"


def body_data(field: str, path: Path, server: RecordingServer) -> dict[str, Any]:
    """Return a call that sends path through field (body_file or multipart)."""
    data: dict[str, Any] = {"method": "POST", "url": server.url("/in")}
    if field == "body_file":
        data["body_file"] = str(path)
    else:
        data["multipart"] = [{"name": "f", "file": str(path)}]
    return data


def swap_file_for_symlink(source: Path, secret: Path) -> None:
    """Replace source by a symlink to secret."""
    source.unlink()
    source.symlink_to(secret)


def swap_directory_for_symlink(directory: Path, outside: Path) -> None:
    """Move directory away and put a symlink to outside in its place."""
    directory.rename(directory.with_name(directory.name + "-moved"))
    directory.symlink_to(outside, target_is_directory=True)


# ------------------------------------------------------------------ reading


@pytest.mark.parametrize("field", ["body_file", "multipart"])
async def test_symlink_swapped_in_after_the_check(
    hass: HomeAssistant, place: Place, server: RecordingServer, field: str
) -> None:
    """A file replaced by a symlink to an outside file after the check: not sent."""
    secret = place.outside / "secret.txt"
    secret.write_bytes(SECRET)
    source = place.allowed / "photo.jpg"
    source.write_bytes(b"photo")
    with patch.object(
        files, "after_check", lambda _path: swap_file_for_symlink(source, secret)
    ):
        err = await send_error(hass, **body_data(field, source, server))
    assert err.translation_key == "file_error"
    assert "symbolic links" in str(err)
    assert "photo.jpg" in str(err)
    assert server.received == []
    assert open_fds_on(secret) == 0


@pytest.mark.parametrize("field", ["body_file", "multipart"])
async def test_directory_swapped_in_after_the_check(
    hass: HomeAssistant, place: Place, server: RecordingServer, field: str
) -> None:
    """A parent directory replaced by a symlink leading outside: path_not_allowed."""
    (place.outside / "photo.jpg").write_bytes(SECRET)
    sub = place.allowed / "sub"
    sub.mkdir()
    (sub / "photo.jpg").write_bytes(b"photo")
    with patch.object(
        files,
        "after_check",
        lambda _path: swap_directory_for_symlink(sub, place.outside),
    ):
        err = await send_error(
            hass, ServiceValidationError, **body_data(field, sub / "photo.jpg", server)
        )
    assert err.translation_key == "path_not_allowed"
    assert server.received == []
    assert open_fds_on(place.outside / "photo.jpg") == 0


@pytest.mark.parametrize("field", ["body_file", "multipart"])
@pytest.mark.parametrize("swapped", [True, False])
async def test_fifo_never_blocks(
    hass: HomeAssistant,
    place: Place,
    server: RecordingServer,
    field: str,
    swapped: bool,
) -> None:
    """A FIFO (given, or swapped in after the check) fails at once; no thread waits."""
    source = place.allowed / "pipe"
    if swapped:
        source.write_bytes(b"x")

        def to_fifo(_path: Path) -> None:
            source.unlink()
            os.mkfifo(source)

        hook = to_fifo
    else:
        os.mkfifo(source)
        hook = files.after_check
    with patch.object(files, "after_check", hook):
        async with asyncio.timeout(10):
            err = await send_error(hass, **body_data(field, source, server))
    assert err.translation_key == "file_error"
    assert "not a regular file" in str(err)
    assert server.received == []
    await hass.async_block_till_done(wait_background_tasks=True)
    # Opening the write end without blocking fails (ENXIO) when no one reads it.
    with pytest.raises(OSError, match="No such device or address") as info:
        os.open(source, os.O_WRONLY | os.O_NONBLOCK)
    assert info.value.errno == errno.ENXIO


async def test_symlink_flipping_during_calls_never_sends_the_secret(
    hass: HomeAssistant, place: Place, server: RecordingServer
) -> None:
    """A thread flips a file and a symlink to a secret while 300 calls send it."""
    secret = place.outside / "secret.txt"
    secret.write_bytes(SECRET)
    source = place.allowed / "flip.txt"
    source.write_bytes(b"public")
    stop = threading.Event()

    def flip() -> None:
        spare = place.allowed / "spare"
        while not stop.is_set():
            spare.symlink_to(secret)
            spare.replace(source)
            spare.write_bytes(b"public")
            spare.replace(source)

    flipper = threading.Thread(target=flip)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads interleave between the check and the open
    flipper.start()
    outcomes: list[str] = []
    try:
        for _ in range(300):
            try:
                await send(
                    hass, method="POST", url=server.url("/in"), body_file=str(source)
                )
                outcomes.append("sent")
            except HomeAssistantError as err:
                outcomes.append(str(err.translation_key))
    finally:
        stop.set()
        await asyncio.to_thread(flipper.join, 10)
        sys.setswitchinterval(interval)
    assert [received.body for received in server.received] == [b"public"] * len(
        server.received
    )
    assert set(outcomes) <= {"sent", "file_error", "path_not_allowed"}
    assert open_fds_on(secret) == 0


# ------------------------------------------------------------------ writing


@pytest.mark.parametrize("save_to", ["dir/", "dir/out.bin"])
async def test_save_to_directory_swapped_for_a_fifo(
    hass: HomeAssistant, place: Place, server: RecordingServer, save_to: str
) -> None:
    """A FIFO put in the directory's place fails at once: the directory is gone."""
    directory = place.allowed / "dir"
    directory.mkdir()

    def to_fifo(_path: Path) -> None:
        directory.rmdir()
        os.mkfifo(directory)

    with patch.object(download, "after_check", to_fifo):
        async with asyncio.timeout(10):
            err = await send_error(
                hass,
                ServiceValidationError,
                url=server.url("/x"),
                save_to=f"{place.allowed}/{save_to}",
            )
    assert err.translation_key == "file_not_found"
    assert server.received == []
    assert open_fds_on(directory) == 0


@pytest.mark.parametrize("save_to", ["dir/", "dir/out.bin"])
async def test_save_to_directory_swapped_for_a_symlink(
    hass: HomeAssistant, place: Place, server: RecordingServer, save_to: str
) -> None:
    """The save_to directory replaced by a symlink after the check: nothing outside."""
    directory = place.allowed / "dir"
    directory.mkdir()
    with patch.object(
        download,
        "after_check",
        lambda _path: swap_directory_for_symlink(directory, place.outside),
    ):
        err = await send_error(
            hass, url=server.url("/x"), save_to=f"{place.allowed}/{save_to}"
        )
    assert err.translation_key == "file_error"
    assert "symbolic links" in str(err)
    assert list(place.outside.iterdir()) == []
    assert server.received == []


async def test_save_to_parent_swapped_for_a_symlink(
    hass: HomeAssistant, place: Place, server: RecordingServer
) -> None:
    """A parent of the save_to directory swapped: the real path is refused."""
    (place.outside / "dir").mkdir()
    sub = place.allowed / "sub"
    (sub / "dir").mkdir(parents=True)
    with patch.object(
        download,
        "after_check",
        lambda _path: swap_directory_for_symlink(sub, place.outside),
    ):
        err = await send_error(
            hass, ServiceValidationError, url=server.url("/x"), save_to=f"{sub}/dir/"
        )
    assert err.translation_key == "path_not_allowed"
    assert list((place.outside / "dir").iterdir()) == []
    assert open_fds_on(place.outside / "dir") == 0


@pytest.mark.parametrize("save_to", ["dir/", "dir/out.bin"])
async def test_save_to_directory_moved_out_during_the_request(
    hass: HomeAssistant, place: Place, server: RecordingServer, save_to: str
) -> None:
    """A directory moved outside the allow list mid-call gets no file at all."""
    directory = place.allowed / "dir"
    directory.mkdir()
    moved = place.outside / "dir"

    async def move_then_answer(_request: web.Request) -> web.Response:
        await asyncio.to_thread(directory.rename, moved)
        return web.Response(body=b"payload")

    server.route("/x")(move_then_answer)
    err = await send_error(
        hass,
        ServiceValidationError,
        url=server.url("/x"),
        save_to=f"{place.allowed}/{save_to}",
    )
    assert err.translation_key == "path_not_allowed"
    assert list(moved.iterdir()) == []
    assert open_fds_on(moved) == 0


# ------------------------------------------------------------------ cancelling


def no_unclosed_files(caught: list[warnings.WarningMessage]) -> bool:
    """Return whether no ResourceWarning (a file left to the GC) was recorded."""
    gc.collect()
    return not [w for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize("field", ["body_file", "multipart", "save_to"])
async def test_cancelled_while_opening_closes_what_opens(
    hass: HomeAssistant, place: Place, server: RecordingServer, field: str
) -> None:
    """A call cancelled while its file is being opened: the job's file is closed."""
    source = place.allowed / "photo.jpg"
    source.write_bytes(b"photo")
    entered, gate = threading.Event(), threading.Event()

    def hold(_path: Path) -> None:
        entered.set()
        gate.wait(10)

    if field == "save_to":
        module: Any = download
        data: dict[str, Any] = {"url": server.url("/x"), "save_to": f"{place.allowed}/"}
        watched = place.allowed
    else:
        module, data, watched = files, body_data(field, source, server), source
    with (
        warnings.catch_warnings(record=True) as caught,
        patch.object(module, "after_check", hold),
    ):
        warnings.simplefilter("always", ResourceWarning)
        task = asyncio.create_task(send(hass, **data))
        assert await asyncio.to_thread(entered.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.set()
        await hass.async_block_till_done(wait_background_tasks=True)
        assert no_unclosed_files(caught)
    assert open_fds_on(watched) == 0
    assert server.received == []


@pytest.mark.parametrize("field", ["body_file", "multipart"])
async def test_cancelled_upload_closes_the_file(
    hass: HomeAssistant, place: Place, socket_enabled: None, field: str
) -> None:
    """A call cancelled mid-upload closes its file (no descriptor left)."""
    source = place.allowed / "big.bin"
    source.write_bytes(os.urandom(8 * MIB))
    started = asyncio.Event()

    async def stall(
        _server: RawServer, reader: asyncio.StreamReader, _writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        started.set()
        await asyncio.sleep(30)

    server = RawServer(stall)
    await server.start()
    data: dict[str, Any] = {"method": "POST", "url": server.url("/")}
    if field == "body_file":
        data["body_file"] = str(source)
    else:
        data["multipart"] = [{"name": "f", "file": str(source)}]
    try:
        task = asyncio.create_task(send(hass, **data))
        async with asyncio.timeout(10):
            await started.wait()
        assert open_fds_on(source) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await hass.async_block_till_done(wait_background_tasks=True)
    finally:
        await server.close()
    assert open_fds_on(source) == 0


async def test_cancelled_download_leaves_nothing(
    hass: HomeAssistant, place: Place, socket_enabled: None
) -> None:
    """A call cancelled mid-download removes its temporary file, closes everything."""
    started = asyncio.Event()

    async def stall(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await server.request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n")
        writer.write(b"x" * 3 * MIB)
        await writer.drain()
        started.set()
        await asyncio.sleep(30)

    server = RawServer(stall)
    await server.start()
    try:
        task = asyncio.create_task(
            send(hass, url=server.url("/"), save_to=f"{place.allowed}/")
        )
        async with asyncio.timeout(10):
            await started.wait()
        async with asyncio.timeout(10):
            await asyncio.to_thread(temp_file_in, place.allowed)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await hass.async_block_till_done(wait_background_tasks=True)
    finally:
        await server.close()
    assert list(place.allowed.iterdir()) == []
    assert open_fds_on(place.allowed) == 0


def temp_file_in(directory: Path) -> None:
    """Wait until directory holds a file (the download's temporary file)."""
    while not list(directory.iterdir()):
        threading.Event().wait(0.01)


# ------------------------------------------------------------------ messages


async def test_file_error_path_is_printable(
    hass: HomeAssistant, place: Place, server: RecordingServer
) -> None:
    """Newlines and ESC in the caller's path are escaped in file_error, as elsewhere."""
    path = f"{place.allowed}/a\n\x1b[31mb\0c"
    err = await send_error(
        hass, HomeAssistantError, **body_data("body_file", Path(path), server)
    )
    assert err.translation_key == "file_error"
    assert err.translation_placeholders is not None
    shown = err.translation_placeholders["path"]
    assert "\n" not in shown
    assert "\x1b" not in shown
    assert "\0" not in shown
    assert shown.endswith("a\\x0a\\x1b[31mb\\x00c")
    assert "\n" not in str(err)
    assert "\x1b" not in str(err)
    missing = await send_error(
        hass,
        ServiceValidationError,
        **body_data("body_file", place.allowed / "x\n\x1by", server),
    )
    assert missing.translation_key == "file_not_found"
    assert missing.translation_placeholders is not None
    assert missing.translation_placeholders["path"].endswith("x\\x0a\\x1by")


def test_opened_path_without_proc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without /proc, the name must still lead to the very file opened."""
    real_readlink = Path.readlink

    def no_proc(self: Path) -> Path:
        if str(self).startswith("/proc/self/fd/"):
            raise FileNotFoundError(errno.ENOENT, "no /proc")
        return real_readlink(self)

    source = tmp_path / "a.txt"
    source.write_bytes(b"a")
    fd = os.open(source, os.O_RDONLY)
    try:
        assert files.opened_path(fd, source) == str(source)
        monkeypatch.setattr(Path, "readlink", no_proc)
        assert files.opened_path(fd, source) == str(source)
        link = tmp_path / "link"
        link.symlink_to(source)
        assert files.opened_path(fd, link) == str(source)
        source.unlink()
        source.write_bytes(b"another file")
        assert files.opened_path(fd, source) is None
        source.unlink()
        assert files.opened_path(fd, source) is None
    finally:
        os.close(fd)
