"""Paging through search results: one time budget for every step of a search, how deep a reader may page,
and the exact check of candidates (words of several tokens) with an estimate of the count.

The ranking (``index.search``) is one total order, the same at every depth, so the candidates for page 2
start with those of page 1; the matches found among them in order are therefore the same at every depth
too, and pages never lose or repeat a result.

The count of a checked query: the candidates checked in rank order give their matches exactly; the share
of matches among the rest is estimated on a random sample of all candidates (``engine.rank(sample=…)``),
not on the first ones, which match more or less often than the rest (they hold the words more often) and
made 「約N件」 20–40 % wrong. The sample grows, a batch at a time, until the estimate's relative standard
error is at most PRECISION (or SAMPLE candidates, or NONE_SEEN without a match, or the time is up).
Up to ``CHECK_ALL`` candidates are simply all checked: the count is then exact.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from .index import Hits

T = TypeVar("T")

CHECK_ALL = 300  # candidates that are all checked, when there are no more (the count is then exact)
SAMPLE = 2000  # at most this many random candidates are checked to estimate the share of matches among the rest
PRECISION = 0.05  # the sample grows until the estimate's relative standard error is at most this (10 % = 2σ)
NONE_SEEN = 300  # or until this many were checked without a match (the share is then below about 1 %)

clock = time.perf_counter  # the search's clock (a test may count steps with its own)


class Deadline:
    """The end of a search's time budget, shared by the index, the candidate checks and the loading."""

    def __init__(self, seconds: float):
        self.end = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self.end - clock())

    def expired(self) -> bool:
        return clock() >= self.end


def last_page(max_depth: int, per_page: int) -> int:
    """The deepest page a reader can open: results past `max_depth` are never listed."""
    return max(1, max_depth // per_page)


@dataclass(frozen=True)
class Checked(Generic[T]):
    found: list[T]  # the first `needed` matches, in rank order
    total: int  # matches: exact when `exact`, else estimated
    exact: bool
    checked: int  # candidates checked in rank order
    sampled: int  # candidates of the even sample checked for the estimate
    timed_out: bool
    stopped: bool  # fewer than `needed` matches among the candidates at hand, though others remain unchecked


def check(hits: Hits, *, needed: int, keep: Callable[[list[int]], Sequence[T]], deadline: Deadline,
          batch: int) -> Checked[T]:
    """Check `hits`' candidates in rank order, `batch` at a time, until `needed` match (all of them when there
    are at most CHECK_ALL), the candidates at hand run out or the deadline passes. `keep(ids)` returns the
    items of the ids whose text matches, in order."""
    found: list[T] = []
    checked = 0
    timed_out = hits.timed_out
    while checked < len(hits.post_ids) and (len(found) < needed or hits.total <= CHECK_ALL):
        if deadline.expired():
            timed_out = True
            break
        ids = hits.post_ids[checked:checked + batch]
        checked += len(ids)
        found.extend(keep(ids))
    stopped = len(found) < needed and checked < hits.total
    if checked >= hits.total and not timed_out:
        return Checked(found[:needed], len(found), True, checked, 0, False, False)
    matches, sampled, timed_out = _sample_share(hits, set(hits.post_ids[:checked]), keep, deadline, batch,
                                                timed_out)
    rest = max(hits.total - checked, 0)
    if sampled:
        estimate = len(found) + round(rest * matches / sampled)
    else:  # no sample left to check: the share among the candidates checked
        estimate = round(hits.total * len(found) / checked) if checked else 0
    return Checked(found[:needed], max(estimate, len(found)), False, checked, sampled, timed_out, stopped)


def _sample_share(hits: Hits, checked: set[int], keep: Callable[[list[int]], Sequence[T]],
                  deadline: Deadline, batch: int, timed_out: bool) -> tuple[int, int, bool]:
    """(matches, candidates checked) among the sample's candidates not yet checked in rank order, checked a
    batch at a time until the share is known to PRECISION."""
    sample = [post_id for post_id in hits.sample_ids if post_id not in checked]
    matches = sampled = 0
    for start in range(0, len(sample), batch):
        if deadline.expired():
            return matches, sampled, True
        ids = sample[start:start + batch]
        matches += len(keep(ids))
        sampled += len(ids)
        if matches and (sampled - matches) / (sampled * matches) <= PRECISION ** 2:  # (1 − p) / (n p)
            break
        if not matches and sampled >= NONE_SEEN:
            break
    return matches, sampled, timed_out
