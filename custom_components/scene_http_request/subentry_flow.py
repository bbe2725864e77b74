"""The saved request form: a profile's subentry flow (create and reconfigure).

The form is checked as far as it can be without variables: names, static URLs and
template syntax. "Try it" renders the templates with no variables and sends the
request the way the action does, then shows the status, the elapsed time and the
start of the content; never the URL, a header or a credential.
"""

from __future__ import annotations

from collections.abc import Mapping
import json
import logging
from typing import TYPE_CHECKING, Any, Final

from aiohttp import hdrs
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_HEADERS, CONF_NAME, CONF_TIMEOUT
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    ObjectSelector,
    ObjectSelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)
from homeassistant.helpers.template import is_template_string

from .client import HttpClient, RequestError, Response
from .const import (
    ATTR_BODY,
    ATTR_FAIL_ON_HTTP_ERROR,
    ATTR_METHOD,
    ATTR_PARAMS,
    ATTR_RETRIES,
    ATTR_URL,
    BODY_JSON,
    BODY_NONE,
    BODY_TYPES,
    CONF_BODY_TYPE,
    CONF_HEADER_NAME,
    CONF_HEADER_VALUE,
    CONF_TRY_IT,
    MAX_RETRIES,
    MAX_TIMEOUT,
    METHODS,
    MIN_TIMEOUT,
    SUBENTRY_REQUEST,
    TRY_IT_CONTENT_LENGTH,
)
from .content import content_preview, status_line
from .profile import InvalidProfileError, Profile, profile_from_entry
from .saved_request import (
    check_template,
    request_key,
    saved_request_from_data,
)
from .services import build_request, saved_call_data
from .url import UrlError, resolve_url
from .validation import is_allowed_header, is_header_value

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

_LOGGER = logging.getLogger(__name__)

PLACEHOLDER_TRY_RESULT: Final = "try_result"
# Shorter values (such as "1" or "yes") would hide ordinary words of the content.
_MIN_SECRET_LENGTH: Final = 4
# What a failed "Try it" is shown as; anything not listed is cannot_connect.
_TRY_ERRORS: Final = {
    "timeout": "timeout",
    "ssl_error": "ssl_error",
    "response_too_large": "response_too_large",
}


def _rows_selector(translation_key: str) -> ObjectSelector:
    """Return a selector of name and value rows (headers, params)."""
    return ObjectSelector(
        ObjectSelectorConfig(
            fields={
                CONF_HEADER_NAME: {"selector": {"text": {}}, "required": True},
                CONF_HEADER_VALUE: {"selector": {"text": {}}, "required": True},
            },
            multiple=True,
            label_field=CONF_HEADER_NAME,
            translation_key=translation_key,
        )
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
        vol.Optional(CONF_HEADERS): _rows_selector("header"),
        vol.Optional(ATTR_PARAMS): _rows_selector("param"),
        vol.Required(CONF_BODY_TYPE, default=BODY_NONE): SelectSelector(
            SelectSelectorConfig(
                options=list(BODY_TYPES),
                translation_key=CONF_BODY_TYPE,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
        vol.Optional(ATTR_BODY): TextSelector(TextSelectorConfig(multiline=True)),
        vol.Optional(CONF_TIMEOUT): NumberSelector(
            NumberSelectorConfig(
                min=MIN_TIMEOUT,
                max=MAX_TIMEOUT,
                step=0.1,
                unit_of_measurement="s",
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Required(ATTR_FAIL_ON_HTTP_ERROR, default=True): BooleanSelector(),
        vol.Optional(ATTR_RETRIES): NumberSelector(
            NumberSelectorConfig(
                min=0, max=MAX_RETRIES, step=1, mode=NumberSelectorMode.BOX
            )
        ),
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


def _valid_value(hass: HomeAssistant, value: str) -> bool:
    """Return whether a header or param value is a valid template or text."""
    if is_template_string(value):
        return check_template(hass, value)
    return is_header_value(value)


def _check_url(hass: HomeAssistant, url: str, profile: Profile) -> str | None:
    """Return the error key of a URL (template syntax, or a static URL's rules)."""
    if not url:
        return "invalid_url"
    if is_template_string(url):
        return None if check_template(hass, url) else "invalid_template"
    try:
        resolved = resolve_url(url, profile.base_url)
    except UrlError as err:
        return err.key
    return None if profile.covers(resolved) else "url_outside_profile"


def _check_body(hass: HomeAssistant, body_type: str, body: str) -> str | None:
    """Return the error key of a body (template syntax, or static JSON)."""
    if is_template_string(body):
        return None if check_template(hass, body) else "invalid_template"
    if body_type == BODY_JSON:
        try:
            json.loads(body)
        except ValueError:
            return "invalid_json"
    return None


def _check_name(entry: ConfigEntry[Any], name: str, own_id: str | None) -> str | None:
    """Return the error key of a name: empty, or taken in the profile."""
    if not name:
        return "name_required"
    taken = {
        request_key(subentry.title)
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_REQUEST and subentry.subentry_id != own_id
    }
    return "name_taken" if request_key(name) in taken else None


def _check_rows(
    hass: HomeAssistant, headers: list[dict[str, str]], params: list[dict[str, str]]
) -> dict[str, str]:
    """Return the errors of header and param rows (names, value templates)."""
    errors: dict[str, str] = {}
    if not all(
        is_allowed_header(row[CONF_HEADER_NAME], "")
        and _valid_value(hass, row[CONF_HEADER_VALUE])
        for row in headers
    ):
        errors[CONF_HEADERS] = "invalid_header"
    if not all(
        row[CONF_HEADER_NAME] and _valid_value(hass, row[CONF_HEADER_VALUE])
        for row in params
    ):
        errors[ATTR_PARAMS] = "invalid_param"
    return errors


def validate_request_form(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    profile: Profile,
    user_input: Mapping[str, Any],
    own_subentry_id: str | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the subentry data of a submitted form, and the form errors."""
    errors: dict[str, str] = {}
    name = str(user_input.get(CONF_NAME, "")).strip()
    if name_error := _check_name(entry, name, own_subentry_id):
        errors[CONF_NAME] = name_error
    url = str(user_input.get(ATTR_URL, "")).strip()
    if url_error := _check_url(hass, url, profile):
        errors[ATTR_URL] = url_error
    headers = _rows(user_input.get(CONF_HEADERS))
    params = _rows(user_input.get(ATTR_PARAMS))
    errors.update(_check_rows(hass, headers, params))
    body_type = str(user_input.get(CONF_BODY_TYPE, BODY_NONE))
    body = "" if body_type == BODY_NONE else str(user_input.get(ATTR_BODY) or "")
    if body_error := _check_body(hass, body_type, body):
        errors[ATTR_BODY] = body_error
    data: dict[str, Any] = {
        CONF_NAME: name,
        ATTR_METHOD: str(user_input.get(ATTR_METHOD, "GET")),
        ATTR_URL: url,
        CONF_HEADERS: headers,
        ATTR_PARAMS: params,
        CONF_BODY_TYPE: body_type,
        ATTR_BODY: body,
        ATTR_FAIL_ON_HTTP_ERROR: bool(user_input.get(ATTR_FAIL_ON_HTTP_ERROR, True)),
    }
    if (timeout := user_input.get(CONF_TIMEOUT)) is not None:
        data[CONF_TIMEOUT] = float(timeout)
    if (retries := user_input.get(ATTR_RETRIES)) is not None:
        data[ATTR_RETRIES] = int(retries)
    return data, errors


def _secret_values(profile: Profile, headers: Mapping[str, str]) -> list[str]:
    """Return the values "Try it" must never show: credentials and header values."""
    values = [profile.password, profile.token]
    values += [value for _, value in profile.scoped_headers()]
    values += headers.values()
    # Longest first, so that a value containing another is hidden whole.
    shown = (value for value in values if len(value) >= _MIN_SECRET_LENGTH)
    return sorted(shown, key=len, reverse=True)


def try_result(response: Response, secrets: list[str]) -> str:
    """Return the Markdown that shows the answer of "Try it"."""
    preview = content_preview(
        response.body, response.headers.get(hdrs.CONTENT_TYPE), TRY_IT_CONTENT_LENGTH
    )
    for secret in secrets:
        preview = preview.replace(secret, "***")
    status = status_line(response.status, response.reason)
    lines = [f"**{status}** · {response.elapsed:.3f} s"]
    if preview:
        # An indented code block: the content can't close it nor format itself.
        lines += ["", *("    " + line for line in preview.splitlines())]
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
        entry = self._get_entry()
        try:
            profile = profile_from_entry(
                entry.entry_id, entry.title, entry.data, entry.options
            )
        except InvalidProfileError:
            return self.async_abort(reason="invalid_profile")
        errors: dict[str, str] = {}
        result = ""
        suggested: Mapping[str, Any] = subentry.data if subentry else {}
        if user_input is not None:
            own_id = subentry.subentry_id if subentry else None
            data, errors = validate_request_form(
                self.hass, entry, profile, user_input, own_id
            )
            if not errors and not user_input.get(CONF_TRY_IT):
                return self._save(entry, subentry, data)
            if not errors:
                result, errors = await self._async_try(entry, profile, data)
            suggested = {k: v for k, v in user_input.items() if k != CONF_TRY_IT}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(REQUEST_SCHEMA, suggested),
            errors=errors,
            description_placeholders={
                PLACEHOLDER_TRY_RESULT: result,
                "profile": entry.title,
                "example_template": "status?who={{ who }}",
            },
        )

    def _save(
        self,
        entry: ConfigEntry[Any],
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
        self, entry: ConfigEntry[Any], profile: Profile, data: Mapping[str, Any]
    ) -> tuple[str, dict[str, str]]:
        """Send the request as the action would, with no variables."""
        saved = saved_request_from_data(entry.entry_id, "", data)
        try:
            call = saved_call_data(self.hass, saved, {})
            request, _ = build_request(self.hass, call)
            response = await HttpClient(
                async_get_clientsession(self.hass)
            ).async_request(request)
        except RequestError as err:
            reason = _TRY_ERRORS.get(str(err.translation_key), "cannot_connect")
            _LOGGER.debug("Try of saved request %s failed: %s", saved.name, reason)
            return "", {"base": reason}
        except HomeAssistantError as err:
            key = "template_error" if err.translation_key == "template_error" else ""
            return "", {"base": key or "invalid_request"}
        except Exception:
            _LOGGER.exception("Unexpected error trying saved request %s", saved.name)
            return "", {"base": "unknown"}
        _LOGGER.debug("Try of saved request %s: HTTP %s", saved.name, response.status)
        return try_result(response, _secret_values(profile, request.headers)), {}
