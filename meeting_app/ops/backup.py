"""`python run.py backup <file>` and `python run.py restore <file> [--force]`. See
docs/deployment.md "Operations".

A backup is the database snapshot (meeting_app/ops/snapshots.py) and the files of DATA_DIR that
cannot be rebuilt, in one archive (meeting_app/ops/archive.py). The snapshot is taken first and the
originals copied after it: an original is stored before the transaction that refers to it
commits and is never deleted, so every original the snapshot names is in the archive.

A restore reads the manifest, refuses a wrong engine, schema or migration, and a target that
already holds data (unless forced); then extracts and verifies every member before it touches
the target, puts the database back in one step, moves the files into place, drops the derived
cache, migrates, and checks that the event log has the manifest's length.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory

from agenda.db import Database, make_engine
from agenda.log import event_kinds as k
from agenda.log import events
from agenda.migrate import MIGRATIONS, upgrade
from agenda.storage import original_path
from agenda.text import N_
from meeting_app.ops import snapshots
from meeting_app.ops.archive import MEMBER, ArchiveWriter, BackupError, Manifest, extract, read_manifest
from meeting_app.ops.snapshots import POSTGRESQL, SQLITE, engine_of
from meeting_app.settings import Settings

ORIGINALS = "data/originals/"
NOT_EMPTY = N_("Nơi khôi phục đã có dữ liệu ({events} sự kiện, {originals} tệp gốc); dùng --force để ghi đè.")


def _work_dir(settings: Settings) -> Path:
    """Scratch space on DATA_DIR's file system, so that restored files are moved, not copied."""
    folder = settings.data_dir / "tmp"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _stored_originals(data_dir: Path) -> list[tuple[str, Path]]:
    """(member name, path) of every stored original, in a stable order."""
    found = []
    for path in sorted((data_dir / "originals").glob("*/*.pdf")):
        name = f"{ORIGINALS}{path.parent.name}/{path.name}"
        if MEMBER.fullmatch(name):
            found.append((name, path))
    return found


def backup(settings: Settings, target: Path) -> dict[str, Any]:
    target = target.expanduser().absolute()
    if target.exists():
        raise BackupError(N_("Tệp {path} đã có; hãy chọn tên khác."), code="backup_exists", path=str(target))
    if not target.parent.is_dir():
        raise BackupError(
            N_("Không có thư mục {path}."), code="backup_folder_missing", path=str(target.parent)
        )
    engine = engine_of(settings.database_url)
    data_dir = settings.data_dir
    with tempfile.TemporaryDirectory(prefix="backup-", dir=_work_dir(settings)) as work:
        if engine == SQLITE:
            snapshot = Path(work) / "ecabinet.sqlite3"
            facts = snapshots.sqlite_snapshot(settings.database_url, snapshot)
        else:
            snapshot = Path(work) / "ecabinet.pgdump"
            facts = snapshots.pg_snapshot(settings.database_url, snapshot)
        writer = ArchiveWriter(target)
        try:
            database = f"database/{snapshot.name}"
            writer.add_file(database, snapshot)
            secret = data_dir / "secret_key"
            in_file = secret.is_file() and secret.read_text("ascii").strip() == settings.secret_key
            if in_file:
                writer.add_file("data/secret_key", secret)
            if (data_dir / "policy.json").is_file():
                writer.add_file("data/policy.json", data_dir / "policy.json")
            damaged = []
            originals = _stored_originals(data_dir)
            for name, path in originals:
                if writer.add_file(name, path) != path.stem:
                    damaged.append(name)  # kept as it is; reported, since its content is not its name
            manifest = Manifest(
                engine=engine,
                database=database,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                events=facts.events,
                revisions=facts.revisions,
                schema=facts.schema,
                secret_key="file" if in_file else "environment",
            )
            writer.finish(manifest)
        except BaseException:
            writer.abort()
            raise
    summary: dict[str, Any] = {
        "file": str(target),
        "engine": engine,
        "events": facts.events,
        "originals": len(originals),
        "bytes": target.stat().st_size,
        "secret_key": manifest.secret_key,
    }
    if facts.schema is not None:
        summary["schema"] = facts.schema
    if damaged:
        summary["damaged_originals"] = damaged
    return summary


def _unknown_revisions(revisions: list[str]) -> list[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    return [revision for revision in revisions if revision not in known]


def _held(settings: Settings) -> tuple[int, int]:
    """(events, stored originals) already in the target."""
    originals = len(_stored_originals(settings.data_dir))
    if (
        engine_of(settings.database_url) == SQLITE
        and not snapshots.sqlite_path(settings.database_url).exists()
    ):
        return 0, originals
    return snapshots.facts(settings.database_url).events, originals


def _check_target(settings: Settings, manifest: Manifest, *, force: bool) -> str | None:
    """Refuse what cannot or must not be restored here; return the PostgreSQL schema."""
    engine = engine_of(settings.database_url)
    if manifest.engine != engine:
        raise BackupError(
            N_("Bản sao lưu này là của cơ sở dữ liệu {archive}, còn nơi khôi phục dùng {target}."),
            code="wrong_engine",
            archive=manifest.engine,
            target=engine,
        )
    unknown = _unknown_revisions(manifest.revisions)
    if unknown:
        raise BackupError(
            N_("Bản sao lưu được tạo bởi một phiên bản eCabinet mới hơn (migration {revision})."),
            code="backup_too_new",
            revision=unknown[0],
        )
    schema = None
    if engine == POSTGRESQL:
        schema = snapshots.pg_target_schema(settings.database_url)
        if manifest.schema != schema:
            raise BackupError(
                N_("Bản sao lưu này là của schema {archive}, còn nơi khôi phục dùng schema {target}."),
                code="wrong_schema",
                archive=str(manifest.schema),
                target=schema,
            )
    if not force:
        events, originals = _held(settings)
        if events or originals:
            raise BackupError(
                NOT_EMPTY,
                code="target_not_empty",
                events=events,
                originals=originals,
            )
    return schema


def _place_files(staging: Path, data_dir: Path, manifest: Manifest) -> dict[str, Any]:
    """Move the verified files into DATA_DIR and drop the derived cache (rebuilt on demand)."""
    placed = 0
    for name in manifest.files:
        if name.startswith(ORIGINALS):
            target = original_path(data_dir, Path(name).stem)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, target)
            placed += 1
    if "data/secret_key" in manifest.files:
        os.chmod(staging / "data/secret_key", 0o600)
        os.replace(staging / "data/secret_key", data_dir / "secret_key")
    policy = "kept" if (data_dir / "policy.json").exists() else "none"
    if "data/policy.json" in manifest.files:
        os.replace(staging / "data/policy.json", data_dir / "policy.json")
        policy = "restored"
    shutil.rmtree(data_dir / "cache", ignore_errors=True)
    return {"originals": placed, "policy": policy}


def restore(settings: Settings, source: Path, *, force: bool = False) -> dict[str, Any]:
    source = source.expanduser().absolute()
    manifest = read_manifest(source)
    schema = _check_target(settings, manifest, force=force)
    key_file = settings.data_dir / "secret_key"
    key_from_file = key_file.is_file() and key_file.read_text("ascii").strip() == settings.secret_key
    with tempfile.TemporaryDirectory(prefix="restore-", dir=_work_dir(settings)) as work:
        staging = Path(work)
        extract(source, manifest, staging)
        snapshot = staging / manifest.database
        if manifest.engine == SQLITE:
            snapshots.sqlite_check(snapshot)
            snapshots.sqlite_restore(snapshot, settings.database_url)
        else:
            assert schema is not None
            snapshots.pg_restore(snapshot, settings.database_url, schema, staging / "restore.list")
        placed = _place_files(staging, settings.data_dir, manifest)
    engine = make_engine(settings.database_url, pool_size=0)
    try:
        upgrade(engine)  # a backup from an older release is brought up to this one
    finally:
        engine.dispose()
    events = snapshots.facts(settings.database_url).events
    if events != manifest.events:
        raise BackupError(
            N_("Sau khi khôi phục có {found} sự kiện, còn bản sao lưu ghi {expected}."),
            code="restore_mismatch",
            found=events,
            expected=manifest.events,
        )
    _record_restore(settings, events)
    if manifest.secret_key != "file":
        secret = "not_in_backup"  # SECRET_KEY came from the environment: set the same one here
    elif not key_from_file:
        secret = "restored_but_overridden"  # SECRET_KEY in this environment wins over the file
    else:
        secret = "restored"
    summary: dict[str, Any] = {
        "file": str(source),
        "engine": manifest.engine,
        "created_at": manifest.created_at,
        "events": events,
        **placed,
        "secret_key": secret,
    }
    return summary


def _record_restore(settings: Settings, restored: int) -> None:
    """Append `system.restored`: the restore is in the audit trail, and it renames the log, so a
    tablet that saw events the backup does not hold takes a snapshot instead of a replay."""
    engine = make_engine(settings.database_url, pool_size=0)
    try:
        Database(engine).write_sync(lambda s: events.append(s, k.LogRestored(events=restored), actor_id=None))
    finally:
        engine.dispose()
