"""The settings form's TLS section: its errors, kept secrets, the test request."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.scene_http_request.const import (
    CONF_AUTH_TYPE,
    CONF_CA_PEM,
    CONF_CLIENT_CERT_PEM,
    CONF_CLIENT_KEY_PASSWORD,
    CONF_CLIENT_KEY_PEM,
    CONF_LEGACY_CIPHERS,
    CONF_TEST_REQUEST,
)

from .certs import Issued, TestCA
from .helpers import (
    add_entry,
    assert_setup_fails_on_field,
    configure_flow,
    setup_entry,
    suggested_values,
    user_step,
)
from .server import ThreadedServer

KEY_PASSWORD = "key-SECRET-password"
LOGGER_NAME = "custom_components.scene_http_request"


@pytest.fixture(scope="module")
def ca() -> TestCA:
    """The CA of the servers and of the client certificate."""
    return TestCA()


@pytest.fixture(scope="module")
def client(ca: TestCA) -> Issued:
    """A client certificate and its key."""
    return ca.issue("home-assistant", client=True)


def _tls(client: Issued, *, password: str | None = None) -> dict[str, Any]:
    tls = {
        CONF_CLIENT_CERT_PEM: client.cert_pem,
        CONF_CLIENT_KEY_PEM: client.key_pem(password),
    }
    if password is not None:
        tls[CONF_CLIENT_KEY_PASSWORD] = password
    return tls


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {CONF_CA_PEM: "-----BEGIN CERTIFICATE-----\nxx"},
            {"tls": "invalid_ca_pem"},
        ),
        ({CONF_CLIENT_CERT_PEM: "junk"}, {"tls": "invalid_client_cert_pem"}),
        ({CONF_CLIENT_KEY_PEM: "junk"}, {"tls": "invalid_client_key_pem"}),
        ({CONF_CLIENT_KEY_PEM: ""}, {"tls": "client_key_required"}),
        ({CONF_CLIENT_CERT_PEM: ""}, {"tls": "client_cert_required"}),
        ({CONF_CLIENT_KEY_PEM: "k" * (256 * 1024 + 1)}, {"tls": "pem_too_large"}),
        ("mismatch", {"tls": "key_mismatch"}),
        ("encrypted", {"tls": "key_password_required"}),
        ("wrong password", {"tls": "invalid_key_password"}),
    ],
)
async def test_tls_field_errors_then_recovery(
    hass: HomeAssistant,
    ca: TestCA,
    client: Issued,
    changes: dict[str, str] | str,
    errors: dict[str, str],
) -> None:
    """Each unusable TLS setting is an error on the TLS section; fixing it saves."""
    result = await user_step(hass, "Mutual", "https://api.example.com/")
    user_input = _tls(client)
    if changes == "mismatch":
        user_input[CONF_CLIENT_KEY_PEM] = ca.issue("x", client=True).key_pem()
    elif changes == "encrypted":
        user_input[CONF_CLIENT_KEY_PEM] = client.key_pem(KEY_PASSWORD)
    elif changes == "wrong password":
        user_input = _tls(client, password=KEY_PASSWORD) | {
            CONF_CLIENT_KEY_PASSWORD: "nope"
        }
    else:
        assert isinstance(changes, dict)
        user_input |= changes
    result = await configure_flow(hass, result, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    suggested = suggested_values(result)
    assert CONF_CLIENT_KEY_PEM not in suggested
    assert CONF_CLIENT_KEY_PASSWORD not in suggested

    result = await configure_flow(hass, result, _tls(client, password=KEY_PASSWORD))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_CLIENT_KEY_PASSWORD] == KEY_PASSWORD
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_user_flow_stores_tls(
    hass: HomeAssistant, ca: TestCA, client: Issued
) -> None:
    """The CA, the client certificate, its key and legacy ciphers are stored."""
    result = await user_step(hass, "Mutual", "https://api.example.com/")
    tls = _tls(client, password=KEY_PASSWORD)
    result = await configure_flow(
        hass,
        result,
        {CONF_CA_PEM: f"  {ca.cert_pem}\n", **tls, CONF_LEGACY_CIPHERS: True},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"] == {
        "headers": [],
        CONF_AUTH_TYPE: "none",
        CONF_VERIFY_SSL: True,
        CONF_LEGACY_CIPHERS: True,
        CONF_CA_PEM: ca.cert_pem.strip(),
        CONF_CLIENT_CERT_PEM: client.cert_pem.strip(),
        CONF_CLIENT_KEY_PEM: tls[CONF_CLIENT_KEY_PEM].strip(),
        CONF_CLIENT_KEY_PASSWORD: KEY_PASSWORD,
    }
    await hass.async_block_till_done()
    profile = result["result"].runtime_data
    assert profile.ssl_contexts is not None
    assert profile.ssl_contexts.verify.security_level == 0


async def test_options_keep_the_stored_key(
    hass: HomeAssistant, ca: TestCA, client: Issued
) -> None:
    """A blank key and password keep the stored ones; clearing the cert drops them."""
    stored = {CONF_CA_PEM: ca.cert_pem, **_tls(client, password=KEY_PASSWORD)}
    entry = add_entry(hass, options={CONF_AUTH_TYPE: "none", **stored})
    await setup_entry(hass, entry)
    contexts = entry.runtime_data.ssl_contexts
    assert contexts is not None

    result = await hass.config_entries.options.async_init(entry.entry_id)
    suggested = suggested_values(result)
    assert suggested[CONF_CLIENT_CERT_PEM] == client.cert_pem
    assert CONF_CLIENT_KEY_PEM not in suggested
    assert CONF_CLIENT_KEY_PASSWORD not in suggested
    result = await configure_flow(
        hass,
        result,
        {CONF_CA_PEM: ca.cert_pem, CONF_CLIENT_CERT_PEM: client.cert_pem},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_CLIENT_KEY_PEM] == stored[CONF_CLIENT_KEY_PEM]
    assert result["data"][CONF_CLIENT_KEY_PASSWORD] == KEY_PASSWORD
    await hass.async_block_till_done()
    # The options changed: the entry reloaded and built new contexts.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.ssl_contexts is not None
    assert entry.runtime_data.ssl_contexts is not contexts

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await configure_flow(hass, result, {CONF_AUTH_TYPE: "none"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "headers": [],
        CONF_AUTH_TYPE: "none",
        CONF_VERIFY_SSL: True,
    }
    await hass.async_block_till_done()
    assert entry.runtime_data.ssl_contexts is None


@pytest.mark.usefixtures("socket_enabled")
async def test_test_request_uses_the_tls_settings(
    hass: HomeAssistant,
    tmp_path: Path,
    ca: TestCA,
    client: Issued,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The flow's test request trusts the CA and presents the client certificate."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    context = ca.server_context(tmp_path, client_ca=ca)
    with ThreadedServer(context) as api:
        result = await user_step(hass, "Mutual", api.url("/api/"))
        result = await configure_flow(hass, result, {CONF_TEST_REQUEST: True})
        assert result["errors"] == {"base": "ssl_error"}

        result = await configure_flow(
            hass,
            result,
            {
                CONF_CA_PEM: ca.cert_pem,
                **_tls(client, password=KEY_PASSWORD),
                CONF_TEST_REQUEST: True,
            },
        )
        assert result["errors"] == {}
        assert result["description_placeholders"] == {"test_result": "HTTP 200 OK"}
        assert api.received == ["/api/"]
        assert CONF_CLIENT_KEY_PEM not in suggested_values(result)
    for secret in (KEY_PASSWORD, client.key_pem(), "PRIVATE KEY"):
        assert secret not in caplog.text
        assert secret not in json.dumps(result["description_placeholders"])


async def test_diagnostics_redact_the_key(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    ca: TestCA,
    client: Issued,
) -> None:
    """Diagnostics show the certificates, never the key or its password."""
    stored = {CONF_CA_PEM: ca.cert_pem, **_tls(client, password=KEY_PASSWORD)}
    entry = add_entry(hass, options={CONF_AUTH_TYPE: "none", **stored})
    await setup_entry(hass, entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    options = diagnostics["entry"]["options"]
    assert options[CONF_CLIENT_KEY_PEM] == "**REDACTED**"
    assert options[CONF_CLIENT_KEY_PASSWORD] == "**REDACTED**"
    assert options[CONF_CLIENT_CERT_PEM] == client.cert_pem
    text = json.dumps(diagnostics)
    assert KEY_PASSWORD not in text
    assert "PRIVATE KEY" not in text


@pytest.mark.parametrize(
    "key", [CONF_CA_PEM, CONF_CLIENT_CERT_PEM, CONF_CLIENT_KEY_PEM]
)
async def test_setup_refuses_a_pem_over_the_cap(hass: HomeAssistant, key: str) -> None:
    """Stored PEM text over 256 KiB fails the setup before anything parses it."""
    await assert_setup_fails_on_field(hass, {key: "x" * (256 * 1024 + 1)}, key)
