"""What happens to a post before anyone sees it: watched words (block, approve, flag, presets) and
pre-moderation, through the board services and read back from the database."""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from educussion.board import services as board_services
from educussion.errors import InvalidInput
from educussion.extensions import db
from educussion.models import (AuditEntry, Notification, NotificationKind, Post, PostRevision, Report, ReportReason,
                               ReportStatus, Role, Thread, User, Visibility, WatchedWord)
from educussion.moderation import policy
from educussion.moderation import services
from educussion.permissions import can_read_post_body, can_view_thread

from .factories import make_post, make_thread, make_user, theme

HERE, ELSEWHERE = "infrastructure", "teacher-training"


@pytest.fixture
def boss(app):
    app.config["SEARCH_DRAIN"] = "worker"  # no test here searches; the outbox keeps the work
    return make_user(Role.SECRETARIAT)


def fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def count(model, **where) -> int:
    return db.session.execute(select(func.count()).select_from(model).filter_by(**where)).scalar_one()


def stored() -> tuple[int, ...]:
    return tuple(count(model) for model in (Thread, Post, PostRevision, Report, AuditEntry, Notification))


def theme_counts(slug: str = HERE) -> tuple[int, int]:
    db.session.expire_all()
    th = theme(slug)
    return th.thread_count, th.post_count


def word(boss: User, pattern: str, action: str, **extra) -> WatchedWord:
    return services.add_watched_word(actor=boss, pattern=pattern, action=action, **extra)


def settings(boss: User, *, roles=(), first_posts=0) -> None:
    services.update_settings(actor=boss, premoderated_roles=list(roles), first_posts_to_approve=first_posts,
                             auto_hide_reports=0)


def moderator(boss: User, role: Role, slug: str) -> User:
    user = make_user(role)
    services.grant_theme_moderator(user, theme(slug), actor=boss, reason="テーマ担当")
    db.session.expire(user)
    return user


# ---------------------------------------------------------------- block

def test_a_blocked_word_refuses_the_post_and_stores_nothing(boss):
    word(boss, "禁止ワード", "block", label="禁止された語")
    thread = make_thread(theme_slug=HERE)
    mayor = make_user(Role.MAYOR)
    before, counts = stored(), theme_counts()
    with pytest.raises(InvalidInput) as error:
        board_services.create_reply(thread, actor=mayor, body="この返信には禁止ワードがあります")
    assert error.value.field == "body" and "禁止された語" in error.value.message
    with pytest.raises(InvalidInput) as error:
        board_services.create_thread(theme(HERE), actor=mayor, title="禁止ワードを含む題", body="本文")
    assert error.value.field == "title"
    with pytest.raises(InvalidInput) as error:
        board_services.create_thread(theme(HERE), actor=mayor, title="普通の題", body="本文に禁止ワード")
    assert error.value.field == "body"
    assert stored() == before and theme_counts() == counts


def test_a_blocked_word_matches_full_width_and_any_case(boss):
    word(boss, "NGword", "block")
    thread = make_thread()
    with pytest.raises(InvalidInput):
        board_services.create_reply(thread, actor=make_user(Role.MAYOR), body="これはＮＧＷＯＲＤです")
    assert count(Post) == 1


def test_an_edit_with_a_blocked_word_leaves_the_post_as_it_was(boss):
    author = make_user(Role.MAYOR)
    post = make_post(make_thread(), author=author, body="元の本文")
    word(boss, "禁止ワード", "block")
    with pytest.raises(InvalidInput) as error:
        board_services.edit_post(post, actor=author, body="禁止ワードに書き換え")
    assert error.value.field == "body"
    post = fresh(Post, post.id)
    assert post.body_source == "元の本文" and len(post.revisions) == 1


def test_a_removed_word_no_longer_applies(boss):
    blocked = word(boss, "禁止ワード", "block")
    services.remove_watched_word(blocked, actor=boss, reason="不要になった")
    post = make_post(make_thread(), author=make_user(Role.MAYOR), body="禁止ワードを含む")
    assert fresh(Post, post.id).status == Visibility.VISIBLE
    assert count(WatchedWord) == 1  # removed, still on record


# ---------------------------------------------------------------- approve

def test_an_approval_word_holds_a_reply_for_its_author_and_moderators_only(boss):
    word(boss, "要確認", "approve")
    thread = make_thread(theme_slug=HERE, replies=1)
    author = make_user(Role.ACADEMIC)
    before = theme_counts()
    post = board_services.create_reply(thread, actor=author, body="この内容は要確認です")
    post = fresh(Post, post.id)
    assert post.status == Visibility.PENDING and "要確認" in post.moderation_reason
    assert post.position == 3 and fresh(Thread, thread.id).last_position == 3
    assert fresh(Thread, thread.id).post_count == 2 and theme_counts() == before
    here_moderator = moderator(boss, Role.MAYOR, HERE)
    assert can_read_post_body(author, post) and can_read_post_body(here_moderator, post)
    assert can_read_post_body(boss, post)
    for reader in (None, AnonymousUserMixin(), make_user(Role.MAYOR), moderator(boss, Role.MAYOR, ELSEWHERE)):
        assert not can_read_post_body(reader, post)
    services.approve_post(post, actor=here_moderator, reason="問題なし")
    post = fresh(Post, post.id)
    assert post.status == Visibility.VISIBLE and can_read_post_body(None, post)
    assert fresh(Thread, thread.id).post_count == 3 and theme_counts() == (before[0], before[1] + 1)
    assert db.session.execute(select(Notification.kind).filter_by(user_id=author.id)).scalars().all() == [
        NotificationKind.POST_APPROVED]


def test_an_approval_word_in_an_opening_post_holds_the_thread(boss):
    word(boss, "要確認", "approve")
    author = make_user(Role.MAYOR)
    thread = board_services.create_thread(theme(HERE), actor=author, title="要確認の題", body="本文")
    thread = fresh(Thread, thread.id)
    assert (thread.status, thread.posts[0].status, thread.post_count) == (Visibility.PENDING,) * 2 + (0,)
    assert theme_counts() == (0, 0)
    assert can_view_thread(author, thread) and can_view_thread(boss, thread)
    assert not can_view_thread(None, thread) and not can_view_thread(make_user(Role.MAYOR), thread)
    services.approve_post(thread.posts[0], actor=boss, reason="問題なし")
    thread = fresh(Thread, thread.id)
    assert (thread.status, thread.post_count) == (Visibility.VISIBLE, 1)
    assert theme_counts() == (1, 1) and can_view_thread(None, thread)


def test_an_edit_with_an_approval_word_sends_a_reply_back_for_approval(boss):
    author = make_user(Role.MAYOR)
    thread = make_thread(author=author, theme_slug=HERE)
    reply = make_post(thread, author=author, body="元の本文")
    word(boss, "要確認", "approve")
    board_services.edit_post(reply, actor=author, body="要確認の内容に変更")
    assert fresh(Post, reply.id).status == Visibility.PENDING
    assert fresh(Thread, thread.id).post_count == 1 and theme_counts() == (1, 1)
    # An opening post stays up (the thread is public already) and is reported for review instead.
    board_services.edit_post(fresh(Thread, thread.id).posts[0], actor=author, body="こちらも要確認")
    assert fresh(Thread, thread.id).posts[0].status == Visibility.VISIBLE
    assert count(Report, post_id=thread.posts[0].id, reason=ReportReason.WATCHED_WORD, reporter_id=None) == 1


# ---------------------------------------------------------------- flag

def test_a_flag_word_publishes_the_post_and_reports_it(boss):
    word(boss, "気になる語", "flag", label="注意語")
    thread = make_thread(theme_slug=HERE)
    post = board_services.create_reply(thread, actor=make_user(Role.COMPANY), body="気になる語を含む返信")
    assert fresh(Post, post.id).status == Visibility.VISIBLE
    assert theme_counts() == (1, 2)
    report = db.session.execute(select(Report).filter_by(post_id=post.id)).scalar_one()
    assert (report.reporter_id, report.reason, report.status, report.details) == (
        None, ReportReason.WATCHED_WORD, ReportStatus.OPEN, "注意語")
    services.dismiss_reports(post, actor=boss, reason="問題なし")  # an automatic report has nobody to tell
    assert fresh(Report, report.id).status == ReportStatus.DISMISSED
    assert count(Notification, kind=NotificationKind.REPORT_DISMISSED) == 0


# ---------------------------------------------------------------- presets

PRESET_CASES = [
    ("phone", "お電話は0952-75-2111まで", True),
    ("phone", "携帯 ０９０－１２３４－５６７８ です", True),
    ("phone", "携帯 090ー1234ー5678 です", True),
    ("phone", "携帯 09012345678", True),
    ("phone", "代表 (0952)75-2111", True),
    ("phone", "代表 0952(75)2111", True),
    ("phone", "03-1234-5678", True),
    ("phone", "2025-04-01 に開催", False),
    ("phone", "確認コード 412074", False),
    ("phone", "条例第3-2-1条", False),
    ("phone", "123456789012", False),
    ("email", "taro.yamada@city.example.lg.jp へ", True),
    ("email", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", True),
    ("email", "@事務局 さん", False),
    ("my_number", "番号は 1234 5678 9012 です", True),
    ("my_number", "123456789012", True),
    ("my_number", "１２３４－５６７８－９０１２", True),
    ("my_number", "1234ー5678ー9012", True),
    ("my_number", "1234 -5678-9012", False),
    ("my_number", "2025-04-01 に開催", False),
    ("my_number", "確認コード 412074", False),
    ("my_number", "法人番号 1234567890123", False),
    ("my_number", "0952-75-2111", False),
]


@pytest.mark.parametrize("key, text, matches", PRESET_CASES, ids=[f"{k}-{t}" for k, t, _ in PRESET_CASES])
def test_presets(boss, key, text, matches):
    services.add_preset(key, actor=boss, action="block", reason="個人情報対策")
    mayor = make_user(Role.MAYOR)
    if matches:
        with pytest.raises(InvalidInput) as error:
            policy.screen(mayor, theme(HERE).id, title=None, body=text, new_post=True)
        assert error.value.field == "body"
    else:
        assert policy.screen(mayor, theme(HERE).id, title=None, body=text, new_post=True).status == Visibility.VISIBLE


def test_a_preset_blocks_a_real_post(boss):
    services.add_preset("phone", actor=boss, action="block")
    thread = make_thread()
    with pytest.raises(InvalidInput):
        board_services.create_reply(thread, actor=make_user(Role.MAYOR), body="連絡先 0952-75-2111")
    assert count(Post) == 1


@pytest.mark.parametrize("pattern, action, is_regex", [
    ("", "block", False), ("   ", "flag", False), ("あ" * 501, "block", False), ("([", "block", True),
    ("x*", "block", True), ("(|a)", "approve", True), ("語", "delete", False)])
def test_a_watched_word_must_make_sense(boss, pattern, action, is_regex):
    before = count(AuditEntry)
    with pytest.raises(InvalidInput) as error:
        word(boss, pattern, action, is_regex=is_regex)
    assert error.value.field == ("action" if action == "delete" else "pattern")
    assert count(WatchedWord) == 0 and count(AuditEntry) == before


# ---------------------------------------------------------------- pre-moderation

def test_premoderated_roles(boss):
    settings(boss, roles=["company"])
    thread = make_thread(theme_slug=HERE)
    company = board_services.create_reply(thread, actor=make_user(Role.COMPANY), body="営業の方の返信")
    mayor = board_services.create_reply(thread, actor=make_user(Role.MAYOR), body="市長の返信")
    assert fresh(Post, company.id).status == Visibility.PENDING
    assert fresh(Post, company.id).moderation_reason
    assert fresh(Post, mayor.id).status == Visibility.VISIBLE
    assert theme_counts() == (1, 2)
    services.approve_post(fresh(Post, company.id), actor=boss, reason="問題なし")
    assert theme_counts() == (1, 3)


def test_the_first_posts_wait_until_approved(boss):
    veteran = make_user(Role.MAYOR)
    thread = make_thread(author=veteran, theme_slug=HERE, replies=2)  # written before the setting
    settings(boss, first_posts=2)
    newcomer = make_user(Role.MAYOR)
    first = board_services.create_reply(thread, actor=newcomer, body="はじめての返信")
    second = board_services.create_reply(thread, actor=newcomer, body="二つ目の返信")
    assert [fresh(Post, p.id).status for p in (first, second)] == [Visibility.PENDING] * 2
    services.approve_post(fresh(Post, first.id), actor=boss, reason="問題なし")
    assert board_services.create_reply(thread, actor=newcomer, body="三つ目").status == Visibility.PENDING
    services.approve_post(fresh(Post, second.id), actor=boss, reason="問題なし")
    assert board_services.create_reply(thread, actor=newcomer, body="四つ目").status == Visibility.VISIBLE
    assert board_services.create_reply(thread, actor=veteran, body="常連の返信").status == Visibility.VISIBLE


def test_the_secretariat_and_theme_moderators_are_never_held(boss):
    settings(boss, roles=["company", "academic", "mayor", "municipal_staff", "secretariat"], first_posts=5)
    word(boss, "要確認", "approve")
    thread = make_thread(author=boss, theme_slug=HERE)
    assert thread.status == Visibility.VISIBLE
    here = moderator(boss, Role.COMPANY, HERE)
    elsewhere = moderator(boss, Role.COMPANY, ELSEWHERE)
    posts = [board_services.create_reply(thread, actor=actor, body="要確認の内容")
             for actor in (fresh(User, boss.id), here)]
    assert [fresh(Post, p.id).status for p in posts] == [Visibility.VISIBLE] * 2
    held = board_services.create_reply(thread, actor=elsewhere, body="別テーマの担当者")
    assert fresh(Post, held.id).status == Visibility.PENDING
    assert theme_counts() == (1, 3)
