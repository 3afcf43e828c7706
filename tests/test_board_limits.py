"""Never cut what was typed: text over a limit is refused beside its field with the project's message, the
whole text stays in the form (and as a draft), and no page has a maxlength that would cut a paste."""
from __future__ import annotations

import html as html_module
import re

import pytest
from sqlalchemy import func, select

from educussion.board import services
from educussion.errors import InvalidInput
from educussion.extensions import db
from educussion.models import Draft, Post, Role, Thread

from .factories import make_thread, make_user, theme


def page_of(response) -> str:
    return response.get_data(as_text=True)


def field_value(page: str, name: str) -> str:
    textarea = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    if textarea:
        return html_module.unescape(textarea.group(1)).removeprefix("\r\n")
    attribute = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return html_module.unescape(attribute.group(1)) if attribute else ""


def counts():
    return (db.session.execute(select(func.count(Thread.id))).scalar_one(),
            db.session.execute(select(func.count(Post.id))).scalar_one())


def test_a_100000_character_body_and_a_10000_character_title_are_refused_whole(client, login_as):
    login_as(make_user(Role.MAYOR))
    title, body = "題" * 10000, "本" * 100000
    response = client.post("/themes/infrastructure/new", data={"title": title, "body": body, "idempotency_key": "k"})
    page = page_of(response)
    assert response.status_code == 400
    assert "本文は20,000文字以内で入力してください（現在 100,000文字）。" in page
    assert "タイトルは120文字以内で入力してください（現在 10,000文字）。" in page
    assert field_value(page, "body") == body and field_value(page, "title") == title
    assert counts() == (0, 0)
    draft = db.session.execute(select(Draft)).scalar_one()
    assert (draft.title, draft.body) == (title, body)


def test_a_100000_character_reply_and_edit_are_refused_whole(client, login_as):
    author = login_as(make_user(Role.MAYOR))
    thread = make_thread(author=author, title="元の題", body="元の本文")
    body = "あ" * 100000
    response = client.post(f"/threads/{thread.id}/reply", data={"body": body, "idempotency_key": "k"})
    page = page_of(response)
    assert response.status_code == 400
    assert "本文は20,000文字以内で入力してください（現在 100,000文字）。" in page
    assert field_value(page, "body") == body
    response = client.post(f"/posts/{thread.posts[0].id}/edit", data={"title": "元の題", "body": body})
    page = page_of(response)
    assert response.status_code == 400 and field_value(page, "body") == body
    assert "本文は20,000文字以内で入力してください（現在 100,000文字）。" in page
    db.session.expire_all()
    assert counts() == (1, 1) and thread.posts[0].body_source == "元の本文"


def test_line_breaks_count_once_so_a_limit_full_text_with_crlf_is_accepted(client, login_as):
    login_as(make_user(Role.MAYOR))
    body = ("あ" * 99 + "\r\n") * 200  # 20,000 characters as typed; 20,200 as sent by a browser
    response = client.post("/themes/infrastructure/new", data={"title": "題", "body": body, "idempotency_key": "k"})
    assert response.status_code == 302


def test_the_services_refuse_with_the_same_message(app):
    author = make_user(Role.MAYOR)
    with pytest.raises(InvalidInput) as refused:
        services.create_thread(theme(), actor=author, title="t" * 10000, body="本文")
    assert (refused.value.field, refused.value.message) == (
        "title", "タイトルは120文字以内で入力してください（現在 10,000文字）。")


def test_no_form_has_a_maxlength_and_limits_are_written_beside_the_fields(client, login_as):
    author = login_as(make_user(Role.MAYOR))
    thread = make_thread(author=author)
    for url in ["/themes/infrastructure/new", f"/threads/{thread.id}", f"/posts/{thread.posts[0].id}/edit",
                "/profile", "/orgs/municipalities", "/"]:
        page = page_of(client.get(url))
        assert "maxlength" not in page, url
    page = page_of(client.get("/themes/infrastructure/new"))
    assert 'data-max-length="20000"' in page and "20,000文字以内" in page
    assert 'data-max-length="120"' in page and "120文字以内" in page
    assert 'src="/static/js/forms.js"' in page


def test_other_services_refuse_long_text_instead_of_cutting_it(app):
    """The watched word's label (was cut to 200) and the verification note (was cut to 2,000)."""
    from educussion.models import VerificationRequest, WatchedWord
    from educussion.moderation import services as moderation
    from educussion.verification import services as verification

    with pytest.raises(InvalidInput) as refused:
        moderation.add_watched_word(actor=make_user(Role.SECRETARIAT), pattern="語", action="block", label="説" * 300)
    assert refused.value.field == "label" and "（現在 300文字）" in refused.value.message
    member = make_user(None)
    data = verification.RequestData(role=Role.COMPANY, organisation_name="株式会社テスト", phone="0952-00-0000",
                                    note="備" * 2500)
    with pytest.raises(InvalidInput) as refused:
        verification.submit_request(member, actor=member, data=data)
    assert refused.value.field == "note" and "2,000文字以内" in refused.value.message
    assert db.session.execute(select(func.count(WatchedWord.id))).scalar_one() == 0
    assert db.session.execute(select(func.count(VerificationRequest.id))).scalar_one() == 0


def test_a_long_municipality_search_is_refused_with_the_whole_text_kept(client):
    query = "佐賀" * 40
    page = page_of(client.get("/orgs/municipalities", query_string={"q": query}))
    assert f'value="{query}"' in page and "50文字以内で入力してください（現在 80文字）" in page
