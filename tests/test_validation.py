"""Unit tests for the checks of a caller's headers (validation.py)."""

from __future__ import annotations

from typing import Any

from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.scene_http_request.validation import (
    checked_headers,
    header_value_to_str,
    is_header_name,
    is_header_value,
)

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
