"""Rebuild benchmark: `flask search reindex` as a user runs it, on a SQLite database of N posts.

Run by hand; prints figures, asserts nothing. The posts are the search benchmark's corpus
(bench/search.py: Japanese posts of 100–800 characters), inserted in bulk into a throw-away SQLite database;
then `flask --app wsgi search reindex` runs in a subprocess for each number of processes asked, and this
script reports its wall time, posts/s, CPU seconds (the command and its writer processes), the most disk
the index folder held while it ran (the index and whoosh's temporary files) and the load average around
it (the machine may be shared: read the figures with it).

    .venv/bin/python bench/reindex.py --posts 10000 --procs 1,2 [--keep DIR]

(BENCH_APP_ROOT=<another checkout> runs that checkout's `flask search reindex` on the same database.)
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from flask_migrate import upgrade  # noqa: E402

from educussion import create_app  # noqa: E402
from educussion import text  # noqa: E402
from educussion.extensions import db  # noqa: E402
from educussion.models import Post, Role, Theme, Thread, User, utcnow  # noqa: E402
from search import Corpus  # noqa: E402


def make_database(url: str, posts: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 32})
    with app.app_context():
        upgrade()
        author = User(email="bench@example.jp", password_hash="x", display_name="山田 太郎", role=Role.MAYOR,
                      verified_at=utcnow(), email_confirmed_at=utcnow())
        db.session.add(author)
        db.session.flush()
        themes = {theme.slug: theme for theme in db.session.query(Theme)}
        threads: dict[int, Thread] = {}
        for document in Corpus().documents(posts):
            thread = threads.get(document.thread_id)
            if thread is None:
                thread = threads[document.thread_id] = Thread(
                    theme=themes.get(document.theme) or next(iter(themes.values())), author_id=author.id,
                    title=document.title or "無題", created_at=document.created, last_posted_at=document.created,
                    last_position=0, post_count=0)
                db.session.add(thread)
            thread.last_position += 1
            db.session.add(Post(thread=thread, position=thread.last_position, author_id=author.id,
                                author_role=Role(document.role), author_prefecture=document.prefecture,
                                body_source=document.body, body_html=text.render(document.body),
                                created_at=document.created))
            if len(db.session.new) > 2000:
                db.session.flush()
        db.session.commit()


def folder_bytes(path: str) -> int:
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(folder, name)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total


def run_reindex(url: str, index_dir: str, procs: int) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 32,
           "EDUCUSSION_SEARCH_INDEX_DIR": index_dir, "EDUCUSSION_SEARCH_REINDEX_PROCS": str(procs)}
    peak = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], folder_bytes(index_dir))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    load_before = os.getloadavg()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    watcher.start()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "search", "reindex"], env=env,
                          cwd=os.environ.get("BENCH_APP_ROOT", ROOT), capture_output=True, text=True)
    wall = time.perf_counter() - start
    stop.set()
    watcher.join()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    folder = os.path.join(index_dir, Path(index_dir, "CURRENT").read_text(encoding="utf-8").strip())
    return {"wall": wall, "cpu": cpu, "peak": peak[0], "index": folder_bytes(folder),
            "segments": sum(1 for name in os.listdir(folder) if name.endswith((".seg", ".trm"))),
            "load": (load_before, os.getloadavg()), "output": done.stdout.strip().splitlines()[-1]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--procs", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2])
    parser.add_argument("--keep", metavar="DIR", help="keep the database and the index under DIR")
    args = parser.parse_args(argv)
    work = args.keep or tempfile.mkdtemp(prefix="bench-reindex-")
    os.makedirs(work, exist_ok=True)
    url = "sqlite:///" + os.path.join(work, f"posts-{args.posts}.db")
    try:
        if not os.path.exists(os.path.join(work, f"posts-{args.posts}.db")):
            start = time.perf_counter()
            make_database(url, args.posts)
            print(f"database of {args.posts:,} posts made in {time.perf_counter() - start:.0f} s")
        print(f"{os.cpu_count()} CPUs; load average before the runs: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'procs':>5}{'wall s':>9}{'posts/s':>9}{'CPU s':>8}{'peak disk MiB':>15}{'index MiB':>11}"
              f"{'segments':>10}  load average (1, 5, 15 min) before → after")
        for procs in args.procs:
            index_dir = os.path.join(work, f"index-{procs}")
            shutil.rmtree(index_dir, ignore_errors=True)
            r = run_reindex(url, index_dir, procs)
            before, after = r["load"]
            print(f"{procs:>5}{r['wall']:>9.1f}{args.posts / r['wall']:>9.0f}{r['cpu']:>8.1f}{r['peak'] / 2**20:>15.0f}"
                  f"{r['index'] / 2**20:>11.1f}{r['segments']:>10}  {' '.join(f'{x:.2f}' for x in before)} → "
                  f"{' '.join(f'{x:.2f}' for x in after)}   ({r['output']})")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
