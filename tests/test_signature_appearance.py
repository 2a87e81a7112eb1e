"""The visible signature of Decree 30/2020 (agenda/signing/appearance.py): a PDF signed with it
through pyHanko validates, its widget sits on the last page at the field's box, its picture and
its text are there, and a second signature on the same file keeps the first one intact."""

from __future__ import annotations

import io
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID
from fpdf import FPDF

from agenda.pdf.fonts import subset_font_files
from agenda.signing.appearance import BOX_HEIGHT, BOX_WIDTH, Appearance, iso_time, stamp_style, text_params

with warnings.catch_warnings():
    # pyHanko 0.38 imports cryptography's DSA key class, deprecated since cryptography 47.
    warnings.filterwarnings("ignore", "DSA is deprecated", CryptographyDeprecationWarning)
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.registry import SimpleCertificateStore

SIGNED_AT = datetime(2026, 12, 7, 9, 42, 55, 123456, tzinfo=UTC)  # 16:42:55 in Hà Nội
PRIME_MINISTER = Appearance("Phạm Minh Chính", "Thủ tướng Chính phủ", "CHÍNH PHỦ", SIGNED_AT)
OFFICE_SEAL = Appearance("Văn phòng Chính phủ", "", "VĂN PHÒNG CHÍNH PHỦ", SIGNED_AT, signature=False)
# BOX_WIDTH and BOX_HEIGHT are whole points; pyHanko's SigFieldSpec.box is annotated with ints.
BOX = (300, 90, 300 + int(BOX_WIDTH), 90 + int(BOX_HEIGHT))


@dataclass(frozen=True)
class Keys:
    signer: signers.SimpleSigner
    context: ValidationContext


@pytest.fixture(scope="module")
def keys() -> Keys:
    """A self-signed RSA certificate for signing, and a validation context that trusts it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Văn phòng Chính phủ (thử nghiệm)")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, True, False, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    certificate = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    private = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=asn1_keys.PrivateKeyInfo.load(private),
        cert_registry=SimpleCertificateStore(),  # type: ignore[no-untyped-call]
    )
    return Keys(signer, ValidationContext(trust_roots=[certificate], allow_fetching=False))


@pytest.fixture(scope="module")
def document() -> bytes:
    """A two-page decision drawn by fpdf2, with room for the signature at the end."""
    regular, _bold = subset_font_files()
    pdf = FPDF()
    pdf.add_font("dejavu", "", str(regular))
    pdf.set_font("dejavu", "", 13)
    for page in (1, 2):
        pdf.add_page()
        pdf.cell(text=f"QUYẾT ĐỊNH về việc ban hành Quy chế làm việc – trang {page}")
    return bytes(pdf.output())


def sign(
    data: bytes, appearance: Appearance, field: str, keys: Keys, box: tuple[int, int, int, int] = BOX
) -> bytes:
    """Exactly as the signing code calls it."""
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES)
    pdf_signer = signers.PdfSigner(
        meta,
        signer=keys.signer,
        new_field_spec=fields.SigFieldSpec(field, on_page=-1, box=box),
        stamp_style=stamp_style(appearance),
    )
    out = pdf_signer.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(data)), appearance_text_params=text_params(appearance)
    )
    return bytes(out.getvalue())


def check_signatures(data: bytes, keys: Keys) -> list[Any]:
    reader = PdfFileReader(io.BytesIO(data))
    statuses = [validate_pdf_signature(sig, keys.context) for sig in reader.embedded_signatures]
    for status in statuses:
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()  # type: ignore[no-untyped-call]
    return statuses


def widget(data: bytes, field: str) -> tuple[Any, int, int]:
    """The field's widget annotation, the index of the page it is on, and the page count."""
    reader = PdfFileReader(io.BytesIO(data))
    pages = reader.root["/Pages"]["/Kids"]
    for index, page in enumerate(pages):
        for annotation in page.get_object().get("/Annots", []):
            annotation = annotation.get_object()
            if annotation.get("/T") == field:
                return annotation, index, len(pages)
    raise AssertionError(f"no widget for {field}")


def resources_of(form: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """The form XObjects of an appearance (itself included), its images and its fonts."""
    forms, images, fonts = [form], [], []  # type: list[Any], list[Any], list[Any]
    for current in forms:
        resources = current.get("/Resources", {})
        fonts += [f.get_object() for f in resources.get("/Font", {}).values()]
        for x in resources.get("/XObject", {}).values():
            x = x.get_object()
            (images if x["/Subtype"] == "/Image" else forms).append(x)
    return forms, images, fonts


def test_signed_document_validates_with_the_picture_and_the_text(keys: Keys, document: bytes) -> None:
    signed = sign(document, PRIME_MINISTER, "Sig1", keys)

    (status,) = check_signatures(signed, keys)
    assert status.coverage.name == "ENTIRE_FILE"
    annotation, page, pages = widget(signed, "Sig1")
    assert (page, pages) == (1, 2)  # the last page
    assert [float(v) for v in annotation["/Rect"]] == pytest.approx(BOX)

    forms, images, fonts = resources_of(annotation["/AP"]["/N"])
    (image,) = images
    assert (image["/Width"], image["/Height"]) == (875, 450)  # 210 x 108 pt at 300 dpi
    assert image["/SMask"]["/ColorSpace"] == "/DeviceGray"  # transparent background
    (font,) = fonts
    descendant = font["/DescendantFonts"][0]
    assert "/FontFile2" in descendant["/FontDescriptor"]  # embedded, so the diacritics show anywhere
    widths = [w for entry in descendant["/W"] if isinstance(entry, list) for w in entry]
    # In thousandths of an em, as PDF reads them (DejaVu's own 2048 units spread letters twice too wide).
    assert widths and max(widths) < 1100
    content = b"".join(form.data for form in forms)
    assert b"/Span" in content and b"TJ" in content


def test_text_params_carry_the_time_in_iso_8601_for_vietnam() -> None:
    params = text_params(PRIME_MINISTER)
    assert params["signed_at"] == "2026-12-07T16:42:55+07:00"
    assert params["signer"] == "Phạm Minh Chính" and params["title"] == "Thủ tướng Chính phủ"
    assert iso_time(datetime(2026, 12, 31, 20, 0, tzinfo=UTC)) == "2027-01-01T03:00:00+07:00"
    with pytest.raises(ValueError):
        iso_time(datetime(2026, 12, 7, 16, 42))
    # The stamp's template uses these, not pyHanko's %(ts)s (strftime in the server's zone).
    template = stamp_style(PRIME_MINISTER).stamp_text  # type: ignore[attr-defined]
    assert "%(signed_at)s" in template and "%(ts)s" not in template
    assert template % params == (
        "Ký bởi: Phạm Minh Chính\nThủ tướng Chính phủ\nThời gian ký: 2026-12-07T16:42:55+07:00"
    )
    # Decomposed input (NFD) comes out composed, and an empty title leaves no blank line.
    seal = Appearance(
        unicodedata.normalize("NFD", "Văn phòng Chính phủ"), "", "VĂN PHÒNG CHÍNH PHỦ", SIGNED_AT
    )
    assert stamp_style(seal).stamp_text % text_params(seal) == (  # type: ignore[attr-defined]
        "Ký bởi: Văn phòng Chính phủ\nThời gian ký: 2026-12-07T16:42:55+07:00"
    )


def test_seal_only_signature_and_a_second_signature_on_the_same_file(keys: Keys, document: bytes) -> None:
    first = sign(document, PRIME_MINISTER, "Sig1", keys)
    second = sign(first, OFFICE_SEAL, "Sig2", keys, box=(60, 90, 60 + int(BOX_WIDTH), 90 + int(BOX_HEIGHT)))

    assert second.startswith(first)  # incremental: the first signed revision is untouched
    statuses = check_signatures(second, keys)
    assert [s.coverage.name for s in statuses] == ["ENTIRE_REVISION", "ENTIRE_FILE"]
    assert statuses[0].modification_level.name in ("FORM_FILLING", "LTA_UPDATES")
    annotation, page, _pages = widget(second, "Sig2")
    assert page == 1 and "/N" in annotation["/AP"]
