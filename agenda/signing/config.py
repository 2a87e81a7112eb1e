"""The signing configuration (from the deployment's settings) and what it opens: the key store,
the CA, the trust roots with their CRLs, and the time-stamping authority.

With the SoftHSM2 module and no SOFTHSM2_CONF in the environment, the tokens live under
DATA_DIR/signing/tokens (a config file is written beside them). The library reads that variable
once, when it is first loaded, so one process has one token folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from agenda.signing import pki

if TYPE_CHECKING:  # pyHanko is imported where it is used: the settings need only this dataclass
    from pyhanko.sign.timestamps import TimeStamper

    from agenda.signing.keystore import KeyStore
    from agenda.signing.pdf_sign import TrustData

SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"
DEMO_PIN = "123456"  # the demo signers' PIN, printed by `make run`


@dataclass(frozen=True)
class SigningConfig:
    folder: Path  # DATA_DIR/signing
    store: str = "pkcs11"  # pkcs11 or pkcs12
    pkcs11_module: str = SOFTHSM
    token_prefix: str = "ecabinet-"
    ca_passphrase: str = ""  # "" : the demo CA's generated passphrase file
    tsa_url: str = "demo"  # an RFC 3161 URL, "demo" (the demo CA's TSA) or "" (none)
    trust_roots: tuple[Path, ...] = ()  # PEM files trusted besides the deployment's CA
    public_url: str = ""  # for the CRL's address in certificates
    seal_pin: str = ""  # "" : the demo seal's generated PIN file
    organisation: str = "CHÍNH PHỦ"
    seal_organisation: str = "VĂN PHÒNG CHÍNH PHỦ"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ca_folder(self) -> Path:
        return self.folder / "ca"

    def key_store(self) -> KeyStore:
        from agenda.signing.keystore import Pkcs11Store, Pkcs12Store

        if self.store == "pkcs12":
            return Pkcs12Store(self.folder / "p12")
        if "softhsm" in self.pkcs11_module and "SOFTHSM2_CONF" not in os.environ:
            tokens = self.folder / "tokens"
            tokens.mkdir(parents=True, exist_ok=True, mode=0o700)
            conf = self.folder / "softhsm2.conf"
            conf.write_text(
                f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
            )
            os.environ["SOFTHSM2_CONF"] = str(conf)
        return Pkcs11Store(self.pkcs11_module)

    def passphrase(self) -> bytes:
        return self.ca_passphrase.encode() if self.ca_passphrase else pki.demo_passphrase(self.ca_folder)

    def authority(self) -> pki.Authority:
        crl_url = f"{self.public_url.rstrip('/')}/pki/root.crl" if self.public_url else ""
        return _authority(self.ca_folder, self.passphrase(), crl_url)

    def seal_pin_value(self) -> str:
        if self.seal_pin:
            return self.seal_pin
        path = self.folder / "seal.pin"
        if not path.exists():
            import secrets

            pki.private_write(path, secrets.token_hex(8).encode())
        return path.read_text().strip()

    def trust(self) -> TrustData:
        """The configured roots (the deployment's CA first) and the CA's current CRL."""
        from agenda.signing.pdf_sign import TrustData

        ca = self.authority()
        roots = [ca.certificate_der()]
        for path in self.trust_roots:
            for certificate in x509.load_pem_x509_certificates(path.read_bytes()):
                roots.append(certificate.public_bytes(serialization.Encoding.DER))
        return TrustData(tuple(roots), (pki.current_crl(ca),))

    def timestamper(self) -> TimeStamper | None:
        from agenda.signing.pdf_sign import timestamper

        if self.tsa_url == "demo":
            return _demo_stamper(self.ca_folder, self.passphrase(), self)
        return timestamper(self.tsa_url)


@cache
def _authority(folder: Path, passphrase: bytes, crl_url: str) -> pki.Authority:
    return pki.load_or_create(folder, passphrase, crl_url=crl_url)


_STAMPERS: dict[tuple[Path, bytes], TimeStamper | None] = {}


def _demo_stamper(folder: Path, passphrase: bytes, config: SigningConfig) -> TimeStamper | None:
    """The demo TSA's client, made once per process: decrypting its key costs more than a
    timestamp (bench/signing.py)."""
    from agenda.signing.pdf_sign import timestamper

    key = (folder, passphrase)
    if key not in _STAMPERS:
        _STAMPERS[key] = timestamper("demo", demo=demo_tsa(config))
    return _STAMPERS[key]


def demo_tsa(config: SigningConfig) -> tuple[bytes, bytes]:
    """The demo TSA's certificate and key (PKCS#8 DER), issued once by the demo CA; its key is
    kept encrypted under the CA's passphrase."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    folder = config.ca_folder
    cert_path, key_path = folder / "tsa.pem", folder / "tsa-key.pem"
    passphrase = config.passphrase()
    if not cert_path.exists() or not key_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        certificate = pki.issue(
            config.authority(),
            spki,
            common_name="eCabinet Demo TSA",
            organisation="eCabinet (demo)",
            purpose="timestamping",
        )
        pki.private_write(
            key_path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(passphrase),
            ),
        )
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=passphrase)
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return (
        certificate.public_bytes(serialization.Encoding.DER),
        loaded.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
