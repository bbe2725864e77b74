"""Tests for the request pacer that spreads bursts over loop iterations."""

from __future__ import annotations

import asyncio
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest

from custom_components.scene_http_request import pacing
from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND
from custom_components.scene_http_request.pacing import (
    DATA_PACER,
    RequestPacer,
    async_get_pacer,
)

from .server import RecordingServer


class _Ticker:
    """Counts event-loop iterations (one sleep(0) per iteration)."""

    def __init__(self) -> None:
        self.iteration = 0
        self._running = True
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self._running:
            await asyncio.sleep(0)
            self.iteration += 1

    async def stop(self) -> None:
        self._running = False
        await self._task


async def _start(pacer: RequestPacer) -> None:
    if not pacer.try_start():
        await pacer.async_wait_start()


async def test_few_requests_start_at_once() -> None:
    """Below the burst size a request starts without waiting."""
    pacer = RequestPacer(asyncio.get_running_loop(), burst=3)
    assert [pacer.try_start() for _ in range(4)] == [True, True, True, False]
    assert pacer.in_flight == 3
    pacer.finished()
    assert pacer.try_start()
    for _ in range(3):
        pacer.finished()
    assert pacer.in_flight == 0


async def test_burst_is_spread_over_iterations() -> None:
    """A burst starts at most burst requests per iteration, in arrival order."""
    pacer = RequestPacer(asyncio.get_running_loop(), burst=4)
    ticker = _Ticker()
    admitted: list[tuple[int, int]] = []

    async def request(number: int) -> None:
        await _start(pacer)
        admitted.append((number, ticker.iteration))

    await asyncio.gather(*(request(number) for number in range(30)))
    await ticker.stop()
    assert [number for number, _ in admitted] == list(range(30))  # FIFO
    per_iteration: dict[int, int] = {}
    for _, iteration in admitted:
        per_iteration[iteration] = per_iteration.get(iteration, 0) + 1
    assert max(per_iteration.values()) <= 4
    assert len(per_iteration) >= 30 // 4
    assert pacer.in_flight == 30


async def test_cancelled_waiter_gives_its_turn_away() -> None:
    """A caller cancelled while waiting is skipped and never counted."""
    pacer = RequestPacer(asyncio.get_running_loop(), burst=1)
    assert pacer.try_start()
    waiting = [asyncio.create_task(_start(pacer)) for _ in range(3)]
    await asyncio.sleep(0)
    waiting[0].cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
    assert waiting[0].cancelled()
    assert all(task.done() and not task.cancelled() for task in waiting[1:])
    assert pacer.in_flight == 3  # the first request and the two that waited


async def test_action_burst_completes(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """Many concurrent action calls all run, paced, and release their slots."""
    with patch.object(pacing, "BURST", 4):
        assert await async_setup_component(hass, DOMAIN, {})
    assert hass.data[DATA_PACER]._burst == 4
    responses = await asyncio.gather(
        *(
            hass.services.async_call(
                DOMAIN,
                SERVICE_SEND,
                {"url": server.url(f"/{number}")},
                blocking=True,
                return_response=True,
            )
            for number in range(40)
        )
    )
    assert [response["status"] for response in responses] == [200] * 40  # type: ignore[index]
    assert sorted(received.path for received in server.received) == sorted(
        f"/{number}" for number in range(40)
    )
    pacer = async_get_pacer(hass)
    assert pacer is hass.data[DATA_PACER]
    assert pacer.in_flight == 0


async def test_failed_call_releases_its_slot(hass: HomeAssistant) -> None:
    """A call that fails validation still gives its slot back."""
    assert await async_setup_component(hass, DOMAIN, {})
    pacer = async_get_pacer(hass)
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, SERVICE_SEND, {"url": "relative/path"}, blocking=True
        )
    assert pacer.in_flight == 0
