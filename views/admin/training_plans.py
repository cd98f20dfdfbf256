"""G4 培训计划: the institution's 培训计划上报 (list, detail, form, 上报, 终止, 结束培训 with the attendees;
the Association sees every plan, read-only, and may terminate) and the teacher's 培训计划管理
(培训计划教师确认).  Rules: app/services/training_plans.py."""
import datetime

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.services import training_plans as service
from app.services.courses import filed_courses
from app.workflow import WorkflowError, matter_type_of
from models import TrainingPlan
from models.enums import PlanStatus, TeacherConfirm

CATEGORY = ("Training", _l("Training"))


def _common():
    return {"service": service, "statuses": PlanStatus, "confirms": TeacherConfirm,
            "stage_of": lambda m: matter_type_of(m).state(m.state).label if m is not None else ""}


def _cpd_records(user=None, start=None, end=None):
    """E9: the template global of the annual confirmation form (the holder's CPD records, total hours)."""
    return service.cpd_of_user(user if user is not None else g.user, start, end)


class PlanReportView(BaseView):
    """培训计划上报: the institution's plans (the Association's: every plan)."""
    route_base = "/planreportview"
    default_view = "list"
    base_permissions = ["can_list", "can_show", "can_edit", "can_submit", "can_terminate", "can_finish"]

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.add_app_template_global(_cpd_records, "cpd_records")  # E9 (portal/cert_annual.html)
        return blueprint

    def _may(self, permission):
        return self.appbuilder.sm.has_access(permission, "PlanReportView")

    def _plan(self, pk):
        plan = service.own_plan(pk, g.user)
        if plan is None:
            abort(404)  # the same answer whether it does not exist or is another institution's
        return plan

    @expose("/list")
    @has_access
    def list(self):
        args = request.args
        plans = service.plans_of(g.user, q=args.get("q", "").strip(), status=args.get("status", ""),
                                 course=args.get("course", "").strip())
        return self.render_template("training/plan_list.html", plans=plans, args=args,
                                    may_edit=self._may("can_edit") and g.user.institution_id is not None,
                                    matter_of=service.matter_of, **_common())

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        plan = self._plan(pk)
        matter = service.matter_of(plan)
        mine = g.user.institution_id is not None and plan.institution_id == g.user.institution_id
        state = matter.state if matter is not None else None
        return self.render_template(
            "training/plan_show.html", plan=plan, matter=matter, errors={}, form={},
            may_edit=mine and state in service.EDITABLE_STATES and self._may("can_edit"),
            may_submit=mine and state in service.EDITABLE_STATES and self._may("can_submit"),
            may_terminate=state in service.TERMINABLE_STATES and self._may("can_terminate"),
            may_finish=mine and state == "approved" and self._may("can_finish"),
            **_common())

    @expose("/edit/", methods=["GET", "POST"])
    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk=None):
        if g.user.institution_id is None:
            abort(404)  # the Association reads plans; institutions write them
        plan = self._plan(pk) if pk is not None else None
        if plan is not None:
            matter = service.matter_of(plan)
            if matter is None or matter.state not in service.EDITABLE_STATES:
                flash(_("Plan %(no)s can no longer be changed.", no=plan.plan_no), "warning")
                return redirect(url_for(".show", pk=plan.id))
        errors, form = {}, request.form
        if request.method == "POST":
            submitting = form.get("do") == "submit"
            if submitting and not self._may("can_submit"):
                abort(403)
            try:
                values = service.plan_values(form, g.user.institution_id)
                plan = service.save(g.user, values, plan)
                if submitting:
                    service.submit(plan, g.user)
            except service.PlanError as exc:
                db.session.rollback()
                errors = {exc.field: str(exc)}
            except WorkflowError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
                return redirect(url_for(".show", pk=plan.id))
            else:
                flash(_("Plan %(no)s is reported; its teachers are asked to confirm.", no=plan.plan_no)
                      if submitting else _("Plan %(no)s is saved as a draft.", no=plan.plan_no), "success")
                return redirect(url_for(".show", pk=plan.id))
        elif plan is not None:
            form = {"title": plan.title, "start_date": plan.start_date.isoformat(),
                    "end_date": plan.end_date.isoformat(), "location": plan.location or "",
                    "capacity": plan.capacity or ""}
        chosen_courses = [int(v) for v in request.form.getlist("course_ids") if v.isdigit()] if errors else (
            [c.course_id for c in plan.courses] if plan is not None else [])
        chosen_teachers = [int(v) for v in request.form.getlist("teacher_ids") if v.isdigit()] if errors else (
            [t.person_id for t in plan.teachers] if plan is not None else [])
        today = datetime.date.today()
        return self.render_template(
            "training/plan_form.html", plan=plan, form=form, errors=errors,
            courses=filed_courses(g.user.institution_id, today),
            teachers=service.teacher_choices(g.user.institution_id, today),
            chosen_courses=chosen_courses, chosen_teachers=chosen_teachers,
            may_submit=self._may("can_submit"), **_common()), 400 if errors else 200

    @expose("/submit/<int:pk>", methods=["POST"])
    @has_access
    def submit(self, pk):
        plan = self._plan(pk)
        if plan.institution_id != g.user.institution_id:
            abort(404)
        try:
            service.submit(plan, g.user)
        except WorkflowError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Plan %(no)s is reported; its teachers are asked to confirm.", no=plan.plan_no), "success")
        return redirect(url_for(".show", pk=plan.id))

    @expose("/terminate/<int:pk>", methods=["POST"])
    @has_access
    def terminate(self, pk):
        plan = self._plan(pk)
        try:
            service.terminate(plan, g.user, request.form.get("reason"))
        except service.PlanError as exc:
            return self._show_error(plan, exc.field, str(exc))
        except WorkflowError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Plan %(no)s is terminated.", no=plan.plan_no), "success")
        return redirect(url_for(".show", pk=plan.id))

    def _show_error(self, plan, field, message):
        matter = service.matter_of(plan)
        mine = plan.institution_id == g.user.institution_id
        return self.render_template(
            "training/plan_show.html", plan=plan, matter=matter, errors={field: message}, form=request.form,
            may_edit=False, may_submit=False, may_terminate=matter.state in service.TERMINABLE_STATES,
            may_finish=mine and matter.state == "approved", **_common()), 400

    @expose("/finish/<int:pk>", methods=["GET", "POST"])
    @has_access
    def finish(self, pk):
        """结束培训: the attendees (身份证号 lines or the picker, with hours), then finish."""
        plan = self._plan(pk)
        if plan.institution_id != g.user.institution_id:
            abort(404)
        matter = service.matter_of(plan)
        if matter is None or matter.state != "approved":
            flash(_("Plan %(no)s is not running; its attendees cannot be entered.", no=plan.plan_no), "warning")
            return redirect(url_for(".show", pk=plan.id))
        errors, form = {}, request.form
        if request.method == "GET" and datetime.date.today() < plan.end_date:
            flash(_("Plan %(no)s ends on %(day)s; the training can be finished from then on.", no=plan.plan_no,
                    day=plan.end_date.isoformat()), "warning")
            return redirect(url_for(".show", pk=plan.id))
        if request.method == "POST":
            try:
                rows = service.attendee_values(plan, form)
                service.set_attendees(plan, rows)
                if form.get("do") == "finish":
                    service.finish(plan, g.user)
            except service.PlanError as exc:
                db.session.rollback()
                errors = {exc.field: str(exc)}
            except WorkflowError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
                return redirect(url_for(".show", pk=plan.id))
            else:
                if form.get("do") == "finish":
                    flash(_("Plan %(no)s is finished: %(n)d training records are written.", no=plan.plan_no,
                            n=len(plan.attendees)), "success")
                    return redirect(url_for(".show", pk=plan.id))
                flash(_("The attendees are saved."), "success")
                return redirect(url_for(".finish", pk=plan.id))
        return self.render_template("training/plan_finish.html", plan=plan, matter=matter, form=form,
                                    errors=errors, people=service.institution_people(plan.institution_id),
                                    **_common()), 400 if errors else 200


class TeacherPlanView(BaseView):
    """培训计划管理 / 培训计划教师确认: the plans naming this teacher; 确认 (同意/不同意 + 理由)."""
    route_base = "/teacherplanview"
    default_view = "list"
    base_permissions = ["can_list", "can_show", "can_confirm"]

    def _plan(self, pk):
        plan = db.session.get(TrainingPlan, pk)
        if plan is None or service.teacher_row(plan, g.user) is None:
            abort(404)
        return plan

    @expose("/list")
    @has_access
    def list(self):
        args = request.args
        rows = service.teacher_rows(g.user, course=args.get("course", "").strip(), confirm=args.get("confirm", ""))
        return self.render_template("training/plan_teacher_list.html", rows=rows, args=args,
                                    may_confirm=service.may_confirm, **_common())

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        plan = self._plan(pk)
        return self.render_template("training/plan_confirm.html", plan=plan, row=service.teacher_row(plan, g.user),
                                    may_confirm=False, form={}, errors={}, **_common())

    @expose("/confirm/<int:pk>", methods=["GET", "POST"])
    @has_access
    def confirm(self, pk):
        plan = self._plan(pk)
        allowed = service.may_confirm(plan, g.user)
        errors, form = {}, request.form
        if request.method == "POST":
            if not allowed:
                abort(403)
            answer = form.get("result")
            try:
                if answer not in ("agree", "disagree"):
                    raise service.PlanError("result", _("Please choose: %(field)s.", field=_("Confirmation result")))
                service.confirm(service.matter_of(plan).id, g.user, answer == "agree", form.get("opinion"))
            except service.PlanError as exc:
                errors = {exc.field: str(exc)}
            except WorkflowError as exc:
                flash(str(exc), "danger")
                return redirect(url_for(".show", pk=plan.id))
            else:
                flash(_("Your confirmation of plan %(no)s is recorded.", no=plan.plan_no), "success")
                return redirect(url_for(".list"))
        return self.render_template("training/plan_confirm.html", plan=plan, row=service.teacher_row(plan, g.user),
                                    may_confirm=allowed, form=form, errors=errors,
                                    **_common()), 400 if errors else 200


MENU = [(PlanReportView, _l("Training plan reporting")), (TeacherPlanView, _l("Training plan management"))]
APIS = []
