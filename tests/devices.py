"""Device registry helpers that read the same on both HA legs."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.scene_http_request.const import DOMAIN


def subentry_of(device: dr.DeviceEntry) -> str | None:
    """Return the config subentry a device belongs to.

    HA 2026.10 gives a device one config_subentry_id (and raises in tests on
    the old config_entries_subentries); older HA keeps a set per config entry.
    """
    if hasattr(device, "config_subentry_id"):
        subentry: str | None = device.config_subentry_id
        return subentry
    (subentries,) = device.config_entries_subentries.values()
    (subentry,) = subentries
    return subentry


def devices_of(hass: HomeAssistant, entry_id: str) -> dict[str, dr.DeviceEntry]:
    """Return a profile's devices by their identifier."""
    found = {}
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id):
        ((domain, key),) = device.identifiers
        assert domain == DOMAIN
        found[key] = device
    return found
