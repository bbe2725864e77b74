"""The scripts/develop demo on a real Home Assistant, with the tracked config/ files.

scripts/develop runs the same provisioning (tests/e2e/harness.py) against config/.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from .conftest import HassInstance, copy_tree_files, require_e2e
from .harness import (
    DEMO_BUTTON,
    DEMO_DASHBOARD,
    DEMO_FILES_PROFILE,
    DEMO_POLL_SECONDS,
    DEMO_POLLED_REQUEST,
    DEMO_PROFILE,
    DEMO_SECRET,
    DEMO_SECRET_PLACEHOLDER,
    DEMO_SENSOR,
    DEMO_VALUE_SENSOR,
    DEMO_WEBHOOK_ID,
    DEV_CONFIG,
    demo_banner,
    provision_demo,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

# The saved request's body writes `who` with tojson: quotes arrive as they are.
BOB = 'Bob "the builder"'
DEMO_FILES = ["configuration.yaml", "automations.yaml", "scripts.yaml", "scenes.yaml"]


@pytest.fixture(scope="module")
def hass_config_files() -> dict[str, str]:
    """Use the demo's tracked configuration, as scripts/develop does."""
    require_e2e(browser=False)
    files = copy_tree_files(DEV_CONFIG, DEMO_FILES)
    files["secrets.yaml"] = f"{DEMO_SECRET}: {DEMO_SECRET_PLACEHOLDER}\n"
    return files


async def _state(hass: HassInstance, entity_id: str) -> str:
    return str((await hass.client.get(f"/api/states/{entity_id}"))["state"])


async def _wait_for(predicate: Any, within: float = 15.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        if result := await predicate():
            return result
        if time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.5)


async def test_demo_round_trip(hass: HassInstance) -> None:
    """Provision the demo, run "Left home" and find the departure everywhere."""
    demo = await provision_demo(hass.client, hass.config_dir)
    assert demo.profile_created
    assert demo.saved_request_created
    assert demo.polled_request_created
    assert demo.notifier_entry_id is not None
    print(demo_banner(demo, hass.startup_seconds))  # noqa: T201

    entries = await hass.client.entries()
    assert sorted((item["title"], item["state"]) for item in entries) == [
        (DEMO_PROFILE, "loaded"),
        (DEMO_FILES_PROFILE, "loaded"),
    ]
    secrets = (hass.config_dir / "secrets.yaml").read_text(encoding="utf-8")
    assert f"{DEMO_SECRET}: {demo.profile_entry_id}" in secrets

    started = time.time()
    body = await hass.client.post("/api/services/script/left_home?return_response")
    reply = body["service_response"]
    assert reply["status"] == 200
    assert reply["profile"] == DEMO_PROFILE
    assert reply["url"] == f"{hass.base_url}/api/webhook/{DEMO_WEBHOOK_ID}"

    async def counted() -> bool:
        return await _state(hass, "counter.departures") == "1"

    assert await _wait_for(counted)
    last = await _state(hass, "input_text.last_departure")
    assert last.startswith("Alice left home at ")

    async def csv_line() -> str:
        text = (
            demo.csv_path.read_text(encoding="utf-8") if demo.csv_path.exists() else ""
        )
        return next(
            (line for line in text.splitlines() if "Alice,left_home" in line), ""
        )

    assert await _wait_for(csv_line)

    async def logbook() -> list[dict[str, Any]]:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(started - 5))
        items = await hass.client.get(f"/api/logbook/{stamp}")
        return [item for item in items if item.get("name") == "Departure"]

    entries_found = await _wait_for(logbook)
    assert entries_found
    assert entries_found[0]["message"].startswith("Alice left home at ")
    assert entries_found[0]["entity_id"] == "automation.record_a_departure"

    # The dashboard that scripts/develop points to.
    async with hass.client.websocket() as ws:
        dashboards = await ws.command("lovelace/dashboards/list")
        assert DEMO_DASHBOARD in [item["url_path"] for item in dashboards]
        config = await ws.command("lovelace/config", url_path=DEMO_DASHBOARD)
    cards = config["views"][0]["cards"]
    assert cards[0]["entities"][0]["entity"] == "script.left_home"
    shown = [item["entity"] for item in cards[0]["entities"][1:3]]
    assert shown == [DEMO_BUTTON, DEMO_SENSOR]
    assert cards[0]["entities"][-1]["entity"] == DEMO_VALUE_SENSOR

    # The CSV file is served by the frontend under /local/.
    async with hass.client.session.get(f"{hass.base_url}/local/departures.csv") as resp:
        assert resp.status == 200
        assert "Alice,left_home" in await resp.text()


async def test_demo_saved_request_button_and_sensor(hass: HassInstance) -> None:
    """The demo's saved request: Press counts Alice; a send by name, anyone."""
    sensor = await hass.client.get(f"/api/states/{DEMO_SENSOR}")
    assert sensor["state"] == "unknown"
    assert sensor["attributes"]["friendly_name"] == "Left home Last result"
    button = await hass.client.get(f"/api/states/{DEMO_BUTTON}")
    assert button["attributes"]["friendly_name"] == "Left home"
    await hass.client.post("/api/services/button/press", {"entity_id": DEMO_BUTTON})

    async def counted() -> bool:
        return await _state(hass, "counter.departures") == "2"

    assert await _wait_for(counted)
    assert await _state(hass, DEMO_SENSOR) == "200"
    assert (await _state(hass, "input_text.last_departure")).startswith("Alice left")
    body = await hass.client.post(
        "/api/services/scene_http_request/send?return_response",
        {"request": "left_home", "variables": {"who": BOB}},
    )
    assert body["service_response"]["status"] == 200

    async def bob() -> bool:
        last = await _state(hass, "input_text.last_departure")
        return last.startswith(f"{BOB} left home at ")

    assert await _wait_for(bob)


async def test_demo_polled_value_sensor(hass: HassInstance) -> None:
    """The Demo files profile polls the CSV: its value sensor counts the departures.

    Nothing sends that saved request but its polling, so a state that follows the
    departures written by the earlier tests comes from a poll.
    """
    csv_path = hass.config_dir / "www" / "departures.csv"

    async def written() -> int:
        # The File notifier writes the line after the automation's other steps.
        text = await asyncio.to_thread(csv_path.read_text, encoding="utf-8")
        count = text.count(",left_home")
        return count if count >= 3 else 0

    # Alice (script), Alice (button), Bob (send by name)
    departures = await _wait_for(written)
    assert departures >= 3

    async def counted() -> dict[str, Any] | None:
        state = await hass.client.get(f"/api/states/{DEMO_VALUE_SENSOR}")
        return state if state["state"] == str(departures) else None

    # A poll at most DEMO_POLL_SECONDS after the last departure, with some slack.
    sensor = await _wait_for(counted, within=3 * DEMO_POLL_SECONDS)
    assert sensor is not None, await _state(hass, DEMO_VALUE_SENSOR)
    attributes = sensor["attributes"]
    assert attributes["friendly_name"] == f"{DEMO_POLLED_REQUEST['name']} Value"
    assert attributes["state_class"] == "measurement"
    last_result = DEMO_VALUE_SENSOR.removesuffix("_value") + "_last_result"
    assert await _state(hass, last_result) == "200"

    # The value sensor is on the saved request's own device, under the profile.
    files = next(
        e for e in await hass.client.entries() if e["title"] == DEMO_FILES_PROFILE
    )
    async with hass.client.websocket() as ws:
        (subentry,) = await ws.command(
            "config_entries/subentries/list", entry_id=files["entry_id"]
        )
        entity = await ws.command(
            "config/entity_registry/get", entity_id=DEMO_VALUE_SENSOR
        )
        devices = await ws.command("config/device_registry/list")
    assert subentry["title"] == DEMO_POLLED_REQUEST["name"]
    assert entity["unique_id"] == f"{subentry['subentry_id']}_value"
    assert entity["config_subentry_id"] == subentry["subentry_id"]
    device = next(d for d in devices if d["id"] == entity["device_id"])
    assert device["name"] == DEMO_POLLED_REQUEST["name"]
    assert device["identifiers"] == [["scene_http_request", subentry["subentry_id"]]]


async def test_demo_provisioning_is_idempotent(hass: HassInstance) -> None:
    """A second start of scripts/develop finds the profiles and notifier again."""
    demo = await provision_demo(hass.client, hass.config_dir)
    assert not demo.profile_created
    assert not demo.saved_request_created
    assert not demo.polled_request_created
    assert len(await hass.client.entries()) == 2
    assert len(await hass.client.entries("file")) == 1
    async with hass.client.websocket() as ws:
        for entry_id in (demo.profile_entry_id, demo.files_profile_entry_id):
            subentries = await ws.command(
                "config_entries/subentries/list", entry_id=entry_id
            )
            assert len(subentries) == 1
    async with hass.client.websocket() as ws:
        dashboards = await ws.command("lovelace/dashboards/list")
    assert [item["url_path"] for item in dashboards].count(DEMO_DASHBOARD) == 1


async def test_no_errors_logged_by_the_integration(hass: HassInstance) -> None:
    """The demo ran without errors from the integration, and nothing failed to load."""
    assert hass.integration_errors() == []
    assert hass.setup_failures() == []
