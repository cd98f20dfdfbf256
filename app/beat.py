"""H4: celery beat's schedule (config CELERY["beat_schedule"]) run in a daemon thread of the server when
there is no Redis (`make run`): each task at its interval, in an app context.  With Redis, `celery beat`
runs it and this is not started."""
import logging
import threading
import time

log = logging.getLogger(__name__)
TICK = 5  # seconds between looks at the schedule


def run_due(app, due, now):
    """Run the tasks whose time has come; ``due`` maps an entry to its next time."""
    from app.celery_app import celery

    for name, entry in app.config["CELERY"]["beat_schedule"].items():
        if now < due.get(name, 0):
            continue
        due[name] = now + float(entry["schedule"])
        try:
            with app.app_context():
                celery.tasks[entry["task"]].apply()
        except Exception:  # one failing round must not stop the schedule
            log.exception("in-process beat: %s failed", name)


def start(app):
    from app import tasks  # noqa: F401  (registers the tasks)

    def loop():
        due = {}
        while True:
            run_due(app, due, time.monotonic())
            time.sleep(TICK)

    threading.Thread(target=loop, name="inprocess-beat", daemon=True).start()
    log.info("in-process beat started")
