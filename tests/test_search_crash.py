"""A process killed (kill -9) in the middle of writing the index leaves nothing that stops the next drain."""
import os
import signal
import subprocess
import sys
import textwrap

from sqlalchemy import func, select

from educussion.extensions import db
from educussion.models import SearchOutbox
from educussion.search import index
from educussion.search import services as search_services

from .factories import make_post, make_thread

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_index_converges_after_a_writer_is_killed(app):
    thread = make_thread(body="最初の投稿")
    root = os.path.join(app.instance_path, "search-index")
    with open(os.path.join(root, "CURRENT"), encoding="utf-8") as current:
        generation = current.read().strip()
    # Another process takes the index's write lock, writes half a segment and is killed before committing.
    script = textwrap.dedent(f"""
        import os, signal
        from whoosh import index
        ix = index.open_dir({os.path.join(root, generation)!r})
        writer = ix.writer()
        for n in range(500):
            writer.add_document(post_id=str(100000 + n), body="書きかけ" * 50)
        print("writing", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    process = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert process.returncode == -signal.SIGKILL and "writing" in process.stdout
    reply = make_post(thread, body="強制終了のあとの投稿")  # the lock died with the process
    assert db.session.execute(select(func.count(SearchOutbox.id))).scalar_one() == 0
    assert search_services.check() == (set(), set())
    assert index.indexed_ids() == {thread.posts[0].id, reply.id}
