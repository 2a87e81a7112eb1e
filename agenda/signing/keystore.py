"""Where signing keys live: a PKCS#11 token (SoftHSM2 in the tests and the demo, an HSM or the
signer's USB token in production), or, for small deployments, a PKCS#12 file per signer.

A private key never leaves its token and is never written to disk in the clear: on PKCS#11 the
key is generated inside the token (or imported into it once, from a PKCS#12 the CA issued) and
marked sensitive and not extractable; on PKCS#12 the file is encrypted under the signer's PIN.
Either way the PIN is checked by the store itself (the token's login, the file's decryption):
a wrong one raises `BadPin`.

Each signer has a token of their own, labelled `<prefix><username>`, so the PIN is theirs. With
SoftHSM2 (`softhsm2-util` on the path) a missing token is initialised on enrolment; a hardware
token must be initialised beforehand. The SO PIN of a SoftHSM token made here is random and not
kept: a forgotten user PIN means a new token and a new certificate.

python-pkcs11 (which pyHanko drives) has no call to initialise a token, so that step runs
`softhsm2-util` and then re-initialises the library, under one process-wide lock that every
token operation takes.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.signers import Signer, SimpleSigner

KEY_BITS = 2048
LABEL_MAX = 32  # a PKCS#11 token label is 32 bytes


class BadPin(Exception):
    """The token (or the PKCS#12 file) refused the PIN."""


class KeyMissing(Exception):
    """No such token or key: the signer is not enrolled on this store."""


class KeyStore(Protocol):
    kind: str

    def create_key(self, token: str, pin: str) -> tuple[str, bytes]:
        """A new key pair for `token`; returns (key label, SubjectPublicKeyInfo DER)."""
        ...

    def import_pkcs12(self, token: str, pin: str, data: bytes, password: bytes | None) -> tuple[str, bytes]:
        """Take the key and certificate of a PKCS#12 issued elsewhere: (key label, certificate DER)."""
        ...

    def attach_certificate(self, token: str, pin: str, key_label: str, certificate_der: bytes) -> None: ...

    def check_pin(self, token: str, pin: str) -> None: ...

    def signer(
        self, token: str, pin: str, key_label: str, certificate_der: bytes, chain_der: list[bytes]
    ) -> Any:
        """A context manager yielding a pyHanko `Signer`."""
        ...


def _asn1(der: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(der)


def token_label(prefix: str, username: str) -> str:
    return (prefix + username).encode()[:LABEL_MAX].decode("utf-8", "ignore")


# --- PKCS#11 ------------------------------------------------------------------------------------

_TOKEN_LOCK = threading.RLock()


@cache
def _library(path: str) -> Any:
    import pkcs11  # imported here: a PKCS#12-only deployment need not load it

    return pkcs11.lib(path)


@dataclass
class Pkcs11Store:
    module: str  # the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so
    kind: str = "pkcs11"

    def _token(self, label: str) -> Any:
        """The token labelled `label`. A token another process made (`run.py signer enroll` while
        the server runs) is not in this process's slot list until the library is re-initialised:
        that is done once before giving up. Called under _TOKEN_LOCK."""
        import pkcs11

        library = _library(self.module)
        for attempt in (1, 2):
            found = list(library.get_tokens(token_label=label))
            if found:
                return found[0]
            if attempt == 1:
                library.reinitialize()
        raise KeyMissing(label) from pkcs11.NoSuchToken(label)

    @contextmanager
    def _session(self, label: str, pin: str, *, rw: bool = False) -> Iterator[Any]:
        import pkcs11

        with _TOKEN_LOCK:
            token = self._token(label)
            try:
                session = token.open(rw=rw, user_pin=pin)
            except (pkcs11.PinIncorrect, pkcs11.PinLenRange, pkcs11.PinInvalid, pkcs11.PinLocked) as exc:
                raise BadPin(label) from exc
            try:
                yield session
            finally:
                session.close()

    def _ensure_token(self, label: str, pin: str) -> None:
        with _TOKEN_LOCK:
            try:
                self._token(label)
                return
            except KeyMissing:
                tool = shutil.which("softhsm2-util")
                if tool is None or "softhsm" not in self.module:
                    raise
            subprocess.run(
                [
                    tool,
                    "--init-token",
                    "--free",
                    "--label",
                    label,
                    "--pin",
                    pin,
                    "--so-pin",
                    secrets.token_hex(8),
                ],
                check=True,
                capture_output=True,
                timeout=30,
            )
            _library(self.module).reinitialize()

    def create_key(self, token: str, pin: str) -> tuple[str, bytes]:
        from pkcs11 import Attribute, KeyType
        from pkcs11.util.rsa import encode_rsa_public_key

        self._ensure_token(token, pin)
        key_label = f"sign-{secrets.token_hex(4)}"
        template = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}
        with self._session(token, pin, rw=True) as session:
            public, _private = session.generate_keypair(
                KeyType.RSA,
                KEY_BITS,
                label=key_label,
                id=key_label.encode(),
                store=True,
                private_template=template,
            )
            der = encode_rsa_public_key(public)
        return key_label, _spki(der)

    def import_pkcs12(self, token: str, pin: str, data: bytes, password: bytes | None) -> tuple[str, bytes]:
        from pkcs11 import Attribute, ObjectClass
        from pkcs11.util.rsa import decode_rsa_private_key

        key, certificate = _open_pkcs12(data, password)
        self._ensure_token(token, pin)
        key_label = f"sign-{secrets.token_hex(4)}"
        pkcs1 = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        attributes = dict(decode_rsa_private_key(pkcs1))
        attributes.update(
            {
                Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                Attribute.LABEL: key_label,
                Attribute.ID: key_label.encode(),
                Attribute.TOKEN: True,
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.SIGN: True,
            }
        )
        with self._session(token, pin, rw=True) as session:
            session.create_object(attributes)
        return key_label, certificate.public_bytes(serialization.Encoding.DER)

    def attach_certificate(self, token: str, pin: str, key_label: str, certificate_der: bytes) -> None:
        """The certificate is kept in the database; the token holds only the key."""

    def check_pin(self, token: str, pin: str) -> None:
        with self._session(token, pin):
            pass

    @contextmanager
    def signer(
        self, token: str, pin: str, key_label: str, certificate_der: bytes, chain_der: list[bytes]
    ) -> Iterator[Signer]:
        from pyhanko.sign.pkcs11 import PKCS11Signer

        with self._session(token, pin) as session:
            yield PKCS11Signer(
                session,
                key_label=key_label,
                signing_cert=_asn1(certificate_der),
                ca_chain=[_asn1(der) for der in chain_der],
            )


def _spki(pkcs1_public: bytes) -> bytes:
    from asn1crypto import keys

    info = keys.PublicKeyInfo(
        {"algorithm": {"algorithm": "rsa"}, "public_key": keys.RSAPublicKey.load(pkcs1_public)}
    )
    return bytes(info.dump())


def _open_pkcs12(data: bytes, password: bytes | None) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    try:
        key, certificate, _others = pkcs12.load_key_and_certificates(data, password)
    except ValueError as exc:
        raise BadPin("pkcs12") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or certificate is None:
        raise ValueError("the PKCS#12 must hold an RSA key and its certificate")
    return key, certificate


# --- PKCS#12 files ------------------------------------------------------------------------------


@dataclass
class Pkcs12Store:
    folder: Path  # one <token>.p12 per signer, encrypted under the signer's PIN
    kind: str = "pkcs12"

    def _path(self, token: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in token)
        return self.folder / f"{safe}.p12"

    def _load(self, token: str, pin: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate | None]:
        path = self._path(token)
        if not path.exists():
            raise KeyMissing(token)
        try:
            key, certificate, _ = pkcs12.load_key_and_certificates(path.read_bytes(), pin.encode())
        except ValueError as exc:
            raise BadPin(token) from exc
        assert isinstance(key, rsa.RSAPrivateKey)
        return key, certificate

    def _save(
        self, token: str, pin: str, key: rsa.RSAPrivateKey, certificate: x509.Certificate | None
    ) -> None:
        from agenda.signing.pki import private_write

        data = pkcs12.serialize_key_and_certificates(
            token.encode(), key, certificate, None, serialization.BestAvailableEncryption(pin.encode())
        )
        private_write(self._path(token), data)

    def create_key(self, token: str, pin: str) -> tuple[str, bytes]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        self._save(token, pin, key, None)
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return "p12", spki

    def import_pkcs12(self, token: str, pin: str, data: bytes, password: bytes | None) -> tuple[str, bytes]:
        key, certificate = _open_pkcs12(data, password)
        self._save(token, pin, key, certificate)
        return "p12", certificate.public_bytes(serialization.Encoding.DER)

    def attach_certificate(self, token: str, pin: str, key_label: str, certificate_der: bytes) -> None:
        key, _ = self._load(token, pin)
        self._save(token, pin, key, x509.load_der_x509_certificate(certificate_der))

    def check_pin(self, token: str, pin: str) -> None:
        self._load(token, pin)

    @contextmanager
    def signer(
        self, token: str, pin: str, key_label: str, certificate_der: bytes, chain_der: list[bytes]
    ) -> Iterator[Signer]:
        from asn1crypto import keys
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        key, _ = self._load(token, pin)
        info = keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        yield SimpleSigner(
            signing_cert=_asn1(certificate_der),
            signing_key=info,
            cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [_asn1(der) for der in chain_der]
            ),
        )
