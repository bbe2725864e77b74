"""Soak for files: uploads and downloads of every outcome leave nothing behind.

After 400 calls, 40 at a time, no file descriptor points at any file used, no
temporary file is left, the targets hold either their old or their new bytes,
no task is pending, and traced memory is back near its post-warm-up level.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator
import logging
import os
from pathlib import Path
import tracemalloc
from typing import Any
import warnings

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest

from .files_helpers import MIB, Place, open_fds_on, place, send
from .helpers import drop_idle_connections, settle

__all__ = ["place"]  # a fixture

CALLS = 400
WARM_UP = 40
IN_FLIGHT = 40
BODY = os.urandom(256 * 1024)
# Measured: ~40-100 KiB (caches filling up), whatever the number of calls; a
# traceback or a buffer kept per call would pass this bound many times over.
MEMORY_BOUND = 384 * 1024
KINDS = (
    "upload",
    "multipart",
    "save",
    "save_dir",
    "save_500",
    "save_too_large",
    "save_timeout",
    "upload_missing",
)


@pytest.fixture
async def app(socket_enabled: None) -> AsyncGenerator[str]:
    """Serve and accept bodies; /slow stalls mid-body."""

    async def echo(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    async def body(request: web.Request) -> web.StreamResponse:
        if request.path == "/500":
            return web.Response(status=500, body=b"no")
        response = web.StreamResponse(
            headers={"Content-Disposition": 'attachment; filename="named.bin"'}
        )
        response.content_length = len(BODY)
        await response.prepare(request)
        await response.write(BODY[: len(BODY) // 2])
        if request.path == "/slow":
            await asyncio.sleep(10)
        await response.write(BODY[len(BODY) // 2 :])
        return response

    web_app = web.Application()
    web_app.router.add_post("/echo", echo)
    web_app.router.add_get("/{tail:.*}", body)
    runner = web.AppRunner(web_app, access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.Server)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    await runner.cleanup()


def call_data(kind: str, number: int, base: str, place: Place) -> dict[str, Any]:
    """Return the action data of call number of kind."""
    source = str(place.allowed / "source.bin")
    target = str(place.allowed / f"target-{number % 7}.bin")
    return {
        "upload": {"method": "POST", "url": f"{base}/echo", "body_file": source},
        "multipart": {
            "method": "POST",
            "url": f"{base}/echo",
            "multipart": [{"name": "f", "file": source}, {"name": "n", "value": "1"}],
        },
        "save": {"url": f"{base}/ok", "save_to": target},
        "save_dir": {"url": f"{base}/ok", "save_to": f"{place.config}/www/"},
        "save_500": {"url": f"{base}/500", "save_to": target},
        "save_too_large": {
            "url": f"{base}/ok",
            "save_to": target,
            "max_response_size": 1000,
        },
        "save_timeout": {"url": f"{base}/slow", "save_to": target, "timeout": 0.2},
        "upload_missing": {
            "method": "POST",
            "url": f"{base}/echo",
            "body_file": str(place.allowed / "missing.bin"),
        },
    }[kind]


async def run_calls(
    hass: HomeAssistant, base: str, place: Place, count: int
) -> Counter[str]:
    """Make count calls of every kind, IN_FLIGHT at a time; count the outcomes."""
    outcomes: Counter[str] = Counter()
    semaphore = asyncio.Semaphore(IN_FLIGHT)

    async def one(number: int) -> None:
        kind = KINDS[number % len(KINDS)]
        async with semaphore:
            try:
                await send(hass, **call_data(kind, number, base, place))
            except HomeAssistantError as err:
                outcomes[f"{kind}:{err.translation_key}"] += 1
            else:
                outcomes[f"{kind}:ok"] += 1

    await asyncio.gather(*(one(number) for number in range(count)))
    return outcomes


@pytest.mark.usefixtures("no_asyncio_debug")
async def test_files_soak(
    hass: HomeAssistant, place: Place, app: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every outcome, many times over: nothing is left open, half-written or held."""
    caplog.set_level(logging.WARNING)
    await hass.async_add_executor_job((place.allowed / "source.bin").write_bytes, BODY)
    connector = async_get_clientsession(hass).connector
    assert connector is not None
    tasks_before = asyncio.all_tasks()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        await run_calls(hass, app, place, WARM_UP)
        drop_idle_connections(connector)
        await settle(hass)
        tracemalloc.start()
        try:
            baseline = tracemalloc.get_traced_memory()[0]
            outcomes = await run_calls(hass, app, place, CALLS)
            assert not connector._acquired  # type: ignore[attr-defined]
            drop_idle_connections(connector)
            await settle(hass)
            grown = tracemalloc.get_traced_memory()[0] - baseline
        finally:
            tracemalloc.stop()
    per_kind = CALLS // len(KINDS)
    assert outcomes == {
        "upload:ok": per_kind,
        "multipart:ok": per_kind,
        "save:ok": per_kind,
        "save_dir:ok": per_kind,
        "save_500:http_error": per_kind,
        "save_too_large:response_too_large": per_kind,
        "save_timeout:timeout": per_kind,
        "upload_missing:file_not_found": per_kind,
    }
    pending = [
        task
        for task in asyncio.all_tasks() - tasks_before
        if not task.done() and task is not asyncio.current_task()
    ]
    assert not pending, pending
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert grown < MEMORY_BOUND, f"traced memory grew by {grown / MIB:.2f} MiB"
    await hass.async_add_executor_job(check_files, place)


def check_files(place: Place) -> None:
    """Check that no file is open, half-written or wrong (blocking)."""
    for directory in (place.allowed, place.config / "www"):
        names = sorted(path.name for path in directory.iterdir())
        assert not [name for name in names if name.endswith(".part")]
        for name in names:
            path: Path = directory / name
            assert open_fds_on(path) == 0
            assert path.read_bytes() == BODY
    assert (place.config / "www" / "named.bin").exists()
