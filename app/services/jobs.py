"""Long work as a job (DESIGN: imports, scheduling, batch PDFs): a Job row with
progress the UI polls, run by a Celery task (in-process without a broker).

A task receives the job id, reports ``progress`` now and then, and ends with
``finish`` (a result dict, e.g. {"attachment_id": …, "message": …}) or ``fail``.
"""
import datetime

from sqlalchemy import update
from werkzeug.exceptions import abort

from app.extensions import db
from app.roles import INSTITUTION
from app.scoping import role_names, sees_all
from models import Job
from models.enums import JobStatus


def start(kind, user, task, *args, institution_id=None, total=0):
    """Record the job, then hand it to ``task`` (a Celery task taking the job id first)."""
    job = Job(kind=kind, status=JobStatus.QUEUED.value, total=total, created_by_id=user.id,
              institution_id=institution_id if institution_id is not None else user.institution_id)
    db.session.add(job)
    db.session.commit()
    task.delay(job.id, *args)
    return db.session.get(Job, job.id)


def _set(job_id, **values):
    db.session.execute(update(Job).where(Job.id == job_id).values(updated_at=datetime.datetime.now(), **values))
    db.session.commit()


def progress(job_id, done, total=None):
    values = {"status": JobStatus.RUNNING.value, "progress": done}
    if total is not None:
        values["total"] = total
    _set(job_id, **values)


def finish(job_id, result=None):
    job = db.session.get(Job, job_id)
    _set(job_id, status=JobStatus.DONE.value, progress=job.total or job.progress, result=result or {})


def fail(job_id, error):
    db.session.rollback()
    _set(job_id, status=JobStatus.FAILED.value, error=str(error)[:2000])


def may_see(job, user):
    """The creator, the association side, or the users of the job's institution."""
    if job is None or user is None or not user.is_authenticated:
        return False
    if job.created_by_id == user.id or sees_all(user):
        return True
    return INSTITUTION in role_names(user) and job.institution_id is not None \
        and job.institution_id == user.institution_id


def visible(job_id, user, *kinds):
    """The job if ``user`` may see it and (when kinds are given) it is of one of them, else None."""
    job = db.session.get(Job, job_id) if job_id else None
    if not may_see(job, user) or (kinds and job.kind not in kinds):
        return None
    return job


def visible_or_404(job_id, user, *kinds):
    """``visible`` for a page about one job: a job the user may not see does not exist (404)."""
    job = visible(job_id, user, *kinds)
    if job is None:
        abort(404)
    return job


def as_dict(job):
    return {"id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress, "total": job.total,
            "percent": int(100 * job.progress / job.total) if job.total else (100 if job.status == "done" else 0),
            "result": job.result or {}, "error": job.error}
