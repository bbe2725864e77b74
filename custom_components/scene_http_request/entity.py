"""The base of a saved request's entities: one service device per saved request.

Each saved request's button and sensor sit on its own device, which belongs to
its subentry: removing a saved request removes its device and entities.
"""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .profile import SceneHttpRequestConfigEntry
from .saved_request import SavedRequest, saved_requests


def saved_request_device(subentry_id: str, name: str) -> DeviceInfo:
    """Return the device of a saved request, keyed to its subentry."""
    return DeviceInfo(
        identifiers={(DOMAIN, subentry_id)},
        name=name,
        entry_type=DeviceEntryType.SERVICE,
    )


def async_add_saved_request_entities(
    entry: SceneHttpRequestConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[SavedRequest, EntityDescription], Entity],
    description: EntityDescription,
) -> None:
    """Add one entity per saved request of the profile, under its subentry."""
    for saved in saved_requests(entry):
        async_add_entities(
            [make(saved, description)], config_subentry_id=saved.subentry_id
        )


@callback
def async_migrate_profile_device(
    hass: HomeAssistant, entry: SceneHttpRequestConfigEntry
) -> None:
    """Move the entities off the profile's device of older versions, then remove it.

    Earlier versions put every saved request's entities on one device per
    profile, identified by the entry ID. Each entity moves to its saved
    request's device, keeping its entity_id and unique_id; the old device's area
    and a user's disabling carry over.
    """
    devices = dr.async_get(hass)
    profile_key = (DOMAIN, entry.entry_id)
    old = next(
        (
            device
            for device in dr.async_entries_for_config_entry(devices, entry.entry_id)
            if profile_key in device.identifiers
        ),
        None,
    )
    if old is None:
        return
    entities = er.async_get(hass)
    for entity in er.async_entries_for_device(
        entities, old.id, include_disabled_entities=True
    ):
        subentry = entry.subentries.get(entity.config_subentry_id or "")
        if subentry is None:
            continue
        info = saved_request_device(subentry.subentry_id, subentry.title)
        new = devices.async_get_or_create(
            config_entry_id=entry.entry_id,
            config_subentry_id=subentry.subentry_id,
            disabled_by=(
                old.disabled_by
                if old.disabled_by is dr.DeviceEntryDisabler.USER
                else None
            ),
            **info,
        )
        if old.area_id and not new.area_id:
            devices.async_update_device(new.id, area_id=old.area_id)
        entities.async_update_entity(entity.entity_id, device_id=new.id)
    devices.async_remove_device(old.id)


class SavedRequestEntity(Entity):
    """An entity of one saved request, on the saved request's service device."""

    _attr_has_entity_name = True

    def __init__(self, saved: SavedRequest, description: EntityDescription) -> None:
        """Key the IDs and the device to the saved request's subentry."""
        self.entity_description = description
        self.saved = saved
        self._attr_unique_id = f"{saved.subentry_id}_{description.key}"
        self._attr_device_info = saved_request_device(saved.subentry_id, saved.name)
