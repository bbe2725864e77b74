"""Profiles that log in first: the login request's settings.

The settings are parsed from a profile's options by profile.py; the templates are
kept as texts here (checked for syntax and for the variables they use) and
compiled when the profile is set up.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
from jinja2 import meta
from yarl import URL

from .const import LOGIN_BODY_FORM

# The syntax of Home Assistant's templates: Jinja with these two extensions (the
# others add filters and globals, which a parse does not look up).
_SYNTAX = jinja2.Environment(  # noqa: S701 - parsed only, never rendered
    extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginSettings:
    """A profile's login request, and what it takes from the answer."""

    url: URL  # within the profile's origin
    method: str = "POST"
    body_type: str = LOGIN_BODY_FORM
    # Rows of name and value; each value a template rendered with username and
    # password. They form the body, or the query of a GET.
    fields: tuple[tuple[str, str], ...] = ()
    username: str = ""
    password: str = ""
    # A header sent to the profile's origin, its value rendered once per login
    # from the answer (value, value_json, headers).
    header_name: str = ""
    header_value: str = ""


def template_variables(text: str) -> frozenset[str] | None:
    """Return the variables a template text reads, or None if it does not parse."""
    try:
        return frozenset(meta.find_undeclared_variables(_SYNTAX.parse(text)))
    except jinja2.TemplateSyntaxError, RecursionError:
        return None
