"""A signature timestamped by a configured RFC 3161 time-stamping authority over HTTP (issue 16;
docs/signatures.md "Time and long-term validation"): `TSA_URL` names a server; here a TSA of the
test's own, answering on loopback with a certificate from the deployment's CA."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from fpdf import FPDF
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from agenda.clock import utcnow
from agenda.signing import service
from agenda.signing.appearance import Appearance
from agenda.signing.config import SigningConfig, demo_tsa
from agenda.signing.pdf_sign import Placement
from agenda.signing.verify import verify_pdf

PIN = "246810"


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[tuple[str, list[int]]]:
    """An RFC 3161 server on loopback (pyHanko's DummyTimeStamper behind HTTP) and its request count."""
    certificate, key = demo_tsa(SigningConfig(folder=tmp_path / "signing"))
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(certificate), tsa_key=asn1_keys.PrivateKeyInfo.load(key)
    )
    served: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            assert self.headers["Content-Type"] == "application/timestamp-query"
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body))
            data = answer.dump()
            served.append(len(data))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", served
    finally:
        server.shutdown()
        server.server_close()


def test_a_configured_tsa_timestamps_the_signature(tmp_path: Path, tsa: tuple[str, list[int]]) -> None:
    url, served = tsa
    config = SigningConfig(folder=tmp_path / "signing", store="pkcs12", tsa_url=url)
    identity = service.enrol(config, user_id=1, username="tsa-chair", pin=PIN, common_name="Chủ tọa")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Nghi quyet")
    appearance = Appearance("Chủ tọa", "Thủ tướng Chính phủ", "CHÍNH PHỦ", utcnow())
    job = service.SignJob(bytes(pdf.output()), "Sig1", Placement(page=-1, x=300, y=80), appearance)
    signed = service.sign(config, identity, PIN, job)
    assert signed.time_source == "tsa" and signed.level == "B-LT"
    assert served, "the TSA was not asked"
    trust = config.trust()
    report = verify_pdf(signed.data, trust.roots, trust.crls)
    assert report["valid"] is True
    [signature] = report["signatures"]
    assert signature["time_source"] == "tsa" and signature["timestamp_trusted"] is True


def test_without_a_tsa_the_time_is_the_signers_claim(tmp_path: Path) -> None:
    config = SigningConfig(folder=tmp_path / "signing", store="pkcs12", tsa_url="")
    identity = service.enrol(config, user_id=1, username="no-tsa", pin=PIN, common_name="Thư ký")
    pdf = FPDF()
    pdf.add_page()
    signed = service.sign(
        config, identity, PIN, service.SignJob(bytes(pdf.output()), "Sig1", Placement(visible=False), None)
    )
    assert signed.time_source == "signer_clock" and signed.level == "B-B"
    trust = config.trust()
    [signature] = verify_pdf(signed.data, trust.roots, trust.crls)["signatures"]
    assert signature["time_source"] == "signer_clock" and signature["timestamp_trusted"] is None
