"""Notifications by email over SMTP (smtplib), when SMTP_HOST is set. See docs/opinion-polls.md
and docs/notifications.md.

The user feed hands over the ids of the notifications a write created, after its commit (the
ballots' notices, one mail each), and the digests of change notices the reminders round
gathered (`notification.digested`: one mail listing a user's notices); one
worker thread of its own reads them, writes each one in its reader's language and sends it.
SMTP never runs on the event loop nor on a database worker thread, and a mail server that is
down or refuses a message is logged, never raised: the notification itself is already stored
and shown by the bell.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlmodel import Session, col, select

from agenda.db import Database
from agenda.people.accounts import User
from agenda.people.notifications import Notification
from agenda.text import N_, one_line
from meeting_app.i18n import translate, use_locale
from meeting_app.settings import Settings

log = logging.getLogger("ecabinet.mail")
TIMEOUT = 15.0  # seconds for the SMTP connection and each command

FOOTER = N_("Mở eCabinet để xem: {url}")
DIGEST_SUBJECT = N_("eCabinet: {count} thay đổi về tài liệu và chương trình phiên họp")
DIGEST_INTRO = N_("Từ lần thông báo trước, các phiên họp bạn được mời có những thay đổi sau:")
SIGNATURE = N_("Thư tự động của eCabinet – Hệ thống phục vụ họp của Chính phủ. Xin không trả lời thư này.")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str


def compose(session: Session, notification_ids: list[int], public_url: str) -> list[Mail]:
    """One mail per notification whose user has an email address, in that user's language."""
    rows = session.exec(
        select(Notification, User)
        .join(User, col(User.id) == Notification.user_id)
        .where(col(Notification.id).in_(notification_ids), col(User.email).is_not(None), col(User.active))
        .order_by(col(Notification.id))
    ).all()
    mails: list[Mail] = []
    for notification, user in rows:
        params = notification.param_dict()
        with use_locale(user.locale):
            subject = one_line(translate(notification.title, params))
            body = translate(notification.body, params)
            link = translate(FOOTER, {"url": f"{public_url}{notification.url}"})
            signature = translate(SIGNATURE)
        mails.append(
            Mail(to=user.email or "", subject=subject, text=f"{body}\n\n{link}\n\n-- \n{signature}\n")
        )
    return mails


def compose_digest(
    session: Session, user_id: int, notification_ids: list[int], public_url: str
) -> list[Mail]:
    """One mail listing the user's change notices, in their language (none without an address)."""
    user = session.get(User, user_id)
    if user is None or not user.email or not user.active:
        return []
    found = session.exec(
        select(Notification)
        .where(col(Notification.id).in_(notification_ids), Notification.user_id == user_id)
        .order_by(col(Notification.id))
    ).all()
    if not found:
        return []
    with use_locale(user.locale):
        lines = [translate(DIGEST_INTRO), ""]
        for notification in found:
            params = notification.param_dict()
            lines.append(f"- {one_line(translate(notification.title, params))}")
            lines.append(f"  {one_line(translate(notification.body, params))}")
            lines.append(f"  {public_url}{notification.url}")
        subject = one_line(translate(DIGEST_SUBJECT, {"count": len(found)}))
        signature = translate(SIGNATURE)
    text = "\n".join(lines)
    return [Mail(to=user.email, subject=subject, text=f"{text}\n\n-- \n{signature}\n")]


def deliver(settings: Settings, mails: list[Mail]) -> int:
    """Send `mails` over one SMTP connection; returns how many the server accepted."""
    if not mails:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            for mail in mails:
                message = EmailMessage()
                message["From"] = settings.smtp_from
                message["To"] = mail.to
                message["Subject"] = mail.subject
                message["Date"] = formatdate(localtime=False)
                message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
                message.set_content(mail.text, cte="quoted-printable")  # 7-bit safe for any relay
                try:
                    smtp.send_message(message)
                    sent += 1
                except smtplib.SMTPException:
                    log.exception("the mail server refused a notification to %s", mail.to)
    except (OSError, smtplib.SMTPException):
        log.exception(
            "could not send %d notification email(s) through %s", len(mails) - sent, settings.smtp_host
        )
    return sent


class Mailer:
    """Sends notifications by email on a thread of its own, in the order they were committed."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailer")
        self.sent = 0

    def submit(self, notification_ids: list[int]) -> None:
        try:
            self._pool.submit(self._run, list(notification_ids))
        except RuntimeError:  # shutting down
            log.warning("not mailing %d notification(s): the server is stopping", len(notification_ids))

    def submit_digest(self, user_id: int, notification_ids: list[int]) -> None:
        try:
            self._pool.submit(self._run_digest, user_id, list(notification_ids))
        except RuntimeError:  # shutting down
            log.warning("not mailing the digest of user %s: the server is stopping", user_id)

    def _run_digest(self, user_id: int, notification_ids: list[int]) -> None:
        try:
            mails = self.db.read_sync(
                lambda s: compose_digest(s, user_id, notification_ids, self.settings.public_url)
            )
            self.sent += deliver(self.settings, mails)
        except Exception:
            log.exception("mailing the digest of user %s failed", user_id)

    def _run(self, notification_ids: list[int]) -> None:
        try:
            mails = self.db.read_sync(lambda s: compose(s, notification_ids, self.settings.public_url))
            self.sent += deliver(self.settings, mails)
        except Exception:
            log.exception("mailing notifications %s failed", notification_ids)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until everything submitted so far has been sent (or has failed)."""
        self._pool.submit(lambda: None).result(timeout=timeout)

    def stop(self) -> None:
        """Stop taking mail; what is queued is still sent, on the mailer's own thread."""
        self._pool.shutdown(wait=False, cancel_futures=False)
