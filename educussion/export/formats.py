"""A summary written out: XLSX (overview, threads, posts), CSV for Excel (threads), Markdown and JSON.

The print view is a template (templates/export/print.html) over the same Summary."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from .. import dates
from .summary import NO_PREFECTURE, ROLE_ORDER, Person, PostEntry, Summary, ThreadEntry
from .writers import CSV_MIMETYPE, XLSX_MIMETYPE, Heading, Sheet, iter_csv, xlsx_bytes

JSON_FORMAT_VERSION = 1
FORMATS = ("xlsx", "csv", "md", "json", "print")
PASSES = {"xlsx": 2}  # how many times a format walks the threads (the XLSX has a threads and a posts sheet)


@dataclass(frozen=True)
class FileType:
    mimetype: str
    extension: str


FILE_TYPES = {
    "xlsx": FileType(XLSX_MIMETYPE, "xlsx"),
    "csv": FileType(CSV_MIMETYPE, "csv"),
    "md": FileType("text/markdown; charset=utf-8", "md"),
    "json": FileType("application/json", "json"),
}


def _period(summary: Summary) -> str:
    filters = summary.filters
    if filters.fiscal_year:
        return dates.fiscal_year_label(filters.fiscal_year)
    if filters.start or filters.end:
        start = dates.western(filters.start) if filters.start else ""
        end = dates.western(filters.end) if filters.end else ""
        return f"{start} ～ {end}"
    return _("All periods")


def scope_text(summary: Summary) -> str:
    labels = {"board": _("Whole board"), "theme": _("Theme"), "thread": _("Thread")}
    label = labels.get(summary.filters.scope, "")
    return f"{label}: {summary.scope_label}" if summary.scope_label else label


def _role_columns() -> list[str]:
    return [_("Replies by %(role)s", role=role.label) for role in ROLE_ORDER]


# ---------------------------------------------------------------- rows

def thread_headers() -> list[str]:
    return [_("Thread ID"), _("Title"), _("Theme"), _("Opened by"), _("Role"), _("Organisation"),
            _("Title or position"), _("Prefecture"), _("Municipality code"), _("Corporate number"), _("Opened on"),
            _("Opened on (Japanese era)"), _("Fiscal year"), _("Outcome"), _("Replies"), *_role_columns(),
            _("First company reply after"), _("First academic reply after"), _("Conclusion"), _("Key points"),
            _("Last activity"), _("URL"), _("Attached files")]


def thread_row(thread: ThreadEntry) -> list:
    opener = thread.opener
    return [thread.id, thread.title, thread.theme, opener.name or "", opener.role_label, opener.organisation,
            opener.title, opener.prefecture, opener.municipality_code, opener.corporate_number,
            dates.local_date(thread.created_at), dates.wareki(thread.created_at),
            dates.fiscal_year_label(dates.fiscal_year(thread.created_at)), thread.outcome_label, thread.reply_count,
            *[thread.replies_by_role[role] for role in ROLE_ORDER], dates.duration_label(thread.first_company_reply),
            dates.duration_label(thread.first_academic_reply), thread.conclusion.text if thread.conclusion else "",
            len(thread.key_points), thread.last_posted_at, thread.url,
            "\n".join(f"#{post.position} {attachment.line}" for post, attachment in thread.attachments)]


def post_headers() -> list[str]:
    return [_("Thread ID"), _("Thread"), _("Post number"), _("Author"), _("Role"), _("Organisation"),
            _("Title or position"), _("Prefecture"), _("Municipality code"), _("Corporate number"), _("Posted at"),
            _("Key point"), _("Helpful"), _("Text"), _("URL"), _("Attached files")]


def post_rows(summary: Summary) -> Iterator[list]:
    for thread in summary.threads():
        for post in thread.posts:
            author = post.author
            yield [thread.id, thread.title, post.position, author.name or "", author.role_label, author.organisation,
                   author.title, author.prefecture, author.municipality_code, author.corporate_number,
                   post.created_at, "○" if post.is_key_point else "", post.helpful_count, post.text, post.url,
                   post.attachment_lines]


def overview_rows(summary: Summary) -> Iterator[list]:
    """The 概要 sheet: the figures, then one table each for participants by role, participants by
    prefecture, threads per theme and unanswered threads (each under a heading row of its own)."""
    overview = summary.overview
    yield [_("Scope"), scope_text(summary)]
    yield [_("Period"), _period(summary)]
    yield [_("Generated at"), summary.generated_at]
    yield [_("Threads"), overview.thread_count]
    yield [_("Posts"), overview.post_count]
    yield Heading([_("Participants by role"), _("People")])
    for role, count in overview.participants_by_role:
        yield [role.label, count]
    if overview.participants_by_prefecture:
        yield Heading([_("Participants by prefecture"), _("People")])
        for prefecture, count in overview.participants_by_prefecture:
            yield [prefecture_label(prefecture), count]
    yield Heading([_("Threads per theme"), _("Threads")])
    for theme, count in overview.threads_per_theme:
        yield [theme, count]
    yield Heading([_("Threads without a company or academic reply after %(days)d days",
                     days=summary.filters.unanswered_days), _("URL")])
    for item in overview.unanswered:
        yield [_("%(title)s (%(days)d days)", title=item.title, days=item.days), item.url]


def prefecture_label(prefecture: str) -> str:
    """Participants who write for no municipality (companies, universities) have no prefecture."""
    return prefecture if prefecture != NO_PREFECTURE else _("No prefecture (companies, universities and others)")


# ---------------------------------------------------------------- files

def _columns(headers: list[str], *names: str) -> list[int]:
    return [headers.index(name) for name in names]


def xlsx(summary: Summary) -> bytes:
    threads, posts = thread_headers(), post_headers()
    return xlsx_bytes([
        Sheet(_("Overview"), [_("Item"), _("Value")], overview_rows(summary), widths=[60, 60], wrap=[0, 1]),
        Sheet(_("Threads"), threads, (thread_row(t) for t in summary.threads()),
              wrap=_columns(threads, _("Title"), _("Conclusion"), _("Attached files"))),
        Sheet(_("Posts"), posts, post_rows(summary), wrap=_columns(posts, _("Thread"), _("Text"), _("Attached files"))),
    ], header_text=_("National ICT Education Mayors' Council"))


def csv(summary: Summary) -> Iterator[bytes]:
    return iter_csv(thread_headers(), (thread_row(t) for t in summary.threads()))


def _md_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("#", "\\#") \
        .replace("<", "&lt;").replace(">", "&gt;").replace("[", "\\[").replace("]", "\\]")


def _md_quote(value: str) -> str:
    return "\n".join("> " + _md_escape(line) if line.strip() else ">" for line in value.splitlines())


def _md_cite(post: PostEntry) -> str:
    who = f"{_md_escape(post.author.display)}、{dates.western(post.created_at)}"
    return f"{_md_quote(post.text)}\n>\n> — {who} <{post.url}>"


def _md_list(heading: str, items: list[tuple]) -> str:
    return f"\n## {heading}\n\n" + "".join(f"- {label}: {count}\n" for label, count in items)


def _md_overview(summary: Summary) -> Iterator[str]:
    overview = summary.overview
    yield f"# {_('Discussion summary')}\n\n"
    for label, value in list(overview_rows(summary))[:5]:
        shown = dates.western(value) if isinstance(value, datetime) else value
        yield f"- {label}: {shown}\n"
    yield _md_list(_("Participants"), [(role.label, count) for role, count in overview.participants_by_role])
    if overview.participants_by_prefecture:
        yield _md_list(_("Participants by prefecture"), [
            (prefecture_label(prefecture), count) for prefecture, count in overview.participants_by_prefecture])
    yield _md_list(_("Threads per theme"), [(_md_escape(theme), count) for theme, count in overview.threads_per_theme])
    if overview.unanswered:
        heading = _("Threads without a company or academic reply after %(days)d days",
                    days=summary.filters.unanswered_days)
        yield f"\n## {heading}\n\n"
        for item in overview.unanswered:
            yield f"- [{_md_escape(item.title)}]({item.url}) — {item.theme}, {item.days}{_('days')}\n"


def markdown(summary: Summary) -> Iterator[str]:
    yield from _md_overview(summary)
    for thread in summary.threads():
        yield f"\n## {_md_escape(thread.title)}\n\n"
        yield (f"- {_('Theme')}: {thread.theme}\n- {_('Opened by')}: {_md_escape(thread.opener.display)}\n"
               f"- {_('Opened on')}: {dates.western(thread.created_at)}（{dates.wareki(thread.created_at)}、"
               f"{dates.fiscal_year_label(dates.fiscal_year(thread.created_at))}）\n"
               f"- {_('Outcome')}: {thread.outcome_label}\n"
               f"- {_('Replies')}: {thread.reply_count}（" + "、".join(
                   f"{role.label} {thread.replies_by_role[role]}" for role in ROLE_ORDER) + "）\n"
               f"- {_('First company reply after')}: {dates.duration_label(thread.first_company_reply)}\n"
               f"- {_('First academic reply after')}: {dates.duration_label(thread.first_academic_reply)}\n"
               f"- URL: <{thread.url}>\n")
        if thread.conclusion:
            yield f"\n### {_('Conclusion')}\n\n{_md_escape(thread.conclusion.text)}\n"
        for heading, posts in ((_("Key points"), thread.key_points), (_("Most helpful posts"), thread.most_helpful)):
            if posts:
                yield f"\n### {heading}\n\n" + "\n\n".join(_md_cite(post) for post in posts) + "\n"
        if thread.attachments:
            yield f"\n### {_('Attached files')}\n\n" + "".join(
                f"- [{_md_escape(attachment.name)}](<{attachment.url}>)（{attachment.description}、#{post.position}）\n"
                for post, attachment in thread.attachments)


def _person_json(person: Person) -> dict:
    return {"name": person.name, "role": person.role.value, "organisation": person.organisation,
            "title": person.title, "prefecture": person.prefecture, "municipality_code": person.municipality_code,
            "corporate_number": person.corporate_number}


def _post_json(post: PostEntry) -> dict:
    return {"id": post.id, "position": post.position, "author": _person_json(post.author),
            "created_at": post.created_at.isoformat(), "text": post.text, "url": post.url,
            "helpful": post.helpful_count, "key_point": post.is_key_point,
            "attachments": [{"name": a.name, "type": a.content_type, "size": a.size, "url": a.url}
                            for a in post.attachments]}


def _thread_json(thread: ThreadEntry) -> dict:
    return {
        "id": thread.id, "title": thread.title, "theme": thread.theme, "url": thread.url,
        "opened_by": _person_json(thread.opener), "created_at": thread.created_at.isoformat(),
        "created_wareki": dates.wareki(thread.created_at), "fiscal_year": dates.fiscal_year(thread.created_at),
        "last_posted_at": thread.last_posted_at.isoformat(), "outcome": thread.outcome.value,
        "replies_by_role": {role.value: count for role, count in thread.replies_by_role.items()},
        "first_company_reply_seconds": _seconds(thread.first_company_reply),
        "first_academic_reply_seconds": _seconds(thread.first_academic_reply),
        "conclusion": None if thread.conclusion is None else {
            "version": thread.conclusion.version, "text": thread.conclusion.text, "author": thread.conclusion.author,
            "created_at": thread.conclusion.created_at.isoformat()},
        "key_point_ids": [post.id for post in thread.key_points],
        "posts": [_post_json(post) for post in thread.posts],
    }


def _seconds(delta) -> int | None:
    return None if delta is None else int(delta.total_seconds())


def json_chunks(summary: Summary) -> Iterator[str]:
    """JSON written thread by thread (a large board never sits in memory as one document)."""
    overview = summary.overview
    head = {
        "format": "educussion-summary", "format_version": JSON_FORMAT_VERSION,
        "generated_at": summary.generated_at.isoformat(), "filters": summary.filters.describe(),
        "overview": {
            "threads": overview.thread_count, "posts": overview.post_count,
            "participants_by_role": {role.value: count for role, count in overview.participants_by_role},
            "participants_by_prefecture": dict(overview.participants_by_prefecture),
            "threads_per_theme": dict(overview.threads_per_theme),
            "unanswered": [{"id": u.id, "title": u.title, "url": u.url, "days": u.days} for u in overview.unanswered],
        },
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "threads": ['
    for index, thread in enumerate(summary.threads()):
        yield ("," if index else "") + json.dumps(_thread_json(thread), ensure_ascii=False)
    yield "]}"
