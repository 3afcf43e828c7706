"""What changed between revisions of a post, line by line (for the edit history page).

The comparison is bounded: a line diff (Myers' O((N+M)·D) algorithm on the lines that differ, after the common
beginning and end are set aside) that stops after a fixed number of steps and then shows the differing part
as one changed block. Its cost therefore never depends on how repetitive the text is (difflib's
SequenceMatcher took minutes on repeated lines), and one page of history has a budget for all its revisions.
Results are kept per revision pair (revisions never change), within a bounded number of lines.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

STEPS_PER_DIFF = 1_000_000  # one comparison: about 0.1 s of CPU on a quiet machine, far less on most texts
STEPS_PER_PAGE = 3_000_000  # every comparison of one history page together
CONTEXT = 3  # unchanged lines shown around a change; longer unchanged runs are summarised
CACHE_LINES = 200_000  # results kept in memory, counted in lines


@dataclass(frozen=True)
class Line:
    kind: str  # "same", "added", "removed", or "skipped" (text: how many unchanged lines are not shown)
    text: str  # the line, or consecutive lines of the same kind joined by newlines


class Budget:
    """Steps left for the comparisons of one page; `used` counts them (tests read it)."""

    def __init__(self, steps: int = STEPS_PER_PAGE):
        self.left = steps
        self.used = 0

    def spend(self, steps: int) -> None:
        self.left -= steps
        self.used += steps


def _common_prefix(a: list[str], b: list[str]) -> int:
    """Length of the common beginning, by halving (list slices compare at C speed)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: list[str], b: list[str], limit: int) -> int:
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle:len(a) - low] == b[len(b) - middle:len(b) - low]:
            low = middle
        else:
            high = middle - 1
    return low


def _myers(a: list[int], b: list[int], limit: int) -> tuple[list[tuple[str, int]] | None, int]:
    """The shortest edit script from a to b as [(kind, index)], or None when it needs more than `limit`
    steps; and the steps used. (E. Myers, "An O(ND) difference algorithm and its variations", 1986.)"""
    n, m = len(a), len(b)
    v = {1: 0}
    trace: list[dict[int, int]] = []
    steps = 0
    for d in range(n + m + 1):
        trace.append(dict(v))
        steps += len(v)
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[k - 1] < v[k + 1]):
                x = v[k + 1]
            else:
                x = v[k - 1] + 1
            y = x - k
            start = x
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            steps += 1 + x - start
            v[k] = x
            if steps > limit:
                return None, steps
            if x >= n and y >= m:
                return _backtrack(trace, n, m), steps
    return [], steps  # not reached: d = n + m always ends


def _backtrack(trace: list[dict[int, int]], n: int, m: int) -> list[tuple[str, int]]:
    script: list[tuple[str, int]] = []
    x, y = n, m
    for d in range(len(trace) - 1, -1, -1):
        v = trace[d]
        k = x - y
        previous_k = k + 1 if k == -d or (k != d and v[k - 1] < v[k + 1]) else k - 1
        previous_x = v[previous_k]
        previous_y = previous_x - previous_k
        while x > previous_x and y > previous_y:
            x, y = x - 1, y - 1
            script.append(("same", x))
        if d > 0:
            script.append(("added", y - 1) if x == previous_x else ("removed", x - 1))
        x, y = previous_x, previous_y
    script.reverse()
    return script


def _middle(old: list[str], new: list[str], limit: int) -> tuple[list[Line], int]:
    """The differing middle part: line by line, or one changed block when the script needs too many steps."""
    if not old or not new or limit <= len(old) + len(new):
        return [Line("removed", text) for text in old] + [Line("added", text) for text in new], 0
    codes: dict[str, int] = {}
    a = [codes.setdefault(line, len(codes)) for line in old]
    b = [codes.setdefault(line, len(codes)) for line in new]
    steps = len(a) + len(b)
    script, used = _myers(a, b, limit - steps)
    steps += used
    if script is None:  # over budget: everything in between has changed
        return [Line("removed", text) for text in old] + [Line("added", text) for text in new], steps
    lines: list[Line] = []
    removed: list[Line] = []
    added: list[Line] = []
    for kind, index in script:  # within a change, removed lines come before added ones
        if kind == "removed":
            removed.append(Line("removed", old[index]))
        elif kind == "added":
            added.append(Line("added", new[index]))
        else:
            lines += removed + added
            removed, added = [], []
            lines.append(Line("same", old[index]))
    return lines + removed + added, steps


def _with_context(lines: list[Line]) -> list[Line]:
    """Long runs of unchanged lines shrink to CONTEXT lines either side of a change."""
    result: list[Line] = []
    i = 0
    while i < len(lines):
        if lines[i].kind != "same":
            result.append(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].kind == "same":
            j += 1
        keep_before = CONTEXT if i > 0 else 0
        keep_after = CONTEXT if j < len(lines) else 0
        if j - i > keep_before + keep_after + 1:
            result += lines[i:i + keep_before]
            result.append(Line("skipped", str(j - i - keep_before - keep_after)))
            result += lines[j - keep_after:j]
        else:
            result += lines[i:j]
        i = j
    return result


def _blocks(lines: list[Line]) -> list[Line]:
    """Consecutive lines of one kind as one block (its lines joined by newlines): the page shows a few
    blocks rather than thousands of elements, whatever the length of the text."""
    result: list[Line] = []
    run: list[str] = []
    for i, line in enumerate(lines):
        run.append(line.text)
        if i + 1 == len(lines) or lines[i + 1].kind != line.kind or line.kind == "skipped":
            result.append(Line(line.kind, "\n".join(run)))
            run = []
    return result


def changes(old: str, new: str, budget: Budget | None = None) -> list[Line]:
    """`new` against `old` as blocks of same, removed and added lines, long unchanged runs summarised."""
    budget = budget if budget is not None else Budget(STEPS_PER_DIFF)
    old_lines, new_lines = old.splitlines(), new.splitlines()
    head = _common_prefix(old_lines, new_lines)
    tail = _common_suffix(old_lines, new_lines, min(len(old_lines), len(new_lines)) - head)
    middle, steps = _middle(old_lines[head:len(old_lines) - tail], new_lines[head:len(new_lines) - tail],
                            min(STEPS_PER_DIFF, max(budget.left, 0)))
    budget.spend(steps)
    lines = ([Line("same", text) for text in old_lines[:head]] + middle
             + [Line("same", text) for text in old_lines[len(old_lines) - tail:]])
    return _blocks(_with_context(lines))


class _Cache:
    """Comparisons of revision pairs, least recently used dropped first, bounded by their number of lines."""

    def __init__(self, max_lines: int):
        self.max_lines = max_lines
        self.lines = 0
        self.items: OrderedDict[tuple, list[Line]] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple) -> list[Line] | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: tuple, value: list[Line]) -> None:
        if len(value) > self.max_lines:
            return
        with self.lock:
            if key in self.items:
                return
            self.items[key] = value
            self.lines += len(value)
            while self.lines > self.max_lines:
                _, dropped = self.items.popitem(last=False)
                self.lines -= len(dropped)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.lines = 0


cache = _Cache(CACHE_LINES)


def revision_changes(revisions, budget: Budget | None = None) -> dict[int, list[Line]]:
    """For each revision after the first: its changes against the one before (keyed by revision number).
    All of them together stay within one page's budget; a pair compared in full is kept for next time."""
    budget = budget if budget is not None else Budget()
    ordered = sorted(revisions, key=lambda revision: revision.number)
    result: dict[int, list[Line]] = {}
    for earlier, later in zip(ordered, ordered[1:]):
        key = (earlier.id, later.id)
        found = cache.get(key) if earlier.id is not None and later.id is not None else None
        if found is None:
            left = budget.left
            found = changes(earlier.body_source, later.body_source, budget)
            if left >= STEPS_PER_DIFF:  # not cut short by the page's budget: the same next time
                cache.put(key, found)
        result[later.number] = found
    return result
