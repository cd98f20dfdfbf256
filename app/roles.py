"""Roles of SPEC.md, declared in one place and synced into the database.

Each role lists (view-name regex, permission regex) pairs, matched against
every permission FAB registered.  Roles are ordinary database roles (not
FAB "builtin" ones), so an operator can still adjust them (SPEC I1); the
sync only adds what is declared.
"""
import logging
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect

log = logging.getLogger(__name__)

ADMIN, ASSOCIATION, INSTITUTION, CANDIDATE = "Admin", "Association", "Institution", "Candidate"
EXPERT, TEACHER, SUPPORT, FINANCE = "Expert", "Teacher", "Support", "Finance"
ALL_ROLES = (ADMIN, ASSOCIATION, INSTITUTION, CANDIDATE, EXPERT, TEACHER, SUPPORT, FINANCE)

ROLE_LABELS = {
    ADMIN: _l("System administrator"), ASSOCIATION: _l("Association administrator"),
    INSTITUTION: _l("Institution user"), CANDIDATE: _l("Candidate"), EXPERT: _l("Expert"),
    TEACHER: _l("Teacher"), SUPPORT: _l("Support"), FINANCE: _l("Finance"), "Public": _l("Public"),
}


def role_label(name):
    return ROLE_LABELS.get(name, name)


# Roles that see every row of the views they may open (no institution filter).
SEE_ALL_ROLES = {ADMIN, ASSOCIATION, SUPPORT, FINANCE}
# Roles allowed to see a full ID number (each view is audited).
FULL_ID_NUMBER_ROLES = {ADMIN, ASSOCIATION}

READ = r"can_list|can_show|menu_access|can_export|can_get|can_info"
WRITE = READ + r"|can_add|can_edit|can_delete|can_post|can_put"
# money is Finance's: the order, payment, invoice and refund lists are read-only
# and every decision is one of these actions (views/admin/finance.py)
_MONEY_VIEWS = r"(Order|Payment|Invoice|Refund)(View|Api)?"
FINANCE_ACTIONS = (r"can_reconciliation|confirm_voucher|reject_voucher|invoice_done|refuse_invoice"
                   r"|approve_refund|refuse_refund")
_BUSINESS_VIEWS = (
    r"Institution|Person|Major|Region|CertificateType|ExamPlan|Subject|Site|ExamSite|Room"
    r"|Invigilator|ExamSession|SeatAssignment|InvigilatorAssignment|PilotApplication|WeeklyReport"
    r"|Registration|RegistrationReview|InstitutionDashboard|RegistrationSubject|Education|WorkExperience|MaterialEntry|EligibilityRule"
    r"|Score|ExamResult|Certificate|CreditRecord|Membership"
    r"|CertificateIssue|CertificateImport"  # E4: 颁发证书, 证书导入 (the Association's alone)
    r"|ScoreEntry|ScoreImport"  # E1, E3: score entry, import, publication and re-checks (the Association's)
    r"|MatterType|Matter|MatterHistory|CalendarDay|CourseCategory|TeacherCategory|Course"
    r"|CourseTeacher|TrainingPlan|TrainingRecord|MessageThread|MessagePost|Announcement|Job|Statistics|SupportQueue"
    r"|Scheduling"  # D10: runs and publishes scheduling (can_schedule)
    r"|ExamPrintables"  # D11: door and desk stickers, sign-in sheets, admission tickets (can_print)
    r"|PhotoImport|PhotoVerification"  # D5, D6: photo zips, 认证 / 批量认证 / 人工确认
    r"|CandidateImport|RegistrationImport|RoomImport|InvigilatorImport"  # D4, D7-D9: Excel imports/exports
)

ROLE_PERMISSIONS = {
    ADMIN: [(r".*", r".*")],
    ASSOCIATION: [
        (rf"({_BUSINESS_VIEWS})(View|Api)?", r".*"),
        (_MONEY_VIEWS, READ),
        (r"People|Exams|ExamAdmin|Scores|Finance|Certificates|Matters|Training|Messages|Statistics", r"menu_access"),
        (r"(Notification)(View|Api)?", r".*"),
        (r"ExpertAssign(View)?", r"can_list|can_assign|menu_access"),  # F3: 待分配专家, 指派专家
        # G2, G4: the filed courses and reported plans (reviewed on the matter's page), terminating a plan
        (r"(CourseFiling|PlanReport)(View)?", r"can_list|can_show|can_terminate|menu_access"),
        (r"WorkCalendarView", r"can_list"),  # I3: reads the working-day calendar; the Admin maintains it
    ],
    INSTITUTION: [
        (r"(Person|Site|Room|Invigilator|PilotApplication|WeeklyReport|Registration)(View|Api)?", WRITE),
        (r"(ExamPlan|ExamSite|SeatAssignment|Score|ExamResult|Order|Certificate|Matter"
         r"|MatterHistory|CourseTeacher|CreditRecord|Membership|Course|TrainingPlan|TrainingRecord)(View|Api)?", READ),
        # G2–G5: courses and plans are written through their filings only (app/services/courses.py, …)
        (r"CourseFiling(View)?", r"can_list|can_show|can_edit|can_submit|menu_access"),
        (r"PlanReport(View)?", r"can_list|can_show|can_edit|can_submit|can_terminate|can_finish|menu_access"),
        (r"CourseRereview(View)?", r"can_list|can_file|menu_access"),
        (r"InstitutionMembership(View)?", r"can_apply|menu_access"),  # F10: its own institution's membership
        (r"MatterView", r"can_add|can_transition"),
        (r"RegistrationReview(View)?", r"can_review|menu_access"),
        (r"Scheduling(View)?", r"can_list|menu_access"),  # D10: its own rooms' seat plan, read-only
        (r"(PilotApplication|Site|WeeklyReport)View", r"submit_review"),
        (r"PersonView", r"batch_edit|batch_delete"),  # D4: its own candidates only (rows through the scope)
        (r"InstitutionDashboard(View)?", r"can_index|menu_access"),
        (r"PersonnelMatters(View)?", r"can_catalogue|can_file|menu_access"),  # F1, F5, F6: files its own
        (r"ExamPrintables(View)?", r"can_print|menu_access"),  # D11: prints its own rooms only
        (r"PhotoImport(View)?", r"can_import|menu_access"),  # D5: photos of its own people only
        (r"PhotoVerification(View)?", r"can_list|can_show|menu_access|verify_info|batch_verify_info|confirm_info"),
        (r"(CandidateImport|RegistrationImport|RoomImport|InvigilatorImport)(View)?",
         r"can_import|menu_access"),  # D4, D7-D9: into and from its own institution only
        (r"BatchPayment(View)?", r"can_pay|menu_access"),  # C4: pays for its own candidates
        (r"ScoreEntry(View)?", r"can_index|can_plan|can_export|menu_access"),  # E2: its candidates, once published
        (r"AnnouncementBoard(View)?|Announcements", r"can_list|can_show|menu_access"),  # H5: those for it
        (r"Statistics(View)?", r"can_overview|can_export|menu_access"),  # I2: its own figures (the service scopes)
        (r"People|Exams|ExamAdmin|Scores|Finance|Certificates|Matters|Training", r"menu_access"),
        (r"(Notification)(View|Api)?", r".*"),
    ],
    CANDIDATE: [],  # the portal only, never the back office
    EXPERT: [
        (r"(Matter|MatterHistory)(View|Api)?", READ),
        (r"MatterView", r"can_transition"),
        (r"Matters", r"menu_access"),
        (r"(Notification)(View|Api)?", r".*"),
        (r"ExpertTask(View)?", r"can_list|can_judge|menu_access"),  # F3: 我的评价任务, the judgement
        (r"CourseReviewTask(View)?", r"can_list|can_judge|menu_access"),  # G5: 网络课程评价, 老课复审评价
    ],
    TEACHER: [
        (r"(CourseTeacher|TeacherCategory)(View|Api)?", READ),
        (r"CourseCategory(View|Api)?", READ),
        # G1–G4 培训课程管理: 课程管理 (bindings), 课程备案管理 (confirm, unbind), 培训计划管理 (confirm)
        (r"(TeacherBinding|TeacherFiling|TeacherPlan)(View)?", r"can_list|can_show|can_bind|can_confirm|can_unbind"
                                                               r"|menu_access"),
        (r"(Matter|MatterHistory)(View|Api)?", READ),  # the matters they filed (binding, unbinding)
        (r"Training|Matters", r"menu_access"),
        (r"(Notification)(View|Api)?", r".*"),
    ],
    SUPPORT: [
        (r"(MessageThread|MessagePost)(View|Api)?",
         r"can_list|can_show|can_add|can_edit|can_reply|menu_access|can_get|can_info"),
        (r"SupportQueue(View)?", r"can_list|can_handle|menu_access"),  # H2: the queue, 分配给我, 已解决
        (r"(Person|Registration|Certificate|Matter|Announcement)(View|Api)?", READ),
        (r"People|Messages|Exams|Certificates|Matters|ExamAdmin", r"menu_access"),
        (r"(Notification)(View|Api)?", r".*"),
    ],
    FINANCE: [
        (_MONEY_VIEWS, READ + "|" + FINANCE_ACTIONS),
        (r"(Registration|Person|ExamPlan)(View|Api)?", READ),
        (r"Statistics(View)?", r"can_overview|can_export|menu_access"),  # I2: fees and every other figure
        (r"Finance|ExamAdmin|People|Exams", r"menu_access"),
        (r"(Notification)(View|Api)?", r".*"),
    ],
}


# Applicant-only transitions (submit, resubmit, withdraw) in the back office:
# institutions file matters there; candidates file theirs in the portal.
BACK_OFFICE_APPLICANTS = {INSTITUTION}


def workflow_rules():
    """Each role may see the MatterView actions of the transitions it may take."""
    import app.matters  # noqa: F401  (declares the matter types)
    from app.workflow import REGISTRY

    rules = {}
    for mtype in REGISTRY.values():
        for t in mtype.transitions:
            for role in (BACK_OFFICE_APPLICANTS if t.applicant_only else t.roles):
                rules.setdefault(role, []).append(("MatterView", re.escape(t.name)))
    return rules


# every back-office user may see their own account and change their password
OWN_ACCOUNT = [
    (r"PlatformUserView", r"can_userinfo|resetmypassword|userinfoedit"),
    (r"ResetMyPasswordView|UserInfoEditView", r"can_this_form_get|can_this_form_post"),
]


def _matches(rules, view_name, permission_name):
    return any(re.fullmatch(v, view_name) and re.fullmatch(p, permission_name) for v, p in rules)


def ceiling(role_name, pvms, generated=None):
    """The permissions (FAB permission-views) ``role_name`` may ever hold: its rules here, the workflow's
    transitions and its own account's pages."""
    generated = workflow_rules() if generated is None else generated
    rules = ROLE_PERMISSIONS[role_name] + generated.get(role_name, []) + (OWN_ACCOUNT if role_name != CANDIDATE
                                                                         else [])
    return [pvm for pvm in pvms if _matches(rules, pvm.view_menu.name, pvm.permission.name)]


def switched_off(session):
    """{(role, view, permission)} the Admin switched off on screen (I1); none before that table exists."""
    if not inspect(session.get_bind()).has_table("role_permission_off"):
        return set()
    from models import RolePermissionOff

    return {(r.role_name, r.view_name, r.permission_name) for r in session.query(RolePermissionOff)}


def apply_role(role, wanted, off):
    """Give ``role`` each wanted permission not switched off, and take away the switched-off ones."""
    have = set(role.permissions)
    for pvm in wanted:
        key = (role.name, pvm.view_menu.name, pvm.permission.name)
        if key in off and pvm in have:
            role.permissions.remove(pvm)
        elif key not in off and pvm not in have:
            role.permissions.append(pvm)


def sync_roles(appbuilder):
    """Register every view's permissions, then grant each declared role its share (less what the Admin
    switched off on screen)."""
    sm = appbuilder.sm
    for role_name in (*ROLE_PERMISSIONS, sm.auth_role_public):
        if sm.find_role(role_name) is None:
            sm.add_role(role_name)
    appbuilder.add_permissions(update_perms=True)
    session = sm.session
    pvms = session.query(sm.permissionview_model).all()
    generated, off = workflow_rules(), switched_off(session)
    for role_name in ROLE_PERMISSIONS:
        apply_role(sm.find_role(role_name), ceiling(role_name, pvms, generated), off)
    session.commit()


def sync_roles_if_migrated(appbuilder):
    """At start: sync when the schema exists (after ``flask db upgrade``)."""
    engine = appbuilder.get_session.get_bind() if hasattr(appbuilder, "get_session") else appbuilder.session.get_bind()
    if not inspect(engine).has_table("ab_permission_view_role"):
        log.info("database not migrated yet: roles not synced")
        return
    try:
        sync_roles(appbuilder)
    except Exception:  # a concurrent worker may be syncing the same rows
        appbuilder.session.rollback()
        log.exception("role sync failed; run `flask roles-sync`")
