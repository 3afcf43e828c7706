"""Who may do what: named predicates used by services, views and templates.

Each `can_*` predicate that members meet has a `why_not_*` companion: the translated reason it refuses
(None when allowed), so a page's notice, a refused request and the rule itself never disagree.
The `can_*` of such a pair is defined as "no reason to refuse"."""
from __future__ import annotations

from babel.lists import format_list
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from .models import (FileUse, Post, Proposal, ProposalStatus, Report, ReportStatus, Role, StoredFile, Theme, Thread,
                     User, Visibility)


def _is_logged_in(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _is_member(user: User | None) -> bool:
    return _is_logged_in(user) and user.is_verified


def _is_active_member(user: User | None) -> bool:
    """A verified member who is not suspended: may post, report and moderate."""
    return _is_member(user) and not user.is_suspended


def _theme_id(thing: Theme | Thread | Post | int) -> int:
    if isinstance(thing, Theme):
        return thing.id
    if isinstance(thing, Thread):
        return thing.theme_id
    if isinstance(thing, Post):
        return thing.thread.theme_id
    return thing


def is_secretariat(user: User | None) -> bool:
    return _is_member(user) and user.role == Role.SECRETARIAT


def can_moderate(user: User | None, thing: Theme | Thread | Post | int) -> bool:
    """The secretariat everywhere; a theme moderator in their theme."""
    if not _is_active_member(user):
        return False
    return user.role == Role.SECRETARIAT or _theme_id(thing) in user.moderated_theme_ids


def can_use_moderation_queue(user: User | None) -> bool:
    return _is_active_member(user) and (user.role == Role.SECRETARIAT or bool(user.moderated_theme_ids))


def can_manage_moderation(user: User | None) -> bool:
    """Settings, watched words, theme moderators, suspensions and the audit log: the secretariat."""
    return _is_active_member(user) and user.role == Role.SECRETARIAT


def can_manage_members(user: User | None) -> bool:
    """Review verification requests, see evidence, invite, end verifications: the secretariat."""
    return is_secretariat(user)


def can_view_thread(user: User | None, thread: Thread) -> bool:
    """Visible threads: everyone. Pending, rejected or hidden ones: their author and moderators."""
    if thread.status == Visibility.VISIBLE:
        return True
    if not _is_logged_in(user):
        return False
    return thread.author_id == user.id or can_moderate(user, thread)


def can_read_post_body(user: User | None, post: Post) -> bool:
    """Visible posts: everyone. Hidden, pending and rejected ones: the author and moderators."""
    if post.status == Visibility.VISIBLE:
        return True
    if not _is_logged_in(user):
        return False
    return post.author_id == user.id or can_moderate(user, post)


def can_summarise(user: User | None) -> bool:
    """Write conclusions, set outcomes, mark key points and export summaries: the secretariat."""
    return _is_active_member(user) and user.role == Role.SECRETARIAT


# ---------------------------------------------------------------- what members meet, with the reason why not

def thread_starter_roles() -> list[Role]:
    """The roles that may start threads (EDUCUSSION_THREAD_STARTER_ROLES), in the usual order."""
    configured = current_app.config["THREAD_STARTER_ROLES"]
    return [role for role in Role if role.value in configured]


def _role_list(roles: list[Role]) -> str:
    """「首長、自治体職員、事務局」 / "Mayor, Municipal staff and Secretariat" in the reader's language."""
    labels = [role.label for role in roles]
    if not labels:
        return ""
    locale = str(get_locale() or "ja")
    if locale.startswith("ja"):
        return "、".join(labels)
    return format_list(labels, style="standard", locale=locale)


def _why_not_member(user: User | None, when_logged_out: str) -> str | None:
    """The reasons shared by everything a verified member does: logged out, not verified, suspended."""
    from .i18n import format_when

    if not _is_logged_in(user):
        return when_logged_out
    if not user.is_verified:
        return _("Your account has not been verified yet. You can post once the secretariat has verified it.")
    if user.is_suspended:
        reason = (_("Your account is suspended from posting (%(reason)s).", reason=user.suspension_reason)
                  if user.suspension_reason else _("Your account is suspended from posting."))
        if user.suspended_until is not None:
            reason += " " + _("The suspension ends on %(date)s.", date=format_when(user.suspended_until))
        return reason
    return None


def why_not_start_thread(user: User | None, theme: Theme | None = None) -> str | None:
    roles = thread_starter_roles()
    if not roles:
        return _("No role may start threads on this board at present.")
    why = _why_not_member(user, _("To start a thread, log in with a verified account (%(roles)s).",
                                  roles=_role_list(roles)))
    if why is not None:
        return why
    if user.role not in roles:
        return _("Threads are started by accounts of these roles: %(roles)s. "
                 "You can reply in threads that are open for replies.", roles=_role_list(roles))
    return None


def can_start_thread(user: User | None, theme: Theme | None = None) -> bool:
    return why_not_start_thread(user, theme) is None


def why_not_reply(user: User | None, thread: Thread) -> str | None:
    why = _why_not_member(user, _("To reply, log in with a verified account."))
    if why is not None:
        return why
    if thread.status != Visibility.VISIBLE:
        return _("Replies can be posted once the thread is visible to everyone.")
    if thread.is_locked:
        return _("This thread is locked. New replies cannot be posted.")
    if thread.is_closed:
        return _("This thread has been closed as resolved. New replies cannot be posted.")
    return None


def can_reply(user: User | None, thread: Thread) -> bool:
    return why_not_reply(user, thread) is None


def why_not_edit_post(user: User | None, post: Post) -> str | None:
    """Authors edit their own posts while visible or pending; moderators edit any (with a reason)."""
    why = _why_not_member(user, _("Log in to edit your posts."))
    if why is not None:
        return why
    if can_moderate(user, post):
        return None
    if post.author_id != user.id:
        return _("You can only edit your own posts.")
    if post.status not in (Visibility.VISIBLE, Visibility.PENDING):
        return _("This post has been hidden or was not approved, so it can no longer be edited.")
    return None


def can_edit_post(user: User | None, post: Post) -> bool:
    return why_not_edit_post(user, post) is None


def why_not_view_history(user: User | None, post: Post) -> str | None:
    if _is_logged_in(user) and (post.author_id == user.id or can_moderate(user, post) or is_secretariat(user)):
        return None
    return _("Only the author and the secretariat can see the edit history.")


def can_view_history(user: User | None, post: Post) -> bool:
    return why_not_view_history(user, post) is None


def _is_not_public(post: Post) -> bool:
    return post.status != Visibility.VISIBLE or post.thread.status != Visibility.VISIBLE


def why_not_report(user: User | None, post: Post) -> str | None:
    why = _why_not_member(user, _("To report a post, log in with a verified account."))
    if why is not None:
        return why
    if post.author_id == user.id:
        return _("You cannot report your own post.")
    if _is_not_public(post):
        return _("Only posts that everyone can see can be reported.")
    return None


def can_report(user: User | None, post: Post) -> bool:
    return why_not_report(user, post) is None


def why_not_change_report(user: User | None, report: Report) -> str | None:
    """The reporter corrects or withdraws their report while nobody has reviewed it yet."""
    if not _is_logged_in(user) or report.reporter_id != user.id:
        return _("Only the member who sent a report can change or withdraw it.")
    if report.status != ReportStatus.OPEN:
        return _("This report has already been reviewed or withdrawn, so it can no longer be changed.")
    return None


def can_change_report(user: User | None, report: Report) -> bool:
    return why_not_change_report(user, report) is None


def why_not_mark_helpful(user: User | None, post: Post) -> str | None:
    why = _why_not_member(user, _("To mark a post as helpful, log in with a verified account."))
    if why is not None:
        return why
    if post.author_id == user.id:
        return _("You cannot mark your own post as helpful.")
    if _is_not_public(post):
        return _("Only posts that everyone can see can be marked as helpful.")
    return None


def can_mark_helpful(user: User | None, post: Post) -> bool:
    return why_not_mark_helpful(user, post) is None


def why_not_follow_thread(user: User | None, thread: Thread) -> str | None:
    """Following tells of every reply: only someone logged in who may read the thread may follow it."""
    if not _is_logged_in(user):
        return _("Log in to follow this thread.")
    if not can_view_thread(user, thread):
        return _("This thread cannot be followed.")
    return None


def can_follow_thread(user: User | None, thread: Thread) -> bool:
    return why_not_follow_thread(user, thread) is None


def why_not_download(user: User | None, file: StoredFile) -> str | None:
    """A file is seen exactly when what it belongs to is: a post's file by those who may read the post (a
    hidden or pending post's files by its author and moderators only; a file taken off by an edit, with
    the history), evidence by the secretariat, a pending upload by its uploader."""
    refused = _("This file is not available to you.")
    if file.use == FileUse.POST and file.post is not None:
        post = file.post
        if not (can_view_thread(user, post.thread) and can_read_post_body(user, post)):
            return refused
        if file.removed_at is not None and not can_view_history(user, post):
            return refused
        return None
    if file.use == FileUse.EVIDENCE:
        return None if can_manage_members(user) else refused
    if file.use == FileUse.PENDING and _is_logged_in(user) and file.uploaded_by_id == user.id:
        return None
    return refused


def can_download(user: User | None, file: StoredFile) -> bool:
    return why_not_download(user, file) is None


# ---------------------------------------------------------------- the council's site

SITE_EDITOR_ROLES = (Role.SECRETARIAT, Role.SITE_EDITOR)


def can_edit_site(user: User | None) -> bool:
    """News and documents (「サイト管理」): the secretariat and the 広報担当 (site editor), who does not moderate."""
    return _is_active_member(user) and user.role in SITE_EDITOR_ROLES


def can_manage_site(user: User | None) -> bool:
    """The site's pages (about, privacy, …) and the contact details: the secretariat."""
    return _is_active_member(user) and user.role == Role.SECRETARIAT


def can_read_members_documents(user: User | None) -> bool:
    """Documents for members only: verified members."""
    return _is_member(user)


def needs_two_step(user: User | None) -> bool:
    """Members of TWO_STEP_REQUIRED_ROLES (the secretariat: it sees phone numbers and evidence files) must
    log in with two-step verification; everyone else may."""
    return _is_member(user) and user.role.value in current_app.config["TWO_STEP_REQUIRED_ROLES"]


def can_reset_two_step(actor: User | None, user: User) -> bool:
    """Another secretariat member turns off a member's two-step verification (a lost phone)."""
    return _is_active_member(actor) and actor.role == Role.SECRETARIAT and actor.id != user.id


# ---------------------------------------------------------------- 提言 (proposals) and the 総会

def can_manage_proposals(user: User | None) -> bool:
    """Draft, cite, send for review, approve and submit proposals; prepare the 総会: the secretariat."""
    return _is_active_member(user) and user.role == Role.SECRETARIAT


def is_named_reviewer(user: User | None, proposal: Proposal) -> bool:
    """Asked for an opinion (意見照会) on this proposal, in any round."""
    return _is_member(user) and any(reviewer.user_id == user.id for reviewer in proposal.reviewers)


def can_see_proposal_draft(user: User | None, proposal: Proposal) -> bool:
    """The working copy (drafts, comments, rewordings): the secretariat and the named reviewers."""
    return is_secretariat(user) or is_named_reviewer(user, proposal)


def why_not_read_proposal(user: User | None, proposal: Proposal) -> str | None:
    """Approved proposals: every verified member. Drafts: the secretariat and the named reviewers."""
    if not _is_logged_in(user):
        return _("Log in with a verified account to read the council's proposals.")
    if can_see_proposal_draft(user, proposal):
        return None
    if not user.is_verified:
        return _("Proposals can be read once the secretariat has verified your account.")
    if proposal.approved_version_id is None:
        return _("This proposal is still a draft. Only the secretariat and the members asked for their opinion "
                 "can read it.")
    return None


def can_read_proposal(user: User | None, proposal: Proposal) -> bool:
    return why_not_read_proposal(user, proposal) is None


def why_not_review_proposal(user: User | None, proposal: Proposal) -> str | None:
    """Comment, propose a rewording and answer: a reviewer of the current round, while the review is open."""
    why = _why_not_member(user, _("Log in to give your opinion."))
    if why is not None:
        return why
    if not any(r.user_id == user.id and r.round == proposal.review_round for r in proposal.reviewers):
        return _("Only the members asked for their opinion can comment on this draft.")
    if proposal.status != ProposalStatus.IN_REVIEW:
        return _("The review of this draft has ended. Thank you for your opinion.")
    return None


def can_review_proposal(user: User | None, proposal: Proposal) -> bool:
    return why_not_review_proposal(user, proposal) is None


def can_comment_on_proposal(user: User | None, proposal: Proposal) -> bool:
    return can_manage_proposals(user) or can_review_proposal(user, proposal)


def why_not_view_meetings(user: User | None) -> str | None:
    if not _is_logged_in(user):
        return _("Log in with a verified account to read the general meeting pages.")
    if not user.is_verified:
        return _("The general meeting pages can be read once the secretariat has verified your account.")
    return None


def can_view_meetings(user: User | None) -> bool:
    return why_not_view_meetings(user) is None


TEMPLATE_PREDICATES = {
    "can_change_report": can_change_report,
    "can_comment_on_proposal": can_comment_on_proposal,
    "can_manage_proposals": can_manage_proposals,
    "can_read_proposal": can_read_proposal,
    "can_review_proposal": can_review_proposal,
    "can_see_proposal_draft": can_see_proposal_draft,
    "can_view_meetings": can_view_meetings,
    "why_not_review_proposal": why_not_review_proposal,
    "can_follow_thread": can_follow_thread,
    "can_mark_helpful": can_mark_helpful,
    "can_summarise": can_summarise,
    "can_edit_post": can_edit_post,
    "can_download": can_download,
    "can_edit_site": can_edit_site,
    "can_manage_site": can_manage_site,
    "can_read_members_documents": can_read_members_documents,
    "can_manage_members": can_manage_members,
    "can_manage_moderation": can_manage_moderation,
    "can_moderate": can_moderate,
    "can_read_post_body": can_read_post_body,
    "can_reply": can_reply,
    "can_report": can_report,
    "can_start_thread": can_start_thread,
    "can_use_moderation_queue": can_use_moderation_queue,
    "can_view_history": can_view_history,
    "is_secretariat": is_secretariat,
    "can_reset_two_step": can_reset_two_step,
    "why_not_change_report": why_not_change_report,
    "why_not_edit_post": why_not_edit_post,
    "why_not_follow_thread": why_not_follow_thread,
    "why_not_mark_helpful": why_not_mark_helpful,
    "why_not_reply": why_not_reply,
    "why_not_report": why_not_report,
    "why_not_start_thread": why_not_start_thread,
    "why_not_view_history": why_not_view_history,
}


# Words of office a display name may hold only when the member's verified role or affiliation gives them.
OFFICE_TITLES = ("市長", "町長", "村長", "区長", "知事", "首長", "教育長", "事務局", "mayor", "governor", "secretariat")
_OFFICE_TITLES_BY_ROLE = {Role.MAYOR: ("首長", "mayor", "governor"), Role.SECRETARIAT: ("事務局", "secretariat")}


def office_titles_of_role(role: Role | None) -> tuple[str, ...]:
    """The titles a verified role gives by itself, whatever the organisation (事務局 for the secretariat)."""
    return _OFFICE_TITLES_BY_ROLE.get(role, ())


def can_use_office_title(user: User | None, title: str) -> bool:
    """「多久市長」 in a name: only the verified member whose affiliation reads so (the mayor of 多久市); 事務局
    only the secretariat; nobody unverified. `title` is one of OFFICE_TITLES."""
    if not _is_member(user):
        return False
    if title in office_titles_of_role(user.role):
        return True
    return title in "".join(user.affiliation.split()).casefold()
