"""P5 (issue 16): portal throughput under gunicorn with 2 workers against a bare Flask hello app on the
same server settings and the same load generator, in one run.  Goal: each page ≥ 0.5 × the hello app.

The data is built first (not timed): a scratch PostgreSQL database made by the migrations, ``flask
reference`` and ``flask demo``, then bulk inserts of 300 published exams open for registration (each at
20 sites) and 2,000 published announcements.  Then, one after the other, gunicorn (sync workers,
``--workers 2``) serves the app and then the hello app below, and wrk (Debian's ``wrk``: a C load
generator, so the client takes little of the two CPUs the server needs; ``apt-get install wrk``) sends the
same load to each: ``-t2 -c8 -d10s``.  Pages: the portal home, the exam list, and the demo candidate's
home (``/portal/me``) with the session cookie of a real login over HTTP.  The three pages are kept
whole for ``PAGE_CACHE_SECONDS`` (5) by app/page_cache.py, as in production: the figures are the ones a
visitor gets.  For comparison (not a goal) the same pages are measured with the cache off
(``PAGE_CACHE_SECONDS=0``): what rendering costs, once per 5 seconds and process with the cache on.  The
SQL statements of a rendered page are counted in-process (Flask test client, the cache off, a cursor
event).  Exits non-zero when a goal is missed.

    PYTHONPATH=. .venv/bin/python benchmarks/portal_throughput.py [--duration 10] [--connections 8] [--reuse]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

from flask import Flask

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._serving import ROOT, Browser, Gunicorn, app_env, candidate_login, connect, scratch_database  # noqa

DATABASE = "h_throughput_portal"
PORT = 18431
CANDIDATE, PASSWORD = "13800000000", "Demo@2026"
PAGES = {"portal home": "/portal/", "exam list": "/portal/exams", "candidate home": "/portal/me"}
EXAMS, SITES_PER_EXAM, ANNOUNCEMENTS = 300, 20, 2000

BUILD = [
    "INSERT INTO institution (name, kind, status, created_at, updated_at) "
    "SELECT '吞吐机构' || g, 'training', 'approved', now(), now() FROM generate_series(1, 40) g",
    "INSERT INTO site (code, name, institution_id, status, created_at, updated_at) "
    "SELECT 'TP' || i.id, i.name || '考核站点', i.id, 'approved', now(), now() FROM institution i "
    "WHERE i.name LIKE '吞吐机构%'",
    "INSERT INTO exam_plan (name, category, level, exam_start, exam_end, fee, reg_start, reg_end, refundable, "
    "recheck_allowed, review_workdays, reviewer, published, notice, required_sections, categories_offered, "
    "created_at, updated_at) "
    "SELECT '吞吐考试' || g || '（' || (ARRAY['初级','中级','高级'])[1 + g % 3] || '）', "
    "(ARRAY['vocational','skill','special'])[1 + g % 3], (ARRAY['junior','intermediate','senior'])[1 + g % 3], "
    "now() + (30 + g % 60) * interval '1 day', now() + (30 + g % 60) * interval '1 day' + interval '3 hours', "
    "380, now() - (g % 20) * interval '1 day', now() + (5 + g % 25) * interval '1 day', false, true, 3, "
    "'association', true, '请如实填写。', '[\"basic\"]', '[\"first\"]', now(), now() "
    "FROM generate_series(1, :exams) g",
    "INSERT INTO exam_site (exam_plan_id, site_id, quota, seats_taken) "
    "SELECT e.id, s.id, 200, (e.id * s.id) % 150 FROM exam_plan e "
    "JOIN LATERAL (SELECT id FROM site WHERE code LIKE 'TP%' ORDER BY (id + e.id) % 40 LIMIT :sites) s ON true "
    "WHERE e.name LIKE '吞吐考试%'",
    "INSERT INTO announcement (title, category, target, body, pinned, publish_at, published, published_at, "
    "created_at, updated_at) "
    "SELECT '关于考试安排的通知第' || g || '号', (ARRAY['notice','exam_news','policy','training'])[1 + g % 4], "
    "(ARRAY['everyone','candidates','institutions'])[1 + g % 3], "
    "'<p>' || repeat('各位考生：请按时参加考试，携带身份证件与准考证。', 8) || '</p>', g % 200 = 0, "
    "now() - g * interval '1 hour', true, now() - g * interval '1 hour', now(), now() "
    "FROM generate_series(1, :announcements) g",
]

hello = Flask("hello")  # the floor: `gunicorn benchmarks.portal_throughput:hello`


@hello.route("/")
def hello_world():
    return "Hello, World!"


def build():
    scratch_database(DATABASE)
    with connect(DATABASE) as conn:
        for statement in BUILD:
            conn.execute(statement.replace(":exams", str(EXAMS)).replace(":sites", str(SITES_PER_EXAM))
                         .replace(":announcements", str(ANNOUNCEMENTS)))
        conn.execute("VACUUM ANALYZE")


def wrk(url, args, cookie=None):
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or (errors and "timeout 0" not in errors.group(1)):
        raise RuntimeError(f"wrk saw failures on {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def sql_counts():
    """Statements per page, counted in-process for the same pages and the same candidate."""
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db

    os.environ.update(app_env(DATABASE))
    app = create_app({"PAGE_CACHE_SECONDS": 0})  # what rendering a page reads
    with app.app_context():
        engine = db.engine
    counter = {"n": 0}
    event.listen(engine, "before_cursor_execute", lambda *a: counter.__setitem__("n", counter["n"] + 1))
    anonymous, candidate = app.test_client(), app.test_client()
    page = candidate.get("/portal/login").get_data(as_text=True)
    token = re.search(r"/portal/captcha/([0-9A-Za-z_-]+)\.png", page).group(1)
    with connect(DATABASE) as conn:
        answer = conn.execute("SELECT answer FROM captcha_challenge WHERE token = %s", (token,)).fetchone()[0]
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert candidate.post("/portal/login", data={"csrf_token": csrf, "account": CANDIDATE, "password": PASSWORD,
                                                 "captcha": answer}).status_code == 302
    counts = {}
    for name, path in PAGES.items():
        client = candidate if name == "candidate home" else anonymous
        client.get(path)
        counter["n"] = 0
        assert client.get(path).status_code == 200, path
        counts[name] = counter["n"]
    return counts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="keep the database built by an earlier run")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    if not args.reuse:
        build()
    base = f"http://127.0.0.1:{PORT}"
    results, peaks = {}, {}
    rendered = {}
    for seconds, into in (("5", results), ("0", rendered)):
        with Gunicorn("app.wsgi:app", PORT, 2, app_env(DATABASE, PAGE_CACHE_SECONDS=seconds), "/portal/") as server:
            browser = candidate_login(Browser(PORT), DATABASE, CANDIDATE, PASSWORD)
            status, _h, text = browser.get("/portal/me")
            assert status == 200 and "王小明" in text, (status, text[:300])
            for name, path in PAGES.items():
                cookie = browser.cookie_header() if name == "candidate home" else None
                wrk(base + path, args, cookie)  # warm: every worker's caches, templates, connections
                into[name] = wrk(base + path, args, cookie)
            status, _h, text = browser.get("/portal/me")
            assert status == 200 and "王小明" in text, "the candidate's session did not last the run"
            peaks.setdefault("app", server.peak_rss_mb())
    with Gunicorn("benchmarks.portal_throughput:hello", PORT, 2, app_env(DATABASE)) as server:
        wrk(base + "/", args)
        floor = wrk(base + "/", args)
        peaks["hello"] = server.peak_rss_mb()
    counts = sql_counts()
    print(f"gunicorn 2 sync workers, wrk -t{args.threads} -c{args.connections} -d{args.duration}s; {EXAMS} open "
          f"exams, {ANNOUNCEMENTS} announcements; load {os.getloadavg()[0]:.2f}")
    print(f"{'bare Flask hello':16} {floor:8.0f} req/s")
    missed = False
    for name, rate in results.items():
        ratio = rate / floor
        missed |= ratio < 0.5
        print(f"{name:16} {rate:8.0f} req/s   ratio {ratio:5.2f}   goal ≥ 0.5: {'met' if ratio >= 0.5 else 'MISSED'}"
              f"   (rendered each time: {rendered[name]:6.0f} req/s, ratio {rendered[name] / floor:4.2f}, "
              f"{counts[name]} SQL statements)")
    print(f"peak memory (max VmHWM of a worker): app {peaks['app']:.0f} MB, hello {peaks['hello']:.0f} MB")
    return 1 if missed else 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
