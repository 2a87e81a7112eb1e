"""The minutes and the session resolution list the tasks each conclusion gave (docs/minutes.md
"Tasks"): code, title, lead agency and due date, in the JSON, the page and both PDFs (read back
with pypdf); a restricted task by count only, for every reader; none under a restricted agenda
item a member may not see; a cancelled task left out."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from agenda import clock
from agenda.db import Database
from agenda.tasks import lifecycle
from agenda.tasks.lifecycle import TaskCancel, TaskCreate
from agenda.tasks.models import Task
from tests.support.live_setup import make_live
from tests.test_minutes import flat, ok, pdf_text, run_session, user_id

PUBLIC_TITLE = "Hoàn thiện báo cáo KT-XH quý IV"
SECRET_TASK = "Rà soát phương án mật QX-19"


def assign(db: Database, item_id: int, title: str, **fields: Any) -> Task:
    due = clock.local_today() + timedelta(days=30)
    data = TaskCreate.model_validate(
        {
            "title": title,
            "lead_agency": "Bộ Tài chính",
            "due_on": due,
            "source_agenda_item_id": item_id,
            **fields,
        }
    )
    return db.write_sync(lambda s: lifecycle.create_task(session=s, data=data, actor_id=None))


def test_the_record_lists_each_conclusions_tasks(client: TestClient, db: Database) -> None:
    script = run_session(make_live(client, db))
    live = script.live
    item_a, item_b = live.items["A"], live.items["B"]
    public = assign(db, item_a, PUBLIC_TITLE)
    assign(db, item_a, SECRET_TASK, restricted_user_ids=[user_id(db, "m1")])
    assign(db, item_a, "Rà soát thêm hai lần", restricted_user_ids=[user_id(db, "m1")])
    dropped = assign(db, item_a, "Nhiệm vụ đã hủy bỏ")
    db.write_sync(
        lambda s: lifecycle.cancel_task(
            session=s,
            task=lifecycle.get_task(session=s, task_id=dropped.id or 0),
            data=TaskCancel(reason="Không còn cần"),
            actor_id=None,
        )
    )
    under_secret = assign(db, item_b, "Bổ sung hồ sơ XK-77")
    due = public.due_on.strftime("%d/%m/%Y")

    for who in ("sec", "m1", "m2"):
        view: dict[str, Any] = ok(live.actors[who].get(live.url("/minutes")))
        [a] = [i for i in view["record"]["items"] if i["id"] == item_a]
        expected = [
            {
                "id": public.id,
                "code": public.code,
                "title": PUBLIC_TITLE,
                "lead_agency": "Bộ Tài chính",
                "due_on": public.due_on.isoformat(),
            }
        ]
        assert (a["tasks"], a["restricted_tasks"]) == (expected, 2), who  # the audience too: count only
        [ra] = [i for i in view["resolution"]["items"] if i.get("id") == item_a]
        assert (ra["tasks"], ra["restricted_tasks"]) == (expected, 2)
        dumped = json.dumps(view, ensure_ascii=False)
        assert SECRET_TASK not in dumped and "Nhiệm vụ đã hủy bỏ" not in dumped
        for path in ("/minutes.pdf", "/resolution.pdf"):
            response = live.actors[who].get(live.url(path))
            assert response.status_code == 200, response.text
            shown = flat(pdf_text(response.content))
            assert "Nhiệm vụ giao:" in shown, (who, path)
            for text in (public.code, PUBLIC_TITLE, "Bộ Tài chính", due, "2 nhiệm vụ mật"):
                assert text in shown, (who, path, text)
            assert SECRET_TASK not in shown and "Nhiệm vụ đã hủy bỏ" not in shown

    # m2 is outside item B's audience: the placeholder, without its tasks.
    outsider = ok(live.actors["m2"].get(live.url("/minutes")))
    assert under_secret.code not in json.dumps(outsider, ensure_ascii=False)
    assert under_secret.code not in flat(pdf_text(live.actors["m2"].get(live.url("/minutes.pdf")).content))
    insider = ok(live.actors["m1"].get(live.url("/minutes")))
    [b] = [i for i in insider["record"]["items"] if i["id"] == item_b]
    assert [t["code"] for t in b["tasks"]] == [under_secret.code]

    page = live.actors["sec"].get(f"/meetings/{live.meeting_id}/minutes")
    assert page.status_code == 200
    assert f'<a href="/tasks/{public.id}">{public.code}</a>' in page.text and PUBLIC_TITLE in page.text
    assert "2 nhiệm vụ mật" in page.text and SECRET_TASK not in page.text
