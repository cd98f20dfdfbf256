"""S10 (issue 16): faults.  A Celery worker SIGKILLed in the middle of an import, a certificate batch and a
printables job; PostgreSQL stopped and started under a serving app; Redis down.

The worker tests need PostgreSQL and Redis (they skip otherwise).  Each starts its own Celery worker on Redis
db 10 (the shared CI worker listens on db 13 and never takes these tasks) and pauses the job at a checkpoint
(app.services.jobs.checkpoint, on only when JOB_TEST_HOLD is set, as it is for these workers) while a key on
Redis db 11 exists: the test waits until the job is there, kills the worker's whole process group with
SIGKILL, looks at the database, releases the pause and starts a new worker, which resumes the job once."""
import datetime
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import func, select

from app.extensions import db
from models import Attachment, Certificate, Job, Person, Registration
from tests.conftest import DEMO_PASSWORD, Client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BROKER = "redis://127.0.0.1:6379/10"
HOLD = "redis://127.0.0.1:6379/11"
CELERY_BIN = os.path.join(os.path.dirname(sys.executable), "celery")
PG_BIN = "/usr/lib/postgresql/15/bin"
WAIT = 180  # seconds: a safety net for waits on another process, never an assertion about time
_names = itertools.count(1)


def _pg_and_redis():
    if not (os.environ.get("DATABASE_URL") or "").startswith("postgresql") or not os.environ.get("REDIS_URL"):
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except Exception:
        return False


needs_pg_redis = pytest.mark.skipif(not _pg_and_redis(), reason="needs PostgreSQL (DATABASE_URL) and Redis "
                                                                  "(REDIS_URL)")


def _until(what, check, proc=None):
    """Poll ``check`` until it returns something true (or the safety net fails the test)."""
    deadline = time.monotonic() + WAIT
    while True:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


def _chinese(text):
    return re.search(r"[\u4e00-\u9fff]", text or "") is not None


def _live_in_group(pgid):
    """The processes of group ``pgid`` that still live (zombies no longer run anything)."""
    live = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            live.append(int(pid))
    return live


class Worker:
    """A Celery worker subprocess of the test's own, in its own process group (so SIGKILL takes the pool too)."""

    def __init__(self, app):
        self.app, self.proc = app, None
        self.log = tempfile.NamedTemporaryFile(prefix="faults-worker-", suffix=".log", delete=False)

    def start(self):
        name = f"faults{next(_names)}-{os.getpid()}@{socket.gethostname()}"
        env = {**os.environ, "REDIS_URL": BROKER, "RATELIMIT_STORAGE_URI": BROKER, "JOB_TEST_HOLD": HOLD,
               # a job left unacknowledged by a killed worker is back in the queue two seconds later
               "JOB_VISIBILITY_TIMEOUT": "2", "JOB_RESTORE_INTERVAL": "1", "JOB_RESTORE_THROTTLE": "1",
               "PYTHONPATH": ROOT, "FLASK_APP": "app:create_app"}
        self.proc = subprocess.Popen(
            [CELERY_BIN, "-A", "app.worker", "worker", "--concurrency=1", "--without-gossip", "--without-mingle",
             "--loglevel=info", "-n", name], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        celery = self.app.extensions["celery"]
        _until("the worker to answer", lambda: celery.control.ping(destination=[name], timeout=0.5), self.proc)
        return self

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            _until("the worker's processes to die", lambda: not _live_in_group(self.proc.pid))
        self.proc = None

    def output(self):
        with open(self.log.name, errors="replace") as fh:
            return fh.read()[-4000:]


def _new_pools(celery):
    """Forget the broker connections (and their producers) made for another broker URL."""
    celery.close()
    if "amqp" in celery.__dict__:
        celery.amqp._producer_pool = None


@pytest.fixture
def faults(app):
    """The app's jobs go to Redis db 10 for the test; workers of its own; the pause keys on db 11."""
    import redis

    celery = app.extensions["celery"]
    saved = {"broker_url": celery.conf.broker_url, "task_always_eager": celery.conf.task_always_eager}
    hold = redis.Redis.from_url(HOLD)
    redis.Redis.from_url(BROKER).flushdb()
    hold.flushdb()
    _new_pools(celery)
    celery.conf.update(broker_url=BROKER, task_always_eager=False)
    started = []

    class Faults:
        pause = staticmethod(lambda point: hold.set(f"hold:{point}", 1))
        release = staticmethod(lambda point: hold.delete(f"hold:{point}"))
        reached = staticmethod(lambda point: hold.get(f"reached:{point}"))

        @staticmethod
        def worker():
            w = Worker(app).start()
            started.append(w)
            return w

    try:
        yield Faults
    finally:
        for w in started:
            w.kill()
        celery.conf.update(**saved)
        _new_pools(celery)
        redis.Redis.from_url(BROKER).flushdb()
        hold.flushdb()


def _state(client, job_id):
    r = client.get(f"/jobs/{job_id}")
    assert r.status_code == 200, r.text[:300]
    return r.get_json()


def _killed_and_resumed(app, faults, client, job_id, point, worker, check_half_state):
    """Kill ``worker`` at ``point``, check the database, see the job reported as interrupted, resume it."""
    _until(f"the job to reach {point}", lambda: faults.reached(point), worker.proc)
    check_half_state()  # while the worker sits at the checkpoint
    worker.kill()
    check_half_state()  # after the kill: PostgreSQL rolled the dead worker's transaction back
    # the page does not say "running" for ever: its worker is gone, so it is failed, in Chinese
    state = _state(client, job_id)
    assert state["status"] == "failed" and _chinese(state["error"]) and state["attempts"] == 1, state
    with app.test_request_context():
        from app.services.jobs import INTERRUPTED_RERUN

        assert state["error"] == str(INTERRUPTED_RERUN)
    faults.release(point)
    again = faults.worker()
    # the message the dead worker held is back in the queue: the new worker runs the same job once more
    done = _until("the job to finish", lambda: (s := _state(client, job_id))["status"] == "done" and s, again.proc)
    assert done["attempts"] == 2, (done, again.output())
    return done


# --- a worker killed in the middle of an import: all rows of the file or none ------------------------------
@needs_pg_redis
def test_import_killed_mid_store_writes_nothing_then_all_rows_once(app, login, faults):  # S10
    from tests.import_numbers import male_id, phone
    from tests.test_imports import CANDIDATES, download, fill, localise, school_row, upload

    c = login("institution")
    rows = [school_row(f"断点导入{i:02d}", male_id(), phone()) for i in range(40)]
    names = [r[0] for r in rows]
    data = fill(download(c, f"{CANDIDATES}template/school_candidates"), localise(app, rows))

    def people():
        with app.app_context():
            return db.session.scalar(select(func.count(Person.id)).where(Person.name.in_(names)))

    worker = faults.worker()
    faults.pause("import-store")
    r = upload(c, CANDIDATES, "school_candidates", data)
    assert r.status_code == 302, r.text[:300]
    job_id = int(re.search(r"/job/(\d+)", r.headers["Location"]).group(1))

    def nothing_written():
        assert people() == 0  # the 40 rows are flushed in the worker's open transaction, not committed

    done = _killed_and_resumed(app, faults, c, job_id, "import-store", worker, nothing_written)
    assert done["result"]["created"] == 40 and done["result"]["errors"] == 0, done
    assert people() == 40
    with app.app_context():  # each ID number once
        assert db.session.scalar(select(func.count(func.distinct(Person.id_number_hash)))
                                 .where(Person.name.in_(names))) == 40


# --- a certificate batch: nobody gets two, nobody is lost -------------------------------------------------
@needs_pg_redis
def test_certificate_batch_killed_midway_issues_each_certificate_once(app, login, faults):  # S10
    from tests.results_helpers import new_person, passed, sat_exam

    exam = sat_exam(app)
    regs = [passed(app, exam, new_person(app))[0] for _ in range(4)]
    c = login("association")

    def certificates():
        with app.app_context():
            return list(db.session.execute(
                select(Certificate.registration_id, Certificate.serial, Certificate.pdf_sha256)
                .join(Registration, Registration.id == Certificate.registration_id)
                .where(Registration.exam_plan_id == exam["id"])))

    worker = faults.worker()
    faults.pause("progress")
    before, app.config["CERTIFICATE_SYNC_MAX"] = app.config.get("CERTIFICATE_SYNC_MAX"), 1
    try:
        r = c.post(f"/certificate-issue/{exam['id']}", {"issue_date": datetime.date.today().isoformat()},
                   token_from="/certificate-issue/")
    finally:
        app.config["CERTIFICATE_SYNC_MAX"] = before
    assert r.status_code == 302 and "/certificate-issue/job/" in r.location, r.text[:300]
    job_id = int(r.location.rstrip("/").rsplit("/", 1)[1])

    def first_one_committed():
        # the batch commits each certificate with its PDF: at the pause exactly the first one is there
        issued = certificates()
        assert len(issued) == 1 and issued[0].pdf_sha256, issued

    done = _killed_and_resumed(app, faults, c, job_id, "progress", worker, first_one_committed)
    assert done["result"]["issued"] == 3, done  # the re-run issued the three still missing
    issued = certificates()
    assert sorted(i.registration_id for i in issued) == sorted(regs)
    assert len({i.serial for i in issued}) == 4 and all(i.pdf_sha256 for i in issued)


# --- printables: no PDF from the killed run, one from the re-run ------------------------------------------
@needs_pg_redis
def test_printables_killed_midway_produce_their_pdf_on_rerun(app, login, faults):  # S10
    from app.services import printables
    from tests.test_exam_printables import make_room

    if not printables.font_available(app.config):
        pytest.skip("no CJK font at PDF_FONT_PATH")
    room = make_room(app, "own", seats=3, photos=False)
    c = login("institution")

    def pdfs():
        with app.app_context():
            return db.session.scalar(select(func.count(Attachment.id)).where(Attachment.kind == "printables"))

    before = pdfs()
    worker = faults.worker()
    faults.pause("printables-room")
    r = c.post(f"/exam-printables/{room['session']}/batch", {"kind": ["door", "signin"]})
    assert r.status_code == 302, r.text[:300]
    job_id = int(re.search(r"/exam-printables/jobs/(\d+)", r.headers["Location"]).group(1))

    def no_pdf_yet():
        assert pdfs() == before

    done = _killed_and_resumed(app, faults, c, job_id, "printables-room", worker, no_pdf_yet)
    assert pdfs() == before + 1
    download = c.get(f"/files/{done['result']['attachment_id']}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")


# --- the pool process alone killed: the job is requeued at once and run by the worker's new process ------
@needs_pg_redis
def test_pool_process_killed_job_is_requeued_and_done_once(app, login, faults):  # S10
    from tests.import_numbers import male_id, phone
    from tests.test_imports import CANDIDATES, download, fill, localise, school_row, upload

    c = login("institution")
    rows = [school_row(f"进程中断{i:02d}", male_id(), phone()) for i in range(5)]
    data = fill(download(c, f"{CANDIDATES}template/school_candidates"), localise(app, rows))
    worker = faults.worker()
    faults.pause("import-store")
    r = upload(c, CANDIDATES, "school_candidates", data)
    job_id = int(re.search(r"/job/(\d+)", r.headers["Location"]).group(1))
    first = _until("the job to reach the store", lambda: faults.reached("import-store"), worker.proc)
    pid = int(first.decode().rsplit(":", 1)[1])
    assert pid != worker.proc.pid
    os.kill(pid, signal.SIGKILL)  # only the pool process: the worker itself lives on (reject_on_worker_lost)
    # the worker requeued the message at once; its new pool process took the job up again
    _until("the job to be taken up again", lambda: faults.reached("import-store") != first, worker.proc)
    assert _state(c, job_id)["status"] == "running"
    faults.release("import-store")
    done = _until("the job to finish", lambda: (s := _state(c, job_id))["status"] == "done" and s, worker.proc)
    assert done["attempts"] == 2 and done["result"]["created"] == 5, done
    with app.test_request_context():
        from app.services.jobs import INTERRUPTED

        assert done["error"] == str(INTERRUPTED)  # the job says it was interrupted and queued again
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id)).where(Person.name.like("进程中断%"))) == 5


# --- PostgreSQL stopped and started under a serving app --------------------------------------------------
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temp dir, run as the postgres user), really
    stopped and started: the machine's server is never touched."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="faults-pg-")
        self.port = _free_port()
        shutil.chown(self.dir, "postgres")
        self._as_postgres(f"{PG_BIN}/initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres",
                          "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        self.start()
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-qc",
                        "CREATE DATABASE platform"], check=True, capture_output=True)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/platform"

    def _as_postgres(self, *cmd):
        subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True, cwd="/tmp")

    def start(self):
        self._as_postgres(f"{PG_BIN}/pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-o",
                          f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self):
        self._as_postgres(f"{PG_BIN}/pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "-w", "stop")

    def remove(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def _can_run_private_postgres():
    return os.path.exists(f"{PG_BIN}/initdb") and shutil.which("runuser") and os.geteuid() == 0


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.skipif(not _pg_and_redis() or not _can_run_private_postgres(),
                    reason="needs PostgreSQL, root (runuser) and PostgreSQL 15's initdb")
def test_postgres_restart_while_serving_503_then_recovers_without_restart():  # S10
    pg = PrivatePostgres()
    server = None
    try:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI")}
        # PAGE_CACHE_SECONDS=0: a page the cache kept would still answer 200 during the outage
        env.update(DATABASE_URL=pg.url, PYTHONPATH=ROOT, FLASK_APP="app:create_app", PAGE_CACHE_SECONDS="0",
                   INSTANCE_DIR=tempfile.mkdtemp(prefix="faults-instance-"))
        flask = os.path.join(os.path.dirname(sys.executable), "flask")
        subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        log = open(os.path.join(pg.dir, "server.log"), "wb")
        # a real server: gunicorn, one process with threads, serving through the outage without a restart
        server = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--bind",
                                   f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "app.wsgi:app"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"

        def answers():
            try:
                return _get(f"{base}/health")[0] == 200
            except OSError:
                return False

        _until("the server", answers, server)
        assert _get(f"{base}/portal/exams")[0] == 200
        pg.stop()
        status, body = _get(f"{base}/health")
        assert status == 503 and '"ok":false' in body.replace(" ", "")
        for page in ("/portal/exams", "/portal/login"):  # ordinary pages that read the database: a plain page
            status, body = _get(base + page)
            assert status == 503, (page, status, body[:500])
            assert "Traceback" not in body and "psycopg" not in body and "sqlalchemy" not in body.lower()
            assert _chinese(body), body[:500]
        pg.start()
        assert _until("/health after the restart", lambda: _get(f"{base}/health")[0] == 200, server)
        assert _get(f"{base}/portal/exams")[0] == 200 and _get(f"{base}/portal/login")[0] == 200
        assert server.poll() is None  # the same server process all along
    finally:
        if server is not None:
            server.kill()
            server.wait()
        pg.remove()


# --- Redis down ------------------------------------------------------------------------------------------
CLOSED = "redis://127.0.0.1:1/0"


@pytest.fixture(scope="module")
def redis_down_app(app):
    """A second app on the same database whose broker and limiter storage are a closed port."""
    from app import create_app

    celery = app.extensions["celery"]
    saved, flask_app = {k: celery.conf[k] for k in app.config["CELERY"]}, celery.flask_app
    down = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                       "SERVER_NAME": None, "REDIS_URL": CLOSED, "RATELIMIT_STORAGE_URI": CLOSED,
                       "CELERY": {**app.config["CELERY"], "broker_url": CLOSED, "task_always_eager": False}})
    _new_pools(celery)  # the pools were made for the session app's broker
    yield down
    celery.conf.update(saved)  # the global Celery goes back to the session app's broker
    _new_pools(celery)
    celery.flask_app = flask_app


def _login(app, username):
    c = Client(app)
    r = c.login(username, DEMO_PASSWORD)
    assert r.status_code == 302, r.text[:500]
    return c


def test_redis_down_pages_serve_health_503_job_launch_says_so(app, redis_down_app):  # S10
    from tests.import_numbers import male_id, phone
    from tests.test_imports import CANDIDATES, download, fill, localise, school_row, upload

    c = _login(redis_down_app, "institution")  # the login is rate limited: the limiter falls back to memory
    for page in ("/", CANDIDATES, "/notifications/"):
        assert c.get(page).status_code == 200, page
    health = c.get("/health")
    assert health.status_code == 503 and health.json["jobs"]["ok"] is False and health.json["database"]["ok"]
    with redis_down_app.app_context():
        jobs_before = db.session.scalar(select(func.max(Job.id))) or 0
    data = fill(download(c, f"{CANDIDATES}template/school_candidates"),
                localise(app, [school_row("无队列", male_id(), phone())]))
    r = upload(c, CANDIDATES, "school_candidates", data)
    assert r.status_code == 503, r.text[:500]
    with redis_down_app.test_request_context():
        from app.services.jobs import UNAVAILABLE

        message = str(UNAVAILABLE)
    assert message in r.text and _chinese(message) and "Traceback" not in r.text
    with redis_down_app.app_context():  # the job row is not left "queued": it says why it never ran
        job = db.session.scalars(select(Job).where(Job.id > jobs_before)).one()
        assert job.status == "failed" and job.error == message
