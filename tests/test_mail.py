"""The outbox: mails commit with their change, Japanese is encoded for any mail server, failures retry."""
import re
import socket
import socketserver
import threading
from datetime import timedelta
from email import message_from_bytes, policy
from email.utils import parseaddr

import pytest
from flask import current_app
from sqlalchemy import insert, select

from educussion import mail
from educussion.database import unit_of_work
from educussion.extensions import db
from educussion.models import OutgoingMail, utcnow

SUBJECT = "【エデュカッションボード】メールアドレスの確認のお願い"
BODY = "山田 太郎 様\n\n以下のリンクを開いてください。\nhttps://board.example.jp/confirm/abc\n"


def queue_one(recipient: str = "yamada@city.taku.lg.jp", subject: str = SUBJECT, body: str = BODY) -> int:
    """Queue a mail and leave it in the outbox (as with EDUCUSSION_MAIL_SEND=cron): the test sends it."""
    config = current_app.config
    sending, config["MAIL_SEND"] = config["MAIL_SEND"], "cron"
    try:
        with unit_of_work():
            queued = mail.queue(recipient, subject, body)
    finally:
        config["MAIL_SEND"] = sending
    return queued.id


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def test_a_japanese_mail_is_encoded_for_any_mail_server(app, mails):
    app.config["MAIL_FROM_NAME"] = "エデュカッションボード"
    queue_one()
    assert mail.send_pending() == (1, 0)

    (raw,) = mails.raw()
    headers = raw.split(b"\n\n", 1)[0].decode("ascii")  # every header is ASCII (RFC 2047 encoded words)
    subject_lines = headers.split("Subject:", 1)[1].split("\nFrom:")[0].split("\nTo:")[0]
    assert "=?utf-8?" in subject_lines.lower()

    (parsed,) = mails.all()
    assert parsed["subject"] == SUBJECT
    assert parsed["to"] == "yamada@city.taku.lg.jp"
    assert parsed["body"].startswith(BODY)
    name, address = parseaddr(str(parsed["message"]["From"]))
    assert name == "エデュカッションボード" and address == app.config["MAIL_FROM"]
    assert parsed["message"]["Message-ID"]


def test_the_parsed_file_matches_a_plain_parse(app, mails):
    """The `mails` helper reads what a mail client would."""
    queue_one()
    mail.send_pending()
    message = message_from_bytes(mails.raw()[0], policy=policy.default)
    assert message["Subject"] == SUBJECT and message.get_content_charset() == "utf-8"


def test_a_mail_is_queued_only_with_its_change(app, mails):
    with pytest.raises(RuntimeError):
        with unit_of_work():
            mail.queue("a@example.jp", "件名", "本文")
            raise RuntimeError("the change fails")
    assert db.session.execute(select(OutgoingMail)).scalar() is None
    assert mail.send_pending() == (0, 0) and len(mails) == 0


def test_a_failing_smtp_server_keeps_the_mail_until_it_can_be_sent(app, mails):
    mail_id = queue_one()
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=unused_port())
    assert mail.send_pending() == (0, 1)
    db.session.expire_all()
    queued = db.session.get(OutgoingMail, mail_id)
    assert queued.sent_at is None and queued.attempts == 1 and queued.last_error
    assert len(mails) == 0

    app.config["MAIL_BACKEND"] = "file"
    assert mail.send_pending() == (1, 0)
    db.session.expire_all()
    sent = db.session.get(OutgoingMail, mail_id)
    assert sent.sent_at is not None and sent.attempts == 2 and sent.last_error is None
    assert [m["subject"] for m in mails.all()] == [SUBJECT]
    assert mail.send_pending() == (0, 0)  # sent once only
    assert len(mails) == 1


def test_a_mail_that_failed_too_often_is_no_longer_tried(app, mails):
    mail_id = queue_one()
    with unit_of_work():
        db.session.get(OutgoingMail, mail_id).attempts = mail.MAX_ATTEMPTS
    assert mail.send_pending() == (0, 0) and len(mails) == 0


def test_mail_send_command(runner, mails):
    queue_one()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed" in result.output
    assert len(mails) == 1


def test_mail_send_command_fails_when_a_mail_stays_queued(app, runner, mails):
    queue_one()
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=unused_port())
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1 and "0 sent, 1 failed" in result.output


def test_with_mail_send_cron_requests_only_queue(app, mails):
    app.config["MAIL_SEND"] = "cron"
    with unit_of_work():
        mail.queue("someone@example.jp", "件名", "本文")
    assert mail.send_queued() == (0, 0)
    assert len(mails) == 0 and db.session.query(OutgoingMail).one().sent_at is None
    assert mail.send_pending() == (1, 0)
    assert len(mails) == 1


def _queue_many(count: int) -> None:
    """`count` mails straight into the outbox (as thousands of notifications and digests would leave them)."""
    rows = [{"recipient": f"member{n}@example.jp", "subject": f"お知らせ {n}", "body_text": BODY,
             "created_at": utcnow(), "attempts": 0} for n in range(count)]
    db.session.execute(insert(OutgoingMail), rows)
    db.session.commit()


def test_one_run_sends_the_whole_queue(app, runner, mails):
    """cron's `notify send` used to stop after 200 mails (2,531 needed 13 runs): now one run empties the queue."""
    _queue_many(2531)
    result = runner.invoke(args=["notify", "send", "--seconds", "600"])
    assert result.exit_code == 0, result.output
    assert "2531 sent, 0 failed (kept in the queue); 0 waiting." in result.output
    assert len(mails) == 2531
    rows = db.session.execute(select(OutgoingMail.sent_at, OutgoingMail.message_id, OutgoingMail.claimed_until,
                                     OutgoingMail.attempts)).all()
    assert all(row.sent_at is not None and row.claimed_until is None and row.attempts == 1 for row in rows)
    message_ids = {row.message_id for row in rows}
    assert len(message_ids) == 2531 and None not in message_ids
    headers = (re.search(rb"^Message-ID: (\S+)", raw, re.M | re.I) for raw in mails.raw())
    assert message_ids == {header.group(1).decode() for header in headers}


def test_a_run_stops_when_its_time_is_up_and_leaves_the_rest_waiting(app, mails):
    _queue_many(3)
    assert mail.send_pending(seconds=0) == (0, 0)
    assert len(mails) == 0
    rows = db.session.execute(select(OutgoingMail.claimed_until, OutgoingMail.attempts)).all()
    assert all(row.claimed_until is None and row.attempts == 0 for row in rows)  # given back unused
    assert mail.waiting_count() == 3
    assert mail.send_pending() == (3, 0)


class Crash(BaseException):
    """The sending process dies (kill -9, power cut) after the mail server took the mail."""


def test_a_mail_sent_but_not_marked_is_sent_again_only_after_its_claim_expires(app, mails, monkeypatch):
    crashed_id = queue_one(recipient="crash@example.jp")
    deliver = mail._Sender.deliver

    def deliver_then_die(self, message, mail_id):
        deliver(self, message, mail_id)
        raise Crash()

    monkeypatch.setattr(mail._Sender, "deliver", deliver_then_die)
    with pytest.raises(Crash):
        mail.send_pending()
    monkeypatch.setattr(mail._Sender, "deliver", deliver)
    db.session.rollback()
    db.session.expire_all()
    crashed = db.session.get(OutgoingMail, crashed_id)
    assert crashed.sent_at is None and crashed.claimed_until is not None and crashed.message_id
    message_id = crashed.message_id
    assert len(mails) == 1

    other_id = queue_one(recipient="other@example.jp")
    assert mail.send_pending() == (1, 0)  # the others go out; the claimed mail waits for its claim to expire
    assert [m["to"] for m in mails.all()] == ["crash@example.jp", "other@example.jp"]
    db.session.expire_all()
    assert db.session.get(OutgoingMail, crashed_id).sent_at is None
    assert db.session.get(OutgoingMail, other_id).sent_at is not None

    with unit_of_work():  # the claim's time (EDUCUSSION_MAIL_CLAIM_SECONDS) has passed
        db.session.get(OutgoingMail, crashed_id).claimed_until = utcnow() - timedelta(seconds=1)
    assert mail.send_pending() == (1, 0)
    db.session.expire_all()
    resent = db.session.get(OutgoingMail, crashed_id)
    assert resent.sent_at is not None and resent.message_id == message_id and resent.attempts == 2
    copies = [m["message"] for m in mails.all() if m["to"] == "crash@example.jp"]
    assert [str(m["Message-ID"]) for m in copies] == [message_id, message_id]  # recognisably one mail
    assert mail.send_pending() == (0, 0)


def test_a_mail_claimed_by_another_sender_is_left_to_it(app, mails):
    mail_id = queue_one()
    with unit_of_work():
        db.session.get(OutgoingMail, mail_id).claimed_until = utcnow() + timedelta(minutes=5)
    assert mail.send_pending() == (0, 0) and len(mails) == 0


class SMTPRecorder(socketserver.StreamRequestHandler):
    """A minimal SMTP server on 127.0.0.1: accepts every mail, counts connections and messages; `fail_after`
    drops the connection (without an answer) on that message of the whole run."""

    def handle(self):
        server = self.server
        server.connections += 1
        self.reply("220 test ESMTP")
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 test")
            elif command == "DATA":
                self.reply("354 go on")
                data = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                if len(server.messages) + 1 == server.fail_after:
                    server.fail_after = None
                    return  # hang up: the client sees the connection drop
                server.messages.append(data)
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:  # MAIL FROM, RCPT TO, RSET, NOOP
                self.reply("250 ok")

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode("ascii") + b"\r\n")


@pytest.fixture
def smtp_server(app):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPRecorder)
    server.daemon_threads = True
    server.connections, server.messages, server.fail_after = 0, [], None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=server.server_address[1],
                      SMTP_STARTTLS=False, SMTP_USER="")
    yield server
    server.shutdown()
    server.server_close()


def test_smtp_sends_many_mails_per_connection(app, smtp_server):
    _queue_many(120)
    assert mail.send_pending() == (120, 0)
    assert len(smtp_server.messages) == 120
    assert smtp_server.connections == 3  # 50 mails per connection, not one connection per mail


def test_a_dropped_smtp_connection_fails_one_mail_and_the_run_goes_on(app, smtp_server):
    _queue_many(10)
    smtp_server.fail_after = 4
    assert mail.send_pending() == (9, 1)
    assert len(smtp_server.messages) == 9 and smtp_server.connections == 2
    db.session.expire_all()
    [failed] = db.session.execute(select(OutgoingMail).where(OutgoingMail.sent_at.is_(None))).scalars().all()
    assert failed.recipient == "member3@example.jp" and failed.last_error and failed.claimed_until is None
    assert mail.send_pending() == (1, 0)  # the next run retries it


def test_two_senders_at_once_send_each_mail_once(app, mails):
    """cron started a run while the last one was still sending: each mail goes out once."""
    _queue_many(300)
    results = []

    def run():
        with app.app_context():
            results.append(mail.send_pending(seconds=600))
            db.session.remove()

    senders = [threading.Thread(target=run) for _ in range(2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert sum(sent for sent, _failed in results) == 300 and all(failed == 0 for _sent, failed in results)
    assert len(mails) == 300 and len({m["to"] for m in mails.all()}) == 300
    assert mail.waiting_count() == 0


def test_a_mail_that_cannot_be_written_fails_alone(app, mails):
    bad_id = queue_one(recipient="a@example.jp\nBcc: everyone@example.jp")
    queue_one(recipient="fine@example.jp")
    assert mail.send_pending() == (1, 1)
    assert [m["to"] for m in mails.all()] == ["fine@example.jp"]
    db.session.expire_all()
    bad = db.session.get(OutgoingMail, bad_id)
    assert bad.sent_at is None and bad.last_error and bad.claimed_until is None


def test_every_mail_ends_with_the_council_the_secretariats_contact_and_the_settings_link(app, mails):
    app.config.update(CONTACT_EMAIL="jimukyoku@ict-mayors.example.jp", CONTACT_PHONE="03-1234-5678",
                      BASE_URL="https://board.example.jp")
    with unit_of_work():
        mail.queue("yamada@city.taku.lg.jp", SUBJECT, BODY, html="<html><body><p>本文</p></body></html>")
    mail.send_queued()
    (raw,) = mails.raw()
    message = message_from_bytes(raw, policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    assert text.startswith(BODY) and text.endswith(
        "-- \nエデュカッションボード — 全国ICT教育首長協議会\n"
        "事務局へのお問い合わせ：jimukyoku@ict-mayors.example.jp / TEL 03-1234-5678\n"
        "メールの設定を変更：https://board.example.jp/settings/notifications\n")
    html = message.get_body(("html",)).get_content()
    assert html.index("<p>本文</p>") < html.index("全国ICT教育首長協議会") < html.index("</body>")
    assert '<a href="https://board.example.jp/settings/notifications">メールの設定を変更</a>' in html
    assert "jimukyoku@ict-mayors.example.jp / TEL 03-1234-5678" in html
