"""Contact-us messages (SPEC H1, H2): a candidate writes, Support replies,
the candidate follows up.  Every reply notifies the author."""
import datetime
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.services import notifications
from models import MessagePost, MessageThread
from models.enums import MessageCategory, ThreadStatus

MAX_LENGTH = 500
CONTACT = re.compile(r"^(1\d{10}|[^@\s]+@[^@\s]+\.[A-Za-z]{2,})$")


class MessageError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def _content(text):
    text = (text or "").strip()
    if not text:
        raise MessageError("content", _("Please write your message."))
    if len(text) > MAX_LENGTH:
        raise MessageError("content", _("A message has at most %(n)d characters.", n=MAX_LENGTH))
    return text


def open_thread(user, category, content, contact):
    if category not in {c.value for c in MessageCategory}:
        raise MessageError("category", _("Please choose a category."))
    content = _content(content)
    contact = (contact or "").strip()
    if not CONTACT.fullmatch(contact):
        raise MessageError("contact", _("Please give a mobile phone number or an e-mail address for the reply."))
    thread = MessageThread(user_id=user.id, category=category, subject=content[:40], contact=contact,
                           status=ThreadStatus.PENDING.value)
    thread.posts = [MessagePost(author_id=user.id, body=content, from_staff=False)]
    db.session.add(thread)
    db.session.commit()
    return thread


def follow_up(thread, user, content):
    """The author writes again: the thread waits for support once more (a resolved one reopens)."""
    thread.posts.append(MessagePost(author_id=user.id, body=_content(content), from_staff=False))
    thread.status, thread.resolved_at = ThreadStatus.PENDING.value, None
    db.session.commit()


def reply(thread, staff_user, content):
    """Support answers; the author is notified with a link to the thread."""
    thread.posts.append(MessagePost(author_id=staff_user.id, body=_content(content), from_staff=True))
    thread.status = ThreadStatus.REPLIED.value
    thread.first_response_at = thread.first_response_at or datetime.datetime.now()  # H2: response time
    thread.assignee_id = thread.assignee_id or staff_user.id
    deliveries = notifications.notify(
        [thread.user], _l("Your message has a reply"), _l('Support replied to "%(subject)s".', subject=thread.subject),
        link=f"/portal/messages/{thread.id}")
    db.session.commit()
    notifications.dispatch(deliveries)


# --- H2 客服队列: assignment and resolution -------------------------------------------------------------
def assign(thread, user):
    """Support takes the thread (分配给我)."""
    thread.assignee_id = user.id
    db.session.commit()


def resolve(thread, user):
    """已解决: only an answered thread; the author's follow-up reopens it."""
    if thread.first_response_at is None:
        raise MessageError("status", _("Reply to the message before marking it resolved."))
    thread.status, thread.resolved_at = ThreadStatus.RESOLVED.value, datetime.datetime.now()
    thread.assignee_id = thread.assignee_id or user.id
    db.session.commit()
