"""Board pages as a user sees them: lists, threads, posting, editing, history and errors."""
import re

from sqlalchemy import func, select

from educussion.extensions import db
from educussion.models import Post, Role, Thread

from .factories import make_post, make_thread, make_user


def html(response) -> str:
    return response.get_data(as_text=True)


def test_home_lists_four_themes_with_counts_and_recent_threads(client):
    make_thread(theme_slug="infrastructure", title="校内ネットワークの帯域不足", replies=2)
    page = html(client.get("/"))
    for name in ["教育の情報化に向けた政策提言", "効率的な環境整備", "地域創生と教育情報化の情報発信", "教員の指導力向上・研修"]:
        assert name in page
    assert "校内ネットワークの帯域不足" in page
    card = page[page.index("効率的な環境整備"):page.index("地域創生と教育情報化の情報発信")]
    assert re.search(r"<dd>1</dd>.*<dd>3</dd>", card, re.S)  # 1 thread, 3 posts


def test_theme_lists_pinned_first_then_latest_activity(client, app):
    old = make_thread(title="古いスレッド")
    pinned = make_thread(title="ピン留めのお知らせ")
    newer = make_thread(title="新しいスレッド")
    make_post(old, body="最新の返信")  # old is now the most recently active
    db.session.get(Thread, pinned.id).is_pinned = True
    db.session.commit()
    page = html(client.get("/themes/infrastructure"))
    page = page[page.index("<main"):]  # the head's feed link is titled 「…：新しいスレッド」
    page = re.sub(r'<p class="feed-link">.*?</p>', "", page, flags=re.S)  # and so is the visible one
    order = [page.index(t) for t in ["ピン留めのお知らせ", "古いスレッド", "新しいスレッド"]]
    assert order == sorted(order)
    assert newer.title in page


def test_theme_row_shows_opener_role_and_organisation(client):
    mayor = make_user(Role.MAYOR, name="山田 太郎", organisation="多久市", title="市長")
    make_thread(author=mayor, title="端末更新")
    page = html(client.get("/themes/infrastructure"))
    assert "山田 太郎" in page and "首長" in page and "多久市長" in page


def test_theme_pagination(client, make_app):
    app = make_app(THREADS_PER_PAGE=2)
    client = app.test_client()
    with app.app_context():
        author = make_user(Role.MAYOR)
        for i in range(5):
            make_thread(author=author, title=f"スレッド番号{i}")
    first, third = html(client.get("/themes/infrastructure")), html(client.get("/themes/infrastructure?page=3"))
    assert "スレッド番号4" in first and "スレッド番号3" in first and "スレッド番号0" not in first
    assert "スレッド番号0" in third and 'aria-current="page">3<' in third
    assert client.get("/themes/infrastructure?page=99").status_code == 200


def test_unknown_theme_and_thread_give_friendly_404(client):
    for url in ["/themes/nothing", "/threads/999", "/posts/999"]:
        response = client.get(url)
        assert response.status_code == 404
        assert "ページが見つかりません" in html(response)


def test_thread_page_shows_posts_in_order_with_author_block_and_japan_time(client):
    academic = make_user(Role.ACADEMIC, name="佐藤 花子", organisation="テスト大学", title="教育学部 教授")
    thread = make_thread(title="研修の時間確保")
    reply = make_post(thread, author=academic, body="校内研修を**15分**単位に分ける方法があります。")
    reply.created_at = reply.created_at.replace(year=2025, month=4, day=1, hour=5, minute=5)  # 14:05 in Tokyo
    db.session.commit()
    page = html(client.get(f"/threads/{thread.id}"))
    assert page.index("端末更新の費用負担") < page.index("15分")
    assert f'id="post-{reply.id}"' in page
    assert "佐藤 花子" in page and "学識経験者" in page and "テスト大学 教育学部 教授" in page
    assert "2025年4月1日 14:05" in page
    assert "<strong>15分</strong>" in page


def test_thread_pages_hold_thirty_posts(client):
    thread = make_thread(replies=34)
    first = html(client.get(f"/threads/{thread.id}"))
    second = html(client.get(f"/threads/{thread.id}?page=2"))
    assert first.count('<article class="post') == 30 and second.count('<article class="post') == 5
    assert "返信 34 です" in second and "返信 34 です" not in first


def test_permalink_redirects_to_the_right_page_and_anchor(client):
    thread = make_thread(replies=31)
    post = db.session.execute(select(Post).filter_by(thread_id=thread.id, position=32)).scalar_one()
    response = client.get(f"/posts/{post.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/threads/{thread.id}?page=2#post-{post.id}")


def test_mayor_starts_a_thread_through_the_form(client, login_as):
    login_as(make_user(Role.MAYOR))
    response = client.post("/themes/policy-proposals/new",
                           data={"title": "生成AIの活用指針", "body": "- 方針\n- 研修", "idempotency_key": "abc"})
    assert response.status_code == 302
    thread = db.session.execute(select(Thread)).scalar_one()
    assert response.headers["Location"].endswith(f"/threads/{thread.id}")
    page = html(client.get(response.headers["Location"]))
    assert "生成AIの活用指針" in page and "<li>方針</li>" in page and "スレッドを作成しました" in page


def test_invalid_thread_keeps_what_was_typed_and_shows_error_beside_field(client, login_as):
    login_as(make_user(Role.MAYOR))
    body = "長い本文を書いたけれど題名を忘れた <script>"
    response = client.post("/themes/policy-proposals/new", data={"title": "", "body": body, "idempotency_key": "k"})
    page = html(response)
    assert response.status_code == 400
    assert 'id="title-error"' in page and "入力してください" in page
    assert "長い本文を書いたけれど題名を忘れた &lt;script&gt;" in page
    assert db.session.execute(select(func.count(Thread.id))).scalar_one() == 0


def test_reply_through_the_form_and_double_submit_creates_one_post(client, login_as):
    thread = make_thread()
    login_as(make_user(Role.COMPANY))
    data = {"body": "弊社の事例をご紹介します。", "idempotency_key": "same-key"}
    first = client.post(f"/threads/{thread.id}/reply", data=data)
    second = client.post(f"/threads/{thread.id}/reply", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.execute(select(func.count(Post.id))).scalar_one() == 2


def test_empty_reply_is_refused_beside_the_field(client, login_as):
    thread = make_thread()
    login_as(make_user(Role.COMPANY))
    response = client.post(f"/threads/{thread.id}/reply", data={"body": "   ", "idempotency_key": "k"})
    assert response.status_code == 400
    assert 'id="body-error"' in html(response)


def test_visitor_sees_log_in_prompt_instead_of_reply_form(client):
    thread = make_thread()
    page = html(client.get(f"/threads/{thread.id}"))
    assert f'action="/threads/{thread.id}/reply"' not in page
    assert "/login?next=" in page


def test_visitor_posting_is_sent_to_log_in(client):
    thread = make_thread()
    response = client.post(f"/threads/{thread.id}/reply", data={"body": "x"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unverified_user_sees_why_they_cannot_post(client, login_as):
    thread = make_thread()
    login_as(make_user(None))
    page = html(client.get(f"/threads/{thread.id}"))
    assert "認証" in page and f'action="/threads/{thread.id}/reply"' not in page


def test_edit_shows_edited_marker_and_history_to_author_only(client, login_as):
    author = make_user(Role.MUNICIPAL_STAFF)
    thread = make_thread(author=author, title="元の題", body="元の本文")
    post = thread.posts[0]
    login_as(author)
    form = html(client.get(f"/posts/{post.id}/edit"))
    assert "元の本文" in form and "元の題" in form
    response = client.post(f"/posts/{post.id}/edit", data={"title": "直した題", "body": "直した本文"})
    assert response.status_code == 302
    page = html(client.get(f"/threads/{thread.id}"))
    assert "直した題" in page and "編集済み" in page and f"/posts/{post.id}/history" in page
    history = html(client.get(f"/posts/{post.id}/history"))
    assert "元の本文" in history and "直した本文" in history

    other = make_user(Role.MAYOR)
    login_as(other)
    page = html(client.get(f"/threads/{thread.id}"))
    assert "編集済み" in page and f"/posts/{post.id}/history" not in page
    assert client.get(f"/posts/{post.id}/history").status_code == 403


def test_secretariat_can_read_edit_history(client, login_as):
    author = make_user(Role.MAYOR)
    post = make_thread(author=author, body="v1").posts[0]
    from educussion.board.services import edit_post
    edit_post(post, actor=author, body="v2")
    login_as(make_user(Role.SECRETARIAT))
    history = html(client.get(f"/posts/{post.id}/history"))
    assert "v1" in history and "v2" in history


def test_edit_with_empty_body_keeps_input_and_changes_nothing(client, login_as):
    author = make_user(Role.MAYOR)
    post = make_thread(author=author, body="元の本文").posts[0]
    login_as(author)
    response = client.post(f"/posts/{post.id}/edit", data={"title": "新しい題", "body": ""})
    assert response.status_code == 400
    assert 'value="新しい題"' in html(response)
    assert db.session.get(Post, post.id).body_source == "元の本文"


def test_friendly_403_page_in_japanese(client, login_as):
    login_as(make_user(Role.COMPANY))
    response = client.get("/themes/infrastructure/new")
    assert response.status_code == 403
    assert "この操作はできません" in html(response)
