"""The value sensor of a saved request: rendered over each send's response."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_FRIENDLY_NAME,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND

from .helpers import AddProfile, request_data, subentry
from .server import RecordingServer

SECRET = "body-SECRET-value"
TOKEN = "tok-SECRET-value"


def value_id(hass: HomeAssistant, subentry_id: str) -> str | None:
    """Return the entity ID of a saved request's value sensor, if any."""
    return er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{subentry_id}_value"
    )


def value(hass: HomeAssistant, subentry_id: str = "sub") -> State:
    """Return the state of a saved request's value sensor."""
    entity_id = value_id(hass, subentry_id)
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state


async def send(hass: HomeAssistant, **data: Any) -> None:
    """Call the action."""
    await hass.services.async_call(DOMAIN, SERVICE_SEND, data, blocking=True)


@pytest.fixture
def reply(server: RecordingServer) -> dict[str, Any]:
    """What /reading answers; a test changes it."""
    answer: dict[str, Any] = {
        "status": 200,
        "json": {"temperature": 21.5, "humidity": 40, "secret": SECRET},
    }

    @server.route("/reading")
    async def reading(request: web.Request) -> web.Response:
        if "text" in answer:
            return web.Response(status=answer["status"], text=answer["text"])
        return web.json_response(
            answer["json"], status=answer["status"], headers={"X-Unit": "C"}
        )

    return answer


async def add(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    **fields: Any,
) -> MockConfigEntry:
    """Add a profile (bearer auth) with one saved request reading /reading."""
    return await add_profile(
        "Weather",
        str(server.base),
        subentry(request_data("Outside", "reading", **fields), "sub"),
        auth_type="bearer",
        token=TOKEN,
    )


TEMPERATURE = {
    "value_template": "{{ value_json.temperature }}",
    "json_attributes": ["humidity", "missing"],
    "unit_of_measurement": "°C",
    "device_class": "temperature",
    "state_class": "measurement",
}


@pytest.mark.usefixtures("reply")
async def test_value_from_a_button_press(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """A press renders the response: a number, with unit, classes and attributes."""
    await add(hass, add_profile, server, **TEMPERATURE)
    state = value(hass)
    assert state.state == STATE_UNKNOWN
    assert state.attributes[ATTR_FRIENDLY_NAME] == "Outside Value"
    button = er.async_get(hass).async_get_entity_id("button", DOMAIN, "sub_send")
    await hass.services.async_call(
        "button", "press", {"entity_id": button}, blocking=True
    )
    state = value(hass)
    assert state.state == "21.5"
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "°C"
    assert state.attributes[ATTR_DEVICE_CLASS] == "temperature"
    assert state.attributes["state_class"] == "measurement"
    assert state.attributes["humidity"] == 40
    assert "missing" not in state.attributes
    assert SECRET not in str(state.attributes)
    assert TOKEN not in str(state.attributes)
    assert "url" not in state.attributes
    assert "headers" not in state.attributes
    # On the saved request's device, next to its button.
    entity = er.async_get(hass).async_get(state.entity_id)
    assert entity is not None
    assert entity.config_subentry_id == "sub"
    button_entry = er.async_get(hass).async_get(button or "")
    assert button_entry is not None
    assert entity.device_id == button_entry.device_id
    device = dr.async_get(hass).async_get(entity.device_id or "")
    assert device is not None
    assert (DOMAIN, "sub") in device.identifiers


async def test_value_from_an_action_call(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    reply: dict[str, Any],
) -> None:
    """An action call renders status, headers and text as well as JSON."""
    await add(
        hass,
        add_profile,
        server,
        value_template="{{ status }} {{ headers['X-Unit'] }} {{ value | length }}",
    )
    await send(hass, request="outside")
    assert value(hass).state == f"200 C {len(json.dumps(reply['json']))}"
    reply["text"] = "plain words"
    await send(hass, request="outside")
    assert value(hass).state == "200  11"  # no X-Unit header: empty


async def test_not_a_number_is_unknown(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    reply: dict[str, Any],
) -> None:
    """A numeric sensor that renders no number is unknown; HA raises nothing."""
    await add(hass, add_profile, server, **TEMPERATURE)
    await send(hass, request="outside")
    assert value(hass).state == "21.5"
    for bad in ("n/a", "nan", "inf", ""):
        reply["json"] = {"temperature": bad, "humidity": 41}
        await send(hass, request="outside")
        state = value(hass)
        assert state.state == STATE_UNKNOWN, bad
        assert state.attributes["humidity"] == 41
    reply["json"] = {"temperature": 19}
    await send(hass, request="outside")
    assert value(hass).state == "19"


async def test_a_json_array_and_text(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    reply: dict[str, Any],
) -> None:
    """value_json is parsed from text that is JSON; attributes need an object."""
    await add(
        hass,
        add_profile,
        server,
        value_template="{{ value_json[1] if value_json else value }}",
        json_attributes=["a"],
    )
    reply["text"] = "[1, 2]"
    await send(hass, request="outside")
    assert value(hass).state == "2"
    assert "a" not in value(hass).attributes
    reply["text"] = "not json {"
    await send(hass, request="outside")
    assert value(hass).state == "not json {"


async def test_a_timestamp(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    reply: dict[str, Any],
) -> None:
    """A timestamp device class parses the value; a bad one is unknown."""
    await add(
        hass,
        add_profile,
        server,
        value_template="{{ value_json.at }}",
        device_class="timestamp",
    )
    reply["json"] = {"at": "2026-12-04T10:00:00+00:00"}
    await send(hass, request="outside")
    assert value(hass).state == "2026-12-04T10:00:00+00:00"
    reply["json"] = {"at": "2026-12-04T10:00:00"}  # no time zone
    await send(hass, request="outside")
    assert value(hass).state == STATE_UNKNOWN


async def test_a_failed_send_makes_it_unavailable(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    reply: dict[str, Any],
) -> None:
    """An error status (with fail_on_http_error) or no answer: unavailable."""
    await add(hass, add_profile, server, **TEMPERATURE)
    await send(hass, request="outside")
    reply["status"] = 500
    with pytest.raises(HomeAssistantError):
        await send(hass, request="outside")
    assert value(hass).state == STATE_UNAVAILABLE
    reply["status"] = 200
    await send(hass, request="outside")
    assert value(hass).state == "21.5"
    with pytest.raises(HomeAssistantError):
        await send(hass, request="outside", url="http://127.0.0.1:1/")
    assert value(hass).state == STATE_UNAVAILABLE


async def test_an_error_status_renders_without_fail_on_http_error(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    reply: dict[str, Any],
) -> None:
    """Without fail_on_http_error, an error status is a response like any."""
    await add(
        hass,
        add_profile,
        server,
        value_template="{{ status }}",
        fail_on_http_error=False,
    )
    reply["status"] = 503
    await send(hass, request="outside")
    assert value(hass).state == "503"


async def test_a_template_error(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    reply: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A template failing on a response: unavailable, logged once, no value."""
    await add(hass, add_profile, server, value_template="{{ 1 / value_json.divisor }}")
    reply["json"] = {"divisor": 0, "secret": SECRET}
    with caplog.at_level(logging.DEBUG):
        await send(hass, request="outside")
        await send(hass, request="outside")
    assert value(hass).state == STATE_UNAVAILABLE
    failures = [
        record.getMessage()
        for record in caplog.records
        if "failed on a response" in record.getMessage()
    ]
    assert failures == [
        "The value_template of saved request Outside failed on a response"
    ]
    assert SECRET not in caplog.text
    reply["json"] = {"divisor": 4}
    await send(hass, request="outside")
    assert value(hass).state == "0.25"
    assert "renders again" in caplog.text


async def test_a_state_too_long(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    reply: dict[str, Any],
) -> None:
    """A rendered state over 255 characters is unavailable, not logged."""
    await add(hass, add_profile, server, value_template="{{ value }}")
    reply["text"] = SECRET * 30
    await send(hass, request="outside")
    assert value(hass).state == STATE_UNAVAILABLE


@pytest.mark.usefixtures("reply")
async def test_no_value_sensor_without_a_template(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """A saved request without value_template has no value sensor."""
    await add(hass, add_profile, server)
    await send(hass, request="outside")
    assert value_id(hass, "sub") is None


async def test_restore_without_polling(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """Without polling, a restart shows the last value and JSON attributes only."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(
                    "sensor.outside_value",
                    "20.5",
                    {"humidity": 38, "other": "dropped"},
                ),
                {"native_value": 20.5, "native_unit_of_measurement": "°C"},
            )
        ],
    )
    await add(hass, add_profile, server, **TEMPERATURE)
    state = value(hass)
    assert state.entity_id == "sensor.outside_value"
    assert state.state == "20.5"
    assert state.attributes["humidity"] == 38
    assert "other" not in state.attributes
    assert server.received == []


async def test_binary_and_big_bodies(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """Binary content is no text; a big JSON body is decoded off the loop."""

    @server.route("/image")
    async def image(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\x00\xff", content_type="image/png")

    @server.route("/big")
    async def big(request: web.Request) -> web.Response:
        return web.json_response({"n": 7, "pad": "x" * 300_000})

    await add(
        hass,
        add_profile,
        server,
        value_template="{{ value | length }} {{ value_json.n | default('none') }}",
    )
    await send(hass, request="outside", url=server.url("/image"))
    assert value(hass).state == "0 none"
    await send(hass, request="outside", url=server.url("/big"))
    assert value(hass).state.endswith(" 7")
    assert int(value(hass).state.split()[0]) > 300_000
