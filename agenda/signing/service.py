"""Enrol signers and sign with their keys: the blocking work (token, CA, pyHanko) that the web
layer runs on a thread and the command line runs directly. No database here: the callers record
what comes back (agenda/signing/records.py) in their own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from agenda.signing import pki
from agenda.signing.appearance import Appearance
from agenda.signing.config import SigningConfig
from agenda.signing.keystore import token_label
from agenda.signing.pdf_sign import Placement, Signed, sign_pdf
from agenda.signing.records import SigningIdentity

SEAL_TOKEN = "seal"


def _identity(
    config: SigningConfig,
    *,
    user_id: int | None,
    kind: str,
    token: str,
    key_label: str,
    certificate_der: bytes,
) -> SigningIdentity:
    certificate = x509.load_der_x509_certificate(certificate_der)

    def attribute(oid: x509.ObjectIdentifier) -> str:
        found = certificate.subject.get_attributes_for_oid(oid)
        return str(found[0].value) if found else ""

    return SigningIdentity(
        user_id=user_id,
        kind=kind,
        store=config.store,
        token=token,
        key_label=key_label,
        certificate=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        certificate_sha256=pki.fingerprint(certificate_der),
        common_name=attribute(x509.NameOID.COMMON_NAME)[:200],
        title=attribute(x509.NameOID.TITLE)[:200],
        organisation=attribute(x509.NameOID.ORGANIZATION_NAME)[:200],
    )


def enrol(
    config: SigningConfig,
    *,
    user_id: int | None,
    username: str,
    pin: str,
    common_name: str,
    title: str = "",
    organisation: str = "",
    kind: str = "person",
    pkcs12: bytes | None = None,
    pkcs12_password: bytes | None = None,
) -> SigningIdentity:
    """A key in the signer's token (new, or imported from `pkcs12`) and its certificate (from the
    deployment's CA, or the one in `pkcs12`). Raises BadPin when the token refuses `pin`."""
    store = config.key_store()
    token = token_label(config.token_prefix, username)
    if pkcs12 is not None:
        key_label, certificate_der = store.import_pkcs12(token, pin, pkcs12, pkcs12_password)
    else:
        key_label, spki = store.create_key(token, pin)
        certificate = pki.issue(
            config.authority(),
            spki,
            common_name=common_name,
            organisation=organisation or config.organisation,
            title=title,
        )
        certificate_der = certificate.public_bytes(serialization.Encoding.DER)
        store.attach_certificate(token, pin, key_label, certificate_der)
    return _identity(
        config, user_id=user_id, kind=kind, token=token, key_label=key_label, certificate_der=certificate_der
    )


def enrol_seal(config: SigningConfig) -> SigningIdentity:
    """The organisation's seal certificate (chữ ký số của cơ quan), for the vote records."""
    return enrol(
        config,
        user_id=None,
        username=SEAL_TOKEN,
        pin=config.seal_pin_value(),
        common_name=config.seal_organisation,
        organisation=config.seal_organisation,
        kind="seal",
    )


def check_pin(config: SigningConfig, identity: SigningIdentity, pin: str) -> None:
    config.key_store().check_pin(identity.token, pin)


@dataclass(frozen=True)
class SignJob:
    data: bytes
    field_name: str
    placement: Placement
    appearance: Appearance | None
    reason: str = ""


def sign(config: SigningConfig, identity: SigningIdentity, pin: str, job: SignJob) -> Signed:
    """`job.data` signed once more with `identity`'s key. Raises BadPin or KeyMissing."""
    certificate_der = x509.load_pem_x509_certificate(identity.certificate.encode()).public_bytes(
        serialization.Encoding.DER
    )
    trust = config.trust()
    chain = [der for der in trust.roots[:1] if der != certificate_der]
    with config.key_store().signer(identity.token, pin, identity.key_label, certificate_der, chain) as signer:
        return sign_pdf(
            job.data,
            signer,
            field_name=job.field_name,
            placement=job.placement,
            appearance=job.appearance,
            stamper=config.timestamper(),
            trust=trust,
            reason=job.reason,
        )
