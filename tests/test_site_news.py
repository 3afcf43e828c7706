"""The council's news: drafts, publishing, scheduling (a fixed clock), unpublishing, pinning, the list, its
アーカイブ, the Atom feed, and who may do what."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from educussion.dates import TOKYO
from educussion.errors import InvalidInput, PermissionDenied
from educussion.extensions import db
from educussion.models import AuditAction, AuditEntry, NewsEntry, NewsStatus, Role, SiteVersion
from educussion.permissions import can_manage_moderation, can_moderate, can_use_moderation_queue
from educussion.site import clock, services

from .factories import make_thread, make_user

ATOM = "{http://www.w3.org/2005/Atom}"
# 2017年2月6日 10:00 in Japan
MONDAY = datetime(2017, 2, 6, 10, 0, tzinfo=TOKYO)


def html(response) -> str:
    return response.get_data(as_text=True)


def main(response) -> str:
    return html(response).split("<main")[1].split("</main>")[0]


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment.astimezone(timezone.utc)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def now(monkeypatch):
    fixed = Clock(MONDAY)
    monkeypatch.setattr(clock, "now", fixed)
    return fixed


@pytest.fixture
def editor():
    return make_user(Role.SITE_EDITOR, organisation="全国ICT教育首長協議会 事務局", title="広報担当")


def news(actor, title="第1回総会を開催しました", *, publish=True, **fields) -> NewsEntry:
    data = services.NewsData(title=title, category=fields.pop("category", "notice"),
                             body=fields.pop("body", "総会の様子をお知らせします。"), **fields)
    return services.create_news(actor=actor, data=data, publish=publish)


# ---------------------------------------------------------------- publishing and scheduling

def test_a_draft_is_invisible_and_publishing_shows_it_dated_the_japanese_way(client, now, editor):
    entry = news(editor, publish=False)
    assert client.get(f"/news/{entry.id}").status_code == 404
    assert "第1回総会を開催しました" not in html(client.get("/news"))
    services.publish_news(entry, actor=editor)
    page = main(client.get("/news"))
    assert "第1回総会を開催しました" in page and "2017年2月6日" in page
    assert "2017年2月6日" in main(client.get(f"/news/{entry.id}"))
    assert "6 Feb 2017" in main(client.get("/news?lang=en"))


def test_an_entry_scheduled_for_later_is_invisible_until_then(client, now, editor):
    entry = news(editor, "第2回総会のご案内", publish_at=datetime(2017, 2, 10, 9, 0, tzinfo=TOKYO))
    assert entry.status == NewsStatus.PUBLISHED and entry.publish_at > now()
    for url in ("/", "/news", "/news/feed.atom"):
        assert "第2回総会のご案内" not in html(client.get(url)), url
    assert client.get(f"/news/{entry.id}").status_code == 404
    now.moment = datetime(2017, 2, 10, 8, 59, tzinfo=TOKYO).astimezone(timezone.utc)
    assert client.get(f"/news/{entry.id}").status_code == 404
    now.advance(minutes=1)
    for url in ("/", "/news", "/news/feed.atom", f"/news/{entry.id}"):
        assert "第2回総会のご案内" in html(client.get(url)), url


def test_new_marks_the_entries_of_the_last_fourteen_days(client, now, editor):
    news(editor, "先月のお知らせ", publish_at=MONDAY - timedelta(days=15))
    news(editor, "今週のお知らせ", publish_at=MONDAY - timedelta(days=13))
    items = main(client.get("/")).split('<li class="news-list__item')[1:]
    assert "今週のお知らせ" in items[0] and "NEW" in items[0]
    assert "先月のお知らせ" in items[1] and "NEW" not in items[1]


def test_unpublishing_hides_but_keeps_and_publishing_again_restores_the_date(client, now, editor):
    entry = news(editor)
    services.unpublish_news(entry, actor=editor)
    assert client.get(f"/news/{entry.id}").status_code == 404
    assert db.session.get(NewsEntry, entry.id).status == NewsStatus.UNPUBLISHED
    now.advance(days=30)
    services.publish_news(entry, actor=editor)
    assert "2017年2月6日" in main(client.get(f"/news/{entry.id}"))
    with pytest.raises(InvalidInput):
        services.unpublish_news(news(editor, publish=False), actor=editor)


def test_pinned_entries_lead_the_home_page_and_the_list(client, now, editor):
    news(editor, "古いが大事なお知らせ", publish_at=MONDAY - timedelta(days=300), is_pinned=True)
    for n in range(6):
        news(editor, f"お知らせ{n}", publish_at=MONDAY - timedelta(days=n))
    home = main(client.get("/"))
    assert home.index("古いが大事なお知らせ") < home.index("お知らせ0")
    assert home.count('class="news-list__item') == 5 and "お知らせ4" not in home
    assert main(client.get("/news")).index("古いが大事なお知らせ") < main(client.get("/news")).index("お知らせ0")


def test_the_list_is_paginated_filtered_by_category_and_archived_by_year(app, client, now, editor):
    app.config["NEWS_PER_PAGE"] = 3
    for n in range(4):
        news(editor, f"2017年の記事{n}", publish_at=MONDAY - timedelta(days=n))
    news(editor, "2016年の募集", category="call", publish_at=datetime(2016, 12, 31, 23, 30, tzinfo=TOKYO))
    first = main(client.get("/news"))
    assert "2017年の記事0" in first and "2017年の記事3" not in first and 'href="/news?page=2"' in first
    assert "2017年の記事3" in main(client.get("/news?page=2"))
    archive = main(client.get("/news?year=2016"))
    assert "2016年の募集" in archive and "2017年の記事" not in archive  # 23:30 on 31 Dec in Japan is 2016
    assert "2016年（1件）" in first and "2017年（4件）" in first
    calls = main(client.get("/news?category=call"))
    assert "2016年の募集" in calls and "2017年の記事" not in calls
    assert client.get("/news?year=abc&category=nonsense&page=99999999999").status_code == 200


def test_an_entry_links_to_a_thread_and_an_outside_page(client, now, editor):
    thread = make_thread(title="端末更新の費用負担について")
    entry = news(editor, thread_id=thread.id, link_url="https://www.example.jp/kaisai.pdf", link_title="開催案内（PDF）")
    page = main(client.get(f"/news/{entry.id}"))
    assert f'href="/threads/{thread.id}"' in page and "端末更新の費用負担について" in page
    assert 'href="https://www.example.jp/kaisai.pdf"' in page and "開催案内（PDF）" in page


@pytest.mark.parametrize("fields, field", [
    ({"link_url": "javascript:alert(1)"}, "link_url"),
    ({"link_url": "//evil.example/"}, "link_url"),
    ({"thread_id": 999999}, "thread_id"),
    ({"title": "  "}, "title"),
    ({"category": "gossip"}, "category"),
    ({"body": ""}, "body"),
])
def test_the_service_refuses_bad_fields(app, now, editor, fields, field):
    with pytest.raises(InvalidInput) as error:
        news(editor, **{"title": "題名", **fields})
    assert field in [name for name, _message in error.value.problems]


def test_hidden_threads_cannot_be_linked(app, now, editor):
    from educussion.models import Thread, Visibility

    thread = make_thread()
    db.session.get(Thread, thread.id).status = Visibility.HIDDEN
    db.session.commit()
    with pytest.raises(InvalidInput):
        news(editor, thread_id=thread.id)


def test_the_body_goes_through_the_one_sanitizer(client, now, editor):
    entry = news(editor, body='<script>alert(1)</script>\n\n[x](javascript:alert(1)) **太字**')
    page = main(client.get(f"/news/{entry.id}"))
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
    assert 'href="javascript' not in page and "<strong>太字</strong>" in page


# ---------------------------------------------------------------- versions and audit

def test_every_change_keeps_a_version_and_an_audit_entry(client, login_as, now, editor):
    entry = news(editor, publish=False)
    services.edit_news(entry, actor=editor, data=services.NewsData(
        title="第1回総会を開催しました（写真を追加）", category="notice", body="総会の様子をお知らせします。", is_pinned=True))
    services.publish_news(entry, actor=editor)
    services.unpublish_news(entry, actor=editor)
    versions = db.session.execute(select(SiteVersion).filter_by(kind="news", object_id=entry.id)
                                  .order_by(SiteVersion.number)).scalars().all()
    assert [v.number for v in versions] == [1, 2, 3, 4]
    assert [v.fields["status"] for v in versions] == ["draft", "draft", "published", "unpublished"]
    actions = db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    assert actions == [AuditAction.NEWS_CREATED, AuditAction.NEWS_EDITED, AuditAction.NEWS_PINNED,
                       AuditAction.NEWS_PUBLISHED, AuditAction.NEWS_UNPUBLISHED]
    login_as(editor)
    history = main(client.get(f"/site-admin/news/{entry.id}/history"))
    assert "第4版" in history and "（写真を追加）" in history and editor.display_name in history
    assert "状態: 公開停止" in history


def test_saving_without_a_change_keeps_no_new_version(app, now, editor):
    entry = news(editor)
    data = services.NewsData(title=entry.title, category="notice", body=entry.body_source)
    services.edit_news(entry, actor=editor, data=data)
    assert db.session.execute(select(SiteVersion).filter_by(kind="news")).scalars().all()[-1].number == 1


def test_the_audit_log_reads_the_site_changes(client, login_as, now, editor):
    news(editor, publish_at=datetime(2017, 3, 1, 9, 0, tzinfo=TOKYO))
    login_as(make_user(Role.SECRETARIAT))
    page = main(client.get("/secretariat/audit-log"))
    assert "お知らせの公開" in page and "2017年3月1日 9:00に公開予定" in page and "お知らせの作成" in page


# ---------------------------------------------------------------- the editor's pages and permissions

@pytest.mark.parametrize("role, allowed", [
    (None, False), (Role.MAYOR, False), (Role.COMPANY, False), (Role.SITE_EDITOR, True), (Role.SECRETARIAT, True)])
def test_who_may_write_news(client, login_as, now, role, allowed):
    if role is not None:
        login_as(make_user(role))
    response = client.post("/site-admin/news/new", data={"title": "投稿", "category": "notice", "body": "本文",
                                                         "action": "publish"})
    expected = 302 if allowed else (302 if role is None else 403)
    assert response.status_code == expected
    assert (db.session.execute(select(NewsEntry)).first() is not None) == allowed
    if role is None:
        assert "/login" in response.headers["Location"]
    menu = html(client.get("/"))
    assert ("サイト管理" in menu) == allowed


def test_an_unverified_account_cannot_write_news(app, now):
    with pytest.raises(PermissionDenied):
        news(make_user(Role.SITE_EDITOR, verified=False))


def test_the_site_editor_does_not_moderate(app, editor):
    thread = make_thread()
    assert not can_moderate(editor, thread) and not can_use_moderation_queue(editor)
    assert not can_manage_moderation(editor)


def test_the_editor_creates_previews_schedules_and_unpublishes_through_the_forms(client, login_as, now, editor):
    login_as(editor)
    assert client.get("/site-admin").status_code == 200
    form = {"title": "第2回総会のご案内", "category": "event", "body": "**日時**：3月1日", "publish_date": "2017-03-01",
            "publish_time": "09:00", "link_url": "https://www.example.jp/annai.pdf", "link_title": "開催案内"}
    preview = client.post("/site-admin/news/new", data={**form, "action": "preview"})
    page = html(preview)
    assert preview.status_code == 200 and "<strong>日時</strong>：3月1日" in page and "2017年3月1日" in page
    assert 'value="第2回総会のご案内"' in page and db.session.execute(select(NewsEntry)).first() is None
    response = client.post("/site-admin/news/new", data={**form, "action": "publish"})
    assert response.status_code == 302
    entry = db.session.execute(select(NewsEntry)).scalar_one()
    assert entry.publish_at == datetime(2017, 3, 1, 9, 0, tzinfo=TOKYO)
    edit = html(client.get(response.headers["Location"]))
    assert "公開予定" in edit and "2017年3月1日 9:00に公開されます。" in edit and "公開予定を取り消す" in edit
    # the editor sees the saved entry at its public address, with a notice; nobody else does
    assert "まだ公開されていません" in main(client.get(f"/news/{entry.id}"))
    client.post(f"/site-admin/news/{entry.id}/unpublish")
    assert db.session.get(NewsEntry, entry.id).status == NewsStatus.UNPUBLISHED
    assert "再公開する" in html(client.get(f"/site-admin/news/{entry.id}"))


def test_a_failed_save_keeps_everything_typed(client, login_as, now, editor):
    login_as(editor)
    response = client.post("/site-admin/news/new", data={
        "title": "案内", "category": "event", "body": "長い本文" * 10, "thread_id": "999999", "action": "draft"})
    page = html(response)
    assert response.status_code == 400 and "だれでも閲覧できるスレッドはありません" in page
    assert "長い本文長い本文" in page and 'value="999999"' in page
    response = client.post("/site-admin/news/new", data={"title": "案内", "category": "event",
                                                         "publish_date": "2017-13-45", "action": "draft"})
    assert response.status_code == 400 and 'value="案内"' in html(response)


# ---------------------------------------------------------------- the feed

def test_the_feed_carries_public_entries_with_absolute_links(app, client, now, editor):
    app.config["BASE_URL"] = "https://board.example.jp"
    public = news(editor, "公開中のお知らせ")
    news(editor, "下書きのお知らせ", publish=False)
    news(editor, "予約したお知らせ", publish_at=MONDAY + timedelta(days=1))
    response = client.get("/news/feed.atom")
    assert response.content_type == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.data)
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert titles == ["公開中のお知らせ"]
    link = root.find(f"{ATOM}entry/{ATOM}link").get("href")
    assert link == f"https://board.example.jp/news/{public.id}"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "https://board.example.jp/news/feed.atom"
    assert root.find(f"{ATOM}entry/{ATOM}category").get("label") == "お知らせ"
    assert 'href="/news/feed.atom"' in html(client.get("/news"))


def test_the_secretariat_gives_the_site_editor_role_from_the_command_line(app, runner):
    from educussion.permissions import can_edit_site, can_manage_site

    user = make_user(role=None, email="koho@example.jp")
    result = runner.invoke(args=["accounts", "set-role", "koho@example.jp", "site_editor",
                                 "--org", "全国ICT教育首長協議会 事務局", "--title", "広報担当"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    user = db.session.get(type(user), user.id)
    assert user.role == Role.SITE_EDITOR and user.role.label == "広報担当"
    assert can_edit_site(user) and not can_manage_site(user)
