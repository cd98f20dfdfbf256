"""成绩查询 and 状态查看 in the portal (SPEC E2; seed 000 §3.3, seed 001 §10; issue 6): scores
only from the publication time, only one's own, and each row's allowed operations."""
import datetime

from app.extensions import db
from models import ExamPlan, Person
from tests.portal_helpers import candidate  # noqa: F401  (fixture)
from tests.results_helpers import give_scores, new_person, person_of_phone, sat_exam, seat


def test_scores_only_after_publication_and_only_ones_own(app, candidate):  # noqa: F811
    c, phone, _number = candidate
    exam = sat_exam(app)
    theory, practice = exam["subjects"]
    reg, ticket = seat(app, exam, person_of_phone(app, phone))
    give_scores(app, reg, {theory: 83, practice: None})  # 缺考 in practice
    page = c.get(f"/portal/scores?rid={reg}")
    assert page.status_code == 200 and ticket in page.text
    assert "尚未发布" in page.text and "83.00" not in page.text and "41.50" not in page.text
    with app.app_context():
        db.session.get(ExamPlan, exam["id"]).results_published_at = datetime.datetime.now()
        db.session.commit()
    page = c.get(f"/portal/scores?rid={reg}").text
    assert "83.00" in page and "缺考" in page and "41.50" in page and "不合格" in page
    year = datetime.date.today().year
    listing = c.get(f"/portal/scores?year={year}").text
    assert "1. 选择考试年份" in listing and str(year) in listing
    assert "41.50" in c.get("/portal/me/exams").text  # 我的考试 shows the result too
    other, _t = seat(app, exam, new_person(app))
    assert c.get(f"/portal/scores?rid={other}").status_code == 404


def test_status_view_lists_rows_with_their_operations(app, candidate):  # noqa: F811
    c, phone, _number = candidate
    exam = sat_exam(app)
    reg, _ticket = seat(app, exam, person_of_phone(app, phone))
    give_scores(app, reg, {s: 90 for s in exam["subjects"]}, publish=True)
    page = c.get("/portal/status").text
    assert exam_name(app, exam) in page and "90.00" in page and "合格" in page
    assert f"/portal/registrations/{reg}/form.pdf" in page and f"/portal/registrations/{reg}/ticket.pdf" in page
    assert 'value="delete"' not in page  # a registered candidate cannot delete the registration
    # a draft may be edited and deleted; a returned reissue has its attachments edited
    from app import workflow
    from app.services import cert_matters
    from models import PlatformUser, Registration
    from tests.results_helpers import issued_certificate

    with app.app_context():
        draft = Registration(exam_plan_id=sat_exam(app)["id"], person_id=person_of_phone(app, phone), status="draft",
                             category="first", step="personal")
        db.session.add(draft)
        db.session.commit()
        draft_id = draft.id
        inst_user = db.session.query(PlatformUser).filter_by(username="institution").one()
        cert_id = issued_certificate(app, person_of_phone(app, phone), institution_id=inst_user.institution_id)
        from models import Certificate

        me = db.session.get(Person, person_of_phone(app, phone)).user
        matter = cert_matters.file(cert_matters.REISSUE, me, db.session.get(Certificate, cert_id),
                                   {"reason_kind": "lost", "reason": "遗失"})
        workflow.apply(matter.id, "return_institution_review", inst_user, opinion="请补充遗失声明")
        matter_id = matter.id
    page = c.get("/portal/status").text
    assert f"/portal/registrations/{draft_id}/personal" in page and 'value="delete"' in page
    assert f"/portal/certificates/matters/item/{matter_id}/edit" in page and "修改附件" in page
    someone_else, _t = seat(app, exam, new_person(app, name="别人的报名"))
    assert "别人的报名" not in page and f"/portal/registrations/{someone_else}/" not in page


def exam_name(app, exam):
    with app.app_context():
        return db.session.get(ExamPlan, exam["id"]).name
