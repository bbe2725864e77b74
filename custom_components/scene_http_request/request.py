"""Call data to request: the target and its profile, params, headers and body.

One precedence rule: a value given by the call wins over the saved request's, which
wins over the profile's, which wins over the integration's default (prepare merges
them in that order; the schema refuses None for a setting). A saved request's
headers are configuration, like the profile's: they are sent to the
request URL's origin only. Nothing here touches the network.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
import contextlib
from typing import Any, Final, NamedTuple
from urllib.parse import urlencode
import uuid

from aiohttp import hdrs
from homeassistant.const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_HEADERS,
    CONF_TIMEOUT,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import service
from homeassistant.helpers.json import json_bytes
from yarl import URL

from .client import NO_ROUTE, BodySource, Request
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
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_SAVE_SIZE,
    DEFAULT_TIMEOUT,
    DEFAULT_VERIFY_SSL,
    DOMAIN,
    MAX_RESPONSE_SIZE_LIMIT,
    PART_CONTENT_BASE64,
    PART_CONTENT_TYPE,
    PART_FILE,
    PART_FILENAME,
    PART_NAME,
    PART_VALUE,
)
from .files import FileBody, MultipartBody, Part
from .profile import BuiltRequest, Profile, SceneHttpRequestConfigEntry
from .runtime import shared
from .saved_request import SavedRequest, render_call, request_key
from .url import UrlError, host_for_messages, resolve_url
from .validation import (
    checked_headers,
    header_value_to_str,
    is_encodable,
    is_header_value,
    validation_error,
)

BODY_FIELDS: Final = (ATTR_JSON, ATTR_FORM, ATTR_BODY, ATTR_MULTIPART, ATTR_BODY_FILE)
# What neither the call, nor a saved request, nor the profile sets.
DEFAULTS: Final[Mapping[str, Any]] = {
    ATTR_METHOD: "GET",
    ATTR_ALLOW_REDIRECTS: True,
    ATTR_FAIL_ON_HTTP_ERROR: True,
    ATTR_RETRIES: 0,
    CONF_TIMEOUT: DEFAULT_TIMEOUT,
    CONF_VERIFY_SSL: DEFAULT_VERIFY_SSL,
    ATTR_MAX_RESPONSE_SIZE: DEFAULT_MAX_RESPONSE_SIZE,
}
# Fields that find a saved request, not part of the request itself.
_SAVED_REQUEST_KEYS = frozenset({ATTR_REQUEST, ATTR_VARIABLES, ATTR_CONFIG_ENTRY_ID})
_NOTHING: Final[Mapping[str, Any]] = {}


class Prepared(NamedTuple):
    """A call made ready to send."""

    request: Request
    profile: Profile | None
    fail_on_http_error: bool
    save_to: str | None


def find_saved_request(
    hass: HomeAssistant, name: str, entry_id: str | None
) -> SavedRequest:
    """Return the saved request called name, in the profile entry_id if given.

    Raise unknown_request when there is none, ambiguous_request when several
    profiles have one of that name.
    """
    if entry_id:
        requests = _loaded_profile(hass, entry_id).requests
        if (saved := requests.get(name) or requests.get(request_key(name))) is None:
            raise validation_error("unknown_request", request=name)
        return saved
    index = shared(hass).index
    found = index.saved(name) or index.saved(request_key(name))
    if not found:
        raise validation_error("unknown_request", request=name)
    if len(found) > 1:
        profiles = ", ".join(sorted(title for title, _ in found))
        raise validation_error("ambiguous_request", request=name, profiles=profiles)
    return found[0][1]


def build_saved_requests(hass: HomeAssistant, profile: Profile) -> None:
    """Build, once at setup, each saved request of profile that has no template.

    Sent with no field besides its name (a button press, a poll, a plain action
    call), such a request is the same every time: prepare returns the one built
    here. One that can't be built is left out; each call then raises its error.
    """
    for saved in profile.requests.values():
        if saved.templates:
            continue
        with contextlib.suppress(HomeAssistantError):
            built = prepare(hass, _NOTHING, saved, profile=profile)
            profile.built[saved.subentry_id] = BuiltRequest(
                saved, built.request, built.fail_on_http_error
            )


def prepare(
    hass: HomeAssistant,
    call: Mapping[str, Any],
    saved: SavedRequest | None = None,
    *,
    profile: Profile | None = None,
) -> Prepared:
    """Turn validated action data (and the saved request it names) into a request.

    profile, when given, is used instead of the one the call or the saved request
    names: a profile being set up in a flow has none loaded yet. Raises a
    translated error for a call that can't be sent.
    """
    chosen_profile: Profile | str | None = profile
    if saved is None:
        fields, saved_headers = _NOTHING, _NOTHING
        chosen_profile = profile or call.get(ATTR_CONFIG_ENTRY_ID)
    else:
        if profile is None:
            chosen_profile = _loaded_profile(hass, saved.entry_id)
            built = chosen_profile.built.get(saved.subentry_id)
            # The loaded saved request itself (a flow's Try it has its own copy).
            if built is not None and built.saved is saved and _names_only(call):
                return Prepared(
                    built.request, chosen_profile, built.fail_on_http_error, None
                )
        fields, saved_headers = render_call(saved, call.get(ATTR_VARIABLES) or {})
        call = {
            key: value
            for key, value in call.items()
            if value is not None and key not in _SAVED_REQUEST_KEYS
        }
        if any(field in call for field in BODY_FIELDS):
            fields = {k: v for k, v in fields.items() if k not in BODY_FIELDS}
    raw_url = call[ATTR_URL] if ATTR_URL in call else fields[ATTR_URL]
    url, profile = _target(hass, raw_url, call, chosen_profile)
    # The precedence rule: each source replaces what the one before it set.
    chosen = {**DEFAULTS, **(profile.defaults if profile else {}), **fields, **call}
    if params := _merged(fields.get(ATTR_PARAMS), call.get(ATTR_PARAMS)):
        url = url.extend_query(_pairs(params, "invalid_params"))
    headers = checked_headers(raw) if (raw := call.get(CONF_HEADERS)) else {}
    body = _encode_body(
        hass,
        call=call,
        fields=fields,
        headers=headers,
        saved_headers=saved_headers,
        profile=profile,
    )
    save_to = call.get(ATTR_SAVE_TO)
    request = Request(
        method=chosen[ATTR_METHOD],
        url=url,
        headers=headers,
        body=body,
        scoped_headers=_scoped(profile, saved_headers),
        digest_auth=profile.digest_auth if profile else None,
        route=profile.route if profile else NO_ROUTE,
        timeout=chosen[CONF_TIMEOUT],
        verify_ssl=chosen[CONF_VERIFY_SSL],
        max_response_size=_size_limit(call.get(ATTR_MAX_RESPONSE_SIZE), save_to)
        or chosen[ATTR_MAX_RESPONSE_SIZE],
        allow_redirects=chosen[ATTR_ALLOW_REDIRECTS],
        retries=chosen[ATTR_RETRIES],
    )
    return Prepared(request, profile, chosen[ATTR_FAIL_ON_HTTP_ERROR], save_to)


def _names_only(call: Mapping[str, Any]) -> bool:
    """Return whether a call gives nothing but what finds a saved request."""
    return all(
        value is None or key in _SAVED_REQUEST_KEYS for key, value in call.items()
    )


def _loaded_profile(hass: HomeAssistant, entry_id: str) -> Profile:
    """Return the loaded profile of entry_id, or raise the translated error."""
    entry: SceneHttpRequestConfigEntry = service.async_get_config_entry(
        hass, DOMAIN, entry_id
    )
    return entry.runtime_data


def _merged(
    saved: dict[str, Any] | None, given: dict[Any, Any] | None
) -> dict[Any, Any] | None:
    """Return saved params with the call's, which replace those of the same name."""
    if saved and given:
        return saved | given
    return given or saved


def _scoped(
    profile: Profile | None, saved_headers: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    """Return the headers bound to the origin: the profile's, then the saved ones.

    A saved header replaces the profile's header of the same name (in any case).
    """
    scoped = profile.scoped_headers if profile else ()
    if not saved_headers:
        return scoped
    replaced = {name.lower() for name in saved_headers}
    kept = tuple(pair for pair in scoped if pair[0].lower() not in replaced)
    return (*kept, *checked_headers(dict(saved_headers)).items())


def _size_limit(size: int | None, save_to: str | None) -> int | None:
    """Return the call's response size limit for its kind, None to use the chain.

    A response saved to a file may be larger, and its default limit ignores the
    profile's (which is for responses held in memory).
    """
    if save_to is not None:
        return DEFAULT_SAVE_SIZE if size is None else size
    if size is not None and size > MAX_RESPONSE_SIZE_LIMIT:
        raise validation_error(
            "max_response_size_too_large", limit=str(MAX_RESPONSE_SIZE_LIMIT)
        )
    return size


def _target(
    hass: HomeAssistant,
    raw_url: str,
    call: Mapping[str, Any],
    chosen: Profile | str | None,
) -> tuple[URL, Profile | None]:
    """Return the absolute URL of the call and the profile it uses, if any.

    chosen is the profile to use, or its entry ID; with none, the URL picks one.
    """
    profile = chosen if isinstance(chosen, Profile) else None
    if isinstance(chosen, str) and chosen:
        profile = _loaded_profile(hass, chosen)
    try:
        url = resolve_url(
            raw_url,
            profile.base_url if profile else None,
            encoded=call.get(ATTR_SKIP_URL_ENCODING, False),
        )
    except UrlError as err:
        raise validation_error(err.key, **err.placeholders) from None
    if profile is None:
        return url, shared(hass).index.match(url)
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


def _pairs(mapping: Mapping[Any, Any], error_key: str) -> list[tuple[str, str]]:
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


def _encode_body(  # noqa: PLR0913 - the body's sources, in precedence order
    hass: HomeAssistant,
    *,
    call: Mapping[str, Any],
    fields: Mapping[str, Any],
    headers: dict[str, str],
    saved_headers: Mapping[str, str],
    profile: Profile | None,
) -> bytes | BodySource | None:
    """Encode the one body field given, and set the body's Content-Type.

    The Content-Type is the call's, else the saved request's, else the profile's,
    else the body kind's (a file's is guessed from its name when it is opened). It
    goes with the body, to whichever origin the body goes. A multipart body always
    has its own.
    """
    given = [field for field in BODY_FIELDS if call.get(field) is not None]
    if not given:
        given = [field for field in BODY_FIELDS if fields.get(field) is not None]
        call = fields
    if len(given) > 1:
        raise validation_error("multiple_bodies", fields=", ".join(given))
    if not given:
        return None
    field = given[0]
    value = call[field]
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
        saved_type = next(
            (v for n, v in saved_headers.items() if n.lower() == "content-type"), None
        )
        profile_type = profile.content_type if profile else None
        if chosen := saved_type or profile_type or content_type:
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
