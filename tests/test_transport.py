"""TLS per profile: own CA, client certificates (mTLS) and legacy ciphers.

Every server is real, on loopback, with certificates made in the test.
"""

from __future__ import annotations

from pathlib import Path
import ssl
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest

from custom_components.scene_http_request.transport import (
    TlsError,
    TlsSettings,
    build_contexts,
)

from .certs import TestCA
from .helpers import AddProfile, assert_setup_fails_on_field, send, send_error
from .server import ThreadedServer, make_self_signed_cert

KEY_PASSWORD = "key-SECRET-password"


@pytest.fixture(scope="module")
def server_ca() -> TestCA:
    """The CA that signs the servers' certificates."""
    return TestCA("Server CA")


@pytest.fixture(scope="module")
def client_ca() -> TestCA:
    """The CA that signs the client certificates a server accepts."""
    return TestCA("Client CA")


@pytest.fixture
async def setup_integration(hass: HomeAssistant, add_profile: AddProfile) -> None:
    """Set up the integration (the action) with no profile."""
    await add_profile("Plain")


pytestmark = pytest.mark.usefixtures("setup_integration", "socket_enabled")


# ------------------------------------------------------------------- own CA


async def test_ca_is_trusted(
    hass: HomeAssistant, tmp_path: Path, server_ca: TestCA, add_profile: AddProfile
) -> None:
    """A profile's own CA verifies its server; without the profile it fails."""
    with ThreadedServer(server_ca.server_context(tmp_path)) as device:
        err = await send_error(hass, url=device.url("/no-profile"))
        assert err.translation_key == "ssl_error"

        await add_profile("Device", device.url("/"), ca_pem=server_ca.cert_pem)
        response = await send(hass, url=device.url("/status"))
        assert response["status"] == 200
        assert response["profile"] == "Device"
        assert device.received == ["/status"]


async def test_ca_profile_still_fails_other_self_signed(
    hass: HomeAssistant, tmp_path: Path, server_ca: TestCA, add_profile: AddProfile
) -> None:
    """A profile that trusts a CA still refuses other self-signed servers."""
    other = make_self_signed_cert(tmp_path).server_context()
    with ThreadedServer(other) as stranger:
        entry = await add_profile("Anywhere", ca_pem=server_ca.cert_pem)
        err = await send_error(
            hass, config_entry_id=entry.entry_id, url=stranger.url("/x")
        )
        assert err.translation_key == "ssl_error"
        assert stranger.received == []
        # A call may still turn verification off: the no-verify context is used.
        response = await send(
            hass,
            config_entry_id=entry.entry_id,
            url=stranger.url("/x"),
            verify_ssl=False,
        )
        assert response["status"] == 200


# --------------------------------------------------------------------- mTLS


async def _mtls_profile(
    add_profile: AddProfile, url: str, server_ca: TestCA, **tls: Any
) -> str:
    entry = await add_profile("Mutual", url, ca_pem=server_ca.cert_pem, **tls)
    assert entry.state is ConfigEntryState.LOADED
    return entry.entry_id


async def test_mtls_with_and_without_certificate(
    hass: HomeAssistant,
    tmp_path: Path,
    server_ca: TestCA,
    client_ca: TestCA,
    add_profile: AddProfile,
) -> None:
    """A server that requires a client certificate accepts the profile's only."""
    client = client_ca.issue("home-assistant", client=True)
    context = server_ca.server_context(tmp_path, client_ca=client_ca)
    with ThreadedServer(context) as api:
        without = await add_profile("No cert", ca_pem=server_ca.cert_pem)
        err = await send_error(hass, config_entry_id=without.entry_id, url=api.url())
        assert err.translation_key in ("ssl_error", "cannot_connect")
        assert api.received == []

        entry_id = await _mtls_profile(
            add_profile,
            api.url("/"),
            server_ca,
            client_cert_pem=client.cert_pem,
            client_key_pem=client.key_pem(),
        )
        response = await send(hass, config_entry_id=entry_id, url="secure")
        assert response["status"] == 200
        assert api.received == ["/secure"]


async def test_mtls_with_encrypted_key(
    hass: HomeAssistant,
    tmp_path: Path,
    server_ca: TestCA,
    client_ca: TestCA,
    add_profile: AddProfile,
) -> None:
    """An encrypted client key works with its password."""
    client = client_ca.issue("home-assistant", client=True)
    context = server_ca.server_context(tmp_path, client_ca=client_ca)
    with ThreadedServer(context) as api:
        entry_id = await _mtls_profile(
            add_profile,
            api.url("/"),
            server_ca,
            client_cert_pem=client.cert_pem,
            client_key_pem=client.key_pem(KEY_PASSWORD),
            client_key_password=KEY_PASSWORD,
        )
        response = await send(hass, config_entry_id=entry_id, url="locked")
        assert response["status"] == 200
        assert api.received == ["/locked"]


# ----------------------------------------------------------- legacy ciphers


async def test_legacy_ciphers_reach_an_old_device(
    hass: HomeAssistant, tmp_path: Path, server_ca: TestCA, add_profile: AddProfile
) -> None:
    """A device with a 1024-bit RSA key needs the legacy (insecure) cipher list."""
    context = server_ca.server_context(tmp_path, rsa_bits=1024)
    with ThreadedServer(context) as device:
        modern = await add_profile("Modern", ca_pem=server_ca.cert_pem)
        err = await send_error(hass, config_entry_id=modern.entry_id, url=device.url())
        assert err.translation_key == "ssl_error"
        assert device.received == []

        legacy = await add_profile(
            "Old device", ca_pem=server_ca.cert_pem, legacy_ciphers=True
        )
        response = await send(
            hass, config_entry_id=legacy.entry_id, url=device.url("/old")
        )
        assert response["status"] == 200
        assert device.received == ["/old"]


def test_legacy_ciphers_lower_the_security_level() -> None:
    """The legacy contexts use HA's insecure cipher list, like rest_command."""
    normal = build_contexts(TlsSettings(ca_pem=""))
    legacy = build_contexts(TlsSettings(legacy_ciphers=True))
    assert normal.verify.security_level >= 1
    assert legacy.verify.security_level == 0
    assert legacy.no_verify.security_level == 0
    assert legacy.verify.verify_mode is ssl.CERT_REQUIRED
    assert legacy.no_verify.verify_mode is ssl.CERT_NONE
    assert legacy.no_verify.check_hostname is False


# ------------------------------------------------------------ bad settings


def _errors(tls: TlsSettings) -> tuple[str, str]:
    with pytest.raises(TlsError) as info:
        build_contexts(tls)
    return info.value.field, info.value.key


def test_build_contexts_errors(client_ca: TestCA) -> None:
    """Each unusable setting is an error on its own field."""
    client = client_ca.issue("ha", client=True)
    other = client_ca.issue("other", client=True)
    cert, key = client.cert_pem, client.key_pem()
    assert _errors(TlsSettings(ca_pem="not a certificate")) == (
        "ca_pem",
        "invalid_pem",
    )
    assert _errors(TlsSettings(client_cert_pem=cert)) == (
        "client_key_pem",
        "client_key_required",
    )
    assert _errors(TlsSettings(client_key_pem=key)) == (
        "client_cert_pem",
        "client_cert_required",
    )
    assert _errors(TlsSettings(client_cert_pem="junk", client_key_pem=key)) == (
        "client_cert_pem",
        "invalid_pem",
    )
    assert _errors(TlsSettings(client_cert_pem=cert, client_key_pem="junk")) == (
        "client_key_pem",
        "invalid_pem",
    )
    assert _errors(
        TlsSettings(client_cert_pem=cert, client_key_pem=other.key_pem())
    ) == ("client_key_pem", "key_mismatch")
    encrypted = client.key_pem(KEY_PASSWORD)
    assert _errors(TlsSettings(client_cert_pem=cert, client_key_pem=encrypted)) == (
        "client_key_password",
        "key_password_required",
    )
    assert _errors(
        TlsSettings(
            client_cert_pem=cert, client_key_pem=encrypted, client_key_password="nope"
        )
    ) == ("client_key_password", "invalid_key_password")
    # A password given for a key that is not encrypted is not needed, and ignored.
    contexts = build_contexts(
        TlsSettings(client_cert_pem=cert, client_key_pem=key, client_key_password="x")
    )
    assert contexts.verify.verify_mode is ssl.CERT_REQUIRED


def test_build_contexts_load_failures(
    monkeypatch: pytest.MonkeyPatch, server_ca: TestCA, client_ca: TestCA
) -> None:
    """What cryptography accepts but ssl refuses is still a field error."""
    client = client_ca.issue("ha", client=True)

    original = ssl.SSLContext.load_verify_locations

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise ssl.SSLError("refused")

    def refuse_cadata(context: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        if "cadata" in kwargs:
            refuse()
        original(context, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", refuse_cadata)
    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", refuse)
    assert _errors(TlsSettings(ca_pem=server_ca.cert_pem)) == ("ca_pem", "invalid_pem")
    assert _errors(
        TlsSettings(client_cert_pem=client.cert_pem, client_key_pem=client.key_pem())
    ) == ("client_cert_pem", "invalid_pem")


def test_default_settings_need_no_context() -> None:
    """Only a profile with TLS settings gets its own contexts."""
    assert TlsSettings().is_default
    assert not TlsSettings(legacy_ciphers=True).is_default
    assert not TlsSettings(ca_pem="x").is_default
    assert not TlsSettings(client_cert_pem="x").is_default


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"ca_pem": "garbage"}, "ca_pem"),
        ({"ca_pem": 5}, "ca_pem"),
        ({"client_key_password": ["x"]}, "client_key_password"),
        ({"legacy_ciphers": "yes"}, "legacy_ciphers"),
    ],
)
async def test_setup_fails_on_bad_stored_tls(
    hass: HomeAssistant, options: dict[str, Any], field: str
) -> None:
    """Stored TLS settings that can't be used fail the entry, naming the field."""
    await assert_setup_fails_on_field(hass, options, field)
