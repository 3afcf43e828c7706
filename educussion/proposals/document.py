"""A proposal as a document: the snapshot a version stores, and what a reader is shown of it (sections,
paragraphs, the numbered sources 「※3」 as this reader may see them); the changes between versions and of a
proposed rewording. No Flask request and no writes: the page, the print view and the DOCX all use it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from .. import dates, text
from ..board.diff import Budget, Line, changes
from ..extensions import db
from ..models import (Post, Proposal, ProposalCitation, ProposalParagraph, ProposalVersion, Role, Section, Thread,
                      User, format_affiliation)
from ..permissions import can_read_post_body, can_view_thread, is_secretariat
from ..urls import absolute_url

SNAPSHOT_FORMAT = 1


# ---------------------------------------------------------------- the snapshot a version stores

def _citation_data(citation: ProposalCitation) -> dict[str, Any]:
    return {"id": citation.id, "post_id": citation.post_id, "thread_id": citation.thread_id,
            "author_name": citation.author_name,
            "author_role": citation.author_role.value if citation.author_role else None,
            "author_organisation": citation.author_organisation, "author_title": citation.author_title,
            "written_at": citation.written_at.isoformat() if citation.written_at else None,
            "thread_title": citation.thread_title}


def working_paragraphs(proposal: Proposal) -> list[ProposalParagraph]:
    """The paragraphs of the working copy, section by section, in order (read fresh from the database)."""
    from sqlalchemy import select

    found = db.session.execute(select(ProposalParagraph).where(
        ProposalParagraph.proposal_id == proposal.id, ProposalParagraph.removed_at.is_(None))).scalars().all()
    order = {section: index for index, section in enumerate(Section)}
    return sorted(found, key=lambda p: (order[p.section], p.position, p.id))


def snapshot(proposal: Proposal) -> dict[str, Any]:
    """The whole proposal as plain data, as a version keeps it."""
    return {
        "format": SNAPSHOT_FORMAT,
        "title": proposal.title,
        "addressee": proposal.addressee,
        "fiscal_year": proposal.fiscal_year,
        "themes": [theme.name_ja for theme in proposal.themes],
        "paragraphs": [{"id": paragraph.id, "section": paragraph.section.value,
                        "body_source": paragraph.body_source, "body_html": paragraph.body_html,
                        "citations": [_citation_data(c) for c in paragraph.citations]}
                       for paragraph in working_paragraphs(proposal)],
    }


# ---------------------------------------------------------------- what a reader sees

@dataclass
class Source:
    """One entry of the annex of sources, numbered in the order the paragraphs first cite it."""
    number: int
    kind: str  # "post" or "thread"
    post_id: int | None
    thread_id: int | None
    author: str  # 「多久市長 山田 太郎」 (empty when hidden from this reader)
    role: str
    written_at: datetime | None
    thread_title: str
    url: str
    hidden: bool  # this reader may not see it: shown as 「非表示になった投稿」
    flagged: bool  # not public any more: the secretariat is told
    excerpt: str = ""

    @property
    def mark(self) -> str:
        return f"※{self.number}"

    @property
    def date_text(self) -> str:
        return dates.western(self.written_at) if self.written_at else ""

    @property
    def hidden_label(self) -> str:
        return _("A post that has been hidden") if self.kind == "post" else _("A thread that has been hidden")

    def annex_text(self) -> str:
        """「多久市長 山田 太郎「端末更新の費用負担について」への投稿（2025年4月1日）」 — the URL is written apart."""
        if self.hidden:
            return self.hidden_label
        if self.kind == "thread":
            return _("Thread “%(title)s” opened by %(author)s (%(date)s)", title=self.thread_title,
                     author=self.author, date=self.date_text)
        return _("Post by %(author)s in “%(title)s” (%(date)s)", author=self.author, title=self.thread_title,
                 date=self.date_text)


@dataclass
class Paragraph:
    id: int
    section: Section
    body_source: str
    body_html: str
    sources: list[Source] = field(default_factory=list)
    citation_ids: dict[int, list[int]] = field(default_factory=dict)  # by source number: to remove a citation

    @property
    def marks(self) -> str:
        return "".join(source.mark for source in self.sources)


@dataclass
class Document:
    proposal_id: int
    title: str
    addressee: str
    fiscal_year: int
    themes: list[str]
    version_number: int
    sections: list[tuple[Section, list[Paragraph]]]
    sources: list[Source]
    approved_at: datetime | None = None
    approved_by: str = ""
    is_approved: bool = False

    @property
    def fiscal_year_label(self) -> str:
        return dates.fiscal_year_label(self.fiscal_year)

    @property
    def flagged(self) -> list[Source]:
        return [source for source in self.sources if source.flagged]

    @property
    def is_empty(self) -> bool:
        return not any(paragraphs for _section, paragraphs in self.sections)


def author_label(organisation: str, title: str, name: str) -> str:
    return " ".join(part for part in (format_affiliation(organisation, title), name) if part)


def _source(data: dict, number: int, viewer: User | None) -> Source:
    post = db.session.get(Post, data["post_id"]) if data.get("post_id") else None
    thread = post.thread if post is not None else (
        db.session.get(Thread, data["thread_id"]) if data.get("thread_id") else None)
    if post is not None:
        public = post.is_public
        readable = can_read_post_body(viewer, post) and can_view_thread(viewer, post.thread)
        url = absolute_url("board.permalink", post_id=post.id)
        excerpt = text.excerpt(post.body_html, 120) if readable else ""
        kind = "post"
    else:
        public = thread is not None and thread.is_visible
        readable = thread is not None and can_view_thread(viewer, thread)
        url = absolute_url("board.show_thread", thread_id=thread.id) if thread is not None else ""
        excerpt = ""
        kind = "thread"
    written = datetime.fromisoformat(data["written_at"]) if data.get("written_at") else None
    role = Role(data["author_role"]).label if data.get("author_role") else ""
    return Source(
        number=number, kind=kind, post_id=data.get("post_id"), thread_id=thread.id if thread else data.get("thread_id"),
        author=author_label(data.get("author_organisation", ""), data.get("author_title", ""),
                            data.get("author_name", "")) if readable else "",
        role=role if readable else "", written_at=written,
        # a moved post is read where it is now; its title as cited is the fallback
        thread_title=(thread.title if thread is not None else data.get("thread_title", "")) if readable else "",
        url=url if readable else "", hidden=not readable, flagged=not public and is_secretariat(viewer),
        excerpt=excerpt)


def build(proposal: Proposal, data: dict[str, Any], *, viewer: User | None, version: ProposalVersion | None = None
          ) -> Document:
    """The document a reader is shown of a snapshot (a version's, or the working copy's)."""
    numbers: dict[tuple, Source] = {}
    by_section: dict[Section, list[Paragraph]] = {section: [] for section in Section}
    for item in data["paragraphs"]:
        paragraph = Paragraph(id=item["id"], section=Section(item["section"]), body_source=item["body_source"],
                              body_html=item["body_html"])
        for cited in item["citations"]:
            key = ("post", cited["post_id"]) if cited.get("post_id") else ("thread", cited.get("thread_id"))
            if key not in numbers:
                numbers[key] = _source(cited, len(numbers) + 1, viewer)
            if numbers[key] not in paragraph.sources:
                paragraph.sources.append(numbers[key])
            paragraph.citation_ids.setdefault(numbers[key].number, []).append(cited["id"])
        by_section[paragraph.section].append(paragraph)
    approved = version is not None and version.approved_at is not None
    return Document(
        proposal_id=proposal.id, title=data["title"], addressee=data["addressee"], fiscal_year=data["fiscal_year"],
        themes=list(data.get("themes", [])), version_number=version.number if version else proposal.version_count,
        sections=[(section, by_section[section]) for section in Section], sources=list(numbers.values()),
        approved_at=version.approved_at if approved else None,
        approved_by=version.approved_by.display_name if approved and version.approved_by else "",
        is_approved=approved)


# ---------------------------------------------------------------- changes

_SENTENCE_END = re.compile(r"(?<=[。！？!?])(?=.)")


def sentences(source: str) -> str:
    """One sentence a line (a Japanese paragraph is often one long line), so a line diff shows which
    sentences changed."""
    lines = []
    for line in source.replace("\r\n", "\n").split("\n"):
        lines.extend(_SENTENCE_END.split(line) if line.strip() else [line])
    return "\n".join(lines)


def text_of(data: dict[str, Any]) -> str:
    """The snapshot as text, for comparing versions: the facts, then each section's paragraphs by sentence."""
    lines = [f"{_('Title')}: {data['title']}", f"{_('Addressee')}: {data['addressee']}",
             f"{_('Fiscal year')}: {dates.fiscal_year_label(data['fiscal_year'])}"]
    for section in Section:
        paragraphs = [p for p in data["paragraphs"] if p["section"] == section.value]
        if not paragraphs:
            continue
        lines.append("")
        lines.append(f"■ {section.label}")
        for paragraph in paragraphs:
            lines.append("")
            lines.append(sentences(paragraph["body_source"]))
            cited = [c["post_id"] or c["thread_id"] for c in paragraph["citations"]]
            if cited:
                lines.append(_("(sources: %(ids)s)", ids=", ".join(
                    f"#{c['post_id']}" if c.get("post_id") else f"{_('thread')} {c['thread_id']}"
                    for c in paragraph["citations"])))
    return "\n".join(lines)


def version_changes(older: ProposalVersion | None, newer: ProposalVersion, budget: Budget | None = None
                    ) -> list[Line]:
    before = text_of(older.snapshot) if older is not None else ""
    return changes(before, text_of(newer.snapshot), budget)


def rewording_changes(base: str, proposed: str) -> list[Line]:
    return changes(sentences(base), sentences(proposed))
