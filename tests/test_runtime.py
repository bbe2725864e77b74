"""The profile index (runtime.py): profiles by origin, saved requests by key."""

from __future__ import annotations

from dataclasses import replace

from homeassistant.core import HomeAssistant
import pytest
from yarl import URL

from custom_components.scene_http_request.profile import Profile, profile_from_entry
from custom_components.scene_http_request.runtime import ProfileIndex, shared
from custom_components.scene_http_request.saved_request import saved_request_from_data

from .helpers import AddProfile, request_data, subentry


def _profile(base_url: str | None, title: str) -> Profile:
    data = {} if base_url is None else {"base_url": base_url}
    return profile_from_entry(title, title, data, {})


@pytest.fixture
def index() -> ProfileIndex:
    """Profiles on one host at several depths, another host and no base URL."""
    found = ProfileIndex()
    for base_url, title in (
        (None, "anywhere"),
        ("https://api.example.com/", "root"),
        ("https://api.example.com/v1/", "v1"),
        ("https://api.example.com/v1beta/", "v1beta"),
        ("https://api.example.com/v1/admin/", "admin"),
        ("https://other.example.com/", "other"),
    ):
        found.add(_profile(base_url, title))
    return found


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com/v1/users", "v1"),
        ("https://api.example.com/v1", "v1"),
        ("https://api.example.com/v1/admin", "admin"),
        ("https://api.example.com/v1/admin/x", "admin"),
        ("https://api.example.com/v1/administrator", "v1"),
        ("https://api.example.com/v1beta/x", "v1beta"),
        ("https://api.example.com/v10/x", "root"),
        ("https://api.example.com/", "root"),
        ("https://OTHER.example.com/x", "other"),
        ("https://api.example.com:443/v1/x", "v1"),
        ("http://api.example.com/v1/", None),
        ("https://api.example.com:8443/v1/", None),
        ("https://unknown.example.com/", None),
    ],
)
def test_match_longest_prefix(index: ProfileIndex, url: str, expected: str) -> None:
    """The longest base URL on a segment boundary wins."""
    match = index.match(URL(url))
    assert (match.title if match else None) == expected


def test_match_follows_add_and_remove(index: ProfileIndex) -> None:
    """A removed profile no longer matches; a profile added again replaces itself."""
    url = URL("https://api.example.com/v1/admin/x")
    index.remove("admin")
    assert index.match(url).title == "v1"  # type: ignore[union-attr]
    index.remove("admin")  # removing twice is harmless
    index.add(_profile("https://api.example.com/v1/admin/", "admin"))
    index.add(replace(_profile("https://api.example.com/v1/admin/", "admin")))
    assert index.match(url).title == "admin"  # type: ignore[union-attr]


def test_empty_index_matches_nothing() -> None:
    """No profile, or only profiles without a base URL, match nothing."""
    index = ProfileIndex()
    assert index.match(URL("https://x.com/")) is None
    index.add(_profile(None, "anywhere"))
    assert index.match(URL("https://x.com/")) is None


async def test_saved_requests_by_key(hass: HomeAssistant) -> None:
    """Saved requests are found by key, with every profile that has one."""
    index = ProfileIndex()
    for title in ("A", "B"):
        saved = saved_request_from_data(
            hass, title, f"sub-{title}", request_data("Left home", "/")
        )
        index.add(replace(_profile(None, title), requests={saved.key: saved}))
    assert [title for title, _ in index.saved("left_home")] == ["A", "B"]
    index.remove("A")
    assert [saved.subentry_id for _, saved in index.saved("left_home")] == ["sub-B"]
    assert index.saved("missing") == ()


async def test_setup_and_unload_keep_the_index(
    hass: HomeAssistant, add_profile: AddProfile
) -> None:
    """Setting a profile up indexes it with its saved requests; unloading drops it."""
    entry = await add_profile(
        "Hooks",
        "https://hooks.example.com/",
        subentry(request_data("Left home", "left"), "sub-1"),
    )
    index = shared(hass).index
    assert index.match(URL("https://hooks.example.com/x")) is entry.runtime_data
    assert [saved.subentry_id for _, saved in index.saved("left_home")] == ["sub-1"]
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert index.match(URL("https://hooks.example.com/x")) is None
    assert index.saved("left_home") == ()


BASES = [
    "https://api.example.com/",
    "https://api.example.com/v1/",
    "https://api.example.com/v1/admin/",
    "https://api.example.com/v1beta/",
    "https://api.example.com/a%2Fb/",
    "https://api.example.com:8443/v1/",
    "http://api.example.com/v1/",
    "http://127.0.0.1:8123/api/webhook/",
]
URLS = [
    "https://api.example.com",
    "https://api.example.com/v1",
    "https://api.example.com/v1/",
    "https://api.example.com/v1/users?page=2",
    "https://API.EXAMPLE.COM/v1/users",
    "https://api.example.com:443/v1/users",
    "https://api.example.com/v1/a/../b",
    "https://api.example.com/v1/../admin",
    "https://api.example.com/v1/%2e%2e/admin",
    "https://api.example.com/v10",
    "https://api.example.com/v1/admin",
    "https://api.example.com/v1/administrator/",
    "https://api.example.com/v1//admin/",
    "https://api.example.com/a%2Fb/c",
    "https://api.example.com/a/b/c",
    "https://api.example.com:8443/v1/x",
    "http://api.example.com/v1/x",
    "http://127.0.0.1:8123/api/webhook/left_home",
    "http://127.0.0.1:8123/api/webhooks",
    "http://localhost:8123/api/webhook/x",
]


def test_match_agrees_with_covers() -> None:
    """The index picks what the longest covering base URL would, for every pair."""
    profiles = [_profile(base, f"p{number}") for number, base in enumerate(BASES)]
    index = ProfileIndex()
    for profile in profiles:
        index.add(profile)
    for raw in URLS:
        url = URL(raw)
        covering = [profile for profile in profiles if profile.covers(url)]
        expected = max(
            covering,
            key=lambda profile: len(profile.base_url.raw_path),  # type: ignore[union-attr]
            default=None,
        )
        assert index.match(url) is expected, raw
