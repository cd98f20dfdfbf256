"""G1 课程管理: the teacher's course category bindings and 绑定课程类别 (a level-3 category with work or
teaching experience rows); a returned binding is edited and resubmitted.  The Association reviews the
binding on the matter page (/matterview/show/<id>); the rules are app/services/teacher_categories.py."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import workflow
from app.services import teacher_categories as service
from models.enums import ReviewStatus
from views.admin.course_reviews import CourseRereviewView  # G5 老课复审, listed under 培训

CATEGORY = ("Training", _l("Training"))


def _common():
    return {"status_label": ReviewStatus.label_of, "kind_label": service.kind_label, "kinds": service.KINDS,
            "matter_of": service.matter_of, "stage_label": workflow.stage_label, "editable": service.editable}


def _rows(form):
    """The experience rows as the form sent them (to show them again after a refusal)."""
    columns = [form.getlist(k) for k in ("kind", "start_date", "end_date", "organisation", "content")]
    width = max(len(c) for c in columns)
    return [dict(zip(("kind", "start_date", "end_date", "organisation", "content"),
                     (c[i] if i < len(c) else "" for c in columns), strict=True)) for i in range(width)]


class TeacherBindingView(BaseView):
    """课程管理: my bindings; 绑定课程类别; the edit and resubmission of a returned binding."""
    route_base = "/teacherbindingview"
    default_view = "list"
    base_permissions = ["can_list", "can_show", "can_bind"]
    method_permission_name = {"list": "list", "show": "show", "bind": "bind", "edit": "bind"}

    @expose("/list")
    @has_access
    def list(self):
        person = service.teacher_of(g.user)
        if person is None:
            return self.render_template("training/binding_refused.html"), 403
        return self.render_template("training/binding_list.html", person=person,
                                    bindings=service.bindings_of(person), **_common())

    @expose("/show/<int:binding_id>")
    @has_access
    def show(self, binding_id):
        binding = service.own_binding(binding_id, g.user)
        if binding is None:
            abort(404)  # the same answer whether it does not exist or is another teacher's
        return self.render_template("training/binding_show.html", binding=binding,
                                    matter=service.matter_of(binding), **_common())

    def _form(self, binding=None):
        if service.teacher_of(g.user) is None:
            return self.render_template("training/binding_refused.html"), 403
        errors, rows, selected = {}, [], binding.category_id if binding else ""
        if request.method == "POST":
            try:
                binding = service.bind(g.user, request.form, binding=binding)
            except service.BindingError as exc:
                errors = {exc.field: str(exc)}
                rows, selected = _rows(request.form), request.form.get("category_id", "")
            else:
                matter = service.matter_of(binding)
                flash(_("The binding of %(path)s is submitted for review (business number %(no)s).",
                        path=binding.category.path, no=matter.business_no if matter else ""), "success")
                return redirect(url_for(".list"))
        elif binding is not None:
            rows = list(binding.experiences or [])
        rows = (rows or []) + [{"kind": "teaching"}] * (3 if not rows else 1)  # blank rows are skipped
        return self.render_template("training/binding_form.html", binding=binding, rows=rows, selected=selected,
                                    groups=service.category_groups(), errors=errors, **_common()), \
            400 if errors else 200

    @expose("/bind", methods=["GET", "POST"])
    @has_access
    def bind(self):
        return self._form()

    @expose("/edit/<int:binding_id>", methods=["GET", "POST"])
    @has_access
    def edit(self, binding_id):
        binding = service.own_binding(binding_id, g.user)
        if binding is None:
            abort(404)
        if not service.editable(binding):
            flash(_("Only a returned binding can be edited."), "warning")
            return redirect(url_for(".show", binding_id=binding.id))
        return self._form(binding)


MENU = [(TeacherBindingView, _l("Course management")), (CourseRereviewView, _l("Old-course re-review"))]
APIS = []
