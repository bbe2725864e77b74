"""The saved requests' buttons, their devices, and removal."""

from __future__ import annotations

from aiohttp import web
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import ATTR_ENTITY_ID, ATTR_FRIENDLY_NAME
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scene_http_request.const import DOMAIN, SUBENTRY_REQUEST

from .devices import devices_of, subentry_of
from .helpers import AddProfile, request_data, subentry
from .server import RecordingServer


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Return the entity ID of one of our entities."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, unique_id
    return found


async def press(hass: HomeAssistant, button: str) -> None:
    """Press a button the way the UI does."""
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: button}, blocking=True
    )


@pytest.fixture
async def entry(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> MockConfigEntry:
    """A profile with two saved requests."""

    @server.route("/missing")
    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404)

    return await add_profile(
        "Hooks",
        str(server.base),
        subentry(
            request_data(
                "Left home",
                "hook",
                method="POST",
                body_type="text",
                body="{{ 'gone' }}",
            ),
            "sub-left",
        ),
        subentry(request_data("Missing", "missing"), "sub-missing"),
    )


async def test_buttons_and_device(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Each saved request has its own service device, holding its button."""
    button = entity_id(hass, "button", "sub-left_send")
    registry_entry = er.async_get(hass).async_get(button)
    assert registry_entry is not None
    assert registry_entry.config_subentry_id == "sub-left"
    assert registry_entry.has_entity_name
    assert registry_entry.translation_key == "send"
    state = hass.states.get(button)
    assert state is not None
    # The button is its device's main feature: it takes the device's name.
    assert state.attributes[ATTR_FRIENDLY_NAME] == "Left home"
    devices = devices_of(hass, entry.entry_id)
    assert set(devices) == {"sub-left", "sub-missing"}
    device = devices["sub-left"]
    assert device.name == "Left home"
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert subentry_of(device) == "sub-left"
    assert registry_entry.device_id == device.id
    sensor = er.async_get(hass).async_get(
        entity_id(hass, "sensor", "sub-left_last_result")
    )
    assert sensor is not None
    assert sensor.device_id == device.id
    other = er.async_get(hass).async_get(entity_id(hass, "button", "sub-missing_send"))
    assert other is not None
    assert other.device_id == devices["sub-missing"].id


async def test_press_sends_the_request(
    hass: HomeAssistant, entry: MockConfigEntry, server: RecordingServer
) -> None:
    """Pressing the button sends the saved request, with no variables."""
    await press(hass, entity_id(hass, "button", "sub-left_send"))
    assert server.last.method == "POST"
    assert server.last.path == "/hook"
    assert server.last.body == b"gone"


async def test_press_failure_is_raised(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """A failed press raises the action's translated error."""
    with pytest.raises(HomeAssistantError) as info:
        await press(hass, entity_id(hass, "button", "sub-missing_send"))
    assert info.value.translation_key == "http_error"


async def test_press_template_error_is_raised(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """A template that needs variables fails the press with template_error."""
    await add_profile(
        "P", str(server.base), subentry(request_data("v", "{{ who }}"), "s")
    )
    with pytest.raises(ServiceValidationError) as info:
        await press(hass, entity_id(hass, "button", "s_send"))
    assert info.value.translation_key == "template_error"


async def test_new_saved_request_adds_entities(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """A saved request created in the flow gets its button and sensor."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_REQUEST), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Arrived",
            "method": "GET",
            "url": "arrived",
            "body_type": "none",
            "advanced": {"fail_on_http_error": True},
            "try_it": False,
        },
    )
    await hass.async_block_till_done()
    new_id = next(
        sub.subentry_id for sub in entry.subentries.values() if sub.title == "Arrived"
    )
    button = entity_id(hass, "button", f"{new_id}_send")
    assert hass.states.get(button) is not None
    sensor = entity_id(hass, "sensor", f"{new_id}_last_result")
    assert hass.states.get(sensor) is not None
    device = devices_of(hass, entry.entry_id)[new_id]
    assert device.name == "Arrived"
    assert subentry_of(device) == new_id
    registry = er.async_get(hass)
    assert {
        registry.async_get(button).device_id,
        registry.async_get(sensor).device_id,
    } == {device.id}


async def test_removal(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Removing a saved request removes its device and entities; the profile, all.

    HA removes the subentry's device: no deprecated registry call is made (the
    autouse no_deprecated_use fixture fails the test on any report).
    """
    registry = er.async_get(hass)
    button = entity_id(hass, "button", "sub-left_send")
    sensor = entity_id(hass, "sensor", "sub-left_last_result")
    left_device = devices_of(hass, entry.entry_id)["sub-left"]
    assert hass.config_entries.async_remove_subentry(entry, "sub-left")
    await hass.async_block_till_done()
    assert registry.async_get(button) is None
    assert registry.async_get(sensor) is None
    assert hass.states.get(button) is None
    assert dr.async_get(hass).async_get(left_device.id) is None
    other = entity_id(hass, "button", "sub-missing_send")
    assert hass.states.get(other) is not None
    assert set(devices_of(hass, entry.entry_id)) == {"sub-missing"}
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get(other) is None
    assert devices_of(hass, entry.entry_id) == {}


async def test_unload_and_other_changes_do_not_reload(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """A change that leaves the saved requests alone does not reload the profile."""
    button = entity_id(hass, "button", "sub-left_send")
    hass.config_entries.async_update_entry(entry, title="Renamed")
    await hass.async_block_till_done()
    assert hass.states.get(button) is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    state = hass.states.get(button)
    assert state is not None
    assert state.state == "unavailable"


async def test_last_removal_removes_the_device(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """A profile whose saved requests are all removed keeps no device."""
    hass.config_entries.async_remove_subentry(entry, "sub-left")
    await hass.async_block_till_done()
    assert set(devices_of(hass, entry.entry_id)) == {"sub-missing"}
    hass.config_entries.async_remove_subentry(entry, "sub-missing")
    await hass.async_block_till_done()
    assert devices_of(hass, entry.entry_id) == {}
    assert er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id) == []
