"""The saved request form's Sensor section: stored flat, Try it, reconfigure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData, section
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scene_http_request.const import DOMAIN, SUBENTRY_REQUEST

from .helpers import AddProfile, request_data, subentry
from .server import RecordingServer

TRANSLATIONS = Path(__file__).parents[1] / (
    "custom_components/scene_http_request/translations"
)
TOKEN = "tok-SECRET-value"
SENSOR_KEYS = (
    "value_template",
    "json_attributes",
    "unit_of_measurement",
    "device_class",
    "state_class",
    "scan_interval",
)


def translated(errors: dict[str, str]) -> bool:
    """Return whether every error key has its text in English and French."""
    for language in ("en", "fr"):
        texts = json.loads((TRANSLATIONS / f"{language}.json").read_text())
        if not set(errors.values()) <= set(
            texts["config_subentries"]["request"]["error"]
        ):
            return False
    return True


async def flow(hass: HomeAssistant, entry: MockConfigEntry, **context: Any) -> str:
    """Start the saved request flow; return its ID."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_REQUEST),
        context={"source": SOURCE_USER, **context},
    )
    assert result["type"] is FlowResultType.FORM
    return str(result["flow_id"])


async def submit(hass: HomeAssistant, flow_id: str, **fields: Any) -> dict[str, Any]:
    """Submit the form; the sensor's fields go in their section."""
    values: dict[str, Any] = {
        "name": "Outside",
        "method": "GET",
        "url": "reading",
        "body_type": "none",
        "try_it": False,
        "advanced": {"fail_on_http_error": True},
    }
    sensor = {key: fields.pop(key) for key in SENSOR_KEYS if key in fields}
    values |= fields | {"sensor": sensor}
    result = await hass.config_entries.subentries.async_configure(flow_id, values)
    await hass.async_block_till_done()
    return dict(result)


@pytest.fixture
async def entry(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> MockConfigEntry:
    """A loaded profile with bearer auth; /reading answers JSON with the token."""

    @server.route("/reading")
    async def reading(request: web.Request) -> web.Response:
        return web.json_response({"temperature": 21.5, "echo": TOKEN})

    return await add_profile(
        "Weather", str(server.base), auth_type="bearer", token=TOKEN
    )


async def test_the_section_is_collapsed_and_stored_flat(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """The fields sit in a collapsed section; the subentry stores them flat."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_REQUEST), context={"source": SOURCE_USER}
    )
    flow_id = result["flow_id"]
    found = result["data_schema"].schema["sensor"]
    assert isinstance(found, section)
    assert found.options["collapsed"] is True
    assert {str(key) for key in found.schema.schema} == set(SENSOR_KEYS)
    result = await submit(
        hass,
        flow_id,
        value_template=" {{ value_json.temperature }} ",
        json_attributes=[" echo ", ""],
        unit_of_measurement="°C",
        device_class="temperature",
        state_class="measurement",
        scan_interval=60,
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == request_data(
        "Outside",
        "reading",
        value_template="{{ value_json.temperature }}",
        json_attributes=["echo"],
        unit_of_measurement="°C",
        device_class="temperature",
        state_class="measurement",
        scan_interval=60.0,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    (created,) = entry.subentries.values()
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{created.subentry_id}_value"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "21.5"  # polled once loaded


async def test_an_empty_section_stores_nothing(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Without a value template, no sensor key is stored."""
    result = await submit(hass, await flow(hass, entry))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == request_data("Outside", "reading")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"unit_of_measurement": "°C"}, "value_template_required"),
        (
            {
                "value_template": "{{ value }}",
                "device_class": "temperature",
                "unit_of_measurement": "kWh",
            },
            "invalid_unit",
        ),
        (
            {
                "value_template": "{{ value }}",
                "device_class": "timestamp",
                "state_class": "measurement",
            },
            "invalid_state_class",
        ),
    ],
)
async def test_errors(
    hass: HomeAssistant, entry: MockConfigEntry, fields: dict[str, Any], error: str
) -> None:
    """A sensor section HA's rules would refuse shows a translated error."""
    result = await submit(hass, await flow(hass, entry), **fields)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert translated(result["errors"])


async def test_enum_is_refused(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """An enum sensor needs options: HA's selector (2026.3) or our rule refuses it."""
    fields = {"value_template": "{{ value }}", "device_class": "enum"}
    try:
        result = await submit(hass, await flow(hass, entry), **fields)
    except InvalidData:
        return
    assert result["errors"] == {"base": "invalid_device_class"}


async def test_a_template_with_a_syntax_error(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """The template selector refuses a template that does not compile."""
    with pytest.raises(InvalidData):
        await submit(hass, await flow(hass, entry), value_template="{{ value.x")


async def test_try_it_shows_the_rendered_value_masked(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Try it shows what the value template renders to, secrets masked."""
    flow_id = await flow(hass, entry)
    result = await submit(
        hass,
        flow_id,
        value_template="{{ value_json.temperature }} {{ value_json.echo }}",
        try_it=True,
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    shown = result["description_placeholders"]["try_result"]
    assert shown.startswith("**HTTP 200 OK**")
    assert shown.endswith("\n\n---\n\n    21.5 ***")
    assert TOKEN not in shown
    result = await submit(hass, flow_id, value_template="{{ 1 / 0 }}", try_it=True)
    assert result["errors"] == {"base": "value_template_error"}
    assert translated(result["errors"])
    assert result["description_placeholders"]["try_result"].startswith("**HTTP 200")


async def test_reconfigure_shows_and_changes_the_section(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """Reconfigure fills the section with the stored values and changes them."""
    entry = await add_profile(
        "Weather",
        str(server.base),
        subentry(
            request_data(
                "Outside", "reading", value_template="{{ value }}", scan_interval=30
            ),
            "sub",
        ),
    )
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_REQUEST),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": "sub"},
    )
    found = result["data_schema"].schema["sensor"]
    suggested = {
        str(key): key.description["suggested_value"]
        for key in found.schema.schema
        if isinstance(key.description, dict)
    }
    assert suggested == {"value_template": "{{ value }}", "scan_interval": 30}
    result = await submit(
        hass, result["flow_id"], value_template="{{ status }}", unit_of_measurement="x"
    )
    assert result["type"] is FlowResultType.ABORT
    await hass.async_block_till_done(wait_background_tasks=True)
    data = entry.subentries["sub"].data
    assert data["value_template"] == "{{ status }}"
    assert data["unit_of_measurement"] == "x"
    assert "scan_interval" not in data
