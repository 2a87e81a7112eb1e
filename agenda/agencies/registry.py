"""Agencies: one row per ministry, ministerial-level agency or Government agency, with a code and
a name. See docs/follow-through.md.

Programme items and tasks keep the lead agency's name in their `lead_agency` (the contract's
field) and link to the row by `lead_agency_id`. A name not yet in the registry adds it
(`ensure_agency`), with a code made from its initials, so an import never fails on a new agency.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from agenda.clock import utcnow
from agenda.errors import Conflict, NotFound, RuleBroken
from agenda.log import events
from agenda.log import follow_up_kinds as k
from agenda.text import N_

KINDS = ("ministry", "ministerial", "government", "other")
CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_.-]{0,31}$"


class Agency(SQLModel, table=True):
    __tablename__ = "agency"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=300, unique=True, index=True)
    kind: str = Field(default="other", max_length=16)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class AgencyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    code: str = PField(min_length=1, max_length=32, pattern=CODE_PATTERN)
    name: str = PField(min_length=2, max_length=300)
    kind: str = PField(default="other", pattern=r"^(ministry|ministerial|government|other)$")


def public_agency(agency: Agency) -> dict[str, Any]:
    return {
        "id": agency.id,
        "code": agency.code,
        "name": agency.name,
        "kind": agency.kind,
        "active": agency.active,
    }


def list_agencies(*, session: Session, include_inactive: bool = True) -> list[Agency]:
    query = select(Agency).order_by(col(Agency.name))
    if not include_inactive:
        query = query.where(col(Agency.active).is_(True))
    return list(session.exec(query).all())


def get_agency(*, session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound()
    return agency


def by_name(session: Session, name: str) -> Agency | None:
    """The agency called `name`, ignoring case and runs of spaces. Compared in Python: SQLite's
    lower() folds ASCII only, and the registry is a few dozen rows."""
    name = " ".join(name.split())
    exact = session.exec(select(Agency).where(Agency.name == name)).first()
    if exact is not None:
        return exact
    key = name.casefold()
    return next((a for a in session.exec(select(Agency)).all() if a.name.casefold() == key), None)


def create_agency(*, session: Session, data: AgencyCreate, actor_id: int | None) -> Agency:
    if session.exec(select(Agency).where(Agency.code == data.code)).first() is not None:
        raise Conflict(N_("Mã cơ quan đã tồn tại."), code="code_taken")
    if by_name(session, data.name) is not None:
        raise Conflict(N_("Tên cơ quan đã có trong danh mục."), code="name_taken")
    return _add(session, code=data.code, name=data.name, kind=data.kind, actor_id=actor_id)


def ensure_agency(session: Session, name: str, *, actor_id: int | None) -> Agency:
    """The agency called `name`, added to the registry when it is new (with a code from its
    initials, made unique with a number)."""
    name = " ".join(name.split())
    if not name:
        raise RuleBroken(N_("Cần nêu cơ quan chủ trì."), code="agency_required")
    found = by_name(session, name)
    if found is not None:
        return found
    base = initials(name)
    code, n = base, 1
    while session.exec(select(Agency.id).where(Agency.code == code)).first() is not None:
        n += 1
        code = f"{base[:28]}-{n}"
    return _add(session, code=code, name=name, kind="other", actor_id=actor_id)


def agency_ids(session: Session, names: list[str], *, actor_id: int | None) -> list[int]:
    """Ids of the named agencies (added when new), without duplicates, in order."""
    ids: list[int] = []
    for name in names:
        agency_id = ensure_agency(session, name, actor_id=actor_id).id
        assert agency_id is not None
        if agency_id not in ids:
            ids.append(agency_id)
    return ids


def initials(name: str) -> str:
    """ "Bộ Tài chính" → "BTC": the first letter of each word, folded to ASCII."""
    folded = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c))
    letters = "".join(word[0] for word in re.findall(r"[A-Za-z0-9]+", ascii_only)).upper()
    return (letters or "CQ")[:24]


def _add(session: Session, *, code: str, name: str, kind: str, actor_id: int | None) -> Agency:
    agency = Agency(code=code, name=name, kind=kind)
    try:
        with session.begin_nested():  # two requests naming the same new agency at once
            session.add(agency)
            session.flush()
    except IntegrityError:
        found = by_name(session, name)
        if found is None:
            raise Conflict(N_("Mã cơ quan đã tồn tại."), code="code_taken") from None
        return found
    assert agency.id is not None
    events.append(session, k.AgencyCreated(agency_id=agency.id, code=code, name=name), actor_id=actor_id)
    return agency
