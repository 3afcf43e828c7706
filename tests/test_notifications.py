"""Notifications: who is told of each event (never the actor), following, mentions, unread counts, the grouped
page, e-mail settings (at once / daily / weekly / never), digests, mail headers, one-click unsubscribe."""
from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from educussion.board import services as board_services
from educussion.extensions import db
from educussion.models import (Delivery, Follow, Notification, NotificationKind, NotificationPreference, Post, Role,
                               Thread, User, Visibility)
from educussion.moderation import services as moderation
from educussion.notifications import services as notifications
from educussion.summaries import services as summaries
from educussion.verification import services as verification

from .factories import make_thread, make_user, theme

K = NotificationKind
TITLE = "端末更新の費用負担について"
SUBJECT_PREFIX = "【エデュカッションボード】"
UNSUBSCRIBE_HEADER = re.compile(r"^<(https?://[^>\s]+/unsubscribe/[^>\s]+)>$")
COMPANY_REPLIED = "テスト教育システム株式会社 営業部長 鈴木 花子さんが返信しました"  # a reply names its author
ACADEMIC_REPLIED = "テスト大学 教育学部 教授 佐藤 一郎さんが返信しました"


@pytest.fixture(autouse=True)
def _index_later(app):
    app.config["SEARCH_DRAIN"] = "worker"  # the search index plays no part here


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def kinds(user: User) -> list[tuple[NotificationKind, int | None]]:
    """(kind, post id) of the user's notifications, oldest first."""
    db.session.expire_all()
    return [(n.kind, n.post_id) for n in db.session.execute(
        select(Notification).filter_by(user_id=user.id).order_by(Notification.id)).scalars()]


def unread(user: User) -> int:
    return fresh(User, user.id).unread_notifications


def follow(user: User) -> Follow | None:
    db.session.expire_all()
    return db.session.execute(select(Follow).filter_by(user_id=user.id)).scalar()


def choose(user: User, **choices: Delivery) -> None:
    notifications.save_preferences(user, actor=user, choices={k: v.value for k, v in choices.items()})


def reply(thread: Thread, author: User, body: str = "返信です。") -> Post:
    return board_services.create_reply(fresh(Thread, thread.id), actor=fresh(User, author.id), body=body)


@pytest.fixture
def people(app):
    class People:
        mayor = make_user(Role.MAYOR, email="yamada.taro@city.taku.lg.jp", name="山田 太郎")
        company = make_user(Role.COMPANY, email="suzuki@edu-system.example.jp", name="鈴木 花子")
        academic = make_user(Role.ACADEMIC, email="sato@univ.example.jp", name="佐藤 一郎")
        secretariat = make_user(Role.SECRETARIAT, email="jimukyoku@ict-mayors.example.jp")
    return People


@pytest.fixture
def thread(people) -> Thread:
    return make_thread(author=people.mayor, title=TITLE)


def body_of(message, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None and part.get_content_charset() == "utf-8", subtype
    return part.get_content()


# ---------------------------------------------------------------- events: who is told

def test_a_reply_tells_every_follower_but_the_replier(people, thread):
    first = reply(thread, people.academic)  # the academic follows by replying
    second = reply(thread, people.company)
    assert kinds(people.mayor) == [(K.REPLY, first.id), (K.REPLY, second.id)]
    assert kinds(people.academic) == [(K.REPLY, second.id)]
    assert kinds(people.company) == [] and kinds(people.secretariat) == []
    assert (unread(people.mayor), unread(people.academic), unread(people.company)) == (2, 1, 0)


def test_starting_and_replying_follow_the_thread(people, thread):
    assert follow(people.mayor).thread_id == thread.id and follow(people.mayor).is_active
    assert follow(people.company) is None
    reply(thread, people.company)
    assert follow(people.company).thread_id == thread.id and follow(people.company).is_active


def test_unfollowing_stops_replies_and_replying_again_does_not_follow_again(people, thread, client, login_as):
    reply(thread, people.academic)
    notifications.set_following(fresh(User, people.academic.id), actor=fresh(User, people.academic.id),
                                thread=fresh(Thread, thread.id), on=False)
    reply(thread, people.company)
    reply(thread, people.academic)  # replying again keeps the unfollow
    assert follow(people.academic).is_active is False
    reply(thread, people.company)
    assert kinds(people.academic) == []

    login_as(fresh(User, people.academic.id))  # following again through the button on the thread page
    response = client.post(f"/threads/{thread.id}/follow", data={"on": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/threads/{thread.id}")
    last = reply(thread, people.company)
    assert kinds(people.academic) == [(K.REPLY, last.id)]


def test_someone_else_cannot_change_what_a_member_follows(people, thread):
    with pytest.raises(notifications.PermissionDenied):
        notifications.set_following(people.mayor, actor=people.company, thread=thread, on=False)
    assert follow(people.mayor).is_active


@pytest.mark.parametrize("state", ["hidden", "pending"])
def test_a_thread_that_cannot_be_read_cannot_be_followed(people, client, login_as, state):
    """Following tells of every reply: a hidden or awaiting-approval thread is refused like reading it."""
    if state == "pending":
        moderation.update_settings(actor=people.secretariat, premoderated_roles=["mayor"], first_posts_to_approve=0,
                                   auto_hide_reports=0)
        closed = make_thread(author=people.mayor, title="承認待ちのスレッド")
        assert closed.status == Visibility.PENDING
    else:
        closed = make_thread(author=people.mayor, title="非表示のスレッド")
        moderation.hide_thread(closed, actor=people.secretariat, reason="重複")
    outsider = login_as(fresh(User, people.academic.id))
    assert client.get(f"/threads/{closed.id}").status_code == 404
    assert client.post(f"/threads/{closed.id}/follow", data={"on": "1"}).status_code == 404
    with pytest.raises(notifications.PermissionDenied):
        notifications.set_following(outsider, actor=outsider, thread=fresh(Thread, closed.id), on=True)
    assert follow(people.academic) is None
    login_as(fresh(User, people.secretariat.id))  # a moderator may read it, and so may follow it
    assert client.post(f"/threads/{closed.id}/follow", data={"on": "1"}).status_code == 302
    assert follow(people.secretariat).is_active


def test_following_a_theme_tells_of_its_new_threads_only(people, client, login_as):
    login_as(people.academic)
    response = client.post("/themes/infrastructure/follow", data={"on": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/themes/infrastructure")
    here = make_thread(author=people.mayor, theme_slug="infrastructure", title="校内ネットワークの更新")
    make_thread(author=people.mayor, theme_slug="teacher-training", title="研修の時間の確保")
    reply(here, people.company)  # a reply in the new thread: the academic follows the theme, not the thread
    opening = db.session.execute(select(Post.id).filter_by(thread_id=here.id, position=1)).scalar_one()
    assert kinds(people.academic) == [(K.NEW_THREAD, opening)]
    assert [kind for kind, _ in kinds(people.mayor)] == [K.REPLY]  # the author: no NEW_THREAD for their own

    client.post("/themes/infrastructure/follow", data={"on": "0"})
    make_thread(author=people.mayor, theme_slug="infrastructure")
    assert len(kinds(people.academic)) == 1


def test_a_mention_of_a_verified_member_tells_them_once(people, thread):
    reply(thread, people.academic)  # a follower of the thread, mentioned as well
    assert (people.academic.handle, people.mayor.handle) == ("sato", "yamada_taro")
    post = reply(thread, people.company, "@satoさん、ご意見をお願いします。@SATO 先生にも。@suzuki")
    assert kinds(people.academic) == [(K.MENTION, post.id)]  # a mention, not also a reply
    assert kinds(people.mayor)[-1] == (K.REPLY, post.id)
    assert kinds(people.company) == []  # mentioning oneself tells nobody


def test_a_mention_in_a_new_thread_of_a_non_follower(people):
    staff = make_user(Role.MUNICIPAL_STAFF, email="kato@city.taku.lg.jp")
    thread = make_thread(author=staff, title="ご相談", body="市長（@yamada_taro）、共同調達についてご意見ください。")
    opening = db.session.execute(select(Post.id).filter_by(thread_id=thread.id, position=1)).scalar_one()
    assert kinds(people.mayor) == [(K.MENTION, opening)] and kinds(staff) == []


@pytest.mark.parametrize("body", ["@satoさん、ご意見をお願いします。", "ご意見を@sato先生に伺いたいです。",
                                  "＠ｓａｔｏではなく＠sato 先生へ", "Dear @Sato,"])
def test_a_mention_written_the_japanese_way(people, thread, body):
    """Japanese has no spaces around words, and a full-width ＠ is what many keyboards type."""
    post = reply(thread, people.company, body)
    assert kinds(people.academic) == [(K.MENTION, post.id)]


def test_no_mention_for_unverified_members_unknown_handles_or_mail_addresses(people, thread):
    unverified = make_user(None, email="tanaka@example.jp")
    reply(thread, people.company, "@tanaka さん、@nobody さん。連絡先は sato@univ.example.jp、@sato.jp です。")
    assert kinds(unverified) == [] and kinds(people.academic) == []


def test_a_mention_in_a_pending_post_tells_nobody_until_it_is_approved(people, thread):
    moderation.update_settings(actor=people.secretariat, premoderated_roles=["company"], first_posts_to_approve=0,
                               auto_hide_reports=0, reason="企業の投稿は承認制")
    post = reply(thread, people.company, "@sato 先生のご意見を伺いたいです。")
    assert post.status == Visibility.PENDING
    assert kinds(people.academic) == [] and kinds(people.mayor) == []

    moderation.approve_post(fresh(Post, post.id), actor=fresh(User, people.secretariat.id), reason="問題なし")
    assert kinds(people.academic) == [(K.MENTION, post.id)]
    assert kinds(people.mayor) == [(K.REPLY, post.id)]
    assert kinds(people.company) == [(K.POST_APPROVED, post.id)]
    assert kinds(people.secretariat) == []


def test_verification_decisions_are_notified_in_the_app(people, mails):
    def request_for(user):
        return verification.submit_request(user, actor=user, data=verification.RequestData(
            role=Role.MAYOR, municipality_code="412040", phone="0952-00-0000"))

    approved, rejected = make_user(None, email="new.mayor@example.jp"), make_user(None, email="other@example.jp")
    verification.approve_request(request_for(approved), actor=people.secretariat)
    verification.reject_request(request_for(rejected), actor=people.secretariat, reason="証明書類が読み取れません")
    assert kinds(approved) == [(K.VERIFICATION_APPROVED, None)] and unread(approved) == 1
    assert kinds(rejected) == [(K.VERIFICATION_REJECTED, None)] and unread(rejected) == 1
    note = db.session.execute(select(Notification).filter_by(user_id=rejected.id)).scalar_one()
    assert note.reason == "証明書類が読み取れません"
    assert kinds(people.secretariat) == []
    # The decision has its own mail; the notification adds none.
    assert len(mails.to(approved.email)) == 1 and len(mails.to(rejected.email)) == 1


def test_a_conclusion_by_the_secretariat_tells_the_thread_author(people, thread):
    reply(thread, people.company)
    summaries.save_summary(fresh(Thread, thread.id), actor=people.secretariat, outcome="resolved",
                           conclusion="共同調達で単価を下げる方針で一致しました。")
    assert kinds(people.mayor)[-1] == (K.CONCLUSION_ADDED, None)
    note = db.session.execute(
        select(Notification).filter_by(user_id=people.mayor.id, kind=K.CONCLUSION_ADDED)).scalar_one()
    assert note.thread_id == thread.id
    assert K.CONCLUSION_ADDED not in [kind for kind, _ in kinds(people.company)]
    assert kinds(people.secretariat) == []


def test_moderation_tells_the_author_and_not_the_moderator(people, thread):
    post = reply(thread, people.company)
    moderation.hide_post(fresh(Post, post.id), actor=people.secretariat, reason="個人情報を含むため")
    assert kinds(people.company) == [(K.POST_HIDDEN, post.id)] and kinds(people.secretariat) == []


# ---------------------------------------------------------------- the header badge and the page

def test_the_header_shows_the_unread_count(people, thread, client, login_as):
    reply(thread, people.company)
    reply(thread, people.academic)
    login_as(fresh(User, people.mayor.id))
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'通知 <span class="count-badge">2<span class="visually-hidden"> 件の未読</span>', page)
    assert client.post("/notifications/read-all").status_code == 302
    assert unread(people.mayor) == 0
    assert "count-badge" not in client.get("/").get_data(as_text=True)


def test_unread_replies_of_one_thread_are_one_item_and_read_together(people, thread, client, login_as):
    posts = [reply(thread, people.company, f"返信 {n} です。") for n in range(3)]
    other = make_thread(author=people.mayor, title="別のスレッド")
    other_reply = reply(other, people.academic)
    login_as(fresh(User, people.mayor.id))
    page = client.get("/notifications").get_data(as_text=True)
    items = re.findall(r'<li class="notification[^"]*">.*?</li>', page, re.S)
    assert len(items) == 2
    assert f'<a href="/posts/{other_reply.id}">{ACADEMIC_REPLIED} — 別のスレッド</a>' in items[0]  # the replier
    grouped = items[1]
    assert f'<a href="/posts/{posts[0].id}">3件の新しい返信 — {TITLE}</a>' in grouped
    ids = sorted(int(i) for i in re.findall(r'name="id" value="(\d+)"', grouped))
    assert len(ids) == 3

    response = client.post("/notifications/read", data={"id": ids, "next": "/notifications"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications")
    db.session.expire_all()
    read = db.session.execute(select(Notification.post_id).where(Notification.user_id == people.mayor.id,
                                                                 Notification.read_at.is_not(None))).scalars()
    assert sorted(read) == [p.id for p in posts]
    assert unread(people.mayor) == 1
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count('class="notification notification--unread"') == 1
    assert page.count(f"{COMPANY_REPLIED} — {TITLE}") == 3  # read replies are listed one by one again


def test_marking_someone_elses_notifications_does_nothing(people, thread, client, login_as):
    reply(thread, people.company)
    note_id = db.session.execute(select(Notification.id).filter_by(user_id=people.mayor.id)).scalar_one()
    login_as(people.academic)
    client.post("/notifications/read", data={"id": [note_id]})
    assert fresh(Notification, note_id).read_at is None and unread(people.mayor) == 1


# ---------------------------------------------------------------- settings and delivery

def test_the_settings_page_saves_the_choices(people, client, login_as):
    login_as(people.mayor)
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert '<option value="immediately" selected>すぐに送る</option>' in page
    assert "@yamada_taro" in page
    choices = {topic: "immediately" for topic in notifications.DEFAULTS}
    choices.update(replies="daily", new_threads="never", reports="weekly")
    response = client.post("/settings/notifications", data=choices)
    assert response.status_code == 302
    assert notifications.preferences(fresh(User, people.mayor.id)) == {
        topic: Delivery(value) for topic, value in choices.items()}
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert re.search(r'name="replies">.*?<option value="daily" selected>', page, re.S)
    assert "通知の設定を保存しました。" in page


def test_the_settings_page_refuses_an_unknown_choice(people, client, login_as):
    login_as(people.mayor)
    response = client.post("/settings/notifications",
                           data={**{topic: "immediately" for topic in notifications.DEFAULTS}, "replies": "hourly"})
    assert response.status_code == 400
    assert db.session.execute(select(NotificationPreference)).first() is None


def test_at_once_sends_one_mail_at_once(people, thread, mails):
    reply(thread, people.company, "弊社では共同調達をおすすめしています。")
    (sent,) = mails.to(people.mayor.email)
    assert sent["subject"] == f"{SUBJECT_PREFIX}{COMPANY_REPLIED} — {TITLE}"
    assert "弊社では共同調達をおすすめしています。" in sent["body"]
    assert notifications.send_digests(Delivery.DAILY) == 0 and notifications.send_digests(Delivery.WEEKLY) == 0
    assert len(mails) == 1


def test_the_daily_digest_lists_the_posts_by_theme_once(people, thread, mails):
    choose(people.mayor, replies=Delivery.DAILY)
    other = make_thread(author=people.mayor, theme_slug="teacher-training", title="研修の時間の確保")
    first = reply(thread, people.company, "弊社では共同調達をおすすめしています。")
    second = reply(other, people.academic, "放課後の30分を研修に充てている例があります。")
    assert len(mails) == 0
    assert notifications.send_digests(Delivery.WEEKLY) == 0 and len(mails) == 0

    assert notifications.send_digests(Delivery.DAILY) == 1
    (digest,) = mails.to(people.mayor.email)
    assert digest["subject"] == f"{SUBJECT_PREFIX}毎日のまとめ（2件）"
    body = digest["body"]
    infrastructure, training = theme("infrastructure").name, theme("teacher-training").name
    assert f"■ {infrastructure}" in body and f"■ {training}" in body
    assert body.index(f"■ {infrastructure}") < body.index(f"{COMPANY_REPLIED} — {TITLE}") < body.index(f"■ {training}")
    assert body.index(f"■ {training}") < body.index(f"{ACADEMIC_REPLIED} — 研修の時間の確保")
    assert "弊社では共同調達をおすすめしています。" in body and "放課後の30分を研修に充てている例があります。" in body
    for post in (first, second):
        assert re.search(rf"^  https?://\S+/posts/{post.id}$", body, re.M)
    html = body_of(digest["message"], "html")
    assert f"<h2 style=\"font-size: 1.1em;\">{infrastructure}</h2>" in html and f"/posts/{first.id}\"" in html

    assert notifications.send_digests(Delivery.DAILY) == 0  # idempotent
    assert len(mails) == 1
    third = reply(thread, people.academic, "三件目です。")
    assert notifications.send_digests(Delivery.DAILY) == 1
    latest = mails.to(people.mayor.email)[-1]
    assert latest["subject"].endswith("（1件）") and f"/posts/{third.id}" in latest["body"]
    assert f"/posts/{first.id}" not in latest["body"]


def test_the_weekly_digest_carries_new_threads_by_default(people, mails, client, login_as):
    login_as(people.academic)
    client.post("/themes/infrastructure/follow", data={"on": "1"})
    make_thread(author=people.mayor, title="校内ネットワークの更新", body="更新の時期を相談させてください。")
    assert mails.to(people.academic.email) == []
    assert notifications.send_digests(Delivery.DAILY) == 0
    assert notifications.send_digests(Delivery.WEEKLY) == 1
    (digest,) = mails.to(people.academic.email)
    assert digest["subject"] == f"{SUBJECT_PREFIX}毎週のまとめ（1件）"
    assert "フォロー中のテーマに新しいスレッド — 校内ネットワークの更新" in digest["body"]
    assert "更新の時期を相談させてください。" in digest["body"]
    assert notifications.send_digests(Delivery.WEEKLY) == 0 and len(mails) == 1


def test_never_sends_no_mail_but_keeps_the_notification(people, thread, mails):
    choose(people.mayor, replies=Delivery.NEVER)
    post = reply(thread, people.company)
    assert kinds(people.mayor) == [(K.REPLY, post.id)] and unread(people.mayor) == 1
    for frequency in (Delivery.DAILY, Delivery.WEEKLY):
        assert notifications.send_digests(frequency) == 0
    assert len(mails) == 0


def test_choosing_a_digest_later_does_not_mail_what_came_under_never(people, thread, mails):
    choose(people.mayor, replies=Delivery.NEVER)
    reply(thread, people.company, body="古い返信")
    choose(fresh(User, people.mayor.id), replies=Delivery.DAILY)
    assert notifications.send_digests(Delivery.DAILY) == 0
    reply(thread, people.company, body="新しい返信")
    assert notifications.send_digests(Delivery.DAILY) == 1
    assert len(mails) == 1


def test_no_mail_to_an_unconfirmed_address(people, thread, mails):
    unconfirmed = make_user(Role.MUNICIPAL_STAFF, confirmed=False)
    reply(thread, unconfirmed)
    reply(thread, people.company)
    assert kinds(unconfirmed)[-1][0] == K.REPLY
    assert mails.to(unconfirmed.email) == []
    notifications.send_digests(Delivery.DAILY)
    assert mails.to(unconfirmed.email) == []


def test_a_digest_skips_what_was_hidden_since(people, thread, mails):
    choose(people.mayor, replies=Delivery.DAILY)
    kept = reply(thread, people.company, "残る返信です。")
    hidden = reply(thread, people.academic, "連絡先は090-0000-0000です。")
    moderation.hide_post(fresh(Post, hidden.id), actor=people.secretariat, reason="個人情報")
    assert notifications.send_digests(Delivery.DAILY) == 1
    (digest,) = mails.to(people.mayor.email)
    assert "残る返信です。" in digest["body"] and f"/posts/{kept.id}" in digest["body"]
    assert "090-0000-0000" not in digest["body"] and f"/posts/{hidden.id}" not in digest["body"]
    assert "090-0000-0000" not in body_of(digest["message"], "html")

    only = reply(thread, people.academic, "これも非表示になります 080-1111-1111")
    moderation.hide_post(fresh(Post, only.id), actor=people.secretariat, reason="個人情報")
    assert notifications.send_digests(Delivery.DAILY) == 0
    assert len(mails.to(people.mayor.email)) == 1


def test_a_digest_skips_replies_in_a_thread_hidden_since(people, thread, mails):
    choose(people.academic, replies=Delivery.DAILY)
    reply(thread, people.academic)
    reply(thread, people.company, "スレッドごと非表示になる返信")
    moderation.hide_thread(fresh(Thread, thread.id), actor=people.secretariat, reason="重複")
    assert notifications.send_digests(Delivery.DAILY) == 0
    assert mails.to(people.academic.email) == []


def test_the_author_still_learns_in_the_digest_that_a_post_was_hidden(people, thread, mails):
    """A digest of the member's own news says a post was hidden, without quoting the hidden text."""
    choose(people.company, my_content=Delivery.DAILY)
    post = reply(thread, people.company, "秘密の電話番号 090-2222-2222")
    moderation.hide_post(fresh(Post, post.id), actor=people.secretariat, reason="個人情報")
    assert mails.to(people.company.email) == []
    assert notifications.send_digests(Delivery.DAILY) == 1
    (digest,) = mails.to(people.company.email)
    assert f"「{TITLE}」へのご投稿を、事務局が非表示にしました。" in digest["body"]
    assert "090-2222-2222" not in digest["body"] and "090-2222-2222" not in body_of(digest["message"], "html")


def test_a_hidden_thread_title_is_not_shown_to_followers(people, thread, client, login_as):
    reply(thread, people.academic)
    reply(thread, people.company)
    moderation.hide_thread(fresh(Thread, thread.id), actor=people.secretariat, reason="重複")
    login_as(fresh(User, people.academic.id))
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count("<li class=\"notification") == 1 and TITLE not in page
    login_as(fresh(User, people.mayor.id))  # the author is told their thread was hidden, by its title
    assert f"「{TITLE}」" in client.get("/notifications").get_data(as_text=True)


# ---------------------------------------------------------------- the mail itself

def test_a_notification_mail_has_headers_parts_and_links(people, thread, mails):
    reply(thread, people.company, "返信の本文です。")
    (raw,) = mails.raw()
    headers = raw.split(b"\n\n", 1)[0].decode("ascii")  # every header is ASCII
    subject = re.search(r"^Subject:(.*(?:\n[ \t].*)*)", headers, re.M).group(1)
    assert "=?utf-8?" in subject.lower()
    subject = str(make_header(decode_header(subject.replace("\n", ""))))
    assert subject == f"{SUBJECT_PREFIX}{COMPANY_REPLIED} — {TITLE}"
    # List-Unsubscribe is a plain <URL> on the wire: mail programs don't decode encoded words there.
    unfolded = re.sub(r"\r?\n[ \t]+", " ", headers)
    raw_unsubscribe = re.search(r"^List-Unsubscribe: (.*)$", unfolded, re.M).group(1).strip()
    assert UNSUBSCRIBE_HEADER.match(raw_unsubscribe), raw_unsubscribe
    assert re.search(r"^List-Unsubscribe-Post: List-Unsubscribe=One-Click$", unfolded, re.M)

    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == f"{SUBJECT_PREFIX}{COMPANY_REPLIED} — {TITLE}"
    assert message["To"] == people.mayor.email
    assert message.get_content_type() == "multipart/alternative"
    unsubscribe_url = UNSUBSCRIBE_HEADER.match(str(message["List-Unsubscribe"])).group(1)
    for subtype in ("plain", "html"):
        content = body_of(message, subtype)
        assert unsubscribe_url in content and re.search(r"https?://\S+/settings/notifications", content)
        assert "山田 太郎" in content and "返信の本文です。" in content


def test_a_digest_mail_has_the_same_headers_and_links(people, thread, mails):
    choose(people.mayor, replies=Delivery.WEEKLY)
    reply(thread, people.company)
    notifications.send_digests(Delivery.WEEKLY)
    (message,) = mails.messages()
    assert message["Subject"] == f"{SUBJECT_PREFIX}毎週のまとめ（1件）"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = UNSUBSCRIBE_HEADER.match(str(message["List-Unsubscribe"])).group(1)
    for subtype in ("plain", "html"):
        content = body_of(message, subtype)
        assert unsubscribe_url in content and "/settings/notifications" in content


# ---------------------------------------------------------------- unsubscribe

def unsubscribe_path(mails, address: str) -> str:
    url = UNSUBSCRIBE_HEADER.match(str(mails.to(address)[-1]["message"]["List-Unsubscribe"])).group(1)
    return "/unsubscribe/" + url.rsplit("/unsubscribe/", 1)[1]


def test_unsubscribe_asks_first_then_stops_that_topic_in_one_click(app, people, thread, client, mails):
    reply(thread, people.company)
    path = unsubscribe_path(mails, people.mayor.email)
    app.config["WTF_CSRF_ENABLED"] = True

    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "フォロー中のスレッドへの返信" in text and people.mayor.email in text and 'method="post"' in text
    assert notifications.preferences(fresh(User, people.mayor.id))["replies"] == Delivery.IMMEDIATELY

    assert client.post("/login", data={"email": people.mayor.email}).status_code == 400  # CSRF is on elsewhere
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})  # no login, no CSRF token (RFC 8058)
    assert done.status_code == 200 and "送信を停止しました" in done.get_data(as_text=True)
    chosen = notifications.preferences(fresh(User, people.mayor.id))
    assert chosen["replies"] == Delivery.NEVER and chosen["mentions"] == Delivery.IMMEDIATELY

    before = len(mails)
    reply(thread, people.company)
    assert len(mails) == before and kinds(people.mayor)[-1][0] == K.REPLY


def test_the_digest_link_stops_every_topic(people, thread, client, mails):
    choose(people.mayor, replies=Delivery.DAILY)
    reply(thread, people.company)
    notifications.send_digests(Delivery.DAILY)
    assert client.post(unsubscribe_path(mails, people.mayor.email)).status_code == 200
    assert set(notifications.preferences(fresh(User, people.mayor.id)).values()) == {Delivery.NEVER}


def test_a_tampered_unsubscribe_link_is_not_found(people, thread, client, mails):
    reply(thread, people.company)
    path = unsubscribe_path(mails, people.mayor.email)
    tampered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    forged = "/unsubscribe/" + notifications.URLSafeSerializer("not-the-secret", salt=notifications.UNSUBSCRIBE_SALT
                                                               ).dumps([people.mayor.id, "replies"])
    for bad in (tampered, forged, "/unsubscribe/nonsense"):
        assert client.get(bad).status_code == 404
        assert client.post(bad).status_code == 404
    assert notifications.preferences(fresh(User, people.mayor.id))["replies"] == Delivery.IMMEDIATELY


# ---------------------------------------------------------------- CLI and handles

def test_the_digest_command(people, thread, runner, mails):
    choose(people.mayor, replies=Delivery.DAILY)
    reply(thread, people.company)
    result = runner.invoke(args=["notify", "send-digests", "--daily"])
    assert result.exit_code == 0 and "1 daily digests sent." in result.output
    assert len(mails.to(people.mayor.email)) == 1
    again = runner.invoke(args=["notify", "send-digests", "--daily"])
    assert again.exit_code == 0 and "0 daily digests sent." in again.output
    assert runner.invoke(args=["notify", "send-digests"]).exit_code != 0


def test_handles_are_unique_and_ascii(app):
    first = make_user(Role.MAYOR, email="Yamada.Taro@city.taku.lg.jp")
    second = make_user(Role.COMPANY, email="yamada.taro@edu-system.example.jp")
    third = make_user(Role.ACADEMIC, email="yamada-taro@univ.example.jp")
    assert (first.handle, second.handle, third.handle) == ("yamada_taro", "yamada_taro2", "yamada_taro3")
    assert len({first.handle, second.handle, third.handle}) == 3
