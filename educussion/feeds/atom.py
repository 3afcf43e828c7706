"""An Atom document (RFC 4287) from plain entries, for feeds outside the board's own (the council's news)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Response, render_template

from ..urls import base_url

ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
# Characters XML 1.0 cannot carry, not even as references (a title could hold one).
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Entry:
    """One entry; every link absolute (urls.absolute_url), content_html a plain str escaped once by the template."""

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


def atom_response(*, title: str, self_url: str, alternate: str, site_name: str, updated: datetime,
                  entries: list[Entry]) -> Response:
    xml = render_template("feeds/atom.xml", title=title, feed_id=self_url, self_url=self_url, alternate=alternate,
                          base=base_url() + "/", site_name=site_name, updated=rfc3339(updated), entries=entries)
    return Response(_NOT_IN_XML.sub("", xml), content_type=ATOM_CONTENT_TYPE)
