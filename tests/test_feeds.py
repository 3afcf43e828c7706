"""Atom feeds: well-formed RFC 4287, public content only, escaped HTML, linked from the pages, constant SQL."""
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from educussion.board import services as board_services
from educussion.extensions import db
from educussion.models import Post, Role, Thread, User, Visibility
from educussion.moderation import services as moderation

from .factories import make_post, make_thread, make_user

ATOM = "{http://www.w3.org/2005/Atom}"
XML_NS = "{http://www.w3.org/XML/1998/namespace}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _reload(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def _date(text: str) -> datetime:
    assert RFC3339.match(text or ""), text
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert moment.utcoffset() is not None
    return moment


def _one(parent, name: str):
    found = parent.findall(ATOM + name)
    assert len(found) == 1, (name, len(found))
    return found[0]


def _check_person(person) -> None:
    assert (_one(person, "name").text or "").strip()


def _check_entry(entry, feed_has_author: bool) -> None:
    assert urlsplit(_one(entry, "id").text).scheme in ("http", "https", "tag")
    assert (_one(entry, "title").text or "").strip()
    _date(_one(entry, "updated").text)
    for published in entry.findall(ATOM + "published"):
        assert _date(published.text) <= _date(_one(entry, "updated").text)
    authors = entry.findall(ATOM + "author")
    assert authors or feed_has_author
    for author in authors:
        _check_person(author)
    alternates = [link for link in entry.findall(ATOM + "link") if link.get("rel", "alternate") == "alternate"]
    assert len(alternates) <= 1 and (alternates or entry.find(ATOM + "content") is not None)
    for content in entry.findall(ATOM + "content"):
        assert content.get("type") in (None, "text", "html", "xhtml")


def _check_atom(root) -> None:
    """What RFC 4287 asks of a feed that ElementTree can see."""
    assert root.tag == ATOM + "feed"
    assert urlsplit(_one(root, "id").text).scheme in ("http", "https", "tag")
    assert (_one(root, "title").text or "").strip()
    updated = _date(_one(root, "updated").text)
    links = root.findall(ATOM + "link")
    assert len([link for link in links if link.get("rel") == "self"]) == 1
    assert len([link for link in links if link.get("rel", "alternate") == "alternate"]) == 1
    feed_authors = root.findall(ATOM + "author")
    for author in feed_authors:
        _check_person(author)
    entries = root.findall(ATOM + "entry")
    for entry in entries:
        _check_entry(entry, bool(feed_authors))
        assert _date(_one(entry, "updated").text) <= updated
    keys = [(_one(e, "id").text, _one(e, "updated").text) for e in entries]
    assert len(keys) == len(set(keys))  # no two entries with the same id and updated


def _feed(client, url: str, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(response.data)
    _check_atom(root)
    return root


def _entries(root) -> list[dict]:
    return [
        {
            "id": _one(e, "id").text,
            "title": _one(e, "title").text,
            "updated": _date(_one(e, "updated").text),
            "author": _one(_one(e, "author"), "name").text,
            "content": _one(e, "content").text,
            "link": _one(e, "link").get("href"),
        }
        for e in root.findall(ATOM + "entry")
    ]


def _all_text(root) -> str:
    return "".join(root.itertext()) + " ".join(str(el.attrib) for el in root.iter())


def _feeds_of(client, thread_id: int, slug: str = "infrastructure") -> list[str]:
    return [_all_text(_feed(client, url))
            for url in ("/feeds/board.atom", f"/themes/{slug}/feed.atom", f"/threads/{thread_id}/feed.atom")]


def test_board_feed_lists_visible_posts_newest_first(client):
    mayor = make_user(Role.MAYOR, name="山田 太郎")
    thread = make_thread(author=mayor, title="端末の更新費用", body="**費用負担**について伺います。")
    reply = make_post(thread, author=make_user(Role.COMPANY, name="営業 花子"), body="弊社の事例をご紹介します。")

    root = _feed(client, "/feeds/board.atom")
    assert root.get(XML_NS + "lang") == "ja"
    assert root.get(XML_NS + "base") == "http://localhost/"  # relative links in post bodies resolve
    entries = _entries(root)
    assert [e["id"] for e in entries] == [f"http://localhost/posts/{reply.id}",
                                          f"http://localhost/posts/{thread.posts[0].id}"]
    assert all(e["link"] == e["id"] for e in entries)
    newest, opening = entries
    assert opening["title"] == "端末の更新費用"
    assert "端末の更新費用" in newest["title"] and newest["title"] != "端末の更新費用"
    assert opening["content"] == "<p><strong>費用負担</strong>について伺います。</p>"
    assert newest["content"] == "<p>弊社の事例をご紹介します。</p>"
    assert "山田 太郎" in opening["author"] and "多久市長" in opening["author"]
    assert "営業 花子" in newest["author"] and "テスト教育システム株式会社 営業部長" in newest["author"]
    assert _date(_one(root, "updated").text) == newest["updated"]
    categories = root.findall(f"{ATOM}entry/{ATOM}category")
    assert {c.get("term") for c in categories} == {"infrastructure"}
    self_link = [link for link in root.findall(ATOM + "link") if link.get("rel") == "self"][0]
    assert self_link.get("href") == "http://localhost/feeds/board.atom"


def test_an_edited_post_is_updated_at_its_edit(client):
    author = make_user(Role.MAYOR)
    thread = make_thread(author=author)
    post = board_services.edit_post(thread.posts[0], actor=author, body="書き直しました。")
    entry = _entries(_feed(client, f"/threads/{thread.id}/feed.atom"))[0]
    assert entry["content"] == "<p>書き直しました。</p>"
    assert post.edited_at is not None and entry["updated"] == post.edited_at.replace(microsecond=0)


def test_feeds_hold_the_newest_thirty(client):
    thread = make_thread(replies=31)
    for url in ("/feeds/board.atom", f"/threads/{thread.id}/feed.atom"):
        entries = _entries(_feed(client, url))
        assert len(entries) == 30
        assert entries[-1]["id"].endswith(f"/posts/{thread.posts[2].id}")  # the opening post and reply 1 fall off
        assert entries[0]["id"].endswith(f"/posts/{thread.posts[-1].id}")


def test_theme_feed_holds_the_themes_threads_as_their_opening_posts(client):
    older = make_thread(theme_slug="infrastructure", title="古いスレッド", body="古い本文", replies=2)
    newer = make_thread(theme_slug="infrastructure", title="新しいスレッド", body="新しい本文")
    elsewhere = make_thread(theme_slug="teacher-training", title="別テーマのスレッド")
    entries = _entries(_feed(client, "/themes/infrastructure/feed.atom"))
    assert [e["title"] for e in entries] == ["新しいスレッド", "古いスレッド"]
    assert [e["id"] for e in entries] == [f"http://localhost/posts/{newer.posts[0].id}",
                                          f"http://localhost/posts/{older.posts[0].id}"]
    assert entries[1]["content"] == "<p>古い本文</p>"  # the opening post, not the replies
    assert "別テーマのスレッド" not in _all_text(_feed(client, "/themes/infrastructure/feed.atom"))
    assert [e["title"] for e in _entries(_feed(client, "/themes/teacher-training/feed.atom"))] == [elsewhere.title]


def test_empty_feeds_are_still_valid(client):
    root = _feed(client, "/themes/infrastructure/feed.atom")
    assert root.findall(ATOM + "entry") == []
    assert _feed(client, "/feeds/board.atom").findall(ATOM + "entry") == []


def test_thread_feed_holds_only_that_thread(client):
    thread = make_thread(title="対象のスレッド", replies=2)
    make_thread(title="ほかのスレッド", body="ほかの本文")
    text = _all_text(_feed(client, f"/threads/{thread.id}/feed.atom"))
    assert "返信 1 です。" in text and "返信 2 です。" in text
    assert "ほかの本文" not in text and "ほかのスレッド" not in text


@pytest.mark.parametrize("url", ["/themes/no-such-theme/feed.atom", "/threads/999999/feed.atom"])
def test_unknown_theme_or_thread_is_404(client, url):
    assert client.get(url).status_code == 404


def test_hidden_pending_and_rejected_posts_never_appear(client, login_as):
    secretariat = make_user(Role.SECRETARIAT)
    thread = make_thread(title="公開のスレッド")
    hidden = make_post(thread, body="非表示にされた返信です。")
    moderation.hide_post(hidden, actor=secretariat, reason="個人情報のため")
    moderation.update_settings(actor=secretariat, premoderated_roles=["company"], first_posts_to_approve=0,
                               auto_hide_reports=0)
    company = make_user(Role.COMPANY)
    pending = make_post(thread, author=company, body="承認待ちの返信です。")
    rejected = make_post(thread, author=company, body="却下された返信です。")
    assert pending.status == rejected.status == Visibility.PENDING
    moderation.reject_post(rejected, actor=secretariat, reason="宣伝のため")
    make_post(thread, author=make_user(Role.ACADEMIC), body="公開の返信です。")

    login_as(_reload(User, company.id))  # the feed is the public's view, even for the author
    for text in _feeds_of(client, thread.id):
        assert "公開のスレッド" in text
        for secret in ("非表示にされた返信です。", "承認待ちの返信です。", "却下された返信です。", "個人情報のため"):
            assert secret not in text
    assert "公開の返信です。" in _all_text(_feed(client, f"/threads/{thread.id}/feed.atom"))


def test_hidden_and_pending_threads_have_no_feed_and_leave_the_others(client, login_as):
    secretariat = make_user(Role.SECRETARIAT)
    author = make_user(Role.MAYOR)
    hidden = make_thread(author=author, title="非表示のスレッド", body="非表示スレッドの本文", replies=1)
    moderation.hide_thread(hidden, actor=secretariat, reason="テーマと無関係のため")
    moderation.update_settings(actor=secretariat, premoderated_roles=["mayor"], first_posts_to_approve=0,
                               auto_hide_reports=0)
    pending = make_thread(author=author, title="承認待ちのスレッド", body="承認待ちスレッドの本文")
    assert _reload(Thread, pending.id).status == Visibility.PENDING
    public = make_thread(author=secretariat, title="公開のスレッド")

    login_as(_reload(User, author.id))
    for thread_id in (hidden.id, pending.id):
        assert client.get(f"/threads/{thread_id}/feed.atom").status_code == 404
    for text in _feeds_of(client, public.id):
        for secret in ("非表示のスレッド", "非表示スレッドの本文", "返信 1 です。", "承認待ちのスレッド", "承認待ちスレッドの本文"):
            assert secret not in text


def test_html_in_posts_and_titles_is_escaped(client):
    author = make_user(Role.MAYOR, name="<b>太郎</b> & 花子")
    thread = make_thread(author=author, title="<script>alert('title')</script> & 質問",
                         body="<script>alert('body')</script>\n\n[リンク](/threads/1) **強調**")
    make_post(thread, body="<img src=x onerror=alert(1)> 返信")
    for url in ("/feeds/board.atom", "/themes/infrastructure/feed.atom", f"/threads/{thread.id}/feed.atom"):
        response = client.get(url)
        assert b"<script" not in response.data and b"<img" not in response.data and b"<b>" not in response.data
        assert b"<strong>" not in response.data  # body HTML travels as escaped text
        root = _feed(client, url)
        opening = [e for e in _entries(root) if e["id"].endswith(f"/posts/{thread.posts[0].id}")][0]
        assert opening["title"] == "<script>alert('title')</script> & 質問"
        assert opening["author"].startswith("<b>太郎</b> & 花子")
        # Once unescaped by the reader, the content is the sanitised HTML: the script is text, the link stays.
        assert "<script" not in opening["content"] and "&lt;script&gt;" in opening["content"]
        assert '<a href="/threads/1"' in opening["content"] and "<strong>強調</strong>" in opening["content"]


def test_characters_xml_cannot_carry_are_dropped(client):
    thread = make_thread(author=make_user(Role.MAYOR, name="制御\x01文字"), title="タイトル\x08です")
    entry = _entries(_feed(client, f"/threads/{thread.id}/feed.atom"))[0]
    assert entry["title"] == "タイトルです" and entry["author"].startswith("制御文字")


class _FeedLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.in_head = False
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "head":
            self.in_head = True
        elif tag == "link" and self.in_head and attrs.get("rel") == "alternate":
            self.links.append(attrs)

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def _head_feed_links(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200
    parser = _FeedLinks()
    parser.feed(response.get_data(as_text=True))
    return [link for link in parser.links if link.get("type") == "application/atom+xml"]


def test_pages_link_their_feeds_in_the_head(client):
    thread = make_thread(title="リンクのスレッド", theme_slug="infrastructure")
    for page, feed in (("/board", "/feeds/board.atom"), ("/themes/infrastructure", "/themes/infrastructure/feed.atom"),
                       (f"/threads/{thread.id}", f"/threads/{thread.id}/feed.atom")):
        links = _head_feed_links(client, page)
        assert [link["href"] for link in links] == [feed], page
        assert links[0]["title"].strip()
        _feed(client, feed)
    assert "リンクのスレッド" in _head_feed_links(client, f"/threads/{thread.id}")[0]["title"]


def test_a_hidden_thread_page_links_no_feed(client, login_as):
    author = make_user(Role.MAYOR)
    thread = make_thread(author=author)
    moderation.hide_thread(thread, actor=make_user(Role.SECRETARIAT), reason="テーマと無関係のため")
    login_as(_reload(User, author.id))
    assert _head_feed_links(client, f"/threads/{thread.id}") == []


def test_feed_follows_the_language(client):
    make_thread()
    root = _feed(client, "/feeds/board.atom", headers={"Accept-Language": "en"})
    assert root.get(XML_NS + "lang") == "en"
    assert [c.get("label") for c in root.findall(f"{ATOM}entry/{ATOM}category")] == ["Efficient infrastructure"]


def _statements(client, count_queries, url):
    db.session.expunge_all()  # the request must load everything itself
    with count_queries() as log:
        response = client.get(url)
    assert response.status_code == 200
    return log.statements


def test_feed_query_counts_do_not_grow_with_posts(client, count_queries):
    repliers = [make_user(role) for role in (Role.COMPANY, Role.ACADEMIC, Role.MUNICIPAL_STAFF)]
    small = make_thread(replies=1, repliers=repliers)
    large = make_thread(replies=20, repliers=repliers)
    for _ in range(5):
        make_thread(author=make_user(Role.MAYOR), replies=1, repliers=repliers)
    small_id, large_id = small.id, large.id
    few = _statements(client, count_queries, f"/threads/{small_id}/feed.atom")
    many = _statements(client, count_queries, f"/threads/{large_id}/feed.atom")
    assert len(few) == len(many) <= 2, many
    assert len(_statements(client, count_queries, "/feeds/board.atom")) == 1
    assert len(_statements(client, count_queries, "/themes/infrastructure/feed.atom")) <= 2


def test_reading_a_feed_writes_nothing(client, count_queries):
    thread = make_thread(replies=2)
    for url in ("/feeds/board.atom", "/themes/infrastructure/feed.atom", f"/threads/{thread.id}/feed.atom"):
        db.session.expunge_all()
        with count_queries() as log:
            client.get(url)
        assert log.writes == [], (url, log.writes)


def test_opening_post_entry_is_the_thread_title_even_in_the_thread_feed(client):
    thread = make_thread(title="最初の投稿", replies=1)
    first = db.session.get(Post, thread.posts[0].id)
    entries = {e["id"]: e for e in _entries(_feed(client, f"/threads/{thread.id}/feed.atom"))}
    assert entries[f"http://localhost/posts/{first.id}"]["title"] == "最初の投稿"


def test_home_theme_and_thread_pages_show_a_visible_feed_link(client):
    from .factories import make_thread

    thread = make_thread(title="端末の更新")
    for url, feed in (("/board", "/feeds/board.atom"), ("/themes/infrastructure", "/themes/infrastructure/feed.atom"),
                      (f"/threads/{thread.id}", f"/threads/{thread.id}/feed.atom")):
        page = client.get(url).get_data(as_text=True)
        link = re.search(r'<p class="feed-link"><a href="([^"]+)"[^>]*>(.*?)</a></p>', page, re.S)
        assert link and link.group(1) == feed, url
        assert "RSS/Atom" in link.group(2) and 'aria-hidden="true"' in link.group(2)
