"""The scene_http_request.send action."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import math
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.json import json_bytes
from yarl import URL

from .client import HttpResult, RequestOptions, async_request, host_of
from .const import (
    ATTR_ALLOW_REDIRECTS,
    ATTR_BODY,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_FAIL_ON_HTTP_ERROR,
    ATTR_FORM,
    ATTR_HEADERS,
    ATTR_JSON,
    ATTR_MAX_RESPONSE_SIZE,
    ATTR_METHOD,
    ATTR_PARAMS,
    ATTR_RETRIES,
    ATTR_TIMEOUT,
    ATTR_URL,
    ATTR_VERIFY_SSL,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
    DEFAULT_VERIFY_SSL,
    DOMAIN,
    MAX_RESPONSE_SIZE_LIMIT,
    MAX_RETRIES,
    MAX_TIMEOUT,
    METHODS,
    MIN_TIMEOUT,
    SERVICE_SEND,
)
from .content import decode_content, parse_content_type
from .profile import Profile, SceneHttpRequestConfigEntry, match_profile
from .validation import (
    checked_headers,
    header_value_to_str,
    is_encodable,
    parse_http_url,
    validation_error,
)

if TYPE_CHECKING:
    # HA 2026.10+ installs probatio as `voluptuous` and types its APIs with it.
    import probatio as vol
else:
    import voluptuous as vol

_BODY_FIELDS = (ATTR_JSON, ATTR_FORM, ATTR_BODY)


def _finite(kind: type[float]) -> Callable[[Any], float]:
    """Coerce to kind; infinite or out-of-range numbers are vol.Invalid, not crashes."""

    def coerce(value: Any) -> float:
        try:
            number = kind(value)
            if not math.isfinite(number):
                raise ValueError  # noqa: TRY301 - one error path for every bad number
        except TypeError, ValueError, OverflowError:
            raise vol.Invalid(f"expected a finite {kind.__name__}") from None
        return number

    return coerce


_MAX_REASON_LENGTH = 100

SEND_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): vol.Any(None, cv.string),
        vol.Optional(ATTR_METHOD, default="GET"): vol.All(
            cv.string, vol.Upper, vol.In(METHODS)
        ),
        vol.Required(ATTR_URL): cv.string,
        vol.Optional(ATTR_HEADERS): vol.Any(None, dict),
        vol.Optional(ATTR_PARAMS): vol.Any(None, dict),
        vol.Optional(ATTR_JSON): object,
        vol.Optional(ATTR_FORM): vol.Any(None, dict),
        vol.Optional(ATTR_BODY): vol.Any(None, cv.string),
        vol.Optional(ATTR_TIMEOUT): vol.All(
            _finite(float), vol.Range(min=MIN_TIMEOUT, max=MAX_TIMEOUT)
        ),
        vol.Optional(ATTR_VERIFY_SSL): cv.boolean,
        vol.Optional(ATTR_ALLOW_REDIRECTS, default=True): cv.boolean,
        vol.Optional(ATTR_FAIL_ON_HTTP_ERROR, default=True): cv.boolean,
        vol.Optional(ATTR_RETRIES, default=0): vol.All(
            _finite(int), vol.Range(min=0, max=MAX_RETRIES)
        ),
        vol.Optional(ATTR_MAX_RESPONSE_SIZE): vol.All(
            _finite(int), vol.Range(min=1, max=MAX_RESPONSE_SIZE_LIMIT)
        ),
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the send action."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND,
        _async_send,
        schema=SEND_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


async def _async_send(call: ServiceCall) -> ServiceResponse:
    """Validate the call, send the request and return the response."""
    hass = call.hass
    data = call.data
    options = build_request(hass, data)
    result = await async_request(async_get_clientsession(hass), options)
    if data[ATTR_FAIL_ON_HTTP_ERROR] and result.status >= 400:  # noqa: PLR2004
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="http_error",
            translation_placeholders={
                "status": str(result.status),
                "reason": result.reason[:_MAX_REASON_LENGTH],
                "host": host_of(result.url),
            },
        )
    if not call.return_response:
        return None
    return response_data(result, options)


def build_request(hass: HomeAssistant, data: Mapping[str, Any]) -> RequestOptions:
    """Turn validated action data into request options, or raise a translated error.

    Nothing here touches the network.
    """
    profile = _explicit_profile(hass, data.get(ATTR_CONFIG_ENTRY_ID))
    url = _resolve_url(data[ATTR_URL], profile)
    if profile is None:
        profile = match_profile(_loaded_profiles(hass), url)
    if params := data.get(ATTR_PARAMS):
        url = url.extend_query(_pairs(params, "invalid_params"))
    headers = checked_headers(data.get(ATTR_HEADERS) or {})
    body = _encode_body(data, headers, profile)

    def pick(field: str, profile_value: Any, default: Any) -> Any:
        """Return the call's value, else the profile's, else the default."""
        if (value := data.get(field)) is not None:
            return value
        return profile_value if profile_value is not None else default

    return RequestOptions(
        method=data[ATTR_METHOD],
        url=url,
        headers=headers,
        body=body,
        timeout=pick(ATTR_TIMEOUT, profile and profile.timeout, DEFAULT_TIMEOUT),
        verify_ssl=pick(
            ATTR_VERIFY_SSL, profile and profile.verify_ssl, DEFAULT_VERIFY_SSL
        ),
        allow_redirects=data[ATTR_ALLOW_REDIRECTS],
        retries=data[ATTR_RETRIES],
        max_response_size=pick(
            ATTR_MAX_RESPONSE_SIZE,
            profile and profile.max_response_size,
            DEFAULT_MAX_RESPONSE_SIZE,
        ),
        profile=profile,
    )


def _explicit_profile(hass: HomeAssistant, entry_id: str | None) -> Profile | None:
    if not entry_id:
        return None
    entry: SceneHttpRequestConfigEntry = service.async_get_config_entry(
        hass, DOMAIN, entry_id
    )
    return entry.runtime_data


def _loaded_profiles(hass: HomeAssistant) -> list[Profile]:
    entries: list[SceneHttpRequestConfigEntry] = (
        hass.config_entries.async_loaded_entries(DOMAIN)
    )
    return [entry.runtime_data for entry in entries]


def _resolve_url(raw: str, profile: Profile | None) -> URL:
    """Return the absolute URL of the request, checked against the profile."""
    url = parse_http_url(raw)
    if url is None:
        raise validation_error("invalid_url")
    if url.scheme and url.scheme not in ("http", "https"):
        raise validation_error("unsupported_scheme", scheme=url.scheme)
    if not url.scheme:
        if url.absolute:  # "//host/path" has no scheme to go with its host
            raise validation_error("invalid_url")
        if profile is None or profile.base_url is None:
            raise validation_error("relative_url_without_base")
        url = profile.base_url.join(url)
    if not url.host:
        raise validation_error("invalid_url")
    if url.user is not None or url.password is not None:
        raise validation_error("url_has_credentials")
    if profile is not None and not profile.covers(url):
        raise validation_error(
            "url_outside_profile", profile=profile.title, host=host_of(url)
        )
    return url


def _scalar_to_str(value: Any) -> str | None:
    """Stringify a params or form value (None is empty); None when not a scalar."""
    if value is None:
        return ""
    try:
        return header_value_to_str(value)
    except TypeError:
        return None


def _pairs(mapping: dict[Any, Any], error_key: str) -> list[tuple[str, str]]:
    """Flatten a params or form mapping; a list value repeats its key."""
    pairs: list[tuple[str, str]] = []
    for key, value in mapping.items():
        for item in value if isinstance(value, list) else [value]:
            text = _scalar_to_str(item)
            name = str(key)
            if text is None or not is_encodable(name) or not is_encodable(text):
                raise validation_error(error_key, name=name)
            pairs.append((name, text))
    return pairs


def _encode_body(
    data: Mapping[str, Any], headers: dict[str, str], profile: Profile | None
) -> bytes | None:
    """Encode the one body field given, setting a default Content-Type."""
    given = [field for field in _BODY_FIELDS if data.get(field) is not None]
    if len(given) > 1:
        raise validation_error("multiple_bodies", fields=", ".join(given))
    if not given:
        return None
    field = given[0]
    value = data[field]
    if field == ATTR_JSON:
        try:
            body = json_bytes(value)
        except TypeError:
            raise validation_error("invalid_json") from None
        content_type = "application/json"
    elif field == ATTR_FORM:
        body = urlencode(_pairs(value, "invalid_form")).encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        text = str(value)
        if not is_encodable(text):
            raise validation_error("invalid_text", field=field)
        body = text.encode()
        content_type = "text/plain; charset=utf-8"
    profile_names = [name for name, _ in profile.headers] if profile else []
    if not any(name.lower() == "content-type" for name in (*headers, *profile_names)):
        headers["Content-Type"] = content_type
    return body


def response_data(result: HttpResult, options: RequestOptions) -> dict[str, Any]:
    """Build the JSON-serializable response of the action."""
    headers: dict[str, str | list[str]] = {}
    for name, value in result.headers.items():
        existing = headers.get(name)
        if existing is None:
            headers[name] = value
        elif isinstance(existing, list):
            existing.append(value)
        else:
            headers[name] = [existing, value]
    media_type, charset = parse_content_type(result.headers.get("Content-Type"))
    content, content_encoding = decode_content(result.body, media_type, charset)
    return {
        "status": result.status,
        "reason": result.reason,
        "ok": result.status < 400,  # noqa: PLR2004
        "url": str(result.url),
        "headers": headers,
        "content_type": media_type,
        "content": content,
        "content_encoding": content_encoding,
        "elapsed": round(result.elapsed, 6),
        "attempts": result.attempts,
        "profile": options.profile.title if options.profile else None,
    }
