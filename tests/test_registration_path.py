"""The whole path through HTTP (issue 4): catalogue → wizard → review → order → payment → 报名成功.

Two candidates: one approved the first time and paid online through the sandbox
gateway; one returned twice, resubmitted, approved and paid by a transfer
voucher that Finance confirms.  Plus a make-up registration with chosen subjects."""
import io

from app.extensions import db
from models import ExamSite, Notification, Order, Payment, Person, Registration
from tests.conftest import Client
from tests.portal_helpers import complete, new_id_number, new_phone, register
from tests.registration_helpers import WORK, decide, fill, make_exam, photo, registration, submit
from tests.test_payments import pay_online


def new_candidate(app, name):
    c = Client(app)
    assert register(c, new_phone()).status_code == 302
    assert complete(c, name=name, id_number=new_id_number()).status_code == 302
    return c


def order_of(app, rid):
    with app.app_context():
        order = db.session.query(Order).filter_by(registration_id=rid).order_by(Order.id.desc()).first()
        return order.id, order.status


def notified(app, rid, text):
    with app.app_context():
        person = db.session.get(Person, db.session.get(Registration, rid).person_id)
        return db.session.query(Notification).filter(Notification.user_id == person.user_id,
                                                     Notification.title.contains(text)).count()


def test_two_candidates_from_catalogue_to_registered(app, login):
    exam = make_exam(app, quota=10)
    assoc, finance = login("association"), login("finance")
    catalogue = Client(app).get("/portal/exams?status=open")
    assert catalogue.status_code == 200

    # first candidate: approved the first time, paid online
    first = new_candidate(app, "李一")
    rid1 = fill(first, exam)
    assert submit(first, rid1).status_code == 302
    assert decide(assoc, rid1, "approve").status_code == 302
    order1, status = order_of(app, rid1)
    assert status == "unpaid" and registration(app, rid1).status == "approved"
    detail = first.get(f"/portal/registrations/{rid1}")
    assert f"/portal/me/orders/{order1}" in detail.text
    back = pay_online(first, f"/portal/me/orders/{order1}/pay")
    assert "已缴费" in back.text
    assert registration(app, rid1).status == "registered"
    assert notified(app, rid1, "报名成功") == 1
    assert "报名成功" in first.get("/portal/me/exams").text

    # second candidate: returned twice, resubmitted, approved, paid offline
    second = new_candidate(app, "王二")
    rid2 = fill(second, exam, site=1)
    assert submit(second, rid2).status_code == 302
    assert decide(assoc, rid2, "return", reason_work="请补充工作单位。").status_code == 302
    assert "请补充工作单位。" in second.get(f"/portal/registrations/{rid2}").text
    second.post(f"/portal/registrations/{rid2}/section/work", {**WORK, "employer": "另一家公司",
                                                               "start_month": "2008-01", "end_month": "2014-06"})
    assert submit(second, rid2).status_code == 302
    assert decide(assoc, rid2, "return", reason_photo="照片不清晰。").status_code == 302
    url = f"/portal/registrations/{rid2}/photo"
    second.post(url, {"photo": (io.BytesIO(photo((320, 448))), "clear.jpg")}, token_from=url)
    assert submit(second, rid2).status_code == 302
    assert decide(assoc, rid2, "approve").status_code == 302
    order2, status = order_of(app, rid2)
    assert status == "unpaid"
    page = f"/portal/me/orders/{order2}"
    r = second.post(f"{page}/voucher", {"voucher": (io.BytesIO(photo((600, 400))), "转账回单.jpg")}, token_from=page)
    assert r.status_code == 302
    assert registration(app, rid2).status == "approved"  # not registered before Finance confirms
    with app.app_context():
        payment_id = db.session.query(Payment).filter_by(order_id=order2).one().id
    assert finance.post(f"/paymentview/action/confirm_voucher/{payment_id}").status_code == 302
    assert order_of(app, rid2)[1] == "paid"
    assert registration(app, rid2).status == "registered"
    assert notified(app, rid2, "报名成功") == 1
    with app.app_context():
        seats = [db.session.get(ExamSite, s).seats_taken for s in exam["sites"]]
    assert seats == [1, 1]

    # the candidates' orders and registrations stay their own
    assert first.get(f"/portal/me/orders/{order2}").status_code == 404
    assert second.get(f"/portal/registrations/{rid1}").status_code == 404
    assert first.get(f"/portal/registrations/{rid2}/form.pdf").status_code == 404


def test_make_up_registration_paid(app, login):
    exam = make_exam(app)
    c = new_candidate(app, "张补考")
    rid = fill(c, exam, category="makeup_first", subjects=[exam["subjects"][0]], last_exam_date="2026-04-18")
    assert submit(c, rid).status_code == 302
    review = login("association").get(f"/registration-review/{rid}")
    assert "取证补考" in review.text and "2026-04-18" in review.text
    assert decide(login("association"), rid, "approve").status_code == 302
    order_id, _status = order_of(app, rid)
    pay_online(c, f"/portal/me/orders/{order_id}/pay")
    with app.app_context():
        reg = db.session.get(Registration, rid)
        assert reg.status == "registered" and [s.subject.name for s in reg.subjects] == ["理论"]
