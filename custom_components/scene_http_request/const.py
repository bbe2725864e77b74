"""Constants for Scene HTTP Request."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "scene_http_request"
SERVICE_SEND: Final = "send"

# Config entry data (set up in the user and reconfigure steps).
CONF_BASE_URL: Final = "base_url"

# Config entry options (the profile's defaults).
CONF_HEADER_NAME: Final = "name"
CONF_HEADER_VALUE: Final = "value"
CONF_AUTH_TYPE: Final = "auth_type"
CONF_MAX_RESPONSE_SIZE: Final = "max_response_size"
CONF_TEST_REQUEST: Final = "test_request"
# Transport: TLS and proxy (transport.py).
CONF_CA_PEM: Final = "ca_pem"
CONF_CLIENT_CERT_PEM: Final = "client_cert_pem"
CONF_CLIENT_KEY_PEM: Final = "client_key_pem"
CONF_CLIENT_KEY_PASSWORD: Final = "client_key_password"  # noqa: S105 - a key name
CONF_LEGACY_CIPHERS: Final = "legacy_ciphers"
CONF_PROXY_URL: Final = "proxy_url"
CONF_PROXY_USERNAME: Final = "proxy_username"
CONF_PROXY_PASSWORD: Final = "proxy_password"  # noqa: S105 - a key name

AUTH_NONE: Final = "none"
AUTH_BASIC: Final = "basic"
AUTH_DIGEST: Final = "digest"
AUTH_BEARER: Final = "bearer"
AUTH_API_KEY_QUERY: Final = "api_key_query"
AUTH_OAUTH2: Final = "oauth2_client_credentials"
AUTH_LOGIN: Final = "login"
AUTH_TYPES: Final = (
    AUTH_NONE,
    AUTH_BASIC,
    AUTH_DIGEST,
    AUTH_BEARER,
    AUTH_API_KEY_QUERY,
    AUTH_OAUTH2,
    AUTH_LOGIN,
)
# OAuth2 client credentials (auth_type oauth2_client_credentials).
CONF_TOKEN_URL: Final = "token_url"  # noqa: S105 - a key name
CONF_CLIENT_ID: Final = "client_id"
CONF_CLIENT_SECRET: Final = "client_secret"  # noqa: S105 - a key name
CONF_SCOPE: Final = "scope"
CONF_AUDIENCE: Final = "audience"
# A login request before the others (auth_type login, login.py); the username
# and password are CONF_USERNAME and CONF_PASSWORD.
CONF_LOGIN_URL: Final = "login_url"
CONF_LOGIN_METHOD: Final = "login_method"
CONF_LOGIN_BODY_TYPE: Final = "login_body_type"
CONF_LOGIN_FIELDS: Final = "login_fields"  # rows of name and value (a template)
CONF_LOGIN_HEADER_NAME: Final = "login_header_name"
CONF_LOGIN_HEADER_VALUE: Final = "login_header_value"
LOGIN_METHODS: Final = ("POST", "GET", "PUT")
LOGIN_BODY_FORM: Final = "form"
LOGIN_BODY_JSON: Final = "json"
LOGIN_BODY_TYPES: Final = (LOGIN_BODY_FORM, LOGIN_BODY_JSON)
# An API key sent as a query parameter (auth_type api_key_query).
CONF_QUERY_NAME: Final = "query_name"
CONF_QUERY_VALUE: Final = "query_value"

# Action fields (besides config_entry_id, headers, timeout and verify_ssl, which
# are homeassistant.const's ATTR_CONFIG_ENTRY_ID and CONF_*).
ATTR_METHOD: Final = "method"
ATTR_URL: Final = "url"
ATTR_PARAMS: Final = "params"
ATTR_JSON: Final = "json"
ATTR_FORM: Final = "form"
ATTR_BODY: Final = "body"
ATTR_ALLOW_REDIRECTS: Final = "allow_redirects"
ATTR_FAIL_ON_HTTP_ERROR: Final = "fail_on_http_error"
ATTR_RETRIES: Final = "retries"
ATTR_MAX_RESPONSE_SIZE: Final = "max_response_size"
ATTR_MULTIPART: Final = "multipart"
ATTR_BODY_FILE: Final = "body_file"
ATTR_SAVE_TO: Final = "save_to"
# The keys of one multipart part.
PART_NAME: Final = "name"
PART_VALUE: Final = "value"
PART_FILE: Final = "file"
PART_CONTENT_BASE64: Final = "content_base64"
PART_FILENAME: Final = "filename"
PART_CONTENT_TYPE: Final = "content_type"
PART_SOURCES: Final = (PART_VALUE, PART_FILE, PART_CONTENT_BASE64)
ATTR_SKIP_URL_ENCODING: Final = "skip_url_encoding"

METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

DEFAULT_TIMEOUT: Final = 10.0
MIN_TIMEOUT: Final = 0.1
MAX_TIMEOUT: Final = 300.0
DEFAULT_VERIFY_SSL: Final = True
MIB: Final = 1024 * 1024
DEFAULT_MAX_RESPONSE_SIZE: Final = 1 * MIB
MAX_RESPONSE_SIZE_LIMIT: Final = 50 * MIB
# A response saved to a file (save_to) is never held in memory: larger limits.
DEFAULT_SAVE_SIZE: Final = 100 * MIB
MAX_SAVE_SIZE: Final = 2048 * MIB
MAX_RETRIES: Final = 10
MAX_REDIRECTS: Final = 10
# A reason phrase comes from the server: messages show at most this much of it.
MAX_REASON_LENGTH: Final = 100

RETRY_STATUSES: Final = frozenset({408, 425, 429, 500, 502, 503, 504})
RETRY_BACKOFF_START: Final = 1.0
RETRY_BACKOFF_CAP: Final = 30.0
RETRY_AFTER_CAP: Final = 60.0

# Saved requests: config subentries of a profile (subentry type "request").
SUBENTRY_REQUEST: Final = "request"
CONF_BODY_TYPE: Final = "body_type"
CONF_TRY_IT: Final = "try_it"
BODY_NONE: Final = "none"
BODY_JSON: Final = "json"
BODY_FORM: Final = "form"
BODY_TEXT: Final = "text"
BODY_TYPES: Final = (BODY_NONE, BODY_JSON, BODY_FORM, BODY_TEXT)
# Action fields that name a saved request and give its templates' variables.
ATTR_REQUEST: Final = "request"
ATTR_VARIABLES: Final = "variables"
# Dispatcher signal with the outcome of each send of a saved request.
SIGNAL_SENT: Final = f"{DOMAIN}_sent_{{}}"
# "Try it" shows at most this many characters of the content.
TRY_IT_CONTENT_LENGTH: Final = 500
# A saved request's value sensor and polling (stored flat in its subentry; the
# other keys are homeassistant.const's CONF_VALUE_TEMPLATE, CONF_SCAN_INTERVAL…).
CONF_JSON_ATTRIBUTES: Final = "json_attributes"
MIN_SCAN_INTERVAL: Final = 5
MAX_SCAN_INTERVAL: Final = 86400
