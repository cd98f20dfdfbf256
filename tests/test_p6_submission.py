"""P6 (issue 16): a submission is cheap under contention.  A site already full refuses at once (nothing
written, the candidate sent to the step where another site is chosen, with the reason); a held one files
its review matter and takes the transition in one transaction: history, due date, seat, audit and the
reviewers' notifications all land together."""
from app.extensions import db
from models import AuditLog, Delivery, ExamSite, Matter, MatterHistory, Notification, Registration
from tests.portal_helpers import candidate  # noqa: F401  (fixture)
from tests.registration_helpers import fill, make_exam, registration, submit


def _counts(app):
    with app.app_context():
        return {model.__name__: db.session.query(model).count()
                for model in (Matter, MatterHistory, Notification, AuditLog)}


def test_a_submission_to_a_full_site_writes_nothing_and_names_the_site(app, candidate):  # noqa: F811
    c, _phone, _number = candidate
    exam = make_exam(app, quota=1)
    rid = fill(c, exam)
    with app.app_context():
        db.session.get(ExamSite, exam["sites"][0]).seats_taken = 1
        db.session.commit()
    before = _counts(app)
    r = submit(c, rid)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/portal/registrations/{rid}/application")
    assert _counts(app) == before
    reg = registration(app, rid)
    assert reg.status == "draft" and not reg.seat_held and reg.matter_id is None and reg.net_no is None
    with app.app_context():
        assert db.session.get(ExamSite, exam["sites"][0]).seats_taken == 1
    page = c.get(r.headers["Location"]).text
    assert "您选择的考点已无剩余名额，请选择其他考点。" in page and 'name="exam_site_id"' in page


def test_a_held_submission_files_its_matter_in_one_transaction(app, candidate):  # noqa: F811
    c, _phone, _number = candidate
    exam = make_exam(app, quota=1)
    rid = fill(c, exam)
    before = _counts(app)
    r = submit(c, rid)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/portal/registrations/{rid}")
    with app.app_context():
        reg = db.session.get(Registration, rid)
        matter = reg.matter
        assert reg.status == "submitted" and reg.seat_held and reg.net_no and reg.submitted_at
        assert db.session.get(ExamSite, exam["sites"][0]).seats_taken == 1
        assert matter.state == "submitted" and matter.status == "in_progress" and matter.business_no
        assert matter.object_type == "Registration" and matter.object_id == rid
        assert matter.filed_at and matter.due_date and matter.applicant_id == reg.person.user_id
        assert [(h.transition, h.from_state, h.to_state) for h in
                db.session.query(MatterHistory).filter_by(matter_id=matter.id)] == [("submit", "draft", "submitted")]
        assert db.session.query(AuditLog).filter_by(object_type="Matter", object_id=str(matter.id)).count() == 1
        told = db.session.query(Notification).filter(Notification.title.contains(matter.business_no)).all()
        # the reviewers' links open this matter (its id known before they are written)
        assert told and all(n.link == f"/matterview/show/{matter.id}" for n in told)
        mail = db.session.query(Delivery).filter(Delivery.subject.contains(matter.business_no)).all()
        assert mail and all(d.body.endswith(f"/matterview/show/{matter.id}") for d in mail)
    after = _counts(app)
    assert after["Matter"] == before["Matter"] + 1 and after["MatterHistory"] == before["MatterHistory"] + 1
