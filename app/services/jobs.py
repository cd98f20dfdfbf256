"""Long work as a job (DESIGN: imports, scheduling, batch PDFs): a Job row with
progress the UI polls, run by a Celery task (in-process without a broker).

A task receives the job id, reports ``progress`` now and then, and ends with
``finish`` (a result dict, e.g. {"attachment_id": …, "message": …}) or ``fail``.

S10, a worker that dies mid-job: the job tasks are acknowledged late and requeued when their worker is lost
(app.tasks.job_task), so the same job can arrive twice.  ``claim`` lets one worker at a time run it: a done
job is skipped, a job whose runner is alive is left alone, a job whose runner died (its process is gone, or
no progress for JOB_STALE_SECONDS) is taken over, and after JOB_MAX_ATTEMPTS it is given up.  ``reap`` shows
a job whose runner died as failed with a plain message instead of "running" for ever.
"""
import datetime
import logging
import os
import socket
import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from werkzeug.exceptions import ServiceUnavailable, abort

from app.extensions import db
from app.roles import INSTITUTION
from app.scoping import role_names, sees_all
from models import Job
from models.enums import JobStatus

log = logging.getLogger(__name__)

UNAVAILABLE = _l("Background work is unavailable at the moment (the job service does not answer); "
                 "please try again later.")
INTERRUPTED = _l("The background job was interrupted (its worker stopped); it has been queued again.")
INTERRUPTED_RERUN = _l("The background job was interrupted (its worker stopped); you may run it again.")
GIVEN_UP = _l("The background job was interrupted %(n)s times and has been stopped; please check the input "
              "and run it again.")


class JobsUnavailable(ServiceUnavailable):
    """S10: the broker does not answer, so a job cannot be started (a 503 page with the message)."""


def start(kind, user, task, *args, institution_id=None, total=0):
    """Record the job, then hand it to ``task`` (a Celery task taking the job id first).  When the
    broker is down the job is marked failed (no row stays "queued" for ever) and JobsUnavailable is raised."""
    job = Job(kind=kind, status=JobStatus.QUEUED.value, total=total, created_by_id=user.id,
              institution_id=institution_id if institution_id is not None else user.institution_id)
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    if task.app.conf.task_always_eager:
        task.delay(job_id, *args)
    else:
        try:
            task.apply_async((job_id, *args), retry=False)
        except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, a refused socket
            log.warning("job %s could not be queued: %r", job_id, exc)
            fail(job_id, UNAVAILABLE)
            raise JobsUnavailable(description=str(UNAVAILABLE)) from exc
    return db.session.get(Job, job_id)


def runner_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_gone(pid):
    """On this host: the process is gone, or a zombie nobody reaped (a SIGKILLed worker's children)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def runner_gone(job, now=None):
    """Whether the worker that runs ``job`` is known to be dead: on this host its process is gone; on any
    host the job made no progress for JOB_STALE_SECONDS."""
    if job.status not in (JobStatus.QUEUED.value, JobStatus.RUNNING.value) or not job.runner:
        return False
    host, _sep, pid = job.runner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and _process_gone(int(pid)):
        return True
    stale = datetime.timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])
    return job.updated_at is not None and (now or datetime.datetime.now()) - job.updated_at > stale


def claim(job_id):
    """Called by the task before it runs the job: "run" (this worker took it), "done" (finished already:
    a redelivery), "busy" (another live worker runs it: try later), "given_up" or "missing"."""
    job = db.session.get(Job, job_id, with_for_update=True)  # one claimant at a time on PostgreSQL
    if job is None:
        db.session.rollback()
        return "missing"
    if job.status == JobStatus.DONE.value:
        db.session.rollback()
        return "done"
    if job.status == JobStatus.RUNNING.value and job.runner and not runner_gone(job):
        db.session.rollback()
        return "busy"
    if job.attempts >= current_app.config["JOB_MAX_ATTEMPTS"]:
        db.session.rollback()
        _set(job_id, status=JobStatus.FAILED.value, error=str(GIVEN_UP % {"n": job.attempts}))
        return "given_up"
    values = {"status": JobStatus.RUNNING.value, "attempts": job.attempts + 1, "runner": runner_name(),
              "error": str(INTERRUPTED) if job.attempts else None}
    db.session.rollback()
    _set(job_id, **values)
    return "run"


def reap(job):
    """A queued or running job whose worker died is failed, with a message that says so (the page stops
    waiting).  Should the broker still hold its message, a worker takes it up again (``claim``)."""
    if runner_gone(job):
        _set(job.id, status=JobStatus.FAILED.value, error=str(INTERRUPTED_RERUN))
        db.session.refresh(job)
    return job


def checkpoint(name):
    """A test-only pause (off unless JOB_TEST_HOLD names a Redis URL): records that the work reached
    ``name`` and waits while the key hold:<name> exists, so a test can kill the worker right there."""
    url = current_app.config.get("JOB_TEST_HOLD")
    if not url:
        return
    import redis

    r = redis.Redis.from_url(url)
    r.set(f"reached:{name}", runner_name())
    while r.exists(f"hold:{name}"):
        time.sleep(0.05)


def _set(job_id, **values):
    db.session.execute(update(Job).where(Job.id == job_id).values(updated_at=datetime.datetime.now(), **values))
    db.session.commit()


def progress(job_id, done, total=None):
    values = {"status": JobStatus.RUNNING.value, "progress": done}
    if total is not None:
        values["total"] = total
    _set(job_id, **values)
    if done:
        checkpoint("progress")


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
    return reap(job)


def visible_or_404(job_id, user, *kinds):
    """``visible`` for a page about one job: a job the user may not see does not exist (404)."""
    job = visible(job_id, user, *kinds)
    if job is None:
        abort(404)
    return job


def as_dict(job):
    return {"id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress, "total": job.total,
            "percent": int(100 * job.progress / job.total) if job.total else (100 if job.status == "done" else 0),
            "result": job.result or {}, "error": job.error, "attempts": job.attempts or 0}
