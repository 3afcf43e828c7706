"""Friendly error pages, and the SQLite settings that keep data safe."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from educussion.extensions import db
from educussion.models import Post

from .factories import make_thread


def test_server_error_page_is_friendly_and_in_japanese(make_app):
    app = make_app(TESTING=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("broken on purpose")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "エラーが発生しました" in page and "broken on purpose" not in page


def test_unknown_method_gets_a_page_not_a_traceback(client):
    response = client.put("/")
    assert response.status_code == 405 and "<html" in response.get_data(as_text=True)


def test_sqlite_runs_with_foreign_keys_and_wal(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_foreign_keys_are_enforced(app):
    thread = make_thread()
    db.session.add(Post(thread_id=thread.id + 1000, position=9, author_id=thread.author_id,
                        author_role=thread.posts[0].author_role, body_source="x", body_html="x"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
