"""Entry point of a Celery worker: ``celery -A app.worker worker``."""
from celery.signals import worker_process_init

from app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]


@worker_process_init.connect
def _own_connections(**_kwargs):
    """Each forked worker process opens its own database connections: a socket
    inherited from the parent (create_app connects to sync roles) breaks when shared."""
    from app.extensions import db

    with flask_app.app_context():
        db.engine.dispose(close=False)
