"""The command line of ../shared/API.md: create-user and verify, run as subprocesses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from agenda.db import Database
from meeting_app.ops import commands
from meeting_app.settings import Settings
from tests.support.cli import json_out, run_cli
from tests.support.factories import login, make_member

PASSWORD = "mat-khau-cua-cli-2026"


def test_create_user_prints_its_id_and_can_log_in(
    client: TestClient, db: Database, database_url: str, tmp_path: Path
) -> None:
    member = make_member(db, full_name="Lê Văn Bộ Trưởng")
    result = run_cli(
        [
            "create-user",
            "--username",
            "botruong",
            "--full-name",
            "Lê Văn Bộ Trưởng",
            "--role",
            "member",
            "--member-id",
            str(member.id),
            "--password-stdin",
        ],
        data_dir=tmp_path,
        database_url=database_url,
        stdin=PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert set(created) == {"id"} and isinstance(created["id"], int)
    login(client, "botruong", PASSWORD)
    me = client.get("/api/v1/me").json()["user"]
    assert me["id"] == created["id"]
    assert me["full_name"] == "Lê Văn Bộ Trưởng"
    assert me["roles"] == ["member"]
    assert me["member_id"] == member.id


def test_create_user_with_two_roles(
    client: TestClient, db: Database, database_url: str, tmp_path: Path
) -> None:
    result = run_cli(
        [
            "create-user",
            "--username",
            "ad",
            "--full-name",
            "Quản trị",
            "--role",
            "admin",
            "--role",
            "secretariat",
            "--password-stdin",
        ],
        data_dir=tmp_path,
        database_url=database_url,
        stdin=PASSWORD + "\r\n",
    )
    assert result.returncode == 0, result.stderr
    login(client, "ad", PASSWORD)
    assert client.get("/api/v1/me").json()["user"]["roles"] == ["admin", "secretariat"]


def test_create_user_with_a_bad_role_fails_with_a_message(
    client: TestClient, database_url: str, tmp_path: Path
) -> None:
    result = run_cli(
        ["create-user", "--username", "x1", "--full-name", "X", "--role", "emperor", "--password-stdin"],
        data_dir=tmp_path,
        database_url=database_url,
        stdin=PASSWORD + "\n",
    )
    assert result.returncode != 0
    assert result.stdout.strip() == ""
    assert "emperor" in result.stderr
    assert client.post("/api/v1/auth/login", json={"username": "x1", "password": PASSWORD}).status_code == 401


def test_create_user_refuses_bad_input(
    client: TestClient, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The function behind `create-user`, called in-process to spare a subprocess per case."""
    cases: list[tuple[dict[str, Any], str]] = [
        ({"roles": ["member"], "member_id": None}, "member_link_required"),
        ({"roles": ["member"], "member_id": 4242}, "unknown_member"),
        ({"roles": ["admin"], "password": "short"}, "password"),
        ({"roles": ["admin"], "username": "có dấu"}, "username"),
        ({"roles": []}, "roles"),
    ]
    for fields, expected in cases:
        arguments: dict[str, Any] = {
            "username": "x1",
            "full_name": "X",
            "member_id": None,
            "password": PASSWORD,
            **fields,
        }
        assert commands.create_user(settings, **arguments) != 0, fields
        out, err = capsys.readouterr()
        assert out == "", fields
        assert expected in err, (fields, err)
        assert json.loads(err)["error"]["message"]
    assert client.post("/api/v1/auth/login", json={"username": "x1", "password": PASSWORD}).status_code == 401


def test_create_user_twice_is_refused(client: TestClient, database_url: str, tmp_path: Path) -> None:
    args = ["create-user", "--username", "ad", "--full-name", "A", "--role", "admin", "--password-stdin"]
    assert run_cli(args, data_dir=tmp_path, database_url=database_url, stdin=PASSWORD).returncode == 0
    again = run_cli(args, data_dir=tmp_path, database_url=database_url, stdin=PASSWORD)
    assert again.returncode != 0
    assert "username_taken" in again.stderr


def test_verify_on_an_empty_and_a_used_database(
    client: TestClient, db: Database, database_url: str, tmp_path: Path
) -> None:
    empty = run_cli(["verify"], data_dir=tmp_path, database_url=database_url)
    assert empty.returncode == 0, empty.stderr
    assert json_out(empty) == {
        "intact": True,
        "events": 0,
        "streams": 0,
        "votes_recounted": 0,
        "votes_ok": True,
        "polls_recounted": 0,
        "polls_ok": True,
        "signatures_checked": 0,
        "signed_files_ok": True,
    }
    make_member(db)
    make_member(db)
    used = run_cli(["verify"], data_dir=tmp_path, database_url=database_url)
    assert used.returncode == 0
    assert json_out(used)["events"] == 2
