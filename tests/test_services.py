"""Tests for the scene_http_request.send action against a real local server."""

from __future__ import annotations

from typing import Any

from aiohttp import web
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component

from .server import RecordingServer


@pytest.fixture
async def setup_integration(hass: HomeAssistant) -> MockConfigEntry:
    """Set up the integration with one profile that has no base URL."""
    entry = MockConfigEntry(domain=DOMAIN, title="Plain", data={"name": "Plain"})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def send(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call the action and return its response."""
    response = await hass.services.async_call(
        DOMAIN, SERVICE_SEND, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


@pytest.mark.usefixtures("setup_integration")
async def test_get_json(hass: HomeAssistant, server: RecordingServer) -> None:
    """A GET returns parsed JSON and the response metadata."""
    response = await send(hass, url=server.url("/hello"))
    assert server.last.method == "GET"
    assert response["status"] == 200
    assert response["ok"] is True
    assert response["content"] == {"ok": True, "path": "/hello"}
    assert response["content_type"] == "application/json"
    assert response["content_encoding"] is None
    assert response["attempts"] == 1
    assert response["profile"] is None
    assert response["url"] == server.url("/hello")
