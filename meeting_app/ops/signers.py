"""`run.py signer enroll`: a key in the configured token and a certificate for one user (or the
organisation's seal), and the demo's signers on a fresh install. See docs/signatures.md."""

from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path

from sqlmodel import Session

from agenda.db import Database
from agenda.errors import NotFound
from agenda.signing import enrolment, records, service
from agenda.signing.config import DEMO_PIN
from agenda.signing.keystore import BadPin
from meeting_app.settings import Settings

MIN_PIN = 4


def _fail(message: str) -> int:
    print(json.dumps({"error": message}, ensure_ascii=False), file=sys.stderr)
    return 2


def enroll(
    db: Database,
    settings: Settings,
    *,
    username: str | None,
    pin: str,
    seal: bool = False,
    pkcs12: Path | None = None,
    pkcs12_password: str | None = None,
) -> int:
    """Enrol and print `{"certificate_sha256": ...}`; exit 2 with a message on stderr otherwise."""
    config = settings.signing()
    if seal:
        identity = service.enrol_seal(config)
    else:
        if not username:
            return _fail("--username is required (or --seal)")
        if len(pin) < MIN_PIN:
            return _fail(f"the PIN must have at least {MIN_PIN} characters")
        try:
            user_id, name, title = db.read_sync(lambda s: enrolment.signer_subject(s, username))
        except NotFound:
            return _fail(f"no account named {username!r}")
        data = pkcs12.read_bytes() if pkcs12 is not None else None
        password = pkcs12_password.encode() if pkcs12_password else None
        try:
            identity = service.enrol(
                config,
                user_id=user_id,
                username=username,
                pin=pin,
                common_name=name,
                title=title,
                pkcs12=data,
                pkcs12_password=password,
            )
        except BadPin:
            return _fail("the token refused the PIN (or the PKCS#12 password is wrong)")
        except (OSError, ValueError) as exc:
            return _fail(str(exc))
    saved = db.write_sync(lambda s: records.add_identity(s, identity, actor_id=None).certificate_sha256)
    print(json.dumps({"certificate_sha256": saved}))
    return 0


def enroll_demo(db: Database, settings: Settings) -> None:
    """The demo CA, the seal and the demo signers (PIN DEMO_PIN), on a fresh install only."""
    if db.read_sync(lambda s: records.identity_of(s, None, kind="seal")) is not None:
        return
    config = settings.signing()
    identities = [service.enrol_seal(config)]
    for username in enrolment.DEMO_SIGNERS:
        try:
            user_id, name, title = db.read_sync(partial(enrolment.signer_subject, username=username))
        except NotFound:
            continue
        identities.append(
            service.enrol(
                config, user_id=user_id, username=username, pin=DEMO_PIN, common_name=name, title=title
            )
        )

    def save(s: Session) -> None:
        for identity in identities:
            records.add_identity(s, identity, actor_id=None)

    db.write_sync(save)


def print_trust(settings: Settings, url: str) -> None:
    root = settings.signing().ca_folder / "root.pem"
    print(f"  Signing PIN of the demo signers (chutoa, thuky): {DEMO_PIN}")
    print(f"  To trust the demo root CA, import {root} (or {url}/pki/root.pem) into your PDF reader.\n")
    sys.stdout.flush()
