"""Tests for the diagnostics of Scene HTTP Request profiles."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.scene_http_request import diagnostics

from .helpers import profile_entry, request_data, subentry

HEADER_SECRET = "hdr-SECRET-value"
COOKIE_SECRET = "session=SECRET-cookie"
USERNAME_SECRET = "user-SECRET-name"
PASSWORD_SECRET = "pw-SECRET-value"
TOKEN_SECRET = "tok-SECRET-value"
SECRETS = (HEADER_SECRET, COOKIE_SECRET, USERNAME_SECRET, PASSWORD_SECRET, TOKEN_SECRET)

PARAM_SECRET = "param-SECRET-value"
QUERY_SECRET = "query-SECRET-value"
BODY_SECRET = "body-SECRET-value"
SAVED_REQUEST = subentry(
    request_data(
        "Left home",
        f"hook/{{{{ who }}}}?key={QUERY_SECRET}",
        headers=[{"name": "X-Api-Key", "value": HEADER_SECRET}],
        params=[{"name": "key", "value": PARAM_SECRET}],
        body_type="text",
        body=BODY_SECRET,
    ),
    "01JSCENEHTTPREQUESTDIAGSUB1",
)
HEADERS = [
    {"name": "X-Api-Key", "value": HEADER_SECRET},
    {"name": "Cookie", "value": COOKIE_SECRET},
    {"name": "X-Empty", "value": ""},
]


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Store snapshots in tests/snapshots with Home Assistant's serializer."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.mark.parametrize(
    ("options", "state"),
    [
        (
            {
                "headers": HEADERS,
                "auth_type": "basic",
                "username": USERNAME_SECRET,
                "password": PASSWORD_SECRET,
                "timeout": 12.5,
                "verify_ssl": False,
                "max_response_size": 4096,
            },
            ConfigEntryState.LOADED,
        ),
        (
            {"headers": HEADERS, "auth_type": "bearer", "token": TOKEN_SECRET},
            ConfigEntryState.LOADED,
        ),
        # Corrupt options fail the entry; its diagnostics still redact everything.
        (
            {
                "headers": HEADERS,
                "auth_type": "kerberos",
                "username": USERNAME_SECRET,
                "password": PASSWORD_SECRET,
                "token": TOKEN_SECRET,
            },
            ConfigEntryState.SETUP_ERROR,
        ),
    ],
    ids=["basic", "bearer", "corrupt"],
)
async def test_diagnostics_redact_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    options: dict[str, Any],
    state: ConfigEntryState,
) -> None:
    """Header names and the base URL stay; values and credentials are redacted."""
    entry = profile_entry(
        "Example API",
        "https://api.example.com/v1/",
        SAVED_REQUEST,
        entry_id="01JSCENEHTTPREQUESTDIAG0001",
        **options,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is state

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics == snapshot
    dump = json.dumps(diagnostics)
    for secret in (*SECRETS, PARAM_SECRET, QUERY_SECRET, BODY_SECRET):
        assert secret not in dump
    saved = diagnostics["saved_requests"][0]  # type: ignore[index]
    assert saved["title"] == "Left home"
    assert saved["data"]["url"] == "**REDACTED**"
    assert saved["data"]["params"] == [{"name": "key", "value": "**REDACTED**"}]
    assert "X-Api-Key" in dump
    assert "Cookie" in dump
    assert "https://api.example.com/v1/" in dump
    entry_diagnostics = diagnostics["entry"]
    assert isinstance(entry_diagnostics, dict)
    assert entry_diagnostics["options"]["headers"][0] == {  # type: ignore[index]
        "name": "X-Api-Key",
        "value": "**REDACTED**",
    }
    # The stored entry itself is left untouched.
    assert entry.options["headers"][0]["value"] == HEADER_SECRET


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("hook/{{ who }}", "**REDACTED**"),
        (
            "https://maker.ifttt.com/trigger/left_home/with/key/IFTTT-KEY-1",
            "https://maker.ifttt.com/**REDACTED**",
        ),
        ("http://10.0.0.2:8080/api?key=K-1", "http://10.0.0.2:8080/**REDACTED**"),
        ("https://[::1]/x;key=K-2", "https://[::1]/**REDACTED**"),
        ("{{ base }}/x", "**REDACTED**"),
        ("http://[bad", "**REDACTED**"),
    ],
)
def test_saved_request_url_keeps_scheme_and_host(url: str, shown: str) -> None:
    """A saved URL keeps its scheme and host only; a relative one nothing."""
    redacted = diagnostics._saved_request(
        ConfigSubentry(
            data=MappingProxyType(request_data("x", url)),
            subentry_type="request",
            title="x",
            unique_id=None,
        )
    )
    assert redacted["data"]["url"] == shown
