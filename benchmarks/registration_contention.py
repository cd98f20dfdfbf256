"""P6 (issue 16): 200 concurrent registration submissions for 50 seats over HTTP: gunicorn with 4 workers on
PostgreSQL. Goals: exactly 50 registrations hold a seat, p95 latency < 1 s.

The data is built first (not timed) in a scratch database made by the migrations, ``flask reference`` and
``flask demo``: an exam whose first site has 50 seats, and in one transaction 200 candidate accounts (one
password hash shared by all), their persons, photos, and complete drafts at that site waiting at the
confirm step (as tests/test_registration_concurrency.py builds them); and 16 more for another exam, whose
submissions, sent four at a time before the measured ones, warm every worker up as serving would.  Each
candidate then logs in over HTTP through the portal's password form, each from its own loopback address
(127.77.x.y: the login limit counts per address), and opens its confirm page for the CSRF token.  Then
200 threads, released by one barrier, each POST ``/portal/registrations/<id>/confirm`` at once; each
request's latency is taken from just before its connection opens to the end of its answer.  Afterwards
the database is asked how many registrations hold a seat.  Exits non-zero when a goal is missed.

    PYTHONPATH=. .venv/bin/python benchmarks/registration_contention.py [--candidates 200] [--seats 50]
"""
import argparse
import datetime
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._serving import (  # noqa: E402
    ROOT,
    Browser,
    Gunicorn,
    app_env,
    candidate_login,
    connect,
    csrf_token,
    scratch_database,
)

DATABASE = "h_throughput_contention"
PORT = 18432
PASSWORD = "Race@2026"
WARM_UP = 16  # submissions before the measured ones (another exam's)


def build(candidates, seats, prefix="1390"):
    """The exam and ``candidates`` complete drafts at its first site; returns [(registration id, phone)]."""
    if prefix == "1390":
        scratch_database(DATABASE)
    os.environ.update(app_env(DATABASE))
    from flask_appbuilder.security.sqla.models import Role
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.demo import demo_id_number
    from app.extensions import db
    from models import (
        Attachment,
        Education,
        ExamSite,
        MaterialEntry,
        Person,
        PlatformUser,
        Registration,
        RegistrationSubject,
        WorkExperience,
    )
    from tests.registration_helpers import make_exam

    app = create_app()
    exam = make_exam(app, quota=seats)
    hashed = generate_password_hash(PASSWORD)
    with app.app_context():
        site = db.session.get(ExamSite, exam["sites"][0])
        role = db.session.query(Role).filter_by(name="Candidate").one()
        pairs = []
        for n in range(candidates):
            phone = f"{prefix}000{n:04d}"
            user = PlatformUser(username=f"race{prefix}_{n}", first_name="考生", last_name=str(n), phone=phone,
                                email=f"race{prefix}_{n}@example.invalid", active=True, password=hashed, roles=[role])
            person = Person(user=user, name="并发考生", id_type="resident", phone=phone)
            born = datetime.date(1970, 1, 1) + datetime.timedelta(days=n + int(prefix) % 100 * 1000)
            person.set_id_number(demo_id_number("110105", born, 500 + n % 400))
            photo = Attachment(kind="photo", filename="p.jpg", content_type="image/jpeg", size=1, sha256="0" * 64,
                               storage_key=f"race-{prefix}-{n}", person=person)
            db.session.add_all([user, person, photo])
            db.session.flush()
            reg = Registration(exam_plan_id=exam["id"], person=person, exam_site_id=site.id,
                               institution_id=site.site.institution_id, status="draft", category="first",
                               city="北京市", photo_id=photo.id, step="confirm")
            reg.subjects = [RegistrationSubject(subject_id=s) for s in exam["subjects"]]
            reg.materials = [MaterialEntry(section="basic", data={"employer": "甲", "address": "乙"})]
            reg.educations = [Education(person=person, school="某大学", graduation_month="2015-07",
                                        education_level="bachelor", is_highest=True)]
            reg.works = [WorkExperience(person=person, employer="某公司", start_month="2015-08",
                                        years_in_occupation=5)]
            db.session.add(reg)
            pairs.append((reg, phone))
        db.session.commit()
        pairs = [(reg.id, phone) for reg, phone in pairs]
    with connect(DATABASE) as conn:
        conn.execute("VACUUM ANALYZE")
    return exam["sites"][0], pairs


def postgres_cpu_seconds():
    """User and system CPU time so far of the PostgreSQL server's processes (the backends of this run)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                name, fields = f.read().split("(", 1)[1].rsplit(")", 1)
        except OSError:
            continue
        if name.startswith("postgres"):
            fields = fields.split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--seats", type=int, default=50)
    args = parser.parse_args()
    started = time.perf_counter()
    site_id, pairs = build(args.candidates, args.seats)
    # a server in service has run the submission before: a few candidates of another exam submit first,
    # four at a time, so that every worker has loaded and compiled that path (not timed)
    _warm_site, warm_pairs = build(WARM_UP, WARM_UP, prefix="1391")
    print(f"data built in {time.perf_counter() - started:.0f} s")
    # as in production, the notifications of a submission go to the broker (Redis db 9; no worker is needed
    # to measure the submissions, and the queue is emptied afterwards)
    env = app_env(DATABASE, REDIS_URL="redis://127.0.0.1:6379/9")
    with Gunicorn("app.wsgi:app", PORT, 4, env, "/portal/login") as server:
        def ready(n_pair):
            n, (rid, phone) = n_pair
            browser = candidate_login(Browser(PORT, f"127.77.{n // 250}.{n % 250 + 1}"), DATABASE, phone, PASSWORD)
            status, _h, page = browser.get(f"/portal/registrations/{rid}/confirm")
            assert status == 200, (status, page[:300])
            return browser, rid, csrf_token(page)

        with ThreadPoolExecutor(max_workers=8) as pool:
            ready_to_submit = list(pool.map(ready, enumerate(pairs)))
            warm = list(pool.map(ready, enumerate(warm_pairs, start=len(pairs))))
        def warm_up(item):
            browser, rid, token = item
            status, headers, _text = browser.post(f"/portal/registrations/{rid}/confirm", {"csrf_token": token})
            if status != 302 or not headers.get("location", "").endswith(f"/portal/registrations/{rid}"):
                raise RuntimeError(f"warm-up submission {rid} was not held: {status}")

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(warm_up, warm))
        gate = threading.Barrier(len(ready_to_submit))

        def submit(item):
            browser, rid, token = item
            gate.wait(timeout=60)
            began = time.perf_counter()
            status, headers, _text = browser.post(f"/portal/registrations/{rid}/confirm", {"csrf_token": token})
            took = time.perf_counter() - began
            held = status == 302 and headers.get("location", "").endswith(f"/portal/registrations/{rid}")
            if status not in (200, 302):
                raise RuntimeError(f"submission {rid} answered {status}")
            return took, held

        cpu_before, db_before, client_before = server.cpu_seconds(), postgres_cpu_seconds(), time.process_time()
        with ThreadPoolExecutor(max_workers=len(ready_to_submit)) as pool:
            outcomes = list(pool.map(submit, ready_to_submit))
        cpu = server.cpu_seconds() - cpu_before
        db_cpu, client_cpu = postgres_cpu_seconds() - db_before, time.process_time() - client_before
        peak = server.peak_rss_mb()
    subprocess.run(["redis-cli", "-n", "9", "flushdb"], capture_output=True)
    with connect(DATABASE) as conn:
        held = conn.execute("SELECT count(*) FROM registration WHERE exam_site_id = %s AND seat_held",
                            (site_id,)).fetchone()[0]
        submitted = conn.execute("SELECT count(*) FROM registration WHERE exam_site_id = %s AND status = "
                                 "'submitted'", (site_id,)).fetchone()[0]
        taken = conn.execute("SELECT seats_taken FROM exam_site WHERE id = %s", (site_id,)).fetchone()[0]
    times = sorted(t for t, _h in outcomes)
    p50, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1) + 0.5)]
    answered_held = sum(1 for _t, h in outcomes if h)
    print(f"{len(outcomes)} concurrent submissions for {args.seats} seats, gunicorn 4 sync workers on PostgreSQL; "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms; "
          f"ratio p95 / 1 s {p95:.2f}")
    print(f"held in the database {held} (seats_taken {taken}, submitted {submitted}); answered as held "
          f"{answered_held}, refused {len(outcomes) - answered_held}")
    print(f"CPU time of the workers {cpu:.1f} s, {cpu / len(outcomes) * 1000:.0f} ms a submission "
          f"({os.cpu_count()} CPUs: at best {cpu / os.cpu_count():.1f} s for all)")
    print(f"CPU time beside them on the same machine: PostgreSQL {db_cpu:.1f} s, this client's 200 threads "
          f"{client_cpu:.1f} s")
    print(f"peak memory (max VmHWM of a worker) {peak:.0f} MB")
    exact = held == taken == submitted == answered_held == args.seats
    print(f"goal exactly {args.seats} held: {'met' if exact else 'MISSED'}; goal p95 < 1 s: "
          f"{'met' if p95 < 1 else 'MISSED'}")
    return 0 if exact and p95 < 1 else 1


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
