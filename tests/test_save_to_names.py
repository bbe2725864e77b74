"""Names a response picks (save_to a directory): never over a file, inert under www."""

from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path
from unittest.mock import patch

from aiohttp import web
from homeassistant.core import HomeAssistant
import pytest
from yarl import URL

from custom_components.scene_http_request import download

from .files_helpers import Place, open_fds_on, place, send, send_error
from .server import RecordingServer

__all__ = ["place"]  # a fixture


@pytest.fixture
async def named(server: RecordingServer) -> RecordingServer:
    """Answer /named?cd=<Content-Disposition>&body=<text>."""

    async def answer(request: web.Request) -> web.Response:
        headers = {}
        if disposition := request.query.get("cd"):
            headers["Content-Disposition"] = disposition
        return web.Response(
            body=request.query.get("body", "new").encode(), headers=headers
        )

    server.route("/named")(answer)
    return server


def named_url(server: RecordingServer, filename: str, body: str = "new") -> str:
    """Return the URL of a response named filename, whose body is body."""
    cd = f'attachment; filename="{filename}"'
    return str(URL(server.url("/named")).with_query(cd=cd, body=body))


def names(directory: Path) -> list[str]:
    """Return the names in directory."""
    return sorted(p.name for p in directory.iterdir())


async def test_directory_never_replaces_a_file(
    hass: HomeAssistant, place: Place, named: RecordingServer
) -> None:
    """The issue's case: filename="automations.yaml" no longer replaces it."""
    hass.config.allowlist_external_dirs.add(str(place.config))
    automations = place.config / "automations.yaml"
    automations.write_text("- id: mine\n")
    url = named_url(named, "automations.yaml", "evil")
    first = await send(hass, url=url, save_to=f"{place.config}/")
    second = await send(hass, url=url, save_to=str(place.config))
    assert automations.read_text() == "- id: mine\n"
    assert first["saved_to"] == str(place.config / "automations_2.yaml")
    assert second["saved_to"] == str(place.config / "automations_3.yaml")
    assert (place.config / "automations_2.yaml").read_text() == "evil"
    assert (place.config / "automations_3.yaml").read_text() == "evil"
    assert names(place.config) == [
        "automations.yaml",
        "automations_2.yaml",
        "automations_3.yaml",
        "www",
    ]
    assert open_fds_on(place.config) == 0


async def test_no_replacement_of_symlinks_or_names_from_the_url(
    hass: HomeAssistant, place: Place, named: RecordingServer
) -> None:
    """A dangling symlink is a taken name; a name from the URL is not replaced."""
    (place.allowed / "named").write_text("old")
    (place.allowed / "named_2").symlink_to(place.outside / "target")
    response = await send(hass, url=named.url("/named"), save_to=f"{place.allowed}/")
    assert response["saved_to"] == str(place.allowed / "named_3")
    assert (place.allowed / "named").read_text() == "old"
    assert list(place.outside.iterdir()) == []


async def test_full_path_is_still_replaced(
    hass: HomeAssistant, place: Place, named: RecordingServer
) -> None:
    """A file path given in full is the caller's choice: replaced, even .html in www."""
    page = place.config / "www" / "page.html"
    page.write_text("old")
    response = await send(
        hass, url=named_url(named, "other.html"), save_to="www/page.html"
    )
    assert response["saved_to"] == str(page)
    assert page.read_text() == "new"
    assert names(place.config / "www") == ["page.html"]


@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        ("pwn.html", "pwn.html.txt"),
        ("PWN.HTM", "PWN.HTM.txt"),
        ("a.xhtml", "a.xhtml.txt"),
        ("logo.Svg", "logo.Svg.txt"),
        ("app.js", "app.js.txt"),
        ("mod.mjs", "mod.mjs.txt"),
        ("x" * 250 + ".html", "x" * 246 + ".html.txt"),
        ("photo.jpg", "photo.jpg"),
        ("data.json", "data.json"),
        ("html", "html"),
    ],
)
async def test_active_content_under_www_gets_txt(
    hass: HomeAssistant, place: Place, named: RecordingServer, sent: str, saved: str
) -> None:
    """Under /local, a server-chosen active-content name is saved with .txt added."""
    (place.config / "www" / "sub").mkdir()
    for where in ("www/", "www/sub/"):
        response = await send(hass, url=named_url(named, sent), save_to=where)
        expected = place.config / where / saved
        assert response["saved_to"] == str(expected)
        assert expected.read_bytes() == b"new"
    assert names(place.config / "www" / "sub") == [saved]
    assert len(saved.encode()) <= 255


async def test_active_content_from_the_url_and_taken_names(
    hass: HomeAssistant, place: Place, server: RecordingServer
) -> None:
    """A name from the URL counts too, and the .txt name is numbered when taken."""
    www = place.config / "www"
    (www / "pwn.html.txt").write_text("mine")
    response = await send(hass, url=server.url("/pwn.html"), save_to=str(www))
    assert response["saved_to"] == str(www / "pwn.html_2.txt")
    assert (www / "pwn.html.txt").read_text() == "mine"
    assert names(www) == ["pwn.html.txt", "pwn.html_2.txt"]


async def test_active_content_outside_www_keeps_its_name(
    hass: HomeAssistant, place: Place, named: RecordingServer
) -> None:
    """A directory Home Assistant doesn't serve keeps the server's .html name."""
    response = await send(
        hass, url=named_url(named, "page.html"), save_to=f"{place.allowed}/"
    )
    assert response["saved_to"] == str(place.allowed / "page.html")


async def test_www_through_a_symlink_is_served_too(
    hass: HomeAssistant, place: Place, named: RecordingServer
) -> None:
    """An allowed directory that is www under another name still gets .txt."""
    link = place.allowed / "www-link"
    link.symlink_to(place.config / "www")
    response = await send(hass, url=named_url(named, "pwn.svg"), save_to=f"{link}/")
    assert response["saved_to"] == str(place.config / "www" / "pwn.svg.txt")


async def test_forty_concurrent_saves_each_keep_their_file(
    hass: HomeAssistant, place: Place, named: RecordingServer
) -> None:
    """40 saves of one name into one directory at once: 40 files, none overwritten."""
    bodies = [f"body {index}" for index in range(40)]
    responses = await asyncio.gather(
        *(
            send(hass, url=named_url(named, "report.txt", body), save_to="www/")
            for body in bodies
        )
    )
    www = place.config / "www"
    saved = {Path(response["saved_to"]).name for response in responses}
    expected = {"report.txt"} | {f"report_{n}.txt" for n in range(2, 41)}
    assert saved == expected
    assert names(www) == sorted(expected)
    contents = sorted((www / name).read_text() for name in expected)
    assert contents == sorted(bodies)
    assert all(response["saved_bytes"] == len(b"body 0") for response in responses[:10])
    assert open_fds_on(www) == 0


async def test_filesystem_without_hard_links(
    hass: HomeAssistant, place: Place, named: RecordingServer
) -> None:
    """Where os.link is refused (FAT), the free name is reserved, then renamed over."""
    (place.allowed / "report.txt").write_text("old")
    refused = OSError(errno.EPERM, os.strerror(errno.EPERM))
    with patch.object(download.os, "link", side_effect=refused) as link:
        responses = await asyncio.gather(
            *(
                send(
                    hass,
                    url=named_url(named, "report.txt", str(n)),
                    save_to=f"{place.allowed}/",
                )
                for n in range(5)
            )
        )
    assert link.called
    assert (place.allowed / "report.txt").read_text() == "old"
    saved = sorted(Path(response["saved_to"]).name for response in responses)
    assert saved == sorted(f"report_{n}.txt" for n in range(2, 7))
    assert sorted((place.allowed / name).read_text() for name in saved) == [
        str(n) for n in range(5)
    ]
    assert names(place.allowed) == sorted([*saved, "report.txt"])


def test_free_names_fit_and_count() -> None:
    """Numbers go before the extension; a long name is cut to stay in 255 bytes."""
    assert list(download.free_names("report.txt"))[:3] == [
        "report.txt",
        "report_2.txt",
        "report_3.txt",
    ]
    assert list(download.free_names("archive.tar.gz"))[1] == "archive.tar_2.gz"
    assert list(download.free_names("download"))[1] == "download_2"
    long = "é" * 125 + ".jpeg"
    numbered = list(download.free_names(long))
    assert all(len(name.encode()) <= 255 for name in numbered)
    assert numbered[-1].endswith(f"_{10_000}.jpeg")
    odd = "a." + "b" * 100
    assert list(download.free_names(odd))[1] == odd + "_2"
    assert download.inert_name("a.HTML") == "a.HTML.txt"
    assert download.inert_name("a.html.txt") == "a.html.txt"


async def test_no_free_name_is_file_error(
    hass: HomeAssistant, place: Place, named: RecordingServer
) -> None:
    """If every numbered name is taken, the call fails and leaves no temporary file."""
    (place.allowed / "full.txt").write_text("old")
    with patch.object(download, "_MAX_NUMBER", 1):
        err = await send_error(
            hass, url=named_url(named, "full.txt"), save_to=f"{place.allowed}/"
        )
    assert err.translation_key == "file_error"
    assert "File exists" in str(err)
    assert names(place.allowed) == ["full.txt"]


def test_link_and_reserve_edge_cases(tmp_path: Path) -> None:
    """Temporary names collide, links fail, renames fail: nothing is left behind."""
    directory = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with patch.object(download.secrets, "token_hex", return_value="same"):
            fd, temp = download.create_temp(directory)
            os.close(fd)
            with pytest.raises(FileExistsError):
                download.create_temp(directory)
        (tmp_path / "a.txt").write_text("old")
        with (
            patch.object(download.os, "link", side_effect=OSError(errno.EMLINK, "x")),
            pytest.raises(OSError, match="x"),
        ):
            download.link_free(directory, temp, "a.txt")
        with patch.object(download, "_MAX_NUMBER", 1), pytest.raises(FileExistsError):
            download._reserve_free(directory, temp, "a.txt")
        with (
            patch.object(download.os, "replace", side_effect=OSError(errno.EIO, "io")),
            pytest.raises(OSError, match="io"),
        ):
            download._reserve_free(directory, temp, "a.txt")
        assert names(tmp_path) == sorted(["a.txt", temp])
        assert download._reserve_free(directory, temp, "a.txt") == "a_2.txt"
        assert names(tmp_path) == ["a.txt", "a_2.txt"]
    finally:
        os.close(directory)


async def test_directory_gone_before_it_is_opened(
    hass: HomeAssistant, place: Place, named: RecordingServer
) -> None:
    """A directory removed between the check and the open is file_not_found."""
    directory = place.allowed / "gone"
    directory.mkdir()
    with patch.object(download, "after_check", lambda _path: directory.rmdir()):
        err = await send_error(hass, url=named.url("/named"), save_to=f"{directory}/")
    assert err.translation_key == "file_not_found"
    assert named.received == []
