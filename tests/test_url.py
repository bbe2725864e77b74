"""Unit tests for the URL rules (url.py)."""

from __future__ import annotations

import pytest
from yarl import URL

from custom_components.scene_http_request.url import (
    UrlError,
    host_for_messages,
    in_scope,
    normalize_base_url,
    origin_of,
    parse_url,
    redirect_target,
    resolve_url,
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
    """Unusable base URLs raise UrlError carrying a translation key."""
    with pytest.raises(UrlError, match=f"^{reason}$") as err:
        normalize_base_url(raw)
    assert err.value.key == reason


def test_parse_url_and_origin() -> None:
    """Parsing refuses control characters; an origin ignores case and paths."""
    for raw in ("https://x.com/a\r\nb", "https://x.com/\0", "https://x.com/\ud800"):
        with pytest.raises(UrlError, match=r"^invalid_url$"):
            parse_url(raw)
    url = parse_url("HTTPS://X.com/a?b=1")
    assert origin_of(url) == ("https", "x.com", 443)
    assert origin_of(URL("http://x.com:8080/")) == ("http", "x.com", 8080)


@pytest.mark.parametrize(
    ("raw", "base", "expected"),
    [
        ("https://x.com/a", None, "https://x.com/a"),
        ("items/3", "https://x.com/v1/", "https://x.com/v1/items/3"),
        ("/root", "https://x.com/v1/", "https://x.com/root"),
        ("?q=1", "https://x.com/v1/", "https://x.com/v1/?q=1"),
        ("https://other.com/", "https://x.com/v1/", "https://other.com/"),
    ],
)
def test_resolve_url(raw: str, base: str | None, expected: str) -> None:
    """Relative URLs join the base URL; absolute ones stand alone."""
    assert str(resolve_url(raw, URL(base) if base else None)) == expected


@pytest.mark.parametrize(
    ("raw", "base", "key", "placeholders"),
    [
        ("items/3", None, "relative_url_without_base", {}),
        ("//host/path", "https://x.com/", "invalid_url", {}),
        ("ftp://x.com/", None, "unsupported_scheme", {"scheme": "ftp"}),
        ("https://u:p@x.com/", None, "url_has_credentials", {}),
        ("https://u@x.com/", None, "url_has_credentials", {}),
        ("http:///path", None, "invalid_url", {}),
        ("https://x.com:99999/", None, "invalid_url", {}),
        (" https://x.com/", None, "invalid_url", {}),
    ],
)
def test_resolve_url_rejects(
    raw: str, base: str | None, key: str, placeholders: dict[str, str]
) -> None:
    """Each broken rule is a translation key with its placeholders."""
    with pytest.raises(UrlError) as err:
        resolve_url(raw, URL(base) if base else None)
    assert err.value.key == key
    assert err.value.placeholders == placeholders


@pytest.mark.parametrize(
    ("url", "base", "inside"),
    [
        ("https://x.com/v1/", "https://x.com/v1/", True),
        ("https://x.com/v1", "https://x.com/v1/", True),
        ("https://x.com/v1/items?a=1", "https://x.com/v1/", True),
        ("https://X.COM:443/v1/a", "https://x.com/v1/", True),
        ("https://x.com/v10", "https://x.com/v1/", False),
        ("https://x.com/", "https://x.com/v1/", False),
        ("http://x.com/v1/", "https://x.com/v1/", False),
        ("https://x.com:8443/v1/", "https://x.com/v1/", False),
        ("https://y.com/v1/", "https://x.com/v1/", False),
        ("https://x.com/anything", "https://x.com/", True),
    ],
)
def test_in_scope(url: str, base: str, inside: bool) -> None:
    """A URL is in scope on the same origin, under whole path segments."""
    assert in_scope(URL(url), URL(base)) is inside


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://example.com/a?b=c", "example.com"),
        ("http://example.com:80/", "example.com"),
        ("https://example.com:8443/", "example.com:8443"),
        ("http://[::1]:8123/path", "[::1]:8123"),
        ("http://[::1]/", "[::1]"),
    ],
)
def test_host_for_messages(url: str, host: str) -> None:
    """Messages name the host and a non-default port, never the path."""
    assert host_for_messages(URL(url)) == host


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/next", "https://x.com/next"),
        ("other", "https://x.com/a/other"),
        ("http://y.com:8080/z", "http://y.com:8080/z"),
        ("//cdn.x.com/f", "https://cdn.x.com/f"),
    ],
)
def test_redirect_target(location: str, expected: str) -> None:
    """A Location resolves against the current URL."""
    assert str(redirect_target(URL("https://x.com/a/b"), location)) == expected


@pytest.mark.parametrize(
    "location",
    [
        "ftp://x.com/",
        "javascript:alert(1)",
        "https://user:pw@x.com/",
        "http://x.com:99999/",
        "http://[::1/",
        "http:///nohost",
        "/\u00e9?q=\udcff",  # bytes that are not UTF-8, as aiohttp hands them over
        "/a\r\nb",
    ],
)
def test_redirect_target_rejects(location: str) -> None:
    """Anything but a plain http(s) URL is invalid_redirect."""
    with pytest.raises(UrlError, match=r"^invalid_redirect$"):
        redirect_target(URL("https://x.com/a"), location)
