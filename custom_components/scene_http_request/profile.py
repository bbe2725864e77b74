"""Profiles: the defaults a config entry holds for one remote API."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.util.hass_dict import HassKey
from yarl import URL

from .const import (
    AUTH_BASIC,
    AUTH_BEARER,
    AUTH_DIGEST,
    AUTH_NONE,
    AUTH_TYPES,
    CONF_AUTH_TYPE,
    CONF_BASE_URL,
    CONF_HEADER_NAME,
    CONF_HEADER_VALUE,
    CONF_HEADERS,
    CONF_MAX_RESPONSE_SIZE,
    CONF_PASSWORD,
    CONF_TIMEOUT,
    CONF_TOKEN,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
    DEFAULT_VERIFY_SSL,
    DOMAIN,
    MAX_RESPONSE_SIZE_LIMIT,
    MAX_TIMEOUT,
    MIN_TIMEOUT,
)
from .validation import (
    is_allowed_header,
    is_header_value,
    normalize_base_url,
    origin_of,
)

type SceneHttpRequestConfigEntry = ConfigEntry["Profile"]


class InvalidProfileError(ValueError):
    """Stored profile data that cannot be used."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """A profile's defaults, parsed once when its config entry is set up."""

    entry_id: str
    title: str
    base_url: URL | None = None
    headers: tuple[tuple[str, str], ...] = ()
    auth_type: str = AUTH_NONE
    username: str = ""
    password: str = ""
    token: str = ""
    timeout: float | None = None
    verify_ssl: bool | None = None
    max_response_size: int | None = None
    base_origin: tuple[str, str, int | None] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    # Whether the profile adds headers or credentials to a request.
    supplies_secrets: bool = field(default=False, init=False, repr=False, compare=False)

    # Whether one of the profile's headers is a Content-Type.
    sets_content_type: bool = field(
        default=False, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Compute once what every request asks of the profile."""
        origin = None if self.base_url is None else origin_of(self.base_url)
        object.__setattr__(self, "base_origin", origin)
        secrets = bool(self.headers) or self.auth_type != AUTH_NONE
        object.__setattr__(self, "supplies_secrets", secrets)
        content_type = any(name.lower() == "content-type" for name, _ in self.headers)
        object.__setattr__(self, "sets_content_type", content_type)

    def covers(self, url: URL) -> bool:
        """Return whether an absolute URL lies inside the base URL."""
        if self.base_url is None:
            return True
        if origin_of(url) != self.base_origin:
            return False
        path = url.raw_path or "/"
        base_path = self.base_url.raw_path
        return path == base_path.rstrip("/") or path.startswith(base_path)

    def same_origin(self, url: URL) -> bool:
        """Return whether url has the base URL's origin (always false without one)."""
        return self.base_url is not None and origin_of(url) == self.base_origin


def profile_from_entry(
    entry_id: str, title: str, data: Mapping[str, Any], options: Mapping[str, Any]
) -> Profile:
    """Build a Profile from stored entry data, or raise InvalidProfileError."""
    try:
        base_url = _stored_base_url(data.get(CONF_BASE_URL))
        headers = _stored_headers(options.get(CONF_HEADERS))
        auth_type, username, password, token = _stored_credentials(options)
        timeout = _optional_number(options, CONF_TIMEOUT, MIN_TIMEOUT, MAX_TIMEOUT)
        size = _optional_number(
            options, CONF_MAX_RESPONSE_SIZE, 1, MAX_RESPONSE_SIZE_LIMIT
        )
        verify_ssl = options.get(CONF_VERIFY_SSL)
        if verify_ssl is not None and not isinstance(verify_ssl, bool):
            raise InvalidProfileError(CONF_VERIFY_SSL)
    except (TypeError, ValueError, AttributeError) as err:
        if isinstance(err, InvalidProfileError):
            raise
        raise InvalidProfileError(str(err)) from None
    return Profile(
        entry_id=entry_id,
        title=title,
        base_url=base_url,
        headers=headers,
        auth_type=auth_type,
        username=username,
        password=password,
        token=token,
        timeout=None if timeout is None else float(timeout),
        verify_ssl=verify_ssl,
        max_response_size=None if size is None else int(size),
    )


def _stored_base_url(raw: Any) -> URL | None:
    if not raw:
        return None
    try:
        return normalize_base_url(str(raw))
    except ValueError:
        raise InvalidProfileError(CONF_BASE_URL) from None


def _stored_credentials(options: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """Return auth type, username, password and token, checked together."""
    auth_type = str(options.get(CONF_AUTH_TYPE) or AUTH_NONE)
    if auth_type not in AUTH_TYPES:
        raise InvalidProfileError(CONF_AUTH_TYPE)
    username = str(options.get(CONF_USERNAME) or "")
    password = str(options.get(CONF_PASSWORD) or "")
    token = str(options.get(CONF_TOKEN) or "")
    if auth_type in (AUTH_BASIC, AUTH_DIGEST) and not username:
        raise InvalidProfileError(CONF_USERNAME)
    if ":" in username or not is_header_value(username):
        raise InvalidProfileError(CONF_USERNAME)
    if auth_type == AUTH_BEARER and not token:
        raise InvalidProfileError(CONF_TOKEN)
    if not is_header_value(token):
        raise InvalidProfileError(CONF_TOKEN)
    return auth_type, username, password, token


def _stored_headers(raw: Any) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        raise InvalidProfileError(CONF_HEADERS)
    return tuple(_stored_header(item) for item in raw)


def _stored_header(item: Any) -> tuple[str, str]:
    if not isinstance(item, Mapping):
        raise InvalidProfileError(CONF_HEADERS)
    name = item.get(CONF_HEADER_NAME)
    value = item.get(CONF_HEADER_VALUE)
    if not isinstance(name, str) or not isinstance(value, str):
        raise InvalidProfileError(CONF_HEADERS)
    if not is_allowed_header(name, value):
        raise InvalidProfileError(CONF_HEADERS)
    return (name, value)


def _optional_number(
    options: Mapping[str, Any], key: str, low: float, high: float
) -> float | None:
    value = options.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidProfileError(key)
    if not low <= value <= high:
        raise InvalidProfileError(key)
    return value


def request_settings(
    profile: Profile | None,
    *,
    timeout: float | None = None,
    verify_ssl: bool | None = None,
    max_response_size: int | None = None,
) -> tuple[float, bool, int]:
    """Return timeout, TLS check and size limit: the call's, else the profile's.

    What neither sets falls back to the integration's defaults.
    """
    if profile is not None:
        timeout = profile.timeout if timeout is None else timeout
        verify_ssl = profile.verify_ssl if verify_ssl is None else verify_ssl
        if max_response_size is None:
            max_response_size = profile.max_response_size
    return (
        DEFAULT_TIMEOUT if timeout is None else timeout,
        DEFAULT_VERIFY_SSL if verify_ssl is None else verify_ssl,
        DEFAULT_MAX_RESPONSE_SIZE if max_response_size is None else max_response_size,
    )


def match_profile(profiles: Iterable[Profile], url: URL) -> Profile | None:
    """Return the profile whose base URL is the longest prefix of url, if any."""
    best: Profile | None = None
    for profile in profiles:
        if profile.base_url is None or not profile.covers(url):
            continue
        if best is None or len(profile.base_url.raw_path) > len(
            best.base_url.raw_path  # type: ignore[union-attr]
        ):
            best = profile
    return best


_MATCH_CACHE_SIZE: Final = 256
DATA_PROFILES: Final[HassKey[ProfileIndex]] = HassKey(f"{DOMAIN}_profiles")


class ProfileIndex:
    """The loaded profiles, and which one covers each URL the action was given.

    Automations call the same few URLs again and again: a URL is resolved and
    matched once, until a profile is added or removed.
    """

    __slots__ = ("_matches", "_profiles")

    def __init__(self) -> None:
        """Start with no profile."""
        self._profiles: dict[str, Profile] = {}
        self._matches: dict[str, tuple[URL, Profile | None]] = {}

    @property
    def profiles(self) -> list[Profile]:
        """Return the loaded profiles."""
        return list(self._profiles.values())

    def add(self, profile: Profile) -> None:
        """Add (or replace) a loaded profile."""
        self._profiles[profile.entry_id] = profile
        self._matches.clear()

    def remove(self, entry_id: str) -> None:
        """Forget an unloaded profile."""
        self._profiles.pop(entry_id, None)
        self._matches.clear()

    def match(
        self, raw_url: str, resolve: Callable[[str], URL]
    ) -> tuple[URL, Profile | None]:
        """Return resolve(raw_url) and the profile covering it, if any.

        resolve raises for a URL it refuses; refusals are not cached.
        """
        if (known := self._matches.get(raw_url)) is not None:
            return known
        url = resolve(raw_url)
        known = (url, match_profile(self._profiles.values(), url))
        if len(self._matches) >= _MATCH_CACHE_SIZE:
            self._matches.clear()
        self._matches[raw_url] = known
        return known
