"""Files in: body_file and multipart, streamed from allowed paths to real servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
import os
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
import voluptuous as vol

from custom_components.scene_http_request import files

from .files_helpers import MIB, Place, open_fds_on, place, send, send_error
from .server import RawServer

__all__ = ["place"]  # a fixture

BINARY = bytes(range(256)) * 4096 + os.urandom(3 * MIB + 17)


@dataclass
class Part:
    """One part as the server parsed it."""

    name: str | None
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Upload:
    """A real aiohttp server that parses what it receives."""

    url: str
    parts: list[Part] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
async def upload(socket_enabled: None) -> AsyncGenerator[Upload]:
    """Start a server: /multipart parses a form, anything else reads the body."""
    holder: list[Upload] = []

    async def multipart(request: web.Request) -> web.Response:
        holder[0].headers.append(dict(request.headers))
        reader = await request.multipart()
        async for part in reader:
            assert isinstance(part, BodyPartReader)
            data = await part.read()
            holder[0].parts.append(
                Part(
                    part.name,
                    part.filename,
                    part.headers.get("Content-Type"),
                    bytes(data),
                )
            )
        return web.json_response({"parts": len(holder[0].parts)})

    async def body(request: web.Request) -> web.Response:
        holder[0].headers.append(dict(request.headers))
        holder[0].bodies.append(await request.read())
        if request.path == "/redirect" and len(holder[0].bodies) == 1:
            raise web.HTTPTemporaryRedirect("/final")
        return web.json_response({"received": len(holder[0].bodies[-1])})

    app = web.Application(client_max_size=64 * MIB)
    app.router.add_post("/multipart", multipart)
    app.router.add_route("*", "/{tail:.*}", body)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.Server)
    holder.append(Upload(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"))
    yield holder[0]
    await runner.cleanup()


# ------------------------------------------------------------------ body_file


async def test_binary_body_file(
    hass: HomeAssistant, place: Place, upload: Upload
) -> None:
    """A binary file is the body, byte for byte, its type guessed, then closed."""
    source = place.allowed / "picture.png"
    source.write_bytes(BINARY)
    response = await send(
        hass, method="POST", url=f"{upload.url}/in", body_file=str(source)
    )
    assert response["content"] == {"received": len(BINARY)}
    assert upload.bodies == [BINARY]
    assert upload.headers[0]["Content-Type"] == "image/png"
    assert upload.headers[0]["Content-Length"] == str(len(BINARY))
    assert "Content-Disposition" not in upload.headers[0]
    assert open_fds_on(source) == 0


async def test_body_file_relative_to_config_and_header_type(
    hass: HomeAssistant, place: Place, upload: Upload
) -> None:
    """A relative path starts in the config dir; a call's Content-Type wins."""
    (place.config / "www" / "data.bin").write_bytes(b"\x00\x01raw")
    await send(
        hass,
        method="PUT",
        url=f"{upload.url}/in",
        body_file="www/data.bin",
        headers={"content-type": "application/x-thing"},
    )
    assert upload.bodies == [b"\x00\x01raw"]
    assert upload.headers[0]["Content-Type"] == "application/x-thing"


async def test_unknown_extension_is_octet_stream(
    hass: HomeAssistant, place: Place, upload: Upload
) -> None:
    """A file name that says nothing is sent as application/octet-stream."""
    (place.allowed / "blob.zz-unknown").write_bytes(b"x")
    await send(
        hass,
        method="POST",
        url=f"{upload.url}/in",
        body_file=str(place.allowed / "blob.zz-unknown"),
    )
    assert upload.headers[0]["Content-Type"] == "application/octet-stream"


async def test_body_file_is_reopened_for_a_redirect(
    hass: HomeAssistant, place: Place, upload: Upload
) -> None:
    """A 307 sends the whole file again, from its start."""
    source = place.allowed / "again.bin"
    source.write_bytes(b"0123456789" * 1000)
    await send(hass, method="POST", url=f"{upload.url}/redirect", body_file=str(source))
    assert upload.bodies == [source.read_bytes()] * 2
    assert open_fds_on(source) == 0


@pytest.mark.parametrize("field", ["body_file", "save_to", "file"])
async def test_path_outside_the_allow_list(
    hass: HomeAssistant, place: Place, upload: Upload, field: str
) -> None:
    """A path outside allowlist_external_dirs is refused before any request."""
    secret = place.outside / "secret.txt"
    secret.write_text("do not send")
    data: dict[str, Any] = {"method": "POST", "url": f"{upload.url}/in"}
    if field == "file":
        data["multipart"] = [{"name": "f", "file": str(secret)}]
    else:
        data[field] = str(secret)
    err = await send_error(hass, ServiceValidationError, **data)
    assert err.translation_key == "path_not_allowed"
    assert "secret.txt" in str(err)
    assert "do not send" not in str(err)
    assert upload.bodies == []
    assert upload.headers == []


@pytest.mark.parametrize("how", ["symlink", "dotdot", "relative"])
async def test_escapes_are_refused(
    hass: HomeAssistant, place: Place, upload: Upload, how: str
) -> None:
    """A symlink or .. leading out of an allowed directory is refused."""
    secret = place.outside / "secret.txt"
    secret.write_text("do not send")
    if how == "symlink":
        link = place.allowed / "link.txt"
        link.symlink_to(secret)
        path = str(link)
    elif how == "dotdot":
        path = f"{place.allowed}/../outside/secret.txt"
    else:
        path = "../outside/secret.txt"
    err = await send_error(
        hass,
        ServiceValidationError,
        method="POST",
        url=f"{upload.url}/in",
        body_file=path,
    )
    assert err.translation_key == "path_not_allowed"
    assert upload.bodies == []


async def test_symlink_inside_the_allow_list_is_followed(
    hass: HomeAssistant, place: Place, upload: Upload
) -> None:
    """A symlink to another allowed file is fine."""
    (place.config / "www" / "real.txt").write_bytes(b"real")
    (place.allowed / "link.txt").symlink_to(place.config / "www" / "real.txt")
    await send(
        hass,
        method="POST",
        url=f"{upload.url}/in",
        body_file=str(place.allowed / "link.txt"),
    )
    assert upload.bodies == [b"real"]


async def test_missing_file(hass: HomeAssistant, place: Place, upload: Upload) -> None:
    """A missing file is file_not_found, naming it."""
    err = await send_error(
        hass,
        ServiceValidationError,
        method="POST",
        url=f"{upload.url}/in",
        body_file=str(place.allowed / "nope.jpg"),
    )
    assert err.translation_key == "file_not_found"
    assert "nope.jpg" in str(err)
    assert upload.headers == []


@pytest.mark.parametrize("kind", ["directory", "nul"])
async def test_not_a_readable_file(
    hass: HomeAssistant, place: Place, upload: Upload, kind: str
) -> None:
    """A directory (or an impossible path) is file_error."""
    path = str(place.allowed) if kind == "directory" else f"{place.allowed}/a\0b"
    err = await send_error(hass, method="POST", url=f"{upload.url}/in", body_file=path)
    assert not isinstance(err, ServiceValidationError)
    assert err.translation_key == "file_error"


async def test_unreadable_file(
    hass: HomeAssistant, place: Place, upload: Upload, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that can't be opened or stat'ed is file_error with the OS reason."""
    source = place.allowed / "locked.bin"
    source.write_bytes(b"x")
    real_open, real_fstat = os.open, os.fstat

    def refuse_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if Path(path) == source:
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    def refuse_fstat(fd: int) -> os.stat_result:
        if Path(f"/proc/self/fd/{fd}").readlink() == source:
            raise PermissionError(13, "Permission denied")
        return real_fstat(fd)

    monkeypatch.setattr(files.os, "open", refuse_open)
    err = await send_error(
        hass, method="POST", url=f"{upload.url}/in", body_file=str(source)
    )
    assert err.translation_key == "file_error"
    assert "Permission denied" in str(err)
    monkeypatch.undo()
    monkeypatch.setattr(files.os, "fstat", refuse_fstat)
    err = await send_error(
        hass, method="POST", url=f"{upload.url}/in", body_file=str(source)
    )
    assert err.translation_key == "file_error"
    monkeypatch.undo()
    assert open_fds_on(source) == 0
    assert upload.headers == []


async def test_upload_interrupted_by_the_server(
    hass: HomeAssistant, place: Place, socket_enabled: None
) -> None:
    """A server that hangs up mid-upload gives cannot_connect; the file is closed."""
    source = place.allowed / "big.bin"
    source.write_bytes(os.urandom(8 * MIB))

    async def hang_up(
        _server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.read(64 * 1024)
        writer.transport.abort()

    server = RawServer(hang_up)
    await server.start()
    try:
        err = await send_error(
            hass, method="POST", url=server.url("/"), body_file=str(source)
        )
    finally:
        await server.close()
    assert err.translation_key == "cannot_connect"
    await hass.async_block_till_done()
    assert open_fds_on(source) == 0


# ------------------------------------------------------------------ multipart


async def test_multipart_parsed_by_a_real_server(
    hass: HomeAssistant, place: Place, upload: Upload
) -> None:
    """Files, values and base64 parts arrive with their names, types and bytes."""
    snapshot = place.config / "www" / "snapshot.jpg"
    snapshot.write_bytes(BINARY)
    await send(
        hass,
        method="POST",
        url=f"{upload.url}/multipart",
        multipart=[
            {"name": "file", "file": "www/snapshot.jpg"},
            {"name": "message", "value": "Motion at the front door"},
            {"name": "raw", "content_base64": "AAEC/w==", "filename": "r.bin"},
            {
                "name": "doc",
                "file": str(snapshot),
                "filename": 'renamed file "é\\.txt',
                "content_type": "text/x-custom",
            },
            {"name": "json", "value": '{"a": 1}', "content_type": "application/json"},
            {"name": "blob", "content_base64": ""},
        ],
    )
    assert upload.headers[0]["Content-Type"].startswith(
        "multipart/form-data; boundary="
    )
    assert "Content-Length" in upload.headers[0]
    parts = upload.parts
    assert [(p.name, p.filename, p.content_type) for p in parts] == [
        ("file", "snapshot.jpg", "image/jpeg"),
        ("message", None, "text/plain; charset=utf-8"),
        ("raw", "r.bin", "application/octet-stream"),
        ("doc", 'renamed file "é\\.txt', "text/x-custom"),
        ("json", None, "application/json"),
        ("blob", None, "text/plain; charset=utf-8"),
    ]
    assert parts[0].data == BINARY
    assert parts[1].data == b"Motion at the front door"
    assert parts[2].data == b"\x00\x01\x02\xff"
    assert parts[3].data == BINARY
    assert parts[5].data == b""
    assert open_fds_on(snapshot) == 0


async def test_multipart_replaces_a_content_type_header(
    hass: HomeAssistant, place: Place, upload: Upload
) -> None:
    """A multipart body keeps its own Content-Type (with its boundary)."""
    await send(
        hass,
        method="POST",
        url=f"{upload.url}/multipart",
        headers={"Content-Type": "application/json"},
        multipart=[{"name": "a", "value": "1"}],
    )
    assert upload.parts == [Part("a", None, "text/plain; charset=utf-8", b"1")]


async def test_multipart_missing_file_closes_the_others(
    hass: HomeAssistant, place: Place, upload: Upload
) -> None:
    """One missing file fails the call; files opened before it are closed."""
    first = place.allowed / "first.bin"
    first.write_bytes(b"1")
    err = await send_error(
        hass,
        ServiceValidationError,
        method="POST",
        url=f"{upload.url}/multipart",
        multipart=[
            {"name": "a", "file": str(first)},
            {"name": "b", "file": str(place.allowed / "missing.bin")},
        ],
    )
    assert err.translation_key == "file_not_found"
    assert open_fds_on(first) == 0
    assert upload.headers == []


@pytest.mark.parametrize(
    "part",
    [
        {"name": "a\nb", "value": "x"},
        {"name": "a", "value": "x", "filename": "a\r\nX-Injected: 1"},
        {"name": "a", "value": "x", "content_type": "text/plain\r\nX: 1"},
        {"name": "a", "value": "\ud800"},
        {"name": "a", "content_base64": "not base64!"},
        {"name": "a", "content_base64": "é"},
    ],
)
async def test_invalid_part(
    hass: HomeAssistant, place: Place, upload: Upload, part: dict[str, Any]
) -> None:
    """A part that can't be sent safely is invalid_part, before any request."""
    err = await send_error(
        hass,
        ServiceValidationError,
        method="POST",
        url=f"{upload.url}/multipart",
        multipart=[part],
    )
    assert err.translation_key == "invalid_part"
    assert upload.headers == []


@pytest.mark.parametrize(
    "multipart",
    [
        [],
        [{"value": "no name"}],
        [{"name": "a"}],
        [{"name": "a", "value": "x", "file": "www/x"}],
        [{"name": "a", "file": ""}],
    ],
)
async def test_part_schema(
    hass: HomeAssistant, place: Place, upload: Upload, multipart: list[Any]
) -> None:
    """A part needs a name and exactly one of value, file and content_base64."""
    with pytest.raises(vol.Invalid):
        await send(hass, method="POST", url=f"{upload.url}/m", multipart=multipart)


@pytest.mark.parametrize(
    "bodies",
    [
        {"json": {"a": 1}, "body_file": "www/x"},
        {"multipart": [{"name": "a", "value": "1"}], "body_file": "www/x"},
        {"body": "text", "multipart": [{"name": "a", "value": "1"}]},
    ],
)
async def test_file_bodies_count_as_bodies(
    hass: HomeAssistant, place: Place, upload: Upload, bodies: dict[str, Any]
) -> None:
    """Fields multipart and body_file are bodies: two bodies are multiple_bodies."""
    err = await send_error(
        hass, ServiceValidationError, method="POST", url=f"{upload.url}/m", **bodies
    )
    assert err.translation_key == "multiple_bodies"
    for name in bodies:
        assert name in str(err)


def test_shown_path_keeps_the_end() -> None:
    """A long path is shown by its end, where the file's name is."""
    long = "/config/" + "d" * 100 + "/photo.jpg"
    shown = files.shown_path(long)
    assert len(shown) == 64
    assert shown.endswith("/photo.jpg")
    assert files.shown_path("/a/b") == "/a/b"
