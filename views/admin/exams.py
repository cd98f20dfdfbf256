"""考试: certificate catalogue, exam plans, subjects, sites and quotas."""
import json
import re

from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget, Select2ManyWidget, Select2Widget
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired

from app.extensions import db
from app.services import certificates, exam_plans, registration
from models import CertificateType, EligibilityRule, ExamPlan, ExamSite, PilotApplication, Site, Subject
from models.enums import ExamStatus, RegistrationCategory, SectionCode
from views.admin.institution_ops import ReviewedRowView
from views.base import WRITE_RULES, PlatformModelView, model_api, model_view

CATEGORY = ("Exams", _l("Exams"))

WRITE_RULES[CertificateType] = lambda ctype: certificates.check_scheme(ctype.number_scheme)  # E4: 证书编号规则
CertificateTypeView = model_view(
    CertificateType, list_columns=["code", "name", "level", "issuer", "category", "validity_years", "enabled"],
    search_columns=["code", "name", "level", "issuer", "category", "enabled"], scope=None,
    description_columns={"number_scheme": _l("{code}: the certificate code, {year}: the year of issue, {seq}: the "
                                             "sequence within code and year (required); {seq:05d} pads it to five "
                                             "digits. E.g. {code}{year}{seq:05d}.")})
class ExamPlanBase(PlatformModelView):
    """The plan form carries its subjects, sections, categories and photo rules (JSON columns)."""
    add_form_extra_fields = edit_form_extra_fields = {
        "subjects_text": TextAreaField(
            _l("Subjects and weights"), validators=[DataRequired()], widget=BS3TextAreaFieldWidget(),
            description=_l('One subject per line with its weight in %, e.g. "理论 50"; the weights add up to 100.')),
        "sections_field": SelectMultipleField(
            _l("Required material sections"), choices=[(s.value, s.label) for s in SectionCode if s.value != "basic"],
            widget=Select2ManyWidget()),
        "categories_field": SelectMultipleField(
            _l("Registration categories offered"), choices=RegistrationCategory.choices(),
            validators=[DataRequired()], widget=Select2ManyWidget()),
        "photo_size": StringField(_l("Photo size (pixels)"), widget=BS3TextFieldWidget(),
                                  description=_l('Width×height, e.g. "295x413"; empty: at least 295×413.')),
        "photo_background": SelectField(_l("Photo background"), widget=Select2Widget(), choices=[
            ("", _l("Any")), ("white", _l("white")), ("blue", _l("blue")), ("red", _l("red"))]),
    }

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk)
        form.subjects_text.data = exam_plans.format_subjects(item)
        form.sections_field.data = item.required_sections or []
        form.categories_field.data = item.categories_offered or []
        size = (item.photo_rules or {}).get("size")
        form.photo_size.data = f"{size[0]}x{size[1]}" if size else ""
        form.photo_background.data = (item.photo_rules or {}).get("background", "")

    def _from_form(self, item):
        form = self._current_form
        try:
            exam_plans.set_subjects(item, exam_plans.parse_subjects(form.subjects_text.data))
        except exam_plans.PlanError:
            db.session.rollback()
            raise
        item.required_sections = ["basic"] + list(form.sections_field.data or [])
        item.categories_offered = list(form.categories_field.data or [])
        rules = {}
        size = (form.photo_size.data or "").strip().lower().replace("×", "x")
        if size:
            if not re.fullmatch(r"\d{2,4}x\d{2,4}", size):
                db.session.rollback()
                raise ValueError(_("Photo size: write width×height in pixels, e.g. 295x413."))
            rules["size"] = [int(v) for v in size.split("x")]
        if form.photo_background.data:
            rules["background"] = form.photo_background.data
        item.photo_rules = rules

    def process_form(self, form, is_created):
        self._current_form = form

    def pre_add(self, item):
        super().pre_add(item)
        self._from_form(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._from_form(item)


PLAN_FORM = ["name", "category", "level", "certificate_type", "exam_start", "exam_end", "location", "fee",
             "reg_start", "reg_end", "subjects_text", "eligibility", "notice", "pledge", "sections_field",
             "categories_field", "photo_size", "photo_background", "refundable", "refund_policy",
             "pass_total", "results_published_at", "recheck_allowed", "recheck_until", "review_workdays", "reviewer",
             "published"]
ExamPlanView = model_view(
    ExamPlan, base=ExamPlanBase,
    list_columns=["name", "category", "level", "reg_start", "reg_end", "exam_start", "fee", "status"],
    search_columns=["name", "category", "level", "reg_start", "reg_end", "exam_start"],
    show_columns=["name", "category", "level", "certificate_type", "exam_start", "exam_end", "location", "fee",
                  "reg_start", "reg_end", "subjects", "eligibility", "notice", "pledge", "required_sections",
                  "categories_offered", "photo_rules", "refundable", "refund_policy",
                  "pass_total", "results_published_at", "recheck_allowed", "recheck_until", "review_workdays",
                  "reviewer", "published", "status"],
    add_columns=PLAN_FORM, edit_columns=PLAN_FORM,
    label_columns={"status": _l("Status")},
    formatters_columns={"status": lambda v: ExamStatus.label_of(v),
                        "subjects": lambda v: "、".join(f"{s.name} {s.weight}%" for s in v),
                        "required_sections": lambda v: "、".join(str(SectionCode.label_of(c)) for c in v or []),
                        "categories_offered": lambda v: "、".join(str(RegistrationCategory.label_of(c))
                                                                 for c in v or [])},
    scope=None)


def _check_subject_total(self, item):
    """Subjects edited one by one may not take a plan's weights beyond 100 %."""
    self._guarded(item)
    others = sum(s.weight for s in db.session.query(Subject).filter(
        Subject.exam_plan_id == item.exam_plan_id, Subject.id != item.id)) if item.exam_plan_id else 0
    if others + (item.weight or 0) > 100:
        db.session.rollback()
        raise ValueError(_("The subject weights of this exam would add up to %(total)d %%; at most 100 %% is allowed.",
                           total=others + (item.weight or 0)))


SubjectView = model_view(Subject, list_columns=["exam_plan", "name", "weight", "full_marks", "pass_score"],
                         search_columns=["exam_plan", "name"], scope=None)
SubjectView.pre_add = SubjectView.pre_update = _check_subject_total
class EligibilityRuleBase(PlatformModelView):
    """B13: the rule type is a choice; its parameters are JSON checked against the type."""
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Rule type"), widget=Select2Widget(), validators=[DataRequired()],
                            choices=[(k, label) for k, (label, _check) in registration.RULE_KINDS.items()]),
        "params_text": TextAreaField(
            _l("Parameters"), widget=BS3TextAreaFieldWidget(),
            description=LazyString(lambda: "; ".join(  # translated when shown, not at import
                f"{label}: {json.dumps(registration.RULE_EXAMPLES[k], ensure_ascii=False)}"
                for k, (label, _check) in registration.RULE_KINDS.items()))),
    }

    def prefill_form(self, form, pk):
        form.params_text.data = json.dumps(self.datamodel.get(pk).params or {}, ensure_ascii=False)

    def process_form(self, form, is_created):
        self._params_text = form.params_text.data

    def _checked(self, item):
        try:
            item.params = registration.checked_rule_params(item.kind, self._params_text)
        except registration.RegistrationError:
            db.session.rollback()
            raise

    def pre_add(self, item):
        super().pre_add(item)
        self._checked(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._checked(item)


RULE_FORM = ["exam_plan", "name", "kind", "params_text"]
EligibilityRuleView = model_view(EligibilityRule, base=EligibilityRuleBase, list_columns=["exam_plan", "name", "kind",
                                                                                          "params"],
                                 search_columns=["exam_plan", "name", "kind"], add_columns=RULE_FORM,
                                 edit_columns=RULE_FORM, scope=None,
                                 formatters_columns={"kind": lambda v: registration.RULE_KINDS[v][0]
                                                     if v in registration.RULE_KINDS else v,
                                                     "params": lambda v: json.dumps(v or {}, ensure_ascii=False)})
SiteView = model_view(Site, base=ReviewedRowView,
                      list_columns=["code", "name", "institution", "certificate_type", "region", "status"],
                      search_columns=["code", "name", "institution", "status"])
ExamSiteView = model_view(ExamSite, list_columns=["exam_plan", "site", "quota", "seats_taken"],
                          search_columns=["exam_plan", "site"])
PilotApplicationView = model_view(
    PilotApplication, base=ReviewedRowView,
    list_columns=["institution", "certificate_type", "year", "batch", "requested_count", "approved_count",
                  "used_quota", "status"],
    search_columns=["institution", "certificate_type", "year", "status"],
    label_columns={"used_quota": _l("Used quota")})

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
