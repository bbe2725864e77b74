"""Profiles stored with data that cannot be used."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scene_http_request.const import DOMAIN


async def assert_setup_fails_on_field(
    hass: HomeAssistant, options: dict[str, Any], field: str
) -> None:
    """Set up a profile stored with options; it must fail, naming field."""
    entry = MockConfigEntry(
        domain=DOMAIN, title="Bad", data={"name": "Bad"}, options=options
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert f"corrupt ({field})" in entry.reason
