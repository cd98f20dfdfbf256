"""Progress of a job, polled by the page that started it (JSON), for the people who may see it."""
from flask import Blueprint, g, jsonify

from app.services import jobs

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.route("/<int:job_id>")
def status(job_id):
    job = jobs.visible_or_404(job_id, getattr(g, "user", None))
    return jsonify(jobs.as_dict(job))
