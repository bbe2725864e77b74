"""Helpers for saved request tests: profiles with saved requests as subentries."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scene_http_request.const import DOMAIN, SUBENTRY_REQUEST


def request_data(name: str, url: str, **fields: Any) -> dict[str, Any]:
    """Return the stored data of a saved request."""
    return {
        "name": name,
        "method": "GET",
        "url": url,
        "headers": [],
        "params": [],
        "body_type": "none",
        "body": "",
        "fail_on_http_error": True,
        **fields,
    }


def subentry(data: dict[str, Any], subentry_id: str) -> ConfigSubentryDataWithId:
    """Return a request subentry with a fixed ID."""
    return ConfigSubentryDataWithId(
        data=data,
        subentry_id=subentry_id,
        subentry_type=SUBENTRY_REQUEST,
        title=data["name"],
        unique_id=None,
    )


async def add_profile_with_requests(
    hass: HomeAssistant,
    title: str,
    base_url: str | None,
    *requests: ConfigSubentryDataWithId,
    **options: Any,
) -> MockConfigEntry:
    """Add and set up a profile holding saved requests."""
    data: dict[str, Any] = {"name": title}
    if base_url is not None:
        data["base_url"] = base_url
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=title,
        data=data,
        options=options,
        subentries_data=list(requests),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
