"""A process killed (kill -9) in the middle of writing the index leaves nothing that stops the next drain."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from sqlalchemy import func, select

from educussion.extensions import db
from educussion.models import SearchOutbox
from educussion.search import index
from educussion.search import indexing

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
    assert indexing.check() == (set(), set())
    assert index.indexed_ids() == {thread.posts[0].id, reply.id}


def _children(parent: int) -> list[int]:
    """The living (not zombie) processes whose parent is `parent`, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                state, ppid = stat.read().rsplit(")", 1)[1].split()[:2]
        except OSError:
            continue
        if int(ppid) == parent and state not in "ZX":
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False


def _wait_until(condition, seconds: float = 60.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_reindex_leaves_no_process_and_its_folder_is_removed(make_app):
    app = make_app(SEARCH_DRAIN="worker")
    with app.app_context():
        for n in range(5):
            make_thread(title=f"端末の相談 {n}", body="端末の更新費用について。" * 20, replies=60)
        root = os.path.join(app.instance_path, "search-index")
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "k" * 40,
               "EDUCUSSION_SEARCH_INDEX_DIR": root, "EDUCUSSION_SEARCH_REINDEX_PROCS": "2"}
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "search", "reindex"], cwd=ROOT,
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert _wait_until(lambda: len(_children(process.pid)) >= 2), "the writer processes did not start"
            children = _children(process.pid)
            os.kill(process.pid, signal.SIGKILL)
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
        try:
            assert _wait_until(lambda: not any(_alive(pid) for pid in children), 30), "a writer outlived the rebuild"
        finally:
            for pid in filter(_alive, children):
                os.kill(pid, signal.SIGKILL)
        # The rebuild first opened (so created) the live index to hold its write lock; its own folder is the other.
        live = index._current_generation(root)
        abandoned = [name for name in os.listdir(root)
                     if name.startswith("gen-") and not name.endswith(".lock") and name != live]
        assert len(abandoned) == 1

        result = app.test_cli_runner().invoke(args=["search", "check"])
        assert "removed 1 abandoned index folder(s) of killed rebuilds" in result.output
        assert abandoned[0] in result.output
        assert not [name for name in os.listdir(root) if name.startswith(abandoned[0])]  # folder and lock file
        assert app.test_cli_runner().invoke(args=["search", "reindex"]).exit_code == 0
        assert indexing.check() == (set(), set())
