"""What happens to a new or edited post before anyone sees it: watched words and pre-moderation."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..errors import InvalidInput
from ..extensions import db
from ..models import ModerationSettings, Post, Role, User, Visibility, WatchedWord, WatchedWordAction
from ..permissions import can_moderate

# Ready-made patterns for personal information (matched after NFKC: full-width digits count too).
# NFKC leaves the dashes of Japanese input as they are (‐ – — − ー), so they separate digits like "-".
_DASH = "-\u2010-\u2015\u2212\u30fc"
PRESETS = {
    "phone": (_l("Phone number"),
              rf"(?<!\d)0\d{{1,4}}[{_DASH}(]\d{{1,4}}[{_DASH})]\d{{3,4}}(?!\d)"
              rf"|\(0\d{{1,4}}\)\s?\d{{1,4}}[{_DASH}]\d{{3,4}}(?!\d)"
              r"|(?<!\d)0[5789]0\d{8}(?!\d)|(?<!\d)0\d{9}(?!\d)"),
    "email": (_l("E-mail address"), r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "my_number": (_l("12-digit number (possibly a My Number)"),
                  rf"(?<!\d)\d{{4}}[{_DASH} ]?\d{{4}}[{_DASH} ]?\d{{4}}(?!\d)"),
}


def normalise(text: str) -> str:
    """Full-width letters and digits as half-width, case folded: ＴＥＬ０９５２ matches tel0952."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def compile_word(word: WatchedWord) -> re.Pattern:
    if word.is_regex:
        return re.compile(word.pattern, re.IGNORECASE)
    return re.compile(re.escape(normalise(word.pattern)))


def current_settings() -> ModerationSettings:
    """The settings row, or the defaults (everything off) before the secretariat saves any."""
    settings = db.session.execute(select(ModerationSettings).order_by(ModerationSettings.id)).scalars().first()
    return settings or ModerationSettings(premoderated_roles="", first_posts_to_approve=0, auto_hide_reports=0)


def active_words() -> list[WatchedWord]:
    return list(db.session.execute(
        select(WatchedWord).where(WatchedWord.removed_at.is_(None)).order_by(WatchedWord.id)).scalars())


@dataclass(frozen=True)
class Flag:
    """A flagging word as it was when the post was screened: plain values, so that reading them inside the
    writer's transaction (after the words' rows have expired) never loads or flushes anything."""
    word_id: int
    display: str


@dataclass
class Screening:
    status: Visibility = Visibility.VISIBLE
    hold_reason: str | None = None  # why the post waits for approval (shown to the author and moderators)
    hold: dict | None = None  # the same as data, for the audit log ({"kind": "word", "word": "…"})
    flags: list[Flag] = field(default_factory=list)  # words that report the post automatically


def screen(actor: User, theme_id: int, *, title: str | None, body: str, new_post: bool) -> Screening:
    """Check a post about to be written. Raises InvalidInput for a blocked word (the form keeps the text)."""
    if can_moderate(actor, theme_id):
        return Screening()
    result = _watched_words({"title": normalise(title) if title else "", "body": normalise(body)})
    if new_post and result.status == Visibility.VISIBLE:
        result.hold = _premoderation_hold(actor)
        if result.hold:
            result.hold_reason = hold_text(result.hold)
            result.status = Visibility.PENDING
    return result


def _watched_words(texts: dict[str, str]) -> Screening:
    result = Screening()
    for word in active_words():
        pattern = compile_word(word)
        where = next((name for name, text in texts.items() if text and pattern.search(text)), None)
        if where is None:
            continue
        if word.action == WatchedWordAction.BLOCK:
            raise InvalidInput(where, _(
                "This text contains “%(word)s”, which cannot be posted on this board. "
                "Please remove it and post again.", word=word.display))
        if word.action == WatchedWordAction.APPROVE and result.status == Visibility.VISIBLE:
            result.status = Visibility.PENDING
            result.hold = {"kind": "word", "word": word.display}
            result.hold_reason = hold_text(result.hold)
        elif word.action == WatchedWordAction.FLAG:
            result.flags.append(Flag(word.id, word.display))
    return result


def _premoderation_hold(actor: User) -> dict | None:
    settings = current_settings()
    if actor.role.value in settings.premoderated_role_values:
        return {"kind": "role", "role": actor.role.value}
    if settings.first_posts_to_approve > 0:
        published = db.session.execute(select(func.count(Post.id)).where(
            Post.author_id == actor.id, Post.status == Visibility.VISIBLE)).scalar_one()
        if published < settings.first_posts_to_approve:
            return {"kind": "first_posts", "count": settings.first_posts_to_approve}
    return None


def hold_text(hold: dict | None) -> str:
    """Why a post waits for approval, in the current language, from Screening.hold (the audit log renders the
    same data for its reader)."""
    if not hold:
        return ""
    kind = hold.get("kind")
    if kind == "word":
        return _("Contains “%(word)s”", word=hold.get("word", ""))
    if kind == "role":
        try:
            role = Role(hold.get("role")).label
        except ValueError:
            role = str(hold.get("role"))
        return _("Posts by %(role)s accounts are checked before they appear", role=role)
    if kind == "first_posts":
        return _("The first %(count)d posts of a new account are checked before they appear",
                 count=int(hold.get("count", 0)))
    return str(hold)
