"""Attachments benchmark: 200 Japanese PDFs of 20 pages uploaded with replies, their text read and indexed.

Run by hand (`.venv/bin/python bench/files.py`); prints figures, asserts only that search finds what the
PDFs say. Makes the PDFs first (reportlab, the built-in HeiseiKakuGo-W5 CID font: about 700 characters a page,
deterministic, each PDF different), then in a throw-away instance (SQLite migrated to head, its own file store
and search index):

1. upload: each PDF is checked by content and stored (`stage_uploads`) and attached to a new reply
   (`create_reply`), as the reply form does, with EDUCUSSION_SEARCH_DRAIN=worker so that nothing is read yet;
2. extract: the text of every PDF is read (`extraction.read_waiting`, pypdf), as the search outbox's drain does;
3. index: the outbox is drained (`indexing.sync`): the posts' documents with their files' text.

For each phase: wall time, throughput, and the peak RSS of the process during it (reset before each phase
where Linux allows it); the extraction is also run under tracemalloc on 10 PDFs for the peak of Python
allocations. Then a few words from deep pages are searched for, and words found in every PDF.

    .venv/bin/python bench/files.py                       # 200 PDFs × 20 pages
    .venv/bin/python bench/files.py --pdfs 50 --pages 10  # a quicker run
    .venv/bin/python bench/files.py --keep /tmp/files-bench
"""
from __future__ import annotations

import argparse
import io
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from educussion import create_app  # noqa: E402
from educussion.board import services as board_services  # noqa: E402
from educussion.extensions import db  # noqa: E402
from educussion.files import extraction  # noqa: E402
from educussion.files import services as file_services  # noqa: E402
from educussion.models import FileContent, Post, Role, TextState, Theme, Thread  # noqa: E402
from educussion.search import indexing, searching  # noqa: E402

SEED = 20261204
WORDS = ["一人一台端末", "校内ネットワーク", "充電保管庫", "デジタル教科書", "情報モラル教育", "ICT支援員", "教員研修",
         "家庭学習", "クラウド活用", "学習用ツール", "セキュリティ対策", "保守契約", "共同調達", "通信環境", "電子黒板"]
LINE = 38  # characters per line on the page
LINES = 18


def _page_text(rng: random.Random, pdf: int, page: int) -> list[str]:
    text = "".join(f"{rng.choice(WORDS)}について{rng.choice(['検討する', '整備する', '見直す', '報告する'])}。"
                   for _ in range(40))
    text = f"資料{pdf}の{page}ページ目（固有語：識別{pdf:03d}頁{page:02d}）。" + text
    return [text[i:i + LINE] for i in range(0, min(len(text), LINE * LINES), LINE)]


def make_pdfs(count: int, pages: int) -> list[bytes]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    rng = random.Random(SEED)
    made = []
    for number in range(count):
        buffer = io.BytesIO()
        document = canvas.Canvas(buffer)
        for page in range(1, pages + 1):
            document.setFont("HeiseiKakuGo-W5", 11)
            for row, line in enumerate(_page_text(rng, number, page)):
                document.drawString(50, 790 - 18 * row, line)
            document.showPage()
        document.save()
        made.append(buffer.getvalue())
    return made


def reset_peak() -> bool:
    """Reset the process's peak RSS (Linux: clear_refs 5); False where it cannot be."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdfs", type=int, default=200)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--keep", help="use this folder (kept) instead of a temporary one")
    args = parser.parse_args()

    started = time.perf_counter()
    pdfs = make_pdfs(args.pdfs, args.pages)
    total_mb = sum(len(p) for p in pdfs) / (1024 * 1024)
    print(f"made {len(pdfs)} PDFs × {args.pages} pages ({total_mb:.1f} MiB, "
          f"{total_mb * 1024 / len(pdfs):.0f} KiB each) in {time.perf_counter() - started:.1f} s")

    folder = args.keep or tempfile.mkdtemp(prefix="files-bench-")
    os.makedirs(folder, exist_ok=True)
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(folder, "bench.db"), "INSTANCE_PATH": folder,
        "SECRET_KEY": "bench-" + "x" * 40, "SEARCH_DRAIN": "worker", "PASSWORD_TIME_COST": 1,
        "PASSWORD_MEMORY_COST": 1024,
    })
    try:
        with app.app_context():
            run(app, pdfs, args.pages)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def run(app, pdfs: list[bytes], pages: int) -> None:
    import logging

    from flask_migrate import upgrade

    logging.getLogger("alembic").setLevel(logging.WARNING)
    upgrade()
    from sqlalchemy import select

    from educussion.models import User
    from educussion.verification.services import set_role
    from educussion.accounts.services import Registration, register_user
    from educussion.database import unit_of_work

    with unit_of_work():
        user = register_user(Registration(email="bench@example.jp", password="correct horse battery",
                                          display_name="山田 太郎", email_confirmed=True))
    set_role(user, actor=None, role=Role.MAYOR, organisation="412040")
    user = db.session.execute(select(User)).scalar_one()
    theme = db.session.execute(select(Theme).filter_by(slug="infrastructure")).scalar_one()
    thread = board_services.create_thread(theme, actor=user, title="資料の共有", body="資料を共有します。")

    # 1. upload
    reset_peak()
    started = time.perf_counter()
    for number, content in enumerate(pdfs):
        staged = file_services.stage_uploads([file_services.Upload(f"資料{number:03d}.pdf", io.BytesIO(content))],
                                             actor=user)
        assert not staged.problems, staged.problems
        board_services.create_reply(db.session.get(Thread, thread.id), actor=user, body=f"資料{number}を添付します。",
                                    file_ids=[file.id for file in staged.files])
    upload_s = time.perf_counter() - started
    upload_rss = peak_rss_mib()
    size_mb = sum(len(p) for p in pdfs) / (1024 * 1024)
    print(f"upload:  {upload_s:6.1f} s = {len(pdfs) / upload_s:5.1f} files/s, {size_mb / upload_s:5.2f} MiB/s "
          f"(check by content, store, attach to a reply); peak RSS {upload_rss:.0f} MiB")

    post_ids = list(db.session.execute(select(Post.id).where(Post.position > 1)).scalars())
    db.session.commit()

    # 2. extract
    reset_peak()
    started = time.perf_counter()
    left = extraction.read_waiting(post_ids)
    extract_s = time.perf_counter() - started
    extract_rss = peak_rss_mib()
    read = db.session.execute(select(FileContent).filter_by(text_state=TextState.READ)).scalars().all()
    page_count = sum(content.pages or 0 for content in read)
    characters = sum(len(content.text or "") for content in read)
    db.session.commit()
    assert not left and len(read) == len(pdfs), (len(left), len(read))
    print(f"extract: {extract_s:6.1f} s = {len(pdfs) / extract_s:5.1f} PDFs/s, {page_count / extract_s:6.1f} pages/s, "
          f"{1000 * extract_s / page_count:5.1f} ms per page ({characters / page_count:.0f} characters a page); "
          f"peak RSS {extract_rss:.0f} MiB")

    # 3. index
    reset_peak()
    started = time.perf_counter()
    indexed = indexing.sync()
    index_s = time.perf_counter() - started
    print(f"index:   {index_s:6.1f} s = {indexed / index_s:5.1f} posts/s ({indexed} posts with their files' text); "
          f"peak RSS {peak_rss_mib():.0f} MiB")

    # tracemalloc: Python allocations while reading 10 PDFs again
    sample = pdfs[:10]
    paths = []
    for number, content in enumerate(sample):
        path = os.path.join(app.instance_path, f"sample{number}.pdf")
        with open(path, "wb") as f:
            f.write(content)
        paths.append(path)
    tracemalloc.start()
    for path in paths:
        extraction.read_text(path, "application/pdf")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"python allocations while reading one {pages}-page PDF at a time: peak {peak / (1024 * 1024):.1f} MiB")

    # search finds deep pages
    for number, page in ((0, pages), (len(pdfs) // 2, pages // 2 or 1), (len(pdfs) - 1, pages)):
        word = f"識別{number:03d}頁{page:02d}"
        started = time.perf_counter()
        hits = searching.search(word, searching.Filters()).hits
        ms = 1000 * (time.perf_counter() - started)
        ok = len(hits) == 1 and hits[0].attachment == f"資料{number:03d}.pdf"
        print(f"search 「{word}」: {len(hits)} hit(s) in {ms:.0f} ms, {'in ' + hits[0].attachment if hits else '-'}"
              f" {'ok' if ok else 'WRONG'}")
        assert ok
    for word in ("充電保管庫", "校内ネットワーク 電子黒板"):  # words in every PDF: every candidate is checked
        started = time.perf_counter()
        results = searching.search(word, searching.Filters())
        ms = 1000 * (time.perf_counter() - started)
        print(f"search 「{word}」: {results.total} posts, first page of {len(results.hits)} in {ms:.0f} ms")


if __name__ == "__main__":
    main()
