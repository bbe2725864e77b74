"""Polling: a saved request with a scan_interval is sent on that interval.

Each such saved request has a DataUpdateCoordinator of the profile's entry. A poll
calls the action, like the button: one code path, the same burst pacer, the
profile's credentials, and an outcome reported to the saved request's sensors. A
failed poll raises UpdateFailed, so Home Assistant logs once when polling fails
and once when it recovers. Polling runs whether or not an entity listens.
"""

from __future__ import annotations

from datetime import timedelta
import logging

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import ATTR_REQUEST, DOMAIN, SERVICE_SEND
from .profile import SceneHttpRequestConfigEntry
from .saved_request import SavedRequest, saved_requests

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

    async def _async_update_data(self) -> None:
        """Send the saved request through the action; a failure is UpdateFailed."""
        try:
            await self.hass.services.async_call(
                DOMAIN,
                SERVICE_SEND,
                {
                    ATTR_REQUEST: self.saved.name,
                    ATTR_CONFIG_ENTRY_ID: self.saved.entry_id,
                },
                blocking=True,
            )
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
