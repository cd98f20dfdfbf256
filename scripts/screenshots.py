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
# issue 14: training (G1–G5) and the public query hall (I5)
PUBLIC += [("g_query", "/query/")] + [(f"g_query_{k}", f"/query/{k}") for k in (
    "certificate", "training", "qualification", "exam", "teacher", "plan")]
CANDIDATE += [("g_credit_cpd", "/portal/me/credit")]
STAFF += [("teacher", "g_teacher_bindings", "/teacherbindingview/list"),
          ("teacher", "g_teacher_bind", "/teacherbindingview/bind"),
          ("teacher", "g_teacher_filings", "/teacherfilingview/list"),
          ("teacher", "g_teacher_filing_confirm", "/teacherfilingview/confirm/{g_pending_row}"),
          ("teacher", "g_teacher_unbind", "/teacherfilingview/unbind/{g_filed_row}"),
          ("teacher", "g_teacher_plans", "/teacherplanview/list"),
          ("teacher", "g_teacher_plan_confirm", "/teacherplanview/confirm/{g_pending_plan}"),
          ("teacher", "g_teacher_home", "/"),
          ("institution", "g_course_filings", "/coursefilingview/list"),
          ("institution", "g_course_filing_add", "/coursefilingview/add"),
          ("institution", "g_course_filing_show", "/coursefilingview/show/{g_filed_course}"),
          ("institution", "g_course_filing_returned", "/coursefilingview/show/{g_returned_course}"),
          ("institution", "g_rereviews", "/courserereviewview/list"),
          ("institution", "g_rereview_apply", "/courserereviewview/apply/{g_filed_course}"),
          ("institution", "g_plans", "/planreportview/list"),
          ("institution", "g_plan_add", "/planreportview/edit/"),
          ("institution", "g_plan_show", "/planreportview/show/{g_finished_plan}"),
          ("institution", "g_plan_terminated", "/planreportview/show/{g_terminated_plan}"),
          ("institution", "g_plan_finish", "/planreportview/finish/{g_ended_plan}"),
          ("expert", "g_expert_course_reviews", "/coursereviewtaskview/list"),
          ("expert", "g_expert_course_judge", "/coursereviewtaskview/judge/{g_online_matter}"),
          ("expert", "g_expert_rereview_judge", "/coursereviewtaskview/judge/{g_rereview_matter}"),
          ("association", "g_expert_assign", "/expertassignview/list"),
          ("association", "g_matter_binding", "/matterview/show/{g_binding_matter}"),
          ("association", "g_matter_course", "/matterview/show/{g_course_matter}"),
          ("association", "g_matter_plan", "/matterview/show/{g_plan_matter}"),
          ("association", "g_matter_unbinding", "/matterview/show/{g_unbinding_matter}")]
# H5: announcements (公告) — the portal list, a search, a category, the pinned demo one with its PDF; the back office
PUBLIC += [("h5_announcements", "/portal/announcements"), ("h5_announcements_search", "/portal/announcements?q=考试"),
           ("h5_announcements_policy", "/portal/announcements?category=policy"),
           ("h5_announcement_detail", "/portal/announcements/{h5_pinned}")]
CANDIDATE += [("h5_candidate_announcements", "/portal/announcements"),
              ("h5_candidate_exam_announcement", "/portal/announcements/{h5_exam}")]
STAFF += [("association", "h5_announcement_admin", "/announcementview/list/"),
          ("association", "h5_announcement_add", "/announcementview/add/"),
          ("association", "h5_announcement_edit", "/announcementview/edit/{h5_pinned}"),
          ("association", "h5_announcement_show", "/announcementview/show/{h5_pinned}"),
          ("institution", "h5_institution_announcements", "/announcementboard/list/"),
          ("institution", "h5_institution_announcement", "/announcementboard/show/{h5_institutions}")]
# I3: the working-day calendar (国庆节, a demo override on Dec 31), a chosen day, the Association's read-only view
STAFF += [("admin", "i3_work_calendar", "/workcalendar/2026"),
          ("admin", "i3_work_calendar_day", "/workcalendar/2026?day=2026-10-01#day-form"),
          ("admin", "i3_work_calendar_unknown_year", "/workcalendar/2030"),
          ("association", "i3_work_calendar_read_only", "/workcalendar/2026")]
# I1: the audit-log browser, filtered and with a bad date
STAFF += [("admin", "i1_audit_log", "/auditlog/"),
          ("admin", "i1_audit_log_filtered", "/auditlog/?action=update&object_type=CalendarDay"),
          ("admin", "i1_audit_log_bad_date", "/auditlog/?start=2026-02-30")]
# the public query hall's answers: (page, kind, the form's fields)
QUERIES = [("g_query_result_certificate", "certificate", {"serial": "{g_serial}", "name": "{g_holder}"}),
           ("g_query_result_qualification", "qualification", {"name": "{g_holder}", "serial": "{g_serial}"}),
           ("g_query_result_training", "training", {"certificate_no": "{g_training_no}", "name": "王小明"}),
           ("g_query_result_exam", "exam", {"keyword": "审核员", "year": ""}),
           ("g_query_result_teacher", "teacher", {"name": "赵老师", "id_number": "11010519780308002X"}),
           ("g_query_result_plan", "plan", {"plan_no": "{g_plan_no}"}),
           ("g_query_result_unknown", "certificate", {"serial": "{g_serial}", "name": "张三"})]
# issue 15: the cockpit (I2 statistics and home, H2 support queue, H4 outbox)
STAFF += [("association", f"i2_{section}", f"/statistics/{section}") for section in (
    "registrations", "pass_rates", "fees", "matters", "certificates", "support")]
STAFF += [("association", "i2_home_association", "/"), ("association", "i2_bad_filter", "/statistics/fees?year=abc"),
          ("institution", "i2_home_institution", "/"), ("institution", "i2_institution_statistics", "/statistics/"),
          ("finance", "i2_finance_fees", "/statistics/fees"),
          ("support", "h2_support_queue", "/supportqueue/"),
          ("support", "h2_queue_waiting", "/supportqueue/?status=pending"),
          ("support", "h2_thread", "/messagethreadview/show/1"), ("admin", "h4_outbox", "/deliveryview/list/"),
          ("admin", "i1_role_permissions", "/rolepermissions/Support"),
          ("institution", "i4_export_job", "/personview/export/")]  # a job when EXPORT_SYNC_ROWS is small
# issue 16 (P1): the lists' search box, counts and filters
STAFF += [("association", "p1_persons", "/personview/list/"),
          ("association", "p1_persons_keyword", "/personview/list/?keyword=王"),
          ("association", "p1_persons_pinyin", "/personview/list/?keyword=wang"),
          ("association", "p1_persons_page2", "/personview/list/?psize_PersonView=5&page_PersonView=1"),
          ("association", "p1_registrations_keyword", "/registrationview/list/?keyword=王小明"),
          ("association", "p1_orders", "/orderview/list/"), ("association", "p1_matters", "/matterview/list/"),
          ("association", "p1_certificates", "/certificateview/list/"),
          ("institution", "p1_institution_persons", "/personview/list/?keyword=李")]
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


def training_ids():
    """Rows of the training pages (G1–G5) and the public queries (I5) in the demo data."""
    from app.extensions import db
    from app.services import training_plans
    from models import Certificate, Course, CourseTeacher, Matter, PlatformUser, TrainingPlan, TrainingRecord

    with _app().app_context():
        teacher = db.session.query(PlatformUser).filter_by(username="teacher").one()
        rows = db.session.query(CourseTeacher).join(CourseTeacher.person).filter_by(user_id=teacher.id).all()
        plans = {p.title: p for p in db.session.query(TrainingPlan).filter(TrainingPlan.title.startswith("示例"))}
        by_status = {p.status: p for p in plans.values()}
        ended = next(p for p in plans.values() if p.status == "approved" and p.end_date < p.created_at.date())
        waiting = next(p for p in plans.values() if teacher.id in (training_plans.matter_of(p).payload or {})
                       .get("pending_teachers", ()))
        matters = {m.type_code: m for m in db.session.query(Matter).filter(Matter.object_type.in_(
            ("TeacherCategory", "Course", "CourseTeacher"))).order_by(Matter.id)}
        expert = db.session.query(PlatformUser).filter_by(username="expert").one()
        assigned = {m.type_code: m.id for m in db.session.query(Matter).filter_by(assignee_id=expert.id)}
        cert = db.session.query(Certificate).filter_by(source="issued", replaced_by_id=None).first()
        record = db.session.query(TrainingRecord).filter_by(plan_id=by_status["finished"].id).first()
        return {"g_pending_row": next(r.id for r in rows if r.confirm == "pending" and r.course.status == "confirming"),
                "g_filed_row": next(r.id for r in rows if r.confirm == "agreed" and r.course.status == "filed"),
                "g_pending_plan": waiting.id, "g_finished_plan": by_status["finished"].id,
                "g_terminated_plan": by_status["terminated"].id, "g_ended_plan": ended.id,
                "g_filed_course": db.session.query(Course).filter_by(name="认证人员守则解读").one().id,
                "g_returned_course": db.session.query(Course).filter_by(name="认证人员行为规范精讲").one().id,
                "g_online_matter": assigned.get("course_filing", 0),
                "g_rereview_matter": assigned.get("old_course_rereview", 0),
                "g_binding_matter": matters["teacher_category_binding"].id,
                "g_course_matter": matters["course_filing"].id, "g_unbinding_matter": matters["course_unbinding"].id,
                "g_plan_matter": training_plans.matter_of(by_status["finished"]).id,
                "g_plan_no": by_status["finished"].plan_no, "g_training_no": record.certificate_no,
                "g_serial": cert.serial, "g_holder": cert.holder_name}


def announcement_ids():
    """H5: the demo announcements the pages show (app/demo_announcements.py)."""
    from app.extensions import db
    from models import Announcement

    with _app().app_context():
        rows = db.session.query(Announcement).filter_by(published=True).order_by(Announcement.id).all()
        first = {}
        for row in rows:
            first.setdefault("pinned" if row.pinned else row.target, row.id)
        return {"h5_pinned": first.get("pinned", 0), "h5_exam": first.get("exam", 0),
                "h5_institutions": first.get("institutions", 0)}


def latest_captcha():
    """The answer of the newest image code, read where the app keeps it (same machine, same database)."""
    from app.extensions import db
    from models import CaptchaChallenge

    with _app().app_context():
        return db.session.query(CaptchaChallenge).filter_by(used_at=None).order_by(
            CaptchaChallenge.created_at.desc()).first().answer


def main():
    os.makedirs(OUT, exist_ok=True)
    ids = {**demo_ids(), **training_ids(), **announcement_ids()}
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
            for name, kind, fields in QUERIES:
                if not ONLY.search(name):
                    continue
                page.goto(BASE + f"/query/{kind}")
                for key, value in fields.items():
                    page.fill(f"[name={key}]", value.format(**ids))
                page.fill("#captcha", latest_captcha())
                page.click("form [type=submit]")
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
            for user in dict.fromkeys(u for u, name, _url in STAFF if ONLY.search(name)):  # (the login limit)
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
