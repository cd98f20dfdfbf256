"""照片导入与认证 (SPEC D5, D6): a zip of candidates' photos imported as a job with a
report, and the verification list with 认证 / 批量认证 / 人工确认.

An Institution user reaches only its own institution's people (the import matches
within its scope; every action fetches rows through the row scope).
"""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app import tasks
from app.extensions import db
from app.scoping import sees_all
from app.services import files, jobs, photo_check, photo_import
from models import Institution, Job, Person
from models.enums import JobStatus, VerifyState
from views.base import EagerInterface, PlatformModelView

CATEGORY = ("ExamAdmin", _l("Exam administration"))
BACKGROUND_CHOICES = [("red", _l("red")), ("blue", _l("blue")), ("white", _l("white")), ("", _l("any colour"))]


class PhotoImportView(BaseView):
    """上传学生照片: upload a zip, follow the job, read and download the report."""
    route_base = "/photoimport"
    default_view = "index"

    def _institutions(self):
        return db.session.query(Institution).order_by(Institution.name).all() if sees_all(g.user) else []

    @expose("/")
    @has_access
    @permission_name("import")
    def index(self, error=None):
        query = db.session.query(Job).filter(Job.kind == "photo_import")
        if not sees_all(g.user):
            query = query.filter(Job.created_by_id == g.user.id)
        return self.render_template("photo_imports/upload.html", error=error, institutions=self._institutions(),
                                    backgrounds=BACKGROUND_CHOICES, rules=photo_import.DEFAULT_RULES,
                                    recent=query.order_by(Job.id.desc()).limit(20).all(), statuses=JobStatus)

    @expose("/upload", methods=["POST"])
    @has_access
    @permission_name("import")
    def upload(self):
        upload = request.files.get("archive")
        if upload is None or not upload.filename:
            return self.index(error=_("Please choose a zip file."))
        if not upload.filename.lower().endswith(".zip"):
            return self.index(error=_("Only .zip archives are accepted."))
        try:
            width = int(request.form.get("width") or 295)
            height = int(request.form.get("height") or 413)
        except ValueError:
            return self.index(error=_("The photo size must be whole numbers of pixels."))
        if not (50 <= width <= 2000 and 50 <= height <= 2000):
            return self.index(error=_("The photo size must be whole numbers of pixels."))
        institution_id = None
        if sees_all(g.user) and (request.form.get("institution_id") or "").isdigit():
            institution = db.session.get(Institution, int(request.form["institution_id"]))
            if institution is None:
                abort(400)
            institution_id = institution.id
        rules = photo_import.rules_from(request.form.get("background", "red"), width, height)
        stored = files.store(upload.read(), "photos.zip", "application/zip", "photo_zip", user=g.user,
                             institution_id=g.user.institution_id)
        db.session.commit()
        job = jobs.start("photo_import", g.user, tasks.import_photos, stored.id, g.user.id, institution_id, rules)
        return redirect(url_for(".report", job_id=job.id))

    @expose("/report/<int:job_id>")
    @has_access
    @permission_name("import")
    def report(self, job_id):
        job = jobs.visible_or_404(job_id, g.user, "photo_import")
        result = job.result or {}
        rows = photo_import.report_rows(result["report"]) if result.get("report") else []
        return self.render_template("photo_imports/report.html", job=job, result=result, rows=rows,
                                    statuses=JobStatus)


def _photo_cell(photo_id):
    if not photo_id:
        return ""
    return Markup('<img src="{}" alt="" style="height:56px" loading="lazy">').format(
        url_for("files.download", attachment_id=photo_id))


class PhotoVerificationView(PlatformModelView):
    """认证考生信息: the people in the user's scope with their photo and verification state."""
    datamodel = EagerInterface(Person)
    list_columns = ["photo_id", "name", "id_number_masked", "institution", "source", "verify_state", "verify_note"]
    search_columns = ["name", "institution", "source", "verify_state"]
    show_columns = ["photo_id", "name", "gender", "id_number_masked", "institution", "source", "verify_state",
                    "verify_note"]
    order_columns = ["name", "verify_state"]
    formatters_columns = {"photo_id": _photo_cell}
    base_order = ("id", "asc")
    base_permissions = ["can_list", "can_show", "verify_info", "batch_verify_info", "confirm_info"]

    def _export_value(self, item, column):
        return None if column == "photo_id" else super()._export_value(item, column)

    @action("verify_info", _l("Verify information"), icon="fa-user-check", multiple=False, single=True)
    def verify_info(self, items):
        for item in items:
            try:
                ok, reason = photo_check.verify(item)
            except photo_check.VerifyError as exc:
                flash(str(exc), "warning")
                continue
            db.session.commit()
            if ok:
                flash(_("%(name)s: information accurate.", name=item.name), "success")
            else:
                flash(_("%(name)s needs manual confirmation: %(reason)s", name=item.name, reason=reason or ""),
                      "warning")
        return redirect(url_for(".list"))

    @action("batch_verify_info", _l("Batch verify"), icon="fa-users", multiple=True, single=False)
    def batch_verify_info(self, items):
        ids = [i.id for i in items if i.verify_state == VerifyState.PENDING.value]
        if not ids:
            flash(_("None of the chosen people is waiting for verification."), "warning")
            return redirect(url_for(".list"))
        job = jobs.start("photo_verify", g.user, tasks.verify_photos, ids, g.user.id, photo_check.checker_name(),
                         total=len(ids))
        return redirect(url_for(".job", job_id=job.id))

    @action("confirm_info", _l("Confirm manually"), confirmation=_l("Have you checked that the information is "
                                                                     "accurate?"),
            icon="fa-check", multiple=True, single=True)
    def confirm_info(self, items):
        done = 0
        for item in items:
            try:
                photo_check.confirm(item)
                done += 1
            except photo_check.VerifyError as exc:
                flash(str(exc), "warning")
        db.session.commit()
        if done:
            flash(_("Confirmed manually: %(n)d.", n=done), "success")
        return redirect(url_for(".list"))

    @expose("/job/<int:job_id>")
    def job(self, job_id):
        """The progress of a 批量认证: the same permission as the action (not a can_ one)."""
        if not self.appbuilder.sm.has_access("batch_verify_info", self.class_permission_name):
            abort(403)
        job = jobs.visible_or_404(job_id, g.user, "photo_verify")
        return self.render_template("photo_imports/verify_job.html", job=job, result=job.result or {},
                                    statuses=JobStatus)


MENU = [
    (PhotoImportView, _l("Photo import")),
    (PhotoVerificationView, _l("Candidate information verification")),
]
APIS = []
