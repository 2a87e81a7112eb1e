"""All-or-nothing CSV import of the work programme, with line-numbered errors.

Format (../shared/API.md): UTF-8, header `code,title,kind,lead_agency,planned_month`. A BOM is accepted.
Either every row is valid and all are imported in one transaction with one event, or nothing
changes and every bad line is reported.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from agenda.agencies.registry import ensure_agency
from agenda.errors import ImportFailed, InvalidInput
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.programme.programme import ProgrammeItem, ProgrammeItemCreate, index_programme_item
from agenda.text import N_

HEADER = ["code", "title", "kind", "lead_agency", "planned_month"]
MAX_ROWS = 5000

FIELD_MESSAGES = {
    "code": N_("Mã đề án thiếu hoặc không hợp lệ."),
    "title": N_("Tên đề án thiếu hoặc quá dài."),
    "kind": N_("Loại đề án không hợp lệ (law, ordinance, decree, resolution, report, scheme, other)."),
    "lead_agency": N_("Thiếu cơ quan chủ trì."),
    "planned_month": N_("Tháng dự kiến phải có dạng YYYY-MM."),
}


def parse_csv(
    raw: bytes,
) -> tuple[list[tuple[int, ProgrammeItemCreate]], list[tuple[int, str, dict[str, Any]]]]:
    """Rows that validate, with their line numbers, and the line-numbered errors."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(N_("Tệp phải được mã hóa UTF-8."), code="bad_encoding") from exc
    if "\x00" in text:
        raise InvalidInput(N_("Tệp không phải là CSV văn bản."), code="not_csv")
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[tuple[int, str, dict[str, Any]]] = []
    rows: list[tuple[int, ProgrammeItemCreate]] = []
    try:
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header] != HEADER:
            raise InvalidInput(
                N_("Dòng tiêu đề phải là: {header}."), code="bad_header", header=",".join(HEADER)
            )
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) + len(errors) >= MAX_ROWS:
                raise InvalidInput(
                    N_("Tệp có quá nhiều dòng (tối đa {max})."), code="too_many_rows", max=MAX_ROWS
                )
            if len(record) != len(HEADER):
                errors.append(
                    (line, N_("Dòng có {got} cột, cần {want} cột."), {"got": len(record), "want": 5})
                )
                continue
            try:
                rows.append(
                    (line, ProgrammeItemCreate.model_validate(dict(zip(HEADER, record, strict=True))))
                )
            except ValidationError as exc:
                for err in exc.errors():
                    name = str(err["loc"][0]) if err["loc"] else "code"
                    errors.append((line, FIELD_MESSAGES.get(name, FIELD_MESSAGES["code"]), {}))
    except csv.Error as exc:
        raise InvalidInput(
            N_("Tệp CSV bị hỏng ở dòng {line}."), code="bad_csv", line=reader.line_num
        ) from exc
    return rows, errors


def import_csv(*, session: Session, raw: bytes, actor_id: int | None) -> list[ProgrammeItem]:
    rows, errors = parse_csv(raw)
    seen: dict[str, int] = {}
    for line, data in rows:
        if data.code in seen:
            errors.append(
                (line, N_("Mã {code} trùng với dòng {other}."), {"code": data.code, "other": seen[data.code]})
            )
        seen.setdefault(data.code, line)
    if seen:
        existing = set(
            session.exec(select(ProgrammeItem.code).where(col(ProgrammeItem.code).in_(list(seen)))).all()
        )
        for line, data in rows:
            if data.code in existing:
                errors.append((line, N_("Mã {code} đã có trong chương trình công tác."), {"code": data.code}))
    if not rows and not errors:
        raise InvalidInput(N_("Tệp không có dòng dữ liệu nào."), code="empty_file")
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e[0]))
    items = [ProgrammeItem(**data.model_dump()) for _, data in rows]
    agencies: dict[str, int | None] = {}
    for item in items:
        if item.lead_agency not in agencies:
            agencies[item.lead_agency] = ensure_agency(session, item.lead_agency, actor_id=actor_id).id
        item.lead_agency_id = agencies[item.lead_agency]
    session.add_all(items)
    session.flush()
    for item in items:
        index_programme_item(session, item)
    ids = [item.id for item in items if item.id is not None]
    events.append(session, k.ProgrammeImported(count=len(items), programme_item_ids=ids), actor_id=actor_id)
    return items
