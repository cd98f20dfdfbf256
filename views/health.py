"""GET /health: the database and the job backend, and whether each answers."""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import db

bp = Blueprint("health", __name__)


def _database():
    url = db.engine.url
    try:
        db.session.execute(text("SELECT 1"))
        ok = True
    except Exception:
        db.session.rollback()
        ok = False
    return {"backend": url.get_backend_name(), "ok": ok}


def _jobs():
    celery = current_app.extensions["celery"]
    if celery.conf.task_always_eager:
        return {"backend": "in-process", "ok": True}
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        workers = celery.control.ping(timeout=1.0) or []
        return {"backend": "celery+redis", "ok": True, "workers": len(workers)}
    except Exception:
        return {"backend": "celery+redis", "ok": False}


@bp.route("/health")
def health():
    checks = {"database": _database(), "jobs": _jobs()}
    ok = all(c["ok"] for c in checks.values())
    return jsonify(status="ok" if ok else "unavailable", **checks), 200 if ok else 503
