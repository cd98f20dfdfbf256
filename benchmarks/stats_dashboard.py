"""The Association's dashboard and the registration statistics at 1,000,000 registrations (issue 15, I2):
p50 of each page through the application (a logged-in association user, the Flask test client, the real
views and templates), the SQL statements each page runs, and the ratio to the plain
``SELECT … count(*) … GROUP BY`` of the same figures sent straight to PostgreSQL.

The data is built first (not timed) in a scratch PostgreSQL database made by the migrations, with bulk
``INSERT … SELECT generate_series`` statements: 200 institutions with a site each, 20 exams offered at
50 sites each, 1,000,000 persons and their registrations spread over the exams, sites, institutions,
statuses and the last 365 days, 500,000 results, 600,000 paid orders, 300,000 matters and 100,000
certificates.  Target: p50 < 1 s for each page.  Exits non-zero when a goal is missed.

    PYTHONPATH=. .venv/bin/python benchmarks/stats_dashboard.py [--rows 1000000] [--runs 7] [--reuse]
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "bench_stats"
PASSWORD = "Bench@2026"

BUILD = [
    "INSERT INTO institution (name, kind, status, created_at, updated_at) "
    "SELECT '基准机构' || g, 'training', 'approved', now(), now() FROM generate_series(1, 200) g",
    "INSERT INTO site (code, name, institution_id, status, created_at, updated_at) "
    "SELECT 'BS' || i.id, i.name || '考核站点', i.id, 'approved', now(), now() FROM institution i",
    "INSERT INTO exam_plan (name, category, level, exam_start, exam_end, fee, reg_start, reg_end, refundable, "
    "recheck_allowed, review_workdays, reviewer, published, results_published_at, created_at, updated_at) "
    "SELECT '基准考试' || g, 'vocational', 'junior', now() - g * interval '10 days', "
    "now() - g * interval '10 days' + interval '3 hours', 380, now() - interval '400 days', now(), false, false, 3, "
    "'association', true, now() - interval '1 day', now(), now() FROM generate_series(1, 20) g",
    "INSERT INTO exam_site (exam_plan_id, site_id, quota, seats_taken) "
    "SELECT e.id, s.id, 100000, 0 FROM exam_plan e JOIN site s ON s.id % 4 = e.id % 4",
    "INSERT INTO person (source, name, id_type, id_number_enc, id_number_hash, id_number_masked, verify_state, "
    "realname_verified, is_expert, is_teacher, institution_id, created_at, updated_at) "
    "SELECT 'school', '考生' || g, 'resident', 'x', md5(g::text), '110105********0000', 'pending', false, false, "
    "false, 1 + g % 200, now(), now() FROM generate_series(1, :rows) g",
    "INSERT INTO registration (exam_plan_id, person_id, institution_id, exam_site_id, category, status, locked, "
    "submitted_at, created_at, updated_at) "
    "SELECT e.exam_plan_id, p.id, p.institution_id, e.id, 'first', "
    "(ARRAY['submitted','reviewing','returned','approved','registered','registered','registered','refused',"
    "'withdrawn'])[1 + p.id % 9], false, now() - (p.id % 365) * interval '1 day', now(), now() "
    "FROM person p JOIN LATERAL (SELECT id, exam_plan_id FROM exam_site "
    "WHERE site_id = 1 + p.id % 200 ORDER BY id OFFSET (p.id / 200) % 5 LIMIT 1) e ON true",
    "INSERT INTO exam_result (registration_id, passed, created_at, updated_at) "
    "SELECT id, id % 3 <> 0, now(), now() FROM registration WHERE id % 2 = 0",
    "INSERT INTO payment_order (order_no, registration_id, person_id, institution_id, payer_type, amount, status, "
    "method, paid_at, created_at, updated_at) "
    "SELECT 'B' || id, id, person_id, institution_id, 'person', 380, 'paid', "
    "CASE WHEN id % 4 = 0 THEN 'offline' ELSE 'online' END, submitted_at, now(), now() "
    "FROM registration WHERE id % 5 < 3",
    "INSERT INTO matter (business_no, type_code, title, state, status, applicant_id, institution_id, payload, "
    "due_date, created_at, updated_at) "
    "SELECT 'BM' || g, (ARRAY['exam_registration','certificate_reissue','course_filing'])[1 + g % 3], '基准事项', "
    "(ARRAY['submitted','association_review','done'])[1 + g % 3], "
    "CASE WHEN g % 3 = 2 THEN 'completed' ELSE 'in_progress' END, :user, 1 + g % 200, '{}', "
    "current_date + (g % 20 - 5), now() - (g % 200) * interval '1 day', now() FROM generate_series(1, :matters) g",
    "INSERT INTO certificate_type (code, name, level, issuer, validity_years, enabled, created_at, updated_at) "
    "VALUES ('BENCH01', '基准证书', 'junior', '基准协会', 3, true, now(), now())",
    "INSERT INTO certificate (serial, token, certificate_type_id, person_id, institution_id, holder_name, "
    "issue_date, valid_until, status, source, version, created_at, updated_at) "
    "SELECT 'BC' || g, md5('c' || g), (SELECT id FROM certificate_type WHERE code = 'BENCH01'), g, 1 + g % 200, "
    "'考生' || g, "
    "current_date - g % 1000, current_date - g % 1000 + 1095, 'valid', 'issued', 1, now(), now() "
    "FROM generate_series(1, :certs) g",
]

# the same figures as plain GROUP BYs, straight to the database (the floor)
FLOOR = {
    "registrations": [
        "SELECT exam_plan_id, count(*), sum(CASE WHEN status = 'registered' THEN 1 ELSE 0 END) FROM registration "
        "WHERE status <> 'draft' GROUP BY exam_plan_id",
        "SELECT exam_site_id, count(*), sum(CASE WHEN status = 'registered' THEN 1 ELSE 0 END) FROM registration "
        "WHERE status <> 'draft' GROUP BY exam_site_id",
        "SELECT institution_id, count(*), sum(CASE WHEN status = 'registered' THEN 1 ELSE 0 END) FROM registration "
        "WHERE status <> 'draft' GROUP BY institution_id",
        "SELECT status, count(*) FROM registration WHERE status <> 'draft' GROUP BY status",
    ],
    "dashboard": [
        "SELECT count(*) FROM registration WHERE submitted_at >= current_date",
        "SELECT sum(amount) FROM payment_order WHERE status = 'paid' AND paid_at >= current_date",
        "SELECT count(*) FROM matter WHERE created_at >= current_date",
        "SELECT count(*) FROM certificate WHERE issue_date = current_date",
        "SELECT type_code, state, count(*), sum(CASE WHEN due_date < current_date THEN 1 ELSE 0 END) FROM matter "
        "WHERE status = 'in_progress' GROUP BY type_code, state",
    ],
}
PAGES = {"registrations": "/statistics/registrations", "dashboard": "/"}


def build(rows):
    """A fresh database by the migrations, the association user and the bulk data."""
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{DATABASE}", "FLASK_APP": "app:create_app"}
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([sys.executable, "-m", "flask", "reference"], cwd=ROOT, env=env, check=True, capture_output=True)


def fill(app, rows):
    from sqlalchemy import text

    from app.extensions import db
    from app.roles import ASSOCIATION

    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username="bench") or sm.add_user("bench", "基准", "协会", "bench@bench.example",
                                                             sm.find_role(ASSOCIATION), password=PASSWORD)
        started = time.perf_counter()
        for statement in BUILD:
            db.session.execute(text(statement), {"rows": rows, "user": user.id, "matters": rows * 3 // 10,
                                                 "certs": rows // 10})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        print(f"data built in {time.perf_counter() - started:.0f} s")


def login(client):
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    r = client.post("/login/", data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)})
    assert r.status_code == 302, r.status_code


def measure(app, runs):
    from sqlalchemy import event, text

    from app.extensions import db

    results = {}
    with app.app_context():
        engine = db.engine
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    client = app.test_client()
    login(client)
    for name, url in PAGES.items():
        client.get(url)  # warm: the permission cache, the templates
        times, statements = [], 0
        for _ in range(runs):
            counter["n"] = 0
            started = time.perf_counter()
            r = client.get(url)
            times.append(time.perf_counter() - started)
            assert r.status_code == 200, (url, r.status_code)
            statements = counter["n"]
        floor = []
        with app.app_context(), db.engine.connect() as conn:
            for _ in range(runs):
                started = time.perf_counter()
                for sql in FLOOR[name]:
                    conn.execute(text(sql)).all()
                floor.append(time.perf_counter() - started)
        results[name] = (statistics.median(times), statistics.median(floor), statements, len(FLOOR[name]))
    event.remove(engine, "before_cursor_execute", count)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep the database built by an earlier run")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
    if not args.reuse:
        build(args.rows)
    from app import create_app

    app = create_app()
    if not args.reuse:
        fill(app, args.rows)
    results = measure(app, args.runs)
    missed = False
    print(f"{args.rows:,} registrations on PostgreSQL, p50 of {args.runs} runs; load {os.getloadavg()[0]:.2f}")
    for name, (ours, floor, statements, floor_statements) in results.items():
        goal = ours < 1.0
        missed |= not goal
        print(f"{name:14} ours {ours * 1000:7.0f} ms ({statements} SQL statements)   plain GROUP BY "
              f"{floor * 1000:7.0f} ms ({floor_statements} statements)   ratio {ours / floor:5.2f}   "
              f"goal p50 < 1 s: {'met' if goal else 'MISSED'}")
    print(f"peak memory (max RSS) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
