"""Unit tests for profiles and for the URL and header checks they rely on."""

from __future__ import annotations

from typing import Any

from homeassistant.exceptions import ServiceValidationError
import pytest
from yarl import URL

from custom_components.scene_http_request.const import MAX_RESPONSE_SIZE_LIMIT
from custom_components.scene_http_request.profile import (
    InvalidProfileError,
    Profile,
    ProfileIndex,
    match_profile,
    profile_from_entry,
    request_settings,
)
from custom_components.scene_http_request.validation import (
    checked_headers,
    header_value_to_str,
    is_header_name,
    is_header_value,
    normalize_base_url,
    origin_of,
    parse_http_url,
)

# ------------------------------------------------------------ normalize_base_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://API.Example.com", "https://api.example.com/"),
        ("HTTPS://X.COM/Path", "https://x.com/Path/"),
        ("HTTP://x.com:80/a", "http://x.com/a/"),
        ("https://x.com:443/v1", "https://x.com/v1/"),
        ("https://x.com:8443/v1/", "https://x.com:8443/v1/"),
        ("http://x.com:443/", "http://x.com:443/"),
        ("http://192.168.1.10:8080/api", "http://192.168.1.10:8080/api/"),
        ("http://[::1]:8123/", "http://[::1]:8123/"),
        ("http://[::1]:80/", "http://[::1]/"),
        ("https://x.com/a/./b/../c", "https://x.com/a/c/"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://x.com/a b", "https://x.com/a%20b/"),
        ("https://x.com/?", "https://x.com/"),
        ("https://x.com/#", "https://x.com/"),
    ],
)
def test_normalize_base_url(raw: str, expected: str) -> None:
    """Base URLs get a lower-case host, no default port and a trailing slash."""
    normalized = normalize_base_url(raw)
    assert str(normalized) == expected
    assert normalized.raw_path.endswith("/")
    # Normalizing is idempotent.
    assert normalize_base_url(str(normalized)) == normalized


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "invalid_url"),
        ("not a url", "invalid_url"),
        ("x.com/path", "invalid_url"),
        ("/relative/path", "invalid_url"),
        (" https://x.com/", "invalid_url"),
        ("https://x.com/\n", "invalid_url"),
        ("https://x.com/\ta", "invalid_url"),
        ("https://", "invalid_url"),
        ("https://exa mple.com/", "invalid_url"),
        ("https://exa\u00a0mple.com/", "invalid_url"),
        ("http://x.com:99999/", "invalid_url"),
        ("file:///etc/passwd", "invalid_url"),
        ("mailto:someone@example.com", "invalid_url"),
        ("ftp://files.example.com/", "unsupported_scheme"),
        ("ws://x.com/", "unsupported_scheme"),
        ("https://user@x.com/", "url_has_credentials"),
        ("https://user:pw@x.com/", "url_has_credentials"),
        ("https://:pw@x.com/", "url_has_credentials"),
        ("https://x.com/?a=1", "base_url_has_query"),
        ("https://x.com/#top", "base_url_has_query"),
    ],
)
def test_normalize_base_url_rejects(raw: str, reason: str) -> None:
    """Unusable base URLs raise ValueError carrying a translation key."""
    with pytest.raises(ValueError, match=f"^{reason}$"):
        normalize_base_url(raw)


def test_parse_http_url_and_origin() -> None:
    """Parsing refuses control characters; an origin ignores case and paths."""
    assert parse_http_url("https://x.com/a\r\nb") is None
    assert parse_http_url("https://x.com/\0") is None
    url = parse_http_url("HTTPS://X.com/a?b=1")
    assert url is not None
    assert origin_of(url) == ("https", "x.com", 443)
    assert origin_of(URL("http://x.com:8080/")) == ("http", "x.com", 8080)


# ------------------------------------------------------------------ header checks


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("X-Api-Key", True),
        ("Authorization", True),
        ("x_custom.header~1", True),
        ("!#$%&'*+-.^_`|~", True),
        ("", False),
        ("Bad Header", False),
        ("X-Api-Key:", False),
        ("X-Api-Key\n", False),
        ("X-Api-Key\r\n", False),
        ("\nX-Api-Key", False),
        ("Tête", False),
        ("X(1)", False),
    ],
)
def test_is_header_name(name: str, valid: bool) -> None:
    """Header names must be RFC 9110 tokens, with no trailing newline."""
    assert is_header_name(name) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("", True),
        ("Bearer abc", True),
        ("a; b=c, d", True),
        ("été", True),
        ("a\rb", False),
        ("a\nb", False),
        ("a\0b", False),
        ("abc\n", False),
    ],
)
def test_is_header_value(value: str, valid: bool) -> None:
    """Header values may hold anything but CR, LF and NUL."""
    assert is_header_value(value) is valid


@pytest.mark.parametrize(
    ("value", "text"),
    [("abc", "abc"), (12, "12"), (1.5, "1.5"), (True, "true"), (False, "false")],
)
def test_header_value_to_str(value: Any, text: str) -> None:
    """Text, numbers and booleans become header text."""
    assert header_value_to_str(value) == text


def test_header_value_to_str_rejects_other_types() -> None:
    """Lists, mappings and None are not header values."""
    for value in ([1], {"a": 1}, None):
        with pytest.raises(TypeError):
            header_value_to_str(value)


def test_checked_headers() -> None:
    """Valid headers come back as text; a bad one raises a translated error."""
    assert checked_headers({"X-A": 1, "X-B": True, "X-C": "c"}) == {
        "X-A": "1",
        "X-B": "true",
        "X-C": "c",
    }
    with pytest.raises(ServiceValidationError) as err:
        checked_headers({"Bad Name" * 20: "1"})
    assert err.value.translation_key == "invalid_header_name"
    assert err.value.translation_placeholders == {"name": ("Bad Name" * 20)[:64]}
    for value in (["list"], "a\r\nX-Evil: 1"):
        with pytest.raises(ServiceValidationError) as err:
            checked_headers({"X-A": value})
        assert err.value.translation_key == "invalid_header_value"
        assert err.value.translation_placeholders == {"name": "X-A"}


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
    assert profile.supplies_secrets


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
    assert not profile.supplies_secrets
    assert profile_from_entry("e", "Empty", {"base_url": ""}, {}).base_url is None


@pytest.mark.parametrize(
    ("auth", "supplies"),
    [
        ({"auth_type": "digest", "username": "u"}, True),
        ({"auth_type": "bearer", "token": "t"}, True),
        ({"headers": [{"name": "X-A", "value": "1"}]}, True),
        # Credentials of another auth type are ignored by the client.
        ({"auth_type": "none", "username": "u", "token": "t"}, False),
    ],
)
def test_supplies_secrets(auth: dict[str, Any], supplies: bool) -> None:
    """A profile supplies secrets when it adds headers or credentials."""
    profile = profile_from_entry("e", "t", {}, auth)
    assert profile.supplies_secrets is supplies


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


# ---------------------------------------------------------- covers / same_origin


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


def test_same_origin() -> None:
    """Same origin means same scheme, host (any case) and port; never without base."""
    profile = _profile("https://api.example.com/v1/")
    assert profile.same_origin(URL("https://api.example.com/elsewhere"))
    assert profile.same_origin(URL("https://API.example.com:443/"))
    assert not profile.same_origin(URL("http://api.example.com/v1/"))
    assert not profile.same_origin(URL("https://api.example.com:8443/v1/"))
    assert not profile.same_origin(URL("https://cdn.example.com/v1/"))
    assert not _profile(None).same_origin(URL("https://api.example.com/"))


# ------------------------------------------------------------------ match_profile


@pytest.fixture
def profiles() -> list[Profile]:
    """Profiles on one host at several depths, another host and no base URL."""
    return [
        _profile(None, "anywhere"),
        _profile("https://api.example.com/", "root"),
        _profile("https://api.example.com/v1/", "v1"),
        _profile("https://api.example.com/v1beta/", "v1beta"),
        _profile("https://api.example.com/v1/admin/", "admin"),
        _profile("https://other.example.com/", "other"),
    ]


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
        ("http://api.example.com/v1/", None),
        ("https://unknown.example.com/", None),
    ],
)
def test_match_profile_longest_prefix(
    profiles: list[Profile], url: str, expected: str | None
) -> None:
    """The longest base URL on a segment boundary wins, whatever the order."""
    for ordering in (profiles, list(reversed(profiles))):
        match = match_profile(ordering, URL(url))
        assert (match.title if match else None) == expected


def test_match_profile_without_profiles() -> None:
    """No profile, or only profiles without a base URL, match nothing."""
    assert match_profile([], URL("https://x.com/")) is None
    assert match_profile([_profile(None)], URL("https://x.com/")) is None


# ------------------------------------------------------------------ ProfileIndex


def _resolve_counting(calls: list[str]) -> Any:
    def resolve(raw: str) -> URL:
        calls.append(raw)
        return URL(raw)

    return resolve


def test_profile_index_caches_until_profiles_change() -> None:
    """A URL is matched once; adding or removing a profile matches it again."""
    index = ProfileIndex()
    calls: list[str] = []
    resolve = _resolve_counting(calls)
    url = "https://api.example.com/v1/items"
    assert index.match(url, resolve) == (URL(url), None)
    assert index.match(url, resolve) == (URL(url), None)
    assert calls == [url]
    api = _profile("https://api.example.com/v1/", "api")
    index.add(api)
    assert index.profiles == [api]
    assert index.match(url, resolve) == (URL(url), api)
    assert len(calls) == 2
    index.remove("api")
    index.remove("api")  # removing twice is harmless
    assert index.profiles == []
    assert index.match(url, resolve) == (URL(url), None)
    assert len(calls) == 3


def test_profile_index_does_not_cache_refusals() -> None:
    """A URL that resolve refuses is refused again on the next call."""
    index = ProfileIndex()
    calls: list[str] = []

    def refuse(raw: str) -> URL:
        calls.append(raw)
        raise ValueError(raw)

    for _ in range(2):
        with pytest.raises(ValueError, match="bad"):
            index.match("bad", refuse)
    assert calls == ["bad", "bad"]


def test_profile_index_cache_is_bounded() -> None:
    """Endless distinct URLs (a templated query) do not grow the cache forever."""
    index = ProfileIndex()
    resolve = _resolve_counting([])
    for number in range(1000):
        index.match(f"https://x.com/?n={number}", resolve)
    assert len(index._matches) <= 256


# ------------------------------------------------------------------ request_settings


def test_request_settings_call_then_profile_then_default() -> None:
    """The call's value wins, then the profile's, then the integration default."""
    assert request_settings(None) == (10.0, True, 1024 * 1024)
    bare = _profile("https://x.com/")
    assert request_settings(bare) == (10.0, True, 1024 * 1024)
    tuned = profile_from_entry(
        "t",
        "t",
        {"base_url": "https://x.com/"},
        {"timeout": 3, "verify_ssl": False, "max_response_size": 2048},
    )
    assert request_settings(tuned) == (3.0, False, 2048)
    assert request_settings(
        tuned, timeout=7.5, verify_ssl=True, max_response_size=99
    ) == (7.5, True, 99)
    assert request_settings(None, verify_ssl=False) == (10.0, False, 1024 * 1024)
