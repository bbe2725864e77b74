"""Tests for setting up and unloading profiles."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND

from .helpers import AddProfile, profile_entry


async def test_setup_and_unload(hass: HomeAssistant, add_profile: AddProfile) -> None:
    """A profile loads, registers the action and unloads."""
    entry = await add_profile("Demo", "http://example.com/")
    assert entry.state is ConfigEntryState.LOADED
    assert hass.services.has_service(DOMAIN, SERVICE_SEND)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_corrupt_profile_fails_setup(hass: HomeAssistant) -> None:
    """Stored data that cannot be parsed is a translated ConfigEntryError."""
    entry = profile_entry("Broken", "ftp://example.com/")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "corrupt" in entry.reason


async def test_action_stays_after_last_profile(
    hass: HomeAssistant, add_profile: AddProfile
) -> None:
    """The action belongs to the integration, not to a profile."""
    entry = await add_profile("Only")
    assert await hass.config_entries.async_remove(entry.entry_id)
    assert hass.services.has_service(DOMAIN, SERVICE_SEND)
