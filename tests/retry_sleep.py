"""Stand in for the client's retry sleeps, so retry tests don't wait."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import AsyncMock, patch

from custom_components.scene_http_request import client

type Sleep = Callable[[float], Coroutine[Any, Any, None]]


class AsyncioWithSleep:
    """The asyncio module as the client sees it, except for sleep."""

    def __init__(self, sleep: Sleep) -> None:
        """Use sleep instead of asyncio.sleep."""
        self.sleep = sleep

    def __getattr__(self, name: str) -> Any:
        """Everything else is asyncio's."""
        return getattr(asyncio, name)


@contextmanager
def patched_retry_sleep(sleep: Sleep | None = None) -> Iterator[Any]:
    """Replace the client's asyncio.sleep (an AsyncMock unless given); yield it."""
    stand_in: Any = AsyncMock() if sleep is None else sleep
    with patch.object(client, "asyncio", AsyncioWithSleep(stand_in)):
        yield stand_in
