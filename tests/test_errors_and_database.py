"""Friendly error pages, and the SQLite settings that keep data safe."""
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from educussion.extensions import db
from educussion.models import Draft, Post, Role

from .factories import make_thread, make_user


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


def test_a_nul_character_is_refused_with_a_message_and_the_text_kept(client, login_as):
    thread = make_thread()
    member = login_as(make_user(Role.COMPANY))
    response = client.post(f"/threads/{thread.id}/reply", data={"body": "前半\x00後半", "idempotency_key": "k"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "使用できない文字（NUL）" in page and "前半後半" in page
    assert db.session.execute(select(Draft.body).filter_by(user_id=member.id)).scalar_one() == "前半後半"
    assert db.session.execute(select(func.count(Post.id))).scalar_one() == 1
    # In the address (search words, filters) it is removed, and the page says so.
    for url in ("/search", "/orgs/municipalities", "/secretariat/audit-log"):
        login_as(make_user(Role.SECRETARIAT))
        response = client.get(url, query_string={"q": "佐賀\x00", "actor": "\x00", "target": "a\x00"})
        assert response.status_code == 200, url
        assert "使用できない文字（NUL）を取り除きました。" in response.get_data(as_text=True), url


@pytest.mark.parametrize("query", [{"start": "99999-01-01"}, {"end": "9999-12-31"}, {"start": "0001-01-01"},
                                   {"page": str(10**20)}, {"page": "-5"}, {"page": "1e309"}])
def test_out_of_range_dates_and_pages_give_the_page_with_a_message(client, login_as, query):
    login_as(make_user(Role.SECRETARIAT))
    response = client.get("/secretariat/audit-log", query_string=query)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    if "page" not in query:
        assert "日付" in page and 'aria-invalid="true"' in page
