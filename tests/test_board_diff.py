"""The edit history's diff is bounded: repeated lines, many revisions and the longest bodies cost a fixed
number of steps (and little CPU time), and what it shows is still the right change."""
import random
import time

import pytest

from educussion.board import diff
from educussion.board import services as board_services
from educussion.board.services import MAX_BODY_LENGTH
from educussion.extensions import db
from educussion.models import Post, Role

from .factories import make_thread, make_user

# CPU seconds for work that took minutes (8 s for 2,000 characters, hours for 20,000) before the diff was
# bounded: generous, for a machine shared with other test runs.
CPU_BOUND = 2.0


def _worst_bodies(size: int) -> list[str]:
    """Bodies of repeated and near-repeated lines that made difflib's SequenceMatcher take cubic time."""
    lines = size // 2
    near = [f"同じ行{i % 3}" for i in range(size // 6)]
    bodies = [
        "あ\n" * (lines - 1) + "あ",
        "あ\nい\n" * (lines // 2 - 1) + "あ\nい",
        "い\nあ\nあ\n" * (size // 6 - 1) + "い\nあ",
        "\n".join(near),
        "\n".join(reversed(near)),
        "\n".join(random.Random(7).choice("あい") for _ in range(lines)),
    ]
    return [body[:size] for body in bodies]


def _expanded(lines: list[diff.Line]) -> tuple[list[str], list[str]]:
    old = [text for line in lines if line.kind in ("same", "removed") for text in line.text.split("\n")]
    new = [text for line in lines if line.kind in ("same", "added") for text in line.text.split("\n")]
    return old, new


def test_two_thousand_characters_of_repeated_lines_are_compared_at_once():
    """The input that held a worker for 56 s: now a bounded number of steps and a fraction of a second."""
    old, new = "あ\n" * 1000, "あ\nい\n" * 500
    budget = diff.Budget(diff.STEPS_PER_DIFF)
    started = time.process_time()
    lines = diff.changes(old, new, budget)
    assert time.process_time() - started < CPU_BOUND
    assert budget.used <= diff.STEPS_PER_DIFF + 2 * 2000
    assert any(line.kind == "added" and "い" in line.text.split("\n") for line in lines)


@pytest.mark.parametrize("pair", range(30))
def test_every_worst_pair_at_full_length_stays_within_its_budget(pair):
    bodies = _worst_bodies(MAX_BODY_LENGTH)
    old, new = bodies[pair % len(bodies)], bodies[(pair // len(bodies) + pair + 1) % len(bodies)]
    budget = diff.Budget(diff.STEPS_PER_DIFF)
    started = time.process_time()
    lines = diff.changes(old, new, budget)
    assert time.process_time() - started < CPU_BOUND
    # The comparison itself, plus one step per line to number the lines that differ.
    assert budget.used <= diff.STEPS_PER_DIFF + len(old.splitlines()) + len(new.splitlines())
    assert {line.kind for line in lines} <= {"same", "added", "removed", "skipped"}
    assert len(lines) <= len(old.splitlines()) + len(new.splitlines()) + 2


def test_the_diff_is_the_shortest_one_when_within_budget():
    """Checked against the longest common subsequence on many small random texts."""
    rng = random.Random(3)
    for _ in range(500):
        a = [rng.choice("abc") for _ in range(rng.randint(0, 10))]
        b = [rng.choice("abc") for _ in range(rng.randint(0, 10))]
        lines, _steps = diff._middle(a, b, 10**9)
        assert [line.text for line in lines if line.kind != "added"] == a
        assert [line.text for line in lines if line.kind != "removed"] == b
        lcs = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i, x in enumerate(a):
            for j, y in enumerate(b):
                lcs[i + 1][j + 1] = lcs[i][j] + 1 if x == y else max(lcs[i][j + 1], lcs[i + 1][j])
        assert sum(1 for line in lines if line.kind == "same") == lcs[len(a)][len(b)], (a, b)


def test_over_budget_the_differing_part_is_one_changed_block():
    old = "はじめ\n" + "あ\n" * 3000 + "おわり"
    new = "はじめ\n" + "あ\nい\n" * 1500 + "おわり"
    lines = diff.changes(old, new, diff.Budget(1000))
    assert [line.kind for line in lines] == ["same", "removed", "added", "same"]  # one changed block
    assert lines[0].text.startswith("はじめ") and lines[-1].text.endswith("おわり")
    assert _expanded(lines) == (old.splitlines(), new.splitlines())


def test_an_ordinary_edit_shows_the_change_with_a_little_context():
    base = [f"{i}行目の本文です。" for i in range(1, 201)]
    edited = list(base)
    edited[99] = "100行目を書き直しました。"
    lines = diff.changes("\n".join(base), "\n".join(edited))
    assert lines == [diff.Line("skipped", "96"), diff.Line("same", "\n".join(base[96:99])),
                     diff.Line("removed", base[99]), diff.Line("added", edited[99]),
                     diff.Line("same", "\n".join(base[100:103])), diff.Line("skipped", "97")]


def test_the_history_page_of_the_worst_post_answers_within_bounds(app, client, login_as):
    """Many revisions of the longest bodies of repeated lines: one bounded page, kept for the next view."""
    app.config["SEARCH_DRAIN"] = "worker"  # the search index plays no part here
    author = make_user(Role.MAYOR)
    thread = make_thread(author=author, body="最初の本文")
    post_id = thread.posts[0].id
    bodies = _worst_bodies(MAX_BODY_LENGTH) * 2
    for body in bodies:
        board_services.edit_post(db.session.get(Post, post_id), actor=author, body=body)
    post = db.session.get(Post, post_id)
    assert len(post.revisions) == len(bodies) + 1
    diff.cache.clear()
    budget = diff.Budget()
    started = time.process_time()
    diff.revision_changes(post.revisions, budget)
    assert time.process_time() - started < CPU_BOUND
    assert budget.used <= diff.STEPS_PER_PAGE + diff.STEPS_PER_DIFF + 4 * MAX_BODY_LENGTH

    diff.cache.clear()
    login_as(author)
    started = time.process_time()
    response = client.get(f"/posts/{post_id}/history")
    assert time.process_time() - started < CPU_BOUND  # every comparison, the page and its full texts
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="revision__subheading"') == len(bodies)
    kept = len(diff.cache.items)
    assert kept >= 1  # pairs compared in full are kept for the next view (revisions never change)
    assert client.get(f"/posts/{post_id}/history").status_code == 200
    assert len(diff.cache.items) >= kept
