"""Who may use files: body_file, save_to and multipart files are admin-only."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import Unauthorized, UnknownUser
import pytest
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND

from .files_helpers import Place, place
from .server import RecordingServer

__all__ = ["place"]  # a fixture

FIELDS = ["body_file", "save_to", "file"]


def file_call(place: Place, server: RecordingServer, field: str) -> dict[str, Any]:
    """Return call data that reads or writes a file through field."""
    source = place.allowed / "private.txt"
    source.write_text("private")
    data: dict[str, Any] = {"method": "POST", "url": server.url("/in")}
    if field == "body_file":
        data["body_file"] = str(source)
    elif field == "file":
        data["multipart"] = [{"name": "f", "file": str(source)}]
    else:
        data["save_to"] = "www/"
        data["url"] = server.url("/pwn.html")
    return data


async def call(hass: HomeAssistant, data: dict[str, Any], user_id: str | None) -> Any:
    """Call the action as user_id (None: no user, as an automation)."""
    return await hass.services.async_call(
        DOMAIN,
        SERVICE_SEND,
        data,
        blocking=True,
        return_response=True,
        context=Context(user_id=user_id),
    )


@pytest.fixture
async def pwn(server: RecordingServer) -> RecordingServer:
    """Serve a page a browser would run at /pwn.html."""

    async def page(_request: web.Request) -> web.Response:
        return web.Response(body=b"<script>alert(1)</script>", content_type="text/html")

    server.route("/pwn.html")(page)
    return server


@pytest.mark.parametrize(
    "who_field", [(who, field) for who in ("admin", "system") for field in FIELDS]
)
async def test_admin_and_system_calls_use_files(
    hass: HomeAssistant,
    place: Place,
    pwn: RecordingServer,
    hass_admin_user: MockUser,
    who_field: tuple[str, str],
) -> None:
    """An admin user, and a call with no user (automations), read and write files."""
    who, field = who_field
    user_id = hass_admin_user.id if who == "admin" else None
    response = await call(hass, file_call(place, pwn, field), user_id)
    assert response["status"] == 200
    assert len(pwn.received) == 1
    if field == "save_to":
        # Directory mode under www: the server's .html is saved inert.
        assert response["saved_to"] == str(place.config / "www" / "pwn.html.txt")
        assert not (place.config / "www" / "pwn.html").exists()
    elif field == "body_file":
        assert pwn.last.body == b"private"
    else:
        assert b"private" in pwn.last.body


@pytest.mark.parametrize("field", FIELDS)
async def test_read_only_user_is_refused_files(
    hass: HomeAssistant,
    place: Place,
    pwn: RecordingServer,
    hass_read_only_user: MockUser,
    field: str,
) -> None:
    """A non-admin user's call with a file field is Unauthorized and sends nothing."""
    before = sorted(p.name for p in (place.config / "www").iterdir())
    with pytest.raises(Unauthorized) as info:
        await call(hass, file_call(place, pwn, field), hass_read_only_user.id)
    assert info.value.user_id == hass_read_only_user.id
    assert pwn.received == []
    assert sorted(p.name for p in (place.config / "www").iterdir()) == before


async def test_unknown_user_is_refused_files(
    hass: HomeAssistant, place: Place, pwn: RecordingServer
) -> None:
    """A user id that matches no user is UnknownUser, as for core admin actions."""
    with pytest.raises(UnknownUser):
        await call(hass, file_call(place, pwn, "save_to"), "no-such-user")
    assert pwn.received == []


async def test_read_only_user_sends_without_files(
    hass: HomeAssistant,
    place: Place,
    server: RecordingServer,
    hass_read_only_user: MockUser,
) -> None:
    """The rest of the action stays open to every user, multipart values too."""
    data = {
        "method": "POST",
        "url": server.url("/open"),
        "multipart": [{"name": "a", "value": "1"}],
        "save_to": None,
        "body_file": None,
    }
    response = await call(hass, data, hass_read_only_user.id)
    assert response["status"] == 200
    response = await call(
        hass, {"url": server.url("/get"), "json": {"a": 1}}, hass_read_only_user.id
    )
    assert response["content"] == {"ok": True, "path": "/get"}
    assert [received.path for received in server.received] == ["/open", "/get"]


async def test_read_only_user_over_the_websocket(
    hass: HomeAssistant,
    place: Place,
    pwn: RecordingServer,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    """The issue's case: a read-only user's websocket call can't save to www/."""
    client = await hass_ws_client(hass, hass_read_only_access_token)
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": SERVICE_SEND,
            "service_data": {"url": pwn.url("/pwn.html"), "save_to": "www/"},
            "return_response": True,
        }
    )
    answer = await client.receive_json()
    assert not answer["success"]
    # What core's admin actions (shell_command, downloader) answer there too.
    assert answer["error"]["code"] == "home_assistant_error"
    assert answer["error"]["message"] == "Unauthorized"
    assert pwn.received == []
    assert list((place.config / "www").iterdir()) == []
    # The same user may still call without a file.
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": SERVICE_SEND,
            "service_data": {"url": pwn.url("/pwn.html")},
            "return_response": True,
        }
    )
    answer = await client.receive_json()
    assert answer["success"], answer
    assert answer["result"]["response"]["status"] == 200
