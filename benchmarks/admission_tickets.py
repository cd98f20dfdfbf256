"""10,000 admission tickets as one PDF (issue 5, Speed) through the database: pages per
second, the ratio to drawing the same page 10,000 times with fpdf2 alone, and the peak memory.

What is measured: ``app.services.printables.run_batch_job``, the function the
``exam_printables`` job runs, for one session of 10,000 seated candidates, end to end:
the rooms in the user's scope, the seat, registration, person, subject and sitting queries
room by room, each photo read from its stored file and shrunk once, the tickets drawn, the
PDF written and stored as an attachment, the job's progress rows.  The data is built first
(not timed) on a scratch SQLite database made by the migrations, with bulk inserts: an exam
with two subjects and two sessions, a site, 334 rooms of 30, 10,000 persons with photos
(``--photos`` distinct stored JPEGs, shared round-robin), their registrations, subjects,
published seats (two sittings each) and two invigilators a room.

The floor records every fpdf2 call our template makes for the first ticket and replays that
one page N times on a plain ``FPDF`` with the same font, in a fresh process: the PDF library
alone, with nothing of ours in between.  Target: ratio <= 1.5, peak memory < 500 MB.

    PYTHONPATH=. .venv/bin/python benchmarks/admission_tickets.py [--tickets 10000] [--photos 1000]
"""
import argparse
import datetime
import io
import json
import os
import pickle
import re
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "欧阳"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强玉兰海燕晓东思远浩然子豪静怡嘉欣卫"
    "平"
)
ROOM_SEATS = 30


def _photo(i):
    """A 295 × 413 ID photo on red, as candidates upload them (re-encoded JPEG)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (295, 413), (200, 30 + i % 50, 30))
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 80, 215, 250), fill=(240, 200 - i % 60, 170))
    draw.rectangle((50, 280, 245, 413), fill=(30, 30, 60 + i % 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def build(n, n_photos):
    """The exam, its rooms and n seated candidates with photos, by bulk inserts; returns ids."""
    from flask import current_app
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.roles import ASSOCIATION
    from app.services import files
    from models import (
        ExamPlan,
        ExamSession,
        Institution,
        Invigilator,
        InvigilatorAssignment,
        Job,
        Person,
        Registration,
        RegistrationSubject,
        Room,
        SeatAssignment,
        Site,
        Subject,
    )

    inst = Institution(name="北京科技大学继续教育学院")
    start = datetime.datetime(2026, 12, 19, 9, 0)
    hour = datetime.timedelta(hours=1)
    plan = ExamPlan(name="2026年下半年质量管理体系审核员职业资格考试", location="北京市海淀区学院路30号",
                    reg_start=start - 60 * 24 * hour, reg_end=start - 20 * 24 * hour, exam_start=start,
                    exam_end=start + 7 * hour)
    db.session.add_all([inst, plan])
    db.session.flush()
    subjects = [Subject(exam_plan_id=plan.id, name=name, weight=50) for name in ("质量管理体系基础", "审核知识与技能")]
    site = Site(code="B0001", name="北京科技大学考点", institution_id=inst.id, status="approved",
                address="北京市海淀区学院路30号逸夫楼")
    db.session.add_all([*subjects, site])
    db.session.flush()
    sessions = [ExamSession(exam_plan_id=plan.id, subject_id=s.id, name=f"第{'一二'[k]}场",
                            starts_at=start + 5 * k * hour, ends_at=start + (5 * k + 2) * hour)
                for k, s in enumerate(subjects)]
    db.session.add_all(sessions)
    photos = [files.store(_photo(i), f"{i}.jpg", "image/jpeg", "photo", institution_id=inst.id)
              for i in range(n_photos)]
    db.session.flush()
    n_rooms = -(-n // ROOM_SEATS)
    db.session.execute(insert(Room), [{"id": r + 1, "institution_id": inst.id, "site_id": site.id,
                                       "name": f"第{r + 1:03d}考场（逸夫楼{101 + r}）", "capacity": ROOM_SEATS}
                                      for r in range(n_rooms)])
    db.session.execute(insert(Person), [
        {"id": i + 1, "name": SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13) % len(GIVEN)],
         "gender": "male" if i % 2 else "female", "id_number_enc": "-", "id_number_hash": f"{i:064d}",
         "id_number_masked": f"110105********{i % 10000:04d}", "institution_id": inst.id,
         "photo_id": photos[i % n_photos].id} for i in range(n)])
    db.session.execute(insert(Registration), [
        {"id": i + 1, "exam_plan_id": plan.id, "person_id": i + 1, "institution_id": inst.id, "status": "registered",
         "category": "first", "net_no": f"N{i:07d}"} for i in range(n)])
    db.session.execute(insert(RegistrationSubject), [{"registration_id": i + 1, "subject_id": s.id}
                                                     for i in range(n) for s in subjects])
    db.session.execute(insert(SeatAssignment), [
        {"registration_id": i + 1, "session_id": s.id, "room_id": i // ROOM_SEATS + 1, "seat_no": i % ROOM_SEATS + 1,
         "ticket_no": f"2026{k + 1}{i:07d}", "published": True} for k, s in enumerate(sessions) for i in range(n)])
    db.session.execute(insert(Invigilator), [{"id": v + 1, "staff_no": f"J{v:05d}", "name": f"监考员{v}"}
                                             for v in range(2 * n_rooms)])
    db.session.execute(insert(InvigilatorAssignment), [
        {"session_id": s.id, "room_id": v // 2 + 1, "invigilator_id": v + 1, "duty": "invigilate"}
        for s in sessions for v in range(2 * n_rooms)])
    sm = current_app.appbuilder.sm
    role = sm.find_role(ASSOCIATION) or sm.add_role(ASSOCIATION)  # the scope asks the role's name only
    user = sm.add_user("bench-association", "基准", "协会", "bench@demo.example", role, password="Bench@2026")
    assert user, "the Association role is missing"
    job = Job(kind="exam_printables", status="queued", created_by_id=user.id)
    db.session.add(job)
    db.session.commit()
    assert db.session.scalar(select(SeatAssignment.id).limit(1))
    return {"job": job.id, "user": user.id, "session": sessions[0].id, "rooms": n_rooms}


RECORDED = ("add_page", "set_font", "set_xy", "cell", "rect", "image", "set_fill_color", "line", "set_line_width",
            "set_text_color", "set_draw_color", "set_dash_pattern")


def _recorder_class():
    from app.services.printables import Sheet

    class Recorder(Sheet):
        """A Sheet that writes down every drawing call of one page (the floor replays them)."""

        def __init__(self, calls):
            self.calls = None
            super().__init__("floor", first_page=False, numbered=False)
            self.calls = calls

    def wrap(name):
        def method(self, *args, **kwargs):
            if self.calls is not None:
                args = tuple(a.getvalue() if isinstance(a, io.BytesIO) else a for a in args)
                self.calls.append((name, args, kwargs))
            return getattr(Sheet, name)(self, *(io.BytesIO(a) if isinstance(a, bytes) else a for a in args),
                                        **kwargs)
        return method

    for name in RECORDED:
        setattr(Recorder, name, wrap(name))
    return Recorder


def floor(n, calls, fonts):
    """The same page drawn n times with fpdf2 alone."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.alias_nb_pages(None)
    for style, path, number in fonts:
        pdf.add_font("cjk", style, path, collection_font_number=number)
    for _ in range(n):
        for name, args, kwargs in calls:
            getattr(pdf, name)(*(io.BytesIO(a) if isinstance(a, bytes) else a for a in args), **kwargs)
    return bytes(pdf.output())


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fresh(*args):
    """This script again in a fresh process (same scratch database), its last line as JSON."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), *args], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": ROOT})
    if out.returncode:
        sys.exit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_job(ids, record_to):
    """The measured run: the job's own function for the whole session; then (after the peak memory
    is read) the first ticket's drawing calls recorded for the floor."""
    from app import create_app
    from app.extensions import db
    from app.services import printables
    from models import Attachment, Job, Registration

    global Recorder
    app = create_app()
    with app.test_request_context():
        from flask_babel import force_locale

        with force_locale("zh"):
            before = _peak_mb()
            started, cpu = time.perf_counter(), time.process_time()
            printables.run_batch_job(ids["job"], ids["user"], ids["session"], [], ["tickets"])
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            peak = _peak_mb()
            job = db.session.get(Job, ids["job"])
            assert job.status == "done", job.error
            with open(printables.files.path_of(db.session.get(Attachment, job.result["attachment_id"])), "rb") as fh:
                data = fh.read()
            pages = len(re.findall(rb"/Type\s*/Page\b", data))
            assert job.progress == ids["n"] == pages, (job.progress, ids["n"], pages, job.result)
            calls = []
            Recorder = _recorder_class()
            first = db.session.get(Registration, 1)
            printables.draw_ticket(Recorder(calls), printables.ticket_context(first, printables.published_seats(first)))
            with open(record_to, "wb") as fh:
                pickle.dump((ids["n"], calls, printables.font_files()), fh)
    return {"seconds": seconds, "cpu": cpu, "peak": peak, "before": before, "pages": pages, "bytes": len(data)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--photos", type=int, default=1_000, help="distinct stored photos (shared round-robin)")
    parser.add_argument("--floor", help=argparse.SUPPRESS)  # internal: replay a recorded page in a fresh process
    parser.add_argument("--job", help=argparse.SUPPRESS)  # internal: the measured run in a fresh process
    options = parser.parse_args()
    if options.floor:
        with open(options.floor, "rb") as fh:
            n, calls, fonts = pickle.load(fh)
        started, cpu = time.perf_counter(), time.process_time()
        plain = floor(n, calls, fonts)
        print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                          "bytes": len(plain), "calls": len(calls)}))
        return
    if options.job:
        ids = json.loads(options.job)
        print(json.dumps(run_job(ids, ids["record_to"])))
        return
    n = options.tickets
    os.environ["INSTANCE_DIR"] = tempfile.mkdtemp(prefix="bench-tickets-")  # a scratch database and uploads
    from flask_migrate import upgrade

    from app import create_app

    app = create_app()
    with app.test_request_context():
        upgrade()
        started = time.perf_counter()
        ids = {**build(n, options.photos), "n": n}
        built = time.perf_counter() - started
    # the job and the floor each in a fresh process: neither pays for the other's (or the build's) memory
    record_to = os.path.join(os.environ["INSTANCE_DIR"], "page.pickle")
    ours = _fresh("--job", json.dumps({**ids, "record_to": record_to}))
    base = _fresh("--floor", record_to)
    ours_s, floor_s = ours["seconds"], base["seconds"]
    print(f"data: {n} persons with {options.photos} distinct stored photos, {ids['rooms']} rooms, {2 * n} seats "
          f"(two sittings each), built with bulk inserts in {built:.1f} s (not timed below)")
    print(f"admission tickets through the database (printables.run_batch_job, the exam_printables job): "
          f"{ours['pages']} pages in {ours_s:.2f} s = {n / ours_s:,.0f} pages/s (CPU {ours['cpu']:.2f} s), "
          f"PDF {ours['bytes'] / 1e6:.1f} MB")
    print(f"fpdf2 alone, the same page {n} times: {floor_s:.2f} s = {n / floor_s:,.0f} pages/s (CPU "
          f"{base['cpu']:.2f} s), PDF {base['bytes'] / 1e6:.1f} MB ({base['calls']} drawing calls a page)")
    # wall time is what the user waits for; CPU time is the steadier figure on a shared, busy machine
    print(f"ratio ours / fpdf2 alone: {ours_s / floor_s:.2f} wall time, {ours['cpu'] / base['cpu']:.2f} CPU time "
          f"(target <= 1.5)")
    print(f"peak memory (max RSS) of the job's process: {ours['peak']:.0f} MB (before the job: {ours['before']:.0f} "
          f"MB, the application loaded; target < 500 MB)")


Recorder = None

if __name__ == "__main__":
    main()
