"""Polling: a saved request with a scan_interval is sent on that interval.

Each such saved request has a DataUpdateCoordinator of the profile's entry. A poll
sends through the action's Sender, without the action call around it: one code
path, the same burst pacer, the profile's credentials, and an outcome reported to
the saved request's sensors. A failed poll raises UpdateFailed, so Home Assistant
logs once when polling fails and once when it recovers. Polling runs whether or
not an entity listens.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
import logging
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import DOMAIN
from .profile import SceneHttpRequestConfigEntry
from .saved_request import SavedRequest, saved_requests
from .services import DATA_SENDER

# A poll sends the saved request as is: no field of an action call changes it.
_NO_FIELDS: Mapping[str, Any] = MappingProxyType({})

_LOGGER = logging.getLogger(__name__)


class SavedRequestPoller(DataUpdateCoordinator[None]):
    """Sends one saved request on its scan interval, with no variables."""

    config_entry: SceneHttpRequestConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SceneHttpRequestConfigEntry,
        saved: SavedRequest,
        interval: float,
    ) -> None:
        """Poll saved on interval (seconds), for the profile entry."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"saved request {saved.name}",
            update_interval=timedelta(seconds=interval),
        )
        self.saved = saved
        self._sender = hass.data[DATA_SENDER]

    async def _async_update_data(self) -> None:
        """Send the saved request as the action does; a failure is UpdateFailed."""
        try:
            await self._sender.async_send_data(_NO_FIELDS, self.saved)
        except HomeAssistantError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="poll_failed",
                translation_placeholders={
                    "request": self.saved.name,
                    "error": str(err),
                },
            ) from err


@callback
def _keep_polling() -> None:
    """Listen to a poller, so that it polls with or without entities."""


@callback
def async_start_polling(
    hass: HomeAssistant, entry: SceneHttpRequestConfigEntry
) -> None:
    """Start a poller per saved request with a scan_interval.

    Each polls first once the profile is loaded (the action needs it loaded).
    Unloading the profile removes the listeners, which stops the polling, and
    cancels a first poll still running.
    """
    waiting = [
        SavedRequestPoller(hass, entry, saved, saved.scan_interval)
        for saved in saved_requests(entry)
        if saved.scan_interval is not None
    ]
    if not waiting:
        return

    @callback
    def poll_when_loaded() -> None:
        if entry.state is not ConfigEntryState.LOADED:
            return
        pollers = waiting.copy()
        waiting.clear()
        for poller in pollers:
            entry.async_on_unload(poller.async_add_listener(_keep_polling))
            entry.async_create_background_task(
                hass,
                poller.async_refresh(),
                f"{DOMAIN} first poll {poller.saved.subentry_id}",
            )

    entry.async_on_unload(entry.async_on_state_change(poll_when_loaded))
