"""Saved requests: a profile's config subentries, and their templates.

A saved request stores the parts of one call. The URL, the header and param values
and the body are templates, rendered at send time with the call's variables under
strict undefined. Errors name the field, never a rendered value: a rendered header
may hold a key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import json
from typing import Any
from urllib.parse import parse_qsl

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_HEADERS,
    CONF_NAME,
    CONF_TIMEOUT,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError, TemplateError
from homeassistant.helpers import service
from homeassistant.helpers.template import Template, is_template_string
from homeassistant.util import slugify

from .const import (
    ATTR_BODY,
    ATTR_FAIL_ON_HTTP_ERROR,
    ATTR_FORM,
    ATTR_JSON,
    ATTR_METHOD,
    ATTR_PARAMS,
    ATTR_RETRIES,
    ATTR_URL,
    BODY_JSON,
    BODY_NONE,
    BODY_TEXT,
    BODY_TYPES,
    CONF_BODY_TYPE,
    CONF_HEADER_NAME,
    CONF_HEADER_VALUE,
    DOMAIN,
    MAX_RETRIES,
    MAX_TIMEOUT,
    METHODS,
    MIN_TIMEOUT,
    SUBENTRY_REQUEST,
)
from .profile import InvalidProfileError, stored_number
from .validation import is_allowed_header, validation_error

type Rows = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedRequest:
    """One saved request of a profile, as stored (templates unrendered)."""

    entry_id: str
    subentry_id: str
    name: str
    method: str = "GET"
    url: str
    headers: Rows = ()
    params: Rows = ()
    body_type: str = BODY_NONE
    body: str = ""
    timeout: float | None = None
    fail_on_http_error: bool | None = None
    retries: int | None = None

    @property
    def key(self) -> str:
        """Return the name the action matches: the slug of the name."""
        return request_key(self.name)


def request_key(name: str) -> str:
    """Return the slug a saved request is called by ("Left home" is left_home)."""
    return slugify(name.strip())


def saved_request_from_data(
    entry_id: str, subentry_id: str, data: Mapping[str, Any]
) -> SavedRequest:
    """Build a SavedRequest from stored subentry data, or raise InvalidProfileError."""
    name, method, url = data.get(CONF_NAME), data.get(ATTR_METHOD), data.get(ATTR_URL)
    if not isinstance(name, str) or not name.strip():
        raise InvalidProfileError(CONF_NAME)
    if method not in METHODS:
        raise InvalidProfileError(ATTR_METHOD)
    if not isinstance(url, str) or not url:
        raise InvalidProfileError(ATTR_URL)
    body_type, body = data.get(CONF_BODY_TYPE, BODY_NONE), data.get(ATTR_BODY, "")
    if body_type not in BODY_TYPES or not isinstance(body, str):
        raise InvalidProfileError(CONF_BODY_TYPE)
    return SavedRequest(
        entry_id=entry_id,
        subentry_id=subentry_id,
        name=name,
        method=str(method),
        url=url,
        headers=_stored_rows(data.get(CONF_HEADERS), CONF_HEADERS, header=True),
        params=_stored_rows(data.get(ATTR_PARAMS), ATTR_PARAMS, header=False),
        body_type=str(body_type),
        body=body,
        timeout=_stored_float(data, CONF_TIMEOUT, MIN_TIMEOUT, MAX_TIMEOUT),
        fail_on_http_error=_stored_flag(data, ATTR_FAIL_ON_HTTP_ERROR),
        retries=_stored_retries(data),
    )


def _stored_rows(raw: Any, key: str, *, header: bool) -> Rows:
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        raise InvalidProfileError(key)
    rows: list[tuple[str, str]] = []
    for item in raw:
        name = item.get(CONF_HEADER_NAME) if isinstance(item, Mapping) else None
        value = item.get(CONF_HEADER_VALUE) if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not isinstance(value, str) or not name:
            raise InvalidProfileError(key)
        # A header value may be a template: only the name can be checked here.
        if header and not is_allowed_header(name, ""):
            raise InvalidProfileError(key)
        rows.append((name, value))
    return tuple(rows)


def _stored_float(
    data: Mapping[str, Any], key: str, low: float, high: float
) -> float | None:
    value = stored_number(data, key, low, high)
    return None if value is None else float(value)


def _stored_flag(data: Mapping[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise InvalidProfileError(key)
    return value


def _stored_retries(data: Mapping[str, Any]) -> int | None:
    value = _stored_float(data, ATTR_RETRIES, 0, MAX_RETRIES)
    if value is not None and not value.is_integer():
        raise InvalidProfileError(ATTR_RETRIES)
    return None if value is None else int(value)


def saved_requests(entry: ConfigEntry[Any]) -> list[SavedRequest]:
    """Return the saved requests of a profile; raise InvalidProfileError if corrupt."""
    return [
        saved_request_from_data(entry.entry_id, subentry.subentry_id, subentry.data)
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_REQUEST
    ]


def find_saved_request(
    hass: HomeAssistant, name: str, entry_id: str | None
) -> SavedRequest:
    """Return the saved request called name, in the profile entry_id if given.

    Raise unknown_request when there is none, ambiguous_request when several
    profiles have one of that name.
    """
    entries: Iterable[ConfigEntry[Any]]
    if entry_id:
        entries = [service.async_get_config_entry(hass, DOMAIN, entry_id)]
    else:
        entries = hass.config_entries.async_loaded_entries(DOMAIN)
    key = request_key(name)
    found = [
        (entry.title, saved)
        for entry in entries
        for saved in saved_requests(entry)
        if saved.key == key
    ]
    if not found:
        raise validation_error("unknown_request", request=name)
    if len(found) > 1:
        profiles = ", ".join(sorted(title for title, _ in found))
        raise validation_error("ambiguous_request", request=name, profiles=profiles)
    return found[0][1]


def render_call(
    hass: HomeAssistant, saved: SavedRequest, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the action fields a saved request stands for, templates rendered."""
    fields: dict[str, Any] = {
        ATTR_CONFIG_ENTRY_ID: saved.entry_id,
        ATTR_METHOD: saved.method,
        ATTR_URL: _render(hass, saved, ATTR_URL, saved.url, variables),
    }
    if saved.headers:
        fields[CONF_HEADERS] = {
            name: _render(hass, saved, f"{CONF_HEADERS}.{name}", value, variables)
            for name, value in saved.headers
        }
    if saved.params:
        fields[ATTR_PARAMS] = _params(hass, saved, variables)
    fields.update(_body(hass, saved, variables))
    settings = {
        CONF_TIMEOUT: saved.timeout,
        ATTR_FAIL_ON_HTTP_ERROR: saved.fail_on_http_error,
        ATTR_RETRIES: saved.retries,
    }
    return fields | {key: value for key, value in settings.items() if value is not None}


def _params(
    hass: HomeAssistant, saved: SavedRequest, variables: Mapping[str, Any]
) -> dict[str, str | list[str]]:
    """Render the param values; a name given twice becomes a list."""
    params: dict[str, str | list[str]] = {}
    for name, template in saved.params:
        value = _render(hass, saved, f"{ATTR_PARAMS}.{name}", template, variables)
        if (previous := params.get(name)) is None:
            params[name] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            params[name] = [previous, value]
    return params


def _body(
    hass: HomeAssistant, saved: SavedRequest, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """Render the body into the action field of its type (json, form or body)."""
    if saved.body_type == BODY_NONE:
        return {}
    text = _render(hass, saved, ATTR_BODY, saved.body, variables)
    if saved.body_type == BODY_TEXT:
        return {ATTR_BODY: text}
    # BODY_JSON, or BODY_FORM: urlencoded text such as "name=Alice&room=1".
    try:
        if saved.body_type == BODY_JSON:
            return {ATTR_JSON: json.loads(text)}
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise template_error(saved, ATTR_BODY) from None
    form: dict[str, list[str]] = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    return {ATTR_FORM: form}


def _render(
    hass: HomeAssistant,
    saved: SavedRequest,
    field: str,
    template: str,
    variables: Mapping[str, Any],
) -> str:
    """Render one template to text under strict undefined."""
    if not is_template_string(template):
        return template
    try:
        return str(
            Template(template, hass).async_render(
                variables, parse_result=False, strict=True
            )
        )
    except TemplateError:
        raise template_error(saved, field) from None


def template_error(saved: SavedRequest, field: str) -> ServiceValidationError:
    """Return the translated error of a template that can't be rendered."""
    return validation_error("template_error", field=field, request=saved.name)


def check_template(hass: HomeAssistant, template: str) -> bool:
    """Return whether template compiles (its variables are not checked)."""
    try:
        Template(template, hass).ensure_valid()
    except TemplateError:
        return False
    return True
