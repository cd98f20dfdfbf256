"""考试: certificate catalogue, exam plans, subjects, sites and quotas."""
from flask_babel import lazy_gettext as _l

from models import CertificateType, EligibilityRule, ExamPlan, ExamSite, PilotApplication, Site, Subject
from models.enums import ExamStatus
from views.base import model_api, model_view

CATEGORY = ("Exams", _l("Exams"))

CertificateTypeView = model_view(
    CertificateType, list_columns=["code", "name", "level", "issuer", "category", "validity_years", "enabled"],
    search_columns=["code", "name", "level", "issuer", "category", "enabled"], scope=None)
ExamPlanView = model_view(
    ExamPlan,
    list_columns=["name", "category", "level", "reg_start", "reg_end", "exam_start", "fee", "status"],
    search_columns=["name", "category", "level", "reg_start", "reg_end", "exam_start"],
    show_columns=["name", "category", "level", "certificate_type", "exam_start", "exam_end", "location", "fee",
                  "reg_start", "reg_end", "eligibility", "notice", "pledge", "refundable", "refund_policy",
                  "recheck_allowed", "review_workdays", "reviewer", "published", "status"],
    add_columns=["name", "category", "level", "certificate_type", "exam_start", "exam_end", "location", "fee",
                 "reg_start", "reg_end", "eligibility", "notice", "pledge", "refundable", "refund_policy",
                 "recheck_allowed", "review_workdays", "reviewer", "published"],
    label_columns={"status": _l("Status")},
    formatters_columns={"status": lambda v: ExamStatus.label_of(v)},
    scope=None)
SubjectView = model_view(Subject, list_columns=["exam_plan", "name", "weight", "full_marks", "pass_score"],
                         search_columns=["exam_plan", "name"], scope=None)
EligibilityRuleView = model_view(EligibilityRule, list_columns=["exam_plan", "name", "kind"],
                                 search_columns=["exam_plan", "name", "kind"], scope=None)
SiteView = model_view(Site, list_columns=["code", "name", "institution", "certificate_type", "region", "status"],
                      search_columns=["code", "name", "institution", "status"])
ExamSiteView = model_view(ExamSite, list_columns=["exam_plan", "site", "quota", "seats_taken"],
                          search_columns=["exam_plan", "site"])
PilotApplicationView = model_view(
    PilotApplication,
    list_columns=["institution", "certificate_type", "year", "batch", "requested_count", "approved_count", "status"],
    search_columns=["institution", "certificate_type", "year", "status"])

MENU = [
    (CertificateTypeView, _l("Certificate catalogue")),
    (ExamPlanView, _l("Exam plans")),
    (SubjectView, _l("Subjects")),
    (EligibilityRuleView, _l("Eligibility rules")),
    (SiteView, _l("Assessment sites")),
    (ExamSiteView, _l("Site quotas")),
    (PilotApplicationView, _l("Pilot certificate applications")),
]
APIS = [
    model_api(CertificateType, list_columns=["id", "code", "name", "level", "issuer", "enabled"], scope=None),
    model_api(ExamPlan, list_columns=["id", "name", "category", "level", "reg_start", "reg_end", "exam_start", "fee"],
              scope=None),
    model_api(Site, list_columns=["id", "code", "name", "institution_id", "status"]),
]
