"""The contract between educussion's search and Whoosh-Reloaded, on a real index of several segments with
deleted and replaced documents: the engine's scores are whoosh's own BM25F (same B, K1 and field boosts),
the fast path (whoosh's internals) answers exactly as the public-API path, a missing or changed internal
only slows search down, and a canary fails first when the installed Whoosh is not the version pinned."""
from __future__ import annotations

import ast
import configparser
import importlib.metadata
import logging
import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from whoosh.codec import default_codec
from whoosh.query import And, AndMaybe, Or, Term
from whoosh.scoring import BM25F

from educussion import create_app
from educussion.search import backend, engine, index
from educussion.search.analysis import GAP, UNIGRAM_SUFFIX, query_plan
from educussion.search.syntax import parse

from .test_search_relevance import CORPUS, EXPECTED

ROOT = Path(__file__).resolve().parent.parent
UPGRADE_ADVICE = (
    "Before changing the Whoosh-Reloaded pin in setup.cfg: read educussion/search/engine.py (its docstring "
    "lists the private whoosh names the fast path reads: W3LeafMatcher's posting blocks _read_data/_data/"
    "_byteids/_lastblock/_goto/_nextoffset, LENGTHS_COLUMN, _lenfield, _perdoc._cached_reader, byte_to_length, "
    "deleted_docs_set) and index.py's _writers/_Lengths/_open_columns (SegmentWriter._flush_segment, "
    "MpWriter._new_task, SubWriterTask.run, STORED_COLUMN); check in the new version's source that each still "
    "exists and means the same, then run tests/test_search_contract.py: the fast path must equal the public "
    "path and whoosh.scoring.BM25F.")

QUERIES = [raw for raw, _ in EXPECTED] + ["端末 更新", "県 -端末", "教員 研修 -校内", "情報 モラル OR 研修"]


def _documents() -> dict[int, tuple[str, str]]:
    """The relevance corpus and 260 posts made of its sentences (fixed seed)."""
    generator = random.Random(14)
    sentences = [text for post in CORPUS.values() for text in post]
    documents = dict(CORPUS)
    for number in range(100, 360):
        documents[number] = (generator.choice(sentences) if number % 3 == 0 else "",
                             "".join(generator.choices(sentences, k=generator.randint(1, 12))))
    return documents


def _document(post_id: int, title: str, body: str) -> backend.Document:
    return backend.Document(post_id=post_id, thread_id=post_id, title=title, body=body, theme="infrastructure",
                            role="mayor", prefecture="佐賀県", status="open", opening=bool(title), visible=True,
                            created=datetime(2025, 4, 1, tzinfo=timezone.utc) + timedelta(hours=post_id % 50))


@pytest.fixture(scope="module")
def search_app(tmp_path_factory):
    """An index built by a rebuild, then four more segments written by drains, with replaced and deleted
    documents in older segments: as a live index looks after a while."""
    folder = tmp_path_factory.mktemp("contract")
    app = create_app({"TESTING": True, "SECRET_KEY": "contract-" + "x" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "INSTANCE_PATH": str(folder / "instance"), "SEARCH_INDEX_DIR": str(folder / "index"),
                      "SEARCH_REINDEX_PROCS": 1})
    documents = _documents()
    items = sorted(documents.items())
    with app.app_context():
        search = backend.current()
        search.rebuild(_document(i, *texts) for i, texts in items[:150])
        for start in range(150, len(items), 55):
            search.apply([_document(i, *texts) for i, texts in items[start:start + 55]], [])
        replaced = [i for i, _ in items[120:200:4]]
        search.apply([_document(i, *documents[(i * 7) % 360 if (i * 7) % 360 in documents else 1])
                      for i in replaced], [])
        search.apply([], [i for i, _ in items[40:300:13]])
        with index.open_index().searcher() as searcher:
            leaves = searcher.reader().leaf_readers()
            assert len(leaves) >= 4 and sum(reader.has_deletions() for reader, _ in leaves) >= 2
        yield app


@pytest.fixture
def fast_path(monkeypatch):
    """The fast path, as in production: fails the test if it gave up (else both paths would be the public one)."""
    monkeypatch.setattr(engine, "FORCE_PUBLIC_API", False)
    monkeypatch.setattr(engine, "_given_up", {})
    assert engine.internals() is not None, UPGRADE_ADVICE
    yield
    assert not engine._given_up, f"{engine._given_up}. {UPGRADE_ADVICE}"


# ------------------------------------------------------------ the scores are whoosh's BM25F

def _word_query(searcher, word: str, boost: float = 1.0):
    """whoosh's query for one word as the engine reads it: in each field, all of the word's tokens (the
    rarest MAX_TERMS of them); the fields' scores add up, with the fields' boosts."""
    plan = query_plan(word)
    if plan.unigram:
        fields = {name + UNIGRAM_SUFFIX: field_boost for name, field_boost in index.BIGRAM_FIELDS.items()}
        terms = plan.terms
    else:
        fields = index.BIGRAM_FIELDS
        terms = [term for term in dict.fromkeys(plan.terms) if term != GAP]
    per_field = []
    for name, field_boost in fields.items():
        read = terms if len(terms) <= engine.MAX_TERMS else sorted(
            terms, key=lambda text: searcher.doc_frequency(name, text))[:engine.MAX_TERMS]
        per_field.append(And([Term(name, text, boost=field_boost * boost) for text in read]))
    return Or(per_field)


def _whoosh_search(searcher, raw: str) -> dict[int, float]:
    """docnum → whoosh's score for the query typed: words and phrases required, OR groups, the words
    together as typed scoring more, one-token exclusions (those of several tokens are left to the exact
    check) as whoosh's mask."""
    parsed = parse(raw)
    query = And([_word_query(searcher, word) for word in [*parsed.must, *parsed.phrases]]
                + [Or([_word_query(searcher, word) for word in group]) for group in parsed.any_of])
    if len(parsed.must) >= 2:  # never a condition
        query = AndMaybe(query, _word_query(searcher, "".join(parsed.must), boost=engine.ADJACENT_BOOST))
    excluded = [_word_query(searcher, word) for word in parsed.excluded if engine.is_exact(parse(word))]
    # (a mask, not AndNot: whoosh's AndNot kept excluded documents of this index, several segments with deletions)
    hits = searcher.search(query, limit=None, mask=Or(excluded) if excluded else None)
    return {hit.docnum: hit.score for hit in hits}


@pytest.mark.parametrize("raw", QUERIES)
def test_the_engine_scores_are_whooshs_bm25f(search_app, fast_path, raw):
    parsed = parse(raw)
    if parsed.is_empty:
        return
    with search_app.app_context(), index.open_index().searcher(weighting=BM25F(B=engine.B, K1=engine.K1)) as searcher:
        ranked = engine.rank(searcher, parsed, index.BIGRAM_FIELDS, depth=10_000, time_limit=60)
        expected = _whoosh_search(searcher, raw)
    scores = dict(zip(ranked.docnums, ranked.scores))
    assert set(scores) == set(expected) and ranked.total == len(expected)
    for docnum, score in expected.items():
        assert scores[docnum] == pytest.approx(score, rel=1e-9), docnum
    assert ranked.keys == sorted(ranked.keys, reverse=True) and ranked.keys == ranked.scores


def test_the_corpus_has_single_words_and_or_phrases_exclusions_and_matches():
    parsed = [parse(raw) for raw in QUERIES]
    assert sum(len(p.must) == 1 and not (p.phrases or p.any_of or p.excluded) for p in parsed) >= 20
    assert sum(len(p.must) >= 2 for p in parsed) >= 3
    assert sum(bool(p.any_of) for p in parsed) >= 3 and sum(bool(p.phrases) for p in parsed) >= 3
    assert sum(bool(p.excluded) for p in parsed) >= 5


# ------------------------------------------------------------ the fast path equals the public path

SEARCHES = [
    {}, {"newest": True}, {"limit": 5}, {"sample": 40},
    {"filters": backend.Filters(opening_only=True)},
    {"exclude": backend.Exclusions(hidden=True, post_ids=(1, 7, 150, 151))},
]


def _answers(raws: list[str]) -> dict:
    search = backend.current()
    return {(raw, i): search.search(parse(raw), time_limit=60, **{"limit": 1000, **options})
            for raw in raws if not parse(raw).is_empty for i, options in enumerate(SEARCHES)}


def test_the_fast_path_answers_as_the_public_api(search_app, fast_path, monkeypatch):
    with search_app.app_context():
        fast = _answers(QUERIES)
        monkeypatch.setattr(engine, "FORCE_PUBLIC_API", True)
        public = _answers(QUERIES)
    assert any(key[1] == "public length" for key in engine._Leaves._cache)  # the public path did run
    assert set(fast) == set(public) and any(hits.post_ids for hits in fast.values())
    for key, hits in fast.items():
        assert hits == public[key], key  # the same posts, order, scores, totals, exactness and sample


def test_a_missing_internal_only_slows_search_down(search_app, fast_path, monkeypatch, caplog):
    """As after an upgrade that renamed a private helper (whoosh's own modules hold it already: only
    educussion's import misses it): one warning, and the same answers."""
    import whoosh.util.numeric

    with search_app.app_context():
        expected = _answers(QUERIES[:12])
        monkeypatch.setattr(engine, "_loaded", None)
        monkeypatch.delattr(whoosh.util.numeric, "byte_to_length")
        with caplog.at_level(logging.WARNING, logger=engine.__name__):
            assert _answers(QUERIES[:12]) == expected
            assert _answers(QUERIES[:12]) == expected
            assert index._writers() is None
    warnings = [record.getMessage() for record in caplog.records if record.name == engine.__name__]
    assert len(warnings) == 1 and "engine.py" in warnings[0] and "byte_to_length" in warnings[0]
    assert engine.internals() is None
    engine._given_up.clear()  # (for fast_path's check: giving up was the point here)


def test_an_internal_that_changed_only_slows_search_down(search_app, fast_path, monkeypatch, caplog):
    """As after an upgrade where a private method still exists but returns something else (here a posting
    block of four parts, which whoosh's own code still reads)."""
    from whoosh.codec.whoosh3 import W3LeafMatcher

    read_data = W3LeafMatcher._read_data

    def read_four_parts(matcher):
        read_data(matcher)
        matcher._data = (*matcher._data, None)

    with search_app.app_context():
        expected = _answers(QUERIES[:12])
        monkeypatch.setattr(engine._Leaves, "_cache", {})
        monkeypatch.setattr(W3LeafMatcher, "_read_data", read_four_parts)
        with caplog.at_level(logging.WARNING, logger=engine.__name__):
            assert _answers(QUERIES[:12]) == expected
    assert len([record for record in caplog.records if record.name == engine.__name__]) == 1
    assert set(engine._given_up) == {"search"} and engine.internals() is None
    assert index._writers() is not None  # the rebuild's internals are another matter
    engine._given_up.clear()


def test_a_rebuild_without_whooshs_internals_makes_the_same_index(search_app, monkeypatch, tmp_path):
    documents = [_document(i, *texts) for i, texts in sorted(_documents().items())]
    answers = {}
    for force in (False, True):
        monkeypatch.setattr(engine, "FORCE_PUBLIC_API", force)
        monkeypatch.setitem(search_app.config, "SEARCH_INDEX_DIR", str(tmp_path / f"index-{force}"))
        with search_app.app_context():
            assert backend.current().rebuild(iter(documents)) == len(documents)
            answers[force] = _answers(QUERIES[:20])
    assert answers[False] == answers[True]


# ------------------------------------------------------------ canary: the Whoosh this code was written for

def test_canary_whoosh_version_codec_and_internals(search_app):
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    pins = re.findall(r"^\s*Whoosh-Reloaded==([\w.]+)\s*$", setup["options"]["install_requires"], re.M)
    assert len(pins) == 1, "setup.cfg must pin one exact Whoosh-Reloaded version (==). " + UPGRADE_ADVICE
    installed = importlib.metadata.version("Whoosh-Reloaded")
    assert installed == pins[0], f"Whoosh-Reloaded {installed} is installed, setup.cfg pins {pins[0]}. {UPGRADE_ADVICE}"
    codec = type(default_codec())
    assert f"{codec.__module__}.{codec.__name__}" == "whoosh.codec.whoosh3.W3Codec", UPGRADE_ADVICE
    with search_app.app_context(), index.open_index().searcher() as searcher:
        for reader, _ in searcher.reader().leaf_readers():
            assert type(reader.codec()) is codec, UPGRADE_ADVICE
    assert engine.internals() is not None and index._writers() is not None, f"{engine._given_up}. {UPGRADE_ADVICE}"


def test_no_private_whoosh_name_is_imported_when_the_app_starts():
    """Module-level imports from whoosh are public names only: a renamed internal can slow search down, but
    never stop the app (the private ones are imported inside engine.internals and index._writers)."""
    public = {"whoosh": {"index"}, "whoosh.fields": {"BOOLEAN", "ID", "NUMERIC", "STORED", "Schema", "TEXT",
                                                     "FieldType"},
              "whoosh.query": {"And", "NumericRange", "Or", "Query", "Term"}, "whoosh.reading": {"ReaderClosed"},
              "whoosh.analysis": {"Token", "Tokenizer"}}
    for path in (ROOT / "educussion").rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                assert not any(alias.name.startswith("whoosh") for alias in node.names), path
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
                names = {alias.name for alias in node.names}
                assert names <= public.get(node.module, set()), (path, node.module, names - public.get(node.module,
                                                                                                       set()))
