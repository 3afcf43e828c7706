"""Human names for audit actions, their groups and the kinds of targets (translated where shown)."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..models import (AGENDA_RESULT_LABELS, OUTCOME_LABELS, REPORT_REASON_LABELS, REVIEW_ANSWER_LABELS, ROLE_LABELS,
                      AgendaResult, AuditAction, Outcome, ReportReason, ReviewAnswer, Role, WatchedWordAction,
                      format_affiliation)
from ..moderation.policy import hold_text
from ..site.versions import field_label

ACTION_LABELS = {
    AuditAction.USER_REGISTERED: _l("Account registered"),
    AuditAction.USER_ROLE_SET: _l("Role set"),
    AuditAction.USER_PROFILE_UPDATED: _l("Profile updated"),
    AuditAction.USER_PASSWORD_CHANGED: _l("Password changed"),
    AuditAction.USER_PASSWORD_RESET: _l("Password reset"),
    AuditAction.USER_EMAIL_CONFIRMED: _l("E-mail address confirmed"),
    AuditAction.USER_LOGGED_OUT_EVERYWHERE: _l("Logged out on every device"),
    AuditAction.USER_LOGIN_UNLOCKED: _l("Log-in unlocked by a mailed link"),
    AuditAction.VERIFICATION_REQUESTED: _l("Verification requested"),
    AuditAction.VERIFICATION_APPROVED: _l("Verification approved"),
    AuditAction.VERIFICATION_REJECTED: _l("Verification rejected"),
    AuditAction.VERIFICATION_ENDED: _l("Verification ended"),
    AuditAction.INVITATION_CREATED: _l("Invitation sent"),
    AuditAction.INVITATION_ACCEPTED: _l("Invitation accepted"),
    AuditAction.MUNICIPALITIES_LOADED: _l("Municipality list loaded"),
    AuditAction.THREAD_CREATED: _l("Thread created"),
    AuditAction.FILE_ERASED: _l("File erased"),
    AuditAction.POST_CREATED: _l("Reply posted"),
    AuditAction.POST_EDITED: _l("Post edited"),
    AuditAction.POST_EDITED_BY_MODERATOR: _l("Post edited by a moderator"),
    AuditAction.POST_REPORTED: _l("Post reported"),
    AuditAction.REPORT_CHANGED: _l("Report changed by its reporter"),
    AuditAction.REPORT_WITHDRAWN: _l("Report withdrawn by its reporter"),
    AuditAction.REPORTS_DISMISSED: _l("Reports dismissed"),
    AuditAction.POST_HIDDEN: _l("Post hidden"),
    AuditAction.POST_AUTO_HIDDEN: _l("Post hidden automatically"),
    AuditAction.POST_UNHIDDEN: _l("Post unhidden"),
    AuditAction.POST_APPROVED: _l("Post approved"),
    AuditAction.POST_REJECTED: _l("Post rejected"),
    AuditAction.POSTS_MOVED: _l("Posts moved"),
    AuditAction.THREAD_LOCKED: _l("Thread locked"),
    AuditAction.THREAD_UNLOCKED: _l("Thread unlocked"),
    AuditAction.THREAD_PINNED: _l("Thread pinned"),
    AuditAction.THREAD_UNPINNED: _l("Thread unpinned"),
    AuditAction.THREAD_CLOSED: _l("Thread closed"),
    AuditAction.THREAD_REOPENED: _l("Thread reopened"),
    AuditAction.THREAD_MOVED: _l("Thread moved"),
    AuditAction.THREAD_HIDDEN: _l("Thread hidden"),
    AuditAction.THREAD_UNHIDDEN: _l("Thread unhidden"),
    AuditAction.THEME_MODERATOR_GRANTED: _l("Theme moderator appointed"),
    AuditAction.THEME_MODERATOR_REVOKED: _l("Theme moderator removed"),
    AuditAction.USER_SUSPENDED: _l("Account suspended"),
    AuditAction.USER_UNSUSPENDED: _l("Suspension lifted"),
    AuditAction.MODERATION_SETTINGS_CHANGED: _l("Moderation settings changed"),
    AuditAction.WATCHED_WORD_ADDED: _l("Watched word added"),
    AuditAction.WATCHED_WORD_REMOVED: _l("Watched word removed"),
    AuditAction.AUDIT_LOG_EXPORTED: _l("Audit log exported"),
    AuditAction.CONCLUSION_WRITTEN: _l("Conclusion written"),
    AuditAction.THREAD_OUTCOME_SET: _l("Thread outcome set"),
    AuditAction.KEY_POINT_MARKED: _l("Key point marked"),
    AuditAction.KEY_POINT_UNMARKED: _l("Key point removed"),
    AuditAction.SUMMARY_EXPORTED: _l("Summary exported"),
    AuditAction.RETENTION_PURGED: _l("Old records deleted"),
    AuditAction.TWO_STEP_ENABLED: _l("Two-step verification set up"),
    AuditAction.TWO_STEP_DISABLED: _l("Two-step verification turned off"),
    AuditAction.TWO_STEP_RECOVERY_CODE_USED: _l("Recovery code used to log in"),
    AuditAction.TWO_STEP_RESET: _l("Two-step verification reset by the secretariat"),
    AuditAction.SITE_SETTINGS_CHANGED: _l("Contact details and statement changed"),
    AuditAction.SITE_PAGE_EDITED: _l("Site page edited"),
    AuditAction.NEWS_CREATED: _l("News entry created"),
    AuditAction.NEWS_EDITED: _l("News entry edited"),
    AuditAction.NEWS_PUBLISHED: _l("News entry published"),
    AuditAction.NEWS_UNPUBLISHED: _l("News entry unpublished"),
    AuditAction.NEWS_PINNED: _l("News entry pinned"),
    AuditAction.NEWS_UNPINNED: _l("News entry unpinned"),
    AuditAction.PROPOSAL_CREATED: _l("Proposal created"),
    AuditAction.PROPOSAL_DETAILS_CHANGED: _l("Proposal details changed"),
    AuditAction.PROPOSAL_PARAGRAPH_ADDED: _l("Proposal paragraph added"),
    AuditAction.PROPOSAL_PARAGRAPH_EDITED: _l("Proposal paragraph edited"),
    AuditAction.PROPOSAL_PARAGRAPH_REMOVED: _l("Proposal paragraph removed"),
    AuditAction.PROPOSAL_PARAGRAPH_MOVED: _l("Proposal paragraph moved"),
    AuditAction.PROPOSAL_CITATION_ADDED: _l("Source cited in a proposal"),
    AuditAction.PROPOSAL_CITATION_REMOVED: _l("Citation removed from a proposal"),
    AuditAction.PROPOSAL_REVIEW_STARTED: _l("Proposal sent for review"),
    AuditAction.PROPOSAL_REVIEW_ENDED: _l("Proposal review ended"),
    AuditAction.PROPOSAL_COMMENTED: _l("Comment on a proposal"),
    AuditAction.PROPOSAL_REWORDING_PROPOSED: _l("Rewording proposed"),
    AuditAction.PROPOSAL_REWORDING_ACCEPTED: _l("Rewording accepted"),
    AuditAction.PROPOSAL_REWORDING_REJECTED: _l("Rewording rejected"),
    AuditAction.PROPOSAL_REVIEW_ANSWERED: _l("Review answered"),
    AuditAction.PROPOSAL_REVIEW_REMINDED: _l("Reviewers reminded"),
    AuditAction.PROPOSAL_APPROVED: _l("Proposal approved"),
    AuditAction.PROPOSAL_SUBMITTED: _l("Proposal marked as submitted"),
    AuditAction.MEETING_CREATED: _l("General meeting created"),
    AuditAction.MEETING_ITEM_ADDED: _l("Agenda item added"),
    AuditAction.MEETING_RESULT_RECORDED: _l("Agenda result recorded"),
    AuditAction.MEETING_CARRIED_OVER: _l("Unresolved threads carried over"),
}

# Actions are grouped by the prefix of their value ("post.hidden" → "post.").
GROUP_LABELS = {
    "user.": _l("Accounts"),
    "verification.": _l("Verification"),
    "invitation.": _l("Invitations"),
    "organisations.": _l("Organisations"),
    "thread.": _l("Threads"),
    "post.": _l("Posts"),
    "moderator.": _l("Theme moderators"),
    "moderation.": _l("Moderation settings and watched words"),
    "audit.": _l("Audit log"),
    "export.": _l("Summary exports"),
    "maintenance.": _l("Maintenance"),
    "file.": _l("Files"),
    "site.": _l("The council's site"),
    "proposal.": _l("Proposals"),
    "meeting.": _l("General meetings"),
}

# target_type is the model's class name in lower case, or the plain string the service named.
TARGET_TYPE_LABELS = {
    "user": _l("Account"),
    "thread": _l("Thread"),
    "post": _l("Post or reply"),
    "invitation": _l("Invitation"),
    "municipalities": _l("Municipality list"),
    "moderation settings": _l("Moderation settings"),
    "watched word": _l("Watched word"),
    "watchedword": _l("Watched word"),
    "audit log": _l("Audit log"),
    "summary": _l("Discussion summary"),
    "retention": _l("Records past their retention period"),
    "storedfile": _l("File"),
    "sitesettings": _l("Contact details and statement"),
    "sitepage": _l("Site page"),
    "newsentry": _l("News entry"),
    "proposal": _l("Proposal"),
    "generalmeeting": _l("General meeting"),
}


def group_of(action: AuditAction) -> str:
    return action.value.split(".", 1)[0] + "."


def actions_in_group(prefix: str) -> list[AuditAction]:
    return [action for action in AuditAction if group_of(action) == prefix]


def action_label(action: AuditAction | str) -> str:
    try:
        return str(ACTION_LABELS[AuditAction(action)])
    except (KeyError, ValueError):
        return str(action)


def target_type_label(target_type: str) -> str:
    label = TARGET_TYPE_LABELS.get(target_type)
    return str(label) if label is not None else target_type


def target_label(entry) -> str:
    """The target's snapshot; a target named by a plain string ("moderation settings") reads as its type."""
    if entry.target_label == entry.target_type:
        return target_type_label(entry.target_type)
    return entry.target_label


# ---------------------------------------------------------------- summaries rendered from the entry's params
#
# An entry stores the facts of the action as data (`AuditEntry.params`); its summary is written here, in the
# language of whoever reads the log or its export. Entries written before params existed keep their text.

WATCHED_ACTION_NAMES = {
    WatchedWordAction.BLOCK: _l("Block"),
    WatchedWordAction.APPROVE: _l("Hold for approval"),
    WatchedWordAction.FLAG: _l("Flag (report automatically)"),
}
SCOPE_LABELS = {"board": _l("The whole board"), "theme": _l("One theme"), "thread": _l("One thread")}
EXPORT_FILTER_LABELS = {
    "scope": _l("What to summarise"),
    "theme_slug": _l("Theme"),
    "thread_id": _l("Thread number"),
    "start": _l("From"),
    "end": _l("Until (inclusive)"),
    "fiscal_year": _l("Fiscal year (年度)"),
    "outcomes": _l("Outcome"),
    "opener_role": _l("Opened by (role)"),
    "opener_prefecture": _l("Opened by (prefecture)"),
    "anonymise": _l("Names replaced with organisation and role"),
}
LOG_FILTER_LABELS = {"action": _l("Action"), "actor": _l("Actor"), "target": _l("Target"), "start": _l("From"),
                     "end": _l("Until")}


def _label_of(labels: dict, enum_class, value: Any) -> str:
    try:
        return str(labels[enum_class(value)])
    except (KeyError, ValueError):
        return str(value)


def _role(value: Any) -> str:
    return _label_of(ROLE_LABELS, Role, value)


def _affiliation(p: dict) -> str:
    """「多久市 市長（首長）」 / "Taku City Mayor (Mayor)"."""
    return _("%(affiliation)s (%(role)s)", affiliation=format_affiliation(p.get("organisation"), p.get("title")),
             role=_role(p.get("role")))


def _maybe_held(text: str, p: dict) -> str:
    hold = hold_text(p.get("hold"))
    return _("%(text)s [awaiting approval: %(why)s]", text=text, why=hold) if hold else text


def _version(p: dict) -> str:
    return _("Version %(number)d", number=int(p["version"]))


def _report_reason(value: Any) -> str:
    return _label_of(REPORT_REASON_LABELS, ReportReason, value)


def _change(before: str, after: str) -> str:
    return f"{before} → {after}"


def _reports_dismissed(p: dict) -> str:
    text = ngettext("%(num)d report", "%(num)d reports", int(p["count"]))
    return _("%(reports)s (the post is shown again)", reports=text) if p.get("shown_again") else text


def _posts_moved(p: dict) -> str:
    positions = ", ".join(f"#{number}" for number in p["positions"])
    return _("%(posts)s → “%(title)s” (thread %(number)d)", posts=positions, title=p["target_title"],
             number=int(p["target_id"]))


def _suspended(p: dict) -> str:
    from datetime import datetime

    from ..i18n import format_when

    if not p.get("until"):
        return _("Indefinitely")
    return _("Until %(date)s", date=format_when(datetime.fromisoformat(p["until"])))


def _settings(p: dict) -> str:
    roles = "、".join(_role(value) for value in p.get("premoderated_roles") or []) or _("none")
    return _("Roles checked before their posts appear: %(roles)s / first posts of a new account checked: "
             "%(first)d / reports that hide a post: %(reports)d", roles=roles,
             first=int(p["first_posts_to_approve"]), reports=int(p["auto_hide_reports"]))


def _watched_word(p: dict) -> str:
    return f"{p['word']} ({_label_of(WATCHED_ACTION_NAMES, WatchedWordAction, p['action'])})"


def _filter_value(name: str, value: Any) -> str:
    if name == "scope":
        return str(SCOPE_LABELS.get(value, value))
    if name == "opener_role":
        return _role(value)
    if name == "outcomes":
        return "、".join(_label_of(OUTCOME_LABELS, Outcome, item) for item in value)
    if name == "action":
        return str(GROUP_LABELS[value]) if value in GROUP_LABELS else action_label(value)
    return str(value)


def _filters(filters: dict, names: dict) -> str:
    shown = [f"{names[name]}: {_filter_value(name, value)}" if name in names else f"{name}: {value}"
             for name, value in filters.items() if value not in (None, "", False, [], ())]
    return " / ".join(shown) if shown else _("no filters")


def _summary_exported(p: dict) -> str:
    filters = dict(p.get("filters") or {})
    if filters.pop("anonymise", False):
        filters["anonymise"] = _("yes")
    text = ngettext("%(format)s, %(num)d thread", "%(format)s, %(num)d threads", int(p["threads"]),
                    format=str(p["format"]).upper())
    text += " — " + _filters(filters, EXPORT_FILTER_LABELS)
    return text + " " + _("(command line)") if p.get("command_line") else text


def _fiscal_year(year: Any) -> str:
    from ..dates import fiscal_year_label

    return fiscal_year_label(int(year))


def _cited(p: dict) -> str:
    if p.get("post"):
        what = _("post %(number)d", number=int(p["post"]))
    else:
        what = _("thread %(number)d", number=int(p["thread"]))
    return _with(what, _version(p))


def _with(what: str, detail: str) -> str:
    """「スレッド12（第4版）」 / "thread 12 (version 4)"."""
    return _("%(what)s (%(detail)s)", what=what, detail=detail)


def _log_exported(p: dict) -> str:
    text = ngettext("%(format)s, %(num)d row", "%(format)s, %(num)d rows", int(p["rows"]),
                    format=str(p["format"]).upper())
    return text + " — " + _filters(p.get("filters") or {}, LOG_FILTER_LABELS)


def _site_version(p: dict) -> str:
    """「第3版（タイトル、本文）」: the version the change made and the fields it changed."""
    text = _version(p)
    changed = p.get("changed") or []
    return text + (" — " + "、".join(field_label(name) for name in changed) if changed else "")


def _news_published(p: dict) -> str:
    from datetime import datetime

    from ..i18n import format_when

    when = format_when(datetime.fromisoformat(p["publish_at"]))
    return (_("Scheduled for %(when)s", when=when) if p.get("scheduled") else _("Published on %(when)s", when=when))


SUMMARIES: dict[AuditAction, Callable[[dict], str]] = {
    AuditAction.USER_EMAIL_CONFIRMED: lambda p: (
        _("by a password reset link") if p.get("by") == "password_reset" else ""),
    AuditAction.USER_ROLE_SET: _affiliation,
    AuditAction.VERIFICATION_REQUESTED: _affiliation,
    AuditAction.VERIFICATION_APPROVED: _affiliation,
    AuditAction.VERIFICATION_REJECTED: _affiliation,
    AuditAction.VERIFICATION_ENDED: _affiliation,
    AuditAction.INVITATION_CREATED: lambda p: f"{p['email']}: {_affiliation(p)}",
    AuditAction.INVITATION_ACCEPTED: _affiliation,
    AuditAction.MUNICIPALITIES_LOADED: lambda p: _(
        "%(added)d added, %(updated)d updated, %(adopted)d existing organisations linked",
        added=int(p["added"]), updated=int(p["updated"]), adopted=int(p["adopted"])),
    AuditAction.THREAD_CREATED: lambda p: _maybe_held(p["title"], p),
    AuditAction.FILE_ERASED: lambda p: str(p["name"]),
    AuditAction.POST_CREATED: lambda p: _maybe_held(p["excerpt"], p),
    AuditAction.POST_EDITED: lambda p: _maybe_held(_version(p), p),
    AuditAction.POST_EDITED_BY_MODERATOR: _version,
    AuditAction.POST_REPORTED: lambda p: _report_reason(p["reason"]),
    AuditAction.REPORT_CHANGED: lambda p: (
        _change(_report_reason(p["previous_reason"]), _report_reason(p["reason"]))
        if p.get("previous_reason") != p.get("reason") else _report_reason(p["reason"])),
    AuditAction.REPORT_WITHDRAWN: lambda p: _report_reason(p["reason"]),
    AuditAction.REPORTS_DISMISSED: _reports_dismissed,
    AuditAction.POST_AUTO_HIDDEN: lambda p: _(
        "Hidden automatically after %(count)d reports, until the secretariat reviews it.", count=int(p["reports"])),
    AuditAction.POST_UNHIDDEN: lambda p: (
        _("Shown again: every report on it was withdrawn.") if p.get("reports_withdrawn") else ""),
    AuditAction.POSTS_MOVED: _posts_moved,
    AuditAction.THREAD_MOVED: lambda p: _change(p["from"], p["to"]),
    AuditAction.THEME_MODERATOR_GRANTED: lambda p: p["theme"],
    AuditAction.THEME_MODERATOR_REVOKED: lambda p: p["theme"],
    AuditAction.USER_SUSPENDED: _suspended,
    AuditAction.MODERATION_SETTINGS_CHANGED: _settings,
    AuditAction.WATCHED_WORD_ADDED: _watched_word,
    AuditAction.WATCHED_WORD_REMOVED: _watched_word,
    AuditAction.AUDIT_LOG_EXPORTED: _log_exported,
    AuditAction.CONCLUSION_WRITTEN: _version,
    AuditAction.THREAD_OUTCOME_SET: lambda p: _change(_label_of(OUTCOME_LABELS, Outcome, p["from"]),
                                                      _label_of(OUTCOME_LABELS, Outcome, p["to"])),
    AuditAction.SUMMARY_EXPORTED: _summary_exported,
    AuditAction.SITE_SETTINGS_CHANGED: _site_version,
    AuditAction.SITE_PAGE_EDITED: _site_version,
    AuditAction.NEWS_CREATED: _site_version,
    AuditAction.NEWS_EDITED: _site_version,
    AuditAction.NEWS_PUBLISHED: _news_published,
    AuditAction.NEWS_UNPUBLISHED: _version,
    AuditAction.NEWS_PINNED: _version,
    AuditAction.NEWS_UNPINNED: _version,
    AuditAction.PROPOSAL_CREATED: lambda p: _fiscal_year(p["fiscal_year"]),
    AuditAction.PROPOSAL_DETAILS_CHANGED: _version,
    AuditAction.PROPOSAL_PARAGRAPH_ADDED: _version,
    AuditAction.PROPOSAL_PARAGRAPH_EDITED: _version,
    AuditAction.PROPOSAL_PARAGRAPH_REMOVED: _version,
    AuditAction.PROPOSAL_PARAGRAPH_MOVED: _version,
    AuditAction.PROPOSAL_CITATION_ADDED: _cited,
    AuditAction.PROPOSAL_CITATION_REMOVED: _cited,
    AuditAction.PROPOSAL_REVIEW_STARTED: lambda p: _("Round %(round)d, until %(date)s: %(names)s",
                                                     round=int(p["round"]), date=p["deadline"],
                                                     names="、".join(p["reviewers"])),
    AuditAction.PROPOSAL_REVIEW_ANSWERED: lambda p: _label_of(REVIEW_ANSWER_LABELS, ReviewAnswer, p["answer"]),
    AuditAction.PROPOSAL_REVIEW_REMINDED: lambda p: ngettext("%(num)d reviewer", "%(num)d reviewers",
                                                             int(p["count"])),
    AuditAction.PROPOSAL_REWORDING_ACCEPTED: lambda p: f"{p['author']} → {_version(p)}",
    AuditAction.PROPOSAL_REWORDING_REJECTED: lambda p: p["author"],
    AuditAction.PROPOSAL_COMMENTED: lambda p: p["excerpt"],
    AuditAction.PROPOSAL_APPROVED: _version,
    AuditAction.PROPOSAL_SUBMITTED: lambda p: _with(p["on"], _version(p)),
    AuditAction.MEETING_CREATED: lambda p: _with(p["held_on"], _fiscal_year(p["fiscal_year"])),
    AuditAction.MEETING_ITEM_ADDED: lambda p: p["item"],
    AuditAction.MEETING_RESULT_RECORDED: lambda p: f"{p['item']}: " + _label_of(AGENDA_RESULT_LABELS, AgendaResult,
                                                                                p["to"]),
    AuditAction.MEETING_CARRIED_OVER: lambda p: ngettext(
        "%(num)d thread of %(year)s", "%(num)d threads of %(year)s", len(p["threads"]),
        year=_fiscal_year(p["from_year"])),
}


def summary_text(entry) -> str:
    """The entry's summary in the reader's language: rendered from its params, or the text stored with an
    entry written before params existed (or by an action without a renderer)."""
    if entry.params is None:
        return entry.summary or ""
    try:
        action = AuditAction(entry.action)
    except ValueError:
        action = None
    render = SUMMARIES.get(action)
    if render is None:
        if entry.summary or not entry.params:
            return entry.summary or ""
        return json.dumps(entry.params, ensure_ascii=False, sort_keys=True)
    try:
        return render(entry.params)
    except (KeyError, TypeError, ValueError):  # params of an older shape: show the facts rather than fail
        return entry.summary or json.dumps(entry.params, ensure_ascii=False, sort_keys=True)
