"""Config, options and reconfigure flows for Scene HTTP Request profiles.

A profile is one config entry: its data holds the name and the optional base URL,
its options hold the defaults (headers, authentication, limits). The settings form
is shared by the config flow (step ``settings``) and the options flow (step
``init``). Passwords and tokens are never sent back to the browser: a blank secret
field keeps the value already stored or typed earlier in the same flow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
import logging
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import (
    ConfigEntryBaseFlow,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlowWithReload,
)
from homeassistant.const import (
    CONF_HEADERS,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_TIMEOUT,
    CONF_TOKEN,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import callback
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
    TextSelectorType,
)

from .client import RequestError
from .const import (
    ATTR_RETRIES,
    ATTR_URL,
    AUTH_API_KEY_QUERY,
    AUTH_BASIC,
    AUTH_BEARER,
    AUTH_DIGEST,
    AUTH_NONE,
    AUTH_OAUTH2,
    AUTH_TYPES,
    CONF_AUDIENCE,
    CONF_AUTH_TYPE,
    CONF_BASE_URL,
    CONF_CA_PEM,
    CONF_CLIENT_CERT_PEM,
    CONF_CLIENT_ID,
    CONF_CLIENT_KEY_PASSWORD,
    CONF_CLIENT_KEY_PEM,
    CONF_CLIENT_SECRET,
    CONF_HEADER_NAME,
    CONF_HEADER_VALUE,
    CONF_LEGACY_CIPHERS,
    CONF_MAX_RESPONSE_SIZE,
    CONF_PROXY_PASSWORD,
    CONF_PROXY_URL,
    CONF_PROXY_USERNAME,
    CONF_QUERY_NAME,
    CONF_QUERY_VALUE,
    CONF_SCOPE,
    CONF_TEST_REQUEST,
    CONF_TOKEN_URL,
    DEFAULT_VERIFY_SSL,
    DOMAIN,
    MAX_RESPONSE_SIZE_LIMIT,
    MAX_TIMEOUT,
    MIN_TIMEOUT,
    SUBENTRY_REQUEST,
)
from .content import mask, secret_forms, status_line
from .profile import (
    SECRET_OPTIONS,
    InvalidProfileError,
    Profile,
    SceneHttpRequestConfigEntry,
    async_with_transport,
    profile_from_entry,
)
from .request import prepare
from .runtime import shared
from .subentry_flow import SavedRequestFlow
from .transport import TlsError
from .url import (
    UrlError,
    check_http_url,
    normalize_base_url,
    normalize_proxy_url,
    parse_url,
)
from .validation import is_allowed_header, is_encodable, is_header_value

if TYPE_CHECKING:
    # HA 2026.10+ installs probatio as `voluptuous` and types its APIs with it.
    import probatio as vol
else:
    import voluptuous as vol

_LOGGER = logging.getLogger(__name__)

PLACEHOLDER_TEST_RESULT: Final = "test_result"
# Translations may not contain URLs (hassfest); the example comes in a placeholder.
IDENTITY_PLACEHOLDERS: Final = {"example_url": "https://api.example.com/v1/"}
_TRIMMED_SECRETS: Final = frozenset({CONF_TOKEN, CONF_CLIENT_KEY_PEM})
_PEM_TEXT: Final = TextSelector(TextSelectorConfig(multiline=True))
_SECRET_TEXT: Final = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="new-password")
)

# What a test request's failure is shown as; anything not listed is cannot_connect.
_TEST_ERRORS: Final = {
    "timeout": "timeout",
    "ssl_error": "ssl_error",
    "response_too_large": "response_too_large",
    "proxy_error": "proxy_error",
    "oauth_failed": "oauth_failed",
}
_AUTH_FAILURE_STATUSES: Final = frozenset(
    {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}
)

IDENTITY_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_NAME): TextSelector(),
        vol.Optional(CONF_BASE_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        ),
    }
)

SETTINGS_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_HEADERS): ObjectSelector(
            ObjectSelectorConfig(
                fields={
                    CONF_HEADER_NAME: {"selector": {"text": {}}, "required": True},
                    CONF_HEADER_VALUE: {"selector": {"text": {}}, "required": True},
                },
                multiple=True,
                label_field=CONF_HEADER_NAME,
                translation_key="header",
            )
        ),
        vol.Required(CONF_AUTH_TYPE, default=AUTH_NONE): SelectSelector(
            SelectSelectorConfig(
                options=list(AUTH_TYPES),
                translation_key=CONF_AUTH_TYPE,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
        vol.Optional(CONF_USERNAME): TextSelector(
            TextSelectorConfig(autocomplete="username")
        ),
        vol.Optional(CONF_PASSWORD): _SECRET_TEXT,
        vol.Optional(CONF_TOKEN): _SECRET_TEXT,
        vol.Optional(CONF_TOKEN_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        ),
        vol.Optional(CONF_CLIENT_ID): TextSelector(),
        vol.Optional(CONF_CLIENT_SECRET): _SECRET_TEXT,
        vol.Optional(CONF_SCOPE): TextSelector(),
        vol.Optional(CONF_AUDIENCE): TextSelector(),
        vol.Optional(CONF_QUERY_NAME): TextSelector(),
        vol.Optional(CONF_QUERY_VALUE): _SECRET_TEXT,
        vol.Optional(CONF_TIMEOUT): NumberSelector(
            NumberSelectorConfig(
                min=MIN_TIMEOUT,
                max=MAX_TIMEOUT,
                step=0.1,
                unit_of_measurement="s",
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Required(CONF_VERIFY_SSL, default=DEFAULT_VERIFY_SSL): BooleanSelector(),
        vol.Optional(CONF_CA_PEM): _PEM_TEXT,
        vol.Optional(CONF_CLIENT_CERT_PEM): _PEM_TEXT,
        # Multi-line, so a pasted key keeps its line breaks; never sent back.
        vol.Optional(CONF_CLIENT_KEY_PEM): _PEM_TEXT,
        vol.Optional(CONF_CLIENT_KEY_PASSWORD): _SECRET_TEXT,
        vol.Optional(CONF_LEGACY_CIPHERS): BooleanSelector(),
        vol.Optional(CONF_PROXY_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        ),
        vol.Optional(CONF_PROXY_USERNAME): TextSelector(),
        vol.Optional(CONF_PROXY_PASSWORD): _SECRET_TEXT,
        vol.Optional(CONF_MAX_RESPONSE_SIZE): NumberSelector(
            NumberSelectorConfig(
                min=1, max=MAX_RESPONSE_SIZE_LIMIT, step=1, mode=NumberSelectorMode.BOX
            )
        ),
        vol.Required(CONF_TEST_REQUEST, default=False): BooleanSelector(),
    }
)

_SETTINGS_FIELDS: Final = frozenset(str(key.schema) for key in SETTINGS_SCHEMA.schema)


def _validate_identity(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the entry data for a name and base URL, and the form errors."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {CONF_NAME: str(user_input[CONF_NAME]).strip()}
    if not data[CONF_NAME]:
        errors[CONF_NAME] = "name_required"
    if raw_url := str(user_input.get(CONF_BASE_URL) or "").strip():
        try:
            data[CONF_BASE_URL] = str(normalize_base_url(raw_url))
        except UrlError as err:
            errors[CONF_BASE_URL] = err.key
    return data, errors


def _validate_headers(raw_headers: Any, errors: dict[str, str]) -> list[dict[str, str]]:
    """Return the header rows of a settings form, trimmed; flag invalid ones."""
    if isinstance(raw_headers, Mapping):
        raw_headers = [raw_headers]
    headers: list[dict[str, str]] = []
    for item in raw_headers or ():
        name = str(item.get(CONF_HEADER_NAME, "")).strip()
        value = str(item.get(CONF_HEADER_VALUE, "")).strip()
        if not is_allowed_header(name, value):
            errors[CONF_HEADERS] = "invalid_header"
        headers.append({CONF_HEADER_NAME: name, CONF_HEADER_VALUE: value})
    return headers


def _validate_credentials(
    auth_type: str,
    user_input: Mapping[str, Any],
    secrets: Mapping[str, str],
    errors: dict[str, str],
) -> dict[str, str]:
    """Return the credentials auth_type uses (and only those); flag missing ones."""
    if auth_type in (AUTH_BASIC, AUTH_DIGEST):
        username = str(user_input.get(CONF_USERNAME) or "").strip()
        if not username:
            errors[CONF_USERNAME] = "username_required"
        elif ":" in username or not is_header_value(username):
            errors[CONF_USERNAME] = "invalid_username"
        return {
            CONF_USERNAME: username,
            CONF_PASSWORD: secrets.get(CONF_PASSWORD, ""),
        }
    if auth_type == AUTH_BEARER:
        token = secrets.get(CONF_TOKEN, "")
        if not token:
            errors[CONF_TOKEN] = "token_required"
        elif not is_header_value(token):
            errors[CONF_TOKEN] = "invalid_token"
        return {CONF_TOKEN: token}
    if auth_type == AUTH_API_KEY_QUERY:
        return _validate_query(user_input, secrets, errors)
    if auth_type == AUTH_OAUTH2:
        return _validate_oauth(user_input, secrets, errors)
    return {}


def _validate_oauth(
    user_input: Mapping[str, Any],
    secrets: Mapping[str, str],
    errors: dict[str, str],
) -> dict[str, str]:
    """Return the OAuth2 client credentials settings; flag missing or bad ones."""
    options = {
        key: str(user_input.get(key) or "").strip()
        for key in (CONF_TOKEN_URL, CONF_CLIENT_ID, CONF_SCOPE, CONF_AUDIENCE)
    }
    options[CONF_CLIENT_SECRET] = secrets.get(CONF_CLIENT_SECRET, "")
    try:
        check_http_url(parse_url(options[CONF_TOKEN_URL]))
    except UrlError:
        errors[CONF_TOKEN_URL] = "invalid_token_url"
    for key in (CONF_CLIENT_ID, CONF_CLIENT_SECRET):
        if not options[key] or not is_encodable(options[key]):
            errors[key] = f"{key}_required"
    return {key: value for key, value in options.items() if value}


def _validate_query(
    user_input: Mapping[str, Any],
    secrets: Mapping[str, str],
    errors: dict[str, str],
) -> dict[str, str]:
    """Return the API key query parameter's name and value; flag missing ones."""
    name = str(user_input.get(CONF_QUERY_NAME) or "").strip()
    value = secrets.get(CONF_QUERY_VALUE, "")
    if not name or not is_encodable(name):
        errors[CONF_QUERY_NAME] = "query_name_required"
    if not value or not is_encodable(value):
        errors[CONF_QUERY_VALUE] = "query_value_required"
    return {CONF_QUERY_NAME: name, CONF_QUERY_VALUE: value}


def _tls_options(
    user_input: Mapping[str, Any], secrets: Mapping[str, str]
) -> dict[str, Any]:
    """Return the TLS options set; the key and its password go with a certificate.

    A profile without TLS settings stores none of their keys. They are checked
    when the contexts are built (transport.build_contexts).
    """
    options: dict[str, Any] = {}
    if user_input.get(CONF_LEGACY_CIPHERS):
        options[CONF_LEGACY_CIPHERS] = True
    if ca_pem := str(user_input.get(CONF_CA_PEM) or "").strip():
        options[CONF_CA_PEM] = ca_pem
    cert_pem = str(user_input.get(CONF_CLIENT_CERT_PEM) or "").strip()
    if cert_pem:
        options[CONF_CLIENT_CERT_PEM] = cert_pem
    if cert_pem or user_input.get(CONF_CLIENT_KEY_PEM):
        options[CONF_CLIENT_KEY_PEM] = secrets.get(CONF_CLIENT_KEY_PEM, "")
        if password := secrets.get(CONF_CLIENT_KEY_PASSWORD):
            options[CONF_CLIENT_KEY_PASSWORD] = password
    return options


def _proxy_options(
    user_input: Mapping[str, Any],
    secrets: Mapping[str, str],
    errors: dict[str, str],
) -> dict[str, str]:
    """Return the proxy URL and its credentials, if a proxy is set; flag bad ones."""
    raw = str(user_input.get(CONF_PROXY_URL) or "").strip()
    if not raw:
        return {}
    options = {CONF_PROXY_URL: raw}
    try:
        options[CONF_PROXY_URL] = str(normalize_proxy_url(raw))
    except UrlError as err:
        errors[CONF_PROXY_URL] = err.key
    if username := str(user_input.get(CONF_PROXY_USERNAME) or "").strip():
        if ":" in username or not is_header_value(username):
            errors[CONF_PROXY_USERNAME] = "invalid_username"
        options[CONF_PROXY_USERNAME] = username
        if password := secrets.get(CONF_PROXY_PASSWORD):
            options[CONF_PROXY_PASSWORD] = password
    return options


def _validate_settings(
    user_input: Mapping[str, Any], secrets: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the options for a settings form, and the form errors.

    secrets holds the password and token to use when their fields are blank.
    """
    errors: dict[str, str] = {}
    auth_type = str(user_input[CONF_AUTH_TYPE])
    options: dict[str, Any] = {
        CONF_HEADERS: _validate_headers(user_input.get(CONF_HEADERS), errors),
        CONF_AUTH_TYPE: auth_type,
        **_validate_credentials(auth_type, user_input, secrets, errors),
        CONF_VERIFY_SSL: bool(user_input[CONF_VERIFY_SSL]),
        **_tls_options(user_input, secrets),
        **_proxy_options(user_input, secrets, errors),
    }
    if (timeout := user_input.get(CONF_TIMEOUT)) is not None:
        options[CONF_TIMEOUT] = float(timeout)
    if (size := user_input.get(CONF_MAX_RESPONSE_SIZE)) is not None:
        options[CONF_MAX_RESPONSE_SIZE] = int(size)
    return options, errors


def _typed_secrets(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Return the secrets typed in a settings form (blank fields are left out).

    A token and a PEM key are trimmed; a password is kept exactly as typed.
    """
    typed: dict[str, str] = {}
    for key in SECRET_OPTIONS:
        value = str(user_input.get(key) or "")
        if key in _TRIMMED_SECRETS:
            value = value.strip()
        if value:
            typed[key] = value
    return typed


def _without_secrets(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return form values that may be sent back to the browser."""
    return {
        key: value
        for key, value in values.items()
        if key not in SECRET_OPTIONS and key != CONF_TEST_REQUEST
    }


class _SettingsFlow(ConfigEntryBaseFlow):
    """The settings form shared by the config flow and the options flow."""

    def __init__(self) -> None:
        """Start with no secret typed in this flow."""
        super().__init__()
        self._flow_secrets: dict[str, str] = {}

    async def _async_settings_step(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        *,
        data: Mapping[str, Any],
        stored: Mapping[str, Any],
        save: Callable[[dict[str, Any]], ConfigFlowResult],
    ) -> ConfigFlowResult:
        """Show, check, test and save the settings form.

        data is the profile's entry data (name and base URL); stored holds the
        options to start from. save is called with valid options when the form is
        submitted without a test request.
        """
        errors: dict[str, str] = {}
        test_result = ""
        suggested: Mapping[str, Any] = stored
        if user_input is not None:
            self._flow_secrets.update(_typed_secrets(user_input))
            secrets = {
                key: str(stored[key]) for key in SECRET_OPTIONS if stored.get(key)
            } | self._flow_secrets
            options, errors = _validate_settings(user_input, secrets)
            profile = None
            if not errors:
                profile, errors = await self._async_profile(data, options)
            if profile is not None and not errors:
                if not user_input.get(CONF_TEST_REQUEST):
                    return save(options)
                test_result, errors = await self._async_test_request(profile)
            suggested = user_input
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                SETTINGS_SCHEMA, _without_secrets(suggested)
            ),
            errors=errors,
            description_placeholders={PLACEHOLDER_TEST_RESULT: test_result},
        )

    async def _async_profile(
        self, data: Mapping[str, Any], options: Mapping[str, Any]
    ) -> tuple[Profile | None, dict[str, str]]:
        """Build the profile exactly as at setup: TLS errors are field errors.

        Text the checks above let through but storage refuses (a lone surrogate
        in a scope, say) is an error on its field too.
        """
        try:
            profile = profile_from_entry("", str(data[CONF_NAME]), data, options)
        except InvalidProfileError as err:
            field = str(err) if str(err) in _SETTINGS_FIELDS else "base"
            return None, {field: "invalid_text"}
        try:
            client = shared(self.hass).client
            return await async_with_transport(self.hass, profile, client), {}
        except TlsError as err:
            return profile, {err.field: err.key}

    async def _async_test_request(self, profile: Profile) -> tuple[str, dict[str, str]]:
        """Send a GET to the base URL; return the status line and form errors.

        The profile is built exactly as at runtime, so the client sends its headers,
        credentials and TLS settings as the action will.
        """
        name = profile.title
        try:
            if profile.base_url is None:
                return "", {CONF_TEST_REQUEST: "no_base_url"}
            test = prepare(
                self.hass,
                {ATTR_URL: str(profile.base_url), ATTR_RETRIES: 0},
                profile=profile,
            )
            result = await shared(self.hass).client.async_request(test.request)
        except RequestError as err:
            reason = _TEST_ERRORS.get(str(err.translation_key), "cannot_connect")
            _LOGGER.debug("Test request for profile %s failed: %s", name, reason)
            return "", {"base": reason}
        except Exception:
            _LOGGER.exception("Unexpected error in the test request of %s", name)
            return "", {"base": "unknown"}
        _LOGGER.debug("Test request for profile %s: HTTP %s", name, result.status)
        errors: dict[str, str] = {}
        if result.status in _AUTH_FAILURE_STATUSES:
            errors["base"] = "invalid_auth"
        forms = secret_forms(profile.secret_values())
        return mask(status_line(result.status, result.reason), forms), errors


class SceneHttpRequestConfigFlow(_SettingsFlow, ConfigFlow, domain=DOMAIN):
    """Create a profile, or change its name and base URL."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with no profile data."""
        super().__init__()
        self._data: dict[str, Any] = {}

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: SceneHttpRequestConfigEntry,  # noqa: ARG004
    ) -> SceneHttpRequestOptionsFlow:
        """Return the options flow that edits a profile's defaults."""
        return SceneHttpRequestOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls,
        config_entry: SceneHttpRequestConfigEntry,  # noqa: ARG003
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentry flows of a profile: its saved requests."""
        return {SUBENTRY_REQUEST: SavedRequestFlow}

    @callback
    def _async_abort_duplicates(self, data: Mapping[str, Any]) -> None:
        """Abort when another profile has the same name or base URL."""
        self._async_abort_entries_match({CONF_NAME: data[CONF_NAME]})
        if base_url := data.get(CONF_BASE_URL):
            self._async_abort_entries_match({CONF_BASE_URL: base_url})

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the profile's name and base URL."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _validate_identity(user_input)
            if not errors:
                self._async_abort_duplicates(data)
                self._data = data
                return await self.async_step_settings()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                IDENTITY_SCHEMA, user_input
            ),
            errors=errors,
            description_placeholders=IDENTITY_PLACEHOLDERS,
            last_step=False,
        )

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the profile's headers, authentication and limits."""
        return await self._async_settings_step(
            "settings", user_input, data=self._data, stored={}, save=self._create
        )

    @callback
    def _create(self, options: dict[str, Any]) -> ConfigFlowResult:
        """Create the profile, unless an equal one appeared meanwhile."""
        self._async_abort_duplicates(self._data)
        return self.async_create_entry(
            title=self._data[CONF_NAME], data=self._data, options=options
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change a profile's name and base URL."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        suggested: Mapping[str, Any] = entry.data
        if user_input is not None:
            data, errors = _validate_identity(user_input)
            if not errors:
                self._async_abort_duplicates(data)
                # data, not data_updates: clearing the base URL must remove it.
                return self.async_update_reload_and_abort(
                    entry, title=data[CONF_NAME], data=data
                )
            suggested = user_input
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(IDENTITY_SCHEMA, suggested),
            errors=errors,
            description_placeholders={**IDENTITY_PLACEHOLDERS, CONF_NAME: entry.title},
        )


class SceneHttpRequestOptionsFlow(_SettingsFlow, OptionsFlowWithReload):
    """Edit a profile's headers, authentication and limits."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the settings form filled with the stored options."""
        return await self._async_settings_step(
            "init",
            user_input,
            data=self.config_entry.data,
            stored=self.config_entry.options,
            save=self._save,
        )

    @callback
    def _save(self, options: dict[str, Any]) -> ConfigFlowResult:
        """Store the new options; the entry reloads by itself."""
        return self.async_create_entry(data=options)
