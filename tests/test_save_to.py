"""Files out: save_to streams a response into a file, never half-written."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import errno
import gzip
import os
from pathlib import Path
from typing import Any
from unittest.mock import patch

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from yarl import URL

from custom_components.scene_http_request import download
from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND
from custom_components.scene_http_request.request import prepare
from custom_components.scene_http_request.services import SEND_SCHEMA

from .files_helpers import MIB, Place, open_fds_on, place, send, send_error
from .server import RawServer

BINARY = bytes(range(256)) * 1024 + os.urandom(2 * MIB + 3)

__all__ = ["place"]  # a fixture


@pytest.fixture
async def app(socket_enabled: None) -> AsyncGenerator[str]:
    """Serve BINARY in several ways; yield the base URL."""
    hits: list[str] = []

    async def binary(request: web.Request) -> web.StreamResponse:
        hits.append(request.path)
        headers = {"Content-Type": "application/octet-stream"}
        if disposition := request.query.get("cd"):
            headers["Content-Disposition"] = disposition
        if request.query.get("chunked"):
            response = web.StreamResponse(headers=headers)
            response.enable_chunked_encoding()
            await response.prepare(request)
            for start in range(0, len(BINARY), 100_000):
                await response.write(BINARY[start : start + 100_000])
            return response
        return web.Response(body=BINARY, headers=headers)

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), body=b"error page")

    async def flaky(_request: web.Request) -> web.Response:
        hits.append("flaky")
        if hits.count("flaky") == 1:
            return web.Response(status=503, body=b"busy" * 1000)
        return web.Response(body=BINARY)

    async def gzipped(_request: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(b"a" * 300_000), headers={"Content-Encoding": "gzip"}
        )

    web_app = web.Application()
    web_app.router.add_get("/status/{code}", status)
    web_app.router.add_get("/flaky", flaky)
    web_app.router.add_get("/gzip", gzipped)
    web_app.router.add_route("*", "/{tail:.*}", binary)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.Server)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    await runner.cleanup()


def leftovers(directory: Path) -> list[str]:
    """Return the temporary files left in directory."""
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


async def test_save_binary_to_a_file(
    hass: HomeAssistant, place: Place, app: str
) -> None:
    """The body lands in the file; the response says where and how much."""
    target = place.allowed / "out.bin"
    response = await send(hass, url=f"{app}/file.bin", save_to=str(target))
    assert target.read_bytes() == BINARY
    assert response["content"] is None
    assert response["content_encoding"] is None
    assert response["saved_to"] == str(target)
    assert response["saved_bytes"] == len(BINARY)
    assert response["status"] == 200
    assert leftovers(place.allowed) == []
    assert open_fds_on(target) == 0


async def test_save_chunked_relative_path(
    hass: HomeAssistant, place: Place, app: str
) -> None:
    """A relative path starts in the config dir; a chunked body is saved whole."""
    response = await send(hass, url=f"{app}/x?chunked=1", save_to="www/x.bin")
    target = place.config / "www" / "x.bin"
    assert target.read_bytes() == BINARY
    assert response["saved_to"] == str(target)


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="report.pdf"', "report.pdf"),
        ("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf", "résumé.pdf"),
        ('attachment; filename="../../secrets.yaml"', "secrets.yaml"),
        ('attachment; filename="/etc/passwd"', "passwd"),
        ('attachment; filename="..\\\\..\\\\boot.ini"', "boot.ini"),
        ('attachment; filename=".."', "file.bin"),
        ('attachment; filename=".hidden"', "hidden"),
        ("attachment", "file.bin"),
        ("attachment; filename=", "file.bin"),
        ('attachment; filename="a:b*c?.txt"', "abc.txt"),
        ('attachment; filename="' + "n" * 400 + '.jpeg"', "n" * 250 + ".jpeg"),
    ],
)
async def test_directory_takes_the_name_from_the_response(
    hass: HomeAssistant, place: Place, app: str, disposition: str, expected: str
) -> None:
    """A directory target takes a sanitised name; nothing escapes the directory."""
    url = URL(f"{app}/dir/file.bin").with_query(cd=disposition)
    response = await send(hass, url=str(url), save_to=f"{place.allowed}/")
    assert response["saved_to"] == str(place.allowed / expected)
    assert (place.allowed / expected).read_bytes() == BINARY
    assert [p.name for p in place.allowed.iterdir()] == [expected]
    assert list(place.outside.iterdir()) == []
    assert not (place.config / "secrets.yaml").exists()


async def test_existing_directory_without_slash_and_default_name(
    hass: HomeAssistant, place: Place, app: str
) -> None:
    """An existing directory is a directory target; no name at all is download."""
    response = await send(hass, url=f"{app}/", save_to=str(place.allowed))
    assert response["saved_to"] == str(place.allowed / "download")


async def test_control_characters_in_the_name(
    hass: HomeAssistant, place: Place, socket_enabled: None
) -> None:
    """Control bytes a server sends in the file name are dropped."""

    async def answer(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await server.request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Disposition: attachment;"
            b' filename="e\x01vil\x1b[31m\x7f\xff.txt"\r\n\r\nabc'
        )
        await writer.drain()

    server = RawServer(answer)
    await server.start()
    try:
        response = await send(hass, url=server.url("/"), save_to=f"{place.allowed}/")
    finally:
        await server.close()
    name = Path(response["saved_to"]).name
    assert name == "evil[31m.txt"
    assert (place.allowed / name).read_bytes() == b"abc"


def test_safe_name_edge_cases() -> None:
    """Names that sanitise to nothing are None; a long extension is cut too."""
    assert download.safe_name(None) is None
    assert download.safe_name(" . ") is None
    long = "a" * 300 + "." + "b" * 40
    assert len(download.safe_name(long).encode()) == 255  # type: ignore[union-attr]
    wide = "é" * 200 + ".txt"
    cut = download.safe_name(wide)
    assert cut is not None
    assert cut.endswith(".txt")
    assert len(cut.encode()) <= 255
    assert download.disposition_filename("attachment; filename*=x'y'%ZZ") in (
        None,
        "%ZZ",
    )


async def test_existing_target_replaced_on_success(
    hass: HomeAssistant, place: Place, app: str
) -> None:
    """An existing file is replaced, whole, by a successful download."""
    target = place.allowed / "keep.bin"
    target.write_bytes(b"old")
    await send(hass, url=f"{app}/f", save_to=str(target))
    assert target.read_bytes() == BINARY
    assert leftovers(place.allowed) == []


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"url": "/status/500"}, "http_error"),
        ({"url": "/status/404"}, "http_error"),
        ({"url": "/big", "max_response_size": 1000}, "response_too_large"),
        ({"url": "/big?chunked=1", "max_response_size": 1000}, "response_too_large"),
    ],
)
async def test_existing_target_untouched_on_failure(
    hass: HomeAssistant, place: Place, app: str, data: dict[str, Any], key: str
) -> None:
    """A failure leaves the existing file as it was, and no temporary file."""
    target = place.allowed / "keep.bin"
    target.write_bytes(b"old")
    err = await send_error(
        hass, **{**data, "url": app + data["url"]}, save_to=str(target)
    )
    assert err.translation_key == key
    assert target.read_bytes() == b"old"
    assert leftovers(place.allowed) == []
    assert open_fds_on(target) == 0


async def test_http_error_saved_when_not_failing(
    hass: HomeAssistant, place: Place, app: str
) -> None:
    """With fail_on_http_error off, the error body is the download."""
    target = place.allowed / "page.html"
    response = await send(
        hass, url=f"{app}/status/404", save_to=str(target), fail_on_http_error=False
    )
    assert response["status"] == 404
    assert target.read_bytes() == b"error page"


async def test_saved_without_return_response(
    hass: HomeAssistant, place: Place, app: str
) -> None:
    """A call that wants no response still saves the file."""
    target = place.allowed / "quiet.bin"
    await hass.services.async_call(
        DOMAIN, SERVICE_SEND, {"url": f"{app}/q", "save_to": str(target)}, blocking=True
    )
    assert target.read_bytes() == BINARY


async def test_head_saves_an_empty_file(
    hass: HomeAssistant, place: Place, app: str
) -> None:
    """HEAD has no body: the file is empty."""
    target = place.allowed / "empty"
    response = await send(hass, method="HEAD", url=f"{app}/h", save_to=str(target))
    assert target.read_bytes() == b""
    assert response["saved_bytes"] == 0


async def test_retry_keeps_only_the_final_body(
    hass: HomeAssistant, place: Place, app: str
) -> None:
    """A retried 503's body is dropped; only the final answer is saved."""
    target = place.allowed / "retried.bin"
    with patch("custom_components.scene_http_request.client._backoff", return_value=0):
        response = await send(hass, url=f"{app}/flaky", save_to=str(target), retries=1)
    assert response["attempts"] == 2
    assert target.read_bytes() == BINARY
    assert leftovers(place.allowed) == []


async def test_limit_counts_decompressed_bytes(
    hass: HomeAssistant, place: Place, app: str, inflating: str
) -> None:
    """A gzip body is saved inflated, and the limit counts inflated bytes."""
    target = place.allowed / "text.txt"
    response = await send(hass, url=f"{app}/gzip", save_to=str(target))
    assert target.read_bytes() == b"a" * 300_000
    assert response["saved_bytes"] == 300_000
    err = await send_error(
        hass, url=f"{app}/gzip", save_to=str(target), max_response_size=299_999
    )
    assert err.translation_key == "response_too_large"
    assert target.read_bytes() == b"a" * 300_000
    assert leftovers(place.allowed) == []


async def test_timeout_mid_download_leaves_nothing(
    hass: HomeAssistant, place: Place, socket_enabled: None
) -> None:
    """A body that stops arriving times out; no file, no temporary file."""

    async def stall(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await server.request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n")
        writer.write(b"x" * 3 * MIB)
        await writer.drain()
        await asyncio.sleep(30)

    server = RawServer(stall)
    await server.start()
    target = place.allowed / "never.bin"
    try:
        err = await send_error(
            hass, url=server.url("/"), save_to=str(target), timeout=1
        )
    finally:
        await server.close()
    assert err.translation_key == "timeout"
    await hass.async_block_till_done()
    assert list(place.allowed.iterdir()) == []


async def test_disk_full(hass: HomeAssistant, place: Place, app: str) -> None:
    """ENOSPC while writing is file_error; nothing is left, the old file stays."""
    target = place.allowed / "full.bin"
    target.write_bytes(b"old")
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, handle: int, mode: str) -> None:
            self.file = real_fdopen(handle, mode)

        def writelines(self, _data: list[bytes]) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.file, name)

    with patch.object(download.os, "fdopen", Full):
        err = await send_error(hass, url=f"{app}/f", save_to=str(target))
    assert err.translation_key == "file_error"
    assert "No space left on device" in str(err)
    assert "full.bin" in str(err)
    assert target.read_bytes() == b"old"
    assert leftovers(place.allowed) == []


async def test_directory_name_taken_by_a_directory(
    hass: HomeAssistant, place: Place, app: str
) -> None:
    """A name the response picks that is a directory is left: the next one is used."""
    (place.allowed / "taken").mkdir()
    url = URL(f"{app}/x").with_query(cd='attachment; filename="taken"')
    response = await send(hass, url=str(url), save_to=f"{place.allowed}/")
    assert response["saved_to"] == str(place.allowed / "taken_2")
    assert (place.allowed / "taken").is_dir()
    assert (place.allowed / "taken_2").read_bytes() == BINARY
    assert leftovers(place.allowed) == []


async def test_rename_failure(hass: HomeAssistant, place: Place, app: str) -> None:
    """A directory made at the target's name fails the rename: file_error."""
    target = place.allowed / "late"

    def make_directory(_path: Path) -> None:
        target.mkdir()

    with patch.object(download, "after_check", make_directory):
        err = await send_error(hass, url=f"{app}/x", save_to=str(target))
    assert err.translation_key == "file_error"
    assert target.is_dir()
    assert leftovers(place.allowed) == []
    assert open_fds_on(place.allowed) == 0


async def test_temp_file_not_creatable(
    hass: HomeAssistant, place: Place, app: str
) -> None:
    """A directory that refuses new files is file_error."""
    with patch.object(
        download,
        "create_temp",
        side_effect=PermissionError(13, "Permission denied"),
    ):
        err = await send_error(hass, url=f"{app}/x", save_to=f"{place.allowed}/")
    assert err.translation_key == "file_error"
    assert "Permission denied" in str(err)
    assert open_fds_on(place.allowed) == 0


@pytest.mark.parametrize(
    ("save_to", "key"),
    [
        ("outside", "path_not_allowed"),
        ("allowed/missing-dir/", "file_not_found"),
        ("allowed/missing-dir/file.bin", "file_not_found"),
    ],
)
async def test_bad_targets(
    hass: HomeAssistant, place: Place, app: str, save_to: str, key: str
) -> None:
    """A target outside the allow list, or in a missing directory, is refused."""
    root = place.allowed.parent
    err = await send_error(
        hass, ServiceValidationError, url=f"{app}/x", save_to=f"{root}/{save_to}"
    )
    assert err.translation_key == key


async def test_symlinked_directory_escaping(
    hass: HomeAssistant, place: Place, app: str
) -> None:
    """A symlink in an allowed directory to an outside one is refused."""
    (place.allowed / "escape").symlink_to(place.outside)
    err = await send_error(
        hass, ServiceValidationError, url=f"{app}/x", save_to="../allowed/escape/"
    )
    assert err.translation_key == "path_not_allowed"
    assert list(place.outside.iterdir()) == []


async def test_size_limits(hass: HomeAssistant, place: Place) -> None:
    """save_to defaults to 100 MiB and allows 2 GiB; in memory stays at 50 MiB."""
    base = {"url": "http://127.0.0.1:1/"}
    request = prepare(hass, SEND_SCHEMA({**base, "save_to": "www/"})).request
    assert request.max_response_size == 100 * MIB
    request = prepare(
        hass, SEND_SCHEMA({**base, "save_to": "www/", "max_response_size": 2048 * MIB})
    ).request
    assert request.max_response_size == 2048 * MIB
    with pytest.raises(ServiceValidationError) as info:
        prepare(hass, SEND_SCHEMA({**base, "max_response_size": 50 * MIB + 1}))
    assert info.value.translation_key == "max_response_size_too_large"
    request = prepare(
        hass, SEND_SCHEMA({**base, "max_response_size": 50 * MIB})
    ).request
    assert request.max_response_size == 50 * MIB


def test_disposition_parser_failure_means_no_name() -> None:
    """Whatever the email parser raises on a hostile header, there is no name."""
    with patch.object(download.Message, "get_filename", side_effect=ValueError):
        assert download.disposition_filename('attachment; filename="a"') is None
    assert download.disposition_filename(None) is None


async def test_discard_is_safe_at_any_time(hass: HomeAssistant, tmp_path: Path) -> None:
    """Discarding before anything was written, or twice, does nothing wrong."""
    target = download.Target(tmp_path, None, str(tmp_path))
    for started in (False, True):
        directory = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
        sink = download.Download(hass, target, URL("http://x/"), directory)
        if started:
            await sink.async_start({})  # type: ignore[arg-type]
            sink._file.close()  # type: ignore[union-attr]
            sink._file = None
        await sink.async_discard()
        await sink.async_discard()
        assert open_fds_on(tmp_path) == 0
        assert leftovers(tmp_path) == []


async def test_commit_without_a_body_is_an_empty_file(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """A commit with no body started writes an empty file."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    target = download.Target(tmp_path, "empty.txt", "empty.txt")
    directory = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    sink = download.Download(hass, target, URL("http://x/"), directory)
    assert await sink.async_commit() == tmp_path / "empty.txt"
    await sink.async_discard()
    assert (tmp_path / "empty.txt").read_bytes() == b""
    assert leftovers(tmp_path) == []
    assert open_fds_on(tmp_path) == 0
