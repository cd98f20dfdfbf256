"""Celery tasks: thin wrappers over services."""
import datetime
import functools

from sqlalchemy.exc import OperationalError

from app.celery_app import celery


def job_task(name, resumable=False):
    """A task whose first argument is a job id (S10).  Before the body runs, ``jobs.claim`` lets one worker
    at a time take the job: a redelivered job that is done is skipped, one a live worker runs is tried
    again later.  ``resumable`` tasks (their services are safe to run again: the import stores all rows or
    none, the certificate batch skips who has one, printables and exports only read) are acknowledged
    late and requeued when their worker dies (acks_late + reject_on_worker_lost), so the work is resumed;
    the others are failed with a plain message once their worker is known to be dead (``jobs.reap``)."""
    def wrap(body):
        @celery.task(name=name, bind=True, acks_late=resumable, reject_on_worker_lost=resumable, max_retries=None)
        @functools.wraps(body)
        def task(self, job_id, *args, **kwargs):
            from flask import current_app

            from app.services import jobs

            state = jobs.claim(job_id)
            if state == "busy":
                raise self.retry(countdown=current_app.config["JOB_STALE_SECONDS"])
            if state != "run":
                return state
            return body(job_id, *args, **kwargs)
        return task
    return wrap


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


@job_task("import_photos")
def import_photos(job_id, attachment_id, user_id, institution_id=None, rules=None):
    """D5: a zip of photos, stored as an attachment, imported as a job."""
    from app.services.photo_import import run_import_job

    return run_import_job(job_id, attachment_id, user_id, institution_id, rules)


@job_task("verify_photos")
def verify_photos(job_id, person_ids, user_id, checker_path=None):
    """D6: 批量认证 of the chosen people, with the checker the request's configuration named."""
    from app.services import jobs
    from app.services.photo_check import verify_many

    try:
        verify_many(job_id, person_ids, user_id, checker_path)
    except Exception as exc:  # recorded on the job; the page shows it
        jobs.fail(job_id, exc)
        return "failed"
    return "done"


@job_task("schedule_exam")
def schedule_exam(job_id, plan_id, options):
    """D10: schedule an exam plan as a job (progress on the job row, the summary as its result)."""
    from app.services import jobs
    from app.services.scheduling import SchedulingError, schedule

    try:
        summary = schedule(plan_id, options, progress=lambda done, total: jobs.progress(job_id, done, total))
    except SchedulingError as exc:
        jobs.fail(job_id, exc)
        return "refused"
    except Exception as exc:  # recorded on the job; the page shows it
        jobs.fail(job_id, exc)
        return "failed"
    jobs.finish(job_id, summary)
    return "done"


@job_task("exam_printables", resumable=True)
def exam_printables(job_id, user_id, session_id, room_ids, kinds):
    """D11: stickers, sign-in sheets and admission tickets of many rooms as one PDF (a job)."""
    from app.services.printables import run_batch_job

    return run_batch_job(job_id, user_id, session_id, room_ids, kinds)


@job_task("run_import", resumable=True)
def run_import(job_id, key, attachment_id, user_id, institution_id, options=None):
    """Imports are one pipeline (app.services.imports): validate, store all or nothing, report errors."""
    from app.services.imports import run_stored

    return run_stored(job_id, key, attachment_id, user_id, institution_id, options or {})


@job_task("issue_certificates", resumable=True)
def issue_certificates(job_id, plan_id, user_id, issue_date):
    """E4: 颁发证书 of a large exam as a job: issue and render each PDF, with progress."""
    from app.services.certificate_pdf import run_issue_job

    return run_issue_job(job_id, plan_id, user_id, issue_date)


@job_task("export_list", resumable=True)
def export_list(job_id, view_name, args, user_id):
    """I4: a long back-office list to Excel, in the background."""
    from app.services.list_export import run_export_job

    return run_export_job(job_id, view_name, args, user_id)


@celery.task(name="send_reminders")
def send_reminders():
    """H4: one round of the exam, payment and review reminders (each goes out once)."""
    from app.services.reminders import send_due

    return send_due()
