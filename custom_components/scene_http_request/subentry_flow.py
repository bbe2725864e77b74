"""The saved request form: a profile's subentry flow (create and reconfigure).

The form is checked as far as it can be without variables: names, static URLs and
template syntax. "Try it" renders the templates with no variables and sends the
request the way the action does, then shows the status, the elapsed time, the
start of the content and what the value template renders to; never the URL, a
header or a credential.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import TYPE_CHECKING, Any, Final

from aiohttp import hdrs
from homeassistant.components.sensor.const import (
    CONF_STATE_CLASS,
    DEVICE_CLASS_UNITS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_DEVICE_CLASS,
    CONF_HEADERS,
    CONF_NAME,
    CONF_SCAN_INTERVAL,
    CONF_TIMEOUT,
    CONF_UNIT_OF_MEASUREMENT,
    CONF_VALUE_TEMPLATE,
    Platform,
)
from homeassistant.data_entry_flow import section
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import selector
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TemplateSelector,
    TextSelector,
    TextSelectorConfig,
)

from .client import RequestError, Response
from .const import (
    ATTR_BODY,
    ATTR_FAIL_ON_HTTP_ERROR,
    ATTR_METHOD,
    ATTR_PARAMS,
    ATTR_RETRIES,
    ATTR_URL,
    BODY_NONE,
    BODY_TYPES,
    CONF_BODY_TYPE,
    CONF_HEADER_NAME,
    CONF_HEADER_VALUE,
    CONF_JSON_ATTRIBUTES,
    CONF_TRY_IT,
    MAX_RETRIES,
    MAX_SCAN_INTERVAL,
    METHODS,
    MIN_SCAN_INTERVAL,
    TRY_IT_CONTENT_LENGTH,
)
from .content import (
    async_response_values,
    mask,
    masked_preview,
    secret_forms,
    status_line,
)
from .form import TIMEOUT_SELECTOR, rows_selector
from .profile import InvalidProfileError, Profile, SceneHttpRequestConfigEntry
from .request import prepare
from .runtime import shared
from .saved_request import (
    SavedRequest,
    form_errors,
    saved_request_from_data,
)
from .value import ValueTemplateError, render_value

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

_LOGGER = logging.getLogger(__name__)

PLACEHOLDER_TRY_RESULT: Final = "try_result"
SECTION_ADVANCED: Final = "advanced"
SECTION_SENSOR: Final = "sensor"
_ADVANCED_KEYS: Final = (CONF_TIMEOUT, ATTR_RETRIES, ATTR_FAIL_ON_HTTP_ERROR)
_SENSOR_KEYS: Final = (
    CONF_VALUE_TEMPLATE,
    CONF_JSON_ATTRIBUTES,
    CONF_UNIT_OF_MEASUREMENT,
    CONF_DEVICE_CLASS,
    CONF_STATE_CLASS,
    CONF_SCAN_INTERVAL,
)
_SECTIONS: Final = {SECTION_ADVANCED: _ADVANCED_KEYS, SECTION_SENSOR: _SENSOR_KEYS}
# Errors of building the request that Try it shows as they are.
_TRY_BUILD_ERRORS: Final = frozenset({"template_error", "template_too_large"})
# What a failed "Try it" is shown as; anything not listed is cannot_connect.
_TRY_ERRORS: Final = {
    "timeout": "timeout",
    "ssl_error": "ssl_error",
    "response_too_large": "response_too_large",
}


ADVANCED_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_TIMEOUT): TIMEOUT_SELECTOR,
        vol.Optional(ATTR_RETRIES): NumberSelector(
            NumberSelectorConfig(
                min=0, max=MAX_RETRIES, step=1, mode=NumberSelectorMode.BOX
            )
        ),
        vol.Required(ATTR_FAIL_ON_HTTP_ERROR, default=True): BooleanSelector(),
    }
)


def _device_class_selector() -> selector.Selector[Any]:
    """Return HA's device class selector; a plain list on HA before it had one."""
    if hasattr(selector, "DeviceClassSelector"):
        return selector.DeviceClassSelector(
            selector.DeviceClassSelectorConfig(domain=Platform.SENSOR)
        )
    return SelectSelector(  # HA 2026.3
        SelectSelectorConfig(
            options=[
                kind.value
                for kind in SensorDeviceClass
                if kind != SensorDeviceClass.ENUM
            ],
            mode=SelectSelectorMode.DROPDOWN,
            sort=True,
        )
    )


def _state_class_selector() -> selector.Selector[Any]:
    """Return HA's state class selector; a plain list on HA before it had one."""
    if hasattr(selector, "StateClassSelector"):
        return selector.StateClassSelector()
    return SelectSelector(  # HA 2026.3
        SelectSelectorConfig(
            options=[kind.value for kind in SensorStateClass],
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


SENSOR_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_VALUE_TEMPLATE): TemplateSelector(),
        vol.Optional(CONF_JSON_ATTRIBUTES): TextSelector(
            TextSelectorConfig(multiple=True)
        ),
        vol.Optional(CONF_UNIT_OF_MEASUREMENT): SelectSelector(
            SelectSelectorConfig(
                options=sorted(
                    {
                        str(unit)
                        for units in DEVICE_CLASS_UNITS.values()
                        for unit in units
                        if unit is not None
                    }
                ),
                mode=SelectSelectorMode.DROPDOWN,
                custom_value=True,
                sort=True,
            )
        ),
        vol.Optional(CONF_DEVICE_CLASS): _device_class_selector(),
        vol.Optional(CONF_STATE_CLASS): _state_class_selector(),
        vol.Optional(CONF_SCAN_INTERVAL): NumberSelector(
            NumberSelectorConfig(
                min=MIN_SCAN_INTERVAL,
                max=MAX_SCAN_INTERVAL,
                step=1,
                unit_of_measurement="s",
                mode=NumberSelectorMode.BOX,
            )
        ),
    }
)
REQUEST_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_NAME): TextSelector(),
        vol.Required(ATTR_METHOD, default="GET"): SelectSelector(
            SelectSelectorConfig(
                options=list(METHODS), mode=SelectSelectorMode.DROPDOWN
            )
        ),
        vol.Required(ATTR_URL): TextSelector(),
        vol.Optional(CONF_HEADERS): rows_selector("header"),
        vol.Optional(ATTR_PARAMS): rows_selector("param"),
        vol.Required(CONF_BODY_TYPE, default=BODY_NONE): SelectSelector(
            SelectSelectorConfig(
                options=list(BODY_TYPES),
                translation_key=CONF_BODY_TYPE,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
        vol.Optional(ATTR_BODY): TextSelector(TextSelectorConfig(multiline=True)),
        vol.Required(SECTION_ADVANCED): section(ADVANCED_SCHEMA, {"collapsed": True}),
        vol.Optional(SECTION_SENSOR): section(SENSOR_SCHEMA, {"collapsed": True}),
        vol.Required(CONF_TRY_IT, default=False): BooleanSelector(),
    }
)


def _rows(raw: Any) -> list[dict[str, str]]:
    """Return the name and value rows of a form field, trimmed."""
    if isinstance(raw, Mapping):
        raw = [raw]
    return [
        {
            CONF_HEADER_NAME: str(item.get(CONF_HEADER_NAME, "")).strip(),
            CONF_HEADER_VALUE: str(item.get(CONF_HEADER_VALUE, "")).strip(),
        }
        for item in raw or ()
        if isinstance(item, Mapping)
    ]


def request_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the subentry data of a submitted form: trimmed, sections flattened."""
    advanced = user_input.get(SECTION_ADVANCED) or {}
    body_type = str(user_input.get(CONF_BODY_TYPE, BODY_NONE))
    data: dict[str, Any] = {
        CONF_NAME: str(user_input.get(CONF_NAME, "")).strip(),
        ATTR_METHOD: str(user_input.get(ATTR_METHOD, "GET")),
        ATTR_URL: str(user_input.get(ATTR_URL, "")).strip(),
        CONF_HEADERS: _rows(user_input.get(CONF_HEADERS)),
        ATTR_PARAMS: _rows(user_input.get(ATTR_PARAMS)),
        CONF_BODY_TYPE: body_type,
        ATTR_BODY: ""
        if body_type == BODY_NONE
        else str(user_input.get(ATTR_BODY) or ""),
        ATTR_FAIL_ON_HTTP_ERROR: bool(advanced.get(ATTR_FAIL_ON_HTTP_ERROR, True)),
    }
    if (timeout := advanced.get(CONF_TIMEOUT)) is not None:
        data[CONF_TIMEOUT] = float(timeout)
    if (retries := advanced.get(ATTR_RETRIES)) is not None:
        data[ATTR_RETRIES] = int(retries)
    data.update(_sensor_data(user_input.get(SECTION_SENSOR) or {}))
    return data


def _sensor_data(sensor: Mapping[str, Any]) -> dict[str, Any]:
    """Return the sensor section's fields that are set, trimmed (stored flat)."""
    data: dict[str, Any] = {}
    if template := str(sensor.get(CONF_VALUE_TEMPLATE) or "").strip():
        data[CONF_VALUE_TEMPLATE] = template
    raw = sensor.get(CONF_JSON_ATTRIBUTES) or []
    if attributes := [text for key in raw if (text := str(key).strip())]:
        data[CONF_JSON_ATTRIBUTES] = attributes
    for key in (CONF_UNIT_OF_MEASUREMENT, CONF_DEVICE_CLASS, CONF_STATE_CLASS):
        if value := str(sensor.get(key) or "").strip():
            data[key] = value
    if (interval := sensor.get(CONF_SCAN_INTERVAL)) is not None:
        data[CONF_SCAN_INTERVAL] = float(interval)
    return data


def _suggested(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return stored or submitted values in the form's shape (with its section)."""
    values = {key: value for key, value in data.items() if key != CONF_TRY_IT}
    for name, keys in _SECTIONS.items():
        if name not in values:
            values[name] = {key: values.pop(key) for key in keys if key in values}
    return values


def _in_view(errors: dict[str, str]) -> dict[str, str]:
    """Show the errors of the sections' fields at the top of the form.

    A collapsed section may hide a field's own error.
    """
    hidden = {*_SENSOR_KEYS, *_ADVANCED_KEYS}
    return {("base" if key in hidden else key): value for key, value in errors.items()}


def try_result(response: Response, forms: list[str], value: str | None = None) -> str:
    """Return the Markdown that shows the answer of "Try it", secrets masked.

    value is what the value template rendered, shown after the content.
    """
    preview = masked_preview(
        response.body,
        response.headers.get(hdrs.CONTENT_TYPE),
        TRY_IT_CONTENT_LENGTH,
        forms,
    )
    status = mask(status_line(response.status, response.reason), forms)
    # Whole milliseconds: no decimal mark, which differs between languages.
    lines = [f"**{status}** · {round(response.elapsed * 1000)} ms"]
    if preview:
        # An indented code block: the content can't close it nor format itself.
        lines += ["", *("    " + line for line in preview.splitlines())]
    if value is not None:
        shown = mask(value, forms)[:TRY_IT_CONTENT_LENGTH] or '""'
        lines += ["", "---", "", *("    " + line for line in shown.splitlines())]
    return "\n".join(lines)


class SavedRequestFlow(ConfigSubentryFlow):
    """Create or change a saved request of a profile."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show the form of a new saved request."""
        return await self._async_request_form("user", user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show the form of a saved request, filled with its stored values."""
        subentry = self._get_reconfigure_subentry()
        return await self._async_request_form("reconfigure", user_input, subentry)

    async def _async_request_form(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        subentry: ConfigSubentry | None,
    ) -> SubentryFlowResult:
        """Show, check, try and save the form."""
        entry: SceneHttpRequestConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="invalid_profile")
        profile = entry.runtime_data
        errors: dict[str, str] = {}
        result = ""
        suggested: Mapping[str, Any] = subentry.data if subentry else {}
        if user_input is not None:
            own_id = subentry.subentry_id if subentry else None
            data = request_data(user_input)
            saved, errors = self._check(entry, profile, data, own_id)
            if saved is not None and not errors:
                if not user_input.get(CONF_TRY_IT):
                    return self._save(entry, subentry, data)
                result, errors = await self._async_try(profile, saved)
            suggested = user_input
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                REQUEST_SCHEMA, _suggested(suggested)
            ),
            errors=errors,
            description_placeholders={
                PLACEHOLDER_TRY_RESULT: result,
                "profile": entry.title,
                "example_template": "status?who={{ who }}",
                "example_json": '{"who": {{ who | tojson }}}',
                "example_value": "{{ value_json.temperature }}",
            },
        )

    def _check(
        self,
        entry: SceneHttpRequestConfigEntry,
        profile: Profile,
        data: Mapping[str, Any],
        own_id: str | None,
    ) -> tuple[SavedRequest | None, dict[str, str]]:
        """Parse the submitted data as setup will; return it and the form errors."""
        try:
            saved = saved_request_from_data(self.hass, entry.entry_id, "", data)
        except InvalidProfileError as err:
            return None, _in_view({err.field: err.key})
        taken = [
            key
            for key, other in profile.requests.items()
            if other.subentry_id != own_id
        ]
        return saved, _in_view(form_errors(saved, profile.base_url, taken))

    def _save(
        self,
        entry: SceneHttpRequestConfigEntry,
        subentry: ConfigSubentry | None,
        data: dict[str, Any],
    ) -> SubentryFlowResult:
        """Create the saved request, or update it (the profile then reloads)."""
        if subentry is None:
            return self.async_create_entry(title=data[CONF_NAME], data=data)
        return self.async_update_and_abort(
            entry, subentry, title=data[CONF_NAME], data=data
        )

    async def _async_try(
        self, profile: Profile, saved: SavedRequest
    ) -> tuple[str, dict[str, str]]:
        """Send the request as the action would, with no variables."""
        try:
            request = prepare(self.hass, {}, saved)
            response = await shared(self.hass).client.async_request(request.request)
        except RequestError as err:
            reason = _TRY_ERRORS.get(str(err.translation_key), "cannot_connect")
            _LOGGER.debug("Try of saved request %s failed: %s", saved.name, reason)
            return "", {"base": reason}
        except HomeAssistantError as err:
            key = err.translation_key
            return "", {"base": key if key in _TRY_BUILD_ERRORS else "invalid_request"}
        except Exception:
            _LOGGER.exception("Unexpected error trying saved request %s", saved.name)
            return "", {"base": "unknown"}
        _LOGGER.debug("Try of saved request %s: HTTP %s", saved.name, response.status)
        secrets = [*profile.secret_values(), *request.request.headers.values()]
        secrets += [value for _, value in request.request.scoped_headers]
        if saved.sensor is None:
            return try_result(response, secret_forms(secrets)), {}
        try:
            values = await async_response_values(
                self.hass, response, with_headers=saved.sensor.reads_headers
            )
            value, _ = render_value(saved.sensor, values)
        except ValueTemplateError:
            errors = {"base": "value_template_error"}
            return try_result(response, secret_forms(secrets)), errors
        shown = "" if value is None else str(value)
        return try_result(response, secret_forms(secrets), shown), {}
