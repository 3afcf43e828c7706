"""Every GET route with query parameters and every POST form field, sent hostile values: never a 500.

The routes come from app.url_map; the parameters from the pages themselves (the fields of every form they
render, GET filters included) plus `page`. The secretariat crawls, so the admin pages are covered."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from educussion.extensions import db
from educussion.models import Role

from .factories import make_post, make_thread, make_user

FUZZ = [
    "100000000000000000000",  # 10**20
    "-99999999999999999999",
    "-1",
    "0",
    "1e309",
    "NaN",
    "9999-99-99",
    "99999-01-01",
    "9999-12-31",
    "0001-01-01",
    "2025-02-30",
    "a\x00b",
    "\x00",
    "x" * 30000,
    "日本語🎉\u202e\u200b",
    "%00",
]
QUERY_ALWAYS = ("page",)
SKIP_POST = {"/logout"}  # the crawl must stay logged in


class _Forms(HTMLParser):
    """The forms of a page: (method, action, {name: default value})."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(((a.get("method") or "get").lower(), a.get("action") or "", {}))
        elif not self.forms or not a.get("name"):
            return
        elif tag == "input" and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                self.forms[-1][2].setdefault(a["name"], "")
            else:
                self.forms[-1][2][a["name"]] = a.get("value") or ""
        elif tag == "textarea":
            self.forms[-1][2][a["name"]] = "text"
        elif tag == "select":
            self._select = a["name"]
            self.forms[-1][2].setdefault(a["name"], "")
        elif tag == "option" and self._select and not self.forms[-1][2][self._select]:
            self.forms[-1][2][self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _forms(page: str):
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def _path_values(app):
    from educussion.models import Organisation
    from educussion.site import services as site_services
    from sqlalchemy import select

    secretariat = make_user(Role.SECRETARIAT)
    mayor = make_user(Role.MAYOR)
    company = make_user(Role.COMPANY)
    thread = make_thread(author=mayor, replies=2)
    post = make_post(thread, author=company)
    org = db.session.execute(select(Organisation).order_by(Organisation.id)).scalars().first()
    entry = site_services.create_news(actor=secretariat, data=site_services.NewsData(
        title="第1回総会のご案内", category="event", body="本文", thread_id=thread.id))
    ids = {"thread_id": thread.id, "post_id": post.id, "user_id": company.id, "organisation_id": org.id,
           "grant_id": 1, "word_id": 1, "request_id": 1, "entry_id": entry.id,
           # the file store's and the proposals' addresses (issues 15 and 18): real rows where they exist
           **{name: 1 for name in ("file_id", "proposal_id", "paragraph_id", "citation_id", "rewording_id",
                                   "meeting_id", "item_id", "number")},
           **_proposal_values(secretariat, mayor, post)}
    strings = {"slug": "infrastructure", "token": "not-a-token", "file_format": "csv",
               "filename": "css/main.css", "name": "計画書.pdf"}
    return secretariat, {**ids, **strings}


def _proposal_values(secretariat, mayor, post) -> dict[str, int]:
    """A proposal with a cited paragraph and a rewording in review, and a 総会 with an agenda item."""
    from datetime import date, timedelta

    from educussion.proposals import meetings, services

    proposal = services.create_proposal(actor=secretariat, data=services.ProposalData(
        fiscal_year=2025, title="提言", addressee="文部科学大臣 殿", theme_ids=(1,)))
    paragraph = services.add_paragraph(proposal, actor=secretariat, section="issue", body="課題", post_ids=(post.id,))
    services.start_review(db.session.get(type(proposal), proposal.id), actor=secretariat, reviewer_ids=[mayor.id],
                          deadline=date.today() + timedelta(days=30))
    rewording = services.propose_rewording(paragraph, actor=mayor, body="課題の書き直し")
    meeting = meetings.create_meeting(actor=secretariat, title="総会", held_on=date(2025, 7, 1))
    item = meetings.add_item(meeting, actor=secretariat, data=meetings.ItemData(kind="report", title="報告"))
    return {"proposal_id": proposal.id, "paragraph_id": paragraph.id, "citation_id": paragraph.citations[0].id,
            "rewording_id": rewording.id, "number": 1, "meeting_id": meeting.id, "item_id": item.id}


def _urls(app, values, method):
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint == "static":
            continue
        yield rule.build({name: _value(rule, name, values) for name in rule.arguments}, append_unknown=False)[1]


def _value(rule, name: str, values: dict):
    """The value for an argument; an `<any(about, join, …)>` one takes its first word (the site's pages)."""
    items = getattr(rule._converters.get(name), "items", None)
    return sorted(items)[0] if items else values[name]


class _Failures(list):
    sent = 0

    def send(self, call, what):
        self.sent += 1
        try:
            response = call()
        except Exception as error:  # the test app propagates exceptions: one is a 500
            self.append((what, repr(error)[:200]))
            db.session.rollback()
            return None
        if response.status_code >= 500:
            self.append((what, response.status_code))
        return response


def _get_pages(client, urls, failures):
    """Fuzz every query parameter of every GET page; return the POST forms the pages showed."""
    post_forms: dict[str, dict[str, str]] = {}
    for url in urls:
        response = failures.send(lambda: client.get(url), url)
        params = set(QUERY_ALWAYS)
        shown = response is not None and response.mimetype == "text/html"  # not a download (a DOCX)
        for method, action, fields in _forms(response.get_data(as_text=True)) if shown else []:
            if method != "get":
                post_forms.setdefault(urlsplit(action).path or url, fields)
            elif urlsplit(action).path in ("", url):
                params.update(fields)
        for name in sorted(params):
            for value in FUZZ:
                failures.send(lambda: client.get(url, query_string={name: value}), (url, name, value[:20]))
    return post_forms


def test_no_query_parameter_or_form_field_gives_a_server_error(app, client, login_as):
    secretariat, values = _path_values(app)
    login_as(secretariat)
    failures = _Failures()
    post_forms = _get_pages(client, sorted(set(_urls(app, values, "GET"))), failures)
    # Form actions no page showed (POST-only routes) are still sent every fuzz value in a field "id".
    for url in sorted(set(_urls(app, values, "POST"))):
        post_forms.setdefault(url, {"id": "1"})
    for url, fields in sorted(post_forms.items()):
        for name in [n for n in fields if n != "csrf_token" and url not in SKIP_POST]:
            for value in FUZZ:
                login_as(secretariat)
                failures.send(lambda: client.post(url, data={**fields, name: value}), (url, name, value[:20]))
    assert failures == []
    assert failures.sent > 2000


@pytest.mark.parametrize("path", ["/threads/100000000000000000000", "/posts/99999999999999999999/edit",
                                  "/members/100000000000000000000", "/themes/a%00b"])
def test_out_of_range_path_numbers_are_not_found(client, login_as, path):
    login_as(make_user(Role.SECRETARIAT))
    assert client.get(path).status_code in (400, 404)  # a NUL anywhere is refused before routing matters
