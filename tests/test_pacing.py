"""Tests for the request pacer that spreads bursts over loop iterations."""

from __future__ import annotations

import asyncio
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest

from custom_components.scene_http_request import pacing, services
from custom_components.scene_http_request.const import DOMAIN, SERVICE_SEND
from custom_components.scene_http_request.pacing import RequestPacer

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


def _in_flight(pacer: RequestPacer) -> int:
    """Return how many admitted requests have not finished (from the outside).

    Counts the requests that can still start at once, then gives those back.
    """
    burst = pacer._burst
    free = 0
    while free < burst and pacer.try_start():
        free += 1
    for _ in range(free):
        pacer.finished()
    return burst - free


async def _setup_with_pacer(hass: HomeAssistant) -> RequestPacer:
    """Set the integration up; return the pacer its action uses."""
    created: list[RequestPacer] = []

    def make(loop: asyncio.AbstractEventLoop) -> RequestPacer:
        created.append(RequestPacer(loop))
        return created[-1]

    with patch.object(services, "RequestPacer", side_effect=make):
        assert await async_setup_component(hass, DOMAIN, {})
    assert len(created) == 1
    return created[0]


async def _start(pacer: RequestPacer) -> None:
    if not pacer.try_start():
        await pacer.async_wait_start()


async def test_few_requests_start_at_once() -> None:
    """Below the burst size a request starts without waiting."""
    pacer = RequestPacer(asyncio.get_running_loop(), burst=3)
    assert [pacer.try_start() for _ in range(4)] == [True, True, True, False]
    assert _in_flight(pacer) == 3
    pacer.finished()
    assert pacer.try_start()
    for _ in range(3):
        pacer.finished()
    assert _in_flight(pacer) == 0


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
    for _ in range(27):
        pacer.finished()
    assert _in_flight(pacer) == 3  # every admitted request was counted


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
    pacer.finished()
    pacer.finished()  # the two that waited
    assert _in_flight(pacer) == 1  # the first request; the cancelled one never ran


async def test_action_burst_completes(
    hass: HomeAssistant, server: RecordingServer
) -> None:
    """Many concurrent action calls all run, paced, and release their slots."""
    with patch.object(pacing, "BURST", 4):
        pacer = await _setup_with_pacer(hass)
    assert pacer._burst == 4
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
    assert _in_flight(pacer) == 0


async def test_failed_call_releases_its_slot(hass: HomeAssistant) -> None:
    """A call that fails validation still gives its slot back."""
    pacer = await _setup_with_pacer(hass)
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, SERVICE_SEND, {"url": "relative/path"}, blocking=True
        )
    assert _in_flight(pacer) == 0
