"""The scene_http_request.send action."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
import math
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode
import uuid

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

from .client import BodySource, HttpClient, Request, Response
from .const import (
    ATTR_ALLOW_REDIRECTS,
    ATTR_BODY,
    ATTR_BODY_FILE,
    ATTR_FAIL_ON_HTTP_ERROR,
    ATTR_FORM,
    ATTR_JSON,
    ATTR_MAX_RESPONSE_SIZE,
    ATTR_METHOD,
    ATTR_MULTIPART,
    ATTR_PARAMS,
    ATTR_REQUEST,
    ATTR_RETRIES,
    ATTR_SAVE_TO,
    ATTR_SKIP_URL_ENCODING,
    ATTR_URL,
    ATTR_VARIABLES,
    DEFAULT_SAVE_SIZE,
    DOMAIN,
    MAX_REASON_LENGTH,
    MAX_RESPONSE_SIZE_LIMIT,
    MAX_RETRIES,
    MAX_SAVE_SIZE,
    MAX_TIMEOUT,
    METHODS,
    MIB,
    MIN_TIMEOUT,
    PART_CONTENT_BASE64,
    PART_CONTENT_TYPE,
    PART_FILE,
    PART_FILENAME,
    PART_NAME,
    PART_SOURCES,
    PART_VALUE,
    SERVICE_SEND,
)
from .content import (
    JSON_INLINE_LIMIT,
    async_response_headers,
    decode_content,
    is_json,
    parse_content_type,
    safe_text,
)
from .download import Download, async_prepare_download
from .files import FileBody, MultipartBody, Part
from .outcome import SendOutcome, report_outcome
from .pacing import RequestPacer
from .profile import (
    Profile,
    SceneHttpRequestConfigEntry,
    loaded_profiles,
    match_profile,
    request_for,
)
from .saved_request import SavedRequest, find_saved_request, render_call
from .url import UrlError, host_for_messages, resolve_url
from .validation import (
    checked_headers,
    header_value_to_str,
    is_encodable,
    is_header_value,
    validation_error,
)

if TYPE_CHECKING:
    # HA 2026.10+ installs probatio as `voluptuous` and types its APIs with it.
    import probatio as vol
else:
    import voluptuous as vol

_BODY_FIELDS = (ATTR_JSON, ATTR_FORM, ATTR_BODY, ATTR_MULTIPART, ATTR_BODY_FILE)
# Fields that find a saved request: the saved request's own profile is then used.
_SAVED_REQUEST_KEYS = (ATTR_REQUEST, ATTR_VARIABLES, ATTR_CONFIG_ENTRY_ID)
# A bigger body is decoded in the executor, a slice at a time (content.py); a JSON
# body over JSON_INLINE_LIMIT too.
_INLINE_BODY_LIMIT = 1 * MIB


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


# What a call leaves out; a call naming a saved request gets these only after the
# saved values, so that the call's own fields alone override them.
SEND_DEFAULTS: Final = {
    ATTR_METHOD: "GET",
    ATTR_ALLOW_REDIRECTS: True,
    ATTR_FAIL_ON_HTTP_ERROR: True,
    ATTR_RETRIES: 0,
}


def _defaults_unless_saved(data: dict[str, Any]) -> dict[str, Any]:
    """Apply SEND_DEFAULTS to a plain call, which needs a URL."""
    if data.get(ATTR_REQUEST):
        return data
    if ATTR_URL not in data:
        raise vol.Invalid(f"required key not provided @ data['{ATTR_URL}']")
    return SEND_DEFAULTS | data


def _one_source(part: dict[str, Any]) -> dict[str, Any]:
    """Check that a multipart part has exactly one of value, file, content_base64."""
    if sum(part.get(key) is not None for key in PART_SOURCES) != 1:
        raise vol.Invalid(f"a part needs exactly one of {', '.join(PART_SOURCES)}")
    return part


_PATH = vol.All(cv.string, vol.Length(min=1))
_PART_SCHEMA = vol.All(
    vol.Schema(
        {
            vol.Required(PART_NAME): cv.string,
            vol.Optional(PART_VALUE): vol.Any(None, cv.string),
            vol.Optional(PART_FILE): vol.Any(None, _PATH),
            vol.Optional(PART_CONTENT_BASE64): vol.Any(None, cv.string),
            vol.Optional(PART_FILENAME): vol.Any(None, cv.string),
            vol.Optional(PART_CONTENT_TYPE): vol.Any(None, cv.string),
        }
    ),
    _one_source,
)

_FIELDS_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_REQUEST): vol.Any(None, cv.string),
        vol.Optional(ATTR_VARIABLES): vol.Any(None, dict),
        vol.Optional(ATTR_CONFIG_ENTRY_ID): vol.Any(None, cv.string),
        vol.Optional(ATTR_METHOD): _method,
        vol.Optional(ATTR_URL): cv.string,
        vol.Optional(CONF_HEADERS): vol.Any(None, dict),
        vol.Optional(ATTR_PARAMS): vol.Any(None, dict),
        vol.Optional(ATTR_JSON): object,
        vol.Optional(ATTR_FORM): vol.Any(None, dict),
        vol.Optional(ATTR_BODY): vol.Any(None, cv.string),
        vol.Optional(ATTR_MULTIPART): vol.Any(
            None, vol.All(cv.ensure_list, vol.Length(min=1), [_PART_SCHEMA])
        ),
        vol.Optional(ATTR_BODY_FILE): vol.Any(None, _PATH),
        vol.Optional(ATTR_SAVE_TO): vol.Any(None, _PATH),
        vol.Optional(CONF_TIMEOUT): vol.All(
            _finite(float), vol.Range(min=MIN_TIMEOUT, max=MAX_TIMEOUT)
        ),
        vol.Optional(CONF_VERIFY_SSL): cv.boolean,
        vol.Optional(ATTR_ALLOW_REDIRECTS): cv.boolean,
        vol.Optional(ATTR_FAIL_ON_HTTP_ERROR): cv.boolean,
        vol.Optional(ATTR_RETRIES): vol.All(
            _finite(int), vol.Range(min=0, max=MAX_RETRIES)
        ),
        vol.Optional(ATTR_MAX_RESPONSE_SIZE): vol.All(
            _finite(int), vol.Range(min=1, max=MAX_SAVE_SIZE)
        ),
        # No default: a key filled in on every call costs every call.
        vol.Optional(ATTR_SKIP_URL_ENCODING): cv.boolean,
    }
)
SEND_SCHEMA = vol.All(_FIELDS_SCHEMA, _defaults_unless_saved)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the send action on the shared session, with a burst pacer."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND,
        _Sender(hass).async_send,
        schema=SEND_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


type _Report = Callable[[SendOutcome], None]


class _Sender:
    """Sends the action's requests on the shared session, through a burst pacer."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Use Home Assistant's shared session."""
        self._hass = hass
        self._client = HttpClient(async_get_clientsession(hass))
        self._pacer = RequestPacer(hass.loop)

    async def async_send(self, call: ServiceCall) -> ServiceResponse:
        """Validate the call, send the request and return the response."""
        hass = self._hass
        data: Mapping[str, Any] = call.data
        report: _Report | None = None
        if name := data.get(ATTR_REQUEST):
            saved = find_saved_request(hass, name, data.get(ATTR_CONFIG_ENTRY_ID))
            report = partial(report_outcome, hass, saved.subentry_id)
            try:
                data = saved_call_data(hass, saved, data)
            except HomeAssistantError as err:
                report(SendOutcome.failed(err))
                raise
        request, profile, download = await self._async_prepare(data, report)
        try:
            response = await self._async_send_reported(request, report)
            raise_for_status(response, fail=data[ATTR_FAIL_ON_HTTP_ERROR])
            saved_to = None if download is None else await download.async_commit()
        finally:
            if download is not None:
                await download.async_discard()
        if not call.return_response:
            return None
        headers = await async_response_headers(response.headers)
        if saved_to is not None and download is not None:
            return {
                **response_data(response, profile, headers),
                "saved_to": str(saved_to),
                "saved_bytes": download.size,
            }
        size = len(response.body)
        if size > _INLINE_BODY_LIMIT or (
            size > JSON_INLINE_LIMIT
            and is_json(response.headers.get(hdrs.CONTENT_TYPE))
        ):
            return await hass.async_add_executor_job(
                response_data, response, profile, headers
            )
        return response_data(response, profile, headers)

    async def _async_prepare(
        self, data: Mapping[str, Any], report: _Report | None
    ) -> tuple[Request, Profile | None, Download | None]:
        """Build the request and, for save_to, its download; report a failure."""
        try:
            request, profile = build_request(self._hass, data)
            if (save_to := data.get(ATTR_SAVE_TO)) is None:
                return request, profile, None
            download = await async_prepare_download(self._hass, save_to, request.url)
        except HomeAssistantError as err:
            if report:
                report(SendOutcome.failed(err))
            raise
        return replace(request, sink=download), profile, download

    async def _async_send_reported(
        self, request: Request, report: _Report | None
    ) -> Response:
        """Send the request through the pacer; report its outcome if asked."""
        try:
            if not self._pacer.try_start():
                await self._pacer.async_wait_start()
            try:
                response = await self._client.async_request(request)
            finally:
                self._pacer.finished()
        except HomeAssistantError as err:
            if report:
                report(SendOutcome.failed(err))
            raise
        if report:
            report(SendOutcome.answered(response))
        return response


def raise_for_status(response: Response, *, fail: bool) -> None:
    """Raise the translated http_error for a status of 400 or more, if fail."""
    if fail and response.status >= 400:  # noqa: PLR2004
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="http_error",
            translation_placeholders={
                "status": str(response.status),
                "reason": safe_text(response.reason)[:MAX_REASON_LENGTH],
                "host": host_for_messages(response.url),
            },
        )


def saved_call_data(
    hass: HomeAssistant, saved: SavedRequest, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the call data of a saved request: rendered, then the call's fields.

    A field given in the call replaces the saved one; a call's header or param
    replaces the saved one of the same name (header names in any case), and a
    call's body replaces the saved body whatever its type.
    """
    fields = render_call(hass, saved, data.get(ATTR_VARIABLES) or {})
    given = {
        key: value
        for key, value in data.items()
        if key not in _SAVED_REQUEST_KEYS and value is not None
    }
    if any(field in given for field in _BODY_FIELDS):
        for field in _BODY_FIELDS:
            fields.pop(field, None)
    if (headers := given.get(CONF_HEADERS)) and CONF_HEADERS in fields:
        overridden = {str(name).lower() for name in headers}
        kept = {
            name: value
            for name, value in fields[CONF_HEADERS].items()
            if name.lower() not in overridden
        }
        given[CONF_HEADERS] = kept | headers
    if (params := given.get(ATTR_PARAMS)) and ATTR_PARAMS in fields:
        given[ATTR_PARAMS] = fields[ATTR_PARAMS] | params
    return SEND_DEFAULTS | fields | given


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
    body = _encode_body(hass, data, headers, profile)
    request = request_for(
        profile,
        method=data[ATTR_METHOD],
        url=url,
        headers=headers,
        body=body,
        settings=_size_settings(data),
    )
    return request, profile


def _size_settings(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the settings with the response size limit of the call's kind.

    A response saved to a file may be larger, and its default limit ignores the
    profile's (which is for responses held in memory).
    """
    size = data.get(ATTR_MAX_RESPONSE_SIZE)
    if data.get(ATTR_SAVE_TO) is not None:
        return (
            data
            if size is not None
            else {**data, ATTR_MAX_RESPONSE_SIZE: DEFAULT_SAVE_SIZE}
        )
    if size is not None and size > MAX_RESPONSE_SIZE_LIMIT:
        raise validation_error(
            "max_response_size_too_large", limit=str(MAX_RESPONSE_SIZE_LIMIT)
        )
    return data


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
    hass: HomeAssistant,
    data: Mapping[str, Any],
    headers: dict[str, str],
    profile: Profile | None,
) -> bytes | BodySource | None:
    """Encode the one body field given, and set the body's Content-Type.

    The Content-Type is the call's, else the profile's, else the body kind's (a
    file's is guessed from its name when it is opened). It goes with the body, to
    whichever origin the body goes. A multipart body always has its own.
    """
    given = [field for field in _BODY_FIELDS if data.get(field) is not None]
    if len(given) > 1:
        raise validation_error("multiple_bodies", fields=", ".join(given))
    if not given:
        return None
    field = given[0]
    value = data[field]
    if field == ATTR_MULTIPART:
        multipart = MultipartBody(hass, tuple(map(_part, value)), uuid.uuid4().hex)
        for name in [name for name in headers if name.lower() == "content-type"]:
            del headers[name]
        headers[hdrs.CONTENT_TYPE] = multipart.content_type
        return multipart
    body: bytes | BodySource
    if field == ATTR_BODY_FILE:
        body, content_type = FileBody(hass, value), None
    else:
        body, content_type = _encode_inline(field, value)
    if not any(name.lower() == "content-type" for name in headers):
        profile_type = profile.header(hdrs.CONTENT_TYPE) if profile else None
        if chosen := profile_type or content_type:
            headers[hdrs.CONTENT_TYPE] = chosen
    return body


def _encode_inline(field: str, value: Any) -> tuple[bytes, str]:
    """Return the bytes and the Content-Type of a json, form or body field."""
    if field == ATTR_JSON:
        try:
            return json_bytes(value), "application/json"
        except TypeError:
            raise validation_error("invalid_json") from None
    if field == ATTR_FORM:
        body = urlencode(_pairs(value, "invalid_form")).encode()
        return body, "application/x-www-form-urlencoded"
    text = str(value)
    if not is_encodable(text):
        raise validation_error("invalid_text", field=field)
    return text.encode(), "text/plain; charset=utf-8"


def _part(raw: Mapping[str, Any]) -> Part:
    """Return one checked multipart part; its file is opened later, per hop."""
    name: str = raw[PART_NAME]
    filename: str | None = raw.get(PART_FILENAME)
    content_type: str | None = raw.get(PART_CONTENT_TYPE)
    if not all(
        is_header_value(text) for text in (name, filename or "", content_type or "")
    ):
        raise validation_error("invalid_part", name=name)
    data: bytes | None = None
    if (value := raw.get(PART_VALUE)) is not None:
        if not is_encodable(value):
            raise validation_error("invalid_part", name=name)
        data = value.encode()
    elif (encoded := raw.get(PART_CONTENT_BASE64)) is not None:
        try:
            data = base64.b64decode(encoded, validate=True)
        except binascii.Error, ValueError:
            raise validation_error("invalid_part", name=name) from None
    return Part(name, data, raw.get(PART_FILE), filename, content_type)


def response_data(
    response: Response, profile: Profile | None, headers: dict[str, str | list[str]]
) -> dict[str, Any]:
    """Build the JSON-serializable response of the action, headers already safe."""
    media_type, charset = parse_content_type(response.headers.get(hdrs.CONTENT_TYPE))
    content, content_encoding = decode_content(response.body, media_type, charset)
    return {
        "status": response.status,
        "reason": safe_text(response.reason),
        "ok": response.status < 400,  # noqa: PLR2004
        "url": str(response.url),
        "headers": headers,
        "content_type": safe_text(media_type) if media_type else None,
        "content": content,
        "content_encoding": content_encoding,
        "elapsed": round(response.elapsed, 6),
        "attempts": response.attempts,
        "profile": profile.title if profile else None,
    }
