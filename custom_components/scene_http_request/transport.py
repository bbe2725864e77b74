"""A profile's transport: its TLS contexts (own CA, client certificate, ciphers).

Loading certificates blocks, so build_contexts runs in the executor, once when a
profile is set up (and again when its options change). Nothing here logs, and no
error holds a certificate, a key or a password: a TlsError names the field only.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import secrets
import ssl
import tempfile
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from homeassistant.util.ssl import (
    SSL_ALPN_HTTP11,
    SSLCipherList,
    create_client_context,
)

from .const import (
    CONF_CA_PEM,
    CONF_CLIENT_CERT_PEM,
    CONF_CLIENT_KEY_PASSWORD,
    CONF_CLIENT_KEY_PEM,
)

_ENCRYPTED_MARKERS = ("ENCRYPTED PRIVATE KEY", "Proc-Type: 4,ENCRYPTED")


class TlsError(ValueError):
    """TLS settings that can't be used: the field and the reason (a translation key)."""

    def __init__(self, field: str, key: str) -> None:
        """Name the field at fault and the form error key."""
        super().__init__(field)
        self.field = field
        self.key = key


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsSettings:
    """A profile's TLS settings, as stored (PEM text)."""

    ca_pem: str = ""
    client_cert_pem: str = ""
    client_key_pem: str = ""
    client_key_password: str = ""
    legacy_ciphers: bool = False

    @property
    def is_default(self) -> bool:
        """Return whether the shared session's own TLS settings do."""
        return not (
            self.ca_pem
            or self.client_cert_pem
            or self.client_key_pem
            or self.legacy_ciphers
        )


class SslContexts(NamedTuple):
    """The contexts of a profile: one that verifies the server, one that doesn't."""

    verify: ssl.SSLContext
    no_verify: ssl.SSLContext


def build_contexts(tls: TlsSettings) -> SslContexts:
    """Check the settings and build the profile's contexts (blocking).

    Raises TlsError naming the field when a certificate or key can't be used.
    """
    ciphers = (
        SSLCipherList.INSECURE if tls.legacy_ciphers else SSLCipherList.PYTHON_DEFAULT
    )
    verify = create_client_context(ciphers, SSL_ALPN_HTTP11)
    # create_no_verify_ssl_context returns a shared context: never change that one.
    no_verify = create_client_context(ciphers, SSL_ALPN_HTTP11)
    no_verify.check_hostname = False
    no_verify.verify_mode = ssl.CERT_NONE
    if tls.ca_pem:
        _check_certificates(tls.ca_pem, CONF_CA_PEM)
        try:
            verify.load_verify_locations(cadata=tls.ca_pem)
        except ssl.SSLError, ValueError:
            raise TlsError(CONF_CA_PEM, "invalid_pem") from None
    if tls.client_cert_pem or tls.client_key_pem:
        _load_client_certificate((verify, no_verify), tls)
    return SslContexts(verify, no_verify)


def _check_certificates(pem: str, field: str) -> list[x509.Certificate]:
    """Return the certificates of a PEM text, or raise TlsError."""
    try:
        certificates = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        raise TlsError(field, "invalid_pem") from None
    return certificates


def _private_key(tls: TlsSettings) -> PrivateKeyTypes:
    """Return the client key, decrypted with its password, or raise TlsError."""
    if not tls.client_key_pem:
        raise TlsError(CONF_CLIENT_KEY_PEM, "client_key_required")
    encrypted = any(marker in tls.client_key_pem for marker in _ENCRYPTED_MARKERS)
    if encrypted and not tls.client_key_password:
        raise TlsError(CONF_CLIENT_KEY_PASSWORD, "key_password_required")
    password = tls.client_key_password.encode() if encrypted else None
    try:
        return serialization.load_pem_private_key(tls.client_key_pem.encode(), password)
    except ValueError, TypeError, UnicodeEncodeError:
        if encrypted:
            raise TlsError(CONF_CLIENT_KEY_PASSWORD, "invalid_key_password") from None
        raise TlsError(CONF_CLIENT_KEY_PEM, "invalid_pem") from None


def _load_client_certificate(
    contexts: tuple[ssl.SSLContext, ...], tls: TlsSettings
) -> None:
    """Load the client certificate and key into each context.

    ssl loads a key from a file only: the key is written re-encrypted with a
    one-time password to a private temporary directory, then removed.
    """
    if not tls.client_cert_pem:
        raise TlsError(CONF_CLIENT_CERT_PEM, "client_cert_required")
    certificate = _check_certificates(tls.client_cert_pem, CONF_CLIENT_CERT_PEM)[0]
    key = _private_key(tls)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    certificate_key = certificate.public_key().public_bytes(der, spki)
    if key.public_key().public_bytes(der, spki) != certificate_key:
        raise TlsError(CONF_CLIENT_KEY_PEM, "key_mismatch")
    one_time = secrets.token_urlsafe(32).encode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(one_time),
    )
    with tempfile.TemporaryDirectory() as directory:
        cert_path = _write_private(Path(directory, "cert.pem"), tls.client_cert_pem)
        key_path = _write_private(Path(directory, "key.pem"), key_pem.decode())
        for context in contexts:
            try:
                context.load_cert_chain(cert_path, key_path, one_time)
            except ssl.SSLError:
                raise TlsError(CONF_CLIENT_CERT_PEM, "invalid_pem") from None


def _write_private(path: Path, text: str) -> Path:
    """Write text to a new file only this user can read."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    return path
