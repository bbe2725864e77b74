"""Call data to request (request.py): one precedence rule, and saved headers."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.scene_http_request.profile import Profile, profile_from_entry
from custom_components.scene_http_request.request import prepare
from custom_components.scene_http_request.saved_request import (
    SavedRequest,
    saved_request_from_data,
)
from custom_components.scene_http_request.services import SEND_SCHEMA

from .helpers import AddProfile, request_data, subentry

BASE = "https://x.com/"


def _profile(**options: Any) -> Profile:
    return profile_from_entry("p", "p", {"base_url": BASE}, options)


def _saved(hass: HomeAssistant, **fields: Any) -> SavedRequest:
    return saved_request_from_data(hass, "p", "s", request_data("r", "a", **fields))


def _limits(request: Any) -> tuple[float, bool, int, int, bool]:
    return (
        request.timeout,
        request.verify_ssl,
        request.max_response_size,
        request.retries,
        request.allow_redirects,
    )


async def test_call_then_profile_then_default(hass: HomeAssistant) -> None:
    """The call's value wins, then the profile's, then the integration default."""
    call = SEND_SCHEMA({"url": f"{BASE}a"})
    assert _limits(prepare(hass, call).request) == (10.0, True, 1048576, 0, True)
    bare = _profile()
    assert _limits(prepare(hass, call, profile=bare).request)[:3] == (
        10.0,
        True,
        1048576,
    )
    tuned = _profile(timeout=3, verify_ssl=False, max_response_size=2048)
    assert _limits(prepare(hass, call, profile=tuned).request)[:3] == (3.0, False, 2048)
    given = SEND_SCHEMA(
        {
            "url": f"{BASE}a",
            "timeout": 7.5,
            "verify_ssl": True,
            "max_response_size": 99,
            "retries": 2,
            "allow_redirects": False,
        }
    )
    assert _limits(prepare(hass, given, profile=tuned).request) == (
        7.5,
        True,
        99,
        2,
        False,
    )


async def test_saved_request_between_call_and_profile(hass: HomeAssistant) -> None:
    """A saved value wins over the profile's; a call's value wins over the saved."""
    tuned = _profile(timeout=3)
    saved = _saved(hass, timeout=5.0, retries=1, fail_on_http_error=False)
    prepared = prepare(hass, {}, saved, profile=tuned)
    assert prepared.request.timeout == 5.0
    assert prepared.request.retries == 1
    assert prepared.fail_on_http_error is False
    prepared = prepare(
        hass, {"timeout": 8.0, "fail_on_http_error": True}, saved, profile=tuned
    )
    assert prepared.request.timeout == 8.0
    assert prepared.request.retries == 1
    assert prepared.fail_on_http_error is True
    assert prepare(hass, {}, _saved(hass), profile=tuned).request.timeout == 3.0


async def test_saved_headers_are_bound_to_the_origin(hass: HomeAssistant) -> None:
    """Saved headers go with the profile's, replacing one of the same name."""
    profile = _profile(
        auth_type="bearer",
        token="tok",
        headers=[{"name": "X-Key", "value": "profile"}],
    )
    saved = _saved(
        hass,
        headers=[
            {"name": "x-key", "value": "saved-{{ 1 + 1 }}"},
            {"name": "X-Other", "value": "o"},
        ],
    )
    request = prepare(hass, {"headers": {"X-Call": "c"}}, saved, profile=profile)
    assert request.request.scoped_headers == (
        ("Authorization", "Bearer tok"),
        ("x-key", "saved-2"),
        ("X-Other", "o"),
    )
    assert dict(request.request.headers) == {"X-Call": "c"}


@pytest.mark.parametrize(
    ("call_headers", "profile_headers", "expected"),
    [
        ({}, [], "application/json"),
        ({}, [{"name": "Content-Type", "value": "text/csv"}], "text/saved"),
        ({"content-type": "text/call"}, [], None),
    ],
)
async def test_body_content_type_order(
    hass: HomeAssistant,
    call_headers: dict[str, str],
    profile_headers: list[dict[str, str]],
    expected: str | None,
) -> None:
    """The call's Content-Type, else the saved one, else the profile's, else JSON's."""
    fields: dict[str, Any] = {"body_type": "json", "body": "{}"}
    if expected == "text/saved":
        fields["headers"] = [{"name": "Content-Type", "value": "text/saved"}]
    saved = _saved(hass, **fields)
    profile = _profile(headers=profile_headers)
    request = prepare(hass, {"headers": call_headers}, saved, profile=profile).request
    if expected is None:
        assert dict(request.headers) == call_headers
    else:
        assert request.headers["Content-Type"] == expected


async def test_a_saved_request_without_templates_is_built_at_setup(
    hass: HomeAssistant, add_profile: AddProfile
) -> None:
    """A plain send of it is the request built at setup; anything else builds anew.

    A templated saved request, a call that gives a field, and a copy of the saved
    request (a flow's) are built on each call; a plain one once, for every caller.
    """
    entry = await add_profile(
        "P",
        BASE,
        subentry(
            request_data("Static", "a", params=[{"name": "q", "value": "1"}]), "s1"
        ),
        subentry(request_data("Templated", "b/{{ 1 + 1 }}"), "s2"),
        timeout=4,
    )
    profile: Profile = entry.runtime_data
    static, templated = profile.requests["static"], profile.requests["templated"]
    assert set(profile.built) == {"s1"}
    built = prepare(hass, {}, static)
    assert built.request is profile.built["s1"].request
    again = prepare(hass, {"request": "Static", "variables": {"x": 1}}, static)
    assert again == built
    assert again.request is built.request
    assert str(built.request.url) == f"{BASE}a?q=1"
    assert (built.request.timeout, built.profile) == (4.0, profile)
    given = prepare(hass, {"timeout": 9.0}, static)
    assert given.request is not built.request
    assert (given.request.timeout, given.request.url) == (9.0, built.request.url)
    copy = saved_request_from_data(hass, entry.entry_id, "s1", request_data("S", "c"))
    assert str(prepare(hass, {}, copy).request.url) == f"{BASE}c"
    first, second = prepare(hass, {}, templated), prepare(hass, {}, templated)
    assert first.request is not second.request
    assert str(first.request.url) == f"{BASE}b/2"


async def test_a_saved_request_that_cannot_be_built_fails_on_each_call(
    hass: HomeAssistant, add_profile: AddProfile
) -> None:
    """Stored outside its profile's base URL, it is not built; calls are refused."""
    entry = await add_profile(
        "P", BASE, subentry(request_data("Away", "https://y.com/a"), "s1")
    )
    profile: Profile = entry.runtime_data
    assert profile.built == {}
    for _ in range(2):
        with pytest.raises(ServiceValidationError) as raised:
            prepare(hass, {}, profile.requests["away"])
        assert raised.value.translation_key == "url_outside_profile"
