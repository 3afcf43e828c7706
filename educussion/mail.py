"""Outgoing mail: queued in the caller's transaction, sent after the commit, never lost.

A mail that cannot be sent stays in the outbox with its error, and `flask mail send` tries again. Sending is
claim → send → mark: a sender that dies between sending and marking leaves the mail claimed, and it is sent once
more (with the same Message-ID) after the claim expires (EDUCUSSION_MAIL_CLAIM_SECONDS) — the only duplicate.
Backends: "file" writes .eml files to instance/mail/ (development and tests: open them to click the
links); "smtp" sends through EDUCUSSION_SMTP_HOST.
"""
from __future__ import annotations

import logging
import os
import smtplib
import time
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formataddr, make_msgid

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, or_, select, update

from .database import after_commit, unit_of_work
from .extensions import db
from .models import OutgoingMail, utcnow
from .site import queries as site_queries
from .urls import absolute_url

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
CLAIM_BATCH = 50  # mails claimed per transaction
SMTP_TIMEOUT = 30  # seconds


def queue(recipient: str, subject: str, body: str, *, html: str | None = None,
          unsubscribe_url: str | None = None) -> OutgoingMail:
    """Add a mail to the outbox; it is committed with the change that causes it. `html` adds an HTML
    alternative; `unsubscribe_url` is sent as a one-click List-Unsubscribe header (RFC 8058)."""
    body = body.rstrip("\n") + "\n\n-- \n" + footer_text() + "\n"
    if html is not None:
        html = _with_footer(html)
    mail = OutgoingMail(recipient=recipient, subject=subject, body_text=body, body_html=html,
                        unsubscribe_url=unsubscribe_url)
    db.session.add(mail)
    db.session.info.setdefault(_QUEUED, []).append(mail)
    after_commit(send_queued)
    return mail


_QUEUED = "educussion.mail.queued"


def render(name: str, **context) -> str:
    """A mail's text from its template, with the given context only: not Flask's render_template, whose
    context processors would add the request and the signed-in member (the sender, not the reader)."""
    return current_app.jinja_env.get_template(name).render(context)


def _contact() -> str:
    """The secretariat's address and phone as the site's settings give them (サイト管理), else the configuration's
    (EDUCUSSION_CONTACT_EMAIL, EDUCUSSION_CONTACT_PHONE). Mails write the address out: they go to one person."""
    contact = site_queries.contact()
    return contact.email + (f" / TEL {contact.phone}" if contact.phone else "")


def footer_text() -> str:
    """The footer of every mail, in the current locale (callers set the recipient's): who sends it, how to
    reach the secretariat, where to change the mails one receives."""
    return "\n".join([
        _("Educussion board — National ICT Education Mayors' Council"),
        _("Contact the secretariat: %(contact)s", contact=_contact()),
        _("Change which mails you receive: %(url)s", url=absolute_url("notifications.settings")),
    ])


def _with_footer(html: str) -> str:
    footer = Markup('<hr><p style="font-size: 90%;">{}<br>{}<br><a href="{}">{}</a></p>').format(
        _("Educussion board — National ICT Education Mayors' Council"),
        _("Contact the secretariat: %(contact)s", contact=_contact()),
        absolute_url("notifications.settings"), _("Change which mails you receive"))
    head, body_end, tail = html.rpartition("</body>")
    return f"{head}{footer}{body_end}{tail}" if body_end else html + footer


def send_queued() -> tuple[int, int]:
    """After the commit (the unit of work runs it): send the mails this session queued (older failures are
    left to `flask mail send`, so one slow server never holds a request up for the whole outbox)."""
    queued = db.session.info.pop(_QUEUED, [])
    if current_app.config["MAIL_SEND"] != "request":
        return 0, 0  # EDUCUSSION_MAIL_SEND=cron: `flask notify send` sends them
    ids = [m.id for m in queued if m.id is not None]
    return send_pending(ids=ids) if ids else (0, 0)


class _Policy(EmailPolicy):
    """email.policy.default, except that a long List-Unsubscribe <URL> is written as it is: the default folds a
    line longer than 78 characters into RFC 2047 encoded words, which mail programs do not decode there
    (RFC 2369/8058 headers are read raw). Header lines may be up to 998 characters long."""

    RAW = frozenset({"list-unsubscribe"})

    def _raw(self, name: str, value) -> str | None:
        text = str(value)
        if name.lower() in self.RAW and text.isascii() and "\n" not in text and len(name) + len(text) < 990:
            return f"{name}: {text}{self.linesep}"
        return None

    def fold(self, name, value):
        return self._raw(name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        raw = self._raw(name, value)
        return raw.encode("ascii") if raw is not None else super().fold_binary(name, value)


MAIL_POLICY = _Policy()


def _message(mail: OutgoingMail | _Claimed) -> EmailMessage:
    config = current_app.config
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = mail.subject
    message["From"] = formataddr((config["MAIL_FROM_NAME"], config["MAIL_FROM"]))
    message["To"] = mail.recipient
    message["Message-ID"] = mail.message_id or make_msgid(domain=config["MAIL_FROM"].rsplit("@", 1)[-1])
    # base64 keeps Japanese text intact through relays that are not 8-bit clean.
    message.set_content(mail.body_text, charset="utf-8", cte="base64")
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html", charset="utf-8", cte="base64")
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


class _Sender:
    """Delivers messages: the file backend writes .eml files; SMTP reuses one connection for up to
    MESSAGES_PER_CONNECTION mails (a run may send thousands), and opens a new one after any error."""

    MESSAGES_PER_CONNECTION = 50

    def __init__(self) -> None:
        self.config = current_app.config
        self.smtp: smtplib.SMTP | None = None
        self.used = 0

    def __enter__(self) -> _Sender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def deliver(self, message: EmailMessage, mail_id: int) -> None:
        if self.config["MAIL_BACKEND"] != "smtp":
            self._write_file(message, mail_id)
            return
        if self.smtp is None or self.used >= self.MESSAGES_PER_CONNECTION:
            self.close()
            self.smtp = self._connect()
        try:
            self.smtp.send_message(message)
        except BaseException:
            self.close()
            raise
        self.used += 1

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=SMTP_TIMEOUT)
        try:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        except BaseException:
            smtp.close()
            raise
        self.used = 0
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def _write_file(self, message: EmailMessage, mail_id: int) -> None:
        folder = self.config["MAIL_FOLDER"] or os.path.join(current_app.instance_path, "mail")
        os.makedirs(folder, exist_ok=True)
        name = f"{utcnow():%Y%m%d-%H%M%S-%f}-{mail_id:06d}.eml"  # a re-send is a file of its own
        with open(os.path.join(folder, name), "wb") as f:
            f.write(bytes(message))


def _claim(after_id: int, ids: list[int] | None) -> list[_Claimed]:
    """Take the next few waiting mails (by id, after `after_id`) for this process until the claim expires, one
    attempt more each; mails another sender holds are skipped. Each gets its Message-ID now, kept for every try."""
    now = utcnow()
    claimable = (OutgoingMail.sent_at.is_(None), OutgoingMail.attempts < MAX_ATTEMPTS,
                 or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until <= now))
    query = (select(OutgoingMail.id).where(OutgoingMail.id > after_id, *claimable)
             .order_by(OutgoingMail.id).limit(CLAIM_BATCH).with_for_update(skip_locked=True))
    if ids is not None:
        query = query.where(OutgoingMail.id.in_(ids))
    with unit_of_work():
        candidates = list(db.session.execute(query).scalars())
        if not candidates:
            return []
        # The WHERE is checked again under the row lock: a mail another sender claimed meanwhile is not ours.
        claimed = list(db.session.execute(
            update(OutgoingMail).where(OutgoingMail.id.in_(candidates), *claimable)
            .values(attempts=OutgoingMail.attempts + 1,
                    claimed_until=now + timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"]))
            .returning(OutgoingMail.id),
            execution_options={"synchronize_session": False}).scalars())
        mails = list(db.session.execute(
            select(OutgoingMail).where(OutgoingMail.id.in_(claimed)).order_by(OutgoingMail.id)
            .execution_options(populate_existing=True)).scalars())
        domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1]
        for mail in mails:
            if mail.message_id is None:
                mail.message_id = make_msgid(domain=domain)
        claimed_mails = [_Claimed(**{name: getattr(mail, name) for name in _Claimed.__dataclass_fields__})
                         for mail in mails]
    return claimed_mails


@dataclass(frozen=True)
class _Claimed:
    """A claimed mail as it is sent (plain values: the session's commits after each mail do not reload it)."""

    id: int
    recipient: str
    subject: str
    body_text: str
    body_html: str | None
    unsubscribe_url: str | None
    message_id: str
    attempts: int


def _mark(mail: _Claimed, error: Exception | None) -> None:
    """Sent: record it (the claim ends). Failed: keep the error and let the next run try again."""
    values = {"claimed_until": None, "last_error": str(error)[:1000] if error is not None else None}
    if error is None:
        values["sent_at"] = utcnow()
    with unit_of_work():
        db.session.execute(update(OutgoingMail).where(OutgoingMail.id == mail.id).values(**values),
                           execution_options={"synchronize_session": False})


def _release(mails: list[_Claimed]) -> None:
    """Give back claimed mails this run will not try after all (out of time): no attempt was used."""
    if mails:
        with unit_of_work():
            db.session.execute(
                update(OutgoingMail).where(OutgoingMail.id.in_([m.id for m in mails]), OutgoingMail.sent_at.is_(None))
                .values(claimed_until=None, attempts=OutgoingMail.attempts - 1),
                execution_options={"synchronize_session": False})


def send_pending(ids: list[int] | None = None, *, seconds: float | None = None) -> tuple[int, int]:
    """Send what waits in the outbox (only `ids`, if given) until none is left or `seconds` have passed
    (EDUCUSSION_MAIL_SEND_SECONDS); returns (sent, failed). Each mail is claimed, sent, then marked sent; a failed
    one keeps its error and is tried again by the next run. A process that dies between sending and marking
    leaves the mail claimed: it is sent again (with the same Message-ID) once the claim has expired."""
    budget = current_app.config["MAIL_SEND_SECONDS"] if seconds is None else seconds
    deadline = time.monotonic() + budget
    sent = failed = 0
    after_id = 0
    with _Sender() as sender:
        while time.monotonic() < deadline:
            batch = _claim(after_id, ids)
            if not batch:
                break
            claim_ends = time.monotonic() + current_app.config["MAIL_CLAIM_SECONDS"] - SMTP_TIMEOUT
            for index, mail in enumerate(batch):
                if time.monotonic() >= deadline or (index and time.monotonic() >= claim_ends):
                    _release(batch[index:])  # out of time, or the claim would end while sending
                    break
                after_id = mail.id
                try:
                    sender.deliver(_message(mail), mail.id)
                except (OSError, smtplib.SMTPException, ValueError) as error:  # ValueError: a header it cannot write
                    failed += 1
                    log.warning("mail %s to %s not sent (attempt %s): %s", mail.id, mail.recipient, mail.attempts,
                                error)
                    _mark(mail, error)
                else:
                    sent += 1
                    _mark(mail, None)
    return sent, failed


def waiting_count() -> int:
    """Mails still to be sent (not given up on)."""
    return db.session.execute(select(func.count(OutgoingMail.id)).where(
        OutgoingMail.sent_at.is_(None), OutgoingMail.attempts < MAX_ATTEMPTS)).scalar_one()
