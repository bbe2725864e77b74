"""What the tests share: profiles, the action, the config flow forms, soak checks.

Fixtures live in tests/conftest.py: `add_profile` adds and sets up a profile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import gc
from typing import Any, Protocol

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentryDataWithId,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scene_http_request import config_flow
from custom_components.scene_http_request.const import (
    CONF_BASE_URL,
    DOMAIN,
    SERVICE_SEND,
    SUBENTRY_REQUEST,
)

# ------------------------------------------------------------------------ profiles


class AddProfile(Protocol):
    """The `add_profile` fixture: add and set up a profile, wait, return it."""

    async def __call__(
        self,
        title: str,
        base_url: str | None = None,
        *subentries: ConfigSubentryDataWithId,
        **options: Any,
    ) -> MockConfigEntry:
        """Add and set up a profile holding subentries, with options."""
        ...


def profile_entry(
    title: str,
    base_url: str | None = None,
    *subentries: ConfigSubentryDataWithId,
    entry_id: str | None = None,
    **options: Any,
) -> MockConfigEntry:
    """Return a profile entry, not yet added to hass."""
    data: dict[str, Any] = {CONF_NAME: title}
    if base_url is not None:
        data[CONF_BASE_URL] = base_url
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        data=data,
        options=options,
        entry_id=entry_id,
        subentries_data=list(subentries),
    )


def add_entry(
    hass: HomeAssistant,
    name: str = "Example",
    base_url: str | None = "https://api.example.com/",
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """Add a profile to hass without setting it up."""
    entry = profile_entry(name, base_url, **(options or {}))
    entry.add_to_hass(hass)
    return entry


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up an added profile; it must load."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def assert_setup_fails_on_field(
    hass: HomeAssistant, options: dict[str, Any], field: str
) -> None:
    """Set up a profile stored with options; it must fail, naming field."""
    entry = profile_entry("Bad", None, **options)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert f"corrupt ({field})" in entry.reason


# ------------------------------------------------------------------ saved requests


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


# ---------------------------------------------------------------------- the action


async def send(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call the action and return its response."""
    response = await hass.services.async_call(
        DOMAIN, SERVICE_SEND, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def send_error(
    hass: HomeAssistant, error: type[Exception] = HomeAssistantError, **data: Any
) -> HomeAssistantError:
    """Call the action, expect a translated error and return it."""
    with pytest.raises(error) as info:
        await send(hass, **data)
    err = info.value
    assert isinstance(err, HomeAssistantError)
    return err


# ------------------------------------------------------------- config flow forms

SETTINGS_STEPS = ("settings", "init")


def walk_form(schema: Any) -> Iterator[tuple[Any, Any]]:
    """Yield the (marker, validator) pairs of a form, sections' fields included."""
    for key, value in schema.schema.items():
        if isinstance(value, section):
            yield from walk_form(value.schema)
        else:
            yield key, value


def suggested_values(result: Any) -> dict[str, Any]:
    """Return the suggested values of a form, sections flattened."""
    values: dict[str, Any] = {}
    for key, _ in walk_form(result["data_schema"]):
        description = getattr(key, "description", None)
        if isinstance(description, dict) and "suggested_value" in description:
            values[str(key.schema)] = description["suggested_value"]
    return values


def form_fields(result: Any) -> set[str]:
    """Return every field of a form, those inside sections included."""
    return {str(key.schema) for key, _ in walk_form(result["data_schema"])}


def top_level(result: Any) -> dict[str, Any]:
    """Return a form's top-level fields and sections (name -> validator)."""
    return {
        str(key.schema): value for key, value in result["data_schema"].schema.items()
    }


def flow_manager(hass: HomeAssistant, result: Any) -> Any:
    """Return the flow manager (config or options) a form belongs to."""
    options = hass.config_entries.options
    if any(flow["flow_id"] == result["flow_id"] for flow in options.async_progress()):
        return options
    return hass.config_entries.flow


def settings_input(result: Any, user_input: dict[str, Any]) -> dict[str, Any]:
    """Shape flat settings like the settings form: sections nested, others dropped."""
    shown = top_level(result)
    data: dict[str, Any] = {}
    for key, value in user_input.items():
        if (name := config_flow.SECTION_OF.get(key)) is not None:
            data.setdefault(name, {})[key] = value
        elif key in shown:
            data[key] = value
    return data


async def settings_step(
    hass: HomeAssistant, result: Any, user_input: dict[str, Any]
) -> Any:
    """Submit the settings-form part of flat input; return the next result."""
    assert result["step_id"] in SETTINGS_STEPS
    return await flow_manager(hass, result).async_configure(
        result["flow_id"], settings_input(result, user_input)
    )


async def configure_flow(
    hass: HomeAssistant, result: Any, user_input: dict[str, Any]
) -> Any:
    """Submit flat settings and credentials through the steps the flow asks.

    From the settings form: its part, then (if the credentials step follows)
    the credentials part. From the credentials form: the credentials part.
    """
    if result["step_id"] in SETTINGS_STEPS:
        result = await settings_step(hass, result, user_input)
        if result["type"] is not FlowResultType.FORM:
            return result
        if result["step_id"] != "credentials" or result["errors"]:
            return result
    assert result["step_id"] == "credentials"
    shown = form_fields(result)
    data: dict[str, Any] = {}
    for key, value in user_input.items():
        if key not in shown:
            continue
        if (name := config_flow.CREDENTIAL_SECTION_OF.get(key)) is not None:
            data.setdefault(name, {})[key] = value
        else:
            data[key] = value
    return await flow_manager(hass, result).async_configure(result["flow_id"], data)


async def user_step(
    hass: HomeAssistant, name: str = "Example", base_url: str | None = None
) -> Any:
    """Run the user step and return the settings form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {
        "example_url": "https://api.example.com/v1/"
    }
    user_input = {CONF_NAME: name}
    if base_url is not None:
        user_input[CONF_BASE_URL] = base_url
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "settings"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"test_result": ""}
    return result


# --------------------------------------------------------------------------- soaks


def drop_idle_connections(connector: Any) -> int:
    """Close the pool's idle keep-alive connections; return how many there were.

    Memory is compared with the pool empty both times: a live connection (its
    transport, buffers and the server's handler) weighs ~5 KiB and the pool's size
    depends on timing, not on leaks.
    """
    idle = 0
    for conns in connector._conns.values():
        for protocol, _ in conns:
            protocol.close()
            idle += 1
    connector._conns.clear()
    return idle


async def settle(hass: HomeAssistant) -> None:
    """Let the servers see closed connections and finish slow handlers."""
    await asyncio.sleep(0.35)
    await hass.async_block_till_done()
    gc.collect()
