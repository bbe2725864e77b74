"""Spread a burst of requests over event-loop iterations.

When an automation fires hundreds of requests at once, each one builds its request,
takes a connection and sends, all in the same loop iteration: Home Assistant's
event loop then stalls for as long as that takes (about 50 ms for 500 requests on
a small machine). Once BURST requests are in flight, further ones start at most
BURST per loop iteration, in arrival order. A lone request never waits.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Final

BURST: Final = 16


class RequestPacer:
    """Admits requests: at once while few are in flight, else BURST per iteration."""

    __slots__ = ("_burst", "_in_flight", "_loop", "_tick_pending", "_waiters")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, burst: int | None = None
    ) -> None:
        """Admit everything until burst (default BURST) requests are in flight."""
        self._loop = loop
        self._burst = BURST if burst is None else burst
        self._in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._tick_pending = False

    def try_start(self) -> bool:
        """Admit a request now if few are in flight; else async_wait_start it."""
        if self._in_flight < self._burst and not self._waiters:
            self._in_flight += 1
            return True
        return False

    async def async_wait_start(self) -> None:
        """Wait for this request's turn (at most burst start per iteration)."""
        waiter = self._loop.create_future()
        self._waiters.append(waiter)
        if not self._tick_pending:
            self._tick_pending = True
            self._loop.call_soon(self._admit_next)
        await waiter
        self._in_flight += 1

    def finished(self) -> None:
        """Count an admitted request as finished."""
        self._in_flight -= 1

    def _admit_next(self) -> None:
        """Wake the next burst waiters; they run in the next iteration."""
        admitted = 0
        waiters = self._waiters
        while waiters and admitted < self._burst:
            waiter = waiters.popleft()
            if not waiter.done():  # a cancelled caller leaves a cancelled waiter
                waiter.set_result(None)
                admitted += 1
        if waiters:
            self._loop.call_soon(self._admit_next)
        else:
            self._tick_pending = False
