"""Settings from the environment, read and checked by pydantic-settings. See docs/deployment.md,
whose table names every variable (tests/test_settings.py checks it).

Each field is read from the variable of its name in capitals (`max_upload_mb`: MAX_UPLOAD_MB);
the two made of several variables, `password_cost` and `session_policy`, from those in `PARTS`.
An empty variable counts as unset. A value that does not fit is `BadSetting`, whose message
names the variable. `Settings.from_env()` is the way in: the environment is its one source
(`Environ`), so a mapping given to it is read instead of os.environ, never merged with it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from agenda.db import sqlite_url
from agenda.people.accounts import PasswordCost, SessionPolicy
from agenda.signing.config import SOFTHSM, SigningConfig

DEFAULT_HOSTS = ("127.0.0.1", "localhost", "[::1]", "testserver")

Positive = Annotated[int, Field(ge=1)]
Stripped = Annotated[str, StringConstraints(strip_whitespace=True)]


@dataclass(frozen=True)
class Part:
    """One variable of a setting made of several: it sets `setting.key`."""

    setting: str
    key: str
    unit: str = ""  # a duration in hours ("H"), minutes ("M") or seconds ("S")


PARTS = {
    # argon2id's work factors: argon2-cffi's recommended ones unless set (the test suite lowers them)
    "PASSWORD_HASH_TIME_COST": Part("password_cost", "time_cost"),
    "PASSWORD_HASH_MEMORY_KIB": Part("password_cost", "memory_kib"),
    "PASSWORD_HASH_PARALLELISM": Part("password_cost", "parallelism"),
    "SESSION_IDLE_MINUTES": Part("session_policy", "idle", "M"),
    "SESSION_LIFETIME_HOURS": Part("session_policy", "absolute", "H"),
    "SESSION_TOUCH_SECONDS": Part("session_policy", "touch_every", "S"),
    "LOGIN_FAILURES_PER_USER": Part("session_policy", "max_failures_per_user"),
    "LOGIN_FAILURES_PER_ADDRESS": Part("session_policy", "max_failures_per_address"),
    "LOGIN_FAILURE_WINDOW_MINUTES": Part("session_policy", "failure_window", "M"),
}
UNITS = {"H": "hours", "M": "minutes", "S": "seconds"}
COMPOSITE = {part.setting for part in PARTS.values()}


class BadSetting(ValueError):
    """A variable whose value does not fit; the message names it, on one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Path("var")  # resolved, and made when missing
    database_url: str = Field(
        default_factory=lambda data: sqlite_url(data["data_dir"]) if "data_dir" in data else ""
    )
    secret_key: str = Field(
        default_factory=lambda data: load_secret(data["data_dir"]) if "data_dir" in data else ""
    )
    allowed_hosts: tuple[str, ...] = DEFAULT_HOSTS  # comma-separated in the environment
    allowed_origins: tuple[str, ...] = ()
    max_upload_mb: Positive = 50
    max_body_kb: Positive = 1024  # JSON and ordinary forms
    secure_cookies: bool = False
    pdf_workers: Positive = 2  # processes stamping copies and building books
    db_threads: Positive = 8  # worker threads for database calls (anyio's default is 40)
    session_policy: SessionPolicy = Field(default_factory=SessionPolicy)
    password_cost: PasswordCost = Field(default_factory=PasswordCost)
    # Reminders by email (docs/opinion-polls.md): off unless SMTP_HOST is set.
    smtp_host: Stripped = ""
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 25
    smtp_from: str = "ecabinet@localhost"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    public_url: str = ""  # e.g. https://ecabinet.example.gov.vn, for the links in emails
    metrics_token: Stripped = ""  # a bearer token for GET /metrics (docs/deployment.md "Operations")
    # Digital signatures (docs/signatures.md): where keys live, the CA, the TSA, the trust roots.
    signing_store: Literal["pkcs11", "pkcs12"] = "pkcs11"
    pkcs11_module: Stripped = SOFTHSM
    signing_token_prefix: Annotated[str, StringConstraints(max_length=20)] = "ecabinet-"
    signing_ca_passphrase: str = ""  # "" : the demo CA's generated passphrase (DATA_DIR/signing/ca)
    signing_seal_pin: str = ""  # "" : the demo seal's generated PIN (DATA_DIR/signing/seal.pin)
    tsa_url: Stripped = "demo"  # an RFC 3161 TSA's URL, "demo" (the demo CA's TSA) or "" (none)
    trust_roots: tuple[Path, ...] = ()  # PEM files trusted besides the deployment's CA

    def signing(self) -> SigningConfig:
        return SigningConfig(
            folder=self.data_dir / "signing",
            store=self.signing_store,
            pkcs11_module=self.pkcs11_module,
            token_prefix=self.signing_token_prefix,
            ca_passphrase=self.signing_ca_passphrase,
            tsa_url=self.tsa_url,
            trust_roots=self.trust_roots,
            public_url=self.public_url,
            seal_pin=self.signing_seal_pin,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """The settings `environ` (default: os.environ) gives, then `overrides` by field name.
        BadSetting when a value does not fit."""
        found = Environ(cls, os.environ if environ is None else environ)()
        try:
            return cls(**{**found, **overrides})
        except ValidationError as exc:
            raise BadSetting(describe(exc)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values given: `from_env` reads the environment it is given (or os.environ),
        never both."""
        return (init_settings,)

    @field_validator("data_dir")
    @classmethod
    def _made(cls, value: Path) -> Path:
        path = value.resolve()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"cannot make the folder {path}: {exc.strerror}") from None
        return path

    @field_validator("allowed_hosts", "allowed_origins", "trust_roots", mode="before")
    @classmethod
    def _split(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        found = tuple(part.strip() for part in value.split(",") if part.strip())
        return found or (DEFAULT_HOSTS if info.field_name == "allowed_hosts" else ())

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        return value.strip().rstrip("/")

    @field_validator("password_cost", "session_policy")
    @classmethod
    def _positive(cls, value: Any, info: ValidationInfo) -> Any:
        for name, part in PARTS.items():
            amount = getattr(value, part.key) if part.setting == info.field_name else 1
            if (amount.total_seconds() if isinstance(amount, timedelta) else amount) <= 0:
                raise ValueError(f"{name} must be more than 0")
        if isinstance(value, PasswordCost) and value.memory_kib < 8 * value.parallelism:  # argon2's floor
            raise ValueError("PASSWORD_HASH_MEMORY_KIB must be at least 8 times PASSWORD_HASH_PARALLELISM")
        return value

    @classmethod
    def variables(cls) -> list[str]:
        """Every environment variable a setting is read from."""
        return [name for field in cls.model_fields for name in variables_of(field)]


def variables_of(field: str) -> list[str]:
    parts = [name for name, part in PARTS.items() if part.setting == field]
    return parts or [field.upper()]


class Environ(PydanticBaseSettingsSource):
    """The raw values a mapping of environment variables gives, by field; pydantic checks them."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.environ = environ

    def value(self, name: str) -> str | None:
        found = self.environ.get(name, "")
        return found if found.strip() else None  # empty: unset

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.value(field_name.upper()), field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for field_name, field in self.settings_cls.model_fields.items():
            if field_name in COMPOSITE:
                parts = dict(self.parts(field_name))
                if parts:
                    found[field_name] = parts
                continue
            value, _key, _complex = self.get_field_value(field, field_name)
            if value is not None:
                found[field_name] = value
        return found

    def parts(self, setting: str) -> Iterator[tuple[str, str]]:
        for name, part in PARTS.items():
            value = self.value(name)
            if part.setting == setting and value is not None:
                # A duration as ISO 8601 (PT90M), which pydantic reads into a timedelta.
                yield part.key, f"PT{value.strip()}{part.unit}" if part.unit else value


def describe(error: ValidationError) -> str:
    """The errors on one line, each naming its variable; values are not repeated (secrets)."""
    lines = []
    for found in error.errors():
        loc = [str(step) for step in found["loc"]]
        message = found["msg"].removeprefix("Value error, ")
        part = next((n for n, p in PARTS.items() if [p.setting, p.key] == loc[:2]), None)
        if part is not None:
            unit = PARTS[part].unit
            lines.append(f"{part}: {f'should be a number of {UNITS[unit]}' if unit else message}")
        elif loc[0] in COMPOSITE:
            lines.append(message)  # names its variable
        else:
            lines.append(f"{loc[0].upper()}: {message}")
    return "; ".join(lines)


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
