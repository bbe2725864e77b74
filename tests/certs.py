"""A certificate authority made in the test, and the certificates it issues."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
import ipaddress
from pathlib import Path
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_CA_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


def _key(rsa_bits: int | None) -> CertificateIssuerPrivateKeyTypes:
    if rsa_bits:
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    return ec.generate_private_key(ec.SECP256R1())


def _validity(days: float) -> tuple[dt.datetime, dt.datetime]:
    """Return (not before, not after) for a certificate valid days more from now.

    A negative days gives a certificate that has expired.
    """
    now = dt.datetime.now(dt.UTC)
    not_after = now + dt.timedelta(days=days)
    return min(now, not_after) - dt.timedelta(days=1), not_after


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@dataclass(frozen=True, slots=True)
class Issued:
    """A certificate and its private key."""

    certificate: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes

    @property
    def cert_pem(self) -> str:
        """Return the certificate in PEM."""
        return _pem(self.certificate)

    def key_pem(self, password: str | None = None) -> str:
        """Return the private key in PEM, encrypted with password if given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.NoEncryption()
            if password is None
            else serialization.BestAvailableEncryption(password.encode())
        )
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        ).decode()

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write the certificate and key to files; return their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        cert_path = directory / "cert.pem"
        key_path = directory / "key.pem"
        cert_path.write_text(self.cert_pem)
        key_path.write_text(self.key_pem())
        return cert_path, key_path


class TestCA:
    """A CA with a self-signed root."""

    __test__ = False  # not a pytest test class

    def __init__(self, name: str = "Test CA", *, days: float = 2) -> None:
        """Make the root key and certificate, valid for days more."""
        self.key = _key(None)
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        not_before, not_after = _validity(days)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(
                x509.BasicConstraints(ca=True, path_length=None), critical=True
            )
            .add_extension(_CA_USAGE, critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )

    @property
    def cert_pem(self) -> str:
        """Return the root certificate in PEM."""
        return _pem(self.certificate)

    def issue(
        self,
        host: str = "127.0.0.1",
        *,
        client: bool = False,
        rsa_bits: int | None = None,
        days: float = 1,
    ) -> Issued:
        """Issue a server certificate for host, or a client certificate.

        The key is EC P-256, or RSA of rsa_bits bits; the certificate is valid
        for days more (negative: it has expired).
        """
        key = _key(rsa_bits)
        not_before, not_after = _validity(days)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(
                x509.BasicConstraints(ca=False, path_length=None), critical=True
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.key.public_key()
                ),
                critical=False,
            )
        )
        if client:
            usage = ExtendedKeyUsageOID.CLIENT_AUTH
        else:
            usage = ExtendedKeyUsageOID.SERVER_AUTH
            try:
                name: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
            except ValueError:
                name = x509.DNSName(host)
            builder = builder.add_extension(
                x509.SubjectAlternativeName([name]), critical=False
            )
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        return Issued(builder.sign(self.key, hashes.SHA256()), key)

    def server_context(
        self,
        directory: Path,
        *,
        client_ca: TestCA | None = None,
        rsa_bits: int | None = None,
    ) -> ssl.SSLContext:
        """Return a server context with a certificate of this CA for 127.0.0.1.

        With client_ca, the server requires a client certificate issued by it.
        With rsa_bits, the server's key is RSA of that size: 1024 bits is what old
        devices have, and what clients refuse unless they allow legacy security.
        """
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        if rsa_bits is not None:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.load_cert_chain(*self.issue(rsa_bits=rsa_bits).write(directory))
        if client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cadata=client_ca.cert_pem)
        return context
