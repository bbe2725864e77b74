"""The scene_http_request.send action."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
import math
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import hdrs
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
    DOMAIN,
    MAX_RESPONSE_SIZE_LIMIT,
    MAX_RETRIES,
    MAX_TIMEOUT,
    METHODS,
    MIN_TIMEOUT,
    SERVICE_SEND,
)
from .content import decode_content, parse_content_type
from .deadline import async_get_deadlines
from .pacing import async_get_pacer
from .profile import (
    DATA_PROFILES,
    Profile,
    SceneHttpRequestConfigEntry,
    request_settings,
)
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


def _method(value: Any) -> str:
    """Return an HTTP method of METHODS in upper case (one validator: it is cheaper)."""
    method = cv.string(value).upper()
    if method not in METHODS:
        raise vol.Invalid(f"value must be one of {sorted(METHODS)}")
    return method


_MAX_REASON_LENGTH = 100

SEND_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): vol.Any(None, cv.string),
        vol.Optional(ATTR_METHOD): _method,
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
        vol.Optional(ATTR_ALLOW_REDIRECTS): cv.boolean,
        vol.Optional(ATTR_FAIL_ON_HTTP_ERROR): cv.boolean,
        vol.Optional(ATTR_RETRIES): vol.All(
            _finite(int), vol.Range(min=0, max=MAX_RETRIES)
        ),
        vol.Optional(ATTR_MAX_RESPONSE_SIZE): vol.All(
            _finite(int), vol.Range(min=1, max=MAX_RESPONSE_SIZE_LIMIT)
        ),
    }
)
# Defaults live here, not in the schema: validating a default on every call costs
# more than applying it.
_DEFAULT_METHOD = "GET"


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the send action on the shared session, deadlines and pacer."""
    session = async_get_clientsession(hass)
    deadlines = async_get_deadlines(hass)
    pacer = async_get_pacer(hass)

    async def async_send(call: ServiceCall) -> ServiceResponse:
        """Validate the call, send the request and return the response."""
        data = call.data
        if not pacer.try_start():
            await pacer.async_wait_start()
        try:
            options = build_request(hass, data)
            result = await async_request(session, options, deadlines)
        finally:
            pacer.finished()
        if data.get(ATTR_FAIL_ON_HTTP_ERROR, True) and result.status >= 400:  # noqa: PLR2004
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

    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND,
        async_send,
        schema=SEND_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


def build_request(hass: HomeAssistant, data: Mapping[str, Any]) -> RequestOptions:
    """Turn validated action data into request options, or raise a translated error.

    Nothing here touches the network.
    """
    profile: Profile | None
    if entry_id := data.get(ATTR_CONFIG_ENTRY_ID):
        profile = _explicit_profile(hass, entry_id)
        url = _resolve_url(data[ATTR_URL], profile)
    else:
        url, profile = hass.data[DATA_PROFILES].match(data[ATTR_URL], _absolute_url)
    if params := data.get(ATTR_PARAMS):
        url = url.extend_query(_pairs(params, "invalid_params"))
    headers = checked_headers(raw) if (raw := data.get(ATTR_HEADERS)) else {}
    body = (
        None
        if data.keys().isdisjoint(_BODY_FIELDS)
        else _encode_body(data, headers, profile)
    )
    timeout, verify_ssl, max_size = request_settings(
        profile,
        timeout=data.get(ATTR_TIMEOUT),
        verify_ssl=data.get(ATTR_VERIFY_SSL),
        max_response_size=data.get(ATTR_MAX_RESPONSE_SIZE),
    )
    return RequestOptions(
        method=data.get(ATTR_METHOD, _DEFAULT_METHOD),
        url=url,
        headers=headers,
        body=body,
        timeout=timeout,
        verify_ssl=verify_ssl,
        allow_redirects=data.get(ATTR_ALLOW_REDIRECTS, True),
        retries=data.get(ATTR_RETRIES, 0),
        max_response_size=max_size,
        profile=profile,
    )


def _explicit_profile(hass: HomeAssistant, entry_id: str) -> Profile:
    entry: SceneHttpRequestConfigEntry = service.async_get_config_entry(
        hass, DOMAIN, entry_id
    )
    return entry.runtime_data


def _absolute_url(raw: str) -> URL:
    """Return raw as an absolute URL (no profile to resolve it against)."""
    return _resolve_url(raw, None)


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
    if not (profile and profile.sets_content_type) and not any(
        name.lower() == "content-type" for name in headers
    ):
        headers["Content-Type"] = content_type
    return body


@lru_cache(maxsize=256)
def _url_text(url: URL) -> str:
    """Return str(url): cached, as the same URL objects come back (ProfileIndex)."""
    return str(url)


def response_data(result: HttpResult, options: RequestOptions) -> dict[str, Any]:
    """Build the JSON-serializable response of the action."""
    headers: dict[str, str | list[str]] = dict(result.headers.items())
    if len(headers) != len(result.headers):  # a repeated name: its values as a list
        headers = {}
        for name, value in result.headers.items():
            if name not in headers:
                headers[name] = value
            elif isinstance(existing := headers[name], list):
                existing.append(value)
            else:
                headers[name] = [existing, value]
    media_type, charset = parse_content_type(result.headers.get(hdrs.CONTENT_TYPE))
    content, content_encoding = decode_content(result.body, media_type, charset)
    return {
        "status": result.status,
        "reason": result.reason,
        "ok": result.status < 400,  # noqa: PLR2004
        "url": _url_text(result.url),
        "headers": headers,
        "content_type": media_type,
        "content": content,
        "content_encoding": content_encoding,
        "elapsed": int(result.elapsed * 1e6 + 0.5) / 1e6,  # round(x, 6), 8x cheaper
        "attempts": result.attempts,
        "profile": options.profile.title if options.profile else None,
    }
