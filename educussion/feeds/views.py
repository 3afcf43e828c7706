"""Atom feeds (RFC 4287) of what anyone may read: the whole board, a theme's threads, a thread's posts."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from ..board import queries as board_queries
from ..models import Post, utcnow
from ..urls import absolute_url, base_url
from . import queries

bp = Blueprint("feeds", __name__)

ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
# Characters XML 1.0 cannot carry, not even as references (a title or a name could hold one).
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str
    published: str
    updated: str
    author: str
    author_uri: str
    category_term: str
    category_label: str
    content_html: str


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _last_change(post: Post) -> datetime:
    return post.edited_at or post.created_at


def _author(post: Post) -> str:
    name = post.author.display_name
    affiliation = post.author_affiliation
    return _("%(name)s (%(affiliation)s)", name=name, affiliation=affiliation) if affiliation else name


def _entry(post: Post) -> Entry:
    thread = post.thread
    permalink = absolute_url("board.permalink", post_id=post.id)
    return Entry(
        id=permalink,
        title=thread.title if post.position == 1 else _("Re: %(title)s", title=thread.title),
        link=permalink,
        published=rfc3339(post.created_at),
        updated=rfc3339(_last_change(post)),
        author=_author(post),
        author_uri=absolute_url("orgs.member", user_id=post.author_id),
        category_term=thread.theme.slug,
        category_label=thread.theme.name,
        content_html=post.body_html,  # a plain str: the template escapes it once, as type="html" wants
    )


def _feed(title: str, alternate: str, posts: list[Post]) -> Response:
    self_url = absolute_url(request.endpoint, **(request.view_args or {}))
    updated = max((_last_change(post) for post in posts), default=utcnow())
    xml = render_template(
        "feeds/atom.xml", title=title, feed_id=self_url, self_url=self_url, alternate=alternate,
        base=base_url() + "/", site_name=_("Educussion board"), updated=rfc3339(updated),
        entries=[_entry(post) for post in posts],
    )
    return Response(_NOT_IN_XML.sub("", xml), content_type=ATOM_CONTENT_TYPE)


@bp.get("/feeds/board.atom")
def board():
    return _feed(_("Educussion board: new posts"), absolute_url("board.index"), queries.board_posts())


@bp.get("/themes/<slug>/feed.atom")
def theme(slug: str):
    found = board_queries.theme_by_slug(slug)
    if found is None:
        abort(404)
    return _feed(_("%(theme)s: new threads", theme=found.name),
                 absolute_url("board.show_theme", slug=found.slug), queries.theme_opening_posts(found))


@bp.get("/threads/<int:thread_id>/feed.atom")
def thread(thread_id: int):
    found = queries.public_thread(thread_id)  # hidden, pending and rejected threads have no feed
    if found is None:
        abort(404)
    return _feed(_("%(title)s: new posts", title=found.title),
                 absolute_url("board.show_thread", thread_id=found.id), queries.thread_posts(found))
