"""The outcome of each send of a saved request, signalled to its sensor.

An outcome holds a status or an error key, the elapsed time, the time of the
attempt and whether it was ok: no URL, content or header, since the recorder keeps
what the sensor shows. For a saved request with a value sensor, a send that
succeeded also carries what the value template sees of the response (values): the
value sensor renders it, and keeps nothing else of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .client import Response
from .const import SIGNAL_SENT
from .content import ResponseValues


@dataclass(frozen=True, slots=True, kw_only=True)
class SendOutcome:
    """What one send of a saved request gave."""

    state: int | str  # the HTTP status, or the error key when there was no answer
    ok: bool
    elapsed: float | None
    attempted_at: datetime
    # For the value sensor: None when the send failed (or there is no sensor).
    values: ResponseValues | None = field(default=None, repr=False)

    @classmethod
    def answered(
        cls, response: Response, values: ResponseValues | None = None
    ) -> SendOutcome:
        """Return the outcome of a request the server answered."""
        return cls(
            state=response.status,
            ok=response.status < 400,  # noqa: PLR2004
            elapsed=round(response.elapsed, 3),
            attempted_at=dt_util.utcnow(),
            values=values,
        )

    @classmethod
    def failed(cls, err: HomeAssistantError) -> SendOutcome:
        """Return the outcome of a request that got no answer."""
        return cls(
            state=err.translation_key or "unknown",
            ok=False,
            elapsed=None,
            attempted_at=dt_util.utcnow(),
        )


def signal_sent(subentry_id: str) -> str:
    """Return the dispatcher signal of a saved request's outcomes."""
    return SIGNAL_SENT.format(subentry_id)


@callback
def report_outcome(hass: HomeAssistant, subentry_id: str, outcome: SendOutcome) -> None:
    """Tell whoever listens (the sensor) how a send of a saved request went."""
    async_dispatcher_send(hass, signal_sent(subentry_id), outcome)
