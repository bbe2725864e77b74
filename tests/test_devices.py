"""Devices: the migration from one device per profile, and no deprecated HA API."""

from __future__ import annotations

import logging
from unittest.mock import Mock

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as ha_version
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.frame import report_usage
from homeassistant.loader import async_get_integration
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scene_http_request.const import DOMAIN

from .conftest import deprecation_reports
from .devices import devices_of, subentry_of
from .helpers import profile_entry, request_data, subentry

# Where HA 2026.10 made a device belong to one config entry and subentry.
ONE_OWNER_DEVICES = AwesomeVersion(ha_version) >= AwesomeVersion("2026.10.0")


def stored_as_before(
    hass: HomeAssistant,
) -> tuple[MockConfigEntry, dr.DeviceEntry, dict[str, er.RegistryEntry]]:
    """Store a profile as the previous version left it, without setting it up.

    One service device per profile, identified by the entry ID, holds the
    entities of every saved request; each entity belongs to its subentry.
    """
    entry = profile_entry(
        "Hooks",
        "http://127.0.0.1:9/",
        subentry(request_data("Left home", "left"), "sub-left"),
        subentry(request_data("Arrived", "arrived"), "sub-arrived"),
    )
    entry.add_to_hass(hass)
    devices = dr.async_get(hass)
    device = devices.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        entry_type=dr.DeviceEntryType.SERVICE,
    )
    kitchen = ar.async_get(hass).async_create("Kitchen")
    device = devices.async_update_device(device.id, area_id=kitchen.id) or device
    entities = er.async_get(hass)
    stored = {}
    for sub, slug in (("sub-left", "left_home"), ("sub-arrived", "arrived")):
        for platform, key, suffix in (
            ("button", "send", ""),
            ("sensor", "last_result", "_last_result"),
        ):
            stored[f"{sub}_{key}"] = entities.async_get_or_create(
                platform,
                DOMAIN,
                f"{sub}_{key}",
                config_entry=entry,
                config_subentry_id=sub,
                device_id=device.id,
                has_entity_name=True,
                translation_key=key,
                suggested_object_id=f"hooks_{slug}{suffix}",
            )
    # A user's choice on one entity must survive the move.
    stored["sub-arrived_last_result"] = entities.async_update_entity(
        stored["sub-arrived_last_result"].entity_id,
        disabled_by=er.RegistryEntryDisabler.USER,
    )
    return entry, device, stored


async def test_profile_device_is_migrated(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """Entities keep their IDs and move to their saved request's device.

    The profile's device is removed, and HA reports no deprecated call.
    """
    entry, old_device, stored = stored_as_before(hass)
    assert stored["sub-left_send"].entity_id == "button.hooks_left_home"
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    devices = devices_of(hass, entry.entry_id)
    assert set(devices) == {"sub-left", "sub-arrived"}
    assert dr.async_get(hass).async_get(old_device.id) is None
    entities = er.async_get(hass)
    for unique_id, before in stored.items():
        after = entities.async_get(before.entity_id)
        assert after is not None, unique_id
        assert after.unique_id == before.unique_id
        assert after.config_subentry_id == before.config_subentry_id
        assert after.disabled_by == before.disabled_by
        device = devices[before.config_subentry_id or ""]
        assert after.device_id == device.id
        assert subentry_of(device) == before.config_subentry_id
        assert device.entry_type is dr.DeviceEntryType.SERVICE
        assert device.area_id == old_device.area_id
    assert devices["sub-left"].name == "Left home"
    assert devices["sub-arrived"].name == "Arrived"
    state = hass.states.get("button.hooks_left_home")
    assert state is not None
    assert state.attributes["friendly_name"] == "Left home"
    assert hass.states.get("sensor.hooks_left_home_last_result") is not None
    assert hass.states.get("sensor.hooks_arrived_last_result") is None  # disabled
    assert len(entities.entities) == 4
    assert deprecation_reports(caplog.records) == []

    # A second setup finds nothing left to migrate.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert devices_of(hass, entry.entry_id) == {
        key: dr.async_get(hass).async_get(device.id) for key, device in devices.items()
    }


async def test_disabled_profile_device_stays_disabled(hass: HomeAssistant) -> None:
    """A profile device the user disabled leaves its saved requests' disabled."""
    entry, old_device, stored = stored_as_before(hass)
    dr.async_get(hass).async_update_device(
        old_device.id, disabled_by=dr.DeviceEntryDisabler.USER
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for device in devices_of(hass, entry.entry_id).values():
        assert device.disabled_by is dr.DeviceEntryDisabler.USER
    for before in stored.values():
        assert hass.states.get(before.entity_id) is None
        after = er.async_get(hass).async_get(before.entity_id)
        assert after is not None
        assert after.disabled


async def test_profile_device_without_requests_is_removed(hass: HomeAssistant) -> None:
    """A profile device left with no saved request is removed."""
    entry = profile_entry("Empty")
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name="Empty",
        entry_type=dr.DeviceEntryType.SERVICE,
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert dr.async_get(hass).async_get(device.id) is None


# ------------------------------------------------------- the deprecation check


@pytest.mark.parametrize(
    "integration_frame_path", [f"custom_components/{DOMAIN}"], ids=["ours"]
)
async def test_detector_flags_the_old_device_removal(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    mock_integration_frame: Mock,
) -> None:
    """The old remove_config_entry_id call, made from our package, is flagged.

    HA 2026.10 deprecates it; older HA does not, so there any report our
    package makes through report_usage must be flagged instead.
    """
    entry = profile_entry("P")
    entry.add_to_hass(hass)
    devices = dr.async_get(hass)
    device = devices.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, entry.entry_id)}
    )
    devices.async_update_device(device.id, remove_config_entry_id=entry.entry_id)
    assert devices.async_get(device.id) is None
    reports = deprecation_reports(caplog.records)
    if ONE_OWNER_DEVICES:
        assert len(reports) == 1
        assert "async_update_device" in reports[0]
        assert "2027.8.0" in reports[0]
    else:
        assert reports == []
    # A report that names the domain (frames aside) reads the same on both legs.
    await async_get_integration(hass, DOMAIN)
    report_usage(
        "calls something deprecated",
        breaks_in_ha_version="2099.1.0",
        integration_domain=DOMAIN,
    )
    assert deprecation_reports(caplog.records)[-1].startswith(
        f"Detected that custom integration '{DOMAIN}' calls something deprecated"
    )
    caplog.clear()  # this test made the reports on purpose


def test_detector_ignores_others(caplog: pytest.LogCaptureFixture) -> None:
    """Other integrations' reports and our own warnings are not flagged."""
    frame_logger = logging.getLogger("homeassistant.helpers.frame")
    for message in (
        "Detected that custom integration 'other' calls something deprecated",
        "Detected that integration 'hue' calls something deprecated",
        "The deprecated constant X was used from other. Use Y instead",
        f"A request of {DOMAIN} failed: integration '{DOMAIN}x' is down",
    ):
        frame_logger.warning(message)
        assert deprecation_reports(caplog.records) == [], message
    for message in (
        f"Detected that custom integration '{DOMAIN}' calls x at a.py, line 1: y.",
        f"The deprecated function f was used from {DOMAIN}. Use g instead",
        "Detected code that calls x. Please report this issue",
    ):
        frame_logger.warning(message)
        assert deprecation_reports(caplog.records)[-1] == message
    caplog.clear()
