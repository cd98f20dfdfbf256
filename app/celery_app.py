"""Celery wired to Flask (tasks run inside an app context).

Without REDIS_URL the config makes Celery eager: the same task code runs
in-process, so development needs no broker server.
"""
from celery import Celery, Task
from flask import has_app_context


class FlaskTask(Task):
    def __call__(self, *args, **kwargs):
        if has_app_context():  # eager mode inside a request or CLI command
            return self.run(*args, **kwargs)
        with celery.flask_app.app_context():
            return self.run(*args, **kwargs)


celery = Celery("app", task_cls=FlaskTask)
celery.flask_app = None


def init_celery(app):
    celery.conf.update(app.config["CELERY"])
    celery.flask_app = app
    app.extensions["celery"] = celery
    import app.tasks  # noqa: F401  (registers the tasks)

    return celery
