"""A sensor per saved request: the last HTTP status, or the last error key.

Its attributes are the last elapsed time, the last attempt's time and ok. No URL,
content or header: the recorder keeps attributes, and those may hold secrets.

A saved request with a value_template also has a value sensor: the template
rendered over the response of each send (button, action or poll). Its only
attributes are the json_attributes the user picked from the JSON object.
"""

from __future__ import annotations

from datetime import datetime
import logging
from typing import Any

from homeassistant.components.sensor import RestoreSensor, SensorEntityDescription
from homeassistant.const import CONF_VALUE_TEMPLATE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .entity import SavedRequestEntity, async_add_saved_request_entities
from .outcome import SendOutcome, signal_sent
from .profile import SceneHttpRequestConfigEntry
from .saved_request import SavedRequest, ValueSensor, saved_requests
from .value import ValueTemplateError, render_value

_LOGGER = logging.getLogger(__name__)

# The sensor is pushed by sends; it never polls.
PARALLEL_UPDATES = 0

ATTR_ELAPSED = "elapsed"
ATTR_LAST_ATTEMPT = "last_attempt"
ATTR_OK = "ok"

LAST_RESULT_DESCRIPTION = SensorEntityDescription(
    key="last_result", translation_key="last_result"
)
VALUE_DESCRIPTION = SensorEntityDescription(key="value", translation_key="value")


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SceneHttpRequestConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a last-result sensor for each saved request, a value sensor for some."""
    async_add_saved_request_entities(
        entry, async_add_entities, SavedRequestSensor, LAST_RESULT_DESCRIPTION
    )
    for saved in saved_requests(entry):
        if saved.sensor is not None:
            async_add_entities(
                [SavedRequestValueSensor(saved, saved.sensor)],
                config_subentry_id=saved.subentry_id,
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


class SavedRequestValueSensor(SavedRequestEntity, RestoreSensor):
    """The value template rendered over the last response, whoever sent it.

    A failed send makes it unavailable, as does a template that fails on a
    response (logged once, by field name: the value may be secret).
    """

    _attr_should_poll = False

    def __init__(self, saved: SavedRequest, sensor: ValueSensor) -> None:
        """Take the unit and the classes of the saved request's sensor."""
        super().__init__(saved, VALUE_DESCRIPTION)
        self.sensor = sensor
        self._attr_native_unit_of_measurement = sensor.unit
        self._attr_device_class = sensor.device_class
        self._attr_state_class = sensor.state_class
        self._attr_extra_state_attributes = {}
        self._template_failed = False

    async def async_added_to_hass(self) -> None:
        """Restore the last value and attributes, then follow every send."""
        await super().async_added_to_hass()
        if (data := await self.async_get_last_sensor_data()) is not None:
            self._attr_native_value = data.native_value
        if (state := await self.async_get_last_state()) is not None:
            self._attr_extra_state_attributes = {
                key: state.attributes[key]
                for key in self.sensor.json_attributes
                if key in state.attributes
            }
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_sent(self.saved.subentry_id), self._async_sent
            )
        )

    @callback
    def _async_sent(self, outcome: SendOutcome) -> None:
        """Render the response of a send; a failed send makes it unavailable."""
        if outcome.values is None:
            self._attr_available = False
        else:
            try:
                value, attributes = render_value(self.sensor, outcome.values)
            except ValueTemplateError:
                self._template_error()
            else:
                if self._template_failed:
                    _LOGGER.info(
                        "The %s of saved request %s renders again",
                        CONF_VALUE_TEMPLATE,
                        self.saved.name,
                    )
                self._template_failed = False
                self._attr_available = True
                self._attr_native_value = value
                self._attr_extra_state_attributes = attributes
        self.async_write_ha_state()

    def _template_error(self) -> None:
        """Become unavailable; log the first failure (by field name) only."""
        if not self._template_failed:
            _LOGGER.warning(
                "The %s of saved request %s failed on a response",
                CONF_VALUE_TEMPLATE,
                self.saved.name,
            )
        self._template_failed = True
        self._attr_available = False
