"""I5 公开查询 (issue 14): the public query hall — certificate, training certificate, qualification, exam,
teacher and training-plan look-ups over HTTP without logging in, each with the real image code; only
public fields, ID numbers masked, an unknown key answered exactly like a wrong name; the JSON twins; the
per-IP limit shared with the certificate check (E5)."""
import datetime
import html
import itertools
import re
import uuid
from decimal import Decimal

import pytest

from app.extensions import db
from models import (
    Certificate,
    Course,
    CourseCategory,
    CourseTeacher,
    ExamPlan,
    Institution,
    Person,
    TeacherCategory,
    TrainingPlan,
    TrainingPlanCourse,
    TrainingRecord,
)
from tests.conftest import Client
from tests.portal_helpers import captcha_answer, new_id_number, new_phone
from tests.results_helpers import issued_certificate, sat_exam

_seq = itertools.count(1)


def _tag():
    return f"{next(_seq)}{uuid.uuid4().hex[:6].upper()}"


@pytest.fixture(scope="module")
def exam(app):
    return sat_exam(app)


def _person(name, teacher=False):
    number = new_id_number()
    person = Person(name=name, id_type="resident", phone=new_phone(), source="social", is_teacher=teacher,
                    email=f"q{uuid.uuid4().hex[:8]}@example.org")
    person.set_id_number(number)
    db.session.add(person)
    db.session.flush()
    return person, number


def _institution():
    return db.session.query(Institution).order_by(Institution.id).first()


def _category(tag):
    top = CourseCategory(name=f"查询基础{tag}", level=1)
    middle = CourseCategory(name=f"查询认证{tag}", level=2, parent=top)
    leaf = CourseCategory(name=f"查询守则{tag}", level=3, parent=middle)
    db.session.add_all([top, middle, leaf])
    db.session.flush()
    return leaf


def _course(institution, category, tag, status="filed", name=None):
    course = Course(institution_id=institution.id, category_id=category.id, name=name or f"查询课程{tag}",
                    hours=Decimal("8.0"), status=status, filing_no=f"KC{tag}" if status == "filed" else None,
                    filed_at=datetime.datetime.now() if status == "filed" else None,
                    valid_from=datetime.date(2026, 1, 1), valid_until=datetime.date(2029, 12, 31))
    db.session.add(course)
    db.session.flush()
    return course


def _plan(institution, course, tag, status):
    plan = TrainingPlan(plan_no=f"BQ{tag}-{status[:3]}", institution_id=institution.id, course_id=course.id,
                        title=f"查询培训计划{tag}{status}", start_date=datetime.date(2026, 3, 1),
                        end_date=datetime.date(2026, 3, 3), location="北京市朝阳区培训楼", capacity=40, status=status)
    plan.courses = [TrainingPlanCourse(course_id=course.id)]
    db.session.add(plan)
    db.session.flush()
    return plan


@pytest.fixture(scope="module")
def rows(app, exam):
    """I5 preconditions: a training record with a certificate number, a teacher with an approved and a
    returned binding, filed/unfiled courses with agreed/disagreed teachers, plans in several statuses,
    published/unpublished exams, and a certified person with a certificate."""
    tag = _tag()
    holder_name = f"钱资格{tag}"
    from tests.results_helpers import new_person

    holder_id = new_person(app, name=holder_name)
    cert_id = issued_certificate(app, holder_id, exam=exam)
    with app.app_context():
        institution = _institution()
        category = _category(tag)
        other_category = _category(tag + "B")
        teacher, teacher_number = _person(f"孙老师{tag}", teacher=True)
        plain, plain_number = _person(f"周学员{tag}")
        db.session.add_all([TeacherCategory(person_id=teacher.id, category_id=category.id, status="approved"),
                            TeacherCategory(person_id=teacher.id, category_id=other_category.id, status="returned")])
        filed = _course(institution, category, tag)
        unfiled = _course(institution, category, tag + "U", status="reviewing", name=f"未备案课程{tag}")
        declined = _course(institution, category, tag + "D", name=f"拒绝课程{tag}")
        db.session.add_all([CourseTeacher(course_id=filed.id, person_id=teacher.id, confirm="agreed"),
                            CourseTeacher(course_id=unfiled.id, person_id=teacher.id, confirm="agreed"),
                            CourseTeacher(course_id=declined.id, person_id=teacher.id, confirm="disagreed")])
        plans = {status: _plan(institution, filed, tag, status).plan_no
                 for status in ("approved", "finished", "terminated", "draft", "reviewing", "confirming")}
        finished = db.session.query(TrainingPlan).filter_by(plan_no=plans["finished"]).one()
        record = TrainingRecord(person_id=plain.id, institution_id=institution.id, plan_id=finished.id,
                                certificate_no=f"{finished.plan_no}-001", course_name=filed.name,
                                start_date=finished.start_date, end_date=finished.end_date, hours=Decimal("16.0"),
                                category=category.path)
        db.session.add(record)
        now = datetime.datetime(2031, 5, 10, 9, 0)
        exam_word = f"查询考试{tag}"
        for name, published in ((f"{exam_word}甲", True), (f"{exam_word}乙（未发布）", False)):
            db.session.add(ExamPlan(name=name, reg_start=now - datetime.timedelta(days=30),
                                    reg_end=now - datetime.timedelta(days=10), exam_start=now,
                                    exam_end=now + datetime.timedelta(hours=3), published=published,
                                    certificate_type_id=db.session.get(Certificate, cert_id).certificate_type_id))
        db.session.commit()
        cert = db.session.get(Certificate, cert_id)
        holder = db.session.get(Person, holder_id)
        return {
            "tag": tag, "institution": institution.name, "category": category.path,
            "other_category": other_category.path,
            "teacher": {"name": teacher.name, "number": teacher_number, "masked": teacher.id_number_masked,
                        "phone": teacher.phone, "email": teacher.email},
            "trainee": {"name": plain.name, "number": plain_number, "masked": plain.id_number_masked,
                        "phone": plain.phone, "email": plain.email},
            "holder": {"name": holder_name, "number": holder.full_id_number(), "masked": cert.holder_id_masked,
                       "phone": holder.phone, "serial": cert.serial, "cert_name": cert.certificate_type.name},
            "course": filed.name, "filing_no": filed.filing_no, "unfiled": unfiled.name, "declined": declined.name,
            "plans": plans, "training_no": record.certificate_no, "exam_word": exam_word,
        }


def _ask(c, kind, data, captcha=None):
    c.get(f"/query/{kind}")
    data = dict(data, captcha=captcha if captcha is not None else captcha_answer(c))
    return c.post(f"/query/{kind}", data)


def _message(text):
    match = re.search(r'<div class="alert alert-danger">(.*?)</div>', text, re.S)
    return match.group(1).strip() if match else None


def _secret_free(text, person):
    for secret in (person["number"], person["phone"], person.get("email")):
        if secret:
            assert secret not in text


def _same_not_found(c, kind, wrong, unknown, message):
    """A wrong name and an unknown key get the same status and the same message (I5)."""
    first, second = _ask(c, kind, wrong), _ask(c, kind, unknown)
    assert first.status_code == second.status_code == 200
    assert _message(first.text) == _message(second.text) == message
    return first


def test_hall_lists_six_queries_without_login(app):
    """I5: one hall, no login, six queries, reachable from the portal's menu and home."""
    c = Client(app)
    hall = c.get("/query/")
    assert hall.status_code == 200
    for title in ("信息查询", "证书查询", "培训证书查询", "职业资格查询", "考试查询", "教师信息查询", "培训计划查询"):
        assert title in hall.text
    for kind in ("certificate", "training", "qualification", "exam", "teacher", "plan"):
        assert f'href="/query/{kind}"' in hall.text
        page = c.get(f"/query/{kind}")
        assert page.status_code == 200 and "图形验证码" in page.text and 'name="captcha"' in page.text
    assert 'name="viewport"' in hall.text  # the portal layout (phone width)
    home = c.get("/portal/")
    assert 'href="/query/"' in home.text and "信息查询" in home.text and 'href="/query/plan"' in home.text
    assert 'href="/query/"' in c.get("/verify/").text
    assert c.get("/query/nonsense").status_code == 404


def test_certificate_query_is_the_e5_result(app, rows):
    """I5 1. 证书查询: number + name → E5's own result; wrong name like unknown number."""
    h = rows["holder"]
    c = Client(app)
    r = _ask(c, "certificate", {"serial": h["serial"], "name": h["name"]})
    assert r.status_code == 200 and "证书查询结果" in r.text
    assert h["serial"] in r.text and h["masked"] in r.text and "有效" in r.text
    _secret_free(r.text, h)
    _same_not_found(c, "certificate", {"serial": h["serial"], "name": h["name"] + "二"},
                    {"serial": "NOPE-" + rows["tag"], "name": h["name"]},
                    "未查询到证书，请核对证书编号和持证人姓名。")
    # the home page's box leads here with the fields filled in
    page = c.get("/query/certificate", query_string={"serial": h["serial"], "name": h["name"]})
    assert f'value="{h["serial"]}"' in page.text and h["masked"] not in page.text


def test_training_certificate_query(app, rows):
    """I5 2. 培训证书查询: the record written when a plan finished; masked ID, no other personal data."""
    t = rows["trainee"]
    c = Client(app)
    r = _ask(c, "training", {"certificate_no": rows["training_no"], "name": t["name"]})
    assert r.status_code == 200
    for shown in (rows["training_no"], t["name"], t["masked"], rows["course"], "2026-03-01", "2026-03-03", "16",
                  html.escape(rows["category"]), rows["institution"], rows["plans"]["finished"], "培训证书查询"):
        assert shown in r.text
    _secret_free(r.text, t)
    wrong = _same_not_found(c, "training", {"certificate_no": rows["training_no"], "name": t["name"][:-1]},
                            {"certificate_no": rows["training_no"] + "9", "name": t["name"]},
                            "未查询到培训证书，请核对培训证书编号和姓名。")
    assert t["masked"] not in wrong.text


def test_qualification_query_lists_the_holders_certificates(app, rows):
    """I5 3. 职业资格查询: name + one certificate number → that person's certificates, public facts only."""
    h = rows["holder"]
    c = Client(app)
    r = _ask(c, "qualification", {"name": h["name"], "serial": h["serial"]})
    assert r.status_code == 200
    for shown in (h["serial"], h["cert_name"], "有效", h["masked"], "职业资格查询"):
        assert shown in r.text
    _secret_free(r.text, h)
    _same_not_found(c, "qualification", {"name": h["name"] + "二", "serial": h["serial"]},
                    {"name": h["name"], "serial": "NOPE-" + rows["tag"]},
                    "未查询到证书，请核对证书编号和持证人姓名。")


def test_exam_query_shows_published_exams_only(app, rows):
    """I5 4. 考试查询: published exams by name keyword and year; an empty result says so."""
    c = Client(app)
    r = _ask(c, "exam", {"keyword": rows["exam_word"], "year": "2031"})
    assert r.status_code == 200
    assert rows["exam_word"] + "甲" in r.text and "未发布" not in r.text
    assert "2031-05-10 09:00" in r.text and "2031-04-10" in r.text  # exam time, registration window
    none = "没有符合条件的已发布考试。"
    assert _message(_ask(c, "exam", {"keyword": rows["exam_word"], "year": "2030"}).text) == none
    # a LIKE wildcard is a plain character
    assert _message(_ask(c, "exam", {"keyword": "%", "year": ""}).text) == none
    assert "请填写考试名称关键字或年度" in _ask(c, "exam", {"keyword": "", "year": ""}).text
    assert "年度请填写四位数字" in _message_or_help(_ask(c, "exam", {"keyword": "", "year": "20x1"}).text)


def _message_or_help(text):
    return _message(text) or " ".join(re.findall(r'<span class="help-block">(.*?)</span>', text, re.S))


def test_teacher_query(app, rows):
    """I5 5. 教师信息查询: name + ID number → approved categories and agreed filed courses only."""
    t = rows["teacher"]
    c = Client(app)
    r = _ask(c, "teacher", {"name": t["name"], "id_number": t["number"]})
    assert r.status_code == 200
    for shown in (t["name"], t["masked"], html.escape(rows["category"]), rows["course"], rows["filing_no"],
                  rows["institution"]):
        assert shown in r.text
    for hidden in (html.escape(rows["other_category"]), rows["unfiled"], rows["declined"]):
        assert hidden not in r.text
    _secret_free(r.text, t)
    message = "未查询到教师，请核对姓名和证件号码。"
    _same_not_found(c, "teacher", {"name": t["name"] + "二", "id_number": t["number"]},
                    {"name": t["name"], "id_number": new_id_number()}, message)
    # a person who is not a teacher is not found either
    trainee = rows["trainee"]
    assert _message(_ask(c, "teacher", {"name": trainee["name"], "id_number": trainee["number"]}).text) == message


def test_plan_query_shows_approved_plans_only(app, rows):
    """I5 6. 培训计划查询: approved, finished and terminated plans; drafts and plans under review are
    answered like an unknown number."""
    c = Client(app)
    for status, label in (("approved", "审核通过"), ("finished", "已结束"), ("terminated", "已终止")):
        r = _ask(c, "plan", {"plan_no": rows["plans"][status]})
        assert r.status_code == 200, status
        for shown in (rows["plans"][status], label, rows["course"], rows["institution"], "2026-03-01",
                      "北京市朝阳区培训楼", "40"):
            assert shown in r.text
    message = "未查询到培训计划，请核对培训编号。"
    for status in ("draft", "reviewing", "confirming"):
        r = _ask(c, "plan", {"plan_no": rows["plans"][status]})
        assert r.status_code == 200 and _message(r.text) == message
    assert _message(_ask(c, "plan", {"plan_no": "BQ-NOPE-" + rows["tag"]}).text) == message


def test_bad_input_is_named(app, rows):
    """I5: a missing field, a wrong image code and a too long value are answered in Chinese, naming the field."""
    t = rows["teacher"]
    c = Client(app)
    wrong_code = _ask(c, "teacher", {"name": t["name"], "id_number": t["number"]}, captcha="0000")
    assert wrong_code.status_code == 200 and "图形验证码错误" in wrong_code.text and t["masked"] not in wrong_code.text
    assert "请填写姓名" in _ask(c, "teacher", {"name": "", "id_number": t["number"]}).text
    assert "请填写证件号码" in _ask(c, "teacher", {"name": t["name"], "id_number": ""}).text
    too_long = _ask(c, "plan", {"plan_no": "B" * 300})
    assert too_long.status_code == 200 and "培训编号" in too_long.text and "32" in too_long.text
    assert "B" * 201 not in too_long.text
    # the image code is single use
    c.get("/query/plan")
    answer = captcha_answer(c)
    assert rows["plans"]["approved"] in c.post("/query/plan", {"plan_no": rows["plans"]["approved"],
                                                               "captcha": answer}).text
    again = c.post("/query/plan", {"plan_no": rows["plans"]["approved"], "captcha": answer})
    assert "图形验证码" in again.text and "北京市朝阳区培训楼" not in again.text


def test_json_twins(app, rows):
    """I5: GET /query/api/<kind> without an image code; 400 naming the missing key, 404 {found: false},
    no-store, the same fields as the page and never the full ID number."""
    http = Client(app).http
    t, trainee, h = rows["teacher"], rows["trainee"], rows["holder"]
    cases = {
        "certificate": ({"serial": h["serial"], "name": h["name"]}, {"serial": h["serial"], "name": "某人"}),
        "training": ({"certificate_no": rows["training_no"], "name": trainee["name"]},
                     {"certificate_no": rows["training_no"], "name": "某人"}),
        "qualification": ({"serial": h["serial"], "name": h["name"]}, {"serial": "NOPE", "name": h["name"]}),
        "exam": ({"keyword": rows["exam_word"]}, {"keyword": rows["exam_word"], "year": "1999"}),
        "teacher": ({"name": t["name"], "id_number": t["number"]}, {"name": "某人", "id_number": t["number"]}),
        "plan": ({"plan_no": rows["plans"]["approved"]}, {"plan_no": rows["plans"]["draft"]}),
    }
    for kind, (found, missing) in cases.items():
        r = http.get(f"/query/api/{kind}", query_string=found)
        assert r.status_code == 200 and r.json["found"] is True, kind
        assert r.headers["Cache-Control"] == "no-store"
        for person in (t, trainee, h):
            assert person["number"] not in r.text and person["phone"] not in r.text
        r = http.get(f"/query/api/{kind}", query_string=missing)
        assert r.status_code == 404 and r.json == {"found": False}, kind
        assert r.headers["Cache-Control"] == "no-store"
        assert http.get(f"/query/api/{kind}").status_code == 400
    teacher = http.get("/query/api/teacher", query_string=cases["teacher"][0]).json
    assert teacher["id_number"] == t["masked"] and teacher["categories"] == [rows["category"]]
    assert [c["name"] for c in teacher["courses"]] == [rows["course"]]
    assert set(teacher) == {"found", "name", "id_number", "categories", "courses"}
    plan = http.get("/query/api/plan", query_string=cases["plan"][0]).json
    assert plan["status"] == "approved" and plan["capacity"] == 40 and plan["courses"][0]["name"] == rows["course"]
    exams = http.get("/query/api/exam", query_string=cases["exam"][0]).json["exams"]
    assert [e["name"] for e in exams] == [rows["exam_word"] + "甲"]
    cert = http.get("/query/api/certificate", query_string=cases["certificate"][0]).json
    assert cert == http.get("/verify/api", query_string=cases["certificate"][0]).json
    missing = http.get("/query/api/teacher", query_string={"name": t["name"]})
    assert missing.status_code == 400 and missing.json["found"] is False and "证件号码" in missing.json["message"]
    assert http.get("/query/api/nonsense").status_code == 404


def test_hall_and_verify_share_one_rate_limit(app, rows, monkeypatch):
    """I5: the hall's lookups (form POSTs, JSON GETs) and /verify/api spend one per-IP budget; showing a
    form does not count; the 429 answer is in Chinese."""
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "4 per minute")
    c = Client(app)
    for _ in range(3):
        assert c.get("/query/plan").status_code == 200
        assert c.get("/query/").status_code == 200
    h = rows["holder"]
    assert c.get("/query/api/plan", query_string={"plan_no": rows["plans"]["approved"]}).status_code == 200
    assert c.get("/verify/api", query_string={"serial": h["serial"], "name": h["name"]}).status_code == 200
    assert _ask(c, "plan", {"plan_no": rows["plans"]["approved"]}).status_code == 200
    assert c.get("/query/api/exam", query_string={"keyword": rows["exam_word"]}).status_code == 200
    limited = c.get("/query/api/teacher", query_string={"name": "某人", "id_number": "1"})
    assert limited.status_code == 429 and limited.json["found"] is False and "查询次数过多" in limited.json["message"]
    assert c.get("/verify/api", query_string={"serial": h["serial"], "name": h["name"]}).status_code == 429
    page = _ask(c, "plan", {"plan_no": rows["plans"]["approved"]})
    assert page.status_code == 429 and "查询次数过多" in page.text
    # another address is not affected
    assert Client(app).get("/query/api/plan", query_string={"plan_no": rows["plans"]["approved"]}).status_code == 200


def test_hall_reads_in_english(app, rows):
    """I5: the hall follows the chosen language."""
    c = Client(app)
    c.get("/lang/en")
    hall = c.get("/query/")
    assert "Information query" in hall.text and "Training plan query" in hall.text and "培训计划查询" not in hall.text
    r = _ask(c, "plan", {"plan_no": rows["plans"]["approved"]})
    assert "Training number" in r.text and "Approved" in r.text
