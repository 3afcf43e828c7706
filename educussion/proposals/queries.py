"""Read-only lookups for the proposal and 総会 pages."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from .. import text
from ..extensions import db
from ..models import (AgendaItem, AgendaLink, GeneralMeeting, Post, Proposal, ProposalCitation, ProposalComment,
                      ProposalParagraph, ProposalReflection, ProposalReviewer, ProposalRewording, ProposalStatus,
                      ProposalVersion, Role, RewordingStatus, Thread, User, Visibility)
from ..permissions import can_manage_proposals, is_secretariat
from .document import author_label


def proposal_by_id(proposal_id: int) -> Proposal | None:
    return db.session.execute(select(Proposal).options(
        selectinload(Proposal.themes), selectinload(Proposal.reviewers).joinedload(ProposalReviewer.user))
        .filter_by(id=proposal_id)).scalar()


def paragraph_by_id(proposal: Proposal, paragraph_id: int) -> ProposalParagraph | None:
    return db.session.execute(select(ProposalParagraph).filter_by(id=paragraph_id, proposal_id=proposal.id)).scalar()


def paragraph_by_id_any(paragraph_id: int) -> ProposalParagraph | None:
    return db.session.execute(select(ProposalParagraph).filter_by(id=paragraph_id, removed_at=None)).scalar()


def citation_by_id(proposal: Proposal, citation_id: int) -> ProposalCitation | None:
    return db.session.execute(select(ProposalCitation).join(ProposalParagraph).where(
        ProposalCitation.id == citation_id, ProposalParagraph.proposal_id == proposal.id)).scalar()


def rewording_by_id(proposal: Proposal, rewording_id: int) -> ProposalRewording | None:
    return db.session.execute(select(ProposalRewording).filter_by(id=rewording_id, proposal_id=proposal.id)).scalar()


def visible_proposals(viewer: User) -> list[Proposal]:
    """Newest 年度 first: every proposal for the secretariat; otherwise the approved ones and those the member
    was asked to review."""
    query = select(Proposal).options(selectinload(Proposal.themes)).order_by(Proposal.fiscal_year.desc(),
                                                                             Proposal.id.desc())
    if not is_secretariat(viewer):
        reviewing = select(ProposalReviewer.proposal_id).where(ProposalReviewer.user_id == viewer.id)
        query = query.where(or_(Proposal.approved_version_id.is_not(None), Proposal.id.in_(reviewing)))
    return list(db.session.execute(query).scalars())


def drafts() -> list[Proposal]:
    """Proposals the secretariat may add paragraphs and citations to (all of them: an approved one becomes a new
    draft), newest first."""
    return list(db.session.execute(select(Proposal).order_by(Proposal.fiscal_year.desc(), Proposal.id.desc()))
                .scalars())


def versions(proposal: Proposal) -> list[ProposalVersion]:
    return list(db.session.execute(select(ProposalVersion).options(
        joinedload(ProposalVersion.created_by), joinedload(ProposalVersion.approved_by))
        .filter_by(proposal_id=proposal.id).order_by(ProposalVersion.number.desc())).scalars())


def version(proposal: Proposal, number: int) -> ProposalVersion | None:
    return db.session.execute(select(ProposalVersion).filter_by(proposal_id=proposal.id, number=number)).scalar()


def comments_by_paragraph(proposal: Proposal) -> dict[int | None, list[ProposalComment]]:
    found: dict[int | None, list[ProposalComment]] = defaultdict(list)
    for comment in db.session.execute(select(ProposalComment).options(joinedload(ProposalComment.author))
                                      .filter_by(proposal_id=proposal.id).order_by(ProposalComment.id)).scalars():
        found[comment.paragraph_id].append(comment)
    return found


def rewordings_by_paragraph(proposal: Proposal) -> dict[int, list[ProposalRewording]]:
    found: dict[int, list[ProposalRewording]] = defaultdict(list)
    for rewording in db.session.execute(select(ProposalRewording).options(joinedload(ProposalRewording.author))
                                        .filter_by(proposal_id=proposal.id).order_by(ProposalRewording.id)).scalars():
        found[rewording.paragraph_id].append(rewording)
    return found


def open_rewording_count(proposal: Proposal) -> int:
    return len(db.session.execute(select(ProposalRewording.id).filter_by(
        proposal_id=proposal.id, status=RewordingStatus.OPEN)).all())


def current_reviewers(proposal: Proposal) -> list[ProposalReviewer]:
    return [row for row in proposal.reviewers if row.round == proposal.review_round]


def reviewer_candidates() -> list[User]:
    """Verified members who may be asked for their opinion: mayors first, then the other roles."""
    order = {Role.MAYOR: 0, Role.MUNICIPAL_STAFF: 1, Role.ACADEMIC: 2, Role.COMPANY: 3}
    users = db.session.execute(select(User).options(joinedload(User.organisation)).where(
        User.verified_at.is_not(None), User.role.is_not(None), User.role != Role.SECRETARIAT)).scalars().all()
    return sorted(users, key=lambda u: (order.get(u.role, 9), u.organisation_name, u.display_name))


def conclusion_draft(thread: Thread) -> tuple[str, list[Post]]:
    """A paragraph started from a thread: the text of its latest まとめ followed by its key points (論点), and the
    key-point posts to cite."""
    from ..board.queries import latest_conclusion

    conclusion = latest_conclusion(thread)
    key_points = list(db.session.execute(select(Post).options(joinedload(Post.author)).where(
        Post.thread_id == thread.id, Post.is_key_point.is_(True), Post.status == Visibility.VISIBLE)
        .order_by(Post.position)).scalars())
    lines = [conclusion.body_source] if conclusion else []
    if key_points:  # the key points under the conclusion, each with who made it (the posts are cited too)
        lines.append("\n".join(_key_point_line(post) for post in key_points))
    return "\n\n".join(lines), key_points


def _key_point_line(post: Post) -> str:
    who = author_label(post.author_organisation, post.author_title, post.author.display_name)
    return f"- {text.excerpt(post.body_html, 80)}（{who}）"


def reflections(thread: Thread, viewer: User | None) -> list[Proposal]:
    """Approved proposals that reflect the thread (shown on its page to those who may read them)."""
    from ..permissions import can_read_proposal

    found = db.session.execute(select(Proposal).join(ProposalReflection).where(
        ProposalReflection.thread_id == thread.id, Proposal.approved_version_id.is_not(None))
        .order_by(Proposal.id)).scalars().all()
    return [proposal for proposal in found if can_read_proposal(viewer, proposal)]


# ---------------------------------------------------------------- 総会

def meetings() -> list[GeneralMeeting]:
    newest = (GeneralMeeting.held_on.desc(), GeneralMeeting.id.desc())
    return list(db.session.execute(select(GeneralMeeting).order_by(*newest)).scalars())


def meeting_by_id(meeting_id: int) -> GeneralMeeting | None:
    return db.session.execute(select(GeneralMeeting).options(
        selectinload(GeneralMeeting.items).selectinload(AgendaItem.links).joinedload(AgendaLink.proposal),
        selectinload(GeneralMeeting.items).selectinload(AgendaItem.links).joinedload(AgendaLink.thread))
        .filter_by(id=meeting_id)).scalar()


def item_by_id(meeting: GeneralMeeting, item_id: int) -> AgendaItem | None:
    return db.session.execute(select(AgendaItem).filter_by(id=item_id, meeting_id=meeting.id)).scalar()


def approved_proposals() -> list[Proposal]:
    published = Proposal.status.in_((ProposalStatus.APPROVED, ProposalStatus.SUBMITTED))
    return list(db.session.execute(select(Proposal).where(published)
                                   .order_by(Proposal.fiscal_year.desc(), Proposal.id.desc())).scalars())


def proposal_choices(viewer: User) -> list[Proposal]:
    return drafts() if can_manage_proposals(viewer) else []
