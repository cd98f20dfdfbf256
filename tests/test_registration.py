"""Exam registration end to end through HTTP (SPEC B1–B14)."""
import datetime
import io

import pytest

from app.extensions import db
from models import ExamSite, Matter, Order, Registration
from tests.registration_helpers import (
    EDUCATION,
    WORK,
    decide,
    fill,
    make_exam,
    pdf_bytes,
    photo,
    registration,
    start,
    submit,
)


def seats_taken(app, exam_site_id):
    with app.app_context():
        return db.session.get(ExamSite, exam_site_id).seats_taken


def test_catalogue_filters_and_detail(app, client):
    """B1/B2: list by status, category and level; detail with the steps; 去报名 asks for login."""
    exam = make_exam(app)
    page = client.get("/portal/exams?status=open&category=vocational")
    assert page.status_code == 200 and "报名中" in page.text
    detail = client.get(f"/portal/exams/{exam['id']}")
    assert "理论 50%" in detail.text and "个工作日内" in detail.text
    r = client.get(f"/portal/exams/{exam['id']}/apply")
    assert r.status_code == 302 and "/portal/login" in r.headers["Location"]


def test_declining_the_pledge_returns_to_the_list(app, candidate):
    c, _phone, _number = candidate
    exam = make_exam(app)
    r = c.post(f"/portal/exams/{exam['id']}/pledge", {"decision": "decline"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/portal/exams")
    with app.app_context():
        assert db.session.query(Registration).filter_by(exam_plan_id=exam["id"]).count() == 0


def test_first_time_approval(app, candidate, login):
    """B3–B7: the whole wizard, submission, a matter with a due date, approval, an order (C1)."""
    c, _phone, _number = candidate
    exam = make_exam(app)
    rid = fill(c, exam)
    # drafts resume where they stopped
    resume = c.get(f"/portal/exams/{exam['id']}/apply")
    assert resume.status_code == 302 and resume.headers["Location"].endswith(f"/portal/registrations/{rid}/confirm")
    confirm = c.get(f"/portal/registrations/{rid}/confirm")
    assert "已填写" in confirm.text
    r = submit(c, rid)
    assert r.status_code == 302, r.text[:2000]
    reg = registration(app, rid)
    assert reg.status == "submitted" and reg.seat_held and reg.net_no
    assert seats_taken(app, exam["sites"][0]) == 1
    with app.app_context():
        matter = db.session.get(Matter, reg.matter_id)
        assert matter.type_code == "exam_registration" and matter.due_date is not None
    assoc = login("association")
    queue = assoc.get("/registration-review/")
    assert reg.net_no in queue.text
    review = assoc.get(f"/registration-review/{rid}")
    assert review.status_code == 200 and "北京工业大学" in review.text
    assert decide(assoc, rid, "approve").status_code == 302
    reg = registration(app, rid)
    assert reg.status == "approved" and reg.locked
    with app.app_context():
        order = db.session.query(Order).filter_by(registration_id=rid).one()
        assert order.status == "unpaid" and order.amount == 380
    # approved data is locked
    r = c.post(f"/portal/registrations/{rid}/section/work", WORK)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/portal/registrations/{rid}")


def test_returned_twice_then_approved(app, candidate, login):
    """B7: return with reasons per section, the candidate sees them, edits and resubmits; twice."""
    c, _phone, _number = candidate
    exam = make_exam(app)
    rid = fill(c, exam)
    assert submit(c, rid).status_code == 302
    assoc = login("association")
    # a return needs at least one reason
    assert decide(assoc, rid, "return").status_code == 302
    assert registration(app, rid).status == "submitted"
    assert decide(assoc, rid, "start_review").status_code == 302
    assert registration(app, rid).status == "reviewing"
    # once review started the candidate can no longer withdraw
    c.post(f"/portal/registrations/{rid}/act", {"action": "withdraw"})
    assert registration(app, rid).status == "reviewing"
    assert decide(assoc, rid, "return", reason_work="请补充工作证明。").status_code == 302
    reg = registration(app, rid)
    assert reg.status == "returned" and reg.return_reasons == {"work": "请补充工作证明。"} and reg.seat_held
    page = c.get(f"/portal/registrations/{rid}")
    assert "请补充工作证明。" in page.text and "每次退回都会延长审核时间" in page.text
    assert c.post(f"/portal/registrations/{rid}/section/work",
                  {**WORK, "employer": "上海测试公司", "start_month": "2010-01"}).status_code == 302
    assert submit(c, rid).status_code == 302
    assert registration(app, rid).status == "submitted"
    assert decide(assoc, rid, "return", reason_photo="照片背景不符合要求。").status_code == 302
    assert c.post(f"/portal/registrations/{rid}/photo", {"photo": (io.BytesIO(photo((300, 420))), "new.jpg")},
                  token_from=f"/portal/registrations/{rid}/photo").status_code == 302
    assert submit(c, rid).status_code == 302
    assert decide(assoc, rid, "approve").status_code == 302
    reg = registration(app, rid)
    assert reg.status == "approved"
    with app.app_context():
        history = [h.transition for h in db.session.get(Matter, reg.matter_id).history]
    assert history == ["submit", "start_review", "return", "resubmit", "return", "resubmit", "approve"]
    assert seats_taken(app, exam["sites"][0]) == 1


def test_make_up_registration_takes_only_the_chosen_subjects(app, candidate, login):
    """B5: make-up candidates choose the subjects to retake and give the last exam date."""
    c, _phone, _number = candidate
    exam = make_exam(app)
    rid = start(c, exam)
    base = f"/portal/registrations/{rid}"
    # no subjects chosen: refused, naming the field
    r = c.post(f"{base}/application", {"category": "makeup_first", "exam_site_id": exam["sites"][0],
                                       "city": "北京市", "last_exam_date": "2026-05-10"})
    assert r.status_code == 200 and "请选择补考科目" in r.text
    r = c.post(f"{base}/application", {"category": "makeup_first", "exam_site_id": exam["sites"][0], "city": "北京市",
                                       "subjects": [str(exam["subjects"][1])]})
    assert "请填写上次考试日期" in r.text
    rid2 = fill(c, exam, category="makeup_first", subjects=[exam["subjects"][1]], last_exam_date="2026-05-10")
    assert rid2 == rid
    assert submit(c, rid).status_code == 302
    with app.app_context():
        reg = db.session.get(Registration, rid)
        assert [s.subject.name for s in reg.subjects] == ["实操"]
        assert reg.last_exam_date == datetime.date(2026, 5, 10)
    page = c.get("/portal/me/exams")
    assert "实操 50%" in page.text and "理论 50%" not in page.text


@pytest.mark.parametrize("section, data, message", [
    ("education", {**EDUCATION, "graduation_month": "2099-07"}, "不能晚于当前月份"),
    ("education", {**EDUCATION, "graduation_month": f"{datetime.date.today().year - 81}-01"}, "不能早于80年前"),
    ("education", {**EDUCATION, "graduation_month": "2014/07"}, "YYYY-MM"),
    ("education", {**EDUCATION, "school": ""}, "请填写院校名称"),
    ("work", {**WORK, "years_in_occupation": "51"}, "0到50之间的整数"),
    ("work", {**WORK, "years_in_occupation": "-1"}, "0到50之间的整数"),
])
def test_bad_rows_are_refused_and_nothing_is_stored(app, candidate, section, data, message):
    c, _phone, _number = candidate
    exam = make_exam(app)
    rid = start(c, exam)
    r = c.post(f"/portal/registrations/{rid}/section/{section}", data)
    assert r.status_code == 200 and message in r.text
    assert "has-error" in r.text
    with app.app_context():
        reg = db.session.get(Registration, rid)
        assert not reg.educations and not reg.works


@pytest.mark.parametrize("upload, message", [
    (pdf_bytes(2 * 1024 * 1024 + 10), "超过2 MB"),
    (b"GIF89a" + b"0" * 100, "只能是JPG图片或PDF文件"),
])
def test_attachments_are_checked(app, candidate, upload, message):
    c, _phone, _number = candidate
    exam = make_exam(app)
    rid = start(c, exam)
    url = f"/portal/registrations/{rid}/section/education"
    r = c.post(url, {**EDUCATION, "attachment": (io.BytesIO(upload), "degree.pdf")}, token_from=url)
    assert r.status_code == 200 and message in r.text
    with app.app_context():
        assert not db.session.get(Registration, rid).educations
    ok = c.post(url, {**EDUCATION, "attachment": (io.BytesIO(pdf_bytes()), "degree.pdf")}, token_from=url)
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.get(Registration, rid).educations[0].document_id


def test_submitting_with_a_required_section_missing(app, candidate):
    c, _phone, _number = candidate
    exam = make_exam(app, sections=("basic", "education", "work", "continuing"))
    rid = fill(c, exam, work=False)
    r = submit(c, rid)
    assert r.status_code == 200 and "“主要工作简历”为必填栏目" in r.text
    reg = registration(app, rid)
    assert reg.status == "draft" and not reg.seat_held and reg.matter_id is None
    assert seats_taken(app, exam["sites"][0]) == 0


def test_eligibility_rules_name_the_failing_rule(app, candidate, login):
    """B13: rules checked at submission; the failing one is named; reviewers see which passed."""
    c, _phone, _number = candidate
    exam = make_exam(app, rules=[("学历：本科及以上", "education_level", {"min": "bachelor"}),
                                 ("从业年限：10年及以上", "work_years", {"min": 10})])
    rid = fill(c, exam)
    r = submit(c, rid)
    assert "资格验证未通过：从业年限：10年及以上" in r.text and "从业年限：8年" in r.text
    reg = registration(app, rid)
    assert reg.status == "draft" and reg.eligibility_report is None and not reg.seat_held
    c.post(f"/portal/registrations/{rid}/section/work", {**WORK, "employer": "第二家公司", "start_month": "2005-01",
                                                         "end_month": "2014-07", "years_in_occupation": "5"})
    assert submit(c, rid).status_code == 302
    reg = registration(app, rid)
    assert [r["passed"] for r in reg.eligibility_report] == [True, True]
    review = login("association").get(f"/registration-review/{rid}")
    assert "学历：本科及以上" in review.text and "fa-check" in review.text


def test_outside_the_window_and_second_active_registration(app, candidate):
    c, _phone, _number = candidate
    closed = make_exam(app, opens=-30, closes=-1)
    r = c.post(f"/portal/exams/{closed['id']}/pledge", {"decision": "accept"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.query(Registration).filter_by(exam_plan_id=closed["id"]).count() == 0
    # a draft whose window closed before submission is refused at submission
    exam = make_exam(app)
    rid = fill(c, exam)
    with app.app_context():
        from models import ExamPlan

        plan = db.session.get(ExamPlan, exam["id"])
        plan.reg_end = datetime.datetime.now() - datetime.timedelta(minutes=1)
        plan.reg_start = plan.reg_end - datetime.timedelta(days=5)
        db.session.commit()
    r = submit(c, rid)
    assert "当前不在报名时间内" in r.text
    assert registration(app, rid).status == "draft"
    # one active registration per exam: the pledge again resumes the same one
    exam2 = make_exam(app)
    first = start(c, exam2)
    r = c.post(f"/portal/exams/{exam2['id']}/pledge", {"decision": "accept"})
    assert r.headers["Location"].endswith(f"/portal/registrations/{first}/personal")
    with app.app_context():
        assert db.session.query(Registration).filter_by(exam_plan_id=exam2["id"]).count() == 1
        # and the database refuses a second active row whatever the code does
        from sqlalchemy.exc import IntegrityError

        reg = db.session.get(Registration, first)
        db.session.add(Registration(exam_plan_id=reg.exam_plan_id, person_id=reg.person_id, status="draft"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_withdraw_delete_and_give_up(app, candidate):
    """B7/B8/B12: withdraw before review (back to draft, seat back), delete, give up and register again."""
    c, _phone, _number = candidate
    exam = make_exam(app, quota=1)
    rid = fill(c, exam)
    assert submit(c, rid).status_code == 302
    assert seats_taken(app, exam["sites"][0]) == 1
    c.post(f"/portal/registrations/{rid}/act", {"action": "withdraw"})
    reg = registration(app, rid)
    assert reg.status == "draft" and not reg.seat_held
    assert seats_taken(app, exam["sites"][0]) == 0
    assert submit(c, rid).status_code == 302
    c.post(f"/portal/registrations/{rid}/act", {"action": "give_up"})
    assert registration(app, rid).status == "given_up"
    assert seats_taken(app, exam["sites"][0]) == 0
    # register again inside the window: a new application
    rid2 = fill(c, exam)
    assert rid2 != rid
    assert submit(c, rid2).status_code == 302
    c.post(f"/portal/registrations/{rid2}/act", {"action": "delete"})
    with app.app_context():
        assert db.session.get(Registration, rid2) is None
    assert seats_taken(app, exam["sites"][0]) == 0


def test_a_full_site_is_refused(app, candidate):
    c, _phone, _number = candidate
    exam = make_exam(app, quota=1)
    with app.app_context():
        site = db.session.get(ExamSite, exam["sites"][0])
        site.seats_taken = 1
        db.session.commit()
    rid = start(c, exam)
    r = c.post(f"/portal/registrations/{rid}/application", {"category": "first", "exam_site_id": exam["sites"][0],
                                                             "city": "北京市"})
    assert "已无剩余名额" in r.text


def test_registration_change_moves_the_seat(app, candidate, login):
    """B14: another site, reviewed like a registration; the quota moves on approval."""
    c, _phone, _number = candidate
    exam = make_exam(app)
    rid = fill(c, exam)
    submit(c, rid)
    assoc = login("association")
    decide(assoc, rid, "approve")
    r = c.post(f"/portal/registrations/{rid}/change", {"exam_site_id": exam["sites"][1],
                                                        "subjects": [str(s) for s in exam["subjects"]]})
    assert "请填写原因" in r.text
    r = c.post(f"/portal/registrations/{rid}/change", {"exam_site_id": exam["sites"][1], "reason": "工作调动",
                                                        "subjects": [str(s) for s in exam["subjects"]]})
    assert r.status_code == 302
    assert seats_taken(app, exam["sites"][0]) == 1 and seats_taken(app, exam["sites"][1]) == 0
    with app.app_context():
        change = db.session.query(Matter).filter_by(type_code="registration_change", object_id=rid).one()
        change_id = change.id
    r = assoc.post("/matterview/transition/approve", {"ids": str(change_id)})
    assert r.status_code == 302
    reg = registration(app, rid)
    assert reg.exam_site_id == exam["sites"][1]
    assert seats_taken(app, exam["sites"][0]) == 0 and seats_taken(app, exam["sites"][1]) == 1


def test_another_candidate_never_reaches_a_registration(app, candidate, login):
    c, _phone, _number = candidate
    exam = make_exam(app)
    rid = fill(c, exam)
    from tests.conftest import Client
    from tests.portal_helpers import complete, new_id_number, new_phone, register

    intruder = Client(app)
    assert register(intruder, new_phone()).status_code == 302
    assert complete(intruder, id_number=new_id_number()).status_code == 302
    for url in (f"/portal/registrations/{rid}", f"/portal/registrations/{rid}/personal",
                f"/portal/registrations/{rid}/section/education", f"/portal/registrations/{rid}/change"):
        assert intruder.get(url).status_code == 404
    assert intruder.post(f"/portal/registrations/{rid}/act", {"action": "delete"},
                         token_from="/portal/me/edit").status_code == 404
    assert intruder.post(f"/portal/registrations/{rid}/confirm", {},
                         token_from="/portal/me/edit").status_code == 404
    assert registration(app, rid).status == "draft"
    # candidates never reach the review screens
    assert c.get("/registration-review/").status_code in (302, 403)


def test_institution_reviews_only_its_own_sites(app, candidate, login):
    """The exam says the site institution reviews: its users see and decide only their sites' rows."""
    c, _phone, _number = candidate
    exam = make_exam(app, reviewer="institution")
    own = fill(c, exam, site=0)  # the demo institution user's institution owns site 0
    submit(c, own)
    inst = login("institution")
    assert inst.get(f"/registration-review/{own}").status_code == 200
    assert decide(inst, own, "approve").status_code == 302
    assert registration(app, own).status == "approved"
    # the other institution's site: not found for this institution user
    from tests.conftest import Client
    from tests.portal_helpers import complete, new_id_number, new_phone, register

    other = Client(app)
    register(other, new_phone())
    complete(other, id_number=new_id_number())
    theirs = fill(other, exam, site=1)
    submit(other, theirs)
    assert inst.get(f"/registration-review/{theirs}").status_code == 404
    assert decide(inst, theirs, "approve").status_code == 404
    assert registration(app, theirs).status == "submitted"
    assert registration(app, theirs).net_no not in inst.get("/registration-review/").text
    # an exam reviewed by the Association: the institution may look but not decide
    assoc_exam = make_exam(app)
    rid = fill(c, assoc_exam, site=0)
    submit(c, rid)
    decide(inst, rid, "approve")
    assert registration(app, rid).status == "submitted"


def _plan_form(name, subjects):
    return {"name": name, "category": "vocational", "level": "junior", "exam_start": "2027-03-01 09:00:00",
            "exam_end": "2027-03-01 12:00:00", "location": "各考核站点", "fee": "300",
            "reg_start": "2027-01-01 00:00:00",
            "reg_end": "2027-02-01 00:00:00", "subjects_text": subjects, "sections_field": ["education", "work"],
            "categories_field": ["first", "makeup_first"], "photo_size": "295x413", "photo_background": "white",
            "review_workdays": "5", "reviewer": "association", "published": "y"}


def test_exam_plan_subject_weights_must_add_up_to_100(app, login):
    """B1: the plan form takes subjects with weights; 60 + 50 is refused, nothing is stored."""
    from models import ExamPlan

    assoc = login("association")
    add = "/examplanview/add"
    r = assoc.post(add, _plan_form("权重错误的考试", "理论 60\n实操 50"), token_from=add, follow_redirects=True)
    assert "各科目权重合计为110%，应为100%" in r.text
    r = assoc.post(add, _plan_form("科目写错的考试", "理论"), token_from=add, follow_redirects=True)
    assert "科目第1行" in r.text
    with app.app_context():
        assert db.session.query(ExamPlan).filter(ExamPlan.name.in_(["权重错误的考试", "科目写错的考试"])).count() == 0
    r = assoc.post(add, _plan_form("权重正确的考试", "理论 40\n实操 60"), token_from=add)
    assert r.status_code == 302
    with app.app_context():
        plan = db.session.query(ExamPlan).filter_by(name="权重正确的考试").one()
        assert [(s.name, s.weight) for s in plan.subjects] == [("理论", 40), ("实操", 60)]
        assert plan.required_sections == ["basic", "education", "work"]
        assert plan.photo_rules == {"size": [295, 413], "background": "white"}
        plan_id = plan.id
    edit = assoc.get(f"/examplanview/edit/{plan_id}")
    assert "理论 40" in edit.text


def test_review_screens_belong_to_reviewers(app, login):
    """Association and Institution review; Finance, Support, Expert and Teacher do not."""
    with app.app_context():
        rid = db.session.query(Registration).filter_by(status="submitted").first().id
    for username in ("finance", "support", "expert", "teacher"):
        c = login(username)
        assert c.get("/registration-review/").status_code in (302, 403), username
        assert c.get(f"/registration-review/{rid}").status_code in (302, 403), username
        r = decide(c, rid, "approve")
        assert r.status_code in (302, 403) and "/registration-review/" not in r.headers.get("Location", "")
    assert registration(app, rid).status == "submitted"
    assert login("association").get(f"/registration-review/{rid}").status_code == 200


def test_sittings_are_chosen_and_changed(app, candidate, login):
    """B3/B14: an exam with several sittings (场次): one is chosen; a change moves to another."""
    c, _phone, _number = candidate
    exam = make_exam(app, sittings=2)
    detail = c.get(f"/portal/exams/{exam['id']}")
    assert "第1场" in detail.text and "第2场" in detail.text
    rid = start(c, exam)
    r = c.post(f"/portal/registrations/{rid}/application", {"category": "first", "exam_site_id": exam["sites"][0],
                                                             "city": "北京市"})
    assert r.status_code == 200 and "请选择考试场次" in r.text
    fill(c, exam, sitting=0)
    assert registration(app, rid).exam_session_id == exam["sittings"][0]
    assert submit(c, rid).status_code == 302
    assoc = login("association")
    assert "第1场" in assoc.get(f"/registration-review/{rid}").text
    decide(assoc, rid, "approve")
    subjects = [str(s) for s in exam["subjects"]]
    r = c.post(f"/portal/registrations/{rid}/change", {"exam_site_id": exam["sites"][0], "subjects": subjects,
                                                        "exam_session_id": exam["sittings"][0], "reason": "改期"})
    assert "变更内容与原报名相同" in r.text
    r = c.post(f"/portal/registrations/{rid}/change", {"exam_site_id": exam["sites"][0], "subjects": subjects,
                                                        "exam_session_id": exam["sittings"][1], "reason": "改期"})
    assert r.status_code == 302
    with app.app_context():
        change_id = db.session.query(Matter).filter_by(type_code="registration_change", object_id=rid).one().id
    assoc.post("/matterview/transition/approve", {"ids": str(change_id)})
    reg = registration(app, rid)
    assert reg.exam_session_id == exam["sittings"][1] and reg.exam_site_id == exam["sites"][0]
    assert seats_taken(app, exam["sites"][0]) == 1


def test_eligibility_rules_are_declared_on_a_form(app, login):
    """B13: the rule type is chosen; its parameters must be JSON fitting the type, else nothing is stored."""
    from models import EligibilityRule

    exam = make_exam(app)
    assoc = login("association")
    add = "/eligibilityruleview/add"
    form = {"exam_plan": str(exam["id"]), "name": "学历要求", "kind": "education_level"}
    r = assoc.post(add, {**form, "params_text": "本科"}, token_from=add, follow_redirects=True)
    assert "参数" in r.text and "junior_college" in r.text
    r = assoc.post(add, {**form, "params_text": '{"min": "phd"}'}, token_from=add, follow_redirects=True)
    with app.app_context():
        assert db.session.query(EligibilityRule).filter_by(exam_plan_id=exam["id"]).count() == 0
    r = assoc.post(add, {**form, "params_text": '{"min": "bachelor"}'}, token_from=add)
    assert r.status_code == 302
    with app.app_context():
        rule = db.session.query(EligibilityRule).filter_by(exam_plan_id=exam["id"]).one()
        assert rule.params == {"min": "bachelor"} and rule.kind == "education_level"
    assert '{"min": "bachelor"}' in assoc.get(f"/eligibilityruleview/edit/{rule.id}").text.replace("&#34;", '"')
