"""The deployment's certificate authority, and the demo CA that `make run` creates on first start.

A production deployment gets its signers' certificates from the Government's CA (in Vietnam, the
Government Cipher Committee) and imports them with `run.py signer enroll --pkcs12`; the demo CA
stands in for it so that a fresh install can sign and verify end to end. The CA's private key is
kept as encrypted PKCS#8 (never in the clear) under a passphrase that the deployment supplies
(settings) or, for the demo, that is generated once into a 0600 file beside it.

Certificates and CRLs are built with `cryptography`, the library pyHanko itself stands on; the
CA publishes a CRL so that validators (pyHanko's included) find revocation data and a signature
can carry long-term validation data (PAdES-B-LT).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT_NAME = "eCabinet Demo Root CA"
ROOT_FILE = "root.pem"
KEY_FILE = "root-key.pem"  # encrypted PKCS#8
PASS_FILE = "passphrase"  # the demo's generated passphrase (0600); production passes its own
CRL_FILE = "root.crl"
KEY_BITS = 2048
CRL_DAYS = 30


@dataclass(frozen=True)
class Authority:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    folder: Path
    crl_url: str  # where the CRL is published ("" for none)

    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def fingerprint(certificate_der: bytes) -> str:
    """The certificate's SHA-256 fingerprint, in lowercase hex: how events and the API name it."""
    return hashlib.sha256(certificate_der).hexdigest()


def private_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


def demo_passphrase(folder: Path) -> bytes:
    """The demo CA's passphrase, generated once into a private file."""
    path = folder / PASS_FILE
    if not path.exists():
        private_write(path, secrets.token_urlsafe(32).encode())
    return path.read_bytes().strip()


def _name(common_name: str, organisation: str = "", title: str = "") -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organisation:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if title:
        parts.append(x509.NameAttribute(NameOID.TITLE, title))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


def load_or_create(folder: Path, passphrase: bytes, *, crl_url: str = "") -> Authority:
    """The CA in `folder`, created (key, self-signed root, empty CRL) when absent."""
    key_path, root_path = folder / KEY_FILE, folder / ROOT_FILE
    if key_path.exists() and root_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=passphrase)
        assert isinstance(key, rsa.RSAPrivateKey)
        root = x509.load_pem_x509_certificate(root_path.read_bytes())
        return Authority(root, key, folder, crl_url)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    now = datetime.now(UTC)
    name = _name(ROOT_NAME, "eCabinet (demo)")
    root = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    private_write(key_path, encrypted)
    root_path.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    authority = Authority(root, key, folder, crl_url)
    write_crl(authority, [])
    return authority


def issue(
    ca: Authority,
    public_key_der: bytes,
    *,
    common_name: str,
    organisation: str = "",
    title: str = "",
    days: int = 730,
    purpose: str = "signing",
) -> x509.Certificate:
    """A certificate for `public_key_der` (SubjectPublicKeyInfo): `purpose` "signing" (a person
    or the organisation's seal: non-repudiation) or "timestamping" (the demo TSA)."""
    public_key = serialization.load_der_public_key(public_key_der)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation, title))
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(min(now + timedelta(days=days), ca.certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    if purpose == "timestamping":
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
    if ca.crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(ca.crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder.sign(ca.key, hashes.SHA256())


def write_crl(ca: Authority, revoked: list[tuple[int, datetime]]) -> bytes:
    """Sign and store the CA's CRL (DER) listing `revoked` (serial, when) and return it."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=CRL_DAYS))
    )
    for serial, when in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    (ca.folder / CRL_FILE).write_bytes(crl)
    return crl


def current_crl(ca: Authority) -> bytes:
    """The stored CRL, re-signed when it is within a week of its next update."""
    path = ca.folder / CRL_FILE
    if path.exists():
        crl = x509.load_der_x509_crl(path.read_bytes())
        next_update = crl.next_update_utc
        if next_update is not None and next_update - datetime.now(UTC) > timedelta(days=7):
            return path.read_bytes()
        revoked = [(entry.serial_number, entry.revocation_date_utc) for entry in crl]
        return write_crl(ca, revoked)
    return write_crl(ca, [])
