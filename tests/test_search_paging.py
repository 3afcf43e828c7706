"""Paging through search results: every result exactly once whatever the index's segments, a bounded depth,
one time budget for every step of a search."""
from __future__ import annotations

import itertools
import random
import re

import pytest
from sqlalchemy import select

from educussion.board import services as board_services
from educussion.extensions import db
from educussion.models import Post, Role, User
from educussion.moderation import services as moderation
from educussion.search import index, paging
from educussion.search import searching
from educussion.search import indexing
from educussion.search.syntax import matches_exactly, parse

from .conftest import _clean
from .factories import make_post, make_thread, make_user

SENTENCES = ["端末の更新費用について。", "教員研修の報告です。", "教員が会員研究会の研修に参加しました。",
             "県の予算で端末を買いました。", "研修と端末の話。", "ICT支援員の配置。"]
QUERIES = ["端末", "研修", "教員研修", "県 端末", "研修 -教員研修", "端末 OR 支援員"]


@pytest.fixture
def make_clean_app(make_app):
    """make_app on empty tables (make_app alone keeps what earlier tests left)."""
    def _make(**overrides):
        app = make_app(**overrides)
        with app.app_context(), db.engine.begin() as connection:
            _clean(connection)
        return app
    return _make


def _brute_force(raw: str, include_hidden: bool = False) -> set[int]:
    parsed = parse(raw)
    posts = db.session.execute(select(Post)).scalars()
    return {post.id for post in posts if (include_hidden or post.is_public) and matches_exactly(
        parsed, [indexing.document_for(post).title, indexing.document_for(post).body])}


def _every_page(raw: str, **filters) -> tuple[list[int], list[searching.Results]]:
    shown, pages = [], []
    for number in itertools.count(1):
        results = searching.search(raw, searching.Filters(**filters), page=number)
        pages.append(results)
        shown += [hit.post.id for hit in results.hits]
        if number >= results.pages:
            return shown, pages


def test_pages_show_every_result_once_on_an_index_of_several_segments(make_clean_app, monkeypatch):
    """Many equal scores, a rebuild in three processes (segments that interleave the posts), then edits (a
    post re-added at the end) and hidden posts (deletions): paging by relevance or newest first shows each
    matching post exactly once, and all of them."""
    monkeypatch.setattr(index, "SEGMENT_POSTS", 60)  # rounds of 180 posts: segments of 100 and 80
    app = make_clean_app(SEARCH_RESULTS_PER_PAGE=7, SEARCH_REINDEX_PROCS=3, SEARCH_DRAIN="worker",
                         SEARCH_TIME_LIMIT=120.0)
    with app.app_context():
        generator = random.Random(23)
        author, replier, secretariat = make_user(Role.MAYOR), make_user(Role.COMPANY), make_user(Role.SECRETARIAT)
        threads = [make_thread(author=author, title=f"相談 {n}", body=generator.choice(SENTENCES)) for n in range(5)]
        for _ in range(260):
            make_post(generator.choice(threads), author=replier,
                      body="".join(generator.choices(SENTENCES, k=generator.randint(1, 3))))
        replier_id, secretariat_id = replier.id, secretariat.id
        assert indexing.reindex() == 265
        replier, secretariat = db.session.get(User, replier_id), db.session.get(User, secretariat_id)
        posts = db.session.execute(select(Post).order_by(Post.id)).scalars().all()
        for post in generator.sample(posts[5:], 12):  # edited: re-added at the end of the index
            board_services.edit_post(post, actor=replier, body=post.body_source + "端末")
        for post in generator.sample(posts[5:], 8):
            moderation.hide_post(post, actor=secretariat, reason="確認のため")
        assert indexing.sync() == 20
        with index.open_index().searcher() as searcher:
            segments = [(reader.doc_count_all(), reader.doc_count()) for reader, _ in searcher.reader().leaf_readers()]
        assert len(segments) >= 3 and any(live < stored for stored, live in segments), segments

        for raw in QUERIES:
            for newest in (False, True):
                shown, pages = _every_page(raw, newest=newest)
                expected = _brute_force(raw)
                assert len(shown) == len(set(shown)), (raw, newest, "a post was shown twice")
                assert set(shown) == expected, (raw, newest, "lost", expected - set(shown))
                assert all(page.total == len(expected) and page.exact for page in pages), raw


def test_deep_pages_stop_at_the_last_reachable_page(make_clean_app):
    app = make_clean_app(SEARCH_RESULTS_PER_PAGE=2, SEARCH_MAX_DEPTH=6, SEARCH_TIME_LIMIT=120.0)
    client = app.test_client()
    with app.app_context():
        for n in range(9):
            make_thread(title=f"端末の相談 {n}", body="端末の更新費用について")
        third = [hit.post.id for hit in searching.search("端末", searching.Filters(), page=3).hits]
        deep = searching.search("端末", searching.Filters(), page=9999)
        assert (deep.page, deep.pages, deep.total, deep.capped) == (3, 3, 9, True)
        assert [hit.post.id for hit in deep.hits] == third and len(third) == 2

        page = client.get("/search?q=端末&page=9999").get_data(as_text=True)
        assert "「端末」の検索結果 9件" in page
        assert "表示できるのは最初の6件までです。" in page and 'href="#q"' in page
        assert '<span aria-current="page">3</span>' in page and 'rel="next"' not in page
        assert re.findall(r'href="/posts/(\d+)"', page) == [str(post_id) for post_id in third]
        second = client.get("/search?q=端末&page=2").get_data(as_text=True)
        assert "表示できるのは" not in second and 'rel="next"' in second


class _Clock:
    """A clock that advances one second each time the search reads it: the steps are counted, not timed."""

    def __init__(self):
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return float(self.reads)


def test_the_time_limit_covers_the_candidate_checks(make_clean_app, monkeypatch):
    """「教員研修」 is found through the candidates that hold 教員, 員研 and 研修, checked on their text; the
    checks stop when the search's time is up, and the page says results may be missing."""
    clock = _Clock()
    monkeypatch.setattr(paging, "clock", clock)
    monkeypatch.setattr(searching, "CHECK_BATCH", 2)
    # The deadline is set at the 1st read (t = 1: it ends at 4.5), the index gets the time left at the 2nd
    # (2.5 s), two batches are checked at the 3rd and 4th reads; at the 5th (t = 5) the time is up.
    app = make_clean_app(SEARCH_TIME_LIMIT=3.5)
    with app.app_context():
        for n in range(12):
            make_thread(title=f"会議 {n}", body="教員が会員研究会の研修に参加しました")
        results = searching.search("教員研修", searching.Filters())
        assert results.checked == 4 and results.timed_out and not results.exact
        page = app.test_client().get("/search?q=教員研修").get_data(as_text=True)
        assert "一部の投稿が表示されていない可能性があります" in page


@pytest.mark.parametrize("limit", [0, 6])
def test_few_candidates_are_all_checked_and_counted_exactly(make_clean_app, limit):
    """Up to paging.CHECK_ALL candidates are all checked, even past a full page: the count is exact."""
    app = make_clean_app(SEARCH_RESULTS_PER_PAGE=2, SEARCH_TIME_LIMIT=120.0)
    with app.app_context():
        for n in range(limit):
            make_thread(title=f"事例 {n}", body="教員研修の報告です")
        for n in range(5):
            make_thread(title=f"会議 {n}", body="教員が会員研究会の研修に参加しました")
        results = searching.search("教員研修", searching.Filters())
        assert results.total == limit and results.exact and results.checked == limit + 5


ESTIMATED = ["研修 -教員研修", "GIGAスクール -GIGAスクール構想", "学校 -小学校", "教員の研修", "市の教育委員会",
             "情報モラル -情報モラル教育", "クラウド -クラウドサービス", "予算 -補正予算", "端末の更新"]


def test_estimated_counts_are_within_ten_percent(make_clean_app, tmp_path):
    """The benchmark's corpus (bench/search.py), 2,500 posts: for queries whose candidates are too many to
    check, 「約N件」 is within 10 % of a brute-force count (the share of matches among the first candidates
    was 20–40 % off for these)."""
    from bench.search import HIDDEN, Corpus

    documents = list(Corpus().documents(2500))
    texts = {document.post_id: (document.title, document.body) for document in documents}
    app = make_clean_app(SEARCH_INDEX_DIR=str(tmp_path / "index"), SEARCH_REINDEX_PROCS=2)
    with app.app_context():
        index.rebuild(iter(documents))
        estimated = 0
        for raw in ESTIMATED:
            parsed = parse(raw)
            hits = index.search(parsed, filters=[], exclude=HIDDEN, newest=False, limit=searching.CHECK_DEPTH,
                                time_limit=60, sample=paging.SAMPLE)
            outcome = paging.check(hits, needed=20, deadline=paging.Deadline(60), batch=searching.CHECK_BATCH,
                                   keep=lambda ids: [i for i in ids if matches_exactly(parsed, texts[i])])
            true = sum(1 for document in documents
                       if document.visible and matches_exactly(parsed, texts[document.post_id]))
            assert abs(outcome.total - true) <= 0.1 * true, (raw, outcome.total, true)
            estimated += not outcome.exact
        assert estimated >= 6  # most of them were estimated, not counted
