"""Diagnostics for Scene HTTP Request profiles and their saved requests.

Header names and the base URL are kept: they explain how a request was built.
Every header value and every credential is redacted, since any header (an API key,
a cookie) may carry a secret; so are a login's row values (rows of name and value,
like headers) and its header template, which may hold a fixed secret. So are the
param values, the body, and all of a saved request's URL but its scheme and host:
a key often travels in them.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from yarl import URL

from .const import (
    ATTR_BODY,
    ATTR_URL,
    CONF_HEADER_VALUE,
    CONF_LOGIN_HEADER_VALUE,
    SUBENTRY_REQUEST,
)
from .profile import ACCOUNT_OPTIONS, SECRET_OPTIONS, SceneHttpRequestConfigEntry
from .url import host_for_messages

TO_REDACT: Final = (
    SECRET_OPTIONS
    | ACCOUNT_OPTIONS
    | {CONF_HEADER_VALUE, CONF_LOGIN_HEADER_VALUE, ATTR_BODY}
)
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
    """Return a saved request with its values and body redacted.

    Its URL keeps the scheme and host only (a relative one keeps nothing): an
    IFTTT key lives in the path, other keys in the query.
    """
    data: dict[str, Any] = async_redact_data(subentry.data, TO_REDACT)
    if ATTR_URL in data:
        data[ATTR_URL] = _scheme_and_host(data[ATTR_URL])
    return {"title": subentry.title, "data": data}


def _scheme_and_host(raw: Any) -> str:
    """Return scheme://host of an absolute URL, else the redaction mark."""
    try:
        url = URL(str(raw))
    except ValueError:
        return REDACTED
    if not url.absolute or not url.scheme or url.raw_host is None:
        return REDACTED
    return f"{url.scheme}://{host_for_messages(url)}/{REDACTED}"
