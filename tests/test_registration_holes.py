"""Review of issue 4 (exam registration, seats, payments, printables): one
regression test per confirmed hole, each driven over HTTP like a user would.

Every test here failed when it was written; each names its hole in a comment.
"""
import io
import time
from html.parser import HTMLParser

from app.extensions import db
from models import ExamSite, Matter, Order, PlatformUser, Registration
from tests.conftest import Client
from tests.portal_helpers import complete, new_id_number, new_phone, register
from tests.registration_helpers import decide, fill, make_exam, pdf_bytes, registration, submit

PAID = "已缴费"


# --- helpers ------------------------------------------------------------------------------
class _FormScraper(HTMLParser):
    """The fields of a page's form as a browser submits them (selected options, checked boxes)."""

    def __init__(self):
        super().__init__()
        self.fields, self._select, self._textarea, self._text = [], None, None, ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "y")))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.strip("\r\n")))
            self._textarea = None


def scrape_form(html):
    parser = _FormScraper()
    parser.feed(html)
    fields = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return fields


def new_candidate(app):
    c = Client(app)
    assert register(c, new_phone()).status_code == 302
    assert complete(c, id_number=new_id_number()).status_code == 302
    return c


def seats_taken(app, exam_site_id):
    with app.app_context():
        return db.session.get(ExamSite, exam_site_id).seats_taken


def assert_seats_consistent(app, exam):
    """seats_taken of every site == the registrations holding a seat there."""
    with app.app_context():
        for site_id in exam["sites"]:
            holders = db.session.query(Registration).filter_by(exam_site_id=site_id, seat_held=True).count()
            assert db.session.get(ExamSite, site_id).seats_taken == holders, site_id


def own_institution(app):
    with app.app_context():
        return db.session.query(PlatformUser).filter_by(username="institution").one().institution_id


def move_to_site(c, rid, exam, site):
    """A draft (or returned) application saved with another site."""
    r = c.post(f"/portal/registrations/{rid}/application",
               {"category": "first", "exam_site_id": str(exam["sites"][site]), "city": "上海市"})
    assert r.status_code == 302, r.text[:2000]


# --- hole 1: Institution users write registrations through the generic RegistrationView -------
# (app/roles.py grants Institution WRITE = can_add/can_edit/can_delete on RegistrationView; the
# FAB view bypasses app/services/registration.py: no seat release, no workflow, no lock check)
def test_institution_cannot_delete_a_candidates_registration_in_the_back_office(app, candidate, login):
    # HOLE 1a: /registrationview/delete/<id> deletes a submitted registration; its seat is never given back
    c, _phone, _number = candidate
    exam = make_exam(app, quota=1)
    rid = fill(c, exam, site=0)  # site 0 belongs to the demo institution user's institution
    assert submit(c, rid).status_code == 302
    assert seats_taken(app, exam["sites"][0]) == 1
    inst = login("institution")
    inst.post(f"/registrationview/delete/{rid}", {})
    with app.app_context():
        assert db.session.get(Registration, rid) is not None, "an institution user deleted a candidate's application"
    assert_seats_consistent(app, exam)


def test_institution_cannot_rewrite_a_candidates_draft_in_the_back_office(app, candidate, login):
    # HOLE 1b: /registrationview/edit/<id> mass-assigns exam_site (even another exam's site), city,
    # subjects … of a candidate's application; on submission the other exam's seat is taken
    c, _phone, _number = candidate
    exam = make_exam(app)
    other_exam = make_exam(app)
    rid = fill(c, exam, site=0)
    with app.app_context():  # a candidate of the institution's own school (Person.institution_id)
        db.session.get(Registration, rid).person.institution_id = own_institution(app)
        db.session.commit()
    inst = login("institution")
    form = scrape_form(inst.get(f"/registrationview/edit/{rid}").text)
    for name in ("net_no", "eligibility_report", "return_reasons", "submitted_at", "pledge_accepted_at"):
        form.pop(name, None)  # left out: their current empty value stays as it is
    form["exam_site"] = [str(other_exam["sites"][0])]
    form["city"] = ["机构改写的城市"]
    inst.http.post(f"/registrationview/edit/{rid}", data=form)
    reg = registration(app, rid)
    assert reg.exam_site_id == exam["sites"][0] and reg.city == "北京市", \
        "an institution user rewrote a candidate's application"
    assert submit(c, rid).status_code == 302
    assert seats_taken(app, other_exam["sites"][0]) == 0
    assert_seats_consistent(app, exam)
    assert_seats_consistent(app, other_exam)


# --- hole 2: the reviewing institution is frozen at the first submission ---------------------
# (app/services/registration.py submit(): the matter and its REVIEWER_KEY are created once; a
# withdrawn or returned application moved to another institution's site keeps the old reviewer)
def test_old_site_institution_cannot_decide_after_the_candidate_moved_site(app, candidate, login):
    # HOLE 2: submit at site 0, withdraw, move to site 1 (another institution), resubmit: the demo
    # institution (site 0) still approves it through /matterview/transition/approve
    c, _phone, _number = candidate
    exam = make_exam(app, reviewer="institution")
    rid = fill(c, exam, site=0)
    assert submit(c, rid).status_code == 302
    c.post(f"/portal/registrations/{rid}/act", {"action": "withdraw"})
    move_to_site(c, rid, exam, 1)
    assert submit(c, rid).status_code == 302
    reg = registration(app, rid)
    assert reg.status == "submitted" and reg.exam_site_id == exam["sites"][1]
    inst = login("institution")
    assert inst.get(f"/registration-review/{rid}").status_code == 404  # not its site any more …
    inst.post("/matterview/transition/approve", {"ids": str(reg.matter_id)})
    assert registration(app, rid).status == "submitted", \
        "the institution of the old site approved a registration at another institution's site"
    assert_seats_consistent(app, exam)


# --- hole 3: the sandbox gateway (no real money) is the default payment gateway in production --
# (config.py PAYMENT_GATEWAY defaults to "sandbox"; app/__init__.py check_production_config does not
# refuse it: every candidate "pays" by pressing confirm on /sandbox-gateway/pay/<token>)
def test_sandbox_gateway_is_not_usable_in_production(app, candidate, login, client):
    from app import ConfigError, check_production_config
    from app.services import payments

    config = {**app.config, "APP_ENV": "production", "SECRET_KEY": "x" * 48, "ID_NUMBER_ENC_KEY": "k",
              "ID_NUMBER_HMAC_KEY": "k", "PAYMENT_GATEWAY": "sandbox"}
    try:
        check_production_config(config)
    except ConfigError:
        return  # production refuses to start with the sandbox: fine
    # else the running app must not take sandbox payments in production
    c, _phone, _number = candidate
    exam = make_exam(app)
    rid = fill(c, exam)
    submit(c, rid)
    decide(login("association"), rid, "approve")
    with app.app_context():
        order = db.session.query(Order).filter_by(registration_id=rid).one()
        order_id, order_no, amount = order.id, order.order_no, payments.money(order.amount)
    with app.test_request_context():
        signed = payments.get_gateway("sandbox").notification_for({"order_no": order_no, "amount": amount})
    app.config["APP_ENV"] = "production"
    try:
        r = c.post(f"/portal/me/orders/{order_id}/pay")
        assert "/sandbox-gateway/" not in r.headers.get("Location", ""), "production sends payers to the sandbox"
        assert client.post("/payments/notify/sandbox", data=signed).text == "fail"
    finally:
        app.config["APP_ENV"] = "development"
    assert registration(app, rid).status == "approved"


# --- hole 4: giving up a registration whose order is in an institution batch -------------------
# (app/services/registration.py give_up() closes the child order but leaves it in the unpaid batch;
# app/services/payments.py _mark_paid() then marks the closed child paid and the batch charges for it)
def test_giving_up_inside_an_institution_batch_is_not_charged(app, candidate, login):
    # HOLE 4: batch of one order → candidate gives up → institution pays the batch: 380 yuan are
    # taken for a given-up registration and the closed order turns "paid"
    c, _phone, _number = candidate
    exam = make_exam(app)
    rid = fill(c, exam, site=0)
    submit(c, rid)
    decide(login("association"), rid, "approve")
    with app.app_context():
        order_id = db.session.query(Order).filter_by(registration_id=rid).one().id
    inst = login("institution")
    r = inst.post("/batchpayment/create", {"order_id": [str(order_id)]})
    batch_id = int(r.headers["Location"].rsplit("/", 1)[1])
    c.post(f"/portal/registrations/{rid}/act", {"action": "give_up"})
    # the institution pays its batch (if it may still be paid)
    r = inst.post(f"/batchpayment/{batch_id}/pay")
    location = r.headers.get("Location", "")
    if "/sandbox-gateway/pay/" in location:
        back = inst.post(location, {"decision": "confirm"})
        deadline = time.monotonic() + 30
        while PAID not in inst.get(back.headers["Location"]).text and time.monotonic() < deadline:
            time.sleep(0.2)
    with app.app_context():
        child, batch = db.session.get(Order, order_id), db.session.get(Order, batch_id)
        status = db.session.get(Registration, rid).status
        charged_for = [o for o in batch.children if o.registration and o.registration.status != "registered"]
        assert not (status == "given_up" and child.status == "paid"), "a given-up registration's order was paid"
        assert batch.status != "paid" or not charged_for, "the batch charged for a given-up registration"
    assert_seats_consistent(app, exam)


# --- hole 5: file access frozen at upload time (app/services/files.py may_open by
# Attachment.institution_id; app/services/registration.py stores it from the site chosen *then*) ---
def test_site_reviewer_can_open_the_registration_photo(app, candidate, login):
    # HOLE 5a: the photo step comes before the site is chosen, so the photo is stored with the
    # person's institution (none for a portal candidate): the reviewing site institution gets 404 for
    # the <img> on /registration-review/<id>
    c, _phone, _number = candidate
    exam = make_exam(app, reviewer="institution")
    rid = fill(c, exam, site=0)
    assert submit(c, rid).status_code == 302
    inst = login("institution")
    page = inst.get(f"/registration-review/{rid}")
    assert page.status_code == 200
    photo_id = registration(app, rid).photo_id
    assert f"/files/{photo_id}" in page.text
    assert inst.get(f"/files/{photo_id}").status_code == 200, "the reviewer cannot open the candidate's photo"


def test_old_site_institution_loses_the_attachments_of_a_moved_registration(app, candidate, login):
    # HOLE 5b: a material attachment uploaded while site 0 was chosen stays readable by site 0's
    # institution after the application moved to another institution's site (and the new site's
    # reviewers cannot open it)
    c, _phone, _number = candidate
    exam = make_exam(app, reviewer="institution", sections=("basic", "education", "work", "language"))
    rid = fill(c, exam, site=0)
    base = f"/portal/registrations/{rid}"
    r = c.post(f"{base}/section/language", {"language": "英语", "exam_name": "CET", "score": "6",
                                            "exam_month": "2019-06",
                                            "attachment": (io.BytesIO(pdf_bytes()), "cet.pdf")},
               token_from=f"{base}/section/language")
    assert r.status_code == 302
    with app.app_context():
        attachment_id = next(m.attachment_id for m in db.session.get(Registration, rid).materials
                             if m.attachment_id)
    inst = login("institution")
    assert inst.get(f"/files/{attachment_id}").status_code == 200  # its site now: fine
    move_to_site(c, rid, exam, 1)
    assert submit(c, rid).status_code == 302
    assert registration(app, rid).exam_site_id == exam["sites"][1]
    assert inst.get(f"/files/{attachment_id}").status_code == 404, \
        "another institution still opens the candidate's material attachment"


# --- hole 6: a returned application loses its seat as soon as another site is saved ------------
# (app/services/registration.py save_application() calls seats.release() on a site change; README:
# "被退回整改期间保留考位", the code comment: the seat "moves on resubmission")
def test_returned_application_keeps_a_seat_when_its_site_is_changed(app, candidate, login):
    # HOLE 6: returned (holds a seat) → save site 1 → it holds no seat anywhere; someone else takes the
    # old seat, the new site fills up, and the resubmission is refused
    c, _phone, _number = candidate
    exam = make_exam(app)
    rid = fill(c, exam, site=0)
    submit(c, rid)
    decide(login("association"), rid, "return", reason_work="请补充")
    reg = registration(app, rid)
    assert reg.status == "returned" and reg.seat_held
    move_to_site(c, rid, exam, 1)
    reg = registration(app, rid)
    assert reg.status == "returned"
    assert reg.seat_held, "a returned application lost its seat by saving another site"
    assert_seats_consistent(app, exam)


# --- hole 7: approving a change to a full site in the matter view is an unhandled error --------
# (views/admin/matters.py transition() catches WorkflowError only; change_approved → seats.move →
# NoSeatLeft escapes workflow.apply: HTTP 500)
def test_approving_a_change_to_a_full_site_is_refused_cleanly(app, candidate, login):
    # HOLE 7: quota 1; A approved at site 0 asks to move to site 1; B then takes site 1's seat;
    # the Association approves A's change on /matterview/transition/approve → 500
    c, _phone, _number = candidate
    exam = make_exam(app, quota=1)
    rid = fill(c, exam, site=0)
    submit(c, rid)
    assoc = login("association")
    decide(assoc, rid, "approve")
    r = c.post(f"/portal/registrations/{rid}/change", {"exam_site_id": exam["sites"][1], "reason": "工作调动",
                                                        "subjects": [str(s) for s in exam["subjects"]]})
    assert r.status_code == 302
    other = new_candidate(app)
    theirs = fill(other, exam, site=1)
    assert submit(other, theirs).status_code == 302
    with app.app_context():
        change_id = db.session.query(Matter).filter_by(type_code="registration_change", object_id=rid).one().id
    try:
        r = assoc.post("/matterview/transition/approve", {"ids": str(change_id)})
    except Exception as exc:  # the test client re-raises what would be a 500
        raise AssertionError(f"approving the change crashed: {exc!r}") from None
    assert r.status_code == 302
    assert registration(app, rid).exam_site_id == exam["sites"][0]
    with app.app_context():
        assert db.session.get(Matter, change_id).state != "done"
    assert_seats_consistent(app, exam)
