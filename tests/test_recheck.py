"""考试成绩复核申请 (SPEC E3; seed 002 §4.2; issue 6): refused for a wrong ticket number, a closed
window, an exam that forbids it, unpublished scores, an empty reason or a second open re-check;
handled by the Association, whose changed score changes the result and tells the candidate."""
import datetime
from decimal import Decimal

import pytest

from app.extensions import db
from models import ExamPlan, ExamResult, Matter, Notification, Person
from tests.portal_helpers import candidate  # noqa: F401  (fixture)
from tests.results_helpers import give_scores, new_person, person_of_phone, sat_exam, seat


def _exam(app, allowed=True, published=True, window_days=5):
    exam = sat_exam(app)
    now = datetime.datetime.now()
    with app.app_context():
        plan = db.session.get(ExamPlan, exam["id"])
        plan.recheck_allowed = allowed
        plan.results_published_at = now - datetime.timedelta(days=1) if published else None
        plan.recheck_until = now + datetime.timedelta(days=window_days) if window_days is not None else None
        db.session.commit()
    return exam


def _file(c, exam, ticket, reason="理论成绩与预期不符"):
    return c.post("/portal/recheck", {"agreed": "1", "exam_id": str(exam["id"]), "ticket_no": ticket,
                                      "reason": reason}, token_from="/portal/recheck?agreed=1")


def _sat(app, exam, phone, theory=80, practice=50):
    reg, ticket = seat(app, exam, person_of_phone(app, phone))
    give_scores(app, reg, {exam["subjects"][0]: theory, exam["subjects"][1]: practice})
    return reg, ticket


@pytest.mark.parametrize("options, field_message", [
    ({"allowed": False}, "不允许成绩复核"),
    ({"window_days": -1}, "已截止"),
    ({"window_days": None}, "已截止"),
    ({"published": False}, "尚未发布"),
])
def test_refused_outside_the_rules(app, candidate, options, field_message):  # noqa: F811
    c, phone, _n = candidate
    exam = _exam(app, **options)
    _reg, ticket = _sat(app, exam, phone)
    r = _file(c, exam, ticket)
    assert r.status_code == 200 and field_message in r.text
    with app.app_context():
        assert db.session.query(Matter).filter_by(type_code="score_recheck", object_id=_reg).count() == 0


def test_refused_for_a_wrong_ticket_an_empty_reason_and_twice(app, candidate):  # noqa: F811
    c, phone, _n = candidate
    exam = _exam(app)
    reg, ticket = _sat(app, exam, phone)
    _other_reg, other_ticket = seat(app, exam, new_person(app))  # someone else's ticket
    for wrong in (other_ticket, "NOPE", ""):
        r = _file(c, exam, wrong)
        assert "准考证号与您在该考试中的报名不符" in r.text
    assert "请填写：复核原因" in _file(c, exam, ticket, reason="  ").text.replace("请填写: ", "请填写：")
    assert "请先阅读" in c.post("/portal/recheck", {"exam_id": str(exam["id"]), "ticket_no": ticket, "reason": "x"},
                                 token_from="/portal/recheck?agreed=1").text
    assert _file(c, exam, ticket).status_code == 302
    assert "正在办理中" in _file(c, exam, ticket).text
    with app.app_context():
        matters = db.session.query(Matter).filter_by(type_code="score_recheck", object_id=reg).all()
        assert len(matters) == 1 and matters[0].state == "association_review" and matters[0].due_date


def test_association_changes_a_score_and_the_candidate_is_told(app, candidate, login):  # noqa: F811
    c, phone, _n = candidate
    exam = _exam(app)
    reg, ticket = _sat(app, exam, phone, theory=80, practice=50)  # 65.00, fails practice
    assert "成绩复核" in c.get("/portal/me/exams").text
    assert _file(c, exam, ticket).status_code == 302
    with app.app_context():
        matter_id = db.session.query(Matter.id).filter_by(type_code="score_recheck", object_id=reg).scalar()
        user_id = db.session.query(Person.user_id).filter_by(phone=phone).scalar()
    for who in ("institution", "expert"):
        assert login(who).get(f"/scores/recheck/{matter_id}").status_code in (302, 403)
    a = login("association")
    assert "办理成绩复核" in a.get(f"/matterview/show/{matter_id}").text
    url = f"/scores/recheck/{matter_id}"
    theory, practice = exam["subjects"]
    r = a.post(url, {"decision": "change", f"s{theory}": "80", f"s{practice}": "65", "opinion": ""}, token_from=url)
    assert "请填写：意见" in r.text.replace("请填写: ", "请填写：")
    r = a.post(url, {"decision": "change", f"s{theory}": "80", f"s{practice}": "165", "opinion": "漏计一题"},
               token_from=url)
    assert "0 到 100" in r.text
    with app.app_context():
        assert db.session.get(Matter, matter_id).state == "association_review"
    r = a.post(url, {"decision": "change", f"s{theory}": "80", f"s{practice}": "65",
                     "opinion": "实操漏计15分，予以更正。"}, token_from=url)
    assert r.status_code == 302
    with app.app_context():
        result = db.session.query(ExamResult).filter_by(registration_id=reg).one()
        assert (result.total, result.passed) == (Decimal("72.50"), True)
        assert db.session.get(Matter, matter_id).status == "completed"
        told = db.session.query(Notification).filter_by(user_id=user_id).order_by(Notification.id.desc()).first()
        assert "更正" in told.title and "72.50" in told.body and "65.00" in told.body
    assert "72.50" in c.get(f"/portal/scores?rid={reg}").text
    status = c.get("/portal/status").text  # 状态查看 lists the re-check with its outcome and the way to the scores
    assert "成绩复核：" in status and "已完结" in status and f"/portal/scores?rid={reg}" in status


def test_keeping_the_scores_completes_without_changes(app, candidate, login):  # noqa: F811
    c, phone, _n = candidate
    exam = _exam(app)
    reg, ticket = _sat(app, exam, phone)
    assert _file(c, exam, ticket).status_code == 302
    with app.app_context():
        matter_id = db.session.query(Matter.id).filter_by(type_code="score_recheck", object_id=reg).scalar()
    a = login("association")
    url = f"/scores/recheck/{matter_id}"
    theory, practice = exam["subjects"]
    r = a.post(url, {"decision": "keep", f"s{theory}": "99", f"s{practice}": "99", "opinion": "经复核，维持原成绩。"},
               token_from=url)
    assert r.status_code == 302
    with app.app_context():
        assert db.session.query(ExamResult).filter_by(registration_id=reg).one().total == Decimal("65.00")
        assert db.session.get(Matter, matter_id).status == "completed"
