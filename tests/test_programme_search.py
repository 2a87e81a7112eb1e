"""The programme's own search (issue 14, defect 6) folds case and diacritics as the search box
does (agenda/search/text_search.fold): "Đất đai", "đất đai", "ĐẤT ĐAI" and "dat dai" find the
same items, on SQLite and on PostgreSQL, through the JSON API and the page's filter form."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from agenda.db import Database
from tests.support.factories import login_as, make_programme_item, make_user

LAND = "Luật Đất đai (sửa đổi)"
HOUSING = "Nghị định về Nhà ở xã hội"
OTHER = "Nghị định về bảo vệ dữ liệu cá nhân"


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("Đất đai", {"LDD-1"}),
        ("đất đai", {"LDD-1"}),
        ("ĐẤT ĐAI", {"LDD-1"}),
        ("dat dai", {"LDD-1"}),
        ("DAT", {"LDD-1"}),
        ("đấT Đai sửa", {"LDD-1"}),  # the last word is a prefix, as in the search box
        ("nha o xa hoi", {"ND-NOXH"}),
        ("NHÀ Ở", {"ND-NOXH"}),
        ("ldd", {"LDD-1"}),  # the code
        ("nd-noxh", {"ND-NOXH"}),
        ("nghị định", {"ND-NOXH", "ND-DLCN"}),
        ("đất nhà", set()),  # every word must be there
        ("Bộ Xây", {"ND-NOXH"}),  # the lead agency
    ],
)
def test_the_programme_filter_folds_case_and_diacritics(
    client: TestClient, db: Database, q: str, found: set[str]
) -> None:
    make_user(db, "ps-thuky", ["secretariat"])
    make_programme_item(db, code="LDD-1", title=LAND, kind="law", lead_agency="Bộ Tài nguyên và Môi trường")
    make_programme_item(db, code="ND-NOXH", title=HOUSING, lead_agency="Bộ Xây dựng")
    make_programme_item(db, code="ND-DLCN", title=OTHER, lead_agency="Bộ Công an")
    sec = login_as(client, "ps-thuky")
    api = sec.get("/api/v1/programme-items", params={"q": q})
    assert api.status_code == 200, api.text
    assert {i["code"] for i in api.json()["items"]} == found
    page = sec.get("/programme", params={"q": q})
    assert page.status_code == 200
    for code in ("LDD-1", "ND-NOXH", "ND-DLCN"):
        assert (f">{code}<" in page.text) == (code in found), code
