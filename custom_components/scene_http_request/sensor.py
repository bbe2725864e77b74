"""A sensor per saved request: the last HTTP status, or the last error key.

Its attributes are the last elapsed time, the last attempt's time and ok. No URL,
content or header: the recorder keeps attributes, and those may hold secrets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.sensor import RestoreSensor, SensorEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .entity import SavedRequestEntity, async_add_saved_request_entities
from .outcome import SendOutcome, signal_sent
from .profile import SceneHttpRequestConfigEntry

# The sensor is pushed by sends; it never polls.
PARALLEL_UPDATES = 0

ATTR_ELAPSED = "elapsed"
ATTR_LAST_ATTEMPT = "last_attempt"
ATTR_OK = "ok"

LAST_RESULT_DESCRIPTION = SensorEntityDescription(
    key="last_result", translation_key="last_result"
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SceneHttpRequestConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a last-result sensor for each saved request of the profile."""
    async_add_saved_request_entities(
        entry, async_add_entities, SavedRequestSensor, LAST_RESULT_DESCRIPTION
    )


class SavedRequestSensor(SavedRequestEntity, RestoreSensor):
    """The outcome of the last send of a saved request, whoever sent it."""

    _attr_should_poll = False
    _elapsed: float | None = None
    _last_attempt: datetime | None = None
    _ok: bool | None = None

    async def async_added_to_hass(self) -> None:
        """Restore the last outcome, then follow every send."""
        await super().async_added_to_hass()
        if (data := await self.async_get_last_sensor_data()) is not None:
            self._attr_native_value = data.native_value
        if (state := await self.async_get_last_state()) is not None:
            self._restore_attributes(state.attributes)
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_sent(self.saved.subentry_id), self._async_sent
            )
        )

    def _restore_attributes(self, attributes: Any) -> None:
        """Take back the attributes a previous run wrote, when well-formed."""
        elapsed, ok = attributes.get(ATTR_ELAPSED), attributes.get(ATTR_OK)
        if isinstance(elapsed, int | float) and not isinstance(elapsed, bool):
            self._elapsed = float(elapsed)
        if isinstance(ok, bool):
            self._ok = ok
        if isinstance(attempt := attributes.get(ATTR_LAST_ATTEMPT), str):
            self._last_attempt = dt_util.parse_datetime(attempt)

    @callback
    def _async_sent(self, outcome: SendOutcome) -> None:
        """Show the outcome of a send."""
        self._attr_native_value = outcome.state
        self._elapsed = outcome.elapsed
        self._last_attempt = outcome.attempted_at
        self._ok = outcome.ok
        self.async_write_ha_state()

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the last elapsed time, the last attempt's time and ok."""
        return {
            ATTR_ELAPSED: self._elapsed,
            ATTR_LAST_ATTEMPT: (
                self._last_attempt.isoformat() if self._last_attempt else None
            ),
            ATTR_OK: self._ok,
        }
