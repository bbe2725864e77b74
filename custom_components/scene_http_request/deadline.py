"""Request timeouts that share one event-loop timer.

asyncio.timeout() schedules, then cancels, a loop timer for every request: the
loop keeps its timers in a heap whose entries compare in Python, which made it the
largest cost of a fast request after aiohttp itself. Here a request pushes a plain
tuple onto a heap of its own and marks it finished when it ends; one loop timer,
armed for the earliest deadline, wakes only when a deadline may have passed.
Requests that finish in time never touch the loop's timers.
"""

from __future__ import annotations

import asyncio
import heapq
from itertools import count
from math import inf
from typing import Any, Final

from homeassistant.const import EVENT_HOMEASSISTANT_CLOSE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

DATA_DEADLINES: Final[HassKey[Deadlines]] = HassKey(f"{DOMAIN}_deadlines")
# Finished entries stay in the heap until there are this many and they are most.
_COMPACT_AT: Final = 64


class Deadline:
    """One task's time limit; see Deadlines.start."""

    __slots__ = ("_cancelling", "_deadlines", "_expired", "_task")

    def __init__(self, deadlines: Deadlines, task: asyncio.Task[Any]) -> None:
        """Watch task."""
        self._deadlines = deadlines
        self._task: asyncio.Task[Any] | None = task
        self._cancelling = task.cancelling()
        self._expired = False

    def _expire(self) -> None:
        """Cancel the task: its time is up."""
        self._expired = True
        self._task.cancel()  # type: ignore[union-attr] # only pending ones expire

    def finish(self, *, cancelled: bool = False) -> bool:
        """Stop watching; return whether the task timed out.

        cancelled tells whether the watched code ended in CancelledError. As with
        asyncio.timeout, our own cancel request is withdrawn, and the result is
        true only when the code was cancelled by the deadline and nobody else
        asked for a cancellation meanwhile. A second call returns False.
        """
        task = self._task
        if task is None:
            return False
        self._task = None
        if not self._expired:
            self._deadlines.finished()
            return False
        return task.uncancel() <= self._cancelling and cancelled


class Deadlines:
    """The deadlines of the requests in flight on one event loop."""

    __slots__ = ("_heap", "_loop", "_order", "_stale", "_timer", "_timer_at")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Watch nothing yet."""
        self._loop = loop
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = count()  # ties break by start order, never by Deadline
        self._stale = 0  # finished entries still in the heap
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = inf

    def start(self, delay: float) -> Deadline:
        """Cancel the current task after delay seconds unless finished first.

        Use like asyncio.timeout, and always call finish():

            deadline = deadlines.start(10)
            try:
                await work()
            except asyncio.CancelledError:
                if not deadline.finish(cancelled=True):
                    raise
                ...  # timed out
            finally:
                deadline.finish()
        """
        task = asyncio.current_task(self._loop)
        if task is None:
            raise RuntimeError("a deadline needs a running task")
        when = self._loop.time() + delay
        deadline = Deadline(self, task)
        heapq.heappush(self._heap, (when, next(self._order), deadline))
        if when < self._timer_at:
            self._arm(when)
        return deadline

    def finished(self) -> None:
        """Count a finished deadline; drop finished entries once they are most."""
        self._stale += 1
        heap = self._heap
        if self._stale >= _COMPACT_AT and self._stale * 2 > len(heap):
            heap[:] = [entry for entry in heap if entry[2]._task is not None]  # noqa: SLF001
            heapq.heapify(heap)
            self._stale = 0

    @callback
    def close(self, _event: Event | None = None) -> None:
        """Cancel the timer (Home Assistant is closing); in-flight work is cancelled."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_at = inf

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_at(when, self._expire_due)
        self._timer_at = when

    def _expire_due(self) -> None:
        """Expire every deadline that is due; re-arm for the next one."""
        self._timer = None
        self._timer_at = inf
        now = self._loop.time()
        heap = self._heap
        while heap and (heap[0][2]._task is None or heap[0][0] <= now):  # noqa: SLF001
            deadline = heapq.heappop(heap)[2]
            if deadline._task is None:  # noqa: SLF001
                self._stale -= 1
            else:
                deadline._expire()  # noqa: SLF001
        if heap:
            self._arm(heap[0][0])


@callback
def async_get_deadlines(hass: HomeAssistant) -> Deadlines:
    """Return the deadlines of hass's loop, created on first use."""
    if (deadlines := hass.data.get(DATA_DEADLINES)) is None:
        deadlines = hass.data[DATA_DEADLINES] = Deadlines(hass.loop)
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_CLOSE, deadlines.close)
    return deadlines
