"""G2 课程备案 and G3 解除备案: the institution's course filings (the Association reads every one) and the
teacher's 课程备案管理 (confirm a filing naming them, unbind from a filed course); the rules are
app/services/courses.py, the reviews happen on the matter page (/matterview/show/<id>)."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.scoping import sees_all
from app.services import courses as service
from app.services.teacher_categories import category_groups
from app.workflow import WorkflowError
from models import Course, CourseCategory
from models.enums import CourseDelivery, CourseStatus, TeacherConfirm

CATEGORY = ("Training", _l("Training"))


def _int(value):
    return int(value) if str(value or "").isdigit() else None


def _common():
    return {"delivery_label": CourseDelivery.label_of, "status_label": CourseStatus.label_of,
            "confirm_label": TeacherConfirm.label_of, "stage_label": workflow.stage_label,
            "matter_of": service.matter_of, "groups": category_groups()}


def _uploads():
    found = {}
    for key in ("material", "video"):
        upload = request.files.get(key)
        if upload is not None and upload.filename:
            found[key] = (upload.read(), upload.filename)
    return found


class CourseFilingView(BaseView):
    """课程备案: an institution's courses (add, edit a draft or returned one, submit); the Association
    reads every institution's."""
    route_base = "/coursefilingview"
    default_view = "list"
    base_permissions = ["can_list", "can_show", "can_edit", "can_submit"]
    method_permission_name = {"list": "list", "show": "show", "add": "edit", "edit": "edit", "edit_matter": "edit",
                              "submit": "submit"}

    def _course(self, course_id):
        course = service.own_course(course_id, g.user)
        if course is None:
            abort(404)  # the same answer whether it does not exist or is another institution's
        return course

    @expose("/list")
    @has_access
    def list(self):
        stmt = select(Course)
        if not sees_all(g.user):
            stmt = stmt.where(Course.institution_id == (g.user.institution_id or -1))
        category_id, status = _int(request.args.get("category_id")), request.args.get("status") or ""
        if category_id:
            stmt = stmt.where(Course.category_id == category_id)
        if status:
            stmt = stmt.where(Course.status == status)
        rows = db.session.scalars(stmt.order_by(Course.id.desc()).limit(500)).all()
        return self.render_template("training/course_list.html", rows=rows, category_id=category_id, status=status,
                                    statuses=CourseStatus.choices(), editable=service.editable,
                                    may_edit=self.appbuilder.sm.has_access("can_edit", "CourseFilingView")
                                    and g.user.institution_id is not None, **_common())

    @expose("/show/<int:course_id>")
    @has_access
    def show(self, course_id):
        course = self._course(course_id)
        may_edit = self.appbuilder.sm.has_access("can_edit", "CourseFilingView") and service.editable(course) \
            and g.user.institution_id == course.institution_id
        return self.render_template("training/course_show.html", course=course, may_edit=may_edit, **_common())

    def _form(self, course):
        errors, form = {}, request.form
        if request.method == "POST":
            submitting = request.form.get("do") == "submit"
            try:
                course = service.save(g.user, request.form, _uploads(), course=course, submit=submitting)
            except service.CourseError as exc:
                errors = {exc.field or "form": str(exc)}
            except WorkflowError as exc:
                errors = {"form": str(exc)}
            else:
                matter = service.matter_of(course)
                if submitting:
                    flash(_("The course filing %(no)s is submitted; its teachers are asked to confirm.",
                            no=matter.business_no), "success")
                else:
                    flash(_("The course is saved as a draft (%(no)s).", no=matter.business_no), "success")
                return redirect(url_for(".show", course_id=course.id))
        else:
            form = {}
        chosen = set(request.form.getlist("teacher_ids")) if request.method == "POST" else \
            {str(r.person_id) for r in (course.teachers if course is not None else [])}
        return self.render_template("training/course_form.html", course=course, form=form, errors=errors,
                                    teachers=service.teachers(), chosen=chosen,
                                    deliveries=CourseDelivery.choices(), min_hours=service.MIN_HOURS,
                                    max_hours=service.MAX_HOURS, **_common())

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        if g.user.institution_id is None:
            abort(403)
        return self._form(None)

    @expose("/edit/<int:course_id>", methods=["GET", "POST"])
    @has_access
    def edit(self, course_id):
        course = self._course(course_id)
        if course.institution_id != g.user.institution_id:
            abort(403)
        if not service.editable(course):
            flash(_("This course is under review or filed; it cannot be changed now."), "warning")
            return redirect(url_for(".show", course_id=course.id))
        return self._form(course)

    @expose("/edit_matter/<int:matter_id>")
    @has_access
    def edit_matter(self, matter_id):
        """The matter page's edit link (app.services.matter_content.EDIT)."""
        from models import Matter

        course = service.course_of(db.session.get(Matter, matter_id))
        if course is None:
            abort(404)
        return redirect(url_for(".edit", course_id=self._course(course.id).id))

    @expose("/submit/<int:course_id>", methods=["POST"])
    @has_access
    def submit(self, course_id):
        course = self._course(course_id)
        if course.institution_id != g.user.institution_id:
            abort(403)
        try:
            matter = service.submit(course, g.user)
        except WorkflowError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("The course filing %(no)s is submitted; its teachers are asked to confirm.",
                    no=matter.business_no), "success")
        return redirect(url_for(".show", course_id=course.id))


def teacher_status(row):
    """The teacher's column 状态: 教师同意与课程备案 once the course they agreed to is filed."""
    if row.confirm == TeacherConfirm.AGREED.value and row.course.status == CourseStatus.FILED.value:
        return _("Teacher agreed and course filed")
    return TeacherConfirm.label_of(row.confirm)


class TeacherFilingView(BaseView):
    """课程备案管理: the teacher's rows of the courses naming them: 详情, 确认, 解除备案."""
    route_base = "/teacherfilingview"
    default_view = "list"
    base_permissions = ["can_list", "can_show", "can_confirm", "can_unbind"]

    def _row(self, row_id):
        row = service.own_row(row_id, g.user)
        if row is None:
            abort(404)  # the same answer whether it does not exist or names another teacher
        return row

    def _common(self):
        return {**_common(), "teacher_status": teacher_status, "may_confirm": service.may_confirm,
                "may_unbind": lambda row: service.may_unbind(row) and service.open_unbinding(row) is None}

    @expose("/list")
    @has_access
    def list(self):
        category_id, confirm = _int(request.args.get("category_id")), request.args.get("confirm") or ""
        rows = service.teacher_rows(g.user, category_id, confirm or None)
        return self.render_template("training/course_teacher_list.html", rows=rows, category_id=category_id,
                                    confirm=confirm, confirms=TeacherConfirm.choices(), user=g.user,
                                    **self._common())

    @expose("/show/<int:row_id>")
    @has_access
    def show(self, row_id):
        row = self._row(row_id)
        return self.render_template("training/course_teacher_show.html", row=row, course=row.course,
                                    unbindings=service.unbindings_of(row), user=g.user, **self._common())

    @expose("/confirm/<int:row_id>", methods=["GET", "POST"])
    @has_access
    def confirm(self, row_id):
        row = self._row(row_id)
        matter = service.matter_of(row.course)
        if not service.may_confirm(row, g.user):
            flash(_("This filing does not wait for your confirmation."), "warning")
            return redirect(url_for(".show", row_id=row.id))
        errors, form = {}, request.form if request.method == "POST" else {}
        if request.method == "POST":
            answer = request.form.get("result")
            if answer not in ("agree", "disagree"):
                errors = {"result": _("Please choose: %(field)s.", field=_("Confirmation result"))}
            elif answer == "disagree" and not (request.form.get("opinion") or "").strip():
                errors = {"opinion": _("Please fill in: %(field)s (needed to disagree).",
                                       field=_("Confirmation opinion"))}
            else:
                try:
                    service.confirm(matter.id, g.user, answer == "agree", request.form.get("opinion"))
                except WorkflowError as exc:
                    errors = {"form": str(exc)}
                else:
                    flash(_("Your confirmation of %(no)s is recorded.", no=matter.business_no), "success")
                    return redirect(url_for(".list"))
        return self.render_template("training/course_confirm.html", row=row, course=row.course, matter=matter,
                                    form=form, errors=errors, **self._common())

    @expose("/unbind/<int:row_id>", methods=["GET", "POST"])
    @has_access
    def unbind(self, row_id):
        row = self._row(row_id)
        errors, form = {}, request.form if request.method == "POST" else {}
        if not service.may_unbind(row) or service.open_unbinding(row) is not None:
            flash(_("Only a filed course whose filing you agreed to may be unbound, once at a time."), "warning")
            return redirect(url_for(".show", row_id=row.id))
        if request.method == "POST":
            try:
                matter = service.unbind(row.id, g.user, request.form.get("reason"))
            except service.CourseError as exc:
                errors = {exc.field: str(exc)}
            except WorkflowError as exc:
                errors = {"form": str(exc)}
            else:
                flash(_("The unbinding %(no)s is submitted to the institution and the Association.",
                        no=matter.business_no), "success")
                return redirect(url_for(".list"))
        return self.render_template("training/course_unbind.html", row=row, course=row.course, form=form,
                                    errors=errors, **self._common())


def category_name(category_id):
    category = db.session.get(CourseCategory, category_id) if category_id else None
    return category.path if category else ""


MENU = [(CourseFilingView, _l("Course filing")), (TeacherFilingView, _l("Course filing management"))]
APIS = []
