"""Scene HTTP Request: send HTTP requests from scenes, scripts and automations."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .profile import (
    InvalidProfileError,
    SceneHttpRequestConfigEntry,
    async_with_transport,
    profile_from_entry,
)
from .services import async_setup_services
from .transport import TlsError

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the action once for the whole integration."""
    async_setup_services(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SceneHttpRequestConfigEntry,
) -> bool:
    """Parse a profile's stored data and build its TLS contexts.

    Corrupt data fails the entry. The options flow reloads the entry, so the
    contexts are rebuilt whenever the options change.
    """
    try:
        profile = profile_from_entry(
            entry.entry_id, entry.title, entry.data, entry.options
        )
        entry.runtime_data = await async_with_transport(hass, profile)
    except (InvalidProfileError, TlsError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="invalid_profile",
            translation_placeholders={"field": str(err)},
        ) from None
    return True


async def async_unload_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SceneHttpRequestConfigEntry,  # noqa: ARG001
) -> bool:
    """Unload a profile; it holds no connections or listeners of its own."""
    return True
