"""Polling: a saved request with a scan_interval is sent on that interval."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from aiohttp import web
from homeassistant.const import EVENT_CALL_SERVICE, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)

from custom_components.scene_http_request.const import DOMAIN
from custom_components.scene_http_request.pacing import RequestPacer
from custom_components.scene_http_request.services import DATA_SENDER

from .helpers import AddProfile, request_data, subentry
from .login_site import LoginSite
from .server import RecordingServer

TOKEN = "tok-SECRET-value"
INTERVAL = 30


def state_of(hass: HomeAssistant, unique_id: str) -> State:
    """Return the state of one of our sensors by unique ID."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state


async def tick(hass: HomeAssistant, seconds: float) -> None:
    """Move time on and let the polls (background tasks) finish."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
def reply(server: RecordingServer) -> dict[str, Any]:
    """What /count answers: the number of requests so far, or an error status."""
    answer: dict[str, Any] = {"status": 200}

    @server.route("/count")
    async def count(request: web.Request) -> web.Response:
        polls = sum(received.path == "/count" for received in server.received)
        return web.json_response({"polls": polls}, status=answer["status"])

    return answer


def polls(server: RecordingServer) -> int:
    """Return how many times /count was requested."""
    return sum(received.path == "/count" for received in server.received)


async def add(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    **fields: Any,
) -> MockConfigEntry:
    """Add a profile (bearer auth) with a polled saved request of /count."""
    entry = await add_profile(
        "Counter",
        str(server.base),
        subentry(
            request_data(
                "Count",
                "count",
                value_template="{{ value_json.polls }}",
                **fields,
            ),
            "sub",
        ),
        auth_type="bearer",
        token=TOKEN,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


@pytest.mark.usefixtures("reply")
async def test_polls_on_its_interval(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """It polls at setup, then on each interval, through the action's pacer.

    A poll sends as the action does, without calling it: no call_service event.
    """
    calls = async_capture_events(hass, EVENT_CALL_SERVICE)
    with patch.object(
        RequestPacer, "try_start", autospec=True, side_effect=RequestPacer.try_start
    ) as paced:
        await add(hass, add_profile, server, scan_interval=INTERVAL)
        assert polls(server) == 1
        assert paced.call_count == 1
        assert state_of(hass, "sub_value").state == "1"
        assert state_of(hass, "sub_last_result").state == "200"
        assert server.last.headers["Authorization"] == f"Bearer {TOKEN}"
        await tick(hass, INTERVAL / 2)
        assert polls(server) == 1
        await tick(hass, INTERVAL + 1)
        assert polls(server) == 2
        assert state_of(hass, "sub_value").state == "2"
        await tick(hass, 2 * INTERVAL + 2)
        assert polls(server) == 3
        assert state_of(hass, "sub_value").state == "3"
        assert paced.call_count == 3
    assert calls == []


@pytest.mark.usefixtures("reply")
async def test_no_poll_without_scan_interval(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """Without scan_interval nothing is sent by itself."""
    await add(hass, add_profile, server)
    await tick(hass, 3600)
    assert polls(server) == 0
    assert state_of(hass, "sub_value").state == "unknown"


async def test_unavailable_then_back(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    reply: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Failed polls make the value unavailable, logged once; recovery once too."""
    await add(hass, add_profile, server, scan_interval=INTERVAL)
    reply["status"] = 500
    with caplog.at_level(logging.INFO):
        await tick(hass, INTERVAL + 1)
        assert state_of(hass, "sub_value").state == STATE_UNAVAILABLE
        assert state_of(hass, "sub_last_result").state == "500"
        await tick(hass, 2 * INTERVAL + 2)
        assert state_of(hass, "sub_last_result").state == "500"
        assert polls(server) == 3
        reply["status"] = 200
        await tick(hass, 3 * INTERVAL + 3)
    assert state_of(hass, "sub_value").state == "4"
    messages = [record.getMessage() for record in caplog.records]
    failed = [text for text in messages if "Error fetching saved request" in text]
    recovered = [text for text in messages if "data recovered" in text]
    assert len(failed) == 1, messages
    assert len(recovered) == 1, messages
    assert "Count" in failed[0]
    assert "500" in failed[0]
    ours = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.scene_http_request")
    ]
    assert ours
    assert not [text for text in ours if TOKEN in text or "/count" in text]


@pytest.mark.usefixtures("reply")
async def test_a_polled_request_without_a_value_sensor(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """Polling needs no value sensor: the last-result sensor shows each poll."""
    await add_profile(
        "Counter",
        str(server.base),
        subentry(request_data("Count", "count", scan_interval=INTERVAL), "sub"),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    await tick(hass, INTERVAL + 1)
    assert polls(server) == 2
    assert state_of(hass, "sub_last_result").state == "200"


@pytest.mark.usefixtures("reply")
async def test_removal_stops_polling(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """Removing the saved request, or unloading the profile, stops the polls."""
    entry = await add(hass, add_profile, server, scan_interval=INTERVAL)
    assert polls(server) == 1
    assert hass.config_entries.async_remove_subentry(entry, "sub")
    await hass.async_block_till_done(wait_background_tasks=True)
    await tick(hass, 10 * INTERVAL)
    assert polls(server) == 0 + 1
    entry = await add(hass, add_profile, server, scan_interval=INTERVAL)
    assert polls(server) == 2
    assert await hass.config_entries.async_unload(entry.entry_id)
    await tick(hass, 20 * INTERVAL)
    assert polls(server) == 2


@pytest.mark.usefixtures("reply")
async def test_restart_polls_again(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """After a restart a polled sensor polls at once, over its restored value."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State("sensor.count_value", "41"),
                {"native_value": "41", "native_unit_of_measurement": None},
            )
        ],
    )
    await add(hass, add_profile, server, scan_interval=INTERVAL)
    assert polls(server) == 1
    state = state_of(hass, "sub_value")
    assert state.entity_id == "sensor.count_value"
    assert state.state == "1"


@pytest.mark.usefixtures("reply")
async def test_reconfigure_changes_the_interval(
    hass: HomeAssistant, add_profile: AddProfile, server: RecordingServer
) -> None:
    """A new scan_interval takes effect when the profile reloads."""
    entry = await add(hass, add_profile, server, scan_interval=INTERVAL)
    subentry_ = entry.subentries["sub"]
    hass.config_entries.async_update_subentry(
        entry, subentry_, data={**subentry_.data, "scan_interval": 5}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert polls(server) == 2  # the reload polls at once
    await tick(hass, 6)
    assert polls(server) == 3


async def test_the_sender_sends_a_saved_request_as_the_action_does(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    reply: dict[str, Any],
) -> None:
    """What a poll calls sends with the profile, reports, and raises on failure."""
    entry = await add(hass, add_profile, server)
    saved = next(iter(entry.runtime_data.requests.values()))
    sender = hass.data[DATA_SENDER]
    sent = await sender.async_send_data({}, saved)
    assert sent.response.status == 200
    assert sent.profile is entry.runtime_data
    assert sent.download is None
    assert sent.saved_to is None
    assert server.last.headers["Authorization"] == f"Bearer {TOKEN}"
    assert state_of(hass, "sub_value").state == "1"
    assert state_of(hass, "sub_last_result").state == "200"
    reply["status"] = 500
    with pytest.raises(HomeAssistantError) as caught:
        await sender.async_send_data({}, saved)
    assert caught.value.translation_key == "http_error"
    assert state_of(hass, "sub_value").state == STATE_UNAVAILABLE
    assert state_of(hass, "sub_last_result").state == "500"


async def test_polls_through_a_login_profile(
    hass: HomeAssistant, add_profile: AddProfile, site: LoginSite
) -> None:
    """A poll logs in first, reuses the session, and logs in again when it ends.

    Nothing of the session reaches the value sensor's state or attributes.
    """
    await add_profile(
        "Inverter",
        site.server.url("/api/"),
        subentry(
            request_data(
                "Inverter",
                "data",
                value_template="{{ value_json.ok }}",
                json_attributes=["received"],
                scan_interval=INTERVAL,
            ),
            "sub",
        ),
        **site.profile(),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(site.logins) == 1
    assert state_of(hass, "sub_value").state == "True"
    await tick(hass, INTERVAL + 1)
    assert len(site.logins) == 1  # the session is reused
    site.expire()
    await tick(hass, 2 * INTERVAL + 2)
    assert len(site.logins) == 2  # the poll logged in again, once
    value = state_of(hass, "sub_value")
    assert value.state == "True"
    assert value.attributes["received"] == 0
    shown = f"{value.attributes} {state_of(hass, 'sub_last_result').attributes}"
    assert "SECRET" not in shown
    assert state_of(hass, "sub_last_result").state == "200"
