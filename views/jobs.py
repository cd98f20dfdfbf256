"""Progress of a job, polled by the page that started it (JSON), for the people who may see it."""
from flask import Blueprint, abort, g, jsonify

from app.extensions import db
from app.services import jobs
from models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.route("/<int:job_id>")
def status(job_id):
    job = db.session.get(Job, job_id)
    if not jobs.may_see(job, getattr(g, "user", None)):
        abort(404)
    return jsonify(jobs.as_dict(job))
