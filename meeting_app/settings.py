"""Settings from the environment (API.md lists the variables). See docs/deployment.md."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agenda.db import sqlite_url
from agenda.people.accounts import PasswordCost, SessionPolicy

DEFAULT_HOSTS = ("127.0.0.1", "localhost", "[::1]", "testserver")


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    allowed_hosts: tuple[str, ...] = DEFAULT_HOSTS
    allowed_origins: tuple[str, ...] = ()
    max_upload_mb: int = 50
    max_body_kb: int = 1024  # JSON and ordinary forms
    secure_cookies: bool = False
    pdf_workers: int = 2  # processes stamping copies and building books
    db_threads: int = 8  # worker threads for database calls (anyio's default is 40)
    session_policy: SessionPolicy = field(default_factory=SessionPolicy)
    # argon2id's work factors: argon2-cffi's recommended ones unless set (the test suite lowers them)
    password_cost: PasswordCost = field(default_factory=PasswordCost)
    # Reminders by email (docs/opinion-polls.md): off unless SMTP_HOST is set.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "ecabinet@localhost"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    public_url: str = ""  # e.g. https://ecabinet.example.gov.vn, for the links in emails
    metrics_token: str = ""  # a bearer token for GET /metrics (docs/deployment.md "Operations")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("DATA_DIR") or "var").resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        values: dict[str, object] = {
            "data_dir": data_dir,
            "database_url": env.get("DATABASE_URL") or sqlite_url(data_dir),
            "secret_key": env.get("SECRET_KEY") or load_secret(data_dir),
            "allowed_hosts": _split(env.get("ALLOWED_HOSTS")) or DEFAULT_HOSTS,
            "allowed_origins": _split(env.get("ALLOWED_ORIGINS")),
            "max_upload_mb": int(env.get("MAX_UPLOAD_MB") or 50),
            "secure_cookies": env.get("SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
            "smtp_host": env.get("SMTP_HOST", "").strip(),
            "smtp_port": int(env.get("SMTP_PORT") or 25),
            "smtp_from": env.get("SMTP_FROM") or "ecabinet@localhost",
            "smtp_user": env.get("SMTP_USER", ""),
            "smtp_password": env.get("SMTP_PASSWORD", ""),
            "smtp_starttls": env.get("SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
            "public_url": env.get("PUBLIC_URL", "").strip().rstrip("/"),
            "metrics_token": env.get("METRICS_TOKEN", "").strip(),
            "password_cost": password_cost(env),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def password_cost(env: Mapping[str, str]) -> PasswordCost:
    """PASSWORD_HASH_TIME_COST, PASSWORD_HASH_MEMORY_KIB and PASSWORD_HASH_PARALLELISM, each
    defaulting to argon2-cffi's recommended value."""
    default = PasswordCost()
    return PasswordCost(
        time_cost=int(env.get("PASSWORD_HASH_TIME_COST") or default.time_cost),
        memory_kib=int(env.get("PASSWORD_HASH_MEMORY_KIB") or default.memory_kib),
        parallelism=int(env.get("PASSWORD_HASH_PARALLELISM") or default.parallelism),
    )


def load_secret(data_dir: Path) -> str:
    """The secret key kept in DATA_DIR/secret_key, generated on first use (mode 0600)."""
    path = data_dir / "secret_key"
    try:
        return path.read_text("ascii").strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; use its key
        return path.read_text("ascii").strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
