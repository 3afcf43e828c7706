"""`flask backup create/restore`: a consistent copy of a running SQLite instance, restored elsewhere."""
import hashlib
import io
import json
import sqlite3
import threading

import pytest
from sqlalchemy.engine import make_url
from werkzeug.datastructures import FileStorage

from educussion.board import services as board_services
from educussion.extensions import db
from educussion.models import Role, Thread, User
from educussion.verification import services as verification_services

from .factories import make_thread, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
REPLIES = 80
# Counters that later replies change on rows that existed at the backup's moment.
CHANGED_BY_LATER_REPLIES = {
    "threads": {"post_count", "last_position", "last_posted_at"},
    "themes": {"post_count", "last_posted_at"},
    "users": {"unread_notifications"},
}


def sqlite_path(url: str) -> str:
    return make_url(url).database


def rows(path: str) -> dict[str, dict[tuple, dict]]:
    """Every row of every table, by primary key (rowid where there is none)."""
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        tables = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        result = {}
        for table in tables:
            keys = [r["name"] for r in connection.execute(f'PRAGMA table_info("{table}")') if r["pk"]]
            select = f'SELECT * FROM "{table}"' if keys else f'SELECT rowid AS _rowid, * FROM "{table}"'
            keys = keys or ["_rowid"]
            result[table] = {tuple(row[k] for k in keys): dict(row) for row in connection.execute(select)}
        return result
    finally:
        connection.close()


def write_replies(app, thread_id: int, author_id: int, some_written: threading.Event, errors: list):
    with app.app_context():
        try:
            thread = db.session.get(Thread, thread_id)
            author = db.session.get(User, author_id)
            for number in range(REPLIES):
                board_services.create_reply(thread, actor=author, body=f"バックアップ中の返信 {number} です。")
                if number == 10:
                    some_written.set()
        except Exception as error:  # reported by the test
            errors.append(error)
            some_written.set()
        finally:
            db.session.remove()


@pytest.fixture
def sqlite_only(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the backup command copies SQLite; PostgreSQL is refused (tested below)")


def test_backup_while_replies_are_written_restores_a_consistent_instance(
        sqlite_only, app, make_app, tmp_path, database_url):
    mayor = make_user(Role.MAYOR)
    thread = make_thread(author=mayor, replies=3)
    requester = make_user(None)
    verification_services.submit_request(requester, actor=requester, data=verification_services.RequestData(
        role=Role.COMPANY, organisation_name="テスト株式会社", title="部長", phone="03-0000-0000"),
        evidence=FileStorage(io.BytesIO(PDF), filename="名刺.pdf"))
    posts_before = db.session.execute(db.text("SELECT count(*) FROM posts")).scalar_one()

    some_written, errors = threading.Event(), []
    writer = threading.Thread(target=write_replies, args=(app, thread.id, mayor.id, some_written, errors))
    writer.start()
    try:
        assert some_written.wait(60)
        backup = tmp_path / "backup"
        result = app.test_cli_runner().invoke(args=["backup", "create", str(backup)])
    finally:
        writer.join(120)
    assert not errors, errors
    assert result.exit_code == 0, result.output
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["alembic_revision"] and manifest["stored_files"] == 1
    # The backup was taken while the replies were being written.
    assert posts_before < manifest["tables"]["posts"] < posts_before + REPLIES

    restored_app = make_app(INSTANCE_PATH=str(tmp_path / "restored"),
                            SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "restored" / "educussion.db"))
    runner = restored_app.test_cli_runner()
    with restored_app.app_context():  # the commands run in this app, not in the test's
        result = runner.invoke(args=["backup", "restore", str(backup)])
        check = runner.invoke(args=["search", "check"])  # no rebuild
        db.session.remove()
    assert result.exit_code == 0, result.output
    assert f'{manifest["tables"]["search_outbox"]} posts from the search outbox indexed' in result.output
    assert check.exit_code == 0
    assert "index: 0 missing, 0 stale (0 searchable though not public), 0 extra." in check.output

    restored = rows(str(tmp_path / "restored" / "educussion.db"))
    source = rows(sqlite_path(database_url))
    counts = {table: len(r) for table, r in restored.items() if table != "search_outbox"}
    assert counts == {table: n for table, n in manifest["tables"].items() if table != "search_outbox"}
    assert restored["search_outbox"] == {}  # drained into the restored index
    # Row for row: every restored row is the source's row, but for counters that later replies moved on.
    for table, table_rows in restored.items():
        if table == "search_outbox":  # drained by the writer after the backup, and by the restore
            continue
        changed = CHANGED_BY_LATER_REPLIES.get(table, set())
        for key, row in table_rows.items():
            assert key in source[table], (table, key)
            expected = {k: v for k, v in source[table][key].items() if k not in changed}
            assert {k: v for k, v in row.items() if k not in changed} == expected, (table, key)
    # A snapshot of one moment: the posts and their audit entries are a prefix of the source's, with no gap.
    for table in ("posts", "audit_entries"):
        last = max(restored[table])
        assert set(restored[table]) == {key for key in source[table] if key <= last}, table
    # Counters match recounts in the restored database.
    connection = sqlite3.connect(str(tmp_path / "restored" / "educussion.db"))
    try:
        mismatched = connection.execute("""
            SELECT t.id FROM threads t
            WHERE t.post_count != (SELECT count(*) FROM posts p WHERE p.thread_id = t.id AND p.status = 'visible')
               OR t.last_position != (SELECT max(position) FROM posts p WHERE p.thread_id = t.id)""").fetchall()
        themes = connection.execute("""
            SELECT th.slug FROM themes th
            WHERE th.post_count != (SELECT coalesce(sum(t.post_count), 0) FROM threads t
                                    WHERE t.theme_id = th.id AND t.status = 'visible')""").fetchall()
    finally:
        connection.close()
    assert mismatched == [] and themes == []
    sha256 = hashlib.sha256(PDF).hexdigest()  # the file store names a content by its hash
    assert (tmp_path / "restored" / "files" / sha256[:2] / sha256).read_bytes() == PDF


def test_restore_needs_an_empty_instance(sqlite_only, app, tmp_path):
    make_thread(replies=1)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create", str(tmp_path / "b")]).exit_code == 0
    again = runner.invoke(args=["backup", "create", str(tmp_path / "b")])
    assert again.exit_code != 0 and "not empty" in again.output
    result = runner.invoke(args=["backup", "restore", str(tmp_path / "b")])
    assert result.exit_code != 0 and "is not empty" in result.output


def test_postgresql_is_refused_with_the_pg_dump_line(make_app, tmp_path):
    postgres_app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://educussion@127.0.0.1:9/educussion")
    with postgres_app.app_context():
        result = postgres_app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "b")])
    assert result.exit_code != 0
    assert 'pg_dump --format=custom --file=educussion-$(date +%F).dump "$DATABASE_URL"' in result.output
    assert not (tmp_path / "b").exists()
