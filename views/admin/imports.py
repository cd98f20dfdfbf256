"""考务: Excel imports and exports (D4, D7–D9) on the one import pipeline
(app.services.imports): template download, upload, a job with a progress bar
and the error report.  An Institution user imports into and exports its own
institution only; the Association chooses the institution."""
import io

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import tasks
from app.exports import workbook_bytes
from app.extensions import db
from app.roles import INSTITUTION
from app.scoping import role_names, sees_all
from app.services import files, imports, jobs
from models import ExamPlan, Institution, Invigilator, Job, Room
from models.enums import ExamStatus, JobStatus, RoomStatus

CATEGORY = ("ExamAdmin", _l("Exam administration"))


class ImportPage(BaseView):
    """One page per menu entry; ``kinds`` are the import types it offers."""
    default_view = "index"
    template_name = "imports/index.html"
    kinds = ()
    page_title = ""
    export_model = None
    needs_institution = True  # the rows belong to an institution (chosen by the Association)
    plan_option = False  # the template and the rows depend on an exam chosen on the page
    plan_refused = _l("Choose an exam that is open for registration.")
    intro = None  # the page's explanation, when the general one does not fit

    # --- who imports into which institution --------------------------------------------------------
    def _target_institution(self, value=None):
        user = g.user
        if sees_all(user):
            try:
                inst = db.session.get(Institution, int(value or 0))
            except (TypeError, ValueError):
                inst = None
            return inst.id if inst else None
        if INSTITUTION in role_names(user) and user.institution_id is not None:
            return user.institution_id  # forced: never another institution's
        abort(403)

    def _kind(self, key):
        if key not in self.kinds:
            abort(404)
        return imports.get(key)

    def _options(self, args):
        options = {}
        if self.plan_option:
            try:
                options["exam_plan_id"] = int(args.get("exam_plan_id") or 0)
            except ValueError:
                options["exam_plan_id"] = 0
        if "registrations" in self.kinds:
            options["mode"] = "subject" if args.get("mode") == "subject" else "certificate"
        return options

    def _plans(self):
        if not self.plan_option:
            return []
        plans = db.session.query(ExamPlan).filter(ExamPlan.published.is_(True)).order_by(ExamPlan.id.desc()).all()
        return [p for p in plans if p.status_at() == ExamStatus.OPEN]

    # --- pages --------------------------------------------------------------------------------------
    @expose("/")
    @has_access
    @permission_name("import")
    def index(self):
        user = g.user
        institutions = db.session.query(Institution).order_by(Institution.name).all() if sees_all(user) else []
        recent = db.session.query(Job).filter(Job.kind.in_([f"import:{k}" for k in self.kinds]))
        if not sees_all(user):
            recent = recent.filter(Job.institution_id == user.institution_id)
        return self.render_template(
            self.template_name, title=self.page_title, kinds=[(k, imports.get(k).title) for k in self.kinds],
            institutions=institutions if self.needs_institution else [], plans=self._plans(),
            with_mode="registrations" in self.kinds, intro=self.intro, can_export=self.export_model is not None,
            jobs=recent.order_by(Job.id.desc()).limit(10).all(), statuses=JobStatus)

    @expose("/template/<kind>")
    @has_access
    @permission_name("import")
    def template(self, kind):
        import_type = self._kind(kind)
        options = self._options(request.args)
        if "exam_plan_id" in options and db.session.get(ExamPlan, options["exam_plan_id"]) is None:
            flash(_("Choose an exam first."), "warning")
            return redirect(url_for(".index"))
        ctx = imports.Context(user=g.user, institution_id=g.user.institution_id, options=options)
        data = imports.template(import_type, ctx)
        return send_file(io.BytesIO(data), as_attachment=True, mimetype=imports.XLSX_MIME,
                         download_name=f"{kind}-template.xlsx")

    @expose("/upload/<kind>", methods=["POST"])
    @has_access
    @permission_name("import")
    def upload(self, kind):
        import_type = self._kind(kind)
        institution_id = self._target_institution(request.form.get("institution_id")) if self.needs_institution \
            else None
        if institution_id is None and self.needs_institution:
            flash(_("Choose the institution to import into."), "danger")
            return redirect(url_for(".index"))
        options = self._options(request.form)
        if "exam_plan_id" in options and options["exam_plan_id"] not in {p.id for p in self._plans()}:
            flash(str(self.plan_refused), "danger")
            return redirect(url_for(".index"))
        upload = request.files.get("file")
        data = upload.read() if upload is not None else b""
        filename = upload.filename if upload is not None else ""
        if not filename.lower().endswith(".xlsx") or not data.startswith(b"PK"):
            flash(_("Please upload an Excel workbook (.xlsx), such as the downloaded template."), "danger")
            return redirect(url_for(".index"))
        stored = files.store(data, filename, imports.XLSX_MIME, "import_upload", user=g.user,
                             institution_id=institution_id)
        db.session.commit()
        job = jobs.start(f"import:{import_type.key}", g.user, tasks.run_import, import_type.key, stored.id,
                         g.user.id, institution_id, options, institution_id=institution_id)
        return redirect(url_for(".job", job_id=job.id))

    @expose("/job/<int:job_id>")
    @has_access
    @permission_name("import")
    def job(self, job_id):
        job = jobs.visible_or_404(job_id, g.user, *(f"import:{kind}" for kind in self.kinds), *self.kinds)
        return self.render_template("imports/job.html", title=self.page_title, job=job,
                                    state=jobs.as_dict(job))

    @expose("/export/")
    @has_access
    @permission_name("import")
    def export(self):
        """The institution's rows in the import template's columns: exported, edited, imported back."""
        if self.export_model is None:
            abort(404)
        user = g.user
        model = self.export_model
        query = select(model).options(selectinload(model.institution)).order_by(model.institution_id, model.id)
        if not sees_all(user):
            if user.institution_id is None:
                abort(403)
            query = query.where(model.institution_id == user.institution_id)
        elif request.args.get("institution_id"):
            query = query.where(model.institution_id == self._target_institution(request.args["institution_id"]))
        headers, rows = self.export_rows(db.session.scalars(query))
        return send_file(workbook_bytes(headers, rows), as_attachment=True, mimetype=imports.XLSX_MIME,
                         download_name=f"{self.kinds[0]}.xlsx")

    def export_rows(self, items):
        raise NotImplementedError


class CandidateImportView(ImportPage):
    route_base = "/imports/candidates"
    kinds = ("school_candidates", "social_candidates")
    page_title = _l("Candidate import")


class RegistrationImportView(ImportPage):
    route_base = "/imports/registrations"
    kinds = ("registrations",)
    plan_option = True
    page_title = _l("Batch registration")


class RoomImportView(ImportPage):
    route_base = "/imports/rooms"
    kinds = ("rooms",)
    page_title = _l("Exam room import and export")
    export_model = Room

    def export_rows(self, items):
        headers = [c.title for c in imports.get("rooms").columns] + [str(_l("Status")), str(_l("Institution"))]
        return headers, [[r.name, r.room_type, r.capacity, r.site.code if r.site else "",
                          RoomStatus.label_of(r.status), r.institution.name] for r in items]


class InvigilatorImportView(ImportPage):
    route_base = "/imports/invigilators"
    kinds = ("invigilators",)
    page_title = _l("Invigilator import and export")
    export_model = Invigilator

    def export_rows(self, items):
        headers = [c.title for c in imports.get("invigilators").columns] + [str(_l("Institution"))]
        return headers, [[i.staff_no, i.name, i.phone, i.region_code, i.institution.name] for i in items]


MENU = [
    (CandidateImportView, _l("Candidate import")),
    (RegistrationImportView, _l("Batch registration")),
    (RoomImportView, _l("Exam room import and export")),
    (InvigilatorImportView, _l("Invigilator import and export")),
]
APIS = []
