"""Soak: 400 calls through a login profile whose session ends every 25 answers.

Each end of session costs exactly one login, however many calls were in flight;
afterwards the old sessions' jars are gone, the profile holds one aiohttp session,
and traced memory is back to where it was after the warm-up.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import tracemalloc

import aiohttp
from aiohttp import web
from homeassistant.core import HomeAssistant
import pytest

from .helpers import AddProfile, send, settle
from .login_site import LoginSite
from .server import RecordingServer

CALLS = 400
WARM_UP = 100
IN_FLIGHT = 8
EVERY = 25
# Measured: ~40-60 KiB (aiohttp's and yarl's caches, the recording server's list
# of requests). A jar or a session kept per login (~2 KiB each, 16 logins) or a
# response kept per call would show well past the bound on top of that.
MEMORY_BOUND = 160 * 1024


class ExpiringSite(LoginSite):
    """Ends the session after every EVERY-th answer that succeeded."""

    successes = 0
    limit = 0  # no expiry after this many successes: each one is followed by calls

    def install(self) -> None:
        """Route the login page and the API (counted)."""
        super().install()
        self.server.route("/api/data")(self._counted)

    async def _counted(self, request: web.Request) -> web.Response:
        response = await self._api(request)
        if response.status == 200:
            self.successes += 1
            if self.successes % EVERY == 0 and self.successes < self.limit:
                self.expire()
        return response


def _count(kind: type) -> int:
    return sum(isinstance(item, kind) for item in gc.get_objects())


async def _run(hass: HomeAssistant, url: str, calls: int) -> None:
    """Send calls, IN_FLIGHT at a time; each must succeed."""
    queue = iter(range(calls))

    async def worker() -> None:
        for _ in queue:
            assert (await send(hass, url=url))["status"] == 200

    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))


@pytest.mark.usefixtures("no_asyncio_debug")
async def test_login_soak(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """400 calls, a session ending every 25: logins == ends + 1, nothing kept."""
    # phcc's caplog captures DEBUG; keeping the debug records would be the leak.
    caplog.set_level(logging.WARNING)
    site = ExpiringSite(server)
    site.install()
    site.limit = WARM_UP + CALLS
    entry = await add_profile("Soak", server.url("/api/"), **site.profile())
    login_session = entry.runtime_data.login_session
    url = server.url("/api/data")
    await _run(hass, url, WARM_UP)
    server.received.clear()
    await settle(hass)
    sessions, jars = _count(aiohttp.ClientSession), _count(aiohttp.CookieJar)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        await _run(hass, url, CALLS)
        server.received.clear()
        await settle(hass)
        grown = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert site.expiries == (WARM_UP + CALLS) // EVERY - 1
    assert len(site.logins) == site.expiries + 1
    assert grown < MEMORY_BOUND, f"traced memory grew by {grown} bytes"
    assert _count(aiohttp.ClientSession) == sessions
    assert _count(aiohttp.CookieJar) <= jars
    http = login_session._http
    assert http is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert http.closed
