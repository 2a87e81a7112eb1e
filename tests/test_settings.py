"""Settings from the environment (meeting_app/settings.py): every variable read, typed and
documented, and a bad value refused with one line that names it."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from agenda.people.accounts import PasswordCost, SessionPolicy
from meeting_app.settings import DEFAULT_HOSTS, BadSetting, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_the_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path / "data")})
    assert settings.data_dir == (tmp_path / "data").resolve() and settings.data_dir.is_dir()
    assert settings.database_url == f"sqlite:///{settings.data_dir / 'ecabinet.sqlite3'}"
    key = settings.data_dir / "secret_key"
    assert settings.secret_key == key.read_text() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert Settings.from_env({"DATA_DIR": str(tmp_path / "data")}).secret_key == settings.secret_key
    assert settings.allowed_hosts == DEFAULT_HOSTS and settings.allowed_origins == ()
    assert (settings.max_upload_mb, settings.max_body_kb, settings.pdf_workers, settings.db_threads) == (
        50,
        1024,
        2,
        8,
    )
    assert settings.secure_cookies is False and settings.smtp_starttls is False
    assert settings.session_policy == SessionPolicy() and settings.password_cost == PasswordCost()
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_from) == ("", 25, "ecabinet@localhost")


def test_each_kind_of_value_from_the_environment(tmp_path: Path) -> None:
    environ = {
        "DATA_DIR": str(tmp_path),  # a path
        "DATABASE_URL": "postgresql://ecabinet@db/ecabinet",  # a string
        "SECRET_KEY": "khóa bí mật",
        "ALLOWED_HOSTS": " ecabinet.gov.vn, , 10.0.0.5 ",  # a comma-separated list
        "ALLOWED_ORIGINS": "https://ecabinet.gov.vn",
        "MAX_UPLOAD_MB": "20",  # numbers
        "MAX_BODY_KB": "256",
        "PDF_WORKERS": "4",
        "DB_THREADS": "12",
        "SECURE_COOKIES": "yes",  # booleans
        "SMTP_STARTTLS": "1",
        "SMTP_HOST": " mail.gov.vn ",
        "SMTP_PORT": "587",
        "PUBLIC_URL": "https://ecabinet.gov.vn/",
        "METRICS_TOKEN": " t0k3n ",
        "PASSWORD_HASH_TIME_COST": "2",  # the parts of a setting
        "PASSWORD_HASH_MEMORY_KIB": "1024",
        "PASSWORD_HASH_PARALLELISM": "2",
        "SESSION_IDLE_MINUTES": "30",  # durations
        "SESSION_LIFETIME_HOURS": "10.5",
        "SESSION_TOUCH_SECONDS": "20",
        "LOGIN_FAILURES_PER_USER": "3",
        "LOGIN_FAILURES_PER_ADDRESS": "50",
        "LOGIN_FAILURE_WINDOW_MINUTES": "5",
    }
    settings = Settings.from_env(environ)
    assert settings.data_dir == tmp_path.resolve()
    assert settings.database_url == "postgresql://ecabinet@db/ecabinet"
    assert settings.secret_key == "khóa bí mật" and not (tmp_path / "secret_key").exists()
    assert settings.allowed_hosts == ("ecabinet.gov.vn", "10.0.0.5")
    assert settings.allowed_origins == ("https://ecabinet.gov.vn",)
    assert (settings.max_upload_mb, settings.max_body_kb, settings.pdf_workers, settings.db_threads) == (
        20,
        256,
        4,
        12,
    )
    assert settings.secure_cookies is True and settings.smtp_starttls is True
    assert (settings.smtp_host, settings.smtp_port) == ("mail.gov.vn", 587)
    assert settings.public_url == "https://ecabinet.gov.vn" and settings.metrics_token == "t0k3n"
    assert settings.password_cost == PasswordCost(time_cost=2, memory_kib=1024, parallelism=2)
    assert settings.session_policy == SessionPolicy(
        idle=timedelta(minutes=30),
        absolute=timedelta(hours=10, minutes=30),
        touch_every=timedelta(seconds=20),
        max_failures_per_user=3,
        max_failures_per_address=50,
        failure_window=timedelta(minutes=5),
    )


def test_an_empty_variable_is_unset_and_overrides_come_last(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"DATA_DIR": str(tmp_path), "MAX_UPLOAD_MB": "", "SECURE_COOKIES": " ", "ALLOWED_HOSTS": ","},
        pdf_workers=1,
    )
    assert (settings.max_upload_mb, settings.secure_cookies, settings.pdf_workers) == (50, False, 1)
    assert settings.allowed_hosts == DEFAULT_HOSTS


def test_a_given_environment_is_read_instead_of_the_process_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_THREADS", "3")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert Settings.from_env().db_threads == 3
    assert Settings.from_env({"DATA_DIR": str(tmp_path)}).db_threads == 8


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MAX_UPLOAD_MB", "abc", "MAX_UPLOAD_MB: Input should be a valid integer"),
        ("PDF_WORKERS", "0", "PDF_WORKERS: Input should be greater than or equal to 1"),
        ("SMTP_PORT", "70000", "SMTP_PORT: Input should be less than or equal to 65535"),
        ("SECURE_COOKIES", "maybe", "SECURE_COOKIES: Input should be a valid boolean"),
        ("PASSWORD_HASH_MEMORY_KIB", "lots", "PASSWORD_HASH_MEMORY_KIB: Input should be a valid integer"),
        ("PASSWORD_HASH_TIME_COST", "0", "PASSWORD_HASH_TIME_COST must be more than 0"),
        ("SESSION_IDLE_MINUTES", "an hour", "SESSION_IDLE_MINUTES: should be a number of minutes"),
        ("SESSION_LIFETIME_HOURS", "0", "SESSION_LIFETIME_HOURS must be more than 0"),
        ("PASSWORD_HASH_MEMORY_KIB", "16", "PASSWORD_HASH_MEMORY_KIB must be at least 8 times"),
    ],
)
def test_a_bad_value_names_its_variable(tmp_path: Path, variable: str, value: str, message: str) -> None:
    with pytest.raises(BadSetting) as refused:
        Settings.from_env({"DATA_DIR": str(tmp_path), variable: value})
    assert str(refused.value).startswith(message)
    assert value == "0" or value not in str(refused.value)  # values are not repeated: some are secrets


def test_run_py_refuses_a_bad_value_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "MAX_UPLOAD_MB": "abc", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "verify"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "run.py: MAX_UPLOAD_MB: Input should be a valid integer, unable to parse string as an integer"
    ]


def test_every_variable_is_in_the_deployment_table() -> None:
    text = (ROOT / "docs" / "deployment.md").read_text("utf-8")
    table = text[text.index("## Settings") : text.index("## Running")]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert len(Settings.variables()) == 34
    assert sorted(set(Settings.variables()) - documented) == []
