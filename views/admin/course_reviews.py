"""G5 专家评价 of courses: the expert's 网络课程评价 (file and video review of an online course's filing) and
老课复审评价 with the per-item judgement; the institution's 老课复审 (its filed courses and the application
to extend one's validity; listed under 培训 by views/admin/teacher_bindings.py).  The rules are
app/services/course_review.py; the Association assigns the expert (/expertassignview) and decides on the
matter page."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import workflow
from app.extensions import db
from app.services import course_review as service
from models import Course, Matter
from models.enums import Conformity, CourseDelivery, CourseStatus

CATEGORY = ("Matters", _l("Matters"))


def _common():
    return {"stage_label": workflow.stage_label, "delivery_label": CourseDelivery.label_of,
            "status_label": CourseStatus.label_of, "course_of": service.course_of, "period": service.period,
            "assigned_at": service.assigned_at, "section_state": service.section_state,
            "result_label": service.result_label}


class CourseReviewTaskView(BaseView):
    """网络课程评价 and 老课复审评价: the course matters assigned to the expert, and the judgement page."""
    route_base = "/coursereviewtaskview"
    default_view = "list"
    base_permissions = ["can_list", "can_judge"]
    method_permission_name = {"list": "list", "judge": "judge", "download": "judge"}

    @expose("/list")
    @has_access
    def list(self):
        return self.render_template(
            "training/review_tasks.html", online=service.tasks(g.user, service.FILING),
            rereviews=service.tasks(g.user, service.REREVIEW),
            done=[m for t in service.TYPES for m in service.tasks(g.user, t, open_only=False)
                  if m.state != service.STAGE], **_common())

    def _matter(self, matter_id):
        matter = db.session.get(Matter, matter_id)
        if not service.may_judge(matter, g.user):
            abort(404)  # the same answer whether it does not exist or is not this expert's
        return matter

    @expose("/judge/<int:matter_id>", methods=["GET", "POST"])
    @has_access
    def judge(self, matter_id):
        matter = self._matter(matter_id)
        errors, form = {}, None
        if request.method == "POST":
            form = request.form
            submitting = form.get("do") == "submit"
            try:
                if submitting:
                    service.submit(matter.id, g.user, form)
                else:
                    service.save(matter.id, g.user, form)
            except service.ReviewError as exc:
                errors = {exc.field: str(exc)}
                matter = db.session.get(Matter, matter_id)
            else:
                matter = db.session.get(Matter, matter_id)
                if submitting:
                    flash(_("The evaluation of matter %(no)s is submitted: %(result)s.", no=matter.business_no,
                            result=service.result_label(matter.payload.get("expert_result"))), "success")
                    return redirect(url_for(".list"))
                flash(_("The judgements are saved."), "success")
                return redirect(url_for(".judge", matter_id=matter.id))
        course = service.course_of(matter)
        return self.render_template(
            "training/review_judge.html", matter=matter, course=course, sections=service.sections_of(matter),
            judged=service.judgements(matter), form=form, errors=errors, choices=Conformity.choices(),
            results=service.RESULTS, **_common()), 400 if errors else 200


class CourseRereviewView(BaseView):
    """老课复审: the institution's filed courses with their validity, and 申请老课复审."""
    route_base = "/courserereviewview"
    default_view = "list"
    base_permissions = ["can_list", "can_file"]
    method_permission_name = {"list": "list", "apply": "file"}

    @expose("/list")
    @has_access
    def list(self):
        found = service.filed_courses(g.user)
        return self.render_template("training/review_courses.html", courses=found,
                                    rereviews={c.id: service.rereviews_of(c) for c in found},
                                    may_apply=service.may_apply, **_common())

    @expose("/apply/<int:course_id>", methods=["GET", "POST"])
    @has_access
    def apply(self, course_id):
        course = db.session.get(Course, course_id)
        if course is None or g.user.institution_id is None or course.institution_id != g.user.institution_id:
            abort(404)  # another institution's course: the same answer as a missing one
        errors = {}
        if request.method == "POST":
            try:
                matter = service.apply_rereview(course.id, g.user, request.form.get("reason"))
            except service.ReviewError as exc:
                errors = {exc.field: str(exc)}
            else:
                flash(_("The re-review of %(name)s is filed (business number %(no)s).", name=course.name,
                        no=matter.business_no), "success")
                return redirect(url_for(".list"))
        elif not service.may_apply(course, g.user):
            errors = {"form": service._refusal(course, g.user.institution_id)}
        start, end = service.extension(course) if course.valid_until else (None, None)
        return self.render_template("training/review_apply.html", course=course, start=start, end=end,
                                    errors=errors, reason=request.form.get("reason", ""), **_common()), \
            400 if errors and request.method == "POST" else 200


def links(matter, user, sm):
    """The matter page's 评价 button of a course matter points at this screen (not F3's row judgement)."""
    if service.may_judge(matter, user) and sm.has_access("can_judge", "CourseReviewTaskView"):
        return {"judge_url": url_for("CourseReviewTaskView.judge", matter_id=matter.id)}
    return {}


MENU = [(CourseReviewTaskView, _l("Course evaluation tasks"))]
APIS = []
