"""GET /health (issue 2 §9)."""
import os


def test_health_names_database_and_job_backend(client, app):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json["database"]["ok"] is True and r.json["jobs"]["ok"] is True
    assert r.json["database"]["backend"] in ("sqlite", "postgresql")
    expected = "celery+redis" if os.environ.get("REDIS_URL") else "in-process"
    assert r.json["jobs"]["backend"] == expected


def test_health_is_503_when_the_database_is_gone(app):
    from app.extensions import db

    with app.app_context():
        engine = db.engine
        good_url = engine.url
        # point the pool at a database that does not answer
        bad = "postgresql+psycopg://nobody@127.0.0.1:1/none" if good_url.get_backend_name() == "postgresql" \
            else "sqlite:////nonexistent-dir/none.db"
        from sqlalchemy import create_engine

        db._app_engines[app][None] = create_engine(bad)
        try:
            r = app.test_client().get("/health")
        finally:
            db._app_engines[app][None] = engine
    assert r.status_code == 503
    assert r.json["database"]["ok"] is False


def test_health_is_503_when_the_job_broker_is_gone(app):
    celery = app.extensions["celery"]
    saved = dict(celery.conf)
    celery.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0")
    try:
        r = app.test_client().get("/health")
    finally:
        celery.conf.update(task_always_eager=saved["task_always_eager"], broker_url=saved["broker_url"])
    assert r.status_code == 503
    assert r.json["jobs"]["ok"] is False
