"""The base of a saved request's entities: one service device per profile.

A device belongs to one config subentry at most, so the profile's device belongs
to the profile itself, and each entity belongs to its saved request's subentry:
removing a saved request removes its entities and leaves the device.
"""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .profile import SceneHttpRequestConfigEntry
from .saved_request import SavedRequest, saved_requests


def profile_device(
    hass: HomeAssistant, entry: SceneHttpRequestConfigEntry
) -> dr.DeviceEntry:
    """Return the profile's service device, created on first use."""
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        entry_type=dr.DeviceEntryType.SERVICE,
    )


def async_add_saved_request_entities(
    hass: HomeAssistant,
    entry: SceneHttpRequestConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[dr.DeviceEntry, SavedRequest, EntityDescription], Entity],
    description: EntityDescription,
) -> None:
    """Add one entity per saved request of the profile, under its subentry."""
    requests = saved_requests(entry)
    if not requests:
        return
    device = profile_device(hass, entry)
    for saved in requests:
        async_add_entities(
            [make(device, saved, description)], config_subentry_id=saved.subentry_id
        )


def remove_profile_device(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the device of a profile that has no saved request left."""
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry_id):
        registry.async_update_device(device.id, remove_config_entry_id=entry_id)


class SavedRequestEntity(Entity):
    """An entity of one saved request, on its profile's service device."""

    _attr_has_entity_name = True

    def __init__(
        self,
        device: dr.DeviceEntry,
        saved: SavedRequest,
        description: EntityDescription,
    ) -> None:
        """Name the entity after the saved request; key its IDs to the subentry."""
        self.entity_description = description
        self.saved = saved
        self.device_entry = device
        self._attr_unique_id = f"{saved.subentry_id}_{description.key}"
        self._attr_translation_placeholders = {"request": saved.name}
