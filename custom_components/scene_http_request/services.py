"""The scene_http_request.send action."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

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
from homeassistant.helpers import config_validation as cv
from homeassistant.util.hass_dict import HassKey

from .client import Request, Response
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
    DOMAIN,
    MAX_REASON_LENGTH,
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
    async_response_values,
    decode_content,
    is_json,
    parse_content_type,
    safe_text,
)
from .download import Download, async_prepare_download
from .files import async_check_file_access
from .outcome import SendOutcome, report_outcome
from .pacing import RequestPacer
from .profile import (
    Profile,
)
from .request import Prepared, find_saved_request, prepare
from .runtime import shared
from .saved_request import SavedRequest
from .url import host_for_messages

if TYPE_CHECKING:
    # HA 2026.10+ installs probatio as `voluptuous` and types its APIs with it.
    import probatio as vol
else:
    import voluptuous as vol

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


def _url_unless_saved(data: dict[str, Any]) -> dict[str, Any]:
    """Require a URL of a call that names no saved request."""
    if not data.get(ATTR_REQUEST) and ATTR_URL not in data:
        raise vol.Invalid(f"required key not provided @ data['{ATTR_URL}']")
    return data


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
        vol.Optional(ATTR_METHOD): vol.All(cv.string, vol.Upper, vol.In(METHODS)),
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
SEND_SCHEMA = vol.All(_FIELDS_SCHEMA, _url_unless_saved)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the send action on the shared session, with a burst pacer."""
    sender = hass.data[DATA_SENDER] = Sender(hass)
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND,
        sender.async_send,
        schema=SEND_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


type _Report = Callable[[SendOutcome], None]


class Sent(NamedTuple):
    """A request sent: its response, its profile and where its body was saved."""

    response: Response
    profile: Profile | None
    download: Download | None
    saved_to: Path | None


class Sender:
    """Sends requests on the shared session, through one burst pacer.

    The action sends through it, and so do the pollers (polling.py): every send of
    a saved request takes the same path and is reported to its sensors.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Use Home Assistant's shared session."""
        self._hass = hass
        self._client = shared(hass).client
        self._pacer = RequestPacer(hass.loop)

    async def async_send(self, call: ServiceCall) -> ServiceResponse:
        """Validate the call, send the request and return the response."""
        hass = self._hass
        data: Mapping[str, Any] = call.data
        saved = None
        if name := data.get(ATTR_REQUEST):
            saved = find_saved_request(hass, name, data.get(ATTR_CONFIG_ENTRY_ID))
        await async_check_file_access(hass, call.context, data)
        response, profile, download, saved_to = await self.async_send_data(data, saved)
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

    async def async_send_data(
        self, data: Mapping[str, Any], saved: SavedRequest | None
    ) -> Sent:
        """Send validated action data, with the saved request it names, if any.

        The outcome of a saved request goes to its sensors, a failure included.
        Raises a translated error for a request that fails.
        """
        report: _Report | None = None
        if saved is not None:
            report = partial(report_outcome, self._hass, saved.subentry_id)
        prepared, download = await self._async_prepare(data, saved, report)
        try:
            response = await self._async_send_reported(prepared.request, report)
            if report:
                report(await self._async_outcome(response, saved, prepared))
            raise_for_status(response, fail=prepared.fail_on_http_error)
            saved_to = None if download is None else await download.async_commit()
        finally:
            if download is not None:
                await download.async_discard()
        return Sent(response, prepared.profile, download, saved_to)

    async def _async_prepare(
        self,
        data: Mapping[str, Any],
        saved: SavedRequest | None,
        report: _Report | None,
    ) -> tuple[Prepared, Download | None]:
        """Build the request and, for save_to, its download; report a failure."""
        try:
            prepared = prepare(self._hass, data, saved)
            if prepared.save_to is None:
                return prepared, None
            download = await async_prepare_download(
                self._hass, prepared.save_to, prepared.request.url
            )
        except HomeAssistantError as err:
            if report:
                report(SendOutcome.failed(err))
            raise
        request = replace(prepared.request, sink=download)
        return prepared._replace(request=request), download

    async def _async_send_reported(
        self, request: Request, report: _Report | None
    ) -> Response:
        """Send the request through the pacer; report a failure if asked."""
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
        return response

    async def _async_outcome(
        self, response: Response, saved: SavedRequest | None, prepared: Prepared
    ) -> SendOutcome:
        """Return the outcome of an answer; with the values a value sensor needs.

        An answer that fails (fail_on_http_error and a status of 400 or more)
        carries none: the value sensor then becomes unavailable.
        """
        failed = prepared.fail_on_http_error and response.status >= 400  # noqa: PLR2004
        if saved is None or saved.sensor is None or failed:
            return SendOutcome.answered(response)
        values = await async_response_values(
            self._hass, response, with_headers=saved.sensor.reads_headers
        )
        return SendOutcome.answered(response, values)


DATA_SENDER: HassKey[Sender] = HassKey(f"{DOMAIN}_sender")


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
