"""Signed PDFs made with the real signing core (agenda/signing/), for the verification tests.

`make_signed_pdfs(data_dir, other_dir)` enrols two signers with certificates from the demo CA of
`data_dir` (the CA an app on that DATA_DIR trusts), has both sign one file, and derives the
files the tests check: a byte changed, a page added after signing, a file signed by a person of
another demo CA (that of `other_dir`), an unsigned one. The keys are in the PKCS#12 store (one
file per signer, encrypted under the PIN): verification does not care where a key lived, and
each SoftHSM2 token costs a `softhsm2-util` run.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from pypdf import PdfWriter

from agenda.signing import service
from agenda.signing.config import SigningConfig
from agenda.signing.pdf_sign import Placement
from tests.support.factories import make_pdf

PIN = "246810"


@dataclass(frozen=True)
class SignedPdfs:
    data_dir: Path  # an app with this DATA_DIR trusts the signers' CA
    two: bytes  # signed by `signers[0]` (with a TSA timestamp), then `signers[1]` (its clock only)
    tampered: bytes  # `two` with one byte of the signed content changed
    page_added: bytes  # `two` with a page added incrementally after the signatures
    foreign: bytes  # signed by a person of another demo CA
    plain: bytes  # no signature
    signers: tuple[str, str]
    fingerprints: tuple[str, str]  # the signers' certificates' SHA-256


def signing_config(data_dir: Path) -> SigningConfig:
    """The CA an app on `data_dir` has (DATA_DIR/signing/ca), keys in PKCS#12 files."""
    return SigningConfig(
        folder=data_dir / "signing", store="pkcs12", token_prefix=f"v{uuid.uuid4().hex[:8]}-"
    )


def add_page(data: bytes) -> bytes:
    """`data` with a blank page added in an incremental update (the signed bytes unchanged)."""
    writer = PdfWriter(io.BytesIO(data), incremental=True)
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def change_one_byte(data: bytes) -> bytes:
    """`data` with one letter of the first revision's document information changed."""
    at = data.index(b"/Producer (") + len(b"/Producer (")
    changed = bytearray(data)
    changed[at] = ord("Q") if changed[at] != ord("Q") else ord("R")
    return bytes(changed)


def make_signed_pdfs(data_dir: Path, other_dir: Path) -> SignedPdfs:
    config = signing_config(data_dir)
    people = (("anh", "Nguyễn Văn Anh", "Bộ trưởng"), ("binh", "Trần Thị Bình", "Thứ trưởng"))
    identities = [
        service.enrol(config, user_id=None, username=username, pin=PIN, common_name=name, title=title)
        for username, name, title in people
    ]
    plain = make_pdf(1, heading="Biên bản phiên họp")
    first = service.sign(
        config, identities[0], PIN, service.SignJob(plain, "Signature1", Placement(visible=False), None)
    )
    without_tsa = replace(config, tsa_url="")
    second = service.sign(
        without_tsa,
        identities[1],
        PIN,
        service.SignJob(first.data, "Signature2", Placement(visible=False), None),
    )
    other = replace(signing_config(other_dir), tsa_url="")
    stranger = service.enrol(other, user_id=None, username="la", pin=PIN, common_name="Người Lạ")
    foreign = service.sign(
        other, stranger, PIN, service.SignJob(plain, "Signature1", Placement(visible=False), None)
    )
    return SignedPdfs(
        data_dir=data_dir,
        two=second.data,
        tampered=change_one_byte(second.data),
        page_added=add_page(second.data),
        foreign=foreign.data,
        plain=plain,
        signers=(people[0][1], people[1][1]),
        fingerprints=(identities[0].certificate_sha256, identities[1].certificate_sha256),
    )
