"""Saved requests: a profile's config subentries, their rules and their templates.

A saved request stores the parts of one call. The URL, the header and param values
and the body are templates, rendered at send time with the call's variables under
strict undefined. Stored data is parsed once, when the profile is set up, into a
SavedRequest that holds its Template objects; the form checks a submission with
the same rules. Errors name the field, never a rendered value: a rendered header
may hold a key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
import json
from typing import Any, Final
from urllib.parse import parse_qsl

from homeassistant.components.sensor.const import (
    CONF_STATE_CLASS,
    DEVICE_CLASS_STATE_CLASSES,
    DEVICE_CLASS_UNITS,
    NON_NUMERIC_DEVICE_CLASSES,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import (
    CONF_DEVICE_CLASS,
    CONF_HEADERS,
    CONF_NAME,
    CONF_SCAN_INTERVAL,
    CONF_TIMEOUT,
    CONF_UNIT_OF_MEASUREMENT,
    CONF_VALUE_TEMPLATE,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError, TemplateError
from homeassistant.helpers.template import (
    MAX_TEMPLATE_OUTPUT,
    Template,
    is_template_string,
)
from homeassistant.util import slugify
from yarl import URL

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
    CONF_JSON_ATTRIBUTES,
    MAX_RETRIES,
    MAX_SCAN_INTERVAL,
    MAX_TIMEOUT,
    METHODS,
    MIN_SCAN_INTERVAL,
    MIN_TIMEOUT,
    SUBENTRY_REQUEST,
)
from .content import template_variables
from .profile import InvalidProfileError, SceneHttpRequestConfigEntry, stored_number
from .url import UrlError, in_scope, resolve_url
from .validation import is_allowed_header, is_header_value, validation_error

type Rows = tuple[tuple[str, str], ...]

# The rendered output Home Assistant allows a template (characters).
TEMPLATE_OUTPUT_LIMIT: Final = MAX_TEMPLATE_OUTPUT


# The value sensor's keys besides value_template: set only with one.
SENSOR_KEYS: Final = (
    CONF_JSON_ATTRIBUTES,
    CONF_UNIT_OF_MEASUREMENT,
    CONF_DEVICE_CLASS,
    CONF_STATE_CLASS,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ValueSensor:
    """A saved request's value sensor: its template, compiled once, and its kind.

    The template is rendered over each response (not strict: like core's rest
    sensor), so it is a Template of its own, apart from the request's.
    """

    template: Template = field(repr=False)
    # Whether the template may read the response headers (only then are they read).
    reads_headers: bool = True
    json_attributes: tuple[str, ...] = ()
    unit: str | None = None
    device_class: SensorDeviceClass | None = None
    state_class: SensorStateClass | None = None

    @property
    def numeric(self) -> bool:
        """Return whether the state must be a number (HA's sensor rule)."""
        if self.device_class in NON_NUMERIC_DEVICE_CLASSES:
            return False
        return bool(self.state_class or self.unit or self.device_class)


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedRequest:
    """One saved request of a profile, parsed once; templates unrendered."""

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
    sensor: ValueSensor | None = None
    scan_interval: float | None = None
    # The Template of each text above that is one, by its text.
    templates: Mapping[str, Template] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> str:
        """Return the name the action matches: the slug of the name."""
        return request_key(self.name)


def request_key(name: str) -> str:
    """Return the slug a saved request is called by ("Left home" is left_home)."""
    return slugify(name.strip())


def saved_request_from_data(
    hass: HomeAssistant, entry_id: str, subentry_id: str, data: Mapping[str, Any]
) -> SavedRequest:
    """Parse stored (or submitted) data, or raise InvalidProfileError."""
    name, method, url = data.get(CONF_NAME), data.get(ATTR_METHOD), data.get(ATTR_URL)
    if not isinstance(name, str) or not name.strip():
        raise InvalidProfileError(CONF_NAME, "name_required")
    if method not in METHODS:
        raise InvalidProfileError(ATTR_METHOD, "invalid_method")
    if not isinstance(url, str) or not url:
        raise InvalidProfileError(ATTR_URL, "invalid_url")
    body_type, body = data.get(CONF_BODY_TYPE, BODY_NONE), data.get(ATTR_BODY, "")
    if body_type not in BODY_TYPES or not isinstance(body, str):
        raise InvalidProfileError(CONF_BODY_TYPE, "invalid_body")
    headers = _stored_rows(data.get(CONF_HEADERS), CONF_HEADERS, header=True)
    params = _stored_rows(data.get(ATTR_PARAMS), ATTR_PARAMS, header=False)
    texts = [url, body, *(value for _, value in (*headers, *params))]
    return SavedRequest(
        entry_id=entry_id,
        subentry_id=subentry_id,
        name=name,
        method=str(method),
        url=url,
        headers=headers,
        params=params,
        body_type=str(body_type),
        body=body,
        timeout=_stored_float(data, CONF_TIMEOUT, MIN_TIMEOUT, MAX_TIMEOUT),
        fail_on_http_error=_stored_flag(data, ATTR_FAIL_ON_HTTP_ERROR),
        retries=_stored_retries(data),
        sensor=_stored_sensor(hass, data),
        scan_interval=_stored_float(
            data, CONF_SCAN_INTERVAL, MIN_SCAN_INTERVAL, MAX_SCAN_INTERVAL
        ),
        templates=_templates(hass, texts),
    )


def _stored_sensor(hass: HomeAssistant, data: Mapping[str, Any]) -> ValueSensor | None:
    """Return the value sensor of stored data; None without a value_template."""
    text = data.get(CONF_VALUE_TEMPLATE)
    if text is None:
        if any(data.get(key) is not None for key in SENSOR_KEYS):
            raise InvalidProfileError(CONF_VALUE_TEMPLATE, "value_template_required")
        return None
    if not isinstance(text, str) or not text.strip():
        raise InvalidProfileError(CONF_VALUE_TEMPLATE, "invalid_value_template")
    attributes = data.get(CONF_JSON_ATTRIBUTES) or []
    if not isinstance(attributes, list | tuple) or not all(
        isinstance(key, str) and key for key in attributes
    ):
        raise InvalidProfileError(CONF_JSON_ATTRIBUTES, "invalid_json_attributes")
    unit = data.get(CONF_UNIT_OF_MEASUREMENT)
    if unit is not None and not isinstance(unit, str):
        raise InvalidProfileError(CONF_UNIT_OF_MEASUREMENT, "invalid_unit")
    template = Template(text, hass)
    with suppress(TemplateError):
        template.ensure_valid()
    names = template_variables(text)
    sensor = ValueSensor(
        template=template,
        reads_headers=names is None or "headers" in names,
        json_attributes=tuple(attributes),
        unit=unit or None,
        device_class=_stored_enum(data, CONF_DEVICE_CLASS, SensorDeviceClass),
        state_class=_stored_enum(data, CONF_STATE_CLASS, SensorStateClass),
    )
    _check_sensor_kind(sensor)
    return sensor


def _stored_enum[E: SensorDeviceClass | SensorStateClass](
    data: Mapping[str, Any], key: str, kind: type[E]
) -> E | None:
    """Return a stored device or state class; an enum device class is refused."""
    if (value := data.get(key)) is None:
        return None
    try:
        found = kind(value)
    except ValueError:
        raise InvalidProfileError(key, f"invalid_{key}") from None
    if found is SensorDeviceClass.ENUM:
        raise InvalidProfileError(key, f"invalid_{key}")
    return found


def _check_sensor_kind(sensor: ValueSensor) -> None:
    """Refuse a unit or state class that HA's sensor rules would refuse."""
    if (device_class := sensor.device_class) is None:
        return
    checked = device_class in NON_NUMERIC_DEVICE_CLASSES
    units = DEVICE_CLASS_UNITS.get(device_class)
    if (checked or units is not None) and sensor.unit not in (units or {None}):
        raise InvalidProfileError(CONF_UNIT_OF_MEASUREMENT, "invalid_unit")
    state_classes = DEVICE_CLASS_STATE_CLASSES.get(device_class)
    if (
        (checked or state_classes is not None)
        and sensor.state_class is not None
        and sensor.state_class not in (state_classes or ())
    ):
        raise InvalidProfileError(CONF_STATE_CLASS, "invalid_state_class")


def _templates(hass: HomeAssistant, texts: Iterable[str]) -> dict[str, Template]:
    """Return a Template for each text that is one, compiled when it can be.

    One that does not compile is kept: rendering it fails as template_error.
    """
    templates: dict[str, Template] = {}
    for text in texts:
        if text in templates or not is_template_string(text):
            continue
        template = templates[text] = Template(text, hass)
        with suppress(TemplateError):
            template.ensure_valid()
    return templates


def _stored_rows(raw: Any, key: str, *, header: bool) -> Rows:
    if raw is None:
        return ()
    error_key = "invalid_header" if header else "invalid_param"
    if not isinstance(raw, list | tuple):
        raise InvalidProfileError(key, error_key)
    rows: list[tuple[str, str]] = []
    for item in raw:
        name = item.get(CONF_HEADER_NAME) if isinstance(item, Mapping) else None
        value = item.get(CONF_HEADER_VALUE) if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not isinstance(value, str) or not name:
            raise InvalidProfileError(key, error_key)
        # A header value may be a template: only the name can be checked here.
        if header and not is_allowed_header(name, ""):
            raise InvalidProfileError(key, error_key)
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


def parse_saved_requests(
    hass: HomeAssistant, entry_id: str, subentries: Iterable[ConfigSubentry]
) -> dict[str, SavedRequest]:
    """Return a profile's saved requests by key; raise InvalidProfileError if bad."""
    parsed = (
        saved_request_from_data(hass, entry_id, subentry.subentry_id, subentry.data)
        for subentry in subentries
        if subentry.subentry_type == SUBENTRY_REQUEST
    )
    return {saved.key: saved for saved in parsed}


def form_errors(
    saved: SavedRequest, base_url: URL | None, taken: Iterable[str]
) -> dict[str, str]:
    """Return the errors of a submitted saved request that parsed.

    Beyond what stored data must be: the name is free in the profile, templates
    compile, a static URL lies within the base URL, static header values are
    valid, and a static JSON body parses.
    """
    errors: dict[str, str] = {}
    if saved.key in taken:
        errors[CONF_NAME] = "name_taken"
    if url_error := _url_error(saved, base_url):
        errors[ATTR_URL] = url_error
    if not all(_valid_value(saved, value) for _, value in saved.headers):
        errors[CONF_HEADERS] = "invalid_header"
    if not all(_valid_value(saved, value) for _, value in saved.params):
        errors[ATTR_PARAMS] = "invalid_param"
    if body_error := _body_error(saved):
        errors[ATTR_BODY] = body_error
    if saved.sensor is not None and not _valid_template(saved.sensor.template):
        errors[CONF_VALUE_TEMPLATE] = "invalid_template"
    return errors


def _compiles(saved: SavedRequest, text: str) -> bool:
    """Return whether a template text compiled (a static text always does)."""
    template = saved.templates.get(text)
    return template is None or _valid_template(template)


def _valid_template(template: Template) -> bool:
    """Return whether a template compiles."""
    try:
        template.ensure_valid()
    except TemplateError:
        return False
    return True


def _valid_value(saved: SavedRequest, value: str) -> bool:
    """Return whether a header or param value is a valid template or text."""
    if value in saved.templates:
        return _compiles(saved, value)
    return is_header_value(value)


def _url_error(saved: SavedRequest, base_url: URL | None) -> str | None:
    """Return the error key of a URL (template syntax, or a static URL's rules)."""
    if saved.url in saved.templates:
        return None if _compiles(saved, saved.url) else "invalid_template"
    try:
        resolved = resolve_url(saved.url, base_url)
    except UrlError as err:
        return err.key
    if base_url is not None and not in_scope(resolved, base_url):
        return "url_outside_profile"
    return None


def _body_error(saved: SavedRequest) -> str | None:
    """Return the error key of a body (template syntax, or static JSON)."""
    if saved.body in saved.templates:
        return None if _compiles(saved, saved.body) else "invalid_template"
    if saved.body_type == BODY_JSON:
        try:
            json.loads(saved.body)
        except ValueError, RecursionError:
            return "invalid_json"
    return None


def render_call(
    saved: SavedRequest, variables: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the action fields a saved request stands for, and its headers.

    Templates are rendered. The headers come apart: they are configuration, sent
    to the profile's origin only, like the profile's own.
    """
    fields: dict[str, Any] = {
        ATTR_METHOD: saved.method,
        ATTR_URL: _render(saved, ATTR_URL, saved.url, variables),
    }
    headers = {
        name: _render(saved, f"{CONF_HEADERS}.{name}", value, variables)
        for name, value in saved.headers
    }
    if saved.params:
        fields[ATTR_PARAMS] = _params(saved, variables)
    fields.update(_body(saved, variables))
    settings = {
        CONF_TIMEOUT: saved.timeout,
        ATTR_FAIL_ON_HTTP_ERROR: saved.fail_on_http_error,
        ATTR_RETRIES: saved.retries,
    }
    fields.update((key, value) for key, value in settings.items() if value is not None)
    return fields, headers


def _params(
    saved: SavedRequest, variables: Mapping[str, Any]
) -> dict[str, str | list[str]]:
    """Render the param values; a name given twice becomes a list."""
    params: dict[str, str | list[str]] = {}
    for name, template in saved.params:
        value = _render(saved, f"{ATTR_PARAMS}.{name}", template, variables)
        if (previous := params.get(name)) is None:
            params[name] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            params[name] = [previous, value]
    return params


def _body(saved: SavedRequest, variables: Mapping[str, Any]) -> dict[str, Any]:
    """Render the body into the action field of its type (json, form or body)."""
    if saved.body_type == BODY_NONE:
        return {}
    text = _render(saved, ATTR_BODY, saved.body, variables)
    if saved.body_type == BODY_TEXT:
        return {ATTR_BODY: text}
    # BODY_JSON, or BODY_FORM: urlencoded text such as "name=Alice&room=1".
    try:
        if saved.body_type == BODY_JSON:
            return {ATTR_JSON: json.loads(text)}
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError, RecursionError:
        raise template_error(saved, ATTR_BODY) from None
    form: dict[str, list[str]] = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    return {ATTR_FORM: form}


def _render(
    saved: SavedRequest, field: str, text: str, variables: Mapping[str, Any]
) -> str:
    """Render one template to text under strict undefined."""
    if (template := saved.templates.get(text)) is None:
        return text
    try:
        return str(template.async_render(variables, parse_result=False, strict=True))
    except TemplateError as err:
        if _too_large(err):
            raise validation_error(
                "template_too_large",
                field=field,
                request=saved.name,
                limit=str(TEMPLATE_OUTPUT_LIMIT),
            ) from None
        raise template_error(saved, field) from None
    except RecursionError:
        raise template_error(saved, field) from None


def _too_large(err: TemplateError) -> bool:
    """Return whether Home Assistant refused a template's output for its size."""
    return "exceeded maximum size" in str(err)


def template_error(saved: SavedRequest, field: str) -> ServiceValidationError:
    """Return the translated error of a template that can't be rendered."""
    return validation_error("template_error", field=field, request=saved.name)


def saved_requests(entry: SceneHttpRequestConfigEntry) -> list[SavedRequest]:
    """Return the saved requests of a loaded profile."""
    return list(entry.runtime_data.requests.values())
