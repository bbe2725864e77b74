"""Tests for the shared-timer request deadlines."""

from __future__ import annotations

import asyncio
import time

from homeassistant.const import EVENT_HOMEASSISTANT_CLOSE
from homeassistant.core import HomeAssistant
import pytest

from custom_components.scene_http_request.deadline import (
    Deadlines,
    async_get_deadlines,
)


async def _sleep_under(deadlines: Deadlines, delay: float, sleep: float) -> str:
    """Sleep under a deadline; say how it ended."""
    deadline = deadlines.start(delay)
    try:
        await asyncio.sleep(sleep)
    except asyncio.CancelledError:
        if not deadline.finish(cancelled=True):
            raise
        return "timeout"
    finally:
        deadline.finish()
    return "done"


def _armed(deadlines: Deadlines) -> list[asyncio.TimerHandle]:
    """Return the live loop timers that belong to deadlines."""
    loop = deadlines._loop
    return [
        handle
        for handle in loop._scheduled  # type: ignore[attr-defined]
        if not handle.cancelled()
        and getattr(handle._callback, "__self__", None) is deadlines
    ]


async def test_expired_deadline_is_a_timeout() -> None:
    """The task is cancelled at its deadline and the cancel request is withdrawn."""
    deadlines = Deadlines(asyncio.get_running_loop())
    started = time.monotonic()
    assert await _sleep_under(deadlines, 0.05, 5) == "timeout"
    assert 0.04 <= time.monotonic() - started < 1
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0
    await asyncio.sleep(0)  # no cancellation left pending on this task
    deadlines.close()


async def test_finished_deadline_does_not_fire() -> None:
    """Work that ends in time is untouched, and the timer can be closed."""
    loop = asyncio.get_running_loop()
    deadlines = Deadlines(loop)
    assert await _sleep_under(deadlines, 5, 0) == "done"
    assert len(_armed(deadlines)) == 1  # the shared timer stays armed...
    deadlines.close()
    assert _armed(deadlines) == []  # ...until Home Assistant closes
    deadlines.close()  # closing twice is harmless


async def test_timer_is_shared_and_rearmed() -> None:
    """Later deadlines reuse the armed timer; an earlier one re-arms it."""
    loop = asyncio.get_running_loop()
    deadlines = Deadlines(loop)
    long_one = asyncio.create_task(_sleep_under(deadlines, 30, 30))
    await asyncio.sleep(0)
    first = _armed(deadlines)
    assert len(first) == 1
    later = asyncio.create_task(_sleep_under(deadlines, 40, 0.01))
    await asyncio.sleep(0)
    assert _armed(deadlines) == first  # no new loop timer for a later deadline
    assert await later == "done"
    started = time.monotonic()
    assert await _sleep_under(deadlines, 0.05, 5) == "timeout"  # earlier: re-armed
    assert time.monotonic() - started < 1
    long_one.cancel()
    with pytest.raises(asyncio.CancelledError):
        await long_one
    deadlines.close()


async def test_deadlines_expire_in_order() -> None:
    """Each of several deadlines fires at its own time, then the timer disarms."""
    loop = asyncio.get_running_loop()
    deadlines = Deadlines(loop)
    started = time.monotonic()
    ended: dict[str, float] = {}

    async def run(name: str, delay: float) -> str:
        outcome = await _sleep_under(deadlines, delay, 5)
        ended[name] = time.monotonic() - started
        return outcome

    outcomes = await asyncio.gather(
        run("slow", 0.3), run("fast", 0.05), run("middle", 0.15)
    )
    assert outcomes == ["timeout", "timeout", "timeout"]
    assert ended["fast"] < ended["middle"] < ended["slow"] < 2
    assert _armed(deadlines) == []  # nothing in flight: no timer left


async def test_outside_cancellation_is_not_a_timeout() -> None:
    """A cancel from elsewhere, even once the deadline has fired, stays a cancel."""
    deadlines = Deadlines(asyncio.get_running_loop())
    task = asyncio.current_task()
    assert task is not None
    deadline = deadlines.start(0)
    deadlines._expire_due()  # the deadline cancels the task...
    task.cancel()  # ...and so does someone else
    assert not deadline.finish(cancelled=True)  # ours is withdrawn, theirs stays
    assert task.cancelling() == 1
    with pytest.raises(asyncio.CancelledError):
        await asyncio.sleep(0)
    task.uncancel()
    deadlines.close()


async def test_outside_cancellation_before_the_deadline() -> None:
    """A plain cancel of a task under a deadline propagates."""
    deadlines = Deadlines(asyncio.get_running_loop())
    task = asyncio.create_task(_sleep_under(deadlines, 5, 5))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    deadlines.close()


async def test_expiry_after_the_work_ended_is_withdrawn() -> None:
    """A deadline that fires as the work completes leaves no pending cancel."""
    deadlines = Deadlines(asyncio.get_running_loop())
    deadline = deadlines.start(0)
    deadlines._expire_due()  # fires before the task saw its result
    assert not deadline.finish()
    assert not deadline.finish()  # a second finish does nothing
    await asyncio.sleep(0)  # would raise CancelledError if still pending
    deadlines.close()


async def test_finished_entries_are_compacted() -> None:
    """Thousands of quick requests leave only a bounded heap behind."""
    deadlines = Deadlines(asyncio.get_running_loop())
    for _ in range(1000):
        deadline = deadlines.start(10)
        deadline.finish()
    assert len(deadlines._heap) < 130
    deadlines.close()


def test_start_needs_a_task() -> None:
    """Outside a task there is nothing to cancel: start refuses."""
    loop = asyncio.new_event_loop()
    try:
        deadlines = Deadlines(loop)
        errors: list[BaseException] = []

        def call() -> None:
            try:
                deadlines.start(1)
            except RuntimeError as err:
                errors.append(err)
            loop.stop()

        loop.call_soon(call)
        loop.run_forever()
        assert len(errors) == 1
    finally:
        loop.close()


async def test_deadlines_per_hass_close_with_it(hass: HomeAssistant) -> None:
    """One Deadlines per instance; its timer goes when Home Assistant closes."""
    deadlines = async_get_deadlines(hass)
    assert async_get_deadlines(hass) is deadlines
    assert await _sleep_under(deadlines, 60, 0) == "done"
    assert deadlines._timer is not None
    hass.bus.async_fire(EVENT_HOMEASSISTANT_CLOSE)
    await hass.async_block_till_done()
    assert deadlines._timer is None
