"""The scene_http_request.send action."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import math
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import hdrs
from homeassistant.const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_HEADERS,
    CONF_TIMEOUT,
    CONF_VERIFY_SSL,
)
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

from .client import HttpClient, Request, Response
from .const import (
    ATTR_ALLOW_REDIRECTS,
    ATTR_BODY,
    ATTR_FAIL_ON_HTTP_ERROR,
    ATTR_FORM,
    ATTR_JSON,
    ATTR_MAX_RESPONSE_SIZE,
    ATTR_METHOD,
    ATTR_PARAMS,
    ATTR_RETRIES,
    ATTR_SKIP_URL_ENCODING,
    ATTR_URL,
    DOMAIN,
    MAX_REASON_LENGTH,
    MAX_RESPONSE_SIZE_LIMIT,
    MAX_RETRIES,
    MAX_TIMEOUT,
    METHODS,
    MIB,
    MIN_TIMEOUT,
    SERVICE_SEND,
)
from .content import decode_content, parse_content_type, response_headers, safe_text
from .pacing import RequestPacer
from .profile import (
    Profile,
    SceneHttpRequestConfigEntry,
    loaded_profiles,
    match_profile,
    request_for,
)
from .url import UrlError, host_for_messages, resolve_url
from .validation import (
    checked_headers,
    header_value_to_str,
    is_encodable,
    validation_error,
)

if TYPE_CHECKING:
    # HA 2026.10+ installs probatio as `voluptuous` and types its APIs with it.
    import probatio as vol
else:
    import voluptuous as vol

_BODY_FIELDS = (ATTR_JSON, ATTR_FORM, ATTR_BODY)
# Bodies larger than this are decoded in the executor, off the event loop.
_INLINE_DECODE_LIMIT = 1 * MIB


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
    """Return an HTTP method of METHODS, in upper case."""
    method = cv.string(value).upper()
    if method not in METHODS:
        raise vol.Invalid(f"value must be one of {sorted(METHODS)}")
    return method


SEND_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): vol.Any(None, cv.string),
        vol.Optional(ATTR_METHOD, default="GET"): _method,
        vol.Required(ATTR_URL): cv.string,
        vol.Optional(CONF_HEADERS): vol.Any(None, dict),
        vol.Optional(ATTR_PARAMS): vol.Any(None, dict),
        vol.Optional(ATTR_JSON): object,
        vol.Optional(ATTR_FORM): vol.Any(None, dict),
        vol.Optional(ATTR_BODY): vol.Any(None, cv.string),
        vol.Optional(CONF_TIMEOUT): vol.All(
            _finite(float), vol.Range(min=MIN_TIMEOUT, max=MAX_TIMEOUT)
        ),
        vol.Optional(CONF_VERIFY_SSL): cv.boolean,
        vol.Optional(ATTR_ALLOW_REDIRECTS, default=True): cv.boolean,
        vol.Optional(ATTR_FAIL_ON_HTTP_ERROR, default=True): cv.boolean,
        vol.Optional(ATTR_RETRIES, default=0): vol.All(
            _finite(int), vol.Range(min=0, max=MAX_RETRIES)
        ),
        vol.Optional(ATTR_MAX_RESPONSE_SIZE): vol.All(
            _finite(int), vol.Range(min=1, max=MAX_RESPONSE_SIZE_LIMIT)
        ),
        # No default: a key filled in on every call costs every call.
        vol.Optional(ATTR_SKIP_URL_ENCODING): cv.boolean,
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the send action on the shared session, with a burst pacer."""
    client = HttpClient(async_get_clientsession(hass))
    pacer = RequestPacer(hass.loop)

    async def async_send(call: ServiceCall) -> ServiceResponse:
        """Validate the call, send the request and return the response."""
        request, profile = build_request(hass, call.data)
        if not pacer.try_start():
            await pacer.async_wait_start()
        try:
            response = await client.async_request(request)
        finally:
            pacer.finished()
        if call.data[ATTR_FAIL_ON_HTTP_ERROR] and response.status >= 400:  # noqa: PLR2004
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="http_error",
                translation_placeholders={
                    "status": str(response.status),
                    "reason": safe_text(response.reason)[:MAX_REASON_LENGTH],
                    "host": host_for_messages(response.url),
                },
            )
        if not call.return_response:
            return None
        if len(response.body) > _INLINE_DECODE_LIMIT:
            return await hass.async_add_executor_job(response_data, response, profile)
        return response_data(response, profile)

    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND,
        async_send,
        schema=SEND_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


def build_request(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> tuple[Request, Profile | None]:
    """Turn validated action data into a request and its profile.

    Raises a translated error for a call that can't be sent; touches no network.
    """
    url, profile = _target(hass, data)
    if params := data.get(ATTR_PARAMS):
        url = url.extend_query(_pairs(params, "invalid_params"))
    headers = checked_headers(raw) if (raw := data.get(CONF_HEADERS)) else {}
    body = _encode_body(data, headers, profile)
    request = request_for(
        profile,
        method=data[ATTR_METHOD],
        url=url,
        headers=headers,
        body=body,
        settings=data,
    )
    return request, profile


def _target(hass: HomeAssistant, data: Mapping[str, Any]) -> tuple[URL, Profile | None]:
    """Return the absolute URL of the call and the profile it uses, if any."""
    profile: Profile | None = None
    if entry_id := data.get(ATTR_CONFIG_ENTRY_ID):
        entry: SceneHttpRequestConfigEntry = service.async_get_config_entry(
            hass, DOMAIN, entry_id
        )
        profile = entry.runtime_data
    try:
        url = resolve_url(
            data[ATTR_URL],
            profile.base_url if profile else None,
            encoded=data.get(ATTR_SKIP_URL_ENCODING, False),
        )
    except UrlError as err:
        raise validation_error(err.key, **err.placeholders) from None
    if profile is None:
        return url, match_profile(loaded_profiles(hass), url)
    if not profile.covers(url):
        raise validation_error(
            "url_outside_profile", profile=profile.title, host=host_for_messages(url)
        )
    return url, profile


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
    """Encode the one body field given, and set the body's Content-Type.

    The Content-Type is the call's, else the profile's, else the body kind's. It
    goes with the body, to whichever origin the body goes.
    """
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
    if not any(name.lower() == "content-type" for name in headers):
        profile_type = profile.header(hdrs.CONTENT_TYPE) if profile else None
        headers[hdrs.CONTENT_TYPE] = profile_type or content_type
    return body


def response_data(response: Response, profile: Profile | None) -> dict[str, Any]:
    """Build the JSON-serializable response of the action."""
    media_type, charset = parse_content_type(response.headers.get(hdrs.CONTENT_TYPE))
    content, content_encoding = decode_content(response.body, media_type, charset)
    return {
        "status": response.status,
        "reason": safe_text(response.reason),
        "ok": response.status < 400,  # noqa: PLR2004
        "url": str(response.url),
        "headers": response_headers(response.headers),
        "content_type": safe_text(media_type) if media_type else None,
        "content": content,
        "content_encoding": content_encoding,
        "elapsed": round(response.elapsed, 6),
        "attempts": response.attempts,
        "profile": profile.title if profile else None,
    }
