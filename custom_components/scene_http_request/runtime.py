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
from .url import Origin, origin_of


class ProfileIndex:
    """The loaded profiles by base URL, and their saved requests by key."""

    def __init__(self) -> None:
        """Start empty."""
        self._profiles: dict[str, Profile] = {}
        self._by_base: dict[tuple[Origin, str], Profile] = {}
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
        """Key the profiles by origin and base path, the requests by key.

        Two profiles can't share a base URL (the config flow refuses it); should
        stored data have it anyway, the one set up last wins.
        """
        by_key: dict[str, list[tuple[str, SavedRequest]]] = {}
        self._by_base = {}
        for profile in self._profiles.values():
            if (base := profile.base_url) is not None:
                self._by_base[origin_of(base), base.raw_path] = profile
            for key, saved in profile.requests.items():
                by_key.setdefault(key, []).append((profile.title, saved))
        self._by_key = {key: tuple(found) for key, found in by_key.items()}

    def match(self, url: URL) -> Profile | None:
        """Return the profile whose base URL is the longest prefix of url, if any.

        A base path ends in "/", and covers whole segments (url.in_scope): the
        candidates are the URL's path up to each "/", the longest first, and the
        path itself with a "/" added.
        """
        if not self._by_base:
            return None
        origin = origin_of(url)
        path = url.raw_path or "/"
        candidate = path if path.endswith("/") else path + "/"
        while True:
            if (profile := self._by_base.get((origin, candidate))) is not None:
                return profile
            if candidate == "/":
                return None
            candidate = candidate[: candidate.rindex("/", 0, -1) + 1]

    def saved(self, key: str) -> tuple[tuple[str, SavedRequest], ...]:
        """Return the saved requests called key, with their profiles' titles."""
        return self._by_key.get(key, ())


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
