"""Call data to request (request.py): one precedence rule, and saved headers."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.scene_http_request.profile import Profile, profile_from_entry
from custom_components.scene_http_request.request import prepare
from custom_components.scene_http_request.saved_request import (
    SavedRequest,
    saved_request_from_data,
)
from custom_components.scene_http_request.services import SEND_SCHEMA

from .helpers import request_data

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
