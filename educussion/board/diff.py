"""What changed between revisions of a post, line by line (for the edit history page)."""
from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    kind: str  # "same", "added" or "removed"
    text: str


def changes(old: str, new: str) -> list[Line]:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    result: list[Line] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            result += [Line("same", text) for text in old_lines[i1:i2]]
            continue
        result += [Line("removed", text) for text in old_lines[i1:i2]]
        result += [Line("added", text) for text in new_lines[j1:j2]]
    return result


def revision_changes(revisions) -> dict[int, list[Line]]:
    """For each revision after the first: its changes against the one before (keyed by revision number)."""
    ordered = sorted(revisions, key=lambda revision: revision.number)
    return {later.number: changes(earlier.body_source, later.body_source)
            for earlier, later in zip(ordered, ordered[1:])}
