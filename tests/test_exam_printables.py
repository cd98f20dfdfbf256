"""D11 / B10 room printables: door sticker, desk stickers, sign-in sheet and admission
tickets as PDFs with the CJK font embedded; the candidate's own published ticket; an
institution prints only its own rooms; the batch job's PDF is downloadable."""
import datetime
import io
import itertools
import os
import random
import re
import shutil
import subprocess

import pytest
from PIL import Image

from app.extensions import db
from app.services import accounts, printables
from models import (
    ExamPlan,
    ExamSession,
    Institution,
    Job,
    Person,
    PlatformUser,
    Registration,
    RegistrationSubject,
    Room,
    SeatAssignment,
    Site,
)
from tests.conftest import second_institution_user, wait_for_job
from tests.portal_helpers import new_id_number

NAMES = ["李雪梅", "王建国", "赵丽娜", "欧阳明轩", "孙悦", "周子豪", "吴静怡", "郑浩然", "冯晓东", "陈思远",
         "褚卫平", "卫嘉欣"]
_seq = itertools.count(random.randint(1, 9000) * 100)
SHOTS = "/tmp/roomshots"


@pytest.fixture
def font(app):
    if not printables.font_available(app.config):
        pytest.skip("no CJK font at PDF_FONT_PATH")


def _jpeg(colour):
    buf = io.BytesIO()
    image = Image.new("RGB", (295, 413), (200, 30, 30))  # red background, a face-ish oval
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 80, 215, 250), fill=colour)
    draw.rectangle((50, 280, 245, 413), fill=(30, 30, 60))
    image.save(buf, "JPEG")
    return buf.getvalue()


def _store_photo(person, data):
    from app.services import files

    item = files.store(data, "photo.jpg", "image/jpeg", "photo", person=person)
    db.session.flush()
    person.photo_id = item.id


def _text(pdf):
    assert shutil.which("pdftotext"), "poppler-utils is needed"
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def _institutions():
    own = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
    other = db.session.query(Institution).filter(Institution.id != own).order_by(Institution.id).first().id
    return own, other


def make_room(app, institution="own", seats=6, published=False, person_ids=(), photos=True):
    """A room of an institution with ``seats`` candidates seated in one session of a fresh plan
    (direct rows: the scheduling service is not needed); returns ids."""
    n = next(_seq)
    with app.app_context():
        own, other = _institutions()
        inst = own if institution == "own" else other
        base = db.session.query(ExamPlan).filter(ExamPlan.subjects.any()).order_by(ExamPlan.id).first()
        start = datetime.datetime(2026, 12, 19, 9, 0)
        plan = ExamPlan(name=f"2026年下半年质量管理体系审核员考试{n}", exam_start=start,
                        exam_end=start + datetime.timedelta(hours=2), reg_start=start - datetime.timedelta(days=60),
                        reg_end=start - datetime.timedelta(days=20), location="北京市海淀区学院路30号")
        db.session.add(plan)
        db.session.flush()
        from models import Subject

        subject = Subject(exam_plan_id=plan.id, name="质量管理体系基础", weight=100)
        db.session.add(subject)
        site = Site(code=f"S{n}", name=f"北京科技大学考点{n}", institution_id=inst, status="approved",
                    address="北京市海淀区学院路30号")
        db.session.add(site)
        db.session.flush()
        room = Room(institution_id=inst, site_id=site.id, name=f"第{n % 100:02d}考场（逸夫楼{n}）", capacity=40)
        session = ExamSession(exam_plan_id=plan.id, subject_id=subject.id, name="第一场", starts_at=start,
                              ends_at=start + datetime.timedelta(hours=2))
        db.session.add_all([room, session])
        db.session.flush()
        persons = [db.session.get(Person, pid) for pid in person_ids]
        for i in range(seats - len(persons)):
            p = Person(name=NAMES[i % len(NAMES)], gender="female" if i % 2 else "male", institution_id=inst)
            p.set_id_number(new_id_number())
            db.session.add(p)
            db.session.flush()
            if photos and i % 3 != 2:  # some without a photo: an empty box is drawn
                _store_photo(p, _jpeg((240, 200 - i * 10, 170)))
            persons.append(p)
        regs = []
        for i, p in enumerate(persons, start=1):
            reg = Registration(exam_plan_id=plan.id, person_id=p.id, institution_id=inst, status="registered",
                               net_no=f"N{n}{i:04d}")
            reg.subjects = [RegistrationSubject(subject_id=subject.id)]
            db.session.add(reg)
            db.session.flush()
            db.session.add(SeatAssignment(registration_id=reg.id, session_id=session.id, room_id=room.id, seat_no=i,
                                          ticket_no=f"2026{n:06d}{i:03d}", published=published))
            regs.append(reg.id)
        db.session.commit()
        assert base is not None
        return {"plan": plan.id, "room": room.id, "session": session.id, "registrations": regs,
                "room_name": room.name, "plan_name": plan.name, "site": site.name}


def _png(pdf, name, page=1):
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, name)
    with open(path + ".pdf", "wb") as fh:
        fh.write(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", str(page), "-l", str(page), "-singlefile", path + ".pdf",
                    path], check=True)
    return path + ".png"


def _inside_the_page(pdf):
    """Every word lies on the A4 page: inside 10 mm at the sides and top, the footer above the bottom edge."""
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    boxes = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', out)
    assert len(boxes) > 10
    mm = 72 / 25.4
    for x0, y0, x1, y1 in ((float(v) for v in box) for box in boxes):
        assert 10 * mm <= x0 and x1 <= 200 * mm and 10 * mm <= y0 and y1 <= 292 * mm, (x0, y0, x1, y1)


def _fonts_embedded(pdf):
    assert re.search(rb"/FontName\s*/[A-Z]{6}\+NotoSansCJK", pdf), "Noto Sans CJK is not embedded as a subset"
    assert b"/FontFile3" in pdf or b"/FontFile2" in pdf


# --- back office -----------------------------------------------------------------------------
def test_room_printables_over_http_have_chinese_text_and_fonts(app, font, login):
    room = make_room(app, seats=9)
    c = login("association")
    page = c.get(f"/exam-printables/?plan={room['plan']}")
    assert page.status_code == 200 and room["room_name"] in page.text
    base = f"/exam-printables/{room['session']}/{room['room']}"
    texts = {}
    for kind in ("door", "desk", "signin", "tickets"):
        r = c.get(f"{base}/{kind}.pdf")
        assert r.status_code == 200 and r.mimetype == "application/pdf", (kind, r.text[:300])
        assert "no-store" in r.headers["Cache-Control"]
        _fonts_embedded(r.data)
        texts[kind] = _text(r.data)
        _inside_the_page(r.data)
        _png(r.data, kind)
    with app.app_context():
        seats = db.session.query(SeatAssignment).filter_by(room_id=room["room"]).order_by(SeatAssignment.seat_no).all()
        people = [(s.registration.person.name, s.registration.person.id_number_masked, s.ticket_no) for s in seats]
    for kind, text in texts.items():
        assert room["plan_name"] in text.replace("\n", "") or room["plan_name"][:12] in text, kind
    assert room["room_name"] in texts["door"] and room["site"] in texts["door"] and "01 – 09" in texts["door"]
    assert "第一场" in texts["door"] and "2026-12-19 09:00–11:00" in texts["door"]
    for name, masked, ticket in people:
        for kind in ("desk", "signin", "tickets"):
            assert name in texts[kind] and ticket in texts[kind], (kind, name)
        assert masked in texts["signin"] and masked in texts["tickets"]
    # labels from the models' own (translated) labels
    for word in ("座位号", "准考证号", "姓名", "证件号码", "照片"):
        assert word in texts["signin"], word
    assert "质量管理体系基础" in texts["tickets"] and "北京市海淀区学院路30号" in texts["tickets"]
    # one ticket a page, desk stickers ten a page, the sign-in sheet with photos (images embedded)
    pdf = c.get(f"{base}/tickets.pdf").data
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 9
    assert b"/Subtype /Image" in c.get(f"{base}/signin.pdf").data
    assert c.get(f"{base}/nonsense.pdf").status_code == 404


def test_institution_prints_only_its_own_rooms(app, font, login):
    mine = make_room(app, "own", seats=2)
    theirs = make_room(app, "other", seats=2)
    inst = login("institution")
    assert inst.get(f"/exam-printables/{mine['session']}/{mine['room']}/signin.pdf").status_code == 200
    for kind in ("door", "desk", "signin", "tickets"):
        assert inst.get(f"/exam-printables/{theirs['session']}/{theirs['room']}/{kind}.pdf").status_code == 404
    page = inst.get(f"/exam-printables/?plan={theirs['plan']}")
    assert page.status_code == 200 and theirs["room_name"] not in page.text
    # a batch naming another institution's room is refused; without rooms it prints only its own
    r = inst.post(f"/exam-printables/{theirs['session']}/batch", {"room_id": str(theirs["room"])})
    assert r.status_code == 404
    # the Association prints both; candidates and other roles may not open the back office page
    assert login("association").get(f"/exam-printables/{theirs['session']}/{theirs['room']}/door.pdf") \
        .status_code == 200
    assert login("expert").get(f"/exam-printables/{mine['session']}/{mine['room']}/door.pdf").status_code in (302, 403)


def test_batch_job_produces_a_downloadable_pdf(app, font, login):
    room = make_room(app, "own", seats=5)
    c = login("institution")
    with app.app_context():  # a second room of the same session, of the same institution
        session = db.session.get(ExamSession, room["session"])
        own, _other = _institutions()
        site_id = db.session.get(Room, room["room"]).site_id
        second = Room(institution_id=own, site_id=site_id, name=f"{room['room_name']}B", capacity=30)
        db.session.add(second)
        db.session.flush()
        extra = db.session.get(Registration, room["registrations"][0])
        p = Person(name="钱多多", gender="male", institution_id=own)
        p.set_id_number(new_id_number())
        db.session.add(p)
        db.session.flush()
        reg = Registration(exam_plan_id=extra.exam_plan_id, person_id=p.id, institution_id=own, status="registered")
        db.session.add(reg)
        db.session.flush()
        db.session.add(SeatAssignment(registration_id=reg.id, session_id=session.id, room_id=second.id, seat_no=1,
                                      ticket_no=f"B{room['session']:09d}"))
        db.session.commit()
    r = c.post(f"/exam-printables/{room['session']}/batch", {"kind": ["door", "signin", "tickets"]})
    assert r.status_code == 302, r.text[:500]
    page = c.get(r.headers["Location"])
    assert page.status_code == 200 and "job-progress" in page.text
    job_id = int(re.search(r"/exam-printables/jobs/(\d+)", r.headers["Location"]).group(1))
    status = wait_for_job(c, job_id)
    assert status["status"] == "done", status
    assert status["total"] == 6 and status["percent"] == 100
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.institution_id == own
    download = c.get(f"/files/{status['result']['attachment_id']}")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    _fonts_embedded(download.data)
    text = _text(download.data)
    assert "钱多多" in text and room["room_name"] + "B" in text and "李雪梅" in text
    # 2 door stickers + 2 sign-in sheets + 6 tickets
    assert len(re.findall(rb"/Type\s*/Page\b", download.data)) == 10
    assert c.get(f"/exam-printables/jobs/{job_id}").status_code == 200
    # another institution's user cannot fetch the job nor its file
    with app.app_context():
        assert db.session.query(PlatformUser).filter_by(username="institution").one().institution_id == own
    assert login("expert").get(f"/files/{status['result']['attachment_id']}").status_code == 404


# --- the candidate's own ticket (B10) -----------------------------------------------------------
def test_candidate_downloads_own_ticket_once_published(app, font, candidate, login, client):
    c, phone, _number = candidate
    with app.app_context():
        person = accounts.person_of(db.session.query(PlatformUser).filter_by(phone=phone).one())
        accounts.store_photo(person, _jpeg((235, 200, 180)))
        person_id, name = person.id, person.name
    room = make_room(app, "own", seats=3, published=False, person_ids=[person_id])
    rid = room["registrations"][0]
    url = f"/portal/registrations/{rid}/ticket.pdf"
    assert c.get(url).status_code == 404  # not published yet
    assert url not in c.get("/portal/me/exams").text and url not in c.get(f"/portal/registrations/{rid}").text
    with app.app_context():
        for seat in db.session.query(SeatAssignment).filter_by(session_id=room["session"]):
            seat.published = True
        db.session.commit()
    r = c.get(url)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "no-store" in r.headers["Cache-Control"]
    _fonts_embedded(r.data)
    text = _text(r.data)
    assert name in text and room["plan_name"][:12] in text and room["room_name"] in text
    assert "2026-12-19 09:00–11:00" in text and "质量管理体系基础" in text
    with app.app_context():
        ticket = db.session.query(SeatAssignment).filter_by(registration_id=rid).one().ticket_no
        masked = db.session.get(Person, person_id).id_number_masked
    assert ticket in text and masked in text
    assert b"/Subtype /Image" in r.data
    assert len(re.findall(rb"/Type\s*/Page\b", r.data)) == 1
    _inside_the_page(r.data)
    _png(r.data, "ticket-portal")
    # the links on 我的考试 and on the registration's page
    detail = c.get(f"/portal/registrations/{rid}")
    assert detail.status_code == 200 and url in detail.text
    # someone else's ticket, another candidate, anonymous
    other_rid = room["registrations"][1]
    assert c.get(f"/portal/registrations/{other_rid}/ticket.pdf").status_code == 404
    assert login("candidate").get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_my_exams_shows_the_ticket_link(app, font, candidate):
    c, phone, _number = candidate
    with app.app_context():
        person_id = accounts.person_of(db.session.query(PlatformUser).filter_by(phone=phone).one()).id
    room = make_room(app, "own", seats=1, published=True, person_ids=[person_id])
    page = c.get("/portal/me/exams")
    if page.status_code == 404:
        pytest.skip("my exams lives elsewhere")
    assert f"/portal/registrations/{room['registrations'][0]}/ticket.pdf" in page.text


# --- the renderer ------------------------------------------------------------------------------
def test_ticket_renderer_reuses_one_document_and_marks_missing_glyphs(app, font):
    with app.app_context():
        base = {"doc_title": "t", "title": "准考证", "exam_name": "考试", "photo": None, "photo_label": "照片",
                "facts": [("姓名", "王\U0002a6a5")], "headings": ["场次", "科目", "时间", "考场", "座位号"],
                "sittings": [["第一场", "理论", "2026-12-19 09:00–11:00", "101", "01"]],
                "rules_title": "考生须知", "rules": printables.ticket_rules(), "footer": ""}
        pdf = printables.tickets_pdf([base] * 30)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 30
    assert len(re.findall(rb"/FontFile[23]", pdf)) <= 2  # one embedded subset per face, not per page
    assert "王" + printables.PLACEHOLDER in _text(pdf)


# --- invigilators on the room's papers ----------------------------------------------------------
def add_invigilators(app, room, names, patrol="巡考甲"):
    """Invigilators posted to the room's session (one of them association staff, with no
    institution) and a patrol officer without a room, who is not on the room's papers."""
    from models import Invigilator, InvigilatorAssignment

    n = next(_seq)
    with app.app_context():
        _own, other = _institutions()
        for i, name in enumerate([*names, patrol]):
            person = Invigilator(institution_id=None if i == 1 else other, staff_no=f"J{n}{i}", name=name,
                                 duty="patrol" if name == patrol else "invigilate")
            db.session.add(person)
            db.session.flush()
            db.session.add(InvigilatorAssignment(session_id=room["session"], invigilator_id=person.id,
                                                 room_id=None if name == patrol else room["room"],
                                                 duty="patrol" if name == patrol else "invigilate"))
        db.session.commit()


def test_door_sticker_and_sign_in_sheet_name_the_invigilators(app, font, login):
    room = make_room(app, seats=3)
    add_invigilators(app, room, ["张三丰", "李四光"])
    bare = make_room(app, seats=2)
    c = login("association")
    base = f"/exam-printables/{room['session']}/{room['room']}"
    door, signin = (_text(c.get(f"{base}/{kind}.pdf").data) for kind in ("door", "signin"))
    assert re.search(r"监考员\s*：\s*张三丰、李四光", door), door
    assert "巡考甲" not in door and "巡考甲" not in signin
    head, _sep, foot = signin.partition("张三丰、李四光")
    assert "监考员" in head[-40:] and "座位号" not in head  # at the top, above the table
    assert re.search(r"监考员签字：\s*张三丰 _+\s+李四光 _+", foot), foot
    # the batch job prints them too
    with app.app_context():
        session = db.session.get(ExamSession, room["session"])
        data, _pages = printables.render_batch(session, [db.session.get(Room, room["room"])], ["door"])
    assert "张三丰、李四光" in _text(data)
    pdf = c.get(f"{base}/signin.pdf").data
    _inside_the_page(pdf)
    _png(pdf, "signin-invigilators")
    _png(c.get(f"{base}/door.pdf").data, "door-invigilators")
    # a room nobody is posted to yet still prints, with blank signature lines
    for kind in ("door", "signin"):
        r = c.get(f"/exam-printables/{bare['session']}/{bare['room']}/{kind}.pdf")
        assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = _text(c.get(f"/exam-printables/{bare['session']}/{bare['room']}/signin.pdf").data)
    assert re.search(r"监考员签字：\s*_+\s+_+", text) and "张三丰" not in text


# --- 考场安排明细 (the schedule details workbook) ------------------------------------------------
def _sheet(data):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return book.worksheets[0]


def _rows(data):
    return [[cell.value for cell in row] for row in _sheet(data).iter_rows()]


def test_schedule_details_export_for_the_association(app, font, login):
    room = make_room(app, seats=3, published=True)
    add_invigilators(app, room, ["张三丰", "李四光"])
    formula = '=HYPERLINK("http://x","y")'
    with app.app_context():
        reg = db.session.get(Registration, room["registrations"][1])
        reg.person.name = formula
        masked = reg.person.id_number_masked
        ticket = db.session.query(SeatAssignment).filter_by(registration_id=reg.id).one().ticket_no
        institution = db.session.get(Institution, reg.institution_id).name
        db.session.commit()
    c = login("association")
    assert "schedule.xlsx" in c.get(f"/exam-printables/?plan={room['plan']}").text
    r = c.get(f"/exam-printables/plans/{room['plan']}/schedule.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    assert "no-store" in r.headers["Cache-Control"]
    rows = _rows(r.data)
    assert rows[0] == ["场次", "考试时间", "考核站点", "考场", "座位号", "准考证号", "姓名", "证件号码", "机构",
                       "监考员", "已发布"]
    assert len(rows) == 4 and [row[4] for row in rows[1:]] == [1, 2, 3]
    second = rows[2]
    assert second[:4] == ["第一场", "2026-12-19 09:00–11:00", room["site"], room["room_name"]]
    assert second[5:] == [ticket, formula, masked, institution, "张三丰、李四光", "是"]
    cell = _sheet(r.data).cell(row=3, column=7)
    assert cell.data_type == "s" and cell.value == formula  # text, not a formula
    assert b"<f>" not in _xml(r.data)
    # no such plan: 404; a role without the printables: refused
    assert c.get("/exam-printables/plans/99999999/schedule.xlsx").status_code == 404
    assert login("expert").get(f"/exam-printables/plans/{room['plan']}/schedule.xlsx").status_code in (302, 403)


def _xml(data):
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return b"".join(z.read(name) for name in z.namelist() if name.startswith("xl/worksheets/"))


def test_schedule_details_export_keeps_each_institution_to_its_own_rooms(app, font, login):
    mine = make_room(app, "own", seats=2)
    theirs = make_room(app, "other", seats=3)
    with app.app_context():  # one plan, one session: the other institution's room joins the first plan
        for seat in db.session.query(SeatAssignment).filter_by(session_id=theirs["session"]):
            seat.session_id = mine["session"]
        db.session.commit()
    url = f"/exam-printables/plans/{mine['plan']}/schedule.xlsx"
    everything = _rows(login("association").get(url).data)
    assert len(everything) == 6 and {row[3] for row in everything[1:]} == {mine["room_name"], theirs["room_name"]}
    rows = _rows(login("institution").get(url).data)
    assert len(rows) == 3 and {row[3] for row in rows[1:]} == {mine["room_name"]}
    rows = _rows(login(second_institution_user(app)).get(url).data)
    assert len(rows) == 4 and {row[3] for row in rows[1:]} == {theirs["room_name"]}
    # a plan with none of its rooms: the headings only
    assert len(_rows(login("institution").get(f"/exam-printables/plans/{theirs['plan']}/schedule.xlsx").data)) == 1


# --- a big room is a job, not a refusal -----------------------------------------------------------
def test_a_room_over_the_page_limit_is_printed_as_a_job(app, font, login, monkeypatch):
    monkeypatch.setitem(app.config, "PRINTABLES_SYNC_MAX_PAGES", 4)
    room = make_room(app, "own", seats=5)
    c = login("institution")
    url = f"/exam-printables/{room['session']}/{room['room']}/tickets.pdf"
    index = c.get(f"/exam-printables/?plan={room['plan']}").text
    assert f'formaction="{url}"' in index  # 5 tickets > 4 pages: a button that starts the job
    assert f'href="/exam-printables/{room["session"]}/{room["room"]}/door.pdf"' in index  # 1 page: at once
    page = c.get(url)  # a GET starts nothing: it says why and offers the job
    assert page.status_code == 200 and "在后台生成" in page.text and "约 5 页" in page.text
    assert c.get(f"/exam-printables/{room['session']}/{room['room']}/desk.pdf").mimetype == "application/pdf"
    r = c.post(url, token_from=url)
    assert r.status_code == 302 and "/exam-printables/jobs/" in r.headers["Location"], r.text[:300]
    assert c.get(r.headers["Location"]).status_code == 200
    job_id = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    status = wait_for_job(c, job_id)
    assert status["status"] == "done" and status["percent"] == 100, status
    download = c.get(f"/files/{status['result']['attachment_id']}")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert len(re.findall(rb"/Type\s*/Page\b", download.data)) == 5  # the tickets only, one a page
    assert "李雪梅" in _text(download.data)
    # another institution's room cannot be sent to a job either
    theirs = make_room(app, "other", seats=5)
    assert c.post(f"/exam-printables/{theirs['session']}/{theirs['room']}/tickets.pdf",
                  token_from=url).status_code == 404
