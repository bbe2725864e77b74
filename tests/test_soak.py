"""Soak: 5,000 calls, 50 at a time, of every outcome; nothing may be left behind.

Afterwards no connection of HA's shared session is still acquired (idle keep-alive
connections are fine), no task the calls started is pending, nothing was reported
unclosed, and traced memory is back to where it was after the warm-up.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator
from dataclasses import dataclass
import gc
import logging
import socket
import time
import tracemalloc
from typing import Any
import warnings

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
import pytest

from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND

from .helpers import drop_idle_connections, settle

CALLS = 5000
WARM_UP = 500
IN_FLIGHT = 50
# Traced memory may end at most this far above the post-warm-up baseline, both
# measured with the connection pool emptied. Measured here: ~105-110 KiB whether
# 2,500, 5,000 or 10,000 calls run, so a fixed cost (yarl's and aiohttp's caches
# growing to their limits), not a per-call one. Keeping even one small tuple
# (56 bytes) per call would add 270 KiB over 5,000 calls, a dict or a traceback
# per call several times that: past the bound either way.
MEMORY_BOUND = 384 * 1024
# What must run for the whole soak to stay reasonable on a 2-core machine.
TIME_BOUND = 60.0

# The mix, by call number modulo 20: 12 successes, 2 HTTP errors that raise, 2 that
# return, 2 timeouts, 2 resets (one GET, one POST).
KINDS = (
    ["ok"] * 12
    + ["http_error_raises", "http_error_raises"]
    + ["http_error_returns", "http_error_returns"]
    + ["timeout", "timeout"]
    + ["reset_get", "reset_post"]
)


@dataclass
class Targets:
    """Where each kind of call goes."""

    app_port: int
    reset_port: int

    def data(self, kind: str, number: int) -> dict[str, Any]:
        """Return the action data of call number of kind."""
        base = f"http://127.0.0.1:{self.app_port}"
        if kind == "ok":
            return {"url": f"{base}/ok", "params": {"n": number}}
        if kind == "http_error_raises":
            return {"url": f"{base}/status/500"}
        if kind == "http_error_returns":
            return {"url": f"{base}/status/404", "fail_on_http_error": False}
        if kind == "timeout":
            return {"url": f"{base}/slow", "timeout": 0.1}
        method = "GET" if kind == "reset_get" else "POST"
        return {
            "method": method,
            "url": f"http://127.0.0.1:{self.reset_port}/",
            "json": {"n": number},
        }


def outcome(kind: str, result: dict[str, Any] | HomeAssistantError) -> bool:
    """Return whether a call of kind ended as it must."""
    if isinstance(result, HomeAssistantError):
        expected = {
            "http_error_raises": "http_error",
            "timeout": "timeout",
            "reset_get": "cannot_connect",
            "reset_post": "cannot_connect",
        }
        return result.translation_key == expected.get(kind)
    if kind == "ok":
        return result["status"] == 200 and result["content"] == {"ok": True}
    if kind == "http_error_returns":
        return result["status"] == 404 and result["ok"] is False
    return False


async def reset_handler(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Read a request's head, then close with a TCP RST."""
    try:
        await reader.readuntil(b"\r\n\r\n")
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)
    except ConnectionError, asyncio.IncompleteReadError:
        pass
    finally:
        writer.transport.abort()


@pytest.fixture
async def targets(socket_enabled: None) -> AsyncGenerator[Targets]:
    """Start the servers: an aiohttp app and a raw server that resets."""

    async def ok(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="nope")

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        return web.json_response({"late": True})

    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/slow", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    listening = site._server  # the only way to read the bound port
    assert isinstance(listening, asyncio.Server)
    reset_server = await asyncio.start_server(reset_handler, "127.0.0.1", 0)
    yield Targets(
        listening.sockets[0].getsockname()[1],
        reset_server.sockets[0].getsockname()[1],
    )
    reset_server.close()
    reset_server.close_clients()
    await reset_server.wait_closed()
    await runner.cleanup()


async def run_calls(
    hass: HomeAssistant, targets: Targets, first: int, count: int
) -> Counter[str]:
    """Make count calls, IN_FLIGHT at a time; return the tally of bad outcomes."""
    limit = asyncio.Semaphore(IN_FLIGHT)
    failures: Counter[str] = Counter()

    async def one(number: int) -> None:
        kind = KINDS[number % len(KINDS)]
        async with limit:
            result: dict[str, Any] | HomeAssistantError
            try:
                response = await hass.services.async_call(
                    DOMAIN,
                    SERVICE_SEND,
                    targets.data(kind, number),
                    blocking=True,
                    return_response=True,
                )
                result = dict(response or {})
            except HomeAssistantError as err:
                result = err
        if not outcome(kind, result):
            failures[f"{kind}: {result!r}"[:200]] += 1

    await asyncio.gather(*(one(number) for number in range(first, first + count)))
    return failures


@pytest.mark.usefixtures("no_asyncio_debug")
async def test_soak(
    hass: HomeAssistant, targets: Targets, caplog: pytest.LogCaptureFixture
) -> None:
    """5,000 mixed calls end as they must and leave nothing behind."""
    # phcc's caplog captures DEBUG; keeping 100,000 debug records would be the leak.
    # "Unclosed …" reports come at ERROR (asyncio's exception handler).
    caplog.set_level(logging.WARNING)
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    connector = async_get_clientsession(hass).connector
    assert connector is not None
    tasks_before = asyncio.all_tasks()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        started = time.monotonic()
        # The warm-up runs the same mix: it fills every cache a call touches.
        assert not await run_calls(hass, targets, 0, WARM_UP)
        drop_idle_connections(connector)
        await settle(hass)
        tracemalloc.start()
        try:
            baseline = tracemalloc.get_traced_memory()[0]
            failures = await run_calls(hass, targets, WARM_UP, CALLS)
            elapsed = time.monotonic() - started

            # Every response was read or released: nothing is still acquired.
            assert not connector._acquired  # type: ignore[attr-defined]
            idle = drop_idle_connections(connector)
            assert idle <= IN_FLIGHT
            await settle(hass)
            growth = tracemalloc.get_traced_memory()[0] - baseline
        finally:
            tracemalloc.stop()
        assert not failures, failures.most_common(5)

        # Nothing the calls started is still pending.
        pending = [
            task
            for task in asyncio.all_tasks() - tasks_before
            if not task.done() and task is not asyncio.current_task()
        ]
        assert not pending, pending

        await connector.close()  # what HA does at shutdown; must not complain
        gc.collect()

    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert "Unclosed" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert growth < MEMORY_BOUND, f"traced memory grew by {growth / 1024:.0f} KiB"
    assert elapsed < TIME_BOUND, f"{CALLS + WARM_UP} calls took {elapsed:.1f} s"
