"""The saved requests' last-result sensors: updates from every send, and restore."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from homeassistant.const import ATTR_FRIENDLY_NAME, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND

from .helpers import AddProfile, request_data, subentry
from .server import RecordingServer

SECRET = "hdr-SECRET-value"


def sensor_id(hass: HomeAssistant, subentry_id: str) -> str:
    """Return the entity ID of a saved request's sensor."""
    found = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{subentry_id}_last_result"
    )
    assert found is not None
    return found


def sensor(hass: HomeAssistant, subentry_id: str) -> State:
    """Return the state of a saved request's sensor."""
    state = hass.states.get(sensor_id(hass, subentry_id))
    assert state is not None
    return state


async def send(hass: HomeAssistant, **data: Any) -> None:
    """Call the action."""
    await hass.services.async_call(DOMAIN, SERVICE_SEND, data, blocking=True)


@pytest.fixture
async def entry(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> MockConfigEntry:
    """A profile with a saved request."""

    @server.route("/missing")
    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text=SECRET)

    return await add_profile(
        "Hooks",
        str(server.base),
        subentry(
            request_data(
                "Left home",
                "{{ path | default('hook') }}",
                headers=[{"name": "X-Key", "value": SECRET}],
            ),
            "sub",
        ),
    )


async def test_unknown_until_sent(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The sensor is unknown before any send, with a translated name."""
    state = sensor(hass, "sub")
    assert state.state == STATE_UNKNOWN
    assert state.attributes[ATTR_FRIENDLY_NAME] == "Left home Last result"
    assert state.attributes["ok"] is None


@pytest.mark.usefixtures("entry")
async def test_updates_on_every_send(hass: HomeAssistant) -> None:
    """Sends from the action and the button update the sensor; no secret shows."""
    before = dt_util.utcnow()
    await send(hass, request="left_home")
    state = sensor(hass, "sub")
    assert state.state == "200"
    assert state.attributes["ok"] is True
    assert 0 <= state.attributes["elapsed"] < 5
    assert dt_util.parse_datetime(state.attributes["last_attempt"]) >= before
    assert set(state.attributes) == {
        "elapsed",
        "last_attempt",
        "ok",
        "friendly_name",
        "icon",
    } - {"icon"} | ({"icon"} & set(state.attributes))
    with pytest.raises(HomeAssistantError):
        await send(hass, request="left_home", variables={"path": "missing"})
    state = sensor(hass, "sub")
    assert state.state == "404"
    assert state.attributes["ok"] is False
    assert SECRET not in str(state.attributes)
    button = er.async_get(hass).async_get_entity_id("button", DOMAIN, "sub_send")
    await hass.services.async_call(
        "button", "press", {"entity_id": button}, blocking=True
    )
    assert sensor(hass, "sub").state == "200"


@pytest.mark.usefixtures("entry")
async def test_error_key_without_an_answer(
    hass: HomeAssistant, add_profile: AddProfile
) -> None:
    """With no answer, the state is the error key and elapsed is None."""
    with pytest.raises(HomeAssistantError):
        await send(
            hass,
            request="left_home",
            url="{{ bad",
            method="GET",
            headers={"Bad Name": "x"},
        )
    state = sensor(hass, "sub")
    assert state.state == "invalid_header_name"
    assert state.attributes["ok"] is False
    assert state.attributes["elapsed"] is None
    await add_profile("T", None, subentry(request_data("t", "{{ who }}"), "t"))
    with pytest.raises(HomeAssistantError):
        await send(hass, request="t")
    assert sensor(hass, "t").state == "template_error"
    assert sensor(hass, "t").attributes["ok"] is False


async def test_connection_error_key(
    hass: HomeAssistant, closed_port: int, add_profile: AddProfile
) -> None:
    """A server that can't be reached shows cannot_connect."""
    await add_profile(
        "Down",
        f"http://127.0.0.1:{closed_port}/",
        subentry(request_data("d", "x"), "d"),
    )
    with pytest.raises(HomeAssistantError):
        await send(hass, request="d")
    assert sensor(hass, "d").state == "cannot_connect"


async def test_restore(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """After a restart the sensor shows its last state and attributes."""
    attempt = "2026-11-29T10:00:00+00:00"
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(
                    "sensor.left_home_last_result",
                    "404",
                    {"elapsed": 0.25, "last_attempt": attempt, "ok": False},
                ),
                {"native_value": 404, "native_unit_of_measurement": None},
            ),
            (
                State(
                    "sensor.other_last_result",
                    "timeout",
                    {"elapsed": "x", "last_attempt": 3, "ok": "no"},
                ),
                {"native_value": "timeout", "native_unit_of_measurement": None},
            ),
        ],
    )
    await add_profile(
        "Hooks",
        str(server.base),
        subentry(request_data("Left home", "hook"), "sub"),
        subentry(request_data("Other", "other"), "other"),
    )
    state = sensor(hass, "sub")
    assert state.entity_id == "sensor.left_home_last_result"
    assert state.state == "404"
    assert state.attributes["elapsed"] == 0.25
    assert state.attributes["last_attempt"] == attempt
    assert state.attributes["ok"] is False
    other = sensor(hass, "other")
    assert other.state == "timeout"
    assert other.attributes["elapsed"] is None
    assert other.attributes["last_attempt"] is None
    assert other.attributes["ok"] is None
