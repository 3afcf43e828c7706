"""`flask backup create DIR` / `restore DIR`: a consistent copy of a SQLite instance while it runs.

What a backup folder holds:
    educussion.db      the database, copied with SQLite's online backup API (one read snapshot)
    search-index/      the live index generation, copied while its write lock is held, with CURRENT
    files/             the file store (attachments, verification evidence), without its thumbnails
    manifest.json      when, the alembic revision, and the row count of every table

Order matters: the index is frozen first (drains then leave their work in the outbox), the database is
copied inside that freeze, so every post is either in the copied index or in the copied outbox; the
stored files are copied last (contents are only added, so every file the database names is there).
After a restore the outbox is drained into the restored index, and `flask search check` is clean.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.engine import make_url

from ..errors import DomainError
from ..extensions import db
from ..files import store as file_store
from ..models import utcnow
from ..search import backend
from ..search import indexing

DATABASE_FILE = "educussion.db"
INDEX_FOLDER = "search-index"
FILES_FOLDER = "files"
MANIFEST_FILE = "manifest.json"
FORMAT = 2  # 2: the file store (files/) replaced evidence/

POSTGRES_ADVICE = (
    "The database is PostgreSQL: back it up with pg_dump, e.g.\n"
    '  pg_dump --format=custom --file=educussion-$(date +%F).dump "$DATABASE_URL"\n'
    "and copy the file store (instance/files/, or EDUCUSSION_FILES_DIR) beside it (see the README's Backups section). "
    "After pg_restore, run `flask --app wsgi search reindex`."
)


class BackupRefused(DomainError):
    """The backup or restore cannot be done here; the message says why and what to do instead."""


@dataclass(frozen=True)
class Manifest:
    created_at: str
    alembic_revision: str | None
    tables: dict[str, int]
    index_generation: str
    stored_files: int

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **self.__dict__}, ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def read(cls, folder: str) -> Manifest:
        try:
            with open(os.path.join(folder, MANIFEST_FILE), encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            raise BackupRefused(f"{folder} is not a backup made by `flask backup create` (no manifest.json).") \
                from None
        if data.pop("format", None) != FORMAT:
            raise BackupRefused("This backup was made by another version of the board.")
        return cls(**data)


def _sqlite_path() -> str:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        raise BackupRefused(POSTGRES_ADVICE)
    if not url.database or url.database == ":memory:":
        raise BackupRefused("The database is in memory: there is nothing to back up.")
    return url.database


def _files_folder() -> str:
    return file_store.root()


def _stored_contents(folder: str) -> int:
    return sum(len(names) for path, _, names in os.walk(folder))


def _table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _copy_database(source_path: str, target_path: str) -> None:
    """SQLite's online backup API in one step: one read snapshot, while other connections go on writing."""
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def create_backup(folder: str) -> Manifest:
    source_path = _sqlite_path()
    if os.path.exists(folder) and os.listdir(folder):
        raise BackupRefused(f"{folder} is not empty: choose a new folder for each backup.")
    os.makedirs(folder, exist_ok=True)
    database_copy = os.path.join(folder, DATABASE_FILE)
    with backend.current().frozen() as generation_folder:
        _copy_database(source_path, database_copy)
        generation = os.path.basename(generation_folder)
        shutil.copytree(generation_folder, os.path.join(folder, INDEX_FOLDER, generation),
                        ignore=shutil.ignore_patterns("*LOCK*"))
    with open(os.path.join(folder, INDEX_FOLDER, "CURRENT"), "w", encoding="utf-8") as f:
        f.write(generation)
    stored_files = 0
    if os.path.isdir(_files_folder()):
        shutil.copytree(_files_folder(), os.path.join(folder, FILES_FOLDER),
                        ignore=shutil.ignore_patterns(file_store.THUMBNAILS, file_store.TEMPORARY))
        stored_files = _stored_contents(os.path.join(folder, FILES_FOLDER))
    copy = sqlite3.connect(database_copy)
    try:
        manifest = Manifest(created_at=utcnow().isoformat(timespec="seconds"), alembic_revision=_revision(copy),
                            tables=_table_counts(copy), index_generation=generation,
                            stored_files=stored_files)
    finally:
        copy.close()
    with open(os.path.join(folder, MANIFEST_FILE), "w", encoding="utf-8") as f:
        f.write(manifest.to_json())
    return manifest


def _database_is_empty(path: str) -> bool:
    if not os.path.exists(path):
        return True
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return not _table_counts(connection)
    finally:
        connection.close()


def restore_backup(folder: str) -> tuple[Manifest, int | None]:
    """Restore a backup into an empty instance (no tables, no stored files, no search index);
    returns the manifest and how many posts waiting in the copied outbox were indexed (None when the
    backup's schema is older than this code: the outbox is indexed after `flask db upgrade`)."""
    target_path = _sqlite_path()
    manifest = Manifest.read(folder)
    if not _database_is_empty(target_path):
        raise BackupRefused(f"The database {target_path} is not empty: restore into a new instance "
                            "(EDUCUSSION_INSTANCE_PATH or DATABASE_URL pointing to a new place).")
    if os.path.isdir(_files_folder()) and os.listdir(_files_folder()):
        raise BackupRefused(f"{_files_folder()} is not empty: restore into a new instance.")
    if backend.current().exists():
        raise BackupRefused("This instance already has a search index: restore into a new instance.")
    db.session.remove()
    db.engine.dispose()  # nothing may hold the (empty) file open while it is replaced
    os.makedirs(os.path.dirname(os.path.abspath(target_path)), exist_ok=True)
    _copy_database(os.path.join(folder, DATABASE_FILE), target_path)
    copy = sqlite3.connect(target_path)
    try:
        restored = _table_counts(copy)
    finally:
        copy.close()
    if restored != manifest.tables:
        raise BackupRefused("The restored database does not match the backup's manifest: the backup is damaged.")
    backend.current().install(os.path.join(folder, INDEX_FOLDER, manifest.index_generation))
    if os.path.isdir(os.path.join(folder, FILES_FOLDER)):
        shutil.copytree(os.path.join(folder, FILES_FOLDER), _files_folder(), dirs_exist_ok=True)
    if manifest.alembic_revision not in _code_revisions():
        return manifest, None  # older schema: `flask db upgrade`, then `flask search sync`
    return manifest, indexing.sync()


def _code_revisions() -> set[str]:
    """The head revisions of this code's migrations."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return set(ScriptDirectory.from_config(config).get_heads())
