"""报名审核: the reviewers' queue and review screen (SPEC B7, B13).

The Association reviews every exam's registrations; an Institution user only
those of its own sites, and only for exams reviewed by the site institution
(the workflow engine decides who may take each decision).
"""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import workflow
from app.extensions import db
from app.scoping import DEFAULT_SCOPE, scope_clause
from app.services import registration as reg_service
from app.services.registration import RegistrationError
from models import ExamPlan, Registration
from models.enums import RegistrationCategory
from models.enums import RegistrationStatus as RS

CATEGORY = ("ExamAdmin", _l("Exam administration"))
WAITING = (RS.SUBMITTED.value, RS.REVIEWING.value)


def _scoped(query):
    clause = scope_clause(Registration, DEFAULT_SCOPE, g.user)
    return query if clause is None else query.filter(clause)


class RegistrationReviewView(BaseView):
    route_base = "/registration-review"
    default_view = "queue"
    method_permission_name = {"queue": "review", "show": "review", "decide": "review"}

    @expose("/")
    @has_access
    def queue(self):
        """Applications waiting for a decision, oldest due date first."""
        query = _scoped(db.session.query(Registration).filter(Registration.status.in_(WAITING)))
        exam_id = request.args.get("exam", type=int)
        if exam_id:
            query = query.filter(Registration.exam_plan_id == exam_id)
        rows = query.order_by(Registration.submitted_at).limit(500).all()
        exams = db.session.query(ExamPlan).order_by(ExamPlan.reg_start.desc()).all()
        return self.render_template("platform/registration_queue.html", rows=rows, exams=exams, exam_id=exam_id,
                                    status_label=RS.label_of)

    def _get(self, rid):
        registration = _scoped(db.session.query(Registration).filter(Registration.id == rid)).one_or_none()
        if registration is None:
            abort(404)
        return registration

    @expose("/<int:rid>")
    @has_access
    def show(self, rid):
        registration = self._get(rid)
        matter = registration.matter
        allowed = [t.name for t in workflow.available_transitions(matter, g.user)] if matter else []
        sections = reg_service.sections_of(registration.exam_plan)
        return self.render_template(
            "platform/registration_review.html", reg=registration, matter=matter, allowed=allowed,
            # the outcome at submission, or the rules checked now for registrations filed before them
            eligibility=registration.eligibility_report or reg_service.check_eligibility(registration),
            sections=sections, entries=lambda s: reg_service.entries(registration, s),
            fields_of=reg_service.fields_of, display=reg_service.display_value,
            filled=lambda s: reg_service.section_filled(registration, s),
            status_label=RS.label_of, category_label=RegistrationCategory.label_of,
            reason_keys=["photo", "application"] + [s.value for s, _req in sections],
            section_label=reg_service.section_label, stage_label=workflow.stage_label,
            transition_label=lambda n: workflow.transition_names()[n].label
            if n in workflow.transition_names() else n)

    @expose("/<int:rid>/decide", methods=["POST"])
    @has_access
    def decide(self, rid):
        registration = self._get(rid)
        action = request.form.get("action")
        if action not in {"start_review", "approve", "return", "refuse"}:
            abort(400)
        reasons = {key.removeprefix("reason_"): value for key, value in request.form.items()
                   if key.startswith("reason_")}
        try:
            reg_service.review(registration, action, g.user, opinion=request.form.get("opinion"), reasons=reasons)
        except RegistrationError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for(".show", rid=rid))
        flash(_("%(op)s: done.", op=workflow.transition_names()[action].label), "success")
        return redirect(url_for(".show", rid=rid) if action == "start_review" else url_for(".queue"))


MENU = [(RegistrationReviewView, _l("Registration review"))]
APIS = []
