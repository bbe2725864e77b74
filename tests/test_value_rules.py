"""The stored rules of a saved request's sensor keys (saved_request.py owns them)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.scene_http_request.profile import InvalidProfileError
from custom_components.scene_http_request.saved_request import (
    saved_request_from_data,
)

from .helpers import request_data


def parse(hass: HomeAssistant, **fields: Any) -> Any:
    """Parse a saved request's stored data with fields."""
    return saved_request_from_data(
        hass, "entry", "sub", request_data("Outside", "reading", **fields)
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value_template": ""}, "value_template"),
        ({"value_template": 3}, "value_template"),
        ({"json_attributes": ["a"]}, "value_template"),
        ({"state_class": "measurement"}, "value_template"),
        ({"value_template": "{{ value }}", "json_attributes": "a"}, "json_attributes"),
        ({"value_template": "{{ value }}", "json_attributes": [""]}, "json_attributes"),
        ({"value_template": "{{ value }}", "json_attributes": [1]}, "json_attributes"),
        (
            {"value_template": "{{ value }}", "unit_of_measurement": 1},
            "unit_of_measurement",
        ),
        ({"value_template": "{{ value }}", "device_class": "nope"}, "device_class"),
        ({"value_template": "{{ value }}", "device_class": "enum"}, "device_class"),
        ({"value_template": "{{ value }}", "state_class": "nope"}, "state_class"),
        (
            {"value_template": "x", "device_class": "date", "unit_of_measurement": "d"},
            "unit_of_measurement",
        ),
        ({"scan_interval": 4.9}, "scan_interval"),
        ({"scan_interval": "60"}, "scan_interval"),
        ({"scan_interval": True}, "scan_interval"),
    ],
)
def test_refused(hass: HomeAssistant, fields: dict[str, Any], field: str) -> None:
    """Stored sensor keys that break a rule are refused, naming the field."""
    with pytest.raises(InvalidProfileError) as err:
        parse(hass, **fields)
    assert str(err.value) == field


def test_parsed(hass: HomeAssistant) -> None:
    """Valid keys give a ValueSensor (numeric when its kind says so)."""
    saved = parse(
        hass,
        value_template="{{ value_json.t }}",
        json_attributes=["a", "b"],
        unit_of_measurement="°C",
        device_class="temperature",
        state_class="measurement",
        scan_interval=5,
    )
    assert saved.scan_interval == 5.0
    assert saved.sensor.json_attributes == ("a", "b")
    assert saved.sensor.numeric
    assert saved.sensor.template.template == "{{ value_json.t }}"
    plain = parse(hass, value_template="{{ value }}")
    assert not plain.sensor.numeric
    assert plain.scan_interval is None
    assert parse(hass).sensor is None
    moment = parse(hass, value_template="{{ value }}", device_class="timestamp")
    assert not moment.sensor.numeric


@pytest.mark.parametrize(
    ("template", "reads"),
    [
        ("{{ value_json.t }}", False),
        ("{{ status }} {{ value }}", False),
        ("{{ headers['X-Unit'] }}", True),
        ("{% for name in headers %}{{ name }}{% endfor %}", True),
        ("{{ value_json.get('headers') }}", False),
        ("{{ broken", True),
    ],
)
def test_headers_are_read_for_a_template_that_reads_them(
    hass: HomeAssistant, template: str, *, reads: bool
) -> None:
    """A value template that never names `headers` is given none (less work).

    One that does not parse may read them: it fails when rendered anyway.
    """
    assert parse(hass, value_template=template).sensor.reads_headers is reads
