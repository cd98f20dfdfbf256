"""P1 (issue 16): the back-office lists at 1,000,000 rows on PostgreSQL against a stock Flask-AppBuilder
``ModelView`` over the same table, in the same run, through the same application.

Five lists (persons, registrations, orders, matters, certificates), each with 1,000,000 rows, are requested
by a logged-in Association user through the Flask test client (the real views, filters and templates); the
stock views are plain ``ModelView(SQLAInterface(Model))`` with the same list and search columns, registered
into the same app.  Cases: page 1, a deep page (page 5,000 of 20), and for the people searches by name
prefix (王伟), pinyin prefix, phone number and ID number.  The stock view searches the way a stock view can:
FAB's default "starts with" filter on the name, pinyin and phone columns; for the ID number its best case,
an equality filter on the blind-index column given the hash (a stock view cannot take the number itself).
Ours answers the search box (``keyword``) the way the user types it.  An Institution user's page 1 and search are
measured too (row scope).  Goal: p50 ≤ 0.5 × stock for every case, and at most 8 SQL statements a page
whatever the page size (page size 100 is counted too).  Exits non-zero when a goal is missed.

The data is built first (not timed) in a scratch database made by the migrations: persons by COPY (real
names, pinyin, phones and check-digit-valid ID numbers with the application's blind index), the rest by
``INSERT … SELECT generate_series``; then ``VACUUM ANALYZE``.  About 3 minutes on 2 CPUs.

    PYTHONPATH=. .venv/bin/python benchmarks/list_pages.py [--rows 1000000] [--runs 7] [--reuse]
"""
import argparse
import datetime
import io
import os
import re
import resource
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from benchmarks._serving import scratch_database  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "bench_lists"
PASSWORD = "Bench@2026"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉飞建国志文斌宇浩凯健俊帆帅旭宁海波"
DEEP_PAGE = 5000

BUILD = [
    "INSERT INTO institution (name, kind, status, created_at, updated_at) "
    "SELECT '基准机构' || g, 'training', 'approved', now(), now() FROM generate_series(1, 200) g",
    "INSERT INTO site (code, name, institution_id, status, created_at, updated_at) "
    "SELECT 'BS' || i.id, i.name || '考核站点', i.id, 'approved', now(), now() FROM institution i",
    "INSERT INTO exam_plan (name, category, level, exam_start, exam_end, fee, reg_start, reg_end, refundable, "
    "recheck_allowed, review_workdays, reviewer, published, created_at, updated_at) "
    "SELECT '基准考试' || g, 'vocational', 'junior', now() - g * interval '10 days', "
    "now() - g * interval '10 days' + interval '3 hours', 380, now() - interval '400 days', now(), false, false, 3, "
    "'association', true, now(), now() FROM generate_series(1, 20) g",
    "INSERT INTO exam_site (exam_plan_id, site_id, quota, seats_taken) "
    "SELECT e.id, s.id, 100000, 0 FROM exam_plan e JOIN site s ON s.id % 4 = e.id % 4",
    # persons come by COPY (copy_persons)
    "INSERT INTO registration (net_no, exam_plan_id, person_id, institution_id, exam_site_id, category, status, "
    "locked, submitted_at, created_at, updated_at) "
    "SELECT 'W' || lpad(p.id::text, 9, '0'), e.exam_plan_id, p.id, p.institution_id, e.id, 'first', "
    "(ARRAY['submitted','reviewing','returned','approved','registered','registered','registered','refused',"
    "'withdrawn'])[1 + p.id % 9], false, now() - (p.id % 365) * interval '1 day', now(), now() "
    "FROM person p JOIN LATERAL (SELECT id, exam_plan_id FROM exam_site "
    "WHERE site_id = 1 + p.id % 200 ORDER BY id OFFSET (p.id / 200) % 5 LIMIT 1) e ON true",
    "INSERT INTO payment_order (order_no, registration_id, person_id, institution_id, payer_type, amount, status, "
    "method, paid_at, created_at, updated_at) "
    "SELECT 'B' || lpad(id::text, 10, '0'), id, person_id, institution_id, 'person', 380, "
    "CASE WHEN id % 5 < 3 THEN 'paid' ELSE 'unpaid' END, CASE WHEN id % 4 = 0 THEN 'offline' ELSE 'online' END, "
    "CASE WHEN id % 5 < 3 THEN submitted_at END, now(), now() FROM registration",
    "INSERT INTO matter (business_no, type_code, title, state, status, applicant_id, institution_id, payload, "
    "due_date, filed_at, created_at, updated_at) "
    "SELECT 'BM' || lpad(g::text, 9, '0'), "
    "(ARRAY['exam_registration','certificate_reissue','course_filing'])[1 + g % 3], '基准事项' || g, "
    "(ARRAY['submitted','association_review','done'])[1 + g % 3], "
    "CASE WHEN g % 3 = 2 THEN 'completed' ELSE 'in_progress' END, :user, 1 + g % 200, '{}', "
    "current_date + (g % 20 - 5), now() - (g % 200) * interval '1 day', now() - (g % 200) * interval '1 day', now() "
    "FROM generate_series(1, :rows) g",
    "INSERT INTO certificate_type (code, name, level, issuer, validity_years, enabled, created_at, updated_at) "
    "VALUES ('BENCH01', '基准证书', 'junior', '基准协会', 3, true, now(), now())",
    "INSERT INTO certificate (serial, token, certificate_type_id, person_id, institution_id, holder_name, "
    "holder_id_masked, issue_date, valid_until, status, source, version, created_at, updated_at) "
    "SELECT 'BC' || lpad(p.id::text, 9, '0'), md5('c' || p.id), (SELECT id FROM certificate_type "
    "WHERE code = 'BENCH01'), p.id, p.institution_id, p.name, p.id_number_masked, current_date - p.id % 1000, "
    "current_date - p.id % 1000 + 1095, 'valid', 'issued', 1, now(), now() FROM person p",
]
PERSON_COLUMNS = ("source", "name", "pinyin", "gender", "id_type", "id_number_enc", "id_number_hash",
                  "id_number_masked", "phone", "verify_state", "realname_verified", "is_expert", "is_teacher",
                  "email_verified", "institution_id", "created_at", "updated_at")


def person_of(g):
    """The g-th person: a name, its pinyin, a phone and a valid ID number (unique by g)."""
    from app.identity import check_digit

    surname = SURNAMES[g % len(SURNAMES)]
    given = GIVEN[(g // len(SURNAMES)) % len(GIVEN)]
    if g % 3:
        given += GIVEN[(g // 7) % len(GIVEN)]
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=g % 16000)
    first17 = f"110105{birth:%Y%m%d}{g // 16000:03d}"
    return surname + given, first17 + check_digit(first17), f"139{g:08d}"


def copy_persons(app, rows):
    from app import crypto
    from app.extensions import db
    from app.services.import_types import name_pinyin

    readings = {}
    now = datetime.datetime.now().isoformat(sep=" ")
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            with raw.cursor() as cur, cur.copy(f"COPY person ({', '.join(PERSON_COLUMNS)}) FROM STDIN") as copy:
                buffer = io.StringIO()
                for g in range(1, rows + 1):
                    name, number, phone = person_of(g)
                    pinyin = readings.get(name) or readings.setdefault(name, name_pinyin(name))
                    buffer.write("\t".join((
                        "school", name, pinyin, "male" if g % 2 else "female", "resident", "x",
                        crypto.blind_index(number), crypto.mask_id_number(number), phone, "pending", "f", "f", "f",
                        "f", str(1 + g % 200), now, now)) + "\n")
                    if g % 50000 == 0:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                copy.write(buffer.getvalue())
            raw.commit()
        finally:
            raw.close()


def fill(app, rows):
    from sqlalchemy import text

    from app.extensions import db

    started = time.perf_counter()
    with app.app_context():
        user = bench_users(app)[0]
        for statement in BUILD[:4]:
            db.session.execute(text(statement))
        db.session.commit()
    copy_persons(app, rows)
    with app.app_context():
        for statement in BUILD[4:]:
            db.session.execute(text(statement), {"rows": rows, "user": user})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    print(f"data built in {time.perf_counter() - started:.0f} s")


def bench_users(app):
    """(association user id, institution user id): 'bench' and 'bench_inst' (institution 7)."""
    from app.extensions import db
    from app.roles import ASSOCIATION, INSTITUTION
    from models import Institution

    sm = app.appbuilder.sm
    ids = []
    for name, role in (("bench", ASSOCIATION), ("bench_inst", INSTITUTION)):
        user = sm.find_user(username=name) or sm.add_user(name, "基准", name, f"{name}@bench.example",
                                                          sm.find_role(role), password=PASSWORD)
        ids.append(user.id)
    if db.session.get(Institution, 7) is not None:
        sm.find_user(username="bench_inst").institution_id = 7
        db.session.commit()
    return ids


# list -> (our view, model, list columns, search columns) of the stock twin
LISTS = {
    "persons": ("PersonView", "Person"),
    "registrations": ("RegistrationView", "Registration"),
    "orders": ("OrderView", "Order"),
    "matters": ("MatterView", "Matter"),
    "certificates": ("CertificateView", "Certificate"),
}


def add_stock_views(app):
    """A stock ModelView per list, same columns, granted to the Association role (the bench user's)."""
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    import models
    from app.roles import ASSOCIATION

    appbuilder = app.appbuilder
    ours = {type(v).__name__: v for v in appbuilder.baseviews}
    with app.app_context():
        for name, (view_name, model_name) in LISTS.items():
            view = ours[view_name]
            model = getattr(models, model_name)
            search = list(view.search_columns) + (["pinyin", "id_number_hash"] if name == "persons" else [])
            stock = type(f"Stock{view_name}", (ModelView,), dict(
                datamodel=SQLAInterface(model), list_columns=list(view.list_columns), search_columns=search,
                base_order=view.base_order))
            appbuilder.add_view_no_menu(stock)
            sm = appbuilder.sm
            role = sm.find_role(ASSOCIATION)
            for perm in ("can_list", "can_show"):
                pv = sm.find_permission_view_menu(perm, stock.__name__) or sm.add_permission_view_menu(
                    perm, stock.__name__)
                sm.add_permission_role(role, pv)


def login(app, username):
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    r = client.post("/login/", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert r.status_code == 302, r.status_code
    return client


def cases(app, rows):
    """(label, our URL, stock URL or None, page size) of every case measured."""
    from app import crypto

    _name, number, phone = person_of(rows // 2)
    with app.app_context():
        hashed = crypto.blind_index(number)
    out = []
    for name, (view, _model) in LISTS.items():
        ours, stock = f"/{view.lower()}/list/", f"/stock{view.lower()}/list/"
        out.append((f"{name}: page 1", ours, stock, 20))
        out.append((f"{name}: page {DEEP_PAGE}", f"{ours}?page_{view}={DEEP_PAGE}",
                    f"{stock}?page_Stock{view}={DEEP_PAGE}", 20))
        out.append((f"{name}: page 1, page size 100", f"{ours}?psize_{view}=100", f"{stock}?psize_Stock{view}=100",
                    100))
    p = "/personview/list/"
    s = "/stockpersonview/list/"
    out += [
        ("persons: name 王伟…", f"{p}?keyword=王伟", f"{s}?_flt_0_name=王伟", 20),
        ("persons: pinyin wangw…", f"{p}?keyword=wangw", f"{s}?_flt_0_pinyin=Wang W", 20),
        ("persons: phone 1390050…", f"{p}?keyword={phone[:7]}", f"{s}?_flt_0_phone={phone[:7]}", 20),
        ("persons: ID number", f"{p}?keyword={number}", f"{s}?_flt_3_id_number_hash={hashed}", 20),
        ("registrations: name 王伟…", "/registrationview/list/?keyword=王伟", None, 20),
        ("certificates: ID number", f"/certificateview/list/?keyword={number}", None, 20),
    ]
    return out


def measure(app, rows, runs):
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    counter = {"n": 0}
    event.listen(engine, "before_cursor_execute", lambda *a, **k: counter.__setitem__("n", counter["n"] + 1))

    def timed(client, url):
        client.get(url)  # warm: permission cache, templates, the planner's statistics
        times, statements = [], 0
        for _ in range(runs):
            counter["n"] = 0
            started = time.perf_counter()
            r = client.get(url)
            times.append(time.perf_counter() - started)
            assert r.status_code == 200, (url, r.status_code)
            statements = counter["n"]
        return statistics.median(times), statements

    association, institution = login(app, "bench"), login(app, "bench_inst")
    results = []
    for label, ours, stock, _size in cases(app, rows):
        results.append((label, *timed(association, ours), *(timed(association, stock) if stock else (None, None))))
    for label, url in (("institution: persons page 1", "/personview/list/"),
                       ("institution: persons name 王伟…", "/personview/list/?keyword=王伟"),
                       ("institution: registrations page 1", "/registrationview/list/")):
        results.append((label, *timed(institution, url), None, None))
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep the database built by an earlier run")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
    if not args.reuse:
        scratch_database(DATABASE, demo=False)
    from app import create_app

    app = create_app()
    if not args.reuse:
        fill(app, args.rows)
    with app.app_context():
        bench_users(app)
    add_stock_views(app)
    results = measure(app, args.rows, args.runs)
    missed = False
    print(f"{args.rows:,} rows a list on PostgreSQL, p50 of {args.runs} runs; load {os.getloadavg()[0]:.2f}")
    print(f"{'case':40} {'ours ms':>8} {'SQL':>4} {'stock ms':>9} {'SQL':>4} {'ratio':>6}  goal")
    for label, ours, n, stock, stock_n in results:
        goal = n <= 8 and (stock is None or ours <= 0.5 * stock)
        missed |= not goal
        ratio = f"{ours / stock:6.2f}" if stock else "     -"
        stock_text = f"{stock * 1000:9.1f} {stock_n:>4}" if stock else f"{'-':>9} {'-':>4}"
        print(f"{label:40} {ours * 1000:8.1f} {n:>4} {stock_text} {ratio}  {'met' if goal else 'MISSED'}")
    print(f"peak memory (max RSS) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
