"""A profile's login settings (profile.py, login.py): what is kept, what is refused."""

from __future__ import annotations

from typing import Any

import pytest
from yarl import URL

from custom_components.scene_http_request.profile import (
    InvalidProfileError,
    profile_from_entry,
)

_BASE = {"base_url": "http://router.lan:8080/api/"}
_LOGIN = {
    "auth_type": "login",
    "login_url": "../login",
    "username": "admin",
    "password": "s3cret",
    "login_fields": [
        {"name": "user", "value": "{{ username }}"},
        {"name": "pass", "value": "{{ password }}"},
        {"name": "remember", "value": "1"},
    ],
}


def test_login_settings_parsed() -> None:
    """A relative login URL joins the base URL; rows, method and body type are kept."""
    profile = profile_from_entry(
        "e",
        "t",
        _BASE,
        _LOGIN
        | {
            "login_method": "PUT",
            "login_body_type": "json",
            "login_header_name": "Authorization",
            "login_header_value": "Bearer {{ value_json.token }}",
        },
    )
    login = profile.login
    assert login is not None
    assert login.url == URL("http://router.lan:8080/login")
    assert (login.method, login.body_type) == ("PUT", "json")
    assert login.fields == (
        ("user", "{{ username }}"),
        ("pass", "{{ password }}"),
        ("remember", "1"),
    )
    assert (login.username, login.password) == ("admin", "s3cret")
    assert login.header_name == "Authorization"
    assert login.header_value == "Bearer {{ value_json.token }}"
    # Nothing of the login goes into the headers sent with every call.
    assert profile.scoped_headers == ()


def test_login_defaults() -> None:
    """POST and form by default; an absolute URL in the origin is accepted."""
    profile = profile_from_entry(
        "e",
        "t",
        _BASE,
        {"auth_type": "login", "login_url": "http://ROUTER.lan:8080/auth?x=1"},
    )
    assert profile.login is not None
    assert (profile.login.method, profile.login.body_type) == ("POST", "form")
    assert profile.login.fields == ()
    assert profile.login.header_name == ""


def test_username_with_a_colon_is_allowed() -> None:
    """A login username goes in a body, not in a Basic header: a colon is fine."""
    profile = profile_from_entry("e", "t", _BASE, _LOGIN | {"username": "domain:admin"})
    assert profile.login is not None
    assert profile.login.username == "domain:admin"


def test_no_login_settings_for_other_auth_types() -> None:
    """Login options left over from another auth type are not used."""
    profile = profile_from_entry(
        "e", "t", _BASE, _LOGIN | {"auth_type": "none", "login_url": "ftp://x"}
    )
    assert profile.login is None


@pytest.mark.parametrize(
    ("data", "options", "errors"),
    [
        ({}, _LOGIN, {"login_url": "login_base_url_required"}),
        (_BASE, _LOGIN | {"login_url": ""}, {"login_url": "login_url_required"}),
        (_BASE, _LOGIN | {"login_url": 5}, {"login_url": "login_url_required"}),
        (
            _BASE,
            _LOGIN | {"login_url": "ftp://router.lan/"},
            {"login_url": "invalid_login_url"},
        ),
        (
            _BASE,
            _LOGIN | {"login_url": "http://a b/"},
            {"login_url": "invalid_login_url"},
        ),
        (
            _BASE,
            _LOGIN | {"login_url": "http://router.lan/login"},
            {"login_url": "login_url_outside_origin"},
        ),
        (
            _BASE,
            _LOGIN | {"login_url": "https://router.lan:8080/login"},
            {"login_url": "login_url_outside_origin"},
        ),
        (
            _BASE,
            _LOGIN | {"login_url": "http://evil.example:8080/login"},
            {"login_url": "login_url_outside_origin"},
        ),
        (_BASE, _LOGIN | {"login_method": "DELETE"}, {"login_method": "invalid_value"}),
        (
            _BASE,
            _LOGIN | {"login_body_type": "xml"},
            {"login_body_type": "invalid_value"},
        ),
        (
            _BASE,
            _LOGIN | {"login_fields": [{"name": "user", "value": "{{ username "}]},
            {"login_fields": "invalid_login_template"},
        ),
        (
            _BASE,
            _LOGIN | {"login_fields": [{"name": "", "value": "x"}]},
            {"login_fields": "invalid_login_field"},
        ),
        (
            _BASE,
            _LOGIN | {"login_fields": [{"value": "x"}]},
            {"login_fields": "invalid_login_field"},
        ),
        (
            _BASE,
            _LOGIN | {"login_fields": "user=a"},
            {"login_fields": "invalid_login_field"},
        ),
        (
            _BASE,
            _LOGIN | {"login_fields": [{"name": "u", "value": "\ud800"}]},
            {"login_fields": "invalid_login_field"},
        ),
        (
            _BASE,
            _LOGIN | {"login_header_value": "Bearer {{ value_json.token }}"},
            {"login_header_name": "login_header_name_required"},
        ),
        (
            _BASE,
            _LOGIN | {"login_header_name": "Bad Name", "login_header_value": "x"},
            {"login_header_name": "invalid_login_header_name"},
        ),
        (
            _BASE,
            _LOGIN | {"login_header_name": "X-Token", "login_header_value": "{% if %}"},
            {"login_header_value": "invalid_login_template"},
        ),
        (_BASE, _LOGIN | {"username": ""}, {"username": "username_required"}),
        (_BASE, _LOGIN | {"password": ""}, {"password": "password_required"}),
        (
            _BASE,
            _LOGIN | {"username": "", "password": ""},
            {"username": "username_required", "password": "password_required"},
        ),
        (_BASE, _LOGIN | {"password": "\ud800"}, {"password": "invalid_text"}),
        (_BASE, _LOGIN | {"username": "\ud800"}, {"username": "invalid_text"}),
    ],
)
def test_login_settings_refused(
    data: dict[str, Any], options: dict[str, Any], errors: dict[str, str]
) -> None:
    """Each broken rule names its field and the form error key."""
    with pytest.raises(InvalidProfileError) as err:
        profile_from_entry("e", "t", data, options)
    assert err.value.errors == errors


def test_no_account_needed_when_no_row_uses_it() -> None:
    """Rows that use neither the username nor the password need neither."""
    options = {
        "auth_type": "login",
        "login_url": "login",
        "login_fields": [{"name": "key", "value": "fixed"}],
    }
    profile = profile_from_entry("e", "t", _BASE, options)
    assert profile.login is not None
    assert profile.login.username == profile.login.password == ""


def test_rows_with_home_assistant_filters_are_accepted() -> None:
    """A row using a filter of Home Assistant's own (not Jinja's) is kept.

    The password it reads is then required.
    """
    rows = [{"name": "pass", "value": "{{ password | base64_encode }}"}]
    profile = profile_from_entry("e", "t", _BASE, _LOGIN | {"login_fields": rows})
    assert profile.login is not None
    assert profile.login.fields == (("pass", "{{ password | base64_encode }}"),)
    with pytest.raises(InvalidProfileError) as err:
        profile_from_entry(
            "e", "t", _BASE, _LOGIN | {"login_fields": rows, "password": ""}
        )
    assert err.value.errors == {"password": "password_required"}
