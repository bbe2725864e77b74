"""Diagnostics for Scene HTTP Request profiles and their saved requests.

Header names and the base URL are kept: they explain how a request was built.
Every header value and every credential is redacted, since any header (an API key,
a cookie) may carry a secret. So are the param values, the body and the query of
a saved request's URL: a key often travels in them.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant

from .const import (
    ATTR_BODY,
    ATTR_URL,
    CONF_HEADER_VALUE,
    SUBENTRY_REQUEST,
)
from .profile import ACCOUNT_OPTIONS, SECRET_OPTIONS, SceneHttpRequestConfigEntry

TO_REDACT: Final = SECRET_OPTIONS | ACCOUNT_OPTIONS | {CONF_HEADER_VALUE, ATTR_BODY}
REDACTED: Final = "**REDACTED**"


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SceneHttpRequestConfigEntry,
) -> dict[str, Any]:
    """Return a profile's stored settings with its secrets redacted."""
    return {
        "entry": {
            "title": entry.title,
            "version": entry.version,
            "minor_version": entry.minor_version,
            "state": entry.state.value,
            "data": async_redact_data(entry.data, TO_REDACT),
            "options": async_redact_data(entry.options, TO_REDACT),
        },
        "saved_requests": [
            _saved_request(subentry)
            for subentry in entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_REQUEST
        ],
    }


def _saved_request(subentry: ConfigSubentry) -> dict[str, Any]:
    """Return a saved request with its values, body and URL query redacted."""
    data: dict[str, Any] = async_redact_data(subentry.data, TO_REDACT)
    url = data.get(ATTR_URL)
    if isinstance(url, str) and "?" in url:
        data[ATTR_URL] = f"{url.partition('?')[0]}?{REDACTED}"
    return {"title": subentry.title, "data": data}
