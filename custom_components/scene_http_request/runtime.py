"""What every profile shares: one HTTP client, and the index of loaded profiles.

The index holds configuration only (profiles and their saved requests, never call
input). It changes when a profile is set up or unloaded, so a call looks things up
instead of reading every profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey
from yarl import URL

from .client import HttpClient
from .const import DOMAIN
from .profile import Profile
from .saved_request import SavedRequest
from .url import Origin, in_scope, origin_of


class ProfileIndex:
    """The loaded profiles by origin, and their saved requests by key."""

    def __init__(self) -> None:
        """Start empty."""
        self._profiles: dict[str, Profile] = {}
        self._by_origin: dict[Origin, tuple[Profile, ...]] = {}
        self._by_key: dict[str, tuple[tuple[str, SavedRequest], ...]] = {}

    def add(self, profile: Profile) -> None:
        """Index a profile that was set up (again)."""
        self._profiles[profile.entry_id] = profile
        self._rebuild()

    def remove(self, entry_id: str) -> None:
        """Drop a profile that was unloaded."""
        if self._profiles.pop(entry_id, None) is not None:
            self._rebuild()

    def _rebuild(self) -> None:
        """Group the profiles by origin, the longest base path first."""
        by_origin: dict[Origin, list[Profile]] = {}
        by_key: dict[str, list[tuple[str, SavedRequest]]] = {}
        for profile in self._profiles.values():
            if profile.base_url is not None:
                by_origin.setdefault(origin_of(profile.base_url), []).append(profile)
            for key, saved in profile.requests.items():
                by_key.setdefault(key, []).append((profile.title, saved))
        self._by_origin = {
            origin: tuple(sorted(group, key=_base_path_length, reverse=True))
            for origin, group in by_origin.items()
        }
        self._by_key = {key: tuple(found) for key, found in by_key.items()}

    def match(self, url: URL) -> Profile | None:
        """Return the profile whose base URL is the longest prefix of url, if any."""
        for profile in self._by_origin.get(origin_of(url), ()):
            if profile.base_url is not None and in_scope(url, profile.base_url):
                return profile
        return None

    def saved(self, key: str) -> tuple[tuple[str, SavedRequest], ...]:
        """Return the saved requests called key, with their profiles' titles."""
        return self._by_key.get(key, ())


def _base_path_length(profile: Profile) -> int:
    return len(profile.base_url.raw_path) if profile.base_url is not None else -1


@dataclass(slots=True)
class Shared:
    """The client and the index, one of each per Home Assistant."""

    client: HttpClient
    index: ProfileIndex = field(default_factory=ProfileIndex)


DATA_SHARED: HassKey[Shared] = HassKey(DOMAIN)


def shared(hass: HomeAssistant) -> Shared:
    """Return the shared client and index, made on first use.

    The flows may run before any profile is set up, so anyone may make them.
    """
    if (found := hass.data.get(DATA_SHARED)) is None:
        found = hass.data[DATA_SHARED] = Shared(
            HttpClient(async_get_clientsession(hass))
        )
    return found
