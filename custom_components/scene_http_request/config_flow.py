"""Config, options, reconfigure and reauth flows for Scene HTTP Request profiles.

A profile is one config entry: its data holds the name and the optional base URL,
its options hold the defaults (headers, authentication, limits). The settings
form (step ``settings`` of the config flow, ``init`` of the options flow) shows
the headers, the authentication type and folded sections (connection, TLS,
proxy); the ``credentials`` step then asks for the chosen type's credentials
only. The stored options stay flat: sections are flattened here.

Every rule of the stored data lives in profile.py: the flows build the options
they would store and let profile_from_entry check them. Passwords and tokens are
never sent back to the browser: a blank secret field keeps the value already
stored or typed earlier in the same flow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import asynccontextmanager
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
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
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
    AUTH_LOGIN,
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
    CONF_LOGIN_BODY_TYPE,
    CONF_LOGIN_FIELDS,
    CONF_LOGIN_HEADER_NAME,
    CONF_LOGIN_HEADER_VALUE,
    CONF_LOGIN_METHOD,
    CONF_LOGIN_URL,
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
    LOGIN_BODY_FORM,
    LOGIN_BODY_TYPES,
    LOGIN_METHODS,
    MAX_RESPONSE_SIZE_LIMIT,
    SUBENTRY_REQUEST,
)
from .content import mask, secret_forms, status_line
from .form import TIMEOUT_SELECTOR, rows_selector
from .profile import (
    SECRET_OPTIONS,
    InvalidProfileError,
    Profile,
    SceneHttpRequestConfigEntry,
    async_client_error,
    async_release,
    async_with_transport,
    profile_from_entry,
)
from .request import prepare
from .runtime import shared
from .subentry_flow import SavedRequestFlow
from .transport import TlsError

if TYPE_CHECKING:
    # HA 2026.10+ installs probatio as `voluptuous` and types its APIs with it.
    import probatio as vol
else:
    import voluptuous as vol

_LOGGER = logging.getLogger(__name__)

PLACEHOLDER_TEST_RESULT: Final = "test_result"
# Templates can't be written in translations (braces are placeholders): the
# credentials step's examples come in placeholders, per authentication type.
CREDENTIALS_PLACEHOLDERS: Final = {
    AUTH_LOGIN: {
        "login_field_example": "{{ password }}",
        "login_header_example": "Bearer {{ value_json.token }}",
    }
}
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
    "login_failed": "login_failed",
}
# The field a test request's failure is shown on; the others go on top (base).
_TEST_ERROR_FIELDS: Final = {"login_failed": CONF_LOGIN_URL}
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
_IDENTITY_FIELDS: Final = frozenset({CONF_NAME, CONF_BASE_URL})

SECTION_CONNECTION: Final = "connection"
SECTION_TLS: Final = "tls"
SECTION_PROXY: Final = "proxy"
# The folded parts of the settings step, in the order shown.
SECTIONS: Final = {
    SECTION_CONNECTION: vol.Schema(
        {
            vol.Optional(CONF_TIMEOUT): TIMEOUT_SELECTOR,
            vol.Required(
                CONF_VERIFY_SSL, default=DEFAULT_VERIFY_SSL
            ): BooleanSelector(),
            vol.Optional(CONF_MAX_RESPONSE_SIZE): NumberSelector(
                NumberSelectorConfig(
                    min=1,
                    max=MAX_RESPONSE_SIZE_LIMIT,
                    step=1,
                    mode=NumberSelectorMode.BOX,
                )
            ),
        }
    ),
    SECTION_TLS: vol.Schema(
        {
            vol.Optional(CONF_CA_PEM): _PEM_TEXT,
            vol.Optional(CONF_CLIENT_CERT_PEM): _PEM_TEXT,
            # Multi-line, so a pasted key keeps its line breaks; never sent back.
            vol.Optional(CONF_CLIENT_KEY_PEM): _PEM_TEXT,
            vol.Optional(CONF_CLIENT_KEY_PASSWORD): _SECRET_TEXT,
            vol.Optional(CONF_LEGACY_CIPHERS): BooleanSelector(),
        }
    ),
    SECTION_PROXY: vol.Schema(
        {
            vol.Optional(CONF_PROXY_URL): TextSelector(
                TextSelectorConfig(type=TextSelectorType.URL)
            ),
            vol.Optional(CONF_PROXY_USERNAME): TextSelector(),
            vol.Optional(CONF_PROXY_PASSWORD): _SECRET_TEXT,
        }
    ),
}
# The section each folded field sits in.
SECTION_OF: Final = {
    str(key.schema): name for name, schema in SECTIONS.items() for key in schema.schema
}
_TEST_REQUEST_FIELD: Final = {
    vol.Required(CONF_TEST_REQUEST, default=False): BooleanSelector()
}
_HEADERS_AND_AUTH: Final = {
    vol.Optional(CONF_HEADERS): rows_selector("header"),
    vol.Required(CONF_AUTH_TYPE, default=AUTH_NONE): SelectSelector(
        SelectSelectorConfig(
            options=list(AUTH_TYPES),
            translation_key=CONF_AUTH_TYPE,
            mode=SelectSelectorMode.DROPDOWN,
        )
    ),
}
SETTINGS_FIELDS: Final = frozenset(
    {CONF_HEADERS, CONF_AUTH_TYPE, CONF_TEST_REQUEST, *SECTION_OF}
)

# The credentials step shows the chosen authentication's fields only.
_USERNAME_AND_PASSWORD: Final = vol.Schema(
    {
        vol.Optional(CONF_USERNAME): TextSelector(
            TextSelectorConfig(autocomplete="username")
        ),
        vol.Optional(CONF_PASSWORD): _SECRET_TEXT,
    }
)
# A login request: where and how it is sent, and the rows of its body (or query).
_LOGIN: Final = vol.Schema(
    {
        vol.Optional(CONF_LOGIN_URL): TextSelector(),
        vol.Required(CONF_LOGIN_METHOD, default="POST"): SelectSelector(
            SelectSelectorConfig(
                options=list(LOGIN_METHODS), mode=SelectSelectorMode.DROPDOWN
            )
        ),
        vol.Required(CONF_LOGIN_BODY_TYPE, default=LOGIN_BODY_FORM): SelectSelector(
            SelectSelectorConfig(
                options=list(LOGIN_BODY_TYPES),
                translation_key=CONF_LOGIN_BODY_TYPE,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
        vol.Optional(CONF_LOGIN_FIELDS): rows_selector("login_field"),
        **_USERNAME_AND_PASSWORD.schema,
    }
)
# What a new login profile's rows start as: a classic login form.
LOGIN_FIELDS_SUGGESTED: Final = (
    {CONF_HEADER_NAME: "username", CONF_HEADER_VALUE: "{{ username }}"},
    {CONF_HEADER_NAME: "password", CONF_HEADER_VALUE: "{{ password }}"},
)
SECTION_LOGIN_HEADER: Final = "login_header"
CREDENTIALS: Final = {
    AUTH_LOGIN: _LOGIN,
    AUTH_BASIC: _USERNAME_AND_PASSWORD,
    AUTH_DIGEST: _USERNAME_AND_PASSWORD,
    AUTH_BEARER: vol.Schema({vol.Optional(CONF_TOKEN): _SECRET_TEXT}),
    AUTH_API_KEY_QUERY: vol.Schema(
        {
            vol.Optional(CONF_QUERY_NAME): TextSelector(),
            vol.Optional(CONF_QUERY_VALUE): _SECRET_TEXT,
        }
    ),
    AUTH_OAUTH2: vol.Schema(
        {
            vol.Optional(CONF_TOKEN_URL): TextSelector(
                TextSelectorConfig(type=TextSelectorType.URL)
            ),
            vol.Optional(CONF_CLIENT_ID): TextSelector(),
            vol.Optional(CONF_CLIENT_SECRET): _SECRET_TEXT,
            vol.Optional(CONF_SCOPE): TextSelector(),
            vol.Optional(CONF_AUDIENCE): TextSelector(),
        }
    ),
}
# The folded parts of a credentials step, per authentication type: the header a
# login answer gives is optional (a session cookie needs none).
CREDENTIAL_SECTIONS: Final = {
    AUTH_LOGIN: {
        SECTION_LOGIN_HEADER: vol.Schema(
            {
                vol.Optional(CONF_LOGIN_HEADER_NAME): TextSelector(),
                vol.Optional(CONF_LOGIN_HEADER_VALUE): TemplateSelector(),
            }
        )
    }
}
# The section each folded credentials field sits in.
CREDENTIAL_SECTION_OF: Final = {
    str(key.schema): name
    for sections in CREDENTIAL_SECTIONS.values()
    for name, schema in sections.items()
    for key in schema.schema
}
CREDENTIAL_SECTION_NAMES: Final = frozenset(CREDENTIAL_SECTION_OF.values())
# Optional credentials: left out of the options when blank.
_OPTIONAL_CREDENTIALS: Final = frozenset(
    {CONF_SCOPE, CONF_AUDIENCE, CONF_LOGIN_HEADER_NAME, CONF_LOGIN_HEADER_VALUE}
)
# What reauthentication asks for again, per authentication type. Another type
# plugs in here (and in _async_check_credentials).
REAUTH_FIELDS: Final = {
    AUTH_OAUTH2: (CONF_CLIENT_ID, CONF_CLIENT_SECRET),
    AUTH_LOGIN: (CONF_USERNAME, CONF_PASSWORD),
}

# Inside a section, HA's frontend shows an error above the section, not on the
# field: these errors name their field, where the plain key would not.
_SECTION_ERRORS: Final = {
    (CONF_CA_PEM, "invalid_pem"): "invalid_ca_pem",
    (CONF_CLIENT_CERT_PEM, "invalid_pem"): "invalid_client_cert_pem",
    (CONF_CLIENT_KEY_PEM, "invalid_pem"): "invalid_client_key_pem",
}


def _settings_schema(*, test_request: bool, expanded: Collection[str]) -> vol.Schema:
    """Return the settings form; sections holding an error are unfolded."""
    fields: dict[Any, Any] = dict(_HEADERS_AND_AUTH)
    for name, schema in SECTIONS.items():
        fields[vol.Optional(name)] = section(
            schema, {"collapsed": name not in expanded}
        )
    if test_request:
        fields |= _TEST_REQUEST_FIELD
    return vol.Schema(fields)


def _credentials_schema(auth_type: str, expanded: Collection[str]) -> vol.Schema:
    """Return the credentials form of an authentication type.

    Its sections are unfolded when they hold an error or a value.
    """
    fields: dict[Any, Any] = dict(CREDENTIALS[auth_type].schema)
    for name, schema in CREDENTIAL_SECTIONS.get(auth_type, {}).items():
        fields[vol.Optional(name)] = section(
            schema, {"collapsed": name not in expanded}
        )
    return vol.Schema(fields | _TEST_REQUEST_FIELD)


def _credential_fields(auth_type: str) -> list[str]:
    """Return the options a credentials step sets, sections' fields included."""
    sections = CREDENTIAL_SECTIONS.get(auth_type, {}).values()
    return [
        str(key.schema)
        for schema in (CREDENTIALS[auth_type], *sections)
        for key in schema.schema
    ]


def _reauth_schema(auth_type: str) -> vol.Schema:
    """Return the fields reauthentication asks for again."""
    return vol.Schema(
        {
            key: value
            for key, value in CREDENTIALS[auth_type].schema.items()
            if str(key.schema) in REAUTH_FIELDS[auth_type]
        }
    )


def _flatten(
    user_input: Mapping[str, Any], sections: Collection[str] = SECTIONS
) -> dict[str, Any]:
    """Return a form's values with its sections' fields at the top."""
    flat = {key: value for key, value in user_input.items() if key not in sections}
    for name in sections:
        flat |= user_input.get(name) or {}
    return flat


def _nest(
    values: Mapping[str, Any], section_of: Mapping[str, str] = SECTION_OF
) -> dict[str, Any]:
    """Return flat values shaped like a form (its sections' fields nested)."""
    nested: dict[str, Any] = {name: {} for name in section_of.values()}
    for key, value in values.items():
        if (name := section_of.get(key)) is not None:
            nested[name][key] = value
        else:
            nested[key] = value
    return nested


def _form_errors(
    found: Mapping[str, str],
    fields: Collection[str],
    section_of: Mapping[str, str] = SECTION_OF,
) -> dict[str, str]:
    """Return profile errors as a form shows them.

    A field of the form gets its error; a field inside a section puts it on the
    section (what HA's frontend shows); anything else is a form-wide error.
    """
    errors: dict[str, str] = {}
    for field, key in found.items():
        if field not in fields:
            errors.setdefault("base", key)
        elif (name := section_of.get(field)) is not None:
            errors.setdefault(name, _SECTION_ERRORS.get((field, key), key))
        else:
            errors.setdefault(field, key)
    return errors


def _validate_identity(
    user_input: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the entry data for a name and base URL, and the form errors."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {CONF_NAME: str(user_input[CONF_NAME]).strip()}
    if not data[CONF_NAME]:
        errors[CONF_NAME] = "name_required"
    if raw_url := str(user_input.get(CONF_BASE_URL) or "").strip():
        data[CONF_BASE_URL] = raw_url
    try:
        profile = profile_from_entry("", data[CONF_NAME], data, {})
    except InvalidProfileError as err:
        errors |= _form_errors(err.errors, _IDENTITY_FIELDS)
    else:
        if profile.base_url is not None:
            data[CONF_BASE_URL] = str(profile.base_url)
    return data, errors


def _header_rows(raw_headers: Any) -> list[dict[str, str]]:
    """Return a settings form's header rows (objects, by its selector), trimmed."""
    if isinstance(raw_headers, Mapping):
        raw_headers = [raw_headers]
    return [
        {
            CONF_HEADER_NAME: str(item.get(CONF_HEADER_NAME, "")).strip(),
            CONF_HEADER_VALUE: str(item.get(CONF_HEADER_VALUE, "")).strip(),
        }
        for item in raw_headers or ()
    ]


def _tls_options(
    user_input: Mapping[str, Any], secrets: Mapping[str, str]
) -> dict[str, Any]:
    """Return the TLS options set; the key and its password go with a certificate.

    A profile without TLS settings stores none of their keys.
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
    user_input: Mapping[str, Any], secrets: Mapping[str, str]
) -> dict[str, str]:
    """Return the proxy URL and its credentials, if a proxy is set."""
    raw = str(user_input.get(CONF_PROXY_URL) or "").strip()
    if not raw:
        return {}
    options = {CONF_PROXY_URL: raw}
    if username := str(user_input.get(CONF_PROXY_USERNAME) or "").strip():
        options[CONF_PROXY_USERNAME] = username
        if password := secrets.get(CONF_PROXY_PASSWORD):
            options[CONF_PROXY_PASSWORD] = password
    return options


def _settings_options(
    user_input: Mapping[str, Any], secrets: Mapping[str, str]
) -> dict[str, Any]:
    """Return the options a (flattened) settings form stands for, unchecked."""
    options: dict[str, Any] = {
        CONF_HEADERS: _header_rows(user_input.get(CONF_HEADERS)),
        CONF_AUTH_TYPE: str(user_input.get(CONF_AUTH_TYPE) or AUTH_NONE),
        CONF_VERIFY_SSL: bool(user_input.get(CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL)),
        **_tls_options(user_input, secrets),
        **_proxy_options(user_input, secrets),
    }
    if (timeout := user_input.get(CONF_TIMEOUT)) is not None:
        options[CONF_TIMEOUT] = float(timeout)
    if (size := user_input.get(CONF_MAX_RESPONSE_SIZE)) is not None:
        options[CONF_MAX_RESPONSE_SIZE] = int(size)
    return options


def _login_rows(raw_rows: Any) -> list[dict[str, str]]:
    """Return a form's login rows: names trimmed, values (templates) as typed.

    Rows left empty are dropped; a value without a name is kept, for the check
    to refuse.
    """
    if isinstance(raw_rows, Mapping):
        raw_rows = [raw_rows]
    rows = [
        {
            CONF_HEADER_NAME: str(item.get(CONF_HEADER_NAME) or "").strip(),
            CONF_HEADER_VALUE: str(item.get(CONF_HEADER_VALUE) or ""),
        }
        for item in raw_rows or ()
        if isinstance(item, Mapping)
    ]
    return [
        row for row in rows if row[CONF_HEADER_NAME] or row[CONF_HEADER_VALUE].strip()
    ]


def _credential_options(
    fields: Collection[str], user_input: Mapping[str, Any], secrets: Mapping[str, str]
) -> dict[str, Any]:
    """Return the credentials typed (trimmed), secrets left blank kept."""
    options: dict[str, Any] = {}
    for key in fields:
        if key == CONF_LOGIN_FIELDS:
            options[key] = _login_rows(user_input.get(key))
            continue
        if key in SECRET_OPTIONS:
            value = secrets.get(key, "")
        else:
            value = str(user_input.get(key) or "").strip()
        if value or key not in _OPTIONAL_CREDENTIALS:
            options[key] = value
    return options


def _typed_secrets(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Return the secrets typed in a form (blank fields are left out).

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
    """The settings and credentials steps shared by the config and options flows.

    A subclass sets the entry data (name and base URL) and the stored options
    the forms start from, and says how valid options are saved (_save).
    """

    _save: Callable[[dict[str, Any]], ConfigFlowResult]

    def __init__(self) -> None:
        """Start with no secret typed and no settings chosen in this flow."""
        super().__init__()
        self._data: Mapping[str, Any] = {}
        self._stored: Mapping[str, Any] = {}
        self._flow_secrets: dict[str, str] = {}
        self._settings: dict[str, Any] = {}
        self._carried_test = False

    def _secrets(self, user_input: Mapping[str, Any]) -> dict[str, str]:
        """Remember the secrets typed; return them over the stored ones."""
        self._flow_secrets.update(_typed_secrets(user_input))
        stored = self._stored
        return {
            key: str(stored[key]) for key in SECRET_OPTIONS if stored.get(key)
        } | self._flow_secrets

    async def _async_settings_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Show and check the settings; go on to the credentials, or save.

        The test request sits on the last step: here only while the chosen
        authentication is none.
        """
        errors: dict[str, str] = {}
        test_result = ""
        suggested: Mapping[str, Any] = self._stored
        auth_type = str(suggested.get(CONF_AUTH_TYPE) or AUTH_NONE)
        if user_input is not None:
            suggested = _flatten(user_input)
            options = _settings_options(suggested, self._secrets(suggested))
            auth_type = options[CONF_AUTH_TYPE]
            # The credentials come next: check the rest as if there were none.
            async with self._async_profile(options | {CONF_AUTH_TYPE: AUTH_NONE}) as (
                profile,
                found,
            ):
                errors = _form_errors(found, SETTINGS_FIELDS)
                if profile is not None and not errors:
                    if profile.proxy is not None:  # stored normalized
                        options[CONF_PROXY_URL] = str(profile.proxy)
                    self._settings = options
                    if auth_type != AUTH_NONE:
                        self._carried_test = bool(suggested.get(CONF_TEST_REQUEST))
                        return await self.async_step_credentials()
                    if not suggested.get(CONF_TEST_REQUEST):
                        return self._save(options)
                    test_result, errors = await self._async_test_request(profile)
        schema = _settings_schema(
            test_request=auth_type == AUTH_NONE, expanded=errors.keys()
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                schema, _nest(_without_secrets(suggested))
            ),
            errors=errors,
            description_placeholders={PLACEHOLDER_TEST_RESULT: test_result},
            last_step=auth_type == AUTH_NONE,
        )

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the chosen authentication's credentials; test or save."""
        auth_type = self._settings[CONF_AUTH_TYPE]
        errors: dict[str, str] = {}
        test_result = ""
        suggested = _without_secrets(self._stored)
        if auth_type == AUTH_LOGIN and self._stored.get(CONF_AUTH_TYPE) != AUTH_LOGIN:
            # A new login profile starts as a classic form: username, password.
            suggested[CONF_LOGIN_FIELDS] = [dict(row) for row in LOGIN_FIELDS_SUGGESTED]
        if self._carried_test:
            suggested[CONF_TEST_REQUEST] = True
        if user_input is not None:
            self._carried_test = False
            flat = _flatten(user_input, CREDENTIAL_SECTION_NAMES)
            credentials = _credential_options(
                _credential_fields(auth_type), flat, self._secrets(flat)
            )
            options = self._settings | credentials
            async with self._async_profile(options) as (profile, found):
                errors = _form_errors(
                    found,
                    {*_credential_fields(auth_type), CONF_TEST_REQUEST},
                    CREDENTIAL_SECTION_OF,
                )
                if profile is not None and not errors:
                    if not user_input.get(CONF_TEST_REQUEST):
                        return self._save(options)
                    test_result, errors = await self._async_test_request(profile)
            suggested = _without_secrets(flat)
        expanded = {
            name
            for field, name in CREDENTIAL_SECTION_OF.items()
            if suggested.get(field)
        } | errors.keys()
        return self.async_show_form(
            step_id="credentials",
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(auth_type, expanded),
                _nest(suggested, CREDENTIAL_SECTION_OF),
            ),
            errors=errors,
            description_placeholders={
                **CREDENTIALS_PLACEHOLDERS.get(auth_type, {}),
                PLACEHOLDER_TEST_RESULT: test_result,
            },
        )

    @asynccontextmanager
    async def _async_profile(
        self, options: Mapping[str, Any]
    ) -> AsyncIterator[tuple[Profile | None, dict[str, str]]]:
        """Build the profile exactly as at setup; yield it or what is wrong.

        The errors map fields to reasons: profile_from_entry's, then the TLS
        contexts' (built in the executor). What the profile opened (a login
        session) is closed when the block ends.
        """
        data = self._data
        profile: Profile | None = None
        errors: dict[str, str] = {}
        try:
            built = profile_from_entry("", str(data[CONF_NAME]), data, options)
        except InvalidProfileError as err:
            errors = err.errors
        else:
            try:
                client = shared(self.hass).client
                profile = await async_with_transport(self.hass, built, client)
            except TlsError as err:
                errors = {err.field: err.key}
        try:
            yield profile, errors
        finally:
            if profile is not None:
                await async_release(profile)

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
            return "", {_TEST_ERROR_FIELDS.get(reason, "base"): reason}
        except Exception:
            _LOGGER.exception("Unexpected error in the test request of %s", name)
            return "", {"base": "unknown"}
        _LOGGER.debug("Test request for profile %s: HTTP %s", name, result.status)
        errors: dict[str, str] = {}
        if result.status in _AUTH_FAILURE_STATUSES:
            errors["base"] = "invalid_auth"
        forms = secret_forms(profile.secret_values())
        return mask(status_line(result.status, result.reason), forms), errors


async def _async_check_credentials(
    hass: HomeAssistant, profile: Profile
) -> dict[str, str]:
    """Try a profile's new credentials on the server; return the form errors."""
    if key := await async_client_error(hass, profile, shared(hass).client):
        return {"base": key}
    return {}


class SceneHttpRequestConfigFlow(_SettingsFlow, ConfigFlow, domain=DOMAIN):
    """Create a profile, change its name and base URL, or sign in again."""

    VERSION = 1
    MINOR_VERSION = 1

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
        """Ask for the profile's headers, authentication type and limits."""
        return await self._async_settings_step("settings", user_input)

    @callback
    def _save(self, options: dict[str, Any]) -> ConfigFlowResult:
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

    async def async_step_reauth(
        self,
        entry_data: Mapping[str, Any],  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Start when the server refused a profile's stored credentials."""
        entry = self._get_reauth_entry()
        self._data = entry.data
        self._stored = entry.options
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the refused credentials again, try them, then save and reload."""
        entry = self._get_reauth_entry()
        auth_type = str(self._stored.get(CONF_AUTH_TYPE) or AUTH_NONE)
        if (fields := REAUTH_FIELDS.get(auth_type)) is None:
            return self.async_abort(reason="reauth_not_supported")
        errors: dict[str, str] = {}
        suggested = _without_secrets(self._stored)
        if user_input is not None:
            credentials = _credential_options(
                fields, user_input, self._secrets(user_input)
            )
            options = {**self._stored, **credentials}
            async with self._async_profile(options) as (profile, found):
                errors = _form_errors(found, fields)
                if profile is not None and not errors:
                    errors = await _async_check_credentials(self.hass, profile)
            if not errors:
                return self.async_update_reload_and_abort(entry, options=options)
            suggested = _without_secrets(user_input)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                _reauth_schema(auth_type), suggested
            ),
            errors=errors,
            description_placeholders={CONF_NAME: entry.title},
        )


class SceneHttpRequestOptionsFlow(_SettingsFlow, OptionsFlowWithReload):
    """Edit a profile's headers, authentication and limits."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the settings form filled with the stored options."""
        self._data = self.config_entry.data
        self._stored = self.config_entry.options
        return await self._async_settings_step("init", user_input)

    @callback
    def _save(self, options: dict[str, Any]) -> ConfigFlowResult:
        """Store the new options; the entry reloads by itself."""
        return self.async_create_entry(data=options)
