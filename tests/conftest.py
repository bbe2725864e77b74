"""Shared fixtures for Scene HTTP Request tests."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Iterable
import logging
import socket
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Import at collection time so HA's loader finds our custom_components package.
import custom_components.scene_http_request  # noqa: F401
from custom_components.scene_http_request import client
from custom_components.scene_http_request.const import DOMAIN

from .helpers import AddProfile, profile_entry
from .login_site import LoginSite
from .server import RecordingServer, start_server

pytest_plugins = "pytest_homeassistant_custom_component"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    enable_custom_integrations: None,
) -> None:
    """Let every test load custom integrations."""
    return


def deprecation_reports(records: Iterable[logging.LogRecord]) -> list[str]:
    """Return the messages of records that report a deprecated use by us.

    HA's frame helper (report_usage) logs "Detected that custom integration
    '<domain>' …", and its deprecation helper "The deprecated … was used from
    <domain>"; code HA cannot place logs "Detected code that …".
    """
    reports = []
    for record in records:
        message = record.getMessage()
        ours = f"integration '{DOMAIN}'" in message or (
            message.startswith("The deprecated ") and f" from {DOMAIN}." in message
        )
        if ours or message.startswith("Detected code that "):
            reports.append(message)
    return reports


@pytest.fixture(autouse=True)
def no_deprecated_use(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Fail any test in which HA reports a deprecated use by this integration."""
    yield
    records = [
        record
        for when in ("setup", "call", "teardown")
        for record in caplog.get_records(when)
    ]
    if reports := deprecation_reports(records):
        pytest.fail("HA reported a deprecated use:\n" + "\n".join(reports))


@pytest.fixture
async def server(socket_enabled: None) -> AsyncGenerator[RecordingServer]:
    """A recording HTTP server on 127.0.0.1."""
    recording = await start_server()
    yield recording
    await recording.server.close()


@pytest.fixture
def site(server: RecordingServer) -> LoginSite:
    """A login-protected site on `server` (tests/login_site.py)."""
    login_site = LoginSite(server)
    login_site.install()
    return login_site


@pytest.fixture
async def token_server(socket_enabled: None) -> AsyncGenerator[RecordingServer]:
    """An OAuth2 authorization server: its own origin for the token endpoint."""
    recording = await start_server()
    yield recording
    await recording.server.close()


@pytest.fixture
async def other_server(socket_enabled: None) -> AsyncGenerator[RecordingServer]:
    """A second recording server: another origin (another port)."""
    recording = await start_server()
    yield recording
    await recording.server.close()


@pytest.fixture
def closed_port(socket_enabled: None) -> int:
    """Return a port on 127.0.0.1 that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def add_profile(hass: HomeAssistant) -> AddProfile:
    """Return a function that adds and sets up a profile, then waits for HA.

    For a profile added but not set up, or whose setup must fail, see
    `profile_entry` and `add_entry` in tests/helpers.py.
    """

    async def add(
        title: str,
        base_url: str | None = None,
        *subentries: ConfigSubentryDataWithId,
        **options: Any,
    ) -> MockConfigEntry:
        entry = profile_entry(title, base_url, *subentries, **options)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        return entry

    return add


@pytest.fixture
def no_asyncio_debug(hass: HomeAssistant) -> Generator[None]:
    """Run without asyncio's debug mode, which the HA test harness turns on.

    In debug mode every future, task and handle keeps the traceback of its
    creation: 5,000 calls then take ~85 s instead of ~9 s and most traced memory
    is those tracebacks. Production runs without it.
    """
    debug = hass.loop.get_debug()
    hass.loop.set_debug(False)
    yield
    hass.loop.set_debug(debug)


@pytest.fixture(params=["default", "self"], ids=["default-inflater", "self-inflates"])
def inflating(request: pytest.FixtureRequest) -> Generator[str]:
    """Run a compression test with each inflater the client may use.

    By default the client inflates by itself on aiohttp < 3.14 (HA < 2026.10),
    where aiohttp would inflate 32 MiB at a time, and lets aiohttp inflate on
    newer versions; "self" forces its own inflater on any version.
    """
    if request.param == "self":
        with patch.object(client, "_SELF_INFLATE", new=True):
            yield request.param
    else:
        yield request.param
