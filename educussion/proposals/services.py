"""Drafting, citing, reviewing (意見照会), approving and submitting 提言. Each function is one unit of work;
every change to the text writes a new version, and a change after approval starts a new draft (the approved
version stays as it was)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import audit, dates, mail, text
from ..database import unit_of_work
from ..errors import InvalidInput, PermissionDenied, Problems
from ..extensions import db
from ..limits import MAX_BODY_LENGTH, MAX_TITLE_LENGTH, too_long_message
from ..models import (AuditAction, NotificationKind, Outcome, Post, Proposal, ProposalCitation, ProposalComment,
                      ProposalParagraph, ProposalReflection, ProposalReviewer, ProposalRewording, ProposalStatus,
                      ProposalVersion, ReviewAnswer, RewordingStatus, Role, Section, Theme, Thread, User, utcnow)
from ..notifications.services import notify
from ..permissions import (can_manage_proposals, can_read_post_body, can_view_thread, why_not_review_proposal)
from ..urls import absolute_url
from . import document

MAX_ADDRESSEE_LENGTH = 200
MAX_NOTE_LENGTH = 2000
REMIND_DAYS_BEFORE = 2  # `flask proposals remind`: reviewers without an answer, this many days before the deadline


def _require_secretariat(actor: User | None) -> None:
    if not can_manage_proposals(actor):
        raise PermissionDenied(_("Only the secretariat can do this."))


def _clean(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").strip()


def _check_body(body: str, field: str = "body") -> None:
    if not body:
        raise InvalidInput(field, _("Please write the text of the paragraph."))
    if len(body) > MAX_BODY_LENGTH:
        raise InvalidInput(field, too_long_message(_("Text"), MAX_BODY_LENGTH, len(body)))


# ---------------------------------------------------------------- versions

def _new_version(proposal: Proposal, actor: User | None, change: str) -> ProposalVersion:
    """Record the working copy as the next version. A change to an approved (or submitted) proposal makes it a
    draft again; members keep reading the approved version until another is approved."""
    db.session.flush()
    db.session.expire(proposal, ["paragraphs", "themes"])
    proposal.version_count = (proposal.version_count or 0) + 1
    proposal.updated_at = utcnow()
    if proposal.status in (ProposalStatus.APPROVED, ProposalStatus.SUBMITTED):
        proposal.status = ProposalStatus.DRAFT
    version = ProposalVersion(proposal_id=proposal.id, number=proposal.version_count, change=change,
                              snapshot=document.snapshot(proposal), created_by_id=actor.id if actor else None,
                              created_at=utcnow())
    db.session.add(version)
    return version


def latest_version(proposal: Proposal) -> ProposalVersion | None:
    return db.session.execute(select(ProposalVersion).filter_by(proposal_id=proposal.id)
                              .order_by(ProposalVersion.number.desc()).limit(1)).scalar()


# ---------------------------------------------------------------- the proposal itself

@dataclass(frozen=True)
class ProposalData:
    fiscal_year: int | None
    title: str
    addressee: str
    theme_ids: tuple[int, ...] = ()


def _checked(data: ProposalData) -> tuple[int, str, str, list[Theme]]:
    problems = Problems()
    title, addressee = _clean(data.title), _clean(data.addressee)
    if not title:
        problems.add("title", _("Please enter the title."))
    elif len(title) > MAX_TITLE_LENGTH:
        problems.add("title", too_long_message(_("Title"), MAX_TITLE_LENGTH, len(title)))
    if len(addressee) > MAX_ADDRESSEE_LENGTH:
        problems.add("addressee", too_long_message(_("Addressee"), MAX_ADDRESSEE_LENGTH, len(addressee)))
    if data.fiscal_year is None or not 2000 <= data.fiscal_year <= 2100:
        problems.add("fiscal_year", _("Please enter the fiscal year by the year it starts, e.g. 2025 for 令和7年度."))
    themes = list(db.session.execute(select(Theme).where(Theme.id.in_(data.theme_ids or ()))).scalars())
    if not themes:
        problems.add("themes", _("Please choose at least one theme."))
    problems.raise_any()
    return data.fiscal_year, title, addressee, themes


def create_proposal(*, actor: User, data: ProposalData) -> Proposal:
    _require_secretariat(actor)
    year, title, addressee, themes = _checked(data)
    with unit_of_work():
        proposal = Proposal(fiscal_year=year, title=title, addressee=addressee, status=ProposalStatus.DRAFT,
                            created_by_id=actor.id, created_at=utcnow(), updated_at=utcnow())
        proposal.themes = themes
        db.session.add(proposal)
        db.session.flush()
        _new_version(proposal, actor, "created")
        audit.record(actor, AuditAction.PROPOSAL_CREATED, proposal,
                     params={"fiscal_year": year, "addressee": addressee})
    return proposal


def update_details(proposal: Proposal, *, actor: User, data: ProposalData) -> Proposal:
    _require_secretariat(actor)
    year, title, addressee, themes = _checked(data)
    with unit_of_work():
        before = {"title": proposal.title, "addressee": proposal.addressee, "fiscal_year": proposal.fiscal_year,
                  "themes": sorted(t.id for t in proposal.themes)}
        proposal.fiscal_year, proposal.title, proposal.addressee = year, title, addressee
        proposal.themes = themes
        after = {"title": title, "addressee": addressee, "fiscal_year": year, "themes": sorted(t.id for t in themes)}
        if before == after:
            return proposal
        version = _new_version(proposal, actor, "details_changed")
        audit.record(actor, AuditAction.PROPOSAL_DETAILS_CHANGED, proposal,
                     params={"version": version.number,
                             "changed": [name for name in after if before[name] != after[name]]})
    return proposal


# ---------------------------------------------------------------- paragraphs

def add_paragraph(proposal: Proposal, *, actor: User, section: str, body: str, post_ids: tuple[int, ...] = (),
                  thread_ids: tuple[int, ...] = ()) -> ProposalParagraph:
    """A new paragraph at the end of its section, citing the given posts and threads (e.g. a thread's まとめ
    with its key points)."""
    _require_secretariat(actor)
    try:
        chosen = Section(section)
    except ValueError:
        raise InvalidInput("section", _("Please choose a section."))
    body = _clean(body)
    _check_body(body)
    posts = [_citable_post(post_id, actor) for post_id in dict.fromkeys(post_ids)]
    threads = [_citable_thread(thread_id, actor) for thread_id in dict.fromkeys(thread_ids)]
    with unit_of_work():
        last = db.session.execute(select(func.max(ProposalParagraph.position))
                                  .where(ProposalParagraph.proposal_id == proposal.id)).scalar()
        paragraph = ProposalParagraph(proposal_id=proposal.id, section=chosen, position=(last or 0) + 1,
                                      body_source=body, body_html=text.render(body), created_at=utcnow(),
                                      updated_at=utcnow())
        db.session.add(paragraph)
        db.session.flush()
        for thread in threads:  # a thread (its まとめ) first, then the posts within it
            _add_citation(paragraph, actor, thread=thread)
        for post in posts:
            _add_citation(paragraph, actor, post=post)
        db.session.expire(paragraph, ["citations"])
        version = _new_version(proposal, actor, "paragraph_added")
        audit.record(actor, AuditAction.PROPOSAL_PARAGRAPH_ADDED, proposal,
                     params={"version": version.number, "section": chosen.value,
                             "citations": len(posts) + len(threads)})
    return paragraph


def edit_paragraph(paragraph: ProposalParagraph, *, actor: User, body: str) -> ProposalParagraph:
    _require_secretariat(actor)
    body = _clean(body)
    _check_body(body)
    with unit_of_work():
        if body == paragraph.body_source:
            return paragraph
        _set_text(paragraph, body)
        version = _new_version(paragraph.proposal, actor, "paragraph_edited")
        audit.record(actor, AuditAction.PROPOSAL_PARAGRAPH_EDITED, paragraph.proposal,
                     params={"version": version.number, "paragraph": paragraph.id})
    return paragraph


def _set_text(paragraph: ProposalParagraph, body: str) -> None:
    paragraph.body_source = body
    paragraph.body_html = text.render(body)
    paragraph.updated_at = utcnow()


def remove_paragraph(paragraph: ProposalParagraph, *, actor: User) -> None:
    """Out of the working copy (the row, its comments and earlier versions stay)."""
    _require_secretariat(actor)
    with unit_of_work():
        if paragraph.removed_at is not None:
            return
        paragraph.removed_at = utcnow()
        for rewording in _open_rewordings(paragraph):
            rewording.status = RewordingStatus.REJECTED
            rewording.decided_at, rewording.decided_by_id = utcnow(), actor.id
            rewording.decision_note = _("The paragraph was removed.")
        version = _new_version(paragraph.proposal, actor, "paragraph_removed")
        audit.record(actor, AuditAction.PROPOSAL_PARAGRAPH_REMOVED, paragraph.proposal,
                     params={"version": version.number, "paragraph": paragraph.id})


def move_paragraph(paragraph: ProposalParagraph, *, actor: User, up: bool) -> None:
    """One place up or down within its section (nothing happens at either end)."""
    _require_secretariat(actor)
    with unit_of_work():
        siblings = [p for p in document.working_paragraphs(paragraph.proposal) if p.section == paragraph.section]
        index = next(i for i, p in enumerate(siblings) if p.id == paragraph.id)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(siblings):
            return
        paragraph.position, siblings[other].position = siblings[other].position, paragraph.position
        version = _new_version(paragraph.proposal, actor, "paragraph_moved")
        audit.record(actor, AuditAction.PROPOSAL_PARAGRAPH_MOVED, paragraph.proposal,
                     params={"version": version.number, "paragraph": paragraph.id, "up": up})


# ---------------------------------------------------------------- citations

_PERMALINK = re.compile(r"^/(posts|threads)/(\d{1,10})/?$")


def parse_permalink(address: str) -> tuple[str, int] | None:
    """("post", 12) from a post's permanent address (https://…/posts/12, /posts/12, #12 or 12) or ("thread", 5)
    from a thread's (…/threads/5, with or without #post-12, which then names the post)."""
    address = (address or "").strip()
    if re.fullmatch(r"#?\d{1,10}", address):
        return "post", int(address.lstrip("#"))
    parts = urlsplit(address)
    anchor = re.fullmatch(r"post-(\d{1,10})", parts.fragment or "")
    if anchor:
        return "post", int(anchor.group(1))
    found = _PERMALINK.match(parts.path or "")
    if found is None:
        return None
    return ("post" if found.group(1) == "posts" else "thread"), int(found.group(2))


def _citable_post(post_id: int, actor: User) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not can_read_post_body(actor, post):
        raise InvalidInput("address", _("No post with the number %(number)d was found.", number=post_id))
    if not post.is_public:
        raise InvalidInput("address", _("Only posts that everyone can see can be cited (post %(number)d is "
                                        "hidden or not approved).", number=post_id))
    return post


def _citable_thread(thread_id: int, actor: User) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None or not can_view_thread(actor, thread):
        raise InvalidInput("address", _("No thread with the number %(number)d was found.", number=thread_id))
    if not thread.is_visible:
        raise InvalidInput("address", _("Only threads that everyone can see can be cited."))
    return thread


def _add_citation(paragraph: ProposalParagraph, actor: User, *, post: Post | None = None,
                  thread: Thread | None = None) -> ProposalCitation:
    if post is not None:
        citation = ProposalCitation(
            paragraph_id=paragraph.id, post_id=post.id, author_name=post.author.display_name,
            author_role=post.author_role, author_organisation=post.author_organisation,
            author_title=post.author_title, written_at=post.created_at, thread_title=post.thread.title)
    else:
        opening = thread.opening_post
        citation = ProposalCitation(
            paragraph_id=paragraph.id, thread_id=thread.id, thread_title=thread.title, written_at=thread.created_at,
            author_name=thread.author.display_name, author_role=opening.author_role if opening else None,
            author_organisation=opening.author_organisation if opening else "",
            author_title=opening.author_title if opening else "")
    citation.created_at, citation.created_by_id = utcnow(), actor.id
    db.session.add(citation)
    return citation


def _already_cited(paragraph: ProposalParagraph, post: Post | None, thread: Thread | None) -> bool:
    return any((post is not None and c.post_id == post.id) or (thread is not None and c.thread_id == thread.id)
               for c in paragraph.citations)


def cite(paragraph: ProposalParagraph, *, actor: User, post_id: int | None = None, thread_id: int | None = None
         ) -> ProposalCitation | None:
    """Cite a post (or a whole thread) in a paragraph; citing it again changes nothing."""
    _require_secretariat(actor)
    if paragraph.removed_at is not None:
        raise InvalidInput(None, _("This paragraph has been removed."))
    post = _citable_post(post_id, actor) if post_id is not None else None
    thread = _citable_thread(thread_id, actor) if post is None and thread_id is not None else None
    if post is None and thread is None:
        raise InvalidInput("address", _("Please give the address of a post or a thread."))
    with unit_of_work():
        if _already_cited(paragraph, post, thread):
            return None
        citation = _add_citation(paragraph, actor, post=post, thread=thread)
        db.session.flush()
        db.session.expire(paragraph, ["citations"])
        version = _new_version(paragraph.proposal, actor, "citation_added")
        audit.record(actor, AuditAction.PROPOSAL_CITATION_ADDED, paragraph.proposal,
                     params={"version": version.number, "paragraph": paragraph.id,
                             "post": post.id if post else None, "thread": thread.id if thread else None})
    return citation


def cite_by_address(paragraph: ProposalParagraph, *, actor: User, address: str) -> ProposalCitation | None:
    found = parse_permalink(address)
    if found is None:
        raise InvalidInput("address", _("Please paste the address of a post (…/posts/123) or a thread "
                                        "(…/threads/45), or a post number."))
    kind, number = found
    return cite(paragraph, actor=actor, **({"post_id": number} if kind == "post" else {"thread_id": number}))


def remove_citation(citation: ProposalCitation, *, actor: User) -> None:
    _require_secretariat(actor)
    with unit_of_work():
        if citation.removed_at is not None:
            return
        citation.removed_at = utcnow()
        paragraph = citation.paragraph
        db.session.flush()
        db.session.expire(paragraph, ["citations"])
        version = _new_version(paragraph.proposal, actor, "citation_removed")
        audit.record(actor, AuditAction.PROPOSAL_CITATION_REMOVED, paragraph.proposal,
                     params={"version": version.number, "paragraph": paragraph.id, "post": citation.post_id,
                             "thread": citation.thread_id})


# ---------------------------------------------------------------- review (意見照会)

def start_review(proposal: Proposal, *, actor: User, reviewer_ids: list[int], deadline: date | None,
                 message: str = "", today: date | None = None) -> list[ProposalReviewer]:
    """Send the draft to the named reviewers: each gets an in-app notification and a mail with the deadline."""
    _require_secretariat(actor)
    problems = Problems()
    today = today or dates.local_date(utcnow())
    if proposal.status != ProposalStatus.DRAFT:
        raise InvalidInput(None, _("Only a draft can be sent for review (this proposal is “%(status)s”).",
                                   status=proposal.status.label))
    reviewers = list(db.session.execute(select(User).where(User.id.in_(reviewer_ids or ()))).scalars())
    reviewers = [user for user in reviewers if user.is_verified and user.role != Role.SECRETARIAT]
    if not reviewers:
        problems.add("reviewers", _("Please choose at least one reviewer."))
    if deadline is None:
        problems.add("deadline", _("Please enter the deadline for answers."))
    elif deadline < today:
        problems.add("deadline", _("The deadline cannot be in the past."))
    message = _clean(message)
    if len(message) > MAX_NOTE_LENGTH:
        problems.add("message", too_long_message(_("Message to the reviewers"), MAX_NOTE_LENGTH, len(message)))
    if not document.working_paragraphs(proposal):
        problems.add(None, _("Please write at least one paragraph before sending the draft for review."))
    problems.raise_any()
    with unit_of_work():
        proposal.review_round += 1
        proposal.review_deadline = deadline
        proposal.status = ProposalStatus.IN_REVIEW
        rows = []
        for user in reviewers:
            row = ProposalReviewer(proposal_id=proposal.id, user_id=user.id, round=proposal.review_round,
                                   invited_at=utcnow(), invited_by_id=actor.id)
            db.session.add(row)
            rows.append(row)
            notify(user, NotificationKind.PROPOSAL_REVIEW_REQUESTED, proposal=proposal)
            _mail_reviewer(user, proposal, message=message, reminder=False)
        audit.record(actor, AuditAction.PROPOSAL_REVIEW_STARTED, proposal,
                     params={"round": proposal.review_round, "deadline": deadline.isoformat(),
                             "reviewers": [user.display_name for user in reviewers]})
    return rows


def _mail_reviewer(user: User, proposal: Proposal, *, message: str, reminder: bool) -> None:
    with force_locale(user.locale or "ja"):
        context = dict(user=user, proposal=proposal, message=message, reminder=reminder,
                       deadline=dates.western(proposal.review_deadline) if proposal.review_deadline else "",
                       link=absolute_url("proposals.show", proposal_id=proposal.id))
        subject = (_("[Educussion] Reminder: your opinion on the draft proposal “%(title)s”", title=proposal.title)
                   if reminder else
                   _("[Educussion] Request for your opinion on the draft proposal “%(title)s”", title=proposal.title))
        mail.queue(user.email, subject, mail.render("mail/proposal_review.txt", **context))


def end_review(proposal: Proposal, *, actor: User) -> Proposal:
    """Close the review without approving: the proposal is a draft again (answers and comments stay)."""
    _require_secretariat(actor)
    if proposal.status != ProposalStatus.IN_REVIEW:
        raise InvalidInput(None, _("This proposal is not in review."))
    with unit_of_work():
        proposal.status = ProposalStatus.DRAFT
        audit.record(actor, AuditAction.PROPOSAL_REVIEW_ENDED, proposal, params={"round": proposal.review_round})
    return proposal


def _may_comment(proposal: Proposal, actor: User) -> None:
    if can_manage_proposals(actor):
        return
    why = why_not_review_proposal(actor, proposal)
    if why is not None:
        raise PermissionDenied(why)


def comment(proposal: Proposal, *, actor: User, body: str, paragraph: ProposalParagraph | None = None
            ) -> ProposalComment:
    _may_comment(proposal, actor)
    body = _clean(body)
    if not body:
        raise InvalidInput("body", _("Please write your comment."))
    if len(body) > MAX_BODY_LENGTH:
        raise InvalidInput("body", too_long_message(_("Comment"), MAX_BODY_LENGTH, len(body)))
    with unit_of_work():
        note = ProposalComment(proposal_id=proposal.id, paragraph_id=paragraph.id if paragraph else None,
                               author_id=actor.id, body_source=body, body_html=text.render(body),
                               version_number=proposal.version_count, created_at=utcnow())
        db.session.add(note)
        audit.record(actor, AuditAction.PROPOSAL_COMMENTED, proposal,
                     params={"paragraph": paragraph.id if paragraph else None, "excerpt": body[:80]})
    return note


def propose_rewording(paragraph: ProposalParagraph, *, actor: User, body: str, note: str = "") -> ProposalRewording:
    proposal = paragraph.proposal
    _may_comment(proposal, actor)
    body, note = _clean(body), _clean(note)
    _check_body(body)
    if body == paragraph.body_source:
        raise InvalidInput("body", _("The wording is the same as the paragraph's. Change the text to propose a "
                                     "new wording."))
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput("note", too_long_message(_("Reason"), MAX_NOTE_LENGTH, len(note)))
    with unit_of_work():
        rewording = ProposalRewording(proposal_id=proposal.id, paragraph_id=paragraph.id, author_id=actor.id,
                                      base_source=paragraph.body_source, body_source=body, note=note,
                                      created_at=utcnow())
        db.session.add(rewording)
        audit.record(actor, AuditAction.PROPOSAL_REWORDING_PROPOSED, proposal, params={"paragraph": paragraph.id})
    return rewording


def _open_rewordings(paragraph: ProposalParagraph) -> list[ProposalRewording]:
    return list(db.session.execute(select(ProposalRewording).filter_by(
        paragraph_id=paragraph.id, status=RewordingStatus.OPEN)).scalars())


def decide_rewording(rewording: ProposalRewording, *, actor: User, accept: bool, note: str = "") -> ProposalRewording:
    """Accept (the paragraph takes the new wording: a new version) or reject a proposed rewording."""
    _require_secretariat(actor)
    if rewording.status != RewordingStatus.OPEN:
        raise InvalidInput(None, _("This rewording has already been decided."))
    paragraph = rewording.paragraph
    if accept and paragraph.removed_at is not None:
        raise InvalidInput(None, _("The paragraph has been removed; the rewording cannot be taken in."))
    if accept and paragraph.body_source != rewording.base_source:
        raise InvalidInput(None, _("The paragraph has changed since this rewording was proposed. Edit the paragraph "
                                   "by hand, then reject the rewording with a note."))
    note = _clean(note)
    with unit_of_work():
        rewording.status = RewordingStatus.ACCEPTED if accept else RewordingStatus.REJECTED
        rewording.decided_at, rewording.decided_by_id, rewording.decision_note = utcnow(), actor.id, note
        if accept:
            _set_text(paragraph, rewording.body_source)
            version = _new_version(paragraph.proposal, actor, "rewording_accepted")
            rewording.version_number = version.number
        audit.record(actor, AuditAction.PROPOSAL_REWORDING_ACCEPTED if accept
                     else AuditAction.PROPOSAL_REWORDING_REJECTED, paragraph.proposal,
                     params={"paragraph": paragraph.id, "author": rewording.author.display_name,
                             "version": rewording.version_number})
    return rewording


def answer_review(proposal: Proposal, *, actor: User, answer: str, note: str = "") -> ProposalReviewer:
    """The reviewer's answer: 賛成 or 修正意見あり (may be changed until the review ends)."""
    why = why_not_review_proposal(actor, proposal)
    if why is not None:
        raise PermissionDenied(why)
    try:
        value = ReviewAnswer(answer)
    except ValueError:
        raise InvalidInput("answer", _("Please choose your answer."))
    note = _clean(note)
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput("note", too_long_message(_("Note"), MAX_NOTE_LENGTH, len(note)))
    with unit_of_work():
        row = db.session.execute(select(ProposalReviewer).filter_by(
            proposal_id=proposal.id, user_id=actor.id, round=proposal.review_round)).scalar_one()
        row.answer, row.answer_note, row.answered_at = value, note, utcnow()
        audit.record(actor, AuditAction.PROPOSAL_REVIEW_ANSWERED, proposal,
                     params={"round": proposal.review_round, "answer": value.value})
    return row


def send_reminders(*, days_before: int = REMIND_DAYS_BEFORE, today: date | None = None) -> int:
    """Remind the reviewers who have not answered when the deadline is at most `days_before` days away (each
    reviewer once per round; run from cron daily). Returns how many were reminded."""
    today = today or dates.local_date(utcnow())
    due = db.session.execute(select(Proposal).where(
        Proposal.status == ProposalStatus.IN_REVIEW, Proposal.review_deadline.is_not(None),
        Proposal.review_deadline >= today, Proposal.review_deadline <= today + timedelta(days=days_before))
    ).scalars().all()
    reminded = 0
    for proposal in due:
        with unit_of_work():
            waiting = db.session.execute(select(ProposalReviewer).filter_by(
                proposal_id=proposal.id, round=proposal.review_round, answer=None, reminded_at=None)).scalars().all()
            for row in waiting:
                row.reminded_at = utcnow()
                notify(row.user, NotificationKind.PROPOSAL_REVIEW_REMINDER, proposal=proposal)
                _mail_reviewer(row.user, proposal, message="", reminder=True)
            if waiting:
                audit.record(None, AuditAction.PROPOSAL_REVIEW_REMINDED, proposal,
                             params={"round": proposal.review_round, "count": len(waiting)})
            reminded += len(waiting)
    return reminded


# ---------------------------------------------------------------- approval and submission

def approve(proposal: Proposal, *, actor: User) -> ProposalVersion:
    """Freeze the latest version as approved (who, when); the threads it cites get the outcome 「提言に反映」
    and a link to it."""
    _require_secretariat(actor)
    if proposal.status not in (ProposalStatus.DRAFT, ProposalStatus.IN_REVIEW):
        raise InvalidInput(None, _("This version is already approved."))
    if not document.working_paragraphs(proposal):
        raise InvalidInput(None, _("An empty proposal cannot be approved. Please write its paragraphs first."))
    waiting = db.session.execute(select(func.count(ProposalRewording.id)).filter_by(
        proposal_id=proposal.id, status=RewordingStatus.OPEN)).scalar_one()
    if waiting:
        raise InvalidInput(None, _("Please accept or reject the %(count)d proposed rewordings first.", count=waiting))
    with unit_of_work():
        version = latest_version(proposal)
        version.approved_at, version.approved_by_id = utcnow(), actor.id
        proposal.approved_version_id = version.id
        proposal.status = ProposalStatus.APPROVED
        proposal.submitted_on = None
        audit.record(actor, AuditAction.PROPOSAL_APPROVED, proposal, params={"version": version.number})
        for thread in _cited_threads(version):
            _reflect(proposal, thread, version, actor)
    return version


def _cited_threads(version: ProposalVersion) -> list[Thread]:
    threads: dict[int, Thread] = {}
    for paragraph in version.snapshot["paragraphs"]:
        for cited in paragraph["citations"]:
            post = db.session.get(Post, cited["post_id"]) if cited.get("post_id") else None
            thread = post.thread if post is not None else (
                db.session.get(Thread, cited["thread_id"]) if cited.get("thread_id") else None)
            if thread is not None:
                threads[thread.id] = thread  # a moved post counts for the thread it is in now
    return list(threads.values())


def _reflect(proposal: Proposal, thread: Thread, version: ProposalVersion, actor: User) -> None:
    exists = db.session.execute(select(ProposalReflection).filter_by(proposal_id=proposal.id, thread_id=thread.id)
                                ).scalar()
    if exists is None:
        db.session.add(ProposalReflection(proposal_id=proposal.id, thread_id=thread.id, version_number=version.number,
                                          created_at=utcnow()))
    if thread.outcome != Outcome.REFLECTED:
        before = thread.outcome
        thread.outcome = Outcome.REFLECTED
        audit.record(actor, AuditAction.THREAD_OUTCOME_SET, thread,
                     params={"from": before.value, "to": Outcome.REFLECTED.value})


def mark_submitted(proposal: Proposal, *, actor: User, submitted_on: date | None) -> Proposal:
    """Record that the approved proposal was handed to its addressee (提出済み), on the given day."""
    _require_secretariat(actor)
    if proposal.status != ProposalStatus.APPROVED:
        raise InvalidInput(None, _("Only an approved proposal can be marked as submitted."))
    if submitted_on is None:
        raise InvalidInput("submitted_on", _("Please enter the day it was submitted."))
    with unit_of_work():
        proposal.status = ProposalStatus.SUBMITTED
        proposal.submitted_on = submitted_on
        audit.record(actor, AuditAction.PROPOSAL_SUBMITTED, proposal,
                     params={"on": submitted_on.isoformat(), "version": latest_version(proposal).number})
    return proposal
