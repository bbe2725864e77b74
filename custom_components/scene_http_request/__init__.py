"""Scene HTTP Request: send HTTP requests from scenes, scripts and automations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigSubentryDataWithId,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .entity import async_migrate_profile_device
from .polling import async_start_polling
from .profile import (
    InvalidProfileError,
    SceneHttpRequestConfigEntry,
    async_release,
    async_with_transport,
    profile_from_entry,
)
from .repairs import async_watch_certificates
from .request import build_saved_requests
from .runtime import shared
from .saved_request import parse_saved_requests
from .services import async_setup_services
from .transport import TlsError

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS = [Platform.BUTTON, Platform.SENSOR]

type _Listener = Callable[[ConfigEntryChange, ConfigEntry], None]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the action once for the whole integration."""
    async_setup_services(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SceneHttpRequestConfigEntry,
) -> bool:
    """Parse a profile and its saved requests, build its TLS contexts, index it.

    Corrupt data fails the entry. The options flow reloads the entry, so the
    contexts are rebuilt, and the certificates checked again, whenever the
    options change.
    """
    try:
        profile = profile_from_entry(
            entry.entry_id, entry.title, entry.data, entry.options
        )
        requests = parse_saved_requests(hass, entry.entry_id, entry.subentries.values())
        profile = await async_with_transport(
            hass, replace(profile, requests=requests), shared(hass).client
        )
    except (InvalidProfileError, TlsError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="invalid_profile",
            translation_placeholders={"field": str(err)},
        ) from None
    build_saved_requests(hass, profile)
    entry.runtime_data = profile
    entry.async_on_unload(partial(async_release, profile))
    index = shared(hass).index
    index.add(profile)
    entry.async_on_unload(partial(index.remove, entry.entry_id))
    await async_watch_certificates(hass, entry, profile.tls)
    async_migrate_profile_device(hass, entry)
    entry.async_on_unload(
        async_dispatcher_connect(
            hass, SIGNAL_CONFIG_ENTRY_CHANGED, _reload_on_subentry_change(hass, entry)
        )
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_start_polling(hass, entry)
    return True


def _subentries(entry: ConfigEntry) -> dict[str, ConfigSubentryDataWithId]:
    """Return a copy of the entry's subentries (ID, type, title and data)."""
    return {key: sub.as_dict() for key, sub in entry.subentries.items()}


def _reload_on_subentry_change(
    hass: HomeAssistant, entry: SceneHttpRequestConfigEntry
) -> _Listener:
    """Return a listener that reloads the profile when its saved requests change.

    An update listener would do, but the options flow reloads by itself
    (OptionsFlowWithReload), which refuses update listeners.
    """
    # Copies: Home Assistant updates a subentry in place (reconfigure).
    loaded = _subentries(entry)

    @callback
    def changed(change: ConfigEntryChange, changed_entry: ConfigEntry) -> None:
        nonlocal loaded
        if (
            change is ConfigEntryChange.UPDATED
            and changed_entry is entry
            and (now := _subentries(entry)) != loaded
        ):
            # Once: the unload of the reload signals a change of state too.
            loaded = now
            hass.config_entries.async_schedule_reload(entry.entry_id)

    return changed


async def async_unload_entry(
    hass: HomeAssistant,
    entry: SceneHttpRequestConfigEntry,
) -> bool:
    """Unload a profile's entities; its login session closes on unload."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
