"""A real Home Assistant: saved requests over the REST and websocket APIs.

One `hass` process and one local HTTP server for the module; the tests run in file
order and build on each other: a profile, a saved request made through the REST
subentry flow (tried, then saved), its button pressed over REST, its sensor read,
the action called by name from an automation, then the saved request removed.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from .conftest import BASE_CONFIGURATION, EchoServer, HassInstance, require_e2e
from .harness import DOMAIN, HassClient, create_profile

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

SEND_EVENT = "scene_http_request_e2e_saved"
DONE_EVENT = "scene_http_request_e2e_saved_done"
SUBENTRY_FLOW = "/api/config/config_entries/subentries/flow"
KEY = "e2e-saved-key-5678"

AUTOMATIONS = f"""\
- id: e2e_send_saved_on_event
  alias: e2e send saved request on event
  mode: queued
  triggers:
    - trigger: event
      event_type: {SEND_EVENT}
  actions:
    - action: {DOMAIN}.send
      data:
        request: left_home
        variables:
          who: "{{{{ trigger.event.data.who }}}}"
      response_variable: reply
    - event: {DONE_EVENT}
      event_data:
        status: "{{{{ reply.status }}}}"
        profile: "{{{{ reply.profile }}}}"
"""

REQUEST_FORM = {
    "name": "Left home",
    "method": "POST",
    "url": "hooks/{{ who | default('nobody') | lower }}",
    "headers": [{"name": "X-Key", "value": KEY}],
    "params": [{"name": "from", "value": "e2e"}],
    "body_type": "json",
    "body": "{\"value1\": {{ who | default('nobody') | tojson }}}",
    # The collapsed "Advanced" section: submitted nested, stored flat.
    "advanced": {"timeout": 10, "fail_on_http_error": True},
    "try_it": False,
}
ADVANCED_FIELDS = {"timeout", "retries", "fail_on_http_error"}
# The collapsed "Sensor" section, optional: REQUEST_FORM leaves it out.
SENSOR_FIELDS = {
    "value_template",
    "json_attributes",
    "unit_of_measurement",
    "device_class",
    "state_class",
    "scan_interval",
}
# A new install names the entities after the saved request, on its own device.
BUTTON = "button.left_home"
SENSOR = "sensor.left_home_last_result"


@pytest.fixture(scope="module")
def hass_config_files() -> dict[str, str]:
    """Use the base configuration plus the event-triggered automation."""
    require_e2e(browser=False)
    return {"configuration.yaml": BASE_CONFIGURATION, "automations.yaml": AUTOMATIONS}


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    """Carry IDs from test to test."""
    return {}


async def our_entities(client: HassClient) -> dict[str, dict[str, Any]]:
    """Return this integration's entity registry entries, by unique ID."""
    async with client.websocket() as ws:
        entries = await ws.command("config/entity_registry/list")
    return {
        entry["unique_id"]: entry for entry in entries if entry["platform"] == DOMAIN
    }


async def wait_for_entities(client: HassClient, count: int) -> dict[str, Any]:
    """Wait until the profile's reload has registered count entities."""
    for _ in range(100):  # 20 s
        if len(found := await our_entities(client)) == count:
            return found
        await asyncio.sleep(0.2)
    msg = f"expected {count} entities, found {sorted(found)}"
    raise AssertionError(msg)


async def wait_for_state(
    client: HassClient, entity_id: str, expected: str
) -> dict[str, Any]:
    """Return the entity's state once it is expected, or after 2 s."""
    for _ in range(10):
        found = await client.get(f"/api/states/{entity_id}", expect=(200, 404))
        if found.get("state") == expected:
            break
        await asyncio.sleep(0.2)
    return dict(found)


async def test_create_profile(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """A profile on the echo server."""
    result = await create_profile(
        hass.client,
        name="Echo",
        base_url=f"{echo.url}/api",
        settings={"auth_type": "none", "verify_ssl": True, "test_request": False},
    )
    state["entry_id"] = result["result"]["entry_id"]


async def test_subentry_flow_tries_then_saves(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """The REST subentry flow shows the form, tries the request, then saves it."""
    entries = await hass.client.entries()
    assert "request" in entries[0]["supported_subentry_types"]
    step = await hass.client.post(
        SUBENTRY_FLOW, {"handler": [state["entry_id"], "request"]}
    )
    assert step["type"] == "form"
    assert step["step_id"] == "user"
    fields = {field["name"]: field for field in step["data_schema"]}
    assert set(fields) == {*REQUEST_FORM, "sensor"}
    for name, names in (("advanced", ADVANCED_FIELDS), ("sensor", SENSOR_FIELDS)):
        assert fields[name]["type"] == "expandable"
        assert fields[name]["expanded"] is False
        assert {field["name"] for field in fields[name]["schema"]} == names
    echo.drain()
    step = await hass.client.post(
        f"{SUBENTRY_FLOW}/{step['flow_id']}", {**REQUEST_FORM, "try_it": True}
    )
    assert step["type"] == "form"
    assert step["errors"] == {}
    shown = step["description_placeholders"]["try_result"]
    assert shown.startswith("**HTTP 200 OK**")
    assert KEY not in shown
    received = await echo.next_request()
    assert received.path == "/api/hooks/nobody"
    assert received.headers["x-key"] == KEY
    step = await hass.client.post(f"{SUBENTRY_FLOW}/{step['flow_id']}", REQUEST_FORM)
    assert step["type"] == "create_entry"
    found = await wait_for_entities(hass.client, 2)
    button = next(e for e in found.values() if e["entity_id"].startswith("button."))
    sensor = next(e for e in found.values() if e["entity_id"].startswith("sensor."))
    assert button["config_subentry_id"] == sensor["config_subentry_id"]
    assert button["device_id"] == sensor["device_id"]
    assert (button["entity_id"], sensor["entity_id"]) == (BUTTON, SENSOR)
    state["button"] = button["entity_id"]
    state["sensor"] = sensor["entity_id"]
    state["subentry_id"] = button["config_subentry_id"]
    state["device_id"] = button["device_id"]


async def test_the_saved_request_has_its_own_device(
    hass: HassInstance, state: dict[str, Any]
) -> None:
    """A service device named after the saved request, keyed to its subentry."""
    async with hass.client.websocket() as ws:
        devices = await ws.command("config/device_registry/list")
    ours = [d for d in devices if state["entry_id"] in d["config_entries"]]
    assert [d["id"] for d in ours] == [state["device_id"]]
    device = ours[0]
    assert device["name"] == "Left home"
    assert device["entry_type"] == "service"
    assert device["identifiers"] == [[DOMAIN, state["subentry_id"]]]
    assert device["config_entries_subentries"] == {
        state["entry_id"]: [state["subentry_id"]]
    }


async def test_press_the_button_over_rest(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """Pressing the button sends the request; the sensor shows the status."""
    echo.drain()
    await hass.client.post("/api/services/button/press", {"entity_id": state["button"]})
    received = await echo.next_request()
    assert received.method == "POST"
    assert received.path == "/api/hooks/nobody"
    assert received.query == {"from": ["e2e"]}
    assert received.json() == {"value1": "nobody"}
    button = await hass.client.get(f"/api/states/{state['button']}")
    assert button["attributes"]["friendly_name"] == "Left home"
    sensor = await hass.client.get(f"/api/states/{state['sensor']}")
    assert sensor["state"] == "200"
    assert sensor["attributes"]["ok"] is True
    assert sensor["attributes"]["elapsed"] >= 0
    assert sensor["attributes"]["last_attempt"]
    assert sensor["attributes"]["friendly_name"] == "Left home Last result"
    assert KEY not in str(sensor)
    state["last_attempt"] = sensor["attributes"]["last_attempt"]


async def test_send_by_name_from_an_automation(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """An automation calls send with request and variables; the sensor follows."""
    echo.drain()
    async with hass.client.websocket() as ws:
        await ws.command("subscribe_events", event_type=DONE_EVENT)
        await hass.client.post(f"/api/events/{SEND_EVENT}", {"who": "Alice"})
        received = await echo.next_request()
        event = await ws.next_event()
    assert received.path == "/api/hooks/alice"
    assert received.json() == {"value1": "Alice"}
    assert event["data"] == {"status": 200, "profile": "Echo"}
    sensor = await hass.client.get(f"/api/states/{state['sensor']}")
    assert sensor["attributes"]["last_attempt"] > state["last_attempt"]


async def test_reconfigure_through_the_advanced_section(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """The stored (flat) values come back in the section; a change there applies."""
    step = await hass.client.post(
        SUBENTRY_FLOW,
        {
            "handler": [state["entry_id"], "request"],
            "subentry_id": state["subentry_id"],
        },
    )
    assert step["step_id"] == "reconfigure"
    advanced = next(f for f in step["data_schema"] if f["name"] == "advanced")
    suggested = {
        field["name"]: (field.get("description") or {}).get("suggested_value")
        for field in advanced["schema"]
    }
    assert suggested == {"timeout": 10, "retries": None, "fail_on_http_error": True}
    step = await hass.client.post(
        f"{SUBENTRY_FLOW}/{step['flow_id']}",
        {
            **REQUEST_FORM,
            "url": "status/503",
            "advanced": {"timeout": 10, "fail_on_http_error": False},
        },
    )
    assert step == {**step, "type": "abort", "reason": "reconfigure_successful"}
    # The profile reloads; until it has, a press sends the old request (or none),
    # and the new sensor may come up after the new button: press until both show.
    # With fail_on_http_error off, a 503 is a result, not an error of the press.
    sensor: dict[str, Any] = {}
    for _ in range(20):
        echo.drain()
        await hass.client.post(
            "/api/services/button/press", {"entity_id": state["button"]}
        )
        with contextlib.suppress(TimeoutError):
            if (await echo.next_request(within=1)).path == "/api/status/503":
                sensor = await wait_for_state(hass.client, state["sensor"], "503")
                if sensor["state"] == "503":
                    break
        await asyncio.sleep(0.2)
    assert sensor["state"] == "503"
    assert sensor["attributes"]["ok"] is False


async def test_remove_the_saved_request(
    hass: HassInstance, state: dict[str, Any]
) -> None:
    """Deleting the subentry removes its button and sensor."""
    async with hass.client.websocket() as ws:
        await ws.command(
            "config_entries/subentries/delete",
            entry_id=state["entry_id"],
            subentry_id=state["subentry_id"],
        )
    await wait_for_entities(hass.client, 0)
    await hass.client.get(f"/api/states/{state['button']}", expect=404)


async def test_no_errors_logged_by_the_integration(hass: HassInstance) -> None:
    """Nothing above made the integration log an error or a traceback."""
    assert hass.integration_errors() == []
