"""A button per saved request: pressing it sends the request."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import ATTR_REQUEST, DOMAIN, SERVICE_SEND
from .entity import SavedRequestEntity, async_add_saved_request_entities
from .profile import SceneHttpRequestConfigEntry

# Sending is paced by the action itself; presses need no limit of their own.
PARALLEL_UPDATES = 0

SEND_DESCRIPTION = ButtonEntityDescription(key="send", translation_key="send")


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SceneHttpRequestConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a button for each saved request of the profile."""
    async_add_saved_request_entities(
        entry, async_add_entities, SavedRequestButton, SEND_DESCRIPTION
    )


class SavedRequestButton(SavedRequestEntity, ButtonEntity):
    """Sends its saved request, with no variables, through the action."""

    # The main feature of the saved request's device: it takes the device's name.
    _attr_name = None

    async def async_press(self) -> None:
        """Send the request; a failure is raised as the action raises it."""
        await self.hass.services.async_call(
            DOMAIN,
            SERVICE_SEND,
            {
                ATTR_REQUEST: self.saved.name,
                ATTR_CONFIG_ENTRY_ID: self.saved.entry_id,
            },
            blocking=True,
            context=self._context,
        )
