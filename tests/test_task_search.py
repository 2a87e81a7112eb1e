"""Tasks in the search (docs/search.md): found by code, title, description and lead agency, with
or without diacritics; a restricted task never found by those outside its audience, not even by
its code; an agency's focal point finds only what it may see (its tasks, its programme items)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database
from agenda.people.accounts import User
from agenda.search import queries
from agenda.tasks import lifecycle
from agenda.tasks.lifecycle import TaskCreate
from agenda.tasks.models import Task
from agenda.viewer import Viewer
from tests.support.factories import make_programme_item, make_user, user_actor


def new_task(db: Database, **fields: Any) -> Task:
    data = TaskCreate.model_validate({"due_on": date(2027, 3, 31), **fields})
    return db.write_sync(lambda s: lifecycle.create_task(session=s, data=data, actor_id=None))


def viewer(user: User) -> Viewer:
    assert user.id is not None
    return Viewer(
        user_id=user.id, roles=frozenset(user.roles), member_id=user.member_id, agency_id=user.agency_id
    )


def found(db: Database, who: User, q: str, programme: bool = True) -> list[tuple[str, int]]:
    hits = db.read_sync(
        lambda s: queries.search(session=s, viewer=viewer(who), q=q, limit=50, can_read_programme=programme)
    )
    return [(h.type, h.id) for h in hits]


def test_tasks_are_found_by_code_title_description_and_agency(db: Database) -> None:
    clock.freeze(datetime(2027, 3, 1, 9, 0))
    task = new_task(
        db,
        title="Hoàn thiện Đề án phát triển kinh tế tư nhân",
        description="Trình Thủ tướng xem xét trong quý II",
        lead_agency="Bộ Kế hoạch và Đầu tư",
    )
    sec = make_user(db, "thuky", ["secretariat"])
    for q in (task.code, "kinh te tu nhan", "Thủ tướng xem xét", "ke hoach dau tu"):
        assert ("task", task.id) in found(db, sec, q), q
    hit = db.read_sync(
        lambda s: queries.search(
            session=s, viewer=viewer(sec), q="kinh tế tư nhân", limit=5, can_read_programme=True
        )
    )[0]
    assert hit.url == f"/tasks/{task.id}" and hit.title == task.title
    assert task.code in hit.snippet and "Bộ Kế hoạch và Đầu tư" in hit.snippet


def test_a_restricted_task_is_found_only_by_its_audience(db: Database) -> None:
    clock.freeze(datetime(2027, 3, 1, 9, 0))
    insider = make_user(db, "tv1", ["member"])
    outsider = make_user(db, "tv2", ["member"])
    secret = new_task(
        db,
        title="Phương án xử lý ngân hàng yếu kém",
        lead_agency="Ngân hàng Nhà nước Việt Nam",
        restricted_user_ids=[insider.id],
    )
    public = new_task(db, title="Phương án xử lý dự án chậm tiến độ", lead_agency="Bộ Xây dựng")
    central_bank = make_user(db, "cb.nhnn", ["agency"], agency_id=secret.lead_agency_id)
    builders = make_user(db, "cb.bxd", ["agency"], agency_id=public.lead_agency_id)
    chair = make_user(db, "chutich", ["chair"])
    for q in ("phuong an xu ly", secret.code, "ngan hang yeu kem"):
        assert ("task", secret.id) not in found(db, outsider, q), q
        assert ("task", secret.id) not in found(db, builders, q, programme=False), q
    assert ("task", public.id) in found(db, outsider, "phuong an xu ly")
    assert ("task", secret.id) in found(db, insider, "phuong an xu ly")
    assert ("task", secret.id) in found(db, chair, secret.code)
    assert ("task", secret.id) in found(db, central_bank, "ngan hang", programme=False)
    # An agency sees its own tasks (restricted or not), and nobody else's unrestricted ones.
    assert [h for h in found(db, builders, "phuong an", programme=False) if h[0] == "task"] == [
        ("task", public.id)
    ]
    assert found(db, make_user(db, "khach", ["guest"]), "phuong an", programme=False) == []


def test_an_agency_finds_only_its_own_programme_items(db: Database) -> None:
    clock.freeze(datetime(2027, 3, 1, 9, 0))
    mine = make_programme_item(db, title="Nghị định về thuế thu nhập", lead_agency="Bộ Tài chính")
    theirs = make_programme_item(db, title="Nghị định về thuế đất", lead_agency="Bộ Tài nguyên và Môi trường")
    assert mine.lead_agency_id is not None
    finance = make_user(db, "cb.btc", ["agency"], agency_id=mine.lead_agency_id)
    hits = found(db, finance, "nghi dinh thue")
    assert ("programme_item", mine.id) in hits and ("programme_item", theirs.id) not in hits


def test_the_api_and_the_page_show_task_results(client: TestClient, db: Database) -> None:
    clock.freeze(datetime(2027, 3, 1, 9, 0))
    task = new_task(db, title="Tổng kết thi hành Luật Đất đai", lead_agency="Bộ Nông nghiệp và Môi trường")
    sec = user_actor(client, db, "thuky", ["secretariat"])
    results = sec.get("/api/v1/search", params={"q": "tong ket luat dat dai"}).json()["results"]
    assert {"type": "task", "id": task.id, "url": f"/tasks/{task.id}"}.items() <= results[0].items()
    page = sec.get("/search", params={"q": task.code})
    assert page.status_code == 200 and f'href="/tasks/{task.id}"' in page.text
    assert "Nhiệm vụ được giao" in page.text
