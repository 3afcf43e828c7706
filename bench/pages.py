"""Page-rendering benchmark: requests per second and SQL statements for the main pages.

Run by hand (`make bench`); prints figures, asserts nothing. Uses a throw-away SQLite database (or
DATABASE_URL when set) filled with the demo content plus one long thread.
"""
from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from educussion import create_app  # noqa: E402
from educussion.board import services as board_services  # noqa: E402
from educussion.demo.loader import load_demo  # noqa: E402
from educussion.extensions import db  # noqa: E402
from educussion.models import Role, Theme, Thread, User  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))


def build_app(tmp: str):
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "z" * 32,
                      "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        load_demo()
        long_thread = db.session.execute(select(Thread).order_by(Thread.id)).scalars().first()
        repliers = db.session.execute(select(User).where(User.role.in_([Role.COMPANY, Role.ACADEMIC]))).scalars().all()
        for i in range(300):
            board_services.create_reply(long_thread, actor=repliers[i % len(repliers)],
                                        body=f"ベンチマーク用の返信 {i}。**端末**の更新について。")
        thread_id = long_thread.id
        slug = db.session.execute(select(Theme.slug).order_by(Theme.position)).scalars().first()
    return app, thread_id, slug


def measure(app, url: str) -> tuple[float, float, int]:
    client = app.test_client()
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    client.get(url)  # warm-up, and the statement count of one request
    count = len(statements)
    event.remove(engine, "before_cursor_execute", listener)
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return len(times) / sum(times), statistics.median(times) * 1000, count


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, thread_id, slug = build_app(tmp)
        print(f"{'page':<34}{'req/s':>9}{'median ms':>11}{'SQL/page':>10}")
        for label, url in [
            ("home /", "/"),
            (f"theme /themes/{slug}", f"/themes/{slug}"),
            ("thread page 1 (30 posts)", f"/threads/{thread_id}"),
            ("thread last page", f"/threads/{thread_id}?page=11"),
        ]:
            rate, median, count = measure(app, url)
            print(f"{label:<34}{rate:>9.0f}{median:>11.2f}{count:>10}")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {rss:.0f} MiB; {REQUESTS} requests per page, one process, in-process client")


if __name__ == "__main__":
    main()
