"""Absolute links (mails, feeds) come from EDUCUSSION_BASE_URL, never from the request's Host header."""
import xml.etree.ElementTree as ET

from educussion.models import Role

from .factories import make_thread, make_user

ATOM = "{http://www.w3.org/2005/Atom}"
XML_NS = "{http://www.w3.org/XML/1998/namespace}"
FORGED = {"Host": "evil.example"}


def test_a_reset_requested_with_a_forged_host_links_to_the_base_url(make_app, tmp_path):
    app = make_app(BASE_URL="https://board.example.jp", MAIL_FOLDER=str(tmp_path / "mail"))
    with app.app_context():
        make_user(Role.MAYOR, email="mayor@example.jp")
        response = app.test_client().post("/password/forgot", data={"email": "mayor@example.jp"}, headers=FORGED)
        assert response.status_code == 302
        (mail,) = (tmp_path / "mail").glob("*.eml")
        from email import message_from_bytes, policy
        body = message_from_bytes(mail.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
        assert "https://board.example.jp/password/reset/" in body
        assert "evil.example" not in body


def test_a_feed_fetched_with_a_forged_host_links_to_the_base_url(make_app):
    app = make_app(BASE_URL="https://board.example.jp")
    with app.app_context():
        from educussion.extensions import db
        from .conftest import _clean
        with db.engine.begin() as connection:
            _clean(connection)
        thread = make_thread(author=make_user(Role.MAYOR))
        response = app.test_client().get(f"/threads/{thread.id}/feed.atom", headers=FORGED)
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and "evil.example" not in text
        root = ET.fromstring(text)
        assert root.get(XML_NS + "base") == "https://board.example.jp/"
        assert root.find(ATOM + "id").text == f"https://board.example.jp/threads/{thread.id}/feed.atom"
        links = [link.get("href") for link in root.iter(ATOM + "link")]
        assert links and all(href.startswith("https://board.example.jp/") for href in links)
        entry_ids = [e.find(ATOM + "id").text for e in root.iter(ATOM + "entry")]
        assert entry_ids and all(i.startswith("https://board.example.jp/posts/") for i in entry_ids)


def test_absolute_url_keeps_a_path_prefix_and_an_anchor(make_app):
    from educussion.urls import absolute_url
    app = make_app(BASE_URL="https://example.jp/board")
    with app.test_request_context("/", headers=FORGED):
        assert absolute_url("board.show_thread", thread_id=3, _anchor="post-9") == \
            "https://example.jp/board/threads/3#post-9"
