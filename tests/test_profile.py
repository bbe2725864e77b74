"""Unit tests for profiles (profile.py)."""

from __future__ import annotations

from typing import Any

import pytest
from yarl import URL

from custom_components.scene_http_request.const import MAX_RESPONSE_SIZE_LIMIT
from custom_components.scene_http_request.profile import (
    InvalidProfileError,
    Profile,
    profile_from_entry,
)

# ------------------------------------------------------------- profile_from_entry


def test_profile_from_entry_full() -> None:
    """Every stored setting is parsed into the profile."""
    profile = profile_from_entry(
        "entry-1",
        "Example",
        {"name": "Example", "base_url": "https://API.example.com/v1"},
        {
            "headers": [
                {"name": "X-Api-Key", "value": "k"},
                {"name": "Accept", "value": ""},
            ],
            "auth_type": "basic",
            "username": "alice",
            "password": "",
            "timeout": 5,
            "verify_ssl": False,
            "max_response_size": 2048.0,
        },
    )
    assert profile == Profile(
        entry_id="entry-1",
        title="Example",
        base_url=URL("https://api.example.com/v1/"),
        headers=(("X-Api-Key", "k"), ("Accept", "")),
        auth_type="basic",
        username="alice",
        password="",
        timeout=5.0,
        verify_ssl=False,
        max_response_size=2048,
    )
    assert isinstance(profile.timeout, float)
    assert isinstance(profile.max_response_size, int)


def test_profile_from_entry_defaults() -> None:
    """Empty or absent options give a profile that adds nothing."""
    profile = profile_from_entry(
        "e", "Bare", {"name": "Bare"}, {"headers": None, "auth_type": None}
    )
    assert profile.base_url is None
    assert profile.headers == ()
    assert profile.auth_type == "none"
    assert profile.timeout is None
    assert profile.verify_ssl is None
    assert profile.max_response_size is None
    assert profile.scoped_headers == ()
    assert profile.digest_auth is None
    assert profile_from_entry("e", "Empty", {"base_url": ""}, {}).base_url is None


@pytest.mark.parametrize(
    ("options", "scoped", "digest"),
    [
        ({"auth_type": "digest", "username": "u", "password": "p"}, (), ("u", "p")),
        (
            {"auth_type": "bearer", "token": "t"},
            (("Authorization", "Bearer t"),),
            None,
        ),
        (
            {"auth_type": "basic", "username": "u", "password": "p"},
            (("Authorization", "Basic dTpw"),),
            None,
        ),
        ({"headers": [{"name": "X-A", "value": "1"}]}, (("X-A", "1"),), None),
        # Credentials of another auth type are ignored.
        ({"auth_type": "none", "username": "u", "token": "t"}, (), None),
    ],
)
def test_credentials(
    options: dict[str, Any],
    scoped: tuple[tuple[str, str], ...],
    digest: tuple[str, str] | None,
) -> None:
    """A profile's headers and credentials become scoped headers or digest auth."""
    profile = profile_from_entry("e", "t", {}, options)
    assert profile.scoped_headers == scoped
    assert profile.digest_auth == digest


def test_header_lookup_ignores_case() -> None:
    """The profile's Content-Type is found whatever its case."""
    profile = profile_from_entry(
        "e", "t", {}, {"headers": [{"name": "content-TYPE", "value": "text/csv"}]}
    )
    assert profile.content_type == "text/csv"


class _Unprintable:
    """A stored value that cannot be turned into text."""

    def __str__(self) -> str:
        raise ValueError


@pytest.mark.parametrize(
    ("data", "options", "field"),
    [
        ({"base_url": "ftp://x.com/"}, {}, "base_url"),
        ({"base_url": "https://u:p@x.com/"}, {}, "base_url"),
        ({"base_url": 42}, {}, "base_url"),
        ({}, {"headers": 5}, "headers"),
        ({}, {"headers": "X-A: 1"}, "headers"),
        ({}, {"headers": {"name": "X-A", "value": "1"}}, "headers"),
        ({}, {"headers": ["X-A: 1"]}, "headers"),
        ({}, {"headers": [{"name": "X-A"}]}, "headers"),
        ({}, {"headers": [{"value": "1"}]}, "headers"),
        ({}, {"headers": [{"name": 1, "value": "1"}]}, "headers"),
        ({}, {"headers": [{"name": "X-A", "value": 1}]}, "headers"),
        ({}, {"headers": [{"name": "Bad Name", "value": "1"}]}, "headers"),
        ({}, {"headers": [{"name": "X-A\n", "value": "1"}]}, "headers"),
        ({}, {"headers": [{"name": "X-A", "value": "1\r\nX-B: 2"}]}, "headers"),
        ({}, {"auth_type": "kerberos"}, "auth_type"),
        ({}, {"auth_type": 1}, "auth_type"),
        ({}, {"auth_type": "basic"}, "username"),
        ({}, {"auth_type": "digest", "password": "p"}, "username"),
        ({}, {"auth_type": "basic", "username": "a:b"}, "username"),
        ({}, {"auth_type": "digest", "username": "a\nb"}, "username"),
        ({}, {"auth_type": "bearer"}, "token"),
        ({}, {"auth_type": "bearer", "token": "a\r\nb"}, "token"),
        ({}, {"timeout": 0}, "timeout"),
        ({}, {"timeout": 0.05}, "timeout"),
        ({}, {"timeout": 300.5}, "timeout"),
        ({}, {"timeout": float("nan")}, "timeout"),
        ({}, {"timeout": "10"}, "timeout"),
        ({}, {"timeout": True}, "timeout"),
        ({}, {"max_response_size": 0}, "max_response_size"),
        ({}, {"max_response_size": MAX_RESPONSE_SIZE_LIMIT + 1}, "max_response_size"),
        ({}, {"max_response_size": "1024"}, "max_response_size"),
        ({}, {"max_response_size": False}, "max_response_size"),
        ({}, {"verify_ssl": "yes"}, "verify_ssl"),
        ({}, {"verify_ssl": 1}, "verify_ssl"),
    ],
)
def test_profile_from_entry_rejects(
    data: dict[str, Any], options: dict[str, Any], field: str
) -> None:
    """Corrupt stored data raises InvalidProfileError naming the field."""
    with pytest.raises(InvalidProfileError) as err:
        profile_from_entry("e", "t", data, options)
    assert str(err.value) == field


def test_profile_from_entry_lists_every_error() -> None:
    """The error names the first field and maps each field to its form error."""
    with pytest.raises(InvalidProfileError) as err:
        profile_from_entry(
            "e",
            "t",
            {"base_url": "https://u:p@x.com/"},
            {
                "headers": [{"name": "Bad Name", "value": "1"}],
                "auth_type": "oauth2_client_credentials",
                "token_url": "ftp://x",
                "scope": "\ud800",
                "ca_pem": "x" * (256 * 1024 + 1),
                "client_cert_pem": "x" * (256 * 1024),
                "proxy_url": "http://proxy.lan/path",
                "proxy_username": "a:b",
                "proxy_password": "\ud800",
            },
        )
    assert str(err.value) == "base_url"
    assert err.value.key == "url_has_credentials"
    assert err.value.errors == {
        "base_url": "url_has_credentials",
        "headers": "invalid_header",
        "token_url": "invalid_token_url",
        "client_id": "client_id_required",
        "client_secret": "client_secret_required",
        "scope": "invalid_text",
        "ca_pem": "pem_too_large",
        "proxy_url": "invalid_proxy_url",
        "proxy_username": "invalid_proxy_username",
        "proxy_password": "invalid_text",
    }


def test_profile_from_entry_unexpected_value() -> None:
    """A value that fails in an unforeseen way is still an InvalidProfileError."""
    with pytest.raises(InvalidProfileError):
        profile_from_entry("e", "t", {}, {"username": _Unprintable()})


def test_profile_limits_are_inclusive() -> None:
    """The timeout and size bounds themselves are accepted."""
    low = profile_from_entry("e", "t", {}, {"timeout": 0.1, "max_response_size": 1})
    assert (low.timeout, low.max_response_size) == (0.1, 1)
    high = profile_from_entry(
        "e", "t", {}, {"timeout": 300, "max_response_size": MAX_RESPONSE_SIZE_LIMIT}
    )
    assert (high.timeout, high.max_response_size) == (300.0, MAX_RESPONSE_SIZE_LIMIT)


# ------------------------------------------------------------------------ covers


def _profile(base_url: str | None, title: str = "p") -> Profile:
    data = {} if base_url is None else {"base_url": base_url}
    return profile_from_entry(title, title, data, {})


@pytest.mark.parametrize(
    ("url", "covered"),
    [
        ("https://api.example.com/v1", True),
        ("https://api.example.com/v1/", True),
        ("https://api.example.com/v1/users?page=2", True),
        ("https://API.EXAMPLE.COM/v1/users", True),
        ("https://api.example.com:443/v1/users", True),
        ("https://api.example.com/v1/a/../b", True),
        ("https://api.example.com/v10", False),
        ("https://api.example.com/v1beta/", False),
        ("https://api.example.com/v", False),
        ("https://api.example.com/", False),
        ("https://api.example.com", False),
        ("https://api.example.com/V1/", False),
        ("https://api.example.com/v1/../admin", False),
        ("https://api.example.com/v1/%2e%2e/admin", False),
        ("http://api.example.com/v1/", False),
        ("https://api.example.com:8443/v1/", False),
        ("https://other.example.com/v1/", False),
        ("https://api.example.com.evil.test/v1/", False),
    ],
)
def test_covers(url: str, covered: bool) -> None:
    """A base URL covers its own path and what lies under it, per segment."""
    assert _profile("https://api.example.com/v1/").covers(URL(url)) is covered


def test_covers_root_and_no_base_url() -> None:
    """A root base URL covers its whole origin; no base URL covers anything."""
    root = _profile("https://x.com")
    assert root.covers(URL("https://x.com"))
    assert root.covers(URL("https://x.com/any/path"))
    assert not root.covers(URL("https://y.com/"))
    anywhere = _profile(None)
    assert anywhere.covers(URL("https://x.com/"))
    assert anywhere.covers(URL("http://10.0.0.1:8080/a"))
