"""Screenshots of the portal and back office at desktop and phone width, in
Debian's chromium, into screenshots/ (ignored by git).  Needs a running
server (`make run`) with demo data:

    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8080]
"""
import os
import re
import sys

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "screenshots")
PUBLIC = [("home", "/"), ("register", "/portal/register"), ("login", "/portal/login"),
          ("login_sms", "/portal/login?mode=sms"), ("exams", "/portal/exams"),
          ("institution_register", "/portal/institutions/register")]
CANDIDATE = [("me", "/portal/me"), ("messages", "/portal/messages"), ("photo", "/portal/me/photo"),
             ("matters", "/portal/me/matters"), ("notifications", "/notifications/"),
             ("exam_detail", "/portal/exams/{exam_id}"), ("my_exams", "/portal/me/exams"),
             ("wizard_personal", "/portal/registrations/{rid}/personal"),
             ("wizard_photo", "/portal/registrations/{rid}/photo"),
             ("wizard_application", "/portal/registrations/{rid}/application"),
             ("wizard_materials", "/portal/registrations/{rid}/materials"),
             ("wizard_education", "/portal/registrations/{rid}/section/education"),
             ("wizard_work", "/portal/registrations/{rid}/section/work"),
             ("wizard_confirm", "/portal/registrations/{rid}/confirm"),
             ("registration_detail", "/portal/registrations/{approved_rid}"),
             ("orders", "/portal/me/orders"), ("order", "/portal/me/orders/{order_id}")]
STAFF = [("association", "review_queue", "/registration-review/"),
         ("association", "review", "/registration-review/{review_id}"),
         ("association", "exam_plan_form", "/examplanview/add"),
         ("association", "matter_registration", "/matterview/show/{matter_id}"),
         ("finance", "finance_orders", "/orderview/list/"),
         ("finance", "finance_payments", "/paymentview/list/"),
         ("institution", "institution_review_queue", "/registration-review/"),
         ("institution", "batch_payment", "/batchpayment/")]
# issue 5: institution operations and exam administration, for both sides
for _who in ("association", "institution"):
    STAFF += [(_who, f"{_who}_{name}", url) for name, url in (
        ("import_candidates", "/imports/candidates/"), ("import_registrations", "/imports/registrations/"),
        ("import_rooms", "/imports/rooms/"), ("import_invigilators", "/imports/invigilators/"),
        ("photo_import", "/photoimport/"), ("photo_verification", "/photoverificationview/list/"),
        ("scheduling", "/scheduling/"), ("scheduling_plan", "/scheduling/{plan_id}"),
        ("scheduling_room", "/scheduling/{plan_id}/rooms/{room_id}"), ("printables", "/exam-printables/"),
        ("dashboard", "/institution-dashboard/"), ("pilot_applications", "/pilotapplicationview/list/"),
        ("sites", "/siteview/list/"), ("weekly_reports", "/weeklyreportview/list/"),
        ("rooms", "/roomview/list/"), ("invigilators", "/invigilatorview/list/"),
        ("candidates", "/personview/list/"))]
# issue 6: scores, results and certificates
PUBLIC += [("verify", "/verify/"), ("verify_result", "/verify/c/{token}"),
           ("verify_replaced", "/verify/c/{old_token}")]
CANDIDATE += [("my_certificates", "/portal/certificates"), ("services", "/portal/services"),
              ("cert_reissue", "/portal/certificates/matters/reissue"),
              ("cert_change", "/portal/certificates/matters/change"),
              ("cert_cancellation", "/portal/certificates/matters/cancellation"),
              ("cert_annual", "/portal/certificates/matters/annual"),
              ("cert_matter", "/portal/certificates/matters/item/{reissue_matter_id}"),
              ("cert_matter_edit", "/portal/certificates/matters/item/{reissue_matter_id}/edit"),
              ("score_query", "/portal/scores?rid={sat_rid}"), ("status_view", "/portal/status"),
              ("recheck", "/portal/recheck?agreed=1&exam_id={sat_plan_id}")]
STAFF += [("association", "certificates", "/certificateview/list/"),
          ("association", "certificate", "/certificateview/show/{cert_id}"),
          ("association", "certificate_issue", "/certificate-issue/"),
          ("association", "import_certificates", "/imports/certificates/"),
          ("association", "matter_reissue", "/matterview/show/{reissue_matter_id}"),
          ("association", "matter_annual", "/matterview/show/{annual_matter_id}"),
          ("institution", "institution_certificates", "/certificateview/list/"),
          ("association", "scores", "/scores/"), ("association", "scores_plan", "/scores/{sat_plan_id}"),
          ("association", "import_scores", "/imports/scores/"),
          ("association", "recheck_handle", "/scores/recheck/{recheck_matter_id}"),
          ("association", "matter_recheck", "/matterview/show/{recheck_matter_id}"),
          ("institution", "institution_scores", "/scores/"),
          ("institution", "institution_scores_plan", "/scores/{sat_plan_id}")]
# issue 13: personnel matters (F1–F10)
CANDIDATE += [("f_services_member", "/portal/services?tab=member"),
              ("f_transfer_new", "/portal/matters/transfer/new"), ("f_complaint_new", "/portal/matters/complaint/new"),
              ("f_appeal_new", "/portal/matters/appeal/new"), ("f_expert_new", "/portal/matters/expert/new"),
              ("f_my_transfer", "/portal/me/matters/{transfer_id}"),
              ("f_my_complaint", "/portal/me/matters/{complaint_id}"),
              ("f_my_matters_stage", "/portal/me/matters?stage=审核"),
              ("f_registration_new", "/portal/personnel/registration"),
              ("f_my_registration", "/portal/me/matters/{registration_matter_id}"),
              ("f_library", "/portal/me/library"), ("f_credit", "/portal/me/credit"),
              ("f_membership", "/portal/membership")]
STAFF += [("institution", "f_institution_catalogue", "/personnelmattersview/catalogue"),
          ("institution", "f_institution_complaint", "/personnelmattersview/file/complaint"),
          ("association", "f_matter_transfer", "/matterview/show/{transfer_id}"),
          ("association", "f_expert_assign_list", "/expertassignview/list"),
          ("association", "f_matter_registration", "/matterview/show/{registration_matter_id}"),
          ("association", "f_credit_records", "/creditrecordview/list/"),
          ("association", "f_sanction", "/creditrecordview/sanction/"),
          ("association", "f_memberships", "/membershipview/list/"),
          ("institution", "f_institution_membership", "/institutionmembership/apply"),
          ("expert", "f_expert_tasks", "/experttaskview/list"),
          ("expert", "f_expert_judge", "/experttaskview/judge/{judge_id}")]
# SHOTS_ONLY=<regex>: only the pages whose name matches (e.g. the pages of one issue)
ONLY = re.compile(os.environ.get("SHOTS_ONLY", ""))
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _app():
    sys.path.insert(0, os.path.dirname(OUT))
    from app import create_app

    return create_app()


def demo_ids():
    """Rows the registration screens show: the candidate's draft and order, a registration to review."""
    app = _app()
    from app.extensions import db
    from models import Certificate, ExamSession, Matter, Order, Person, PlatformUser, Registration, Room, SeatAssignment

    with app.app_context():
        me = db.session.query(Person).filter_by(phone="13800000000").one()
        draft = db.session.query(Registration).filter_by(person_id=me.id, status="draft").first()
        order = db.session.query(Order).filter_by(person_id=me.id).first()
        review = db.session.query(Registration).filter_by(status="submitted").first()
        own = db.session.query(PlatformUser).filter_by(username="institution").one().institution_id
        seat = db.session.query(SeatAssignment).join(Room).filter(Room.institution_id == own).first()
        cert = db.session.query(Certificate).filter_by(person_id=me.id, source="issued").first()
        matters = {m.type_code: m.id for m in db.session.query(Matter).filter_by(object_type="Certificate")}
        old = db.session.query(Certificate).filter(Certificate.replaced_by_id.is_not(None)).first() or cert
        sat = db.session.query(Registration).filter_by(person_id=me.id, exam_plan_id=cert.registration.exam_plan_id) \
            .first()
        recheck = db.session.query(Matter).filter_by(type_code="score_recheck", object_type="Registration").first()
        mine = {m.type_code: m.id for m in db.session.query(Matter).filter_by(applicant_id=me.user_id)
                .order_by(Matter.id)}
        return {"transfer_id": mine.get("institution_transfer", 0), "complaint_id": mine.get("complaint", 0),
                "appeal_id": mine.get("appeal", 0), "registration_matter_id": mine.get("personnel_registration", 0),
                "judge_id": getattr(db.session.query(Matter).filter_by(state="expert_review").join(
                    PlatformUser, PlatformUser.id == Matter.assignee_id).filter(PlatformUser.username == "expert")
                    .first(), "id", 0),
                "sat_rid": sat.id, "sat_plan_id": sat.exam_plan_id, "recheck_matter_id": recheck.id if recheck else 0,
                "token": cert.token, "old_token": old.token, "cert_id": cert.id,
                "reissue_matter_id": matters.get("certificate_reissue", 0),
                "annual_matter_id": matters.get("annual_confirmation", 0),
                "rid": draft.id, "exam_id": draft.exam_plan_id, "order_id": order.id if order else 0,
                "approved_rid": order.registration_id if order else draft.id, "review_id": review.id,
                "matter_id": review.matter_id, "room_id": seat.room_id,
                "plan_id": db.session.get(ExamSession, seat.session_id).exam_plan_id}


def latest_captcha():
    """The answer of the newest image code, read where the app keeps it (same machine, same database)."""
    from app.extensions import db
    from models import CaptchaChallenge

    with _app().app_context():
        return db.session.query(CaptchaChallenge).filter_by(used_at=None).order_by(
            CaptchaChallenge.created_at.desc()).first().answer


def main():
    os.makedirs(OUT, exist_ok=True)
    ids = demo_ids()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--lang=zh-CN"])
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, locale="zh-CN")
            page = context.new_page()
            for name, url in PUBLIC:
                if not ONLY.search(name):
                    continue
                page.goto(BASE + url.format(**ids))
                page.screenshot(path=os.path.join(OUT, f"{size}_{name}.png"), full_page=True)
            page.goto(BASE + "/portal/login")  # the demo candidate, with the image code the server keeps
            page.fill("#account", "13800000000")
            page.fill("#password", "Demo@2026")
            page.fill("#captcha", latest_captcha())
            page.click("form [type=submit]")
            page.goto(BASE + f"/portal/exams/{ids['exam_id']}/apply")
            page.screenshot(path=os.path.join(OUT, f"{size}_wizard_notice.png"), full_page=True)
            page.goto(BASE + f"/portal/exams/{ids['exam_id']}/pledge")
            page.screenshot(path=os.path.join(OUT, f"{size}_wizard_pledge.png"), full_page=True)
            for name, url in CANDIDATE:
                if not ONLY.search(name):
                    continue
                page.goto(BASE + url.format(**ids))
                page.screenshot(path=os.path.join(OUT, f"{size}_{name}.png"), full_page=True)
            if ids["order_id"] and size == "phone":  # the sandbox gateway's page (only once: it is paid)
                page.goto(BASE + f"/portal/me/orders/{ids['order_id']}")
                page.click("form[action$='/pay'] button")
                page.screenshot(path=os.path.join(OUT, f"{size}_sandbox_gateway.png"), full_page=True)
            context.close()
            for user in dict.fromkeys(u for u, _n, _url in STAFF):
                context = browser.new_context(viewport=viewport, locale="zh-CN")
                page = context.new_page()
                page.goto(BASE + "/login/")
                page.fill("#username", user)
                page.fill("#password", "Demo@2026")
                page.click("form [type=submit]")
                for who, name, url in STAFF:
                    if who == user and ONLY.search(name):
                        page.goto(BASE + url.format(**ids))
                        page.screenshot(path=os.path.join(OUT, f"{size}_{name}.png"), full_page=True)
                context.close()
        browser.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
