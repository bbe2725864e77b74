"""The value of a saved request's value sensor: what a response gives its template.

The template sees the content as text (`value`), parsed JSON (`value_json`), the
status and the headers, like core's rest sensor. The state is the rendered text,
made a number, a date or a time when the sensor's kind says so; anything else a
number-kind sensor can't show is unknown. A template that fails raises
ValueTemplateError, which names nothing of the response.
"""

from __future__ import annotations

from datetime import date, datetime
import math
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import MAX_LENGTH_STATE_STATE
from homeassistant.exceptions import TemplateError
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .content import ResponseValues
from .saved_request import ValueSensor

type SensorValue = StateType | date | datetime

# Device classes whose state is a moment (uptime is one on newer HA only).
_MOMENTS: Final = frozenset(
    kind
    for kind in SensorDeviceClass
    if kind in (SensorDeviceClass.TIMESTAMP, "uptime")
)


class ValueTemplateError(Exception):
    """The value template failed on a response (or gave too long a state)."""


def render_value(
    sensor: ValueSensor, values: ResponseValues
) -> tuple[SensorValue, dict[str, Any]]:
    """Return the state and the JSON attributes a response gives the sensor."""
    try:
        rendered = sensor.template.async_render(values.variables(), parse_result=False)
    except (TemplateError, RecursionError) as err:
        raise ValueTemplateError from err
    text = str(rendered).strip()
    if len(text) > MAX_LENGTH_STATE_STATE:
        raise ValueTemplateError
    found = values.json if isinstance(values.json, dict) else {}
    attributes = {key: found[key] for key in sensor.json_attributes if key in found}
    return _state(sensor, text), attributes


def _state(sensor: ValueSensor, text: str) -> SensorValue:
    """Return the rendered text as the kind of state the sensor shows."""
    if sensor.device_class in _MOMENTS:
        moment = dt_util.parse_datetime(text)
        return moment if moment is not None and moment.tzinfo is not None else None
    if sensor.device_class is SensorDeviceClass.DATE:
        return dt_util.parse_date(text)
    if not sensor.numeric:
        return text
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
