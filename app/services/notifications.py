"""In-app notifications (SPEC H3) and their e-mail/SMS copies.

``notify`` writes the notification rows and queues deliveries in the
caller's transaction; ``dispatch`` hands the queued deliveries to Celery
after the caller committed (a worker must see the rows).
"""
import datetime
import logging

from app.extensions import db
from models import Delivery, Notification
from models.enums import Channel

log = logging.getLogger(__name__)


def _has_real_email(user):
    email = getattr(user, "email", None) or ""
    return "@" in email and not email.endswith(".invalid")


def notify(users, title, body="", link=None, email=True):
    """Notify each distinct user; returns the queued Delivery rows.  ``link`` may
    be a function of the user (back-office and portal users open different pages)."""
    deliveries = []
    seen = set()
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        user_link = link(user) if callable(link) else link
        db.session.add(Notification(user_id=user.id, title=str(title), body=str(body or ""), link=user_link))
        if email and _has_real_email(user):
            item = Delivery(channel=Channel.EMAIL.value, recipient=user.email, subject=str(title),
                            body=f"{body or ''}\n{user_link or ''}".strip())
            db.session.add(item)
            deliveries.append(item)
    return deliveries


def dispatch(deliveries):
    """Hand each delivery (a Delivery row or its id) to a worker; one that fails (a backend error in eager
    mode, the broker down) is logged and left in the outbox as it is, and the others still go."""
    from app.tasks import deliver

    for item in deliveries:
        delivery_id = item if isinstance(item, int) else item.id
        try:
            deliver.delay(delivery_id)
        except Exception:  # noqa: BLE001  (the delivery row records the outcome; the rest must still go)
            log.exception("delivery %s not handed over", delivery_id)


def unread_count(user):
    return db.session.query(Notification).filter_by(user_id=user.id, read_at=None).count()


def mark_read(user, notification_id=None):
    query = db.session.query(Notification).filter_by(user_id=user.id, read_at=None)
    if notification_id is not None:
        query = query.filter_by(id=notification_id)
    count = query.update({Notification.read_at: datetime.datetime.now()}, synchronize_session=False)
    db.session.commit()
    return count


def clear_all(user):
    count = db.session.query(Notification).filter_by(user_id=user.id).delete(synchronize_session=False)
    db.session.commit()
    return count
