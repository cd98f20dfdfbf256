"""Celery tasks: thin wrappers over services."""
import datetime

from sqlalchemy.exc import OperationalError

from app.celery_app import celery


@celery.task(name="deliver", autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def deliver(delivery_id):
    """Hand one queued e-mail or SMS to its backend and record the outcome."""
    from app.extensions import db
    from app.services.delivery import backend_for
    from models import Delivery
    from models.enums import DeliveryStatus

    item = db.session.get(Delivery, delivery_id)
    if item is None or item.status == DeliveryStatus.SENT.value:
        return "skipped"
    try:
        backend_for(item.channel).send(item.channel, item.recipient, item.subject, item.body)
    except Exception as exc:  # the backend's failure is recorded, not lost
        item.status, item.error = DeliveryStatus.FAILED.value, str(exc)[:2000]
        db.session.commit()
        raise
    item.status, item.sent_at = DeliveryStatus.SENT.value, datetime.datetime.now()
    db.session.commit()
    return "sent"


@celery.task(name="ping")
def ping():
    return "pong"


@celery.task(name="payment_notification", autoretry_for=(ConnectionError, OperationalError), retry_backoff=True,
             max_retries=8)
def payment_notification(gateway_name, params):
    """C2: a gateway's asynchronous notification, handled as the notify endpoint
    handles it (the worker opens its own session; only plain values travel).
    Handling is idempotent, so a lost database connection is simply retried."""
    from app.services.payments import receive_notification

    return receive_notification(gateway_name, dict(params))


@celery.task(name="expire_orders")
def expire_orders():
    """C2: close unpaid orders past their expiry (scheduled by celery beat)."""
    from app.services.payments import expire_orders as expire

    return expire()
