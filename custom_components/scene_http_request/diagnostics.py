"""Diagnostics for Scene HTTP Request profiles.

Header names and the base URL are kept: they explain how a request was built.
Every header value and every credential is redacted, since any header (an API key,
a cookie) may carry a secret.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_KEY_PASSWORD,
    CONF_CLIENT_KEY_PEM,
    CONF_CLIENT_SECRET,
    CONF_HEADER_VALUE,
    CONF_PROXY_PASSWORD,
    CONF_PROXY_USERNAME,
    CONF_QUERY_VALUE,
)
from .profile import SceneHttpRequestConfigEntry

TO_REDACT: Final = frozenset(
    {
        CONF_HEADER_VALUE,
        CONF_USERNAME,
        CONF_PASSWORD,
        CONF_TOKEN,
        CONF_CLIENT_KEY_PEM,
        CONF_CLIENT_KEY_PASSWORD,
        CONF_QUERY_VALUE,
        CONF_PROXY_USERNAME,
        CONF_PROXY_PASSWORD,
        CONF_CLIENT_ID,
        CONF_CLIENT_SECRET,
    }
)


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
    }
