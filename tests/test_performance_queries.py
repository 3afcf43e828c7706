"""Pages run a small, constant number of SQL statements, and reading writes nothing."""
import pytest

from educussion.extensions import db
from educussion.models import Role, User
from educussion.site import queries as site_queries

from .factories import make_thread, make_user


def _statements(client, count_queries, url):
    site_queries.contact()  # the footer's contact details are kept in the process: one statement per 30 s, not per page
    db.session.expunge_all()  # the request must load everything itself
    with count_queries() as log:
        response = client.get(url)
    assert response.status_code == 200
    return log


def test_thread_page_query_count_does_not_grow_with_posts(client, count_queries, login_as):
    repliers = [make_user(role) for role in (Role.COMPANY, Role.ACADEMIC, Role.MUNICIPAL_STAFF)]
    member_id = repliers[0].id
    small = make_thread(replies=2, repliers=repliers)
    large = make_thread(replies=29, repliers=repliers)
    small_id, large_id = small.id, large.id
    few = _statements(client, count_queries, f"/threads/{small_id}")
    many = _statements(client, count_queries, f"/threads/{large_id}")
    assert len(few.statements) == len(many.statements) <= 3, many.statements
    login_as(db.session.get(User, member_id))
    member = _statements(client, count_queries, f"/threads/{large_id}")
    assert len(member.statements) <= 4, member.statements  # + the logged-in user


def test_home_and_theme_query_counts_are_constant(client, count_queries):
    make_thread(theme_slug="infrastructure")
    home_one = _statements(client, count_queries, "/")
    theme_one = _statements(client, count_queries, "/themes/infrastructure")
    for _ in range(12):
        make_thread(theme_slug="infrastructure", author=make_user(Role.MAYOR))
    home_many = _statements(client, count_queries, "/")
    theme_many = _statements(client, count_queries, "/themes/infrastructure")
    # the latest news, the themes, the recent threads
    assert len(home_one.statements) == len(home_many.statements) <= 3, home_many.statements
    assert len(theme_one.statements) == len(theme_many.statements) <= 2, theme_many.statements


@pytest.mark.parametrize("logged_in", [False, True])
def test_reading_writes_nothing(client, count_queries, login_as, logged_in):
    thread = make_thread(replies=3)
    if logged_in:
        login_as(make_user(Role.COMPANY))
    post_id = thread.posts[1].id
    for url in ["/", "/themes/infrastructure", f"/threads/{thread.id}", f"/posts/{post_id}",
                "/login" if not logged_in else "/profile"]:
        db.session.expunge_all()
        with count_queries() as log:
            client.get(url)
        assert log.writes == [], (url, log.writes)
        assert not any(s.strip().upper().startswith(("COMMIT", "BEGIN IMMEDIATE")) for s in log.statements)


@pytest.mark.parametrize("query", ["端末", "端末の更新"])  # decided by the index; checked on the text
def test_search_page_query_count_does_not_grow_with_results(client, count_queries, query):
    make_thread(title="端末の更新", body="端末の更新費用について")
    one = _statements(client, count_queries, f"/search?q={query}")
    for i in range(25):
        make_thread(title=f"端末の更新 {i}", body="端末の更新費用について", author=make_user(Role.MAYOR))
    many = _statements(client, count_queries, f"/search?q={query}")
    # the themes of the form, the outbox's posts the reader may not see now (the index may lag), the hits
    assert len(one.statements) == len(many.statements) <= 3, many.statements
