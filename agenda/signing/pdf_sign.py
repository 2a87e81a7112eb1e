"""Add one PAdES signature to a PDF, incrementally: what was signed before stays covered.

`sign_pdf` takes a pyHanko `Signer` (from agenda/signing/keystore.py), draws the visible signature
of Decree 30/2020 (agenda/signing/appearance.py) in a new field, asks the configured time-stamping
authority for an RFC 3161 timestamp (PAdES-B-T), and embeds the chain's revocation data when it
can be had (PAdES-B-LT). Without a TSA the signing time is only the signer's claim, read from the
server's clock (PAdES-B-B); the result says which (`time_source`).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import partial

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator import ValidationContext

from agenda.signing.appearance import BOX_HEIGHT, BOX_WIDTH, Appearance, stamp_style, text_params

log = logging.getLogger(__name__)
TSA_TIMEOUT = 10  # seconds


@dataclass(frozen=True)
class Placement:
    """Where the visible signature goes: a page (0-based; -1 the last) and its lower-left corner
    in PDF points. `visible=False` signs with no widget on the page."""

    page: int = -1
    x: float = 0.0
    y: float = 0.0
    visible: bool = True


@dataclass(frozen=True)
class TrustData:
    """The roots a signature is validated against and the CRLs at hand (DER)."""

    roots: tuple[bytes, ...]
    crls: tuple[bytes, ...] = ()

    def context(self, *, for_embedding: bool = False) -> ValidationContext:
        return ValidationContext(
            trust_roots=[asn1_x509.Certificate.load(der) for der in self.roots],
            crls=[asn1_crl.CertificateList.load(der) for der in self.crls],
            allow_fetching=False,
            revocation_mode="hard-fail" if for_embedding else "soft-fail",
        )


@dataclass(frozen=True)
class Signed:
    data: bytes
    field_name: str
    level: str  # "B-B", "B-T" or "B-LT"
    time_source: str  # "tsa" or "signer_clock"


def timestamper(url: str, *, demo: tuple[bytes, bytes] | None = None) -> TimeStamper | None:
    """The TSA client: an RFC 3161 server over HTTP at `url`; "demo" for the demo CA's own TSA
    certificate `(certificate DER, PKCS#8 key DER)` stamping in process with the server's clock;
    "" for none."""
    if not url:
        return None
    if url == "demo":
        if demo is None:
            return None
        certificate = asn1_x509.Certificate.load(demo[0])
        return DummyTimeStamper(tsa_cert=certificate, tsa_key=asn1_keys.PrivateKeyInfo.load(demo[1]))
    return HTTPTimeStamper(url, timeout=TSA_TIMEOUT)


def _sign(
    data: bytes,
    signer: signers.Signer,
    *,
    field_name: str,
    placement: Placement,
    appearance: Appearance | None,
    stamper: TimeStamper | None,
    trust: TrustData | None,
    reason: str,
) -> bytes:
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        embed_validation_info=trust is not None,
        validation_context=trust.context(for_embedding=True) if trust is not None else None,
        use_pades_lta=False,
    )
    spec = None
    if placement.visible and appearance is not None:
        x, y = round(placement.x), round(placement.y)
        box = (x, y, x + round(BOX_WIDTH), y + round(BOX_HEIGHT))
        spec = fields.SigFieldSpec(field_name, on_page=placement.page, box=box)
    else:
        spec = fields.SigFieldSpec(field_name)
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=stamper,
        new_field_spec=spec,
        stamp_style=stamp_style(appearance) if appearance is not None else None,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    out = pdf_signer.sign_pdf(writer, appearance_text_params=text_params(appearance) if appearance else None)
    return bytes(out.getvalue())


def sign_pdf(
    data: bytes,
    signer: signers.Signer,
    *,
    field_name: str,
    placement: Placement,
    appearance: Appearance | None,
    stamper: TimeStamper | None = None,
    trust: TrustData | None = None,
    reason: str = "",
) -> Signed:
    """`data` with one more signature. Long-term validation data is embedded when the chain
    validates against `trust` with its revocation data; otherwise the signature is made without
    it (and says so in `level`)."""
    sign = partial(
        _sign,
        data,
        signer,
        field_name=field_name,
        placement=placement,
        appearance=appearance,
        stamper=stamper,
        reason=reason,
    )
    level = "B-T" if stamper is not None else "B-B"
    if trust is not None:
        try:
            return Signed(
                sign(trust=trust), field_name, "B-LT" if stamper is not None else level, _source(stamper)
            )
        except SigningError as exc:  # the chain or its revocation data could not be validated
            log.warning("signature without long-term validation data: %s", exc)
    return Signed(sign(trust=None), field_name, level, _source(stamper))


def _source(stamper: TimeStamper | None) -> str:
    return "tsa" if stamper is not None else "signer_clock"
