"""F3 专家评价: assigning matters to experts (待分配专家, the Association's) and the expert's work list
(我的评价任务) with the per-row judgement; the rules are app/services/expert_review.py."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import workflow
from app.extensions import db
from app.services import experience
from app.services import expert_review as service
from models import Matter
from models.enums import Conformity

CATEGORY = ("Matters", _l("Matters"))


def _common(matter=None):
    return {"stage_label": workflow.stage_label, "result_label": service.result_label,
            "type_name": lambda m: workflow.matter_type_of(m).name}


class ExpertAssignView(BaseView):
    """待分配专家: matters at 专家评价 without an expert, and the picker (experts, fields, workload)."""
    route_base = "/expertassignview"
    default_view = "list"
    base_permissions = ["can_list", "can_assign"]

    @expose("/list")
    @has_access
    def list(self):
        return self.render_template("platform/expert_assign_list.html", waiting=service.awaiting(),
                                    assigned=service.awaiting(assigned=True), **_common())

    @expose("/assign/<int:matter_id>", methods=["GET", "POST"])
    @has_access
    def assign(self, matter_id):
        matter = db.session.get(Matter, matter_id)
        if matter is None:
            abort(404)
        errors = {}
        if request.method == "POST":
            try:
                service.assign(matter.id, request.form.get("expert_id"), g.user)
            except service.ExpertReviewError as exc:
                errors = {exc.field: str(exc)}
            else:
                matter = db.session.get(Matter, matter_id)
                flash(_("Matter %(no)s is assigned to %(name)s.", no=matter.business_no,
                        name=service.display_name(matter.assignee)), "success")
                return redirect(url_for("MatterView.show", pk=matter.id))
        return self.render_template("platform/expert_assign.html", matter=matter, experts=service.experts(),
                                    assignable=workflow.assignable(matter), errors=errors, **_common())


class ExpertTaskView(BaseView):
    """我的评价任务: the matters assigned to the expert, and the judgement screen."""
    route_base = "/experttaskview"
    default_view = "list"
    base_permissions = ["can_list", "can_judge"]

    @expose("/list")
    @has_access
    def list(self):
        done = [m for m in service.tasks(g.user, open_only=False) if m.state != service.STAGE]
        return self.render_template("platform/expert_tasks.html", tasks=service.tasks(g.user), done=done,
                                    **_common())

    @expose("/judge/<int:matter_id>", methods=["GET", "POST"])
    @has_access
    def judge(self, matter_id):
        matter = db.session.get(Matter, matter_id)
        if not service.may_judge(matter, g.user):
            abort(404)  # the same answer whether it does not exist or is not this expert's
        errors, form = {}, request.form
        if request.method == "POST":
            submitting = request.form.get("do") == "submit"
            try:
                if submitting:
                    service.submit(matter.id, g.user, request.form)
                else:
                    service.save(matter.id, g.user, request.form)
            except service.ExpertReviewError as exc:
                errors = {exc.field: str(exc)}
            else:
                matter = db.session.get(Matter, matter_id)
                if submitting:
                    flash(_("The evaluation of matter %(no)s is submitted: %(result)s.", no=matter.business_no,
                            result=service.result_label(matter.payload.get("expert_result"))), "success")
                    return redirect(url_for(".list"))
                flash(_("The judgements are saved."), "success")
                return redirect(url_for(".judge", matter_id=matter.id))
        else:
            form = {}
        return self.render_template("platform/expert_judge.html", matter=matter, tables=service.rows(matter),
                                    columns=experience.TABLES, with_document=experience.WITH_DOCUMENT,
                                    choices=Conformity.choices(), results=service.RESULTS, form=form,
                                    errors=errors, **_common())


def links(matter, user, sm):
    """The buttons of the matter page: 指派专家 for the Association, 专家评价 for the assigned expert."""
    found = {}
    if workflow.assignable(matter) and service.may_assign(user) and sm.has_access("can_assign", "ExpertAssignView"):
        found["assign_url"] = url_for("ExpertAssignView.assign", matter_id=matter.id)
    if service.may_judge(matter, user) and sm.has_access("can_judge", "ExpertTaskView"):
        found["judge_url"] = url_for("ExpertTaskView.judge", matter_id=matter.id)
    p = matter.payload or {}
    if p.get("expert_result"):
        found["expert_proposal"] = (service.result_label(p["expert_result"]), p.get("expert_opinion", ""))
    return found


MENU = [(ExpertAssignView, _l("Awaiting an expert")), (ExpertTaskView, _l("My evaluation tasks"))]
APIS = []
