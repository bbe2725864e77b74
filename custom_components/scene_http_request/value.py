"""The value of a saved request's value sensor: what a response gives its template.

The template sees the content as text (`value`), parsed JSON (`value_json`), the
status and the headers, like core's rest sensor. The state is the rendered text,
made a number, a date or a time when the sensor's kind says so; anything else a
number-kind sensor can't show is unknown. A template that fails raises
ValueTemplateError, which names nothing of the response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
import math
from typing import Any, Final

from aiohttp import hdrs
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import MAX_LENGTH_STATE_STATE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import TemplateError
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .client import Response
from .content import (
    JSON_INLINE_LIMIT,
    async_response_headers,
    decode_content,
    parse_content_type,
)
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


@dataclass(frozen=True, slots=True)
class ResponseValues:
    """What a value template sees of one response."""

    status: int
    headers: Mapping[str, str | list[str]]
    text: str
    json: Any


async def async_response_values(
    hass: HomeAssistant, response: Response
) -> ResponseValues:
    """Return a response's values; a big body is decoded in the executor."""
    headers = await async_response_headers(response.headers)
    content_type = response.headers.get(hdrs.CONTENT_TYPE)
    if len(response.body) > JSON_INLINE_LIMIT:
        return await hass.async_add_executor_job(
            _values, response.status, headers, response.body, content_type
        )
    return _values(response.status, headers, response.body, content_type)


def _values(
    status: int,
    headers: Mapping[str, str | list[str]],
    body: bytes,
    content_type: str | None,
) -> ResponseValues:
    """Decode a body as text and, when it is JSON, as parsed JSON."""
    media_type, charset = parse_content_type(content_type)
    content, encoding = decode_content(body, media_type, charset)
    if encoding is not None or content is None:  # binary (base64), or empty
        return ResponseValues(status, headers, "", None)
    if not isinstance(content, str):  # parsed, as its type said
        text = decode_content(body, "text/plain", charset)[0]
        return ResponseValues(status, headers, str(text or ""), content)
    parsed = None
    if content.lstrip()[:1] in ("{", "["):  # JSON sent as another type
        parsed = decode_content(body, "application/json", charset)[0]
    return ResponseValues(
        status, headers, content, None if isinstance(parsed, str) else parsed
    )


def render_value(
    sensor: ValueSensor, values: ResponseValues
) -> tuple[SensorValue, dict[str, Any]]:
    """Return the state and the JSON attributes a response gives the sensor."""
    variables = {
        "value": values.text,
        "value_json": values.json,
        "status": values.status,
        "headers": values.headers,
    }
    try:
        rendered = sensor.template.async_render(variables, parse_result=False)
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
