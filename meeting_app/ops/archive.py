"""The backup archive: one tar file with a database snapshot, the files of DATA_DIR that cannot be
rebuilt, and a manifest of their SHA-256 sums. See docs/deployment.md "Operations".

    database/ecabinet.sqlite3 | database/ecabinet.pgdump   the snapshot (SQLite file or pg_dump -Fc)
    data/secret_key                                      when the key lives in DATA_DIR
    data/policy.json                                     when there is one
    data/originals/<sha[:2]>/<sha256>.pdf                every stored original
    manifest.json                                        last: what is above, with sums and sizes

Reading never extracts blindly: every member must be named in the manifest with a name of the
layout above, is streamed to the staging folder while it is hashed, and must match its sum and
size; a member missing, unexpected, or different refuses the whole archive.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import tarfile
import time
import zlib
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from agenda.errors import DomainError
from agenda.text import N_

FORMAT = "ecabinet-backup"
VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1 << 20
MEMBER = re.compile(
    r"database/ecabinet\.(sqlite3|pgdump)|data/(secret_key|policy\.json)|data/originals/[0-9a-f]{2}/[0-9a-f]{64}\.pdf"
)


class BackupError(DomainError):
    """A backup or a restore that cannot go on; the command prints it and exits 1."""

    code = "backup_failed"
    message = N_("Không sao lưu hoặc khôi phục được.")


def unreadable(path: Path) -> BackupError:
    return BackupError(
        N_("Không đọc được tệp sao lưu {path}: tệp hỏng hoặc không phải tệp tar."),
        code="backup_unreadable",
        path=str(path),
    )


@dataclass
class Manifest:
    engine: str  # sqlite or postgresql
    database: str  # the snapshot's member name
    created_at: str
    events: int  # rows of the event log in the snapshot
    revisions: list[str]  # the Alembic revisions of the snapshot
    schema: str | None = None  # PostgreSQL: the schema that was dumped
    secret_key: str = "file"  # file (in the archive) or environment (kept by the operator)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {sha256, size}

    def to_json(self) -> bytes:
        body = {"format": FORMAT, "version": VERSION, **self.__dict__}
        return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, path: Path, raw: bytes) -> Manifest:
        not_ours = BackupError(
            N_("Tệp {path} không phải bản sao lưu eCabinet (thiếu hoặc sai manifest.json)."),
            code="backup_not_ecabinet",
            path=str(path),
        )
        try:
            body = json.loads(raw)
        except ValueError:
            raise not_ours from None
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise not_ours
        if body.get("version") != VERSION:
            raise BackupError(
                N_("Bản sao lưu theo định dạng số {version}; eCabinet này chỉ đọc định dạng số {supported}."),
                code="backup_version",
                version=str(body.get("version")),
                supported=str(VERSION),
            )
        try:
            found = cls(
                engine=str(body["engine"]),
                database=str(body["database"]),
                created_at=str(body["created_at"]),
                events=int(body["events"]),
                revisions=[str(r) for r in body["revisions"]],
                schema=None if body.get("schema") is None else str(body["schema"]),
                secret_key=str(body.get("secret_key", "file")),
                files={
                    str(name): {"sha256": str(entry["sha256"]), "size": int(entry["size"])}
                    for name, entry in body["files"].items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise not_ours from None
        if found.database not in found.files or not all(MEMBER.fullmatch(n) for n in found.files):
            raise not_ours
        return found


class _Hashing:
    """A file object that hashes what is read through it (tarfile reads members from it)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


class ArchiveWriter:
    """Writes `<target>.part`, then renames it to `target` once the manifest is in and flushed,
    so a backup that fails half-way never leaves a file that looks complete."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        gz = target.name.endswith((".gz", ".tgz"))
        # Closed by finish() or abort().
        self.tar = tarfile.open(self.partial, "w:gz") if gz else tarfile.open(self.partial, "w")
        self.files: dict[str, dict[str, Any]] = {}

    def add_file(self, name: str, source: Path) -> str:
        """Add `source` as `name`; return its sha256."""
        info = tarfile.TarInfo(name)
        with source.open("rb") as handle:
            info.size = os.fstat(handle.fileno()).st_size
            info.mtime = int(os.fstat(handle.fileno()).st_mtime)
            info.mode = 0o600
            hashing = _Hashing(handle)
            self.tar.addfile(info, hashing)
        digest = hashing.digest.hexdigest()
        self.files[name] = {"sha256": digest, "size": info.size}
        return digest

    def finish(self, manifest: Manifest) -> None:
        manifest.files = dict(self.files)
        raw = manifest.to_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(raw), 0o600, int(time.time())
        self.tar.addfile(info, BytesIO(raw))
        self.tar.close()
        with self.partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(self.partial, self.target)

    def abort(self) -> None:
        try:
            self.tar.close()
        except Exception:
            pass
        self.partial.unlink(missing_ok=True)


def read_manifest(path: Path) -> Manifest:
    """The manifest of the archive at `path`, read before anything is extracted. Raises
    BackupError, never a bare tar or zlib error."""
    if not path.is_file():
        raise BackupError(N_("Không tìm thấy tệp sao lưu {path}."), code="backup_missing", path=str(path))
    try:
        with tarfile.open(path, "r:*") as tar:
            return Manifest.from_json(path, _manifest_bytes(tar, path))
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise unreadable(path) from exc


def extract(path: Path, manifest: Manifest, staging: Path) -> None:
    """Extract every member of the archive under `staging`, each checked against `manifest`."""
    seen: set[str] = set()
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                if member.name in seen:
                    raise BackupError(
                        N_("Tệp sao lưu có thành phần lạ: {name}."),
                        code="backup_unexpected",
                        name=member.name,
                    )
                _extract(tar, member, manifest, staging)
                seen.add(member.name)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise unreadable(path) from exc
    missing = sorted(set(manifest.files) - seen)
    if missing:
        raise BackupError(N_("Tệp sao lưu thiếu {name}."), code="backup_incomplete", name=missing[0])


def _manifest_bytes(tar: tarfile.TarFile, path: Path) -> bytes:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise BackupError(
            N_("Tệp {path} không phải bản sao lưu eCabinet (thiếu hoặc sai manifest.json)."),
            code="backup_not_ecabinet",
            path=str(path),
        ) from None
    handle = tar.extractfile(member)
    if handle is None or member.size > CHUNK * 64:
        raise unreadable(path)
    return handle.read()


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, manifest: Manifest, staging: Path) -> None:
    expected = manifest.files.get(member.name)
    if expected is None or not member.isfile() or not MEMBER.fullmatch(member.name):
        raise BackupError(
            N_("Tệp sao lưu có thành phần lạ: {name}."), code="backup_unexpected", name=member.name
        )
    handle = tar.extractfile(member)
    if handle is None:
        raise BackupError(
            N_("Tệp sao lưu có thành phần lạ: {name}."), code="backup_unexpected", name=member.name
        )
    target = staging / member.name
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected["sha256"] or size != expected["size"]:
        raise BackupError(
            N_("Tệp sao lưu bị hỏng: {name} không khớp tổng kiểm tra SHA-256."),
            code="backup_checksum",
            name=member.name,
        )
