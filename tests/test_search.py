"""Search through the real Whoosh index: indexing via the outbox, visibility, the page, the log, the CLI."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, inspect, select

from educussion.board import services as board_services
from educussion.database import unit_of_work
from educussion.extensions import db
from educussion.models import Role, SearchLog, SearchOutbox
from educussion.search import index
from educussion.search import searching
from educussion.search import indexing

from .factories import make_post, make_thread, make_user


def found(text, **filters):
    return [hit.post.id for hit in searching.search(text, searching.Filters(**filters)).hits]


def html(response) -> str:
    return response.get_data(as_text=True)


def test_a_new_post_is_searchable_at_once(app):
    thread = make_thread(title="GIGAスクール端末の更新費用", body="1人1台端末の更新費用について、自治体の負担が大きい。")
    reply = make_post(thread, body="ICT支援員の配置も課題です。")
    assert found("端末") == [thread.posts[0].id]
    assert found("ICT支援員") == [reply.id]
    assert db.session.execute(select(func.count(SearchOutbox.id))).scalar_one() == 0


def test_an_edit_is_reindexed(app):
    author = make_user(Role.MAYOR)
    post = make_thread(author=author, body="最初は校務支援システムの話").posts[0]
    board_services.edit_post(post, actor=author, body="クラウド化の話に変えました")
    assert found("校務支援") == [] and found("クラウド化") == [post.id]


def test_a_locked_index_keeps_the_work_in_the_outbox(app):
    thread = make_thread(body="最初の投稿")
    writer = index.open_index().writer()  # another worker is writing
    try:
        reply = make_post(thread, body="ネットワーク帯域の増強について")
        assert db.session.execute(select(SearchOutbox.post_id)).scalars().all() == [reply.id]
        assert found("帯域") == []
    finally:
        writer.cancel()
    assert indexing.sync() == 1
    assert found("帯域") == [reply.id]


def test_a_rolled_back_transaction_leaves_nothing(app):
    with pytest.raises(RuntimeError):
        with unit_of_work():
            indexing.queue_post(12345)
            raise RuntimeError("something failed after the outbox row was written")
    assert db.session.execute(select(func.count(SearchOutbox.id))).scalar_one() == 0


def test_hidden_posts_are_found_only_by_the_secretariat(app):
    post = make_thread(body="非公開にされた投稿の本文").posts[0]
    document = indexing.document_for(post)
    index.apply([index.Document(**{**document.__dict__, "visible": False})], [])
    assert found("非公開") == []
    assert found("非公開", include_hidden=True) == [post.id]


@pytest.mark.parametrize("how", ["hide_post", "hide_thread", "pending", "move_thread"])
def test_moderation_keeps_the_index_right(app, client, login_as, how):
    """Hidden, pending and rejected posts and posts of hidden threads are not found by members; the
    secretariat finds them with 「非表示・承認待ちの投稿も含める」; undoing the action brings them back."""
    from educussion.moderation import services as moderation

    secretariat = make_user(Role.SECRETARIAT)
    thread = make_thread(theme_slug="infrastructure", body="公開されている本文")
    if how == "pending":
        moderation.update_settings(actor=secretariat, premoderated_roles=["company"], first_posts_to_approve=0,
                                   auto_hide_reports=0)
    post = make_post(thread, author=make_user(Role.COMPANY), body="校務支援システムの見積もり")
    if how == "hide_post":
        moderation.hide_post(post, actor=secretariat, reason="理由")
    elif how == "hide_thread":
        moderation.hide_thread(thread, actor=secretariat, reason="理由")
    elif how == "move_thread":
        moderation.move_thread(thread, make_thread(theme_slug="teacher-training").theme, actor=secretariat,
                               reason="理由")
        assert found("見積もり", theme="teacher-training") == [post.id]
        assert found("見積もり", theme="infrastructure") == []
        return
    assert found("見積もり") == []
    assert found("見積もり", include_hidden=True) == [post.id]
    login_as(make_user(Role.MAYOR))
    assert "校務支援システムの見積もり" not in html(client.get("/search?q=見積もり&hidden=y"))
    login_as(secretariat)
    assert "見積もり</mark>" in html(client.get("/search?q=見積もり&hidden=y"))
    {"hide_post": lambda: moderation.unhide_post(post, actor=secretariat, reason="戻す"),
     "hide_thread": lambda: moderation.unhide_thread(thread, actor=secretariat, reason="戻す"),
     "pending": lambda: moderation.approve_post(post, actor=secretariat, reason="承認")}[how]()
    assert found("見積もり") == [post.id]


def test_filters(app):
    saga = make_user(Role.MAYOR, organisation="多久市", title="市長")  # 佐賀県
    company = make_user(Role.COMPANY)
    t1 = make_thread(author=saga, theme_slug="infrastructure", title="端末の調達", body="共同調達の話")
    reply = make_post(t1, author=company, body="端末の保守について")
    sapporo = make_user(Role.MAYOR, organisation="札幌市", title="市長")
    t2 = make_thread(author=sapporo, theme_slug="teacher-training", title="研修で使う端末", body="研修の話")
    assert set(found("端末")) == {t1.posts[0].id, reply.id, t2.posts[0].id}
    assert set(found("端末", theme="teacher-training")) == {t2.posts[0].id}
    assert set(found("端末", role="company")) == {reply.id}
    assert set(found("端末", prefecture="佐賀県")) == {t1.posts[0].id}
    assert set(found("端末", threads_only=True)) == {t1.posts[0].id, t2.posts[0].id}
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()  # the filter speaks Japan time
    assert len(found("端末", start=today, end=today)) == 3
    assert found("端末", end=today.replace(year=today.year - 1)) == []


def test_newest_first(app):
    first = make_thread(body="予算の話 その一").posts[0]
    second = make_thread(body="予算の話 その二").posts[0]
    assert found("予算", newest=True) == [second.id, first.id]


def test_title_ranks_above_body(app):
    in_body = make_thread(title="別の話題", body="ここで生成AIに触れます").posts[0]
    in_title = make_thread(title="生成AIの活用", body="本文には出てこない").posts[0]
    assert found("生成AI")[0] == in_title.id and set(found("生成AI")) == {in_body.id, in_title.id}


def test_search_page_highlights_safely_and_keeps_filters_in_links(client):
    for n in range(25):
        make_thread(title=f"端末 {n}", body="端末")
    make_thread(title="端末の話", body="<script>alert(1)</script> 端末の更新費用が大きい")
    page = html(client.get("/search?q=端末&sort=newest&theme=infrastructure"))
    assert "<mark>端末</mark>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "「端末」の検索結果 26件" in page  # every date on the page contains 26 as well: say what is counted
    assert "sort=newest" in page and "page=2" in page


@pytest.mark.parametrize("q", ['"', "-", "OR", "端末 OR", "***", "?", "(", ")", "title:x", "\\", "[", "{",
                               "^", "~", ":", "\x00", "🙂", "a" * 1000, "-端末", '"教員 研修', "ＩＣＴ"])
def test_no_input_gives_an_error(client, q):
    make_thread(body="端末")
    assert client.get("/search", query_string={"q": q, "start": "not-a-date", "page": "x"}).status_code == 200


def test_a_long_query_is_cut_with_a_message(client):
    page = html(client.get("/search", query_string={"q": "端末" * 150}))
    assert "200" in page and "文字" in page


def test_header_has_a_search_box(client):
    assert 'action="/search"' in html(client.get("/"))


def test_search_log_page_for_the_secretariat(make_app):
    app = make_app(SEARCH_LOG_BATCH=1)
    client = app.test_client()
    with app.app_context():
        make_thread(body="端末の話")
        client.get("/search?q=端末")
        client.get("/search?q=端末")
        client.get("/search?q=存在しない言葉")
        assert "user_id" not in {c["name"] for c in inspect(db.engine).get_columns("search_log")}
        assert db.session.execute(select(func.count(SearchLog.id))).scalar_one() == 3
        user = make_user(Role.MAYOR)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
        assert client.get("/secretariat/search-log").status_code == 403
        secretariat = make_user(Role.SECRETARIAT)
        with client.session_transaction() as session:
            session["_user_id"] = secretariat.get_id()
        page = html(client.get("/secretariat/search-log"))
        frequent, empty = page.split('id="empty-heading"')
        assert "端末" in frequent and "存在しない言葉" in empty and "端末" not in empty


def test_cli_check_reindex_and_sync(runner, app):
    thread = make_thread(body="端末", replies=2)
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    lost = thread.posts[1].id
    index.apply([], [lost])  # an index that lost a document
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and "1 missing, 0 stale" in result.output
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "3 posts indexed" in result.output
    assert indexing.check() == (set(), set())
    assert runner.invoke(args=["search", "sync"]).exit_code == 0
    index.apply([], [lost])
    result = runner.invoke(args=["search", "check", "--repair"])
    assert result.exit_code == 0
    assert "after repair: 0 missing, 0 stale (0 searchable though not public), 0 extra" in result.output


def test_search_works_outside_the_main_thread(app):
    """Threaded servers (flask run, gunicorn gthread) search from other threads: no signal-based timer."""
    import threading

    post = make_thread(body="端末の更新").posts[0]
    outcome = {}

    def run():
        with app.app_context():
            try:
                outcome["ids"] = found("端末")
            except Exception as error:  # noqa: BLE001 - reported below
                outcome["error"] = error

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    assert outcome == {"ids": [post.id]}


def test_posts_with_the_words_together_rank_first(app):
    apart = make_thread(title="研修の記録", body="教員が参加する夏の研修について報告します").posts[0]
    together = make_thread(title="報告", body="今年の教員研修は二日間でした").posts[0]
    assert found("教員 研修") == [together.id, apart.id]


def test_words_of_several_characters_are_checked_on_the_text(app, client):
    exact = make_thread(title="報告", body="今年の教員研修は二日間でした").posts[0]
    make_thread(title="会議", body="教員が会員研究会の研修に参加しました")  # 教員, 員研, 研修: all there, not in order
    results = searching.search("教員研修", searching.Filters())
    assert [hit.post.id for hit in results.hits] == [exact.id]
    assert results.total == 1 and results.exact and results.checked == 2  # every candidate was checked
    assert "「教員研修」の検索結果 1件" in html(client.get("/search?q=教員研修"))


def test_counts_are_estimated_when_not_every_candidate_is_checked(make_app, monkeypatch):
    monkeypatch.setattr(searching, "CHECK_DEPTH", 4)
    app = make_app(SEARCH_RESULTS_PER_PAGE=2)
    with app.app_context():
        matching = {make_thread(title=f"事例{i}", body="教員研修の報告です").posts[0].id for i in range(3)}
        for i in range(5):
            make_thread(title=f"会議{i}", body="教員が会員研究会の研修に参加しました")
        results = searching.search("教員研修", searching.Filters())
        assert not results.exact and results.checked == 4
        assert len(results.hits) == 2 and {hit.post.id for hit in results.hits} <= matching
        assert 2 <= results.total <= 8  # 8 candidates × the share of matches among the 4 checked
        assert f"「教員研修」の検索結果 約{results.total}件" in html(app.test_client().get("/search?q=教員研修"))


def test_none_among_the_checked_candidates_says_so(make_app, monkeypatch):
    monkeypatch.setattr(searching, "CHECK_DEPTH", 3)
    app = make_app(SEARCH_RESULTS_PER_PAGE=1)
    with app.app_context():
        for i in range(5):
            make_thread(title=f"会議{i}", body="教員が会員研究会の研修に参加しました")
        results = searching.search("教員研修", searching.Filters())
        assert results.hits == [] and results.total == 0 and not results.exact and results.checked == 3
        page = html(app.test_client().get("/search?q=教員研修"))
        assert "「教員研修」に一致する投稿は見つかりませんでした（関連の高い候補3件を確認）" in page


def test_a_search_out_of_time_says_results_may_be_missing(make_app):
    app = make_app(SEARCH_TIME_LIMIT=0.0)
    with app.app_context():
        make_thread(title="端末の更新", body="端末の更新費用について")
        page = app.test_client().get("/search?q=端末")
        assert page.status_code == 200
        assert "一部の投稿が表示されていない可能性があります" in html(page)


def test_rebuild_in_several_processes_finds_the_same(app):
    """Sub-processes take the documents 100 at a time: 350 documents make several segments."""
    from educussion.search.syntax import parse

    moment = datetime(2026, 4, 1, tzinfo=ZoneInfo("Asia/Tokyo"))
    documents = [index.Document(
        post_id=i, thread_id=i // 5 + 1, title=f"端末の更新 {i}" if i % 5 == 0 else "",
        body=f"教員研修{i}回目。県の予算でChromebookを{i}台" if i % 2 else f"研修の報告{i}。端末の更新費用",
        theme="infrastructure", role="mayor", prefecture="長野県", status="open", opening=i % 5 == 0,
        visible=i % 7 != 0, created=moment + timedelta(minutes=i)) for i in range(1, 351)]
    queries = ["端末", "教員研修", "県", "chromebook", "研修 -教員研修", "予算 OR 更新"]
    outcomes = {}
    for procs in (1, 3):
        app.config["SEARCH_REINDEX_PROCS"] = procs
        assert index.rebuild(iter(documents)) == 350
        with index.open_index().searcher() as searcher:
            segments = len(list(searcher.reader().leaf_readers()))
        assert segments == 1 if procs == 1 else segments >= 2
        outcomes[procs] = [index.search(parse(query), filters=[], exclude=index.field_filter("visible", False),
                                        newest=False, limit=400, time_limit=5) for query in queries]
    assert outcomes[1] == outcomes[3]
    assert [hits.total for hits in outcomes[1][:4]] == [
        sum(1 for d in documents if d.visible and ("端末" in d.body or "端末" in d.title)),
        sum(1 for d in documents if d.visible and "教員研修" in d.body),
        sum(1 for d in documents if d.visible and "県" in d.body),
        sum(1 for d in documents if d.visible and "Chromebook" in d.body)]


def test_one_result_is_singular_in_english(client):
    make_thread(title="帯域の相談", body="ネットワーク帯域について")
    assert "1 result for “帯域”" in html(client.get("/search?q=帯域&lang=en"))


def test_matches_in_the_thread_title_are_marked_and_escaped(client):
    make_thread(title="<b>ＩＣＴ支援員</b>の配置", body="週に一度、各校を回っています")
    page = html(client.get("/search?q=ICT支援員"))
    assert "&lt;b&gt;<mark>ＩＣＴ支援員</mark>&lt;/b&gt;の配置</a>" in page
    assert "<b>" not in page
