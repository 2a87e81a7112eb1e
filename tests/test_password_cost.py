"""Password hashing: production keeps argon2's recommended parameters; only the suite lowers
them, through Settings (tests/conftest.py `TEST_ENV`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher, extract_parameters

from agenda.db import Database, make_engine
from agenda.migrate import upgrade
from agenda.people import accounts
from agenda.people.accounts import PasswordCost
from meeting_app.app import create_app
from meeting_app.settings import Settings
from tests.conftest import TEST_ENV, settings_for
from tests.support.cluster_setup import Server
from tests.support.factories import PASSWORD, make_user

RECOMMENDED = PasswordHasher()  # argon2-cffi's recommended parameters


def test_settings_default_to_the_recommended_parameters(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert settings.password_cost == PasswordCost(
        time_cost=RECOMMENDED.time_cost,
        memory_kib=RECOMMENDED.memory_cost,
        parallelism=RECOMMENDED.parallelism,
    )


def test_the_environment_sets_the_cost_and_the_app_uses_it(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    assert settings.password_cost == PasswordCost(time_cost=1, memory_kib=8, parallelism=1)
    create_app(settings)
    params = extract_parameters(accounts.hash_password("mật khẩu thử nghiệm"))
    assert (params.time_cost, params.memory_cost, params.parallelism) == (1, 8, 1)


@pytest.mark.slow
def test_serve_hashes_with_the_recommended_parameters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run.py serve` without the suite's variables: a login rehashes a cheap hash with the
    recommended parameters, so the serving process hashes with them."""
    url = f"sqlite:///{tmp_path / 'ecabinet.sqlite3'}"
    engine = make_engine(url, pool_size=0)
    upgrade(engine)
    db = Database(engine)
    user = make_user(db, "thuky", ["secretariat"])  # hashed at the suite's cost
    assert extract_parameters(user.password_hash).time_cost == 1
    for name in TEST_ENV:
        monkeypatch.delenv(name)
    server = Server(tmp_path, url)
    try:
        server.wait_ready()
        with server.client() as client:
            response = client.post("/api/v1/auth/login", json={"username": "thuky", "password": PASSWORD})
            assert response.status_code == 200, response.text
    finally:
        server.stop()
    stored = db.read_sync(lambda s: s.get(accounts.User, user.id))
    assert stored is not None
    params = extract_parameters(stored.password_hash)
    assert (params.time_cost, params.memory_cost, params.parallelism) == (
        RECOMMENDED.time_cost,
        RECOMMENDED.memory_cost,
        RECOMMENDED.parallelism,
    )
    engine.dispose()
